"""Delivery leases: the one sender of a chat at a time, across workers (see `bot.service.Tutor.lease`)."""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DeliveryLease, OutboxItem, utcnow

# On the tables, not the mapped classes: the ORM prepares each INSERT, UPDATE or DELETE of a mapped class as a bulk
# operation, which cost more CPU than running it (these run for every reply sent).
_LEASES = cast(Table, DeliveryLease.__table__)
_OUTBOX = cast(Table, OutboxItem.__table__)


@functools.cache
def _lease_upsert(dialect: str) -> Any:
    """The lease's upsert, built once per dialect (it runs twice for every reply sent; building it each time cost
    more than running it)."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    lease = _LEASES.c
    stmt = insert(_LEASES).values(channel=bindparam("channel"), channel_user_id=bindparam("chat"),
                                                  holder=bindparam("holder"), expires_at=bindparam("expires"))
    return stmt.on_conflict_do_update(
        index_elements=[lease.channel, lease.channel_user_id],
        set_={"holder": stmt.excluded.holder, "expires_at": stmt.excluded.expires_at},
        where=(lease.holder == bindparam("holder")) | (lease.expires_at < bindparam("now")),
    ).returning(lease.holder)


async def lease_take(s: AsyncSession, channel: str, channel_user_id: str, holder: str, seconds: float) -> bool:
    """Take or renew the right to send to one chat; False while another live holder has it."""
    now = utcnow()
    params = {"channel": channel, "chat": channel_user_id, "holder": holder,
              "expires": now + timedelta(seconds=seconds), "now": now}
    return (await s.execute(_lease_upsert(s.get_bind().dialect.name), params)).first() is not None


async def lease_holder(s: AsyncSession, channel: str, channel_user_id: str) -> str | None:
    """Who holds one chat's lease (lapsed or not), if anyone."""
    stmt = select(DeliveryLease.holder).where(DeliveryLease.channel == channel,
                                              DeliveryLease.channel_user_id == channel_user_id)
    return (await s.execute(stmt)).scalar_one_or_none()


async def lease_steal(s: AsyncSession, channel: str, channel_user_id: str, dead: str, holder: str,
                      seconds: float) -> bool:
    """Take a chat's lease from a holder known to be dead, without waiting for it to lapse."""
    result = await s.execute(
        update(DeliveryLease)
        .where(DeliveryLease.channel == channel, DeliveryLease.channel_user_id == channel_user_id,
               DeliveryLease.holder == dead)
        .values(holder=holder, expires_at=utcnow() + timedelta(seconds=seconds)))
    return bool(getattr(result, "rowcount", 0))


async def lease_release(s: AsyncSession, channel: str, channel_user_id: str, holder: str) -> None:
    """Give up the right to send to one chat (only if still ours)."""
    lease = _LEASES.c
    await s.execute(delete(_LEASES).where(lease.channel == channel,
                                                          lease.channel_user_id == channel_user_id,
                                                          lease.holder == holder))


@functools.cache
def _release_if_idle() -> Any:
    out, lease = _OUTBOX.c, _LEASES.c
    waiting = (select(out.id).where(out.channel == bindparam("channel"), out.channel_user_id == bindparam("chat"),
                                    out.sent_at.is_(None)).exists())
    return (delete(_LEASES).where(lease.channel == bindparam("channel"),
                                                  lease.channel_user_id == bindparam("chat"),
                                                  lease.holder == bindparam("holder"), ~waiting)
            .returning(lease.holder))


async def lease_release_if_idle(s: AsyncSession, channel: str, channel_user_id: str, holder: str) -> bool:
    """Give up one chat's lease (only if still ours) when none of its replies waits unsent, in one statement;
    False when it was kept. Meant after the lease was renewed in the same transaction (its row locked since):
    a reply committed before that renewal is seen here, one committed after waits for this transaction."""
    params = {"channel": channel, "chat": channel_user_id, "holder": holder}
    return (await s.execute(_release_if_idle(), params)).first() is not None
