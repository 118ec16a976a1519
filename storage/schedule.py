"""What the scheduled jobs read and remove (bot/scheduler.py): learners a channel lets us reach, classes and
campaign days, and records past their retention."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import cells
from storage.models import AuditEvent, ClassEvent, InboxItem, OutboxItem, QuestionLog, User


async def reachable_ids(s: AsyncSession, channels: Sequence[str]) -> list[int]:
    """Active learners on channels where the tutor may write first."""
    stmt = select(User.id).where(User.active.is_(True), User.channel.in_(list(channels)))
    return [int(i) for i in (await s.execute(stmt)).scalars()]


async def lock_user(s: AsyncSession, user_id: int) -> User | None:
    """The learner's row, locked for this transaction; None when gone or locked by another job right now."""
    stmt = select(User).where(User.id == user_id).with_for_update(skip_locked=True)
    return (await s.execute(stmt)).scalar_one_or_none()


async def active_events(s: AsyncSession) -> list[ClassEvent]:
    return list((await s.execute(select(ClassEvent).where(ClassEvent.active.is_(True)))).scalars())


async def class_audience(s: AsyncSession, province_code: int | None, ward_code: int | None,
                         channels: Sequence[str]) -> list[int]:
    """Learners of a commune (or of a province) who asked for class news and can be reached."""
    where = User.ward_code == ward_code if ward_code is not None else User.province_code == province_code
    stmt = select(User.id).where(where, User.class_news.is_(True), User.consent_at.is_not(None),
                                 User.active.is_(True), User.channel.in_(list(channels)))
    return [int(i) for i in (await s.execute(stmt)).scalars()]


async def purge_expired(s: AsyncSession, now: datetime, question_log_days: int, inbox_days: int,
                        audit_days: int) -> dict[str, int]:
    """Delete records past their retention; how many rows per table."""
    done: dict[str, int] = {}
    gone = (await s.execute(delete(QuestionLog).where(QuestionLog.created_at < now - timedelta(
        days=question_log_days)).returning(QuestionLog.province_code, QuestionLog.ward_code,
                                           QuestionLog.created_at))).all()
    await cells.mark(s, cells.question_cells(list(gone)))
    done["question_log"] = len(gone)
    inbox_cut = now - timedelta(days=inbox_days)
    done["outbox"] = (await s.execute(delete(OutboxItem).where(
        OutboxItem.sent_at.is_not(None), OutboxItem.sent_at < inbox_cut))).rowcount  # type: ignore[attr-defined]
    # A delivery goes once it is processed and none of its replies is still waiting to be sent.
    waiting = select(OutboxItem.id).where(OutboxItem.inbox_id == InboxItem.id, OutboxItem.sent_at.is_(None))
    done["inbox"] = (await s.execute(delete(InboxItem).where(
        InboxItem.processed_at.is_not(None), InboxItem.processed_at < inbox_cut,
        ~waiting.exists()))).rowcount  # type: ignore[attr-defined]
    done["audit_log"] = (await s.execute(delete(AuditEvent).where(
        AuditEvent.created_at < now - timedelta(days=audit_days)))).rowcount  # type: ignore[attr-defined]
    return done
