"""Dialogue flows on the real knowledge base and a real database (SQLite, and PostgreSQL in CI)."""

from __future__ import annotations

from sqlalchemy import select, text

from bot import messages as msg
from bot.quiz import LETTERS
from bot.service import Tutor
from rag.knowledge import KnowledgeBase
from storage.db import Database
from storage.models import InboxItem, OutboxItem, QuizAnswer, QuizAttempt
from tests.chat import ScriptedChat


async def test_first_message_greets_and_answers_with_source_and_buttons(tutor: Tutor) -> None:
    chat = ScriptedChat(tutor)
    replies = await chat.say("lam sao cai vneid")
    assert replies[0].text == msg.GREETING
    answer = replies[1]
    assert answer.sources and tutor.kb.lesson(answer.sources[0]) is not None
    lesson = tutor.kb.lesson(answer.sources[0])
    assert lesson is not None and "vneid.install" in lesson.topics
    assert "Theo bài" in answer.text and lesson.title in answer.text
    labels = [b.label for b in answer.buttons]
    assert msg.BTN_QUIZ in labels and msg.BTN_SHARE in labels
    assert msg.BTN_FEEDBACK_UP in labels and msg.BTN_FEEDBACK_DOWN in labels
    assert len(labels) <= 5  # Zalo shows at most five quick replies
    assert len(answer.text) <= 700
    # The second message is not greeted again.
    again = await chat.say("quên mật khẩu VNeID thì làm sao")
    assert all(r.text != msg.GREETING for r in again)


async def test_out_of_scope_question_is_declined_kindly(tutor: Tutor) -> None:
    replies = await ScriptedChat(tutor).say("Tôi bị đau lưng mấy hôm nay thì nên uống thuốc gì?")
    assert replies[-1].text == msg.OUT_OF_SCOPE
    assert replies[-1].buttons


async def test_full_quiz_by_buttons_letters_numbers_and_text(tutor: Tutor, kb: KnowledgeBase) -> None:
    chat = ScriptedChat(tutor)
    await chat.say("/start")
    lesson = kb.lesson("vneid-cai-dat")
    assert lesson is not None
    replies = await chat.say(button=f"/kiemtra {lesson.id}")
    assert lesson.title in replies[0].text
    question = replies[-1]
    ways = ["button", "letter", "number", "text", "folded"]
    for i, q in enumerate(lesson.quiz):
        way = ways[i % len(ways)]
        if way == "button":
            replies = await chat.press(question, LETTERS[chat.shown(q)])
        elif way == "letter":
            replies = await chat.say(LETTERS[chat.shown(q)].lower())
        elif way == "number":
            replies = await chat.say(str(chat.shown(q) + 1))
        elif way == "text":
            replies = await chat.say(q.options[q.answer])
        else:
            from rag.text import fold
            replies = await chat.say(fold(q.options[q.answer]))
        assert replies[0].text.startswith(msg.QUIZ_RIGHT), (way, replies[0].text)
        assert q.explain in replies[0].text
        question = replies[-1]
    assert f"{len(lesson.quiz)}/{len(lesson.quiz)}" in replies[-1].text
    progress = await chat.say("/tiendo")
    assert kb.programme is not None and lesson.id in kb.programme.core_lessons
    # The same count as the progress picture: the core programme, not every lesson in the library.
    assert f"1/{len(kb.programme.core_lessons)} bài" in progress[0].text and lesson.title in progress[0].text


async def test_failed_quiz_offers_retry_and_wrong_answer_shows_correct_one(tutor: Tutor, kb: KnowledgeBase) -> None:
    chat = ScriptedChat(tutor)
    lesson = kb.lesson("thanh-toan-otp")
    assert lesson is not None
    await chat.say(f"/kiemtra {lesson.id}")
    for q in lesson.quiz:
        wrong = chat.wrong(q)
        replies = await chat.say(LETTERS[wrong])
        assert replies[0].text.startswith(msg.QUIZ_WRONG.split(".")[0])
        assert q.options[q.answer] in replies[0].text
    assert any(b.label == msg.BTN_RETRY for b in replies[-1].buttons)
    replies = await chat.press(replies[-1], msg.BTN_RETRY)
    assert replies[-1].text.startswith("Câu 1/")


async def test_unclear_and_stale_answers_do_not_count(tutor: Tutor, kb: KnowledgeBase) -> None:
    chat = ScriptedChat(tutor)
    replies = await chat.say("/kiemtra vneid-cai-dat")
    first = replies[-1]
    unclear = await chat.say("hmm")
    assert unclear[0].text == msg.QUIZ_UNCLEAR and unclear[-1].text == first.text
    await chat.press(first, "A")
    stale = await chat.press(first, "B")  # the same question's button pressed again
    assert stale[0].text == msg.QUIZ_STALE
    assert stale[-1].text.startswith("Câu 2/")
    async with tutor.db.transaction() as s:
        n = len((await s.execute(select(QuizAnswer))).scalars().all())
    assert n == 1


async def test_charged_twice_gets_the_duplicate_charge_steps(tutor: Tutor) -> None:
    # Charged twice for one payment: checking the charge with the bank, not the wrong-account steps (invented).
    replies = await ScriptedChat(tutor).say("quẹt thẻ ở siêu thị mà tài khoản bị trừ tiền hai lần, làm sao lấy lại")
    assert msg.MISTAKE_CHARGED_TWICE in [r.text for r in replies]
    assert msg.MISTAKE_WRONG_TRANSFER not in [r.text for r in replies]


async def test_question_during_quiz_is_answered_and_quiz_resumes(tutor: Tutor) -> None:
    chat = ScriptedChat(tutor)
    await chat.say("/kiemtra vneid-cai-dat")
    replies = await chat.say("chuyển khoản xong mới thấy sai tên người nhận thì phải làm sao")
    # An honest mistake: the practical steps, then the quiz question offered again.
    assert replies[0].text == msg.MISTAKE_WRONG_TRANSFER
    assert replies[-2].text == msg.QUIZ_AGAIN and replies[-1].text.startswith("Câu 1/")
    cont = await chat.say("/tieptuc")
    assert cont[-1].text.startswith("Câu 1/")


async def test_duplicate_delivery_is_answered_once(tutor: Tutor) -> None:
    chat = ScriptedChat(tutor)
    first = await chat.say("mã OTP là gì", delivery="d-1")
    second = await chat.say("mã OTP là gì", delivery="d-1")
    assert first and second == []
    async with tutor.db.transaction() as s:
        assert len((await s.execute(select(InboxItem))).scalars().all()) == 1


async def test_quiz_survives_a_restart(db_url: str, tutor: Tutor, kb: KnowledgeBase) -> None:
    chat = ScriptedChat(tutor)
    lesson = kb.lesson("vneid-cai-dat")
    assert lesson is not None
    await chat.say(f"/kiemtra {lesson.id}")
    await chat.say(LETTERS[chat.shown(lesson.quiz[0])])
    await tutor.db.dispose()
    # A new process on the same database continues at question 2.
    db = Database(db_url)
    try:
        restarted = ScriptedChat(Tutor(tutor.settings, db, kb))
        replies = await restarted.say("/tieptuc")
        assert replies[-1].text.startswith("Câu 2/")
        replies = await restarted.say(LETTERS[restarted.shown(lesson.quiz[1])])
        assert replies[0].text.startswith(msg.QUIZ_RIGHT)
    finally:
        await db.dispose()


async def test_options_are_shuffled_per_attempt_and_kept_across_a_restart(db_url: str, tutor: Tutor,
                                                                          kb: KnowledgeBase) -> None:
    chat = ScriptedChat(tutor)
    lesson = kb.lesson("thanh-toan-otp")
    assert lesson is not None
    first = (await chat.say(f"/kiemtra {lesson.id}"))[-1]
    q = lesson.quiz[0]
    shown = [line.split(". ", 1)[1] for line in first.text.splitlines() if line[:2] in ("A.", "B.", "C.", "D.")]
    assert sorted(shown) == sorted(q.options) and shown != list(q.options)  # never the lesson's own order
    async with tutor.db.transaction() as s:
        attempt = (await s.execute(select(QuizAttempt))).scalar_one()
    assert attempt.orders is not None and len(attempt.orders) == len(lesson.quiz)
    wrong_place = chat.wrong(q)
    await tutor.db.dispose()
    db = Database(db_url)
    try:
        restarted = ScriptedChat(Tutor(tutor.settings, db, kb))
        again = await restarted.say("/tieptuc")
        assert again[-1].text == first.text  # the same order after the restart
        graded = await restarted.say(LETTERS[wrong_place])
        assert graded[0].text.startswith(msg.QUIZ_WRONG.split(".")[0])
        assert f"{LETTERS[chat.shown(q)]}: {q.options[q.answer]}" in graded[0].text  # the letter as shown
        async with db.transaction() as s:
            stored = (await s.execute(select(QuizAnswer))).scalar_one()
        # Stored as the lesson's option number, whatever the order shown.
        assert stored.chosen == attempt.orders[0][wrong_place] and stored.chosen != q.answer
    finally:
        await db.dispose()


async def test_unprocessed_delivery_is_processed_after_restart(tutor: Tutor) -> None:
    from bot.types import Incoming

    inbox_id = await tutor.receive(Incoming("console", "u9", "crash-1", text="quên passcode VNeID"))
    assert inbox_id is not None  # stored, then the process "dies" before processing
    assert await tutor.process_pending() == 1
    assert await tutor.process_pending() == 0
    sent: list[str] = []

    async def send(_u: str, reply: object) -> None:
        sent.append(reply.text)

    assert await tutor.deliver("console", send) >= 1
    assert await tutor.deliver("console", send) == 0
    assert any("passcode" in t.lower() for t in sent)


async def test_secrets_are_redacted_before_storage(tutor: Tutor) -> None:
    chat = ScriptedChat(tutor)
    replies = await chat.say("người ta gọi bảo đọc mã OTP là 482913 cho họ, thẻ của tôi 9704 0512 3456 7891")
    assert replies[1].text == msg.REDACTED_WARNING
    async with tutor.db.transaction() as s:
        dump = " ".join(str(r) for r in (await s.execute(text("SELECT payload FROM inbox"))).scalars())
        dump += " ".join(str(r) for r in (await s.execute(text("SELECT text FROM question_log"))).scalars())
        dump += " ".join(str(r) for r in (await s.execute(select(OutboxItem.payload))).scalars())
    assert "482913" not in dump and "9704 0512" not in dump and "3456 7891" not in dump


async def test_ongoing_scam_gets_emergency_steps_first(tutor: Tutor) -> None:
    story = "có người xưng công an gọi bảo tôi chuyển tiền vào tài khoản để xác minh"
    replies = await ScriptedChat(tutor).say(story)
    assert replies[1].text == msg.SCAM_ALERT
    assert [b.value for b in replies[1].buttons] == ["/gapnguoi"]  # a person, at once
    assert replies[2].sources
    # Counted for the commune's statistics, without the story itself.
    async with tutor.db.transaction() as s:
        logged = (await s.execute(text("SELECT kind, text FROM question_log"))).all()
    assert [(k, t) for k, t in logged] == [("safety", "")]


async def test_scam_by_message_is_not_told_to_hang_up(tutor: Tutor) -> None:
    # A scam that came in writing: no call to hang up; the same steps after the first line.
    story = "tôi nhận tin nhắn báo tài khoản ngân hàng bị khóa, bảo bấm vào link để mở lại, giờ làm sao"
    replies = await ScriptedChat(tutor).say(story)
    first = next(r for r in replies if r.text.startswith("⚠️"))
    assert "cúp máy" not in first.text and "nhắn lại" in first.text
    # The same story told over the phone keeps the call's wording.
    called = await ScriptedChat(tutor).say(
        "có người gọi điện báo tài khoản ngân hàng bị khóa, bảo bấm vào link để mở lại, giờ làm sao")
    assert any(r.text == msg.SCAM_ALERT for r in called)


async def test_a_scam_told_of_a_parent_gets_steps_for_the_helper(tutor: Tutor) -> None:
    # Nobody is calling the writer: the steps tell them how to stop the parent and go with them, not "hang up".
    replies = await ScriptedChat(tutor).say(
        "bố em 80 tuổi đang bị người xưng công an gọi, bảo chuyển tiền vào tài khoản để xác minh, em phải làm sao")
    first = next(r for r in replies if r.text.startswith("⚠️"))
    assert first.text == msg.RELATIVE_ALERT and [b.value for b in first.buttons] == ["/gapnguoi"]
    # Done already by the parent: the act's own steps, then what the helper does with the parent.
    done = await ScriptedChat(tutor).say(
        "mẹ tôi lỡ chuyển 50 triệu cho người xưng công an gọi điện, giờ tôi phải làm gì")
    first = next(r for r in done if r.text.startswith("⚠️"))
    assert first.text.startswith(msg.SCAM_ACT_FIRST["money_sent"]) and msg.RELATIVE_NOTE in first.text


async def test_charges_one_did_not_make_lock_the_card_first(tutor: Tutor) -> None:
    story = ("Thẻ ATM của tôi chỉ để nhận lương hưu với rút tiền mặt, vậy mà tự nhiên có 3 tin nhắn trừ gần 3 triệu, "
             "trả cho quảng cáo Facebook, Amazon gì đó tôi chưa nghe bao giờ. Tôi phải làm gì?")
    replies = await ScriptedChat(tutor).say(story)
    texts = [r.text for r in replies]
    assert not any(t.startswith(msg.MISTAKE_RECEIVED[:40]) for t in texts)  # not "money received by mistake"
    first = next(t for t in texts if t.startswith("⚠️"))
    assert first.startswith(msg.CARD_CHARGED_FIRST)


async def test_a_fee_to_recover_lost_money_is_the_second_scam(tutor: Tutor) -> None:
    story = "có trang facebook nhận lấy lại tiền bị lừa, bảo đóng trước phí hồ sơ 2 triệu, có nên làm không"
    replies = await ScriptedChat(tutor).say(story)
    first = next(r.text for r in replies if r.text.startswith("⚠️"))
    assert first.startswith(msg.RECOVERY_FEE_FIRST)


async def test_ones_own_account_taken_over_gets_warn_the_contacts_first(tutor: Tutor) -> None:
    story = ("Có người nick Facebook giống hệt bạn tôi nhờ lấy Zalo quét mã QR để bình chọn giúp. Quét xong thì Zalo "
             "của tôi tự nhắn vay tiền khắp danh bạ. Giờ tôi phải làm gì?")
    replies = await ScriptedChat(tutor).say(story)
    first = next(r.text for r in replies if r.text.startswith("⚠️"))
    assert first.startswith(msg.SCAM_ACT_FIRST["account_taken"])  # not "đừng chuyển tiền" to the person asked
    after = replies[replies.index(next(r for r in replies if r.text == first)) + 1].text
    assert "lấy lại tài khoản" in after and "đăng xuất" in after  # the steps for after, not how the trick works


async def test_repeat_and_numbers_for_buttons(tutor: Tutor) -> None:
    chat = ScriptedChat(tutor)
    answer = (await chat.say("Smart OTP là gì"))[-1]
    again = await chat.say("nhắc lại")
    assert again[-1].text == answer.text
    quiz_index = [b.label for b in answer.buttons].index(msg.BTN_QUIZ) + 1
    started = await chat.say(str(quiz_index))
    assert started[-1].text.startswith("Câu 1/")


async def test_learning_menu_lists_areas_then_lessons(tutor: Tutor, kb: KnowledgeBase) -> None:
    chat = ScriptedChat(tutor)
    menu = (await chat.say("học bài"))[-1]
    assert len(menu.buttons) >= 5
    area = (await chat.press(menu, "VNeID"))[-1]
    assert any(b.value == "/bai vneid-cai-dat" for b in area.buttons)
    lesson = (await chat.say(button="/bai vneid-cai-dat"))[-1]
    assert lesson.sources == ("vneid-cai-dat",)
    more = (await chat.press(lesson, "Xem tiếp"))[-1]
    assert more.text != lesson.text and more.sources == ("vneid-cai-dat",)


async def test_assistant_says_it_is_automated(tutor: Tutor) -> None:
    replies = await ScriptedChat(tutor).say("bạn là người thật hay máy vậy?")
    assert replies[-1].text == msg.AUTOMATED


async def test_empty_and_very_long_messages(tutor: Tutor) -> None:
    chat = ScriptedChat(tutor)
    assert (await chat.say("   \u200b  "))[-1].text == msg.EMPTY_TEXT
    long = await chat.say("vneid " * 2000)
    assert any(r.text == msg.TOO_LONG for r in long)
    # A huge paste is cut before it is stored (and before masking reads it); a secret in it is still masked.
    await chat.say("mã OTP là 482913 " + "x" * 10_000_000, delivery="huge")
    async with tutor.db.transaction() as s:
        stored = (await s.execute(select(InboxItem).where(InboxItem.delivery_id == "huge"))).scalar_one()
    assert len(stored.payload["text"]) < 4200 and "482913" not in stored.payload["text"]  # cut at 4096, then masked


async def test_quiz_attempt_rows_record_the_score(tutor: Tutor, kb: KnowledgeBase) -> None:
    chat = ScriptedChat(tutor)
    lesson = kb.lesson("vneid-cai-dat")
    assert lesson is not None
    await chat.say(f"/kiemtra {lesson.id}")
    for i, q in enumerate(lesson.quiz):
        await chat.say(LETTERS[chat.shown(q) if i else chat.wrong(q)])
    async with tutor.db.transaction() as s:
        attempt = (await s.execute(select(QuizAttempt))).scalar_one()
    assert attempt.status == "finished" and attempt.n_correct == len(lesson.quiz) - 1
    assert abs((attempt.score or 0) - (len(lesson.quiz) - 1) / len(lesson.quiz)) < 1e-9


async def test_small_talk_gets_a_kind_short_reply(tutor: Tutor) -> None:
    chat = ScriptedChat(tutor)
    await chat.say("lam sao cai vneid")
    assert (await chat.say("cảm ơn cháu"))[-1].text == msg.THANKS
    assert (await chat.say("ok"))[-1].text == msg.ACK
    assert (await chat.say("alo"))[-1].text == msg.HELLO


def test_every_lesson_message_fits_a_small_screen(kb: KnowledgeBase) -> None:
    """Each piece of a section and each quiz question is at most 600 characters; nothing is lost."""
    from bot.answers import MAX_CHARS, plain, section_reply
    from bot.quiz import question_reply

    for lesson in kb.lessons:
        for i, q in enumerate(lesson.quiz):
            assert len(question_reply(q, i, len(lesson.quiz), 1).text) <= MAX_CHARS, (lesson.id, i)
        for sec in lesson.sections:
            offset, shown = 0, ""
            while offset < len(plain(sec.body)):
                reply, nxt = section_reply(lesson, sec, offset)
                assert len(reply.text) <= MAX_CHARS, (lesson.id, sec.heading)
                assert nxt > offset
                shown += plain(sec.body)[offset:nxt]
                offset = nxt
            assert shown.split() == plain(sec.body).split()


async def test_a_number_with_nothing_to_press_shows_help(tutor: Tutor) -> None:
    chat = ScriptedChat(tutor)
    replies = await chat.say("1")
    assert replies[0].text == msg.GREETING and replies[-1].text == msg.HELP
    assert (await chat.say("???"))[-1].text == msg.HELP
