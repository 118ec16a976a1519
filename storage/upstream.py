"""The rows behind the scheduled reports and the upward push (bot/reports.py): who receives reports, which
provinces have data, whether a period was pushed, and the reports received from instances below."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, union
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEvent, Completion, JobRun, Staff, SupportSession, UpstreamReport, User


async def report_admins(s: AsyncSession, roles: Sequence[str]) -> list[tuple[int, int, str, str]]:
    """(staff id, user id, channel, channel user id) of active admins with one of `roles` reachable in a chat."""
    rows = await s.execute(select(Staff.id, User.id, User.channel, User.channel_user_id)
                           .join(User, User.id == Staff.user_id)
                           .where(Staff.role.in_(list(roles)), Staff.active.is_(True), User.active.is_(True))
                           .order_by(Staff.id))
    return [(int(a), int(b), str(c), str(d)) for a, b, c, d in rows.all()]


async def provinces_with_data(s: AsyncSession) -> list[int]:
    """Every province with a learner, a completion, a support session or an active staff member."""
    rows = await s.execute(union(
        select(User.province_code).where(User.province_code.is_not(None)),
        select(Completion.province_code).where(Completion.province_code.is_not(None)),
        select(SupportSession.province_code).where(SupportSession.province_code.is_not(None)),
        select(Staff.province_code).where(Staff.province_code.is_not(None), Staff.active.is_(True)),
    ))
    return sorted(int(p) for p in rows.scalars() if p is not None)


async def job_done(s: AsyncSession, job: str, period: str) -> bool:
    """Whether a claimed job already ran for the period."""
    return (await s.execute(select(JobRun.id).where(JobRun.job == job, JobRun.period == period))).first() is not None


async def store_received(s: AsyncSession, source: str, period: str, payload: dict[str, Any], detail: str) -> bool:
    """Keep a report received from below; False when that source's report for the period is already here (a
    replay or a retry is counted once)."""
    exists = (await s.execute(select(UpstreamReport.id).where(UpstreamReport.source == source,
                                                              UpstreamReport.period == period))).first()
    if exists is not None:
        return False
    s.add(UpstreamReport(source=source, period=period, payload=payload))
    s.add(AuditEvent(action="upstream_received", subject=source[:120], detail=detail))
    return True
