"""The learner's journey so far: consent, registration, seeing, exporting and deleting their data."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from bot import messages as msg
from bot.service import Tutor
from rag.knowledge import KnowledgeBase
from storage.db import Database
from storage.models import Consent, InboxItem, QuizAttempt, User, utcnow
from tests.chat import ScriptedChat


async def _user(tutor: Tutor, user_id: str = "u1") -> User | None:
    async with tutor.db.transaction() as s:
        return (await s.execute(select(User).where(User.channel_user_id == user_id))).scalar_one_or_none()


async def test_start_asks_consent_and_nothing_personal_is_stored_before(tutor: Tutor) -> None:
    chat = ScriptedChat(tutor)
    replies = await chat.say("/start")
    assert replies[0].text == msg.GREETING and replies[-1].text == msg.CONSENT_ASK
    declined = await chat.press(replies[-1], msg.BTN_DISAGREE)
    assert declined[-1].text == msg.CONSENT_DECLINED
    user = await _user(tutor)
    assert user is not None and user.consent_at is None and user.display_name is None
    # Questions still work without registering, and /start does not nag again.
    assert (await chat.say("quên passcode VNeID"))[-1].sources
    assert all(r.text != msg.CONSENT_ASK for r in await chat.say("/start"))


async def test_registration_with_an_ambiguous_commune_then_data_rights(tutor: Tutor, tmp_path: Path,
                                                                      kb: KnowledgeBase) -> None:
    chat = ScriptedChat(tutor)
    consent = (await chat.say("/start"))[-1]
    replies = await chat.press(consent, msg.BTN_AGREE)
    assert replies[0].text == msg.CONSENT_THANKS and replies[-1].text == msg.ASK_NAME
    assert (await chat.say("bác Tư"))[-1].text == msg.ASK_COMMUNE
    pick = (await chat.say("tan phu"))[-1]
    assert pick.text == msg.COMMUNE_PICK and len(pick.buttons) == 6  # five places and "Bỏ qua"
    assert (await chat.press(pick, "Đồng Nai"))[-1].text == msg.ASK_HAMLET
    assert (await chat.say("thon 3"))[-1].text == msg.ASK_GROUP
    age = (await chat.press((chat.sent[-1]), "Người dân"))[-1]
    assert age.text == msg.ASK_AGE
    vneid = (await chat.press(age, "70 trở lên"))[-1]
    done = (await chat.press(vneid, "Chưa có"))[-1]
    assert done.text == msg.REG_DONE.format(name="bác Tư") + "\n" + msg.REG_OFFER
    assert "/lophoc bat" in [b.value for b in done.buttons]

    user = await _user(tutor)
    assert user is not None and user.consent_version == msg.CONSENT_VERSION and user.consent_at is not None
    assert user.display_name == "bác Tư" and user.hamlet == "Thôn 3" and user.target_group == "nguoi-dan"
    assert user.age_band == "70+" and user.vneid_level2 is False and user.province_code is not None
    async with tutor.db.transaction() as s:
        consent_row = (await s.execute(select(Consent))).scalar_one()
    assert consent_row.text == msg.CONSENT_ASK  # the exact words agreed to are kept

    lesson = kb.lesson("vneid-cai-dat")
    assert lesson is not None
    await chat.say(f"/kiemtra {lesson.id}")
    for q in lesson.quiz:
        await chat.say(str(chat.shown(q) + 1))

    shown = await chat.say("/dulieu")
    assert "bác Tư" in shown[0].text and "Đồng Nai" in shown[0].text and "Thôn 3" in shown[0].text
    exported = (await chat.press(shown[-1], "Tải"))[-1]
    assert exported.file_path is not None
    data = json.loads(Path(exported.file_path).read_text(encoding="utf-8"))
    assert data["display_name"] == "bác Tư" and data["quizzes"][0]["lesson_id"] == lesson.id
    assert len(data["quizzes"][0]["answers"]) == len(lesson.quiz) and data["consents"][0]["version"]

    confirm = (await chat.say("xóa dữ liệu"))[-1]
    assert confirm.text == msg.DELETE_CONFIRM
    assert (await chat.press(confirm, msg.BTN_DELETE_CONFIRM))[-1].text == msg.DELETED
    assert await _user(tutor) is None
    async with tutor.db.transaction() as s:
        assert (await s.execute(select(func.count()).select_from(QuizAttempt))).scalar_one() == 0
        assert (await s.execute(select(func.count()).select_from(Consent))).scalar_one() == 0
        inbox = (await s.execute(select(InboxItem))).scalars().all()
    # Deliveries stay only as ids (a redelivery is still recognised), with no words and no chat id.
    assert inbox and all(i.payload.get("text") == "" and i.channel_user_id == "" for i in inbox)
    # Starting again is a fresh start.
    assert (await chat.say("lam sao cai vneid"))[0].text == msg.GREETING


async def test_registration_resumes_after_restart_and_skips(db_url: str, tutor: Tutor, kb: KnowledgeBase) -> None:
    chat = ScriptedChat(tutor)
    await chat.say("/dangky")
    await chat.say("/dongy")
    skipped = await chat.say(button="/dk skip")  # no name
    assert skipped[-1].text == msg.ASK_COMMUNE
    confirm = (await chat.say("Hồng Bàng"))[-1]
    assert confirm.text == msg.COMMUNE_CONFIRM.format(label="Phường Hồng Bàng, Thành phố Hải Phòng")
    await chat.press(confirm, msg.BTN_YES)
    await tutor.db.dispose()
    db = Database(db_url)
    try:
        again = ScriptedChat(Tutor(tutor.settings, db, kb))
        # A question in the middle of registration is answered, not taken as the hamlet's name, and the
        # question about the thôn is offered again.
        answer = await again.say("Làm sao để biết tin nhắn lừa đảo?")
        assert any(r.sources for r in answer) and msg.HAMLET_AGAIN in answer[-1].text
        resumed = await again.say("đăng ký")
        assert resumed[-1].text == msg.ASK_HAMLET
        await again.say("tổ dân phố 7")
        async with db.transaction() as s:
            user = (await s.execute(select(User))).scalar_one()
        assert user.display_name is None and user.hamlet == "Tổ dân phố 7" and user.ward_code is not None
    finally:
        await db.dispose()


async def test_whole_journey_to_a_verified_certificate(db_url: str, tutor: Tutor, kb: KnowledgeBase) -> None:
    """Consent, registration (ambiguous commune), two core lessons (one failed then retried), completion,
    certificate, verification, export and deletion — with a restart in the middle."""
    import dataclasses

    from PIL import Image

    from bot.cli.admin import verify_code
    from bot.images import CERT_SIZE
    from bot.quiz import LETTERS
    from rag.programme import Programme
    from storage.models import Completion

    small = dataclasses.replace(kb, programme=Programme("Kỹ năng số cơ bản cho người dân", 0.8,
                                                        (("vneid-cai-dat", "KN5.1"), ("thanh-toan-otp", "KN5.3")),
                                                        ()))
    chat = ScriptedChat(Tutor(tutor.settings, tutor.db, small))
    await chat.press((await chat.say("/start"))[-1], msg.BTN_AGREE)
    await chat.say("cô Lan")
    pick = (await chat.say("an binh"))[-1]
    assert pick.text == msg.COMMUNE_PICK
    await chat.press(pick, pick.buttons[0].label)
    for _ in range(4):  # thôn, nhóm, tuổi, VNeID: all skipped
        await chat.say(button="/dk skip")

    first, second = small.lesson("vneid-cai-dat"), small.lesson("thanh-toan-otp")
    assert first is not None and second is not None
    nxt = await chat.say("học tiếp")
    assert nxt[-1].sources == (first.id,)
    await chat.say(f"/kiemtra {first.id}")
    for q in first.quiz:
        replies = await chat.say(LETTERS[chat.wrong(q)])  # all wrong
    retry = replies[-1]
    assert any(b.label == msg.BTN_RETRY for b in retry.buttons)

    # The process restarts here; the retry goes on from the same database.
    await tutor.db.dispose()
    db = Database(db_url)
    try:
        chat = ScriptedChat(Tutor(tutor.settings, db, small))
        await chat.say(button=f"/kiemtra {first.id}")
        for q in first.quiz:
            replies = await chat.say(LETTERS[chat.shown(q)])
        assert replies[-1].text.startswith("🎉") and not any(r.image_path for r in replies)
        assert (await chat.say("học tiếp"))[-1].sources == (second.id,)
        await chat.say(f"/kiemtra {second.id}")
        for q in second.quiz:
            replies = await chat.say(str(chat.shown(q) + 1))
        cert = next(r for r in replies if r.image_path)
        assert cert.image_path is not None and "cô Lan" in cert.text
        # Then the hand-over to the official confirmation, answered in words.
        assert replies[-1] is not cert and "binhdanhocvuso.gov.vn" in replies[-1].text
        assert (await chat.say("roi"))[-1].text == msg.PLATFORM_SAVED
        with Image.open(cert.image_path) as img:
            assert img.size == CERT_SIZE and img.format == "PNG"
        async with db.transaction() as s:
            completion = (await s.execute(select(Completion))).scalar_one()
        assert completion.code is not None and completion.code in cert.text
        assert completion.ward_code is not None and completion.display_name == "cô Lan"
        settings = tutor.settings.model_copy(update={"database_url": db_url})
        ok, text = await verify_code(settings, completion.code.lower())
        assert ok and "cô Lan" in text
        assert (await chat.say("giấy chứng nhận"))[-1].image_path == cert.image_path

        progress = (await chat.say("/tiendo"))[-1]
        assert progress.image_path and Path(progress.image_path).exists()
        exported = (await chat.say("/taidulieu"))[-1]
        assert exported.file_path is not None
        data = json.loads(Path(exported.file_path).read_text(encoding="utf-8"))
        assert data["completions"][0]["code"] == completion.code and len(data["quizzes"]) == 3

        await chat.say("/xoadulieu xacnhan")
        async with db.transaction() as s:
            left = (await s.execute(select(Completion))).scalar_one()
            assert (await s.execute(select(func.count()).select_from(User))).scalar_one() == 0
        assert left.user_id is None and left.display_name is None and left.code is None
        assert left.ward_code == completion.ward_code  # still counted for the commune
        assert not Path(cert.image_path).exists()
        assert not (await verify_code(settings, completion.code))[0]
    finally:
        await db.dispose()


async def test_review_set_and_spaced_review_offer(tutor: Tutor, kb: KnowledgeBase) -> None:
    from datetime import timedelta

    from bot.quiz import LETTERS
    from storage.models import QuizAttempt as Attempt

    chat = ScriptedChat(tutor)
    assert (await chat.say("ôn tập"))[-1].text == msg.REVIEW_NONE
    lesson = kb.lesson("thanh-toan-otp")
    assert lesson is not None
    await chat.say(f"/kiemtra {lesson.id}")
    for q in lesson.quiz:
        await chat.say(LETTERS[chat.shown(q)])
    # The same day, nothing is due yet; the look is done once a day, not on every message.
    async with tutor.db.transaction() as s:
        learner = (await s.execute(select(User))).scalars().one()
        assert learner.context.get("review_looked") == utcnow().date().isoformat()
    # A week passes (the day changes: today's look is yesterday's).
    async with tutor.db.transaction() as s:
        for attempt in (await s.execute(select(Attempt))).scalars():
            assert attempt.finished_at is not None
            attempt.finished_at = attempt.finished_at - timedelta(days=8)
        learner = (await s.execute(select(User))).scalars().one()
        learner.context = {**learner.context, "review_looked": "2000-01-01"}
    replies = await chat.say("Smart OTP là gì")
    offer = replies[-1]
    assert offer.text == msg.REVIEW_DUE.format(title=lesson.title)
    assert all(r.text != offer.text for r in await chat.say("Smart OTP là gì"))  # once a day at most
    review = await chat.press(offer, msg.BTN_REVIEW_NOW)
    assert review[0].text == msg.REVIEW_START.format(n=3)
    texts = {q.question for q in lesson.quiz}
    for _ in range(3):
        shown = review[-1].text.split("\n")[0].split(": ", 1)[1]
        assert shown in texts
        q = next(q for q in lesson.quiz if q.question == shown)
        review = await chat.say(LETTERS[chat.shown(q)])
    assert review[-1].text == msg.REVIEW_RESULT.format(right=3, n=3)
    assert (await chat.say("tắt nhắc"))[-1].text == msg.REMINDERS_OFF
