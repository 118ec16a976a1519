"""Spaced-review reminders: the right learners, once, inside each channel's window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot import messages as msg
from bot.quiz import LETTERS
from bot.scheduler import review_reminders
from bot.service import Tutor
from rag.knowledge import KnowledgeBase
from storage.models import OutboxItem, QuizAttempt, User
from tests.chat import ScriptedChat

# 12:00 in Hà Nội today: the offer on a visit uses the real clock.
NOON_VN = datetime.now(UTC).replace(hour=5, minute=0, second=0, microsecond=0)


async def _review(tutor: Tutor, now: datetime) -> int:
    """One run of the review-reminder job, on this tutor's database and learning desk."""
    return await review_reminders(tutor.db, tutor.dialogue.learning, now)


async def _pass_lesson(tutor: Tutor, kb: KnowledgeBase, channel: str, user: str) -> None:
    lesson = kb.lesson("thanh-toan-otp")
    assert lesson is not None
    chat = ScriptedChat(tutor, user=user, channel=channel)
    await chat.say(f"/kiemtra {lesson.id}")
    for q in lesson.quiz:
        await chat.say(LETTERS[chat.shown(q)])


async def _age(tutor: Tutor, user: str, passed_days_ago: int, seen_hours_ago: float) -> None:
    async with tutor.db.transaction() as s:
        u = (await s.execute(select(User).where(User.channel_user_id == user))).scalar_one()
        u.last_seen_at = NOON_VN - timedelta(hours=seen_hours_ago)
        for a in (await s.execute(select(QuizAttempt).where(QuizAttempt.user_id == u.id))).scalars():
            a.finished_at = NOON_VN - timedelta(days=passed_days_ago)


async def test_reminders_respect_windows_and_run_once(tutor: Tutor, kb: KnowledgeBase) -> None:
    cases = {  # user: (channel, days since passed, hours since last message, expect a reminder)
        "tg-due": ("telegram", 8, 100, True),
        "tg-early": ("telegram", 3, 1, False),
        "zalo-in": ("zalo", 8, 20, True),
        "zalo-out": ("zalo", 8, 60, False),  # outside 48 h: kept for the next visit
        "console": ("console", 8, 1, False),  # nobody to push to
    }
    for user, (channel, days, hours, _) in cases.items():
        await _pass_lesson(tutor, kb, channel, user)
        await _age(tutor, user, days, hours)
    for channel in ("telegram", "zalo", "console"):  # what the quizzes themselves sent is delivered
        await tutor.deliver(channel, _discard)

    assert await _review(tutor, NOON_VN) == 2
    assert await _review(tutor, NOON_VN) == 0  # same hour: the run is claimed already
    assert await _review(tutor, NOON_VN + timedelta(hours=1)) == 0  # at most one a day
    assert await _review(tutor, NOON_VN.replace(hour=16)) == 0  # 23:00 in Vietnam: quiet
    async with tutor.db.transaction() as s:
        rows = (await s.execute(select(OutboxItem).where(OutboxItem.sent_at.is_(None)))).scalars().all()
    assert sorted(r.channel_user_id for r in rows) == ["tg-due", "zalo-in"]
    assert all(r.inbox_id is None and "Ôn ngay" in str(r.payload) for r in rows)

    assert await tutor.deliver("zalo", _discard) == 1
    # The held Zalo learner gets the offer on their next message instead.
    chat = ScriptedChat(tutor, user="zalo-out", channel="zalo")
    replies = await chat.say("Smart OTP là gì")
    assert replies[-1].text.startswith("🔄")


async def test_turned_off_reminders_are_not_sent(tutor: Tutor, kb: KnowledgeBase) -> None:
    await _pass_lesson(tutor, kb, "telegram", "quiet")
    await ScriptedChat(tutor, user="quiet", channel="telegram").say("tắt nhắc")
    await _age(tutor, "quiet", 8, 1)
    assert await _review(tutor, NOON_VN) == 0
    assert msg.REMINDERS_OFF


async def _discard(_user: str, _reply: object) -> None:
    return None


async def test_retention_purge_keeps_what_is_recent_or_waiting(tutor: Tutor) -> None:
    from sqlalchemy import func, insert

    from bot.scheduler import purge_old_records
    from storage.models import AuditEvent, InboxItem, QuestionLog

    now = datetime(2026, 11, 22, tzinfo=UTC)
    old, recent = now - timedelta(days=200), now - timedelta(days=2)
    async with tutor.db.transaction() as s:
        await s.execute(insert(QuestionLog), [dict(channel="zalo", text="cũ", kind="answer", created_at=old),
                                              dict(channel="zalo", text="mới", kind="answer", created_at=recent)])
        ids = []
        for i, (at, processed) in enumerate(((old, old), (recent, recent), (old, None), (old, old))):
            item = InboxItem(channel="zalo", delivery_id=str(i), channel_user_id="u", payload={}, received_at=at,
                             processed_at=processed)
            s.add(item)
            await s.flush()
            ids.append(item.id)
        # Replies: sent long ago; sent recently; one still held for the user's next visit (delivery 3).
        s.add_all([OutboxItem(inbox_id=ids[0], seq=0, channel="zalo", channel_user_id="u", payload={}, sent_at=old),
                   OutboxItem(inbox_id=ids[1], seq=0, channel="zalo", channel_user_id="u", payload={}, sent_at=recent),
                   OutboxItem(inbox_id=ids[3], seq=0, channel="zalo", channel_user_id="u", payload={}, sent_at=None,
                              error="window"),
                   AuditEvent(action="login", created_at=now - timedelta(days=800))])
    done = await purge_old_records(tutor.db, tutor.settings.privacy, tutor.settings.data_dir, now)
    assert done == {"question_log": 1, "outbox": 1, "inbox": 1, "audit_log": 1, "exports": 0}
    async with tutor.db.transaction() as s:
        assert (await s.execute(select(QuestionLog.text))).scalars().all() == ["mới"]
        left = (await s.execute(select(InboxItem.delivery_id).order_by(InboxItem.delivery_id))).scalars().all()
        assert left == ["1", "2", "3"]  # recent, not yet processed, and one whose reply still waits
        assert (await s.execute(select(func.count()).select_from(OutboxItem))).scalar_one() == 2
