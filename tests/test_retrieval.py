"""Retrieval on the real lessons and the real bundled model: right topics, accent-insensitive, scope."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot import messages as msg
from bot.answers import Answerer, _on_danger, _reassures, excerpt, stage_of
from rag.knowledge import KnowledgeBase
from rag.lessons import Lesson, Section
from rag.questions import QuestionEntry
from rag.retriever import ScopeJudge, UnitHit

DATA = Path(__file__).parent / "data"
SCOPE = [json.loads(line) for line in (DATA / "scope_questions.jsonl").read_text(encoding="utf-8").splitlines()
         if line.strip()]


@pytest.mark.parametrize("question,topic", [
    ("lam sao cai vneid", "vneid.install"),
    ("Làm sao cài VNeID?", "vneid.install"),
    ("quen mat khau vneid", "vneid.login"),
    ("đổi điện thoại mới thì đăng nhập VNeID thế nào", "vneid.login"),
    ("chuyen tien tren 10 trieu co phai quet mat khong", "payment.biometric"),
    ("ngân hàng có bao giờ hỏi mã OTP không", "payment.otp"),
    ("bi lua chuyen tien roi thi lam gi", "scam.report"),
    ("nộp hồ sơ trên cổng dịch vụ công thế nào", "dvc.submit"),
])
def test_hybrid_finds_the_right_topic(kb: KnowledgeBase, question: str, topic: str) -> None:
    result = kb.retriever.search(question, "hybrid")
    assert result.in_scope
    assert any(topic in h.lesson.topics for h in result.hits[:3]), [h.lesson.id for h in result.hits[:3]]


def test_unaccented_and_accented_agree_on_top_lesson(kb: KnowledgeBase) -> None:
    a = kb.retriever.search("quên passcode VNeID thì làm thế nào", "hybrid").hits[0].lesson.id
    b = kb.retriever.search("quen passcode vneid thi lam the nao", "hybrid").hits[0].lesson.id
    assert a == b


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
def test_every_mode_returns_distinct_lessons(kb: KnowledgeBase, mode: str) -> None:
    hits = kb.retriever.search("mã QR giả dán đè", mode).hits  # type: ignore[arg-type]
    assert hits and len({h.lesson.id for h in hits}) == len(hits) <= 5


def test_scope_judge_on_purpose_written_questions(kb: KnowledgeBase) -> None:
    """Off-topic questions are declined and digital-skills questions are not (written for this test)."""
    answerer = Answerer(kb)
    wrong = []
    for row in SCOPE:
        kind = answerer.answer(row["question"]).kind
        declined = kind == "out_of_scope"
        if declined != row["out_of_scope"]:
            wrong.append((row["question"], kind))
    off = sum(r["out_of_scope"] for r in SCOPE)
    assert off >= 20 and len(SCOPE) - off >= 20
    # At most one mistake in ten: a decision from evidence, not a memorised list.
    assert len(wrong) <= len(SCOPE) // 10, wrong


@pytest.mark.parametrize("question", [
    "ong ngoai o mot minh, mua loa thong minh cho ong co tot khong",
    "goi ve may ban o que co phai bam ma vung khong",
    "camera ip mua ngoài chợ có an toàn không",
])
def test_home_phone_and_smart_speaker_questions_are_answered(kb: KnowledgeBase, question: str) -> None:
    """A smart speaker, a landline's area code and a home Wi-Fi camera are devices too: answered, not declined nor
    asked back (their words were missing from the scope judge's list, so the lessons' own words decided alone)."""
    assert Answerer(kb).answer(question).kind == "answer"


def test_clarify_on_a_single_word(kb: KnowledgeBase) -> None:
    answer = Answerer(kb).answer("vneid")
    assert answer.kind == "clarify" and len(answer.replies[0].buttons) >= 2


@pytest.mark.parametrize("question", ["VneID là gì?", "eKYC la gi", "OTP là gì vậy"])
def test_a_single_word_with_what_is_gets_the_definition(kb: KnowledgeBase, question: str) -> None:
    """"Là gì" says what is wanted: the definition entry answers at once, no menu."""
    answer = Answerer(kb).answer(question)
    assert answer.kind == "answer", answer.text_all()
    assert answer.units and answer.units[0].entry is not None and answer.units[0].entry.kind == "definition"


def test_money_sent_to_a_scammer_never_gets_the_money_received_entry(kb: KnowledgeBase) -> None:
    """Under "I sent the money, then found out": the steps to block and trace, never an entry about a stranger's money
    that came in (the same words, "tiền", "kẻ gian", "chuyển", pull both)."""
    answerer = Answerer(kb)
    answer = answerer.answer("tôi chuyển ngay 50 triệu cho họ, sau mới biết là kẻ gian, giờ làm sao")
    assert answer.kind == "safety" and answer.replies[0].text.startswith(msg.SCAM_ACT_FIRST["money_sent"][:40])
    entry = answer.units[0].entry if answer.units else None
    assert entry is not None and answerer._mistake(entry) is None
    assert "tiền lạ" not in answer.replies[1].text.lower()


def test_money_sent_gets_an_entry_written_for_after_the_loss(kb: KnowledgeBase) -> None:
    """"I already sent them 5 million, what now": under the emergency lines, an entry written for after the money went,
    not one on when a face scan is needed that its "chuyển … triệu" matched."""
    answer = Answerer(kb).answer("tôi đã chuyển 5 triệu cho họ rồi, giờ làm sao")
    assert answer.kind == "safety" and answer.replies[0].text.startswith(msg.SCAM_ACT_FIRST["money_sent"][:40])
    entry = answer.units[0].entry if answer.units else None
    assert entry is not None and entry.stage == "after" and entry.kind == "what_now"


def test_asked_to_pay_gets_the_closest_unit_about_money_under_the_alert(kb: KnowledgeBase) -> None:
    """Someone asked to pay first gets the alert, then the closest unit when it is about money or scams and does not
    reassure: not a scam entry further down that a word happened to match."""
    answerer = Answerer(kb)
    answer = answerer.answer("Người bán trên mạng bảo chuyển khoản trước rồi mới gửi hàng, có nên chuyển không?")
    assert answer.kind == "safety" and answer.replies[0].text == msg.PAY_NOW_ALERT
    top = answer.retrieval.units[0]
    assert answer.units == [top] and _on_danger(top) and not _reassures(top)


def test_someone_pressed_to_pay_is_never_shown_how_to_pay_under_the_alert(kb: KnowledgeBase) -> None:
    """A caller with a grandchild's voice asks for money and the person is on the way to the bank: under "don't pay"
    comes a unit about the scam, never the how-to of sending money abroad the words happened to match."""
    answerer = Answerer(kb)
    answer = answerer.answer("Có người gọi giọng y hệt cháu tôi đang du học, bảo cần gấp 80 triệu, dặn đừng nói với bố "
                             "mẹ nó. Tôi đang ra ngân hàng chuyển cho cháu, có cần giấy tờ gì không?")
    assert answer.kind == "safety" and answer.replies[0].text == msg.PAY_NOW_ALERT
    assert any(u.entry is not None and u.entry.kind == "howto" for u in answer.retrieval.units)  # it was found
    for unit in answer.units:  # and is not shown: a scam unit, or the alert alone
        assert unit.entry is None or unit.entry.kind not in ("howto", "rule") or \
            any(t.startswith("scam") for t in unit.topics), unit.key


def test_a_reassuring_verdict_is_recognised() -> None:
    """An entry that opens with "all is well" never stands under the emergency steps as the closest unit."""
    def entry(answer: str) -> UnitHit:
        section = Section("x", 0, "S", "s")
        lesson = Lesson("x", "X", "", ("payment.transfer",), (), (), "co-ban", (), (), (), (section,), Path("x.md"))
        found = QuestionEntry("q-x", "is_safe", "any", ("payment.transfer",), ("a", "b", "c", "d"), answer, "x", "S",
                              (), Path("x.yaml"))
        return UnitHit(1.0, lesson, section, found)

    assert _reassures(entry("An toàn nếu bác dùng đúng ứng dụng."))
    assert _reassures(entry("Có thể là thật: Google có công cụ kiểm tra."))
    assert not _reassures(entry("Không an toàn, bác đừng quét."))
    assert not _reassures(entry("Chưa chắc an toàn: giá rẻ hơn hẳn là dấu hiệu lừa."))


def test_an_entry_on_the_same_mistake_answers_its_own_ways_of_asking(kb: KnowledgeBase) -> None:
    """Every entry written for an honest mistake answers the ways of asking it was written with whenever retrieval
    ranks it first (not the built-in first steps, which answer another question)."""
    answerer = Answerer(kb)
    checked, wrong = 0, []
    for entry in kb.retriever.entries.values():
        read = answerer._mistake(entry)
        if read is None:
            continue
        for ask in entry.asks:
            situation = answerer.situation(ask)
            found = kb.retriever.search(ask, answerer.mode, stage=stage_of(situation, ask))
            if situation.act != read[0] or not found.units or found.units[0].entry is not entry:
                continue
            checked += 1
            answer = answerer.answer(ask)
            if not answer.units or answer.units[0].entry is not entry:
                wrong.append((entry.id, ask))
    assert checked >= 10 and wrong == []


def test_a_caller_telling_the_person_to_do_something_gets_the_warning(kb: KnowledgeBase) -> None:
    """A call from a number that tells the person to bring papers somewhere or update them is answered with a
    warning to hang up and ask the official number (or, under a scam entry, that entry's warning, or the emergency
    steps); one's own call to a bank is not."""
    answerer = Answerer(kb)
    told = answerer.answer("Mấy hôm nay có số lạ gọi điện yêu cầu tôi mang giấy tờ xe đến trung tâm để đổi giấy mới, "
                           "có đúng không?")
    warned = told.kind == "safety" or any(footer in told.replies[0].text
                                          for footer in (msg.CALLER_FOOTER, msg.SCAM_FOOTER))
    assert warned, told.replies[0].text  # the caller's warning, or a scam entry's own with its footer
    own = answerer.answer("tôi gọi điện đến ngân hàng yêu cầu đổi mã PIN thì làm thế nào")
    assert all(msg.CALLER_FOOTER not in r.text for r in own.replies)


def test_apps_and_services_named_in_a_question() -> None:
    from rag.anchors import anchors_in

    assert anchors_in(["quet khuon mat vneid xoay mai khong xong"]) == {"vneid"}
    assert anchors_in(["app nh báo đổi thiết bị đăng nhập"]) == {"bank"}  # shorthand spelled out first
    assert anchors_in(["nạp tiền vào ví momo"]) == {"wallet"}
    assert anchors_in(["tải app vay trên CH Play có an toàn không"]) == frozenset()  # a store is where, not what
    assert anchors_in(["quen mat khau hotmail"]) == {"microsoft"}  # a computer's or Microsoft's, not a phone's
    assert anchors_in(["iCloud báo sắp đầy"]) == {"apple_account"}
    assert anchors_in(["tải app lên App Store"]) == frozenset()
    assert anchors_in(["quên mật khẩu thì làm sao"]) == frozenset()


def test_an_answer_about_another_app_gives_way(kb: KnowledgeBase) -> None:
    """A question naming VNeID: a unit whose own question names no VNeID (the bank's face check) loses the set
    weight of the unit choice; one that does keeps its score; a question naming nothing changes nothing."""
    import dataclasses

    retriever = kb.retriever
    question = "quét khuôn mặt trên VNeID cứ quay vòng không xong"
    agree = retriever.table.agree(question)
    assert agree is not None
    by_id = {u.entry.id: i for i, u in enumerate(retriever.table.units) if u.entry is not None}
    assert agree[by_id["q-vneid-khong-nhan-dien-khuon-mat"]] and not agree[by_id["q-tt-sth-khong-nhan-mat"]]
    assert retriever.table.agree("quên mật khẩu thì làm sao") is None

    def scores(weight: float) -> dict[str, float]:
        fit = retriever.fit
        retriever.fit = dataclasses.replace(fit, anchor_miss=weight)
        try:
            return {u.key: u.score for u in retriever.search(question, k=40).units}
        finally:
            retriever.fit = fit

    off, on = scores(0.0), scores(0.5)
    vote = 1.0 / (retriever.rrf_k + 1)
    assert on["q:q-vneid-khong-nhan-dien-khuon-mat"] == pytest.approx(off["q:q-vneid-khong-nhan-dien-khuon-mat"])
    assert on["q:q-tt-sth-khong-nhan-mat"] == pytest.approx(off["q:q-tt-sth-khong-nhan-mat"] - 0.5 * vote)


def test_a_hidden_way_of_asking_is_found_by_neither_channel(kb: KnowledgeBase) -> None:
    """`kynangso own-asks` hides one entry's way of asking from both channels, then puts everything back."""
    from bot.cli.own_asks import _hiding

    retriever = kb.retriever
    entry = next(e for e in retriever.entries.values() if len(e.asks) >= 3)
    key = f"q:{entry.id}#a0"
    vectors, embeddings = retriever.vectors, retriever.embeddings
    assert vectors is not None and embeddings is not None
    search, scores = vectors.search, retriever.lexical.scores
    try:
        hide = _hiding(retriever)
        qvec = embeddings.embed_query(entry.asks[0])
        assert key in [k for k, _ in vectors.search(qvec, 50)]
        hide(key)
        assert key not in [k for k, _ in vectors.search(qvec, 50)]
        assert retriever.lexical.scores(entry.asks[0])[retriever.table.position[key]] == 0
        assert any(u.entry is entry for u in retriever.search(entry.asks[0]).units)  # found by its other chunks
        hide(None)
        assert retriever.lexical.scores(entry.asks[0])[retriever.table.position[key]] > 0
    finally:
        vectors.search, retriever.lexical.scores = search, scores  # type: ignore[method-assign]


def test_digital_words_as_many_as_off_topic_ones_keep_a_question_in_scope() -> None:
    """Text messages offering songs and lottery tips that keep coming to the phone are a phone question: its
    digital-skills words outnumber or equal the off-topic ones and it is closer to a lesson; a health question that
    merely mentions the phone is still weighed on the evidence."""
    judge = ScopeJudge(None)
    spam = "điện thoại cứ nhận tin nhắn tặng bài hát, xổ số, soạn tin gửi 67xx, sao vậy"
    assert judge.judge(spam, 0.884, 0.865, 2.9, {})
    health = "xem trên điện thoại thấy bảo đau đầu thì uống thuốc gì cho khỏi"
    assert not judge.judge(health, 0.884, 0.865, 2.9, {})


def test_ai_asked_about_and_papers_after_the_merger_are_our_subjects() -> None:
    """"AI là gì" typed without marks is no "ai" (who) of an off-topic question; a land title still showing the old
    district after the 2025 merger is a question about papers after the merger, like the ID card's; an
    inheritance of land with no merger in it is still weighed on the evidence."""
    judge = ScopeJudge(None)
    assert judge.judge("AI la gi vay, nguoi gia nhu toi dung AI duoc viec gi", 0.86, 0.87, 0.5, {})
    assert judge.judge("sổ đỏ vẫn ghi tên huyện cũ, sau sáp nhập có phải đổi không", 0.87, 0.86, 1.0, {})
    assert not judge.judge("bố mất không để di chúc, sổ đỏ chia thừa kế thế nào", 0.87, 0.86, 1.0, {})


def test_a_part_of_a_section_never_ends_on_a_lead_in() -> None:
    body = ("Kẻ gian còn khoác chữ AI lên ứng dụng đầu tư, hứa lãi rất cao. Đó là bẫy.\n\nCách tránh:\n"
            "1. Chỉ cài ứng dụng từ CH Play hoặc App Store.\n2. Không cài ứng dụng từ đường link người khác gửi.")
    first, offset = excerpt(body, 0, body.index("1. Chỉ") + 10)  # the limit falls inside the first step
    assert first.endswith("Đó là bẫy.") and not first.endswith(":")
    rest, end = excerpt(body, offset, len(body))
    assert rest.startswith("Cách tránh:") and end == len(body)



def test_shorthand_in_text_with_diacritics_is_spelled_out_for_the_embedding_model(kb: KnowledgeBase) -> None:
    from rag.questions import shorthand_spelled

    assert shorthand_spelled("ck nhầm tk rồi, quên mã sOTP") == "chuyển khoản nhầm tài khoản rồi, quên mã Smart OTP"
    assert shorthand_spelled("nạp 50 k") == "nạp 50 k"  # fifty thousand, not "không"
    result = kb.retriever.search("Quên mã mở khóa sOTP", "hybrid")
    assert "Smart OTP" in str(result.signals["dense_query"])
    assert "payment.otp" in result.units[0].topics, result.units[0].key
