"""The question layer: entries are validated like lessons, found by the ways people ask, and chosen by kind."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot import messages as msg
from bot.answers import Answerer
from bot.config import ROOT
from bot.service import Tutor
from rag.kinds import question_kind
from rag.knowledge import KnowledgeBase
from rag.lessons import Topics, load_lessons
from rag.questions import QuestionEntry, check_questions, sentence_count, spelled_out
from rag.retriever import Retrieval, UnitHit
from tests.chat import ScriptedChat

KNOWLEDGE = ROOT / "knowledge"


@pytest.fixture(scope="module")
def real() -> tuple[Topics, list]:
    topics = Topics.load(KNOWLEDGE / "topics.yaml")
    return topics, load_lessons(KNOWLEDGE / "lessons", topics)


def _entry(**changes: object) -> dict[str, object]:
    entry: dict[str, object] = {
        "id": "q-thu-mat-may-cu",
        "kind": "howto",
        "stage": "any",
        "topics": ["vneid.login"],
        "asks": ["Máy cũ hỏng thì vào VNeID trên máy mới thế nào?", "may cu hong vao vneid may moi sao",
                 "điện thoại tôi rơi vỡ rồi, vneid có mất không", "mat dt cu r vneid dang nhap lai dc ko"],
        "answer": "Bác không cần máy cũ. Bác xác nhận máy mới bằng thẻ căn cước gắn chip.",
        "lesson": "vneid-doi-dien-thoai",
        "section": "Mất hoặc hỏng máy cũ: xác thực bằng thẻ căn cước gắn chip",
        "sources": [{"title": "Bộ Công an", "url": "https://bocongan.gov.vn/", "checked": "2026-12-04"}],
    }
    entry.update(changes)
    return entry


def _check(tmp_path: Path, real: tuple[Topics, list], *entries: dict[str, object]) -> list[str]:
    folder = tmp_path / "questions"
    folder.mkdir(exist_ok=True)
    (folder / "x.yaml").write_text(yaml.safe_dump(list(entries), allow_unicode=True), encoding="utf-8")
    topics, lessons = real
    return check_questions(folder, topics, lessons).errors


def test_a_good_entry_passes(tmp_path: Path, real: tuple[Topics, list]) -> None:
    assert _check(tmp_path, real, _entry()) == []


@pytest.mark.parametrize(("change", "problem"), [
    ({"kind": "chitchat"}, "kind"),
    ({"stage": "later"}, "stage"),
    ({"topics": ["vneid.nothing"]}, "mã chủ đề"),
    ({"asks": ["một", "hai", "ba"]}, "cách hỏi"),
    ({"asks": ["Đổi máy VNeID", "doi may vneid", "khác", "nữa"]}, "chỉ khác nhau ở dấu"),
    ({"answer": "Một câu thôi."}, "câu"),
    ({"lesson": "khong-co-bai"}, "không có bài"),
    ({"section": "Mục không có"}, "không có mục"),
    ({"id": "q-" + "dai" * 20}, "dài quá"),
    ({"sources": [{"title": "x", "url": "bocongan.gov.vn", "checked": "2026-12-04"}]}, "http"),
    ({"sources": [{"title": "x", "url": "https://x.vn"}]}, "checked"),
])
def test_each_problem_is_named(tmp_path: Path, real: tuple[Topics, list], change: dict[str, object],
                               problem: str) -> None:
    errors = _check(tmp_path, real, _entry(**change))
    assert errors and all("x.yaml" in e for e in errors)
    assert any(problem in e for e in errors), errors


def test_two_entries_cannot_share_an_id_or_a_way_of_asking(tmp_path: Path, real: tuple[Topics, list]) -> None:
    assert any("id trùng" in e for e in _check(tmp_path, real, _entry(), _entry()))
    other = _entry(id="q-thu-khac", asks=["Cách khác hẳn để hỏi", "hoi kieu thu hai", "kiểu thứ ba",
                                          "MAY CU HONG VAO VNEID MAY MOI SAO?"])
    assert any("trùng với câu" in e for e in _check(tmp_path, real, _entry(), other))


def test_sentences_are_counted_with_numbered_steps() -> None:
    assert sentence_count("Có. Bác làm thế này:\n1. Mở VNeID.\n2. Bấm \"Đăng nhập\".") == 4
    assert sentence_count("Đây là lừa đảo, bác đừng chuyển tiền!") == 1


@pytest.mark.parametrize(("question", "kind"), [
    ("VNeID là gì?", "definition"),
    ("vneid la gi", "definition"),
    ("lam sao cai vneid", "howto"),
    ("không nhận được mã OTP", "troubleshoot"),
    ("app vneid cu quay mai khong vao duoc", "troubleshoot"),
    ("bao nhiêu tuổi thì làm được định danh mức 2", "rule"),
    ("khong cai vneid co bi phat khong", "rule"),
    ("tin nhắn này có phải lừa đảo không", "is_safe"),
    ("lỡ chuyển tiền rồi thì làm gì", "what_now"),
    ("bi lua roi gio phai lam gi", "what_now"),
    ("báo lừa đảo ở đâu", "where_who"),
    ("Trời hôm nay đẹp", None),
])
def test_the_kind_of_a_question_is_read_from_its_words(question: str, kind: str | None) -> None:
    assert question_kind(question) == kind


# ---------------------------------------------------------------- on the real knowledge and bundled model


def test_every_entry_is_found_by_its_own_words(kb: KnowledgeBase) -> None:
    """Each way of asking an entry, typed as written, finds that entry first (or its lesson's section among the
    top three units). A content editor who adds an entry that another one shadows sees it here."""
    assert len(kb.entries) >= 300
    missed = []
    for entry in kb.entries:
        for ask in entry.asks[:2]:
            units = kb.retriever.search(ask).units
            if not units or units[0].entry is not entry:
                missed.append((entry.id, ask))
    assert len(missed) <= 0.1 * 2 * len(kb.entries), missed[:20]


def test_a_specific_question_gets_the_entry_answer(kb: KnowledgeBase) -> None:
    entry = next(e for e in kb.entries if e.kind == "howto" and e.stage == "any")
    answerer = Answerer(kb)
    answer = answerer.answer(entry.asks[0])
    assert answer.kind == "answer" and answer.units and answer.units[0].entry is entry
    reply = answer.replies[0]
    assert reply.text.startswith(msg.ENTRY_QUESTION.format(question=entry.headline))
    assert len(reply.text) <= 700
    assert entry.answer.strip().splitlines()[0] in reply.text
    assert msg.BTN_FULL_LESSON in [b.label for b in reply.buttons]


async def test_read_the_full_lesson_after_an_entry(kb: KnowledgeBase, tutor: Tutor) -> None:
    entry = next(e for e in kb.entries if e.kind == "howto" and e.stage == "any")
    chat = ScriptedChat(tutor)
    replies = await chat.say(entry.asks[0])
    answer = replies[-1]
    assert entry.answer.strip().splitlines()[0] in answer.text
    more = await chat.press(answer, "Xem bài đầy đủ")
    assert more[0].text.startswith(entry.section_heading)


async def test_a_choice_is_pressed_or_typed(kb: KnowledgeBase, tutor: Tutor) -> None:
    a, b = kb.entries[0], kb.entries[-1]
    chat = ScriptedChat(tutor)
    await chat.say("xin chào")
    replies = await chat.say(button=f"/chon q:{a.id}")
    assert a.answer.strip().splitlines()[0] in replies[0].text
    # Typed: the choices of a clarification are the buttons of the last message.
    units = [Answerer(kb).unit(f"q:{a.id}"), Answerer(kb).unit(f"q:{b.id}")]
    assert all(u is not None for u in units)
    assert Answerer(kb).unit("q:khong-co") is None and Answerer(kb).unit("khong-co-bai#0") is None


def test_close_units_of_different_topics_are_offered_as_choices(kb: KnowledgeBase) -> None:
    answerer = Answerer(kb)
    vote = 1.0 / (kb.retriever.rrf_k + 1)
    by_topic: dict[str, QuestionEntry] = {}
    for e in kb.entries:
        if not any(t.startswith("scam") for t in e.topics):  # scam choices are never offered (below)
            by_topic.setdefault(e.main_topic.split(".")[0], e)
    first, second, third = list(by_topic.values())[:3]

    def unit(entry: QuestionEntry, score: float) -> UnitHit:
        lesson = kb.retriever.lessons[entry.lesson_id]
        return UnitHit(score, lesson, lesson.sections[0], entry)

    close = Retrieval("x", "hybrid", [], True, units=[unit(first, 1.0), unit(second, 1.0 - 0.05 * vote),
                                                        unit(third, 1.0 - 2 * vote)])
    assert [u.entry for u in answerer._close_choices(close)] == [first, second]
    clear = Retrieval("x", "hybrid", [], True, units=[unit(first, 1.0), unit(second, 1.0 - vote)])
    assert answerer._close_choices(clear) == []
    # Never asked back when one of the choices is about scams: the message may come from someone in one.
    scam = next(e for e in kb.entries if e.main_topic.startswith("scam"))
    assert answerer._close_choices(Retrieval("x", "hybrid", [], True,
                                             units=[unit(first, 1.0), unit(scam, 1.0 - 0.05 * vote)])) == []


@pytest.mark.parametrize("question", [
    "Người xưng công an bảo tôi cài ứng dụng để khai báo trực tuyến, có nên cài không?",
    "nhan vien ngan hang goi bao doc ma otp de huy giao dich, co nen doc khong",
])
def test_an_act_only_asked_for_gets_stop_not_the_steps_for_after(kb: KnowledgeBase, question: str) -> None:
    answer = Answerer(kb).answer(question)
    first = answer.replies[0].text
    assert all(first != steps and not first.startswith(steps) for steps in msg.SCAM_ACT_FIRST.values())
    assert "đừng" in answer.text_all().lower() or "không" in answer.text_all().lower()


def test_a_failing_bank_app_is_not_a_scam_alarm(kb: KnowledgeBase) -> None:
    answer = Answerer(kb).answer("Quét căn cước trên app ngân hàng cứ báo lỗi không đọc được chip, phải làm sao?")
    assert answer.kind == "answer"


def test_an_honest_wrong_transfer_never_hears_it_is_not_a_scam(kb: KnowledgeBase) -> None:
    answer = Answerer(kb).answer("tôi tự gõ nhầm một số tài khoản, chuyển 2 triệu sang người khác rồi, giờ làm sao")
    assert answer.kind == "answer"
    assert "không phải lừa đảo" not in answer.text_all()
    assert "tra soát" in answer.text_all()


def test_a_loss_told_under_another_subject_ends_with_the_stop_and_call_steps(kb: KnowledgeBase) -> None:
    """A message that speaks of a loss or a scam, answered from an entry on another subject (here an ATM that kept
    the money), still ends with what to do if a stranger is behind it; a plain how-to question does not."""
    answerer = Answerer(kb)
    answer = answerer.answer("Rút tiền ở cây ATM, máy không nhả tiền mà tài khoản vẫn bị trừ tiền, giờ làm sao?")
    assert answer.kind == "answer"
    assert not any(t.startswith("scam") for t in answer.units[0].topics)
    assert answer.replies[0].text.endswith(msg.STRANGER_FOOTER)
    plain = answerer.answer("Cách tải ứng dụng VNeID trên điện thoại?")
    assert msg.STRANGER_FOOTER not in plain.replies[0].text and msg.SCAM_FOOTER not in plain.replies[0].text


def test_the_question_shown_above_an_answer_has_no_phone_shorthand() -> None:
    """An older reader meets the tutor's words, not teencode: shorthand in a way of asking is written in full when it
    is shown as the question answered; a sum in thousands ("50 k") is left as it is."""
    assert spelled_out("ck nhầm tk r, gọi ai để đòi lại tiền") == \
        "Chuyển khoản nhầm tài khoản rồi, gọi ai để đòi lại tiền"
    assert spelled_out("cccd hết hạn rút tiền atm đc ko") == "Cccd hết hạn rút tiền atm được không"
    assert spelled_out("nạp 50 k vào ví có sao ko") == "Nạp 50 k vào ví có sao không"
    assert spelled_out("Rồi sao?") == "Rồi sao?"


def test_a_password_asked_about_after_a_hack_is_answered_under_the_steps(kb: KnowledgeBase) -> None:
    """An e-mail hacked (the emergency steps first), and the question is whether the new password is safe: the unit
    under the steps is about passwords, not another scam's story."""
    answer = Answerer(kb).answer("Email của tôi bị hack để gửi thư rác, mật khẩu cũ là 123456, giờ tôi định đổi sang "
                                 "'happyhappy' cho dễ nhớ, vậy đã an toàn chưa?")
    assert answer.kind == "safety"
    assert "safety.passwords" in answer.units[0].topics
