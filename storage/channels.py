"""The channel-side rows: who can no longer be reached, a message skipped, a channel's stored API token, the staff
chats that receive an operator alert. Channels call these instead of writing SQL of their own."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChannelToken, InboxItem, OutboxItem, Staff, User, utcnow


async def unreachable(s: AsyncSession, channel: str, chat: str, reason: str) -> None:
    """The person blocked the tutor or left: no more reminders, and what was still queued for them is given up
    (marked with `reason`). They become reachable again by writing."""
    await s.execute(update(User).where(User.channel == channel, User.channel_user_id == chat).values(active=False))
    await s.execute(update(OutboxItem).where(OutboxItem.channel == channel, OutboxItem.channel_user_id == chat,
                                             OutboxItem.sent_at.is_(None)).values(sent_at=utcnow(), error=reason))


async def unfollowed(s: AsyncSession, channel: str, chat: str, inbox_id: int) -> None:
    """An unfollow event: recorded as processed (nothing to answer), and reminders stop until they write again."""
    await s.execute(update(InboxItem).where(InboxItem.id == inbox_id).values(processed_at=utcnow()))
    await s.execute(update(User).where(User.channel == channel, User.channel_user_id == chat).values(active=False))


async def skip(s: AsyncSession, outbox_id: int, reason: str) -> None:
    """A message the platform refuses for good: marked done with the reason, so the queue moves on."""
    await s.execute(update(OutboxItem).where(OutboxItem.id == outbox_id).values(sent_at=utcnow(), error=reason))


async def last_seen(s: AsyncSession, channel: str, chat: str) -> datetime | None:
    """When the person last wrote (a channel's reply window counts from it)."""
    stmt = select(User.last_seen_at).where(User.channel == channel, User.channel_user_id == chat)
    return (await s.execute(stmt)).scalar_one_or_none()


async def token(s: AsyncSession, channel: str, lock: bool = False) -> ChannelToken | None:
    """The channel's stored API token pair; with `lock`, held until the transaction ends (one refresh at a time
    across workers: SELECT … FOR UPDATE on PostgreSQL, SQLite's immediate write transaction)."""
    stmt = select(ChannelToken).where(ChannelToken.channel == channel)
    if lock:
        stmt = stmt.with_for_update()
    return (await s.execute(stmt)).scalar_one_or_none()


async def staff_chats(s: AsyncSession, roles: Sequence[str], channels: Sequence[str]) -> list[tuple[str, str]]:
    """(channel, chat id) of active staff with one of `roles` who use one of `channels`."""
    stmt = (select(User.channel, User.channel_user_id).join(Staff, Staff.user_id == User.id)
            .where(Staff.role.in_(list(roles)), Staff.active.is_(True), User.channel.in_(list(channels))))
    return [(str(c), str(u)) for c, u in (await s.execute(stmt)).all()]
