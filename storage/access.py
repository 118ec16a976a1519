"""The rows of web admin sign-in: sessions (kept as token hashes), one-time password links, login failures
counted from the audit log. The rules (hashing, rate limits, CSRF) are in bot/admin/auth.py."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AdminSession, AuditEvent, Staff, StaffToken


async def count_events(s: AsyncSession, action: str, subject: str, since: datetime) -> int:
    """How many audit events of `action` about `subject` since a moment (failed logins, for the rate limit)."""
    stmt = select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == action, AuditEvent.subject == subject, AuditEvent.created_at >= since)
    return int((await s.execute(stmt)).scalar_one())


async def lock_subjects(s: AsyncSession, keys: Iterable[str]) -> bool:
    """Transaction-scoped advisory locks, in a fixed order, on PostgreSQL; False elsewhere (SQLite serialises
    writers itself: the caller writes first)."""
    if s.get_bind().dialect.name != "postgresql":
        return False
    for key in sorted(set(keys)):
        await s.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": key})
    return True


async def purge_sessions(s: AsyncSession, now: datetime) -> None:
    """Delete sessions past their expiry."""
    await s.execute(delete(AdminSession).where(AdminSession.expires_at <= now))


async def end_sessions(s: AsyncSession, staff_id: int) -> None:
    """Close every session of one account (a new password, a disabled account)."""
    await s.execute(delete(AdminSession).where(AdminSession.staff_id == staff_id))


async def end_session(s: AsyncSession, session: AdminSession) -> None:
    """Close one session: its row is deleted, so its cookie is worthless."""
    await s.delete(session)


async def session_by_hash(s: AsyncSession, token_hash: str) -> tuple[AdminSession, Staff] | None:
    row = (await s.execute(select(AdminSession, Staff).join(Staff, Staff.id == AdminSession.staff_id)
                           .where(AdminSession.token_hash == token_hash))).first()
    return (row[0], row[1]) if row is not None else None


async def password_link(s: AsyncSession, code_hash: str) -> tuple[StaffToken, Staff] | None:
    row = (await s.execute(select(StaffToken, Staff).join(Staff, Staff.id == StaffToken.staff_id)
                           .where(StaffToken.code_hash == code_hash, StaffToken.purpose == "password"))).first()
    return (row[0], row[1]) if row is not None else None


async def username_taken(s: AsyncSession, username: str, other_than: int) -> bool:
    stmt = select(Staff.id).where(Staff.username == username, Staff.id != other_than)
    return (await s.execute(stmt)).first() is not None
