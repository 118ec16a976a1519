"""Volunteers' and admins' records: one-time codes, referral links, the support log and the hand-off queue.

Codes people type use an alphabet without look-alikes (no 0, 1, I, L, O, U), are
case-insensitive, and only their SHA-256 is stored when they grant something (invites, password links).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import roles
from storage.models import (
    Completion,
    Handoff,
    QuizAttempt,
    ReferralLink,
    Staff,
    StaffToken,
    SupportSession,
    User,
    VolunteerLink,
    as_utc,
    utcnow,
)
from storage.units import Scope

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
SUPPORT_TOPICS = ("vneid", "muc2", "dvc", "thanhtoan", "luadao", "xacnhan", "khac")
INVITE_DAYS = 7
PASSWORD_LINK_MINUTES = 30
# Who may invite whom: an admin invites the roles below their own, inside their unit.
MAY_INVITE = {
    "national_admin": ("province_admin", "commune_admin", "volunteer"),
    "province_admin": ("commune_admin", "volunteer"),
    "commune_admin": ("volunteer",),
}


def new_code(length: int = 8) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def clean_code(text: str) -> str:
    """What a person typed ("k7q2-xm4p ") as a code ("K7Q2XM4P")."""
    return "".join(ch for ch in text.upper() if ch.isascii() and ch.isalnum())


def _hash(code: str) -> str:
    return hashlib.sha256(clean_code(code).encode()).hexdigest()


# ---------------------------------------------------------------- one-time codes


class InviteError(ValueError):
    """Why an invitation cannot be made or used (the caller shows a kind message)."""


def check_invite(issuer: Staff, role: str, scope: Scope) -> None:
    """Raise InviteError unless `issuer` may invite `role` over `scope`."""
    if role not in MAY_INVITE.get(issuer.role, ()):
        raise InviteError("role")
    check_unit(role, scope)
    if issuer.role != "national_admin" and not _covers(issuer, scope):
        raise InviteError("scope")


def check_unit(role: str, scope: Scope) -> None:
    """A province admin needs a province; a commune admin or volunteer a commune."""
    if role not in roles.ROLES or role == "national_admin":
        raise InviteError("role")
    if role == "province_admin" and (scope.province_code is None or scope.ward_code is not None):
        raise InviteError("unit")
    if role in ("commune_admin", "volunteer") and scope.ward_code is None:
        raise InviteError("unit")


def _covers(staff: Staff, scope: Scope) -> bool:
    if staff.role == "province_admin":
        return scope.province_code == staff.province_code
    return scope.ward_code is not None and scope.ward_code == staff.ward_code


async def create_invite(s: AsyncSession, issuer: Staff | None, role: str, scope: Scope,
                        now: datetime | None = None) -> str:
    """A one-time invitation code for `role` over `scope` (issuer None: the command line)."""
    if issuer is not None:
        check_invite(issuer, role, scope)
    else:
        check_unit(role, scope)
    code = new_code(8)
    now = now or utcnow()
    s.add(StaffToken(purpose="invite", code_hash=_hash(code), role=role, province_code=scope.province_code,
                     ward_code=scope.ward_code, created_by_staff_id=issuer.id if issuer else None,
                     created_at=now, expires_at=now + timedelta(days=INVITE_DAYS)))
    await s.flush()
    return code


async def redeem_invite(s: AsyncSession, code: str, channel: str, channel_user_id: str,
                        now: datetime | None = None) -> Staff:
    """Use an invitation once: the user gets its role over its unit. Raises InviteError("unknown"|"used")."""
    now = now or utcnow()
    token = (await s.execute(select(StaffToken).where(
        StaffToken.code_hash == _hash(code), StaffToken.purpose == "invite"))).scalar_one_or_none()
    if token is None or as_utc(token.expires_at) <= now:
        raise InviteError("unknown")
    # Claimed with a conditional update, so two people racing for one code cannot both get it.
    claimed = await s.execute(update(StaffToken).where(StaffToken.id == token.id, StaffToken.used_at.is_(None))
                              .values(used_at=now))
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise InviteError("used")
    assert token.role is not None
    staff = await roles.grant(s, channel, channel_user_id, token.role,
                              Scope(token.province_code, token.ward_code),
                              created_by=f"invite:{token.created_by_staff_id or 'cli'}")
    token.staff_id = staff.id
    return staff


async def password_link(s: AsyncSession, staff: Staff, now: datetime | None = None) -> str:
    """A one-time code for the web page where a staff member sets a username and password."""
    code = secrets.token_urlsafe(24)
    now = now or utcnow()
    s.add(StaffToken(purpose="password", code_hash=hashlib.sha256(code.encode()).hexdigest(), staff_id=staff.id,
                     created_at=now, expires_at=now + timedelta(minutes=PASSWORD_LINK_MINUTES)))
    await s.flush()
    return code


# ---------------------------------------------------------------- referral links


async def referral_link(s: AsyncSession, staff: Staff, lesson_id: str = "") -> ReferralLink:
    """The volunteer's link for a lesson's quiz ("" for their personal code), made once and then reused."""
    found = (await s.execute(select(ReferralLink).where(ReferralLink.staff_id == staff.id,
                                                        ReferralLink.lesson_id == lesson_id))).scalar_one_or_none()
    if found is not None:
        return found
    for _ in range(50):
        code = new_code(6)
        # Letters and digits both: the chat tells a typed code from a word by that (see bot.dialogue).
        if not (any(c.isdigit() for c in code) and any(c.isalpha() for c in code)):
            continue
        if (await s.execute(select(ReferralLink.id).where(ReferralLink.code == code))).first() is None:
            break
    link = ReferralLink(code=code, staff_id=staff.id, lesson_id=lesson_id)
    s.add(link)
    await s.flush()
    return link


async def open_referral(s: AsyncSession, code: str) -> tuple[ReferralLink, Staff] | None:
    """The link and its volunteer for a code someone opened or typed, counting the visit; None if unknown."""
    code = clean_code(code)
    if not 4 <= len(code) <= 12:
        return None
    row = (await s.execute(select(ReferralLink, Staff).join(Staff, Staff.id == ReferralLink.staff_id)
                           .where(ReferralLink.code == code, Staff.active.is_(True)))).first()
    if row is None:
        return None
    link, staff = row
    link.opened += 1
    return link, staff


async def link_learner(s: AsyncSession, user_id: int, staff_id: int, kind: str) -> None:
    """Let a volunteer follow a learner (after the learner agreed); one row per pair."""
    exists = (await s.execute(select(VolunteerLink).where(VolunteerLink.user_id == user_id,
                                                          VolunteerLink.staff_id == staff_id))).scalar_one_or_none()
    if exists is None:
        s.add(VolunteerLink(user_id=user_id, staff_id=staff_id, kind=kind))
        await s.flush()


@dataclass
class Learner:
    """What a volunteer may see of a learner: the name they gave, lessons passed, completion."""

    name: str
    lessons_passed: int
    completed: bool
    kind: str
    user_id: int = 0
    confirmed: bool = False  # confirmed on the national platform


async def my_learners(s: AsyncSession, staff: Staff, pass_ratio: float) -> list[Learner]:
    links = (await s.execute(select(VolunteerLink, User).join(User, User.id == VolunteerLink.user_id)
                             .where(VolunteerLink.staff_id == staff.id)
                             .order_by(VolunteerLink.created_at.desc()))).all()
    ids = [u.id for _, u in links]
    if not ids:
        return []
    passed_rows = await s.execute(
        select(QuizAttempt.user_id, func.count(func.distinct(QuizAttempt.lesson_id)))
        .where(QuizAttempt.user_id.in_(ids), QuizAttempt.kind == "lesson", QuizAttempt.status == "finished",
               QuizAttempt.score >= pass_ratio - 1e-9).group_by(QuizAttempt.user_id))
    passed = {int(u): int(n) for u, n in passed_rows.all()}
    done = set((await s.execute(select(Completion.user_id).where(Completion.user_id.in_(ids)))).scalars())
    return [Learner(u.display_name or "", passed.get(u.id, 0), u.id in done, link.kind, u.id,
                    u.platform_confirmed_at is not None) for link, u in links]


async def mark_platform_confirmed(s: AsyncSession, staff: Staff, user_id: int) -> User | None:
    """A volunteer saw a learner they follow confirmed on the national platform (or a commune admin, for a
    learner of their commune): record it; None when the learner is not theirs."""
    user = await s.get(User, user_id)
    if user is None or user.consent_at is None:
        return None
    linked = (await s.execute(select(VolunteerLink.id).where(VolunteerLink.staff_id == staff.id,
                                                             VolunteerLink.user_id == user_id))).first()
    own_commune = staff.role == "commune_admin" and staff.ward_code is not None and user.ward_code == staff.ward_code
    if not linked and not own_commune:
        return None
    if user.platform_confirmed_at is None or user.platform_confirmed_by != "volunteer":
        user.platform_confirmed_at = user.platform_confirmed_at or utcnow()
        user.platform_confirmed_by, user.platform_confirmed_staff_id = "volunteer", staff.id
    return user


# ---------------------------------------------------------------- support log


async def log_support(s: AsyncSession, staff: Staff, topic: str, people: int, hamlet: str | None) -> SupportSession:
    if topic not in SUPPORT_TOPICS:
        raise ValueError(f"unknown support topic {topic!r}")
    if not 1 <= people <= 500:
        raise ValueError("people out of range")
    row = SupportSession(staff_id=staff.id, topic=topic, people=people, province_code=staff.province_code,
                         ward_code=staff.ward_code, hamlet=hamlet)
    s.add(row)
    await s.flush()
    return row


# ---------------------------------------------------------------- hand-off queue


async def has_open_handoff(s: AsyncSession, user: User) -> bool:
    """Whether the learner already waits for (or is being helped by) a volunteer."""
    return (await s.execute(select(Handoff.id).where(Handoff.user_id == user.id,
                                                     Handoff.status.in_(("open", "claimed"))).limit(1))).first() \
        is not None


async def open_handoff(s: AsyncSession, user: User, topic: str | None) -> tuple[Handoff, bool]:
    """The learner's open request (new=True if just made now)."""
    existing = (await s.execute(select(Handoff).where(Handoff.user_id == user.id,
                                                      Handoff.status.in_(("open", "claimed")))
                                .order_by(Handoff.id.desc()))).scalars().first()
    if existing is not None:
        return existing, False
    h = Handoff(user_id=user.id, province_code=user.province_code, ward_code=user.ward_code,
                topic=topic[:120] if topic else None)
    s.add(h)
    await s.flush()
    return h, True


async def commune_volunteers(s: AsyncSession, ward_code: int) -> list[tuple[Staff, User]]:
    """Volunteers and the commune admin of a commune who can be reached in a chat."""
    rows = await s.execute(select(Staff, User).join(User, User.id == Staff.user_id).where(
        Staff.ward_code == ward_code, Staff.role.in_(("volunteer", "commune_admin")), Staff.active.is_(True),
        User.active.is_(True)))
    return [(st, u) for st, u in rows.all()]


async def queue(s: AsyncSession, staff: Staff, limit: int = 10) -> list[tuple[Handoff, User]]:
    """Open requests of the staff member's commune, oldest first."""
    if staff.ward_code is None:
        return []
    rows = await s.execute(select(Handoff, User).join(User, User.id == Handoff.user_id).where(
        Handoff.ward_code == staff.ward_code, Handoff.status == "open").order_by(Handoff.id).limit(limit))
    return [(h, u) for h, u in rows.all()]


async def claim_handoff(s: AsyncSession, staff: Staff, handoff_id: int) -> tuple[Handoff, User] | None:
    """Take a request of one's own commune; None if it is gone, taken, or of another commune."""
    done = await s.execute(update(Handoff).where(
        Handoff.id == handoff_id, Handoff.status == "open", Handoff.ward_code == staff.ward_code,
        Handoff.ward_code.is_not(None)).values(status="claimed", claimed_by_staff_id=staff.id, claimed_at=utcnow()))
    if done.rowcount != 1:  # type: ignore[attr-defined]
        return None
    row = (await s.execute(select(Handoff, User).join(User, User.id == Handoff.user_id)
                           .where(Handoff.id == handoff_id))).one()
    await link_learner(s, row[1].id, staff.id, "helped")
    return row[0], row[1]


async def close_handoff(s: AsyncSession, staff: Staff, handoff_id: int) -> tuple[Handoff, User] | None:
    """«Đã giúp xong»: the request and its learner, or None when it is not this volunteer's open request."""
    found = await claimed_by(s, staff, handoff_id)
    if found is None:
        return None
    found[0].status, found[0].closed_at = "closed", utcnow()
    await s.flush()
    return found


# ---------------------------------------------------------------- the volunteer and the learner writing through
# the tutor: the messages themselves go through the outbox and are never kept here.

RELAY_OPEN = timedelta(hours=48)  # the learner's words go to the volunteer this long after the last message


async def claimed_by(s: AsyncSession, staff: Staff, handoff_id: int) -> tuple[Handoff, User] | None:
    """A request this volunteer claimed and has not closed, with its learner."""
    row = (await s.execute(select(Handoff, User).join(User, User.id == Handoff.user_id).where(
        Handoff.id == handoff_id, Handoff.claimed_by_staff_id == staff.id, Handoff.status == "claimed"))).first()
    return (row[0], row[1]) if row is not None else None


async def claimed_for(s: AsyncSession, user_id: int) -> tuple[Handoff, Staff, User] | None:
    """The learner's request a volunteer is helping with now: the request, the volunteer and their chat account."""
    row = (await s.execute(select(Handoff, Staff, User).join(Staff, Staff.id == Handoff.claimed_by_staff_id)
                           .join(User, User.id == Staff.user_id).where(
        Handoff.user_id == user_id, Handoff.status == "claimed").order_by(Handoff.id.desc()).limit(1))).first()
    return (row[0], row[1], row[2]) if row is not None else None


def relay_open(handoff: Handoff, now: datetime) -> bool:
    """Whether the learner's typed words go to the volunteer (the conversation began and is still fresh)."""
    return handoff.status == "claimed" and handoff.relay_at is not None and now - as_utc(handoff.relay_at) <= RELAY_OPEN
