"""Reminders to learn (đôn đốc): the learners a volunteer or commune admin may remind, and at most one reminder
per learner in any NUDGE_GAP, whoever sends it. The claim locks the learner (the same lock their own messages
take), reads the last reminder and records the new one in the caller's transaction, with the message queued in
the outbox beside it, so two volunteers pressing at once send one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import repo
from storage.models import (
    Completion,
    Nudge,
    QuizAttempt,
    Staff,
    User,
    VolunteerLink,
    as_utc,
)
from storage.teams import MEMBER_ROLES

NUDGE_GAP = timedelta(days=7)


@dataclass
class Stalled:
    """A learner who started but has not been back for a while: what the sender may see, and the last reminder."""

    user: User
    passed: int  # core lessons passed
    last_nudge: datetime | None


def may_nudge(staff: Staff | None) -> bool:
    """Volunteers and commune admins (with a commune) send reminders; nobody else."""
    return staff is not None and staff.active and staff.role in MEMBER_ROLES and staff.ward_code is not None


async def stalled(s: AsyncSession, staff: Staff, idle_days: int, core: list[str], pass_ratio: float,
                  now: datetime) -> list[Stalled]:
    """Learners of a volunteer (those who agreed to be followed) or of a commune admin (the commune's registered
    learners, and any who agreed to be followed by them) who started — took at least one quiz; reading is not
    recorded per learner, and a question answered is not a start — have not completed the programme, and have
    not written for `idle_days`; most recently seen first. Staff are left out.
    """
    if not may_nudge(staff):
        return []
    linked = select(VolunteerLink.user_id).where(VolunteerLink.staff_id == staff.id)
    who: Any = User.id.in_(linked)
    if staff.role == "commune_admin":
        who = or_(who, and_(User.consent_at.is_not(None), User.ward_code == staff.ward_code))
    staff_users = select(Staff.user_id).where(Staff.user_id.is_not(None))
    done = select(Completion.user_id).where(Completion.user_id.is_not(None))
    started = select(QuizAttempt.user_id)
    users = (await s.execute(select(User).where(
        who, User.last_seen_at < now - timedelta(days=idle_days), User.id.in_(started), User.id.not_in(staff_users),
        User.id.not_in(done)).order_by(User.last_seen_at.desc(), User.id))).scalars().all()
    if not users:
        return []
    ids = [u.id for u in users]
    passed = {int(u): int(n) for u, n in (await s.execute(
        select(QuizAttempt.user_id, func.count(func.distinct(QuizAttempt.lesson_id))).where(
            QuizAttempt.user_id.in_(ids), QuizAttempt.kind == "lesson", QuizAttempt.status == "finished",
            QuizAttempt.score >= pass_ratio - 1e-9, QuizAttempt.lesson_id.in_(core))
        .group_by(QuizAttempt.user_id))).all()} if core else {}
    last = {int(u): as_utc(t) for u, t in (await s.execute(
        select(Nudge.user_id, func.max(Nudge.sent_at)).where(Nudge.user_id.in_(ids))
        .group_by(Nudge.user_id))).all() if u is not None and t is not None}
    return [Stalled(u, passed.get(u.id, 0), last.get(u.id)) for u in users]


async def last_nudge(s: AsyncSession, user_id: int) -> datetime | None:
    """When the learner was last sent a reminder, by anyone."""
    t = (await s.execute(select(func.max(Nudge.sent_at)).where(Nudge.user_id == user_id))).scalar_one_or_none()
    return as_utc(t) if t is not None else None


async def claim_nudge(s: AsyncSession, staff: Staff, user: User, now: datetime) -> bool:
    """Record a reminder from `staff` to `user` unless one was sent in the last NUDGE_GAP; False then.

    The learner is locked first, so a second claim made at the same moment waits and then sees this one.
    """
    await repo.lock_user(s, user.channel, user.channel_user_id)
    last = await last_nudge(s, user.id)
    if last is not None and now - last < NUDGE_GAP:
        return False
    s.add(Nudge(user_id=user.id, staff_id=staff.id, province_code=staff.province_code, ward_code=staff.ward_code,
                sent_at=now))
    await s.flush()
    return True

