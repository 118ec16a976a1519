"""Households ("Gia đình số") and the classes and events of a commune: codes, repeating rules, replies,
reminders (once per occurrence and learner) and attendance, which becomes a support-log row.
"""

from __future__ import annotations

import calendar
import logging
import secrets
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    TZ,
    ClassAttendance,
    ClassEvent,
    ClassReminder,
    ClassReply,
    Household,
    Staff,
    SupportSession,
    User,
    utcnow,
)
from storage.repo import _insert_ignore

log = logging.getLogger(__name__)
# Typed by older people and read aloud: no 0/O, 1/I/L, U/V look-alikes.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
HOUSEHOLD_CODE_LENGTH = 6
REPEATS = ("once", "weekly", "monthly", "yearly")
LAST = 5  # nth = 5: the last such weekday of the month


# ---------------------------------------------------------------- households


async def create_household(s: AsyncSession, province_code: int | None, ward_code: int | None, hamlet: str | None,
                           made_by: str = "learner") -> Household:
    """A new household with a fresh code, counted in the given unit."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(HOUSEHOLD_CODE_LENGTH))
        # Letters and digits both, so a code typed on its own is told from a word or a number.
        if not (any(c.isdigit() for c in code) and any(c.isalpha() for c in code)):
            continue
        if (await s.execute(select(Household.id).where(Household.code == code))).first() is None:
            break
    row = Household(code=code, province_code=province_code, ward_code=ward_code, hamlet=hamlet,
                    made_by=made_by)
    s.add(row)
    await s.flush()
    return row


async def household_by_code(s: AsyncSession, text: str) -> Household | None:
    code = "".join(ch for ch in text.upper() if ch.isascii() and ch.isalnum())
    if len(code) != HOUSEHOLD_CODE_LENGTH:
        return None
    return (await s.execute(select(Household).where(Household.code == code))).scalar_one_or_none()


async def join_household(s: AsyncSession, user: User, household: Household) -> None:
    user.household_id = household.id
    user.household_joined_at = utcnow()
    await s.flush()


async def household_size(s: AsyncSession, household_id: int) -> int:
    return int((await s.execute(select(func.count()).select_from(User)
                                .where(User.household_id == household_id))).scalar_one())


# ---------------------------------------------------------------- classes: the repeating rule


def local_start(event: ClassEvent) -> datetime:
    start = event.starts_at if event.starts_at.tzinfo else event.starts_at.replace(tzinfo=ZoneInfo("UTC"))
    return start.astimezone(TZ)


def nth_weekday(year: int, month: int, weekday: int, nth: int) -> date | None:
    """The nth (1-4, or LAST) `weekday` (0 = Monday) of a month."""
    days = [d for d in range(1, calendar.monthrange(year, month)[1] + 1) if date(year, month, d).weekday() == weekday]
    if nth == LAST:
        return date(year, month, days[-1])
    return date(year, month, days[nth - 1]) if 1 <= nth <= len(days) else None


def _same_day(year: int, first: date) -> date:
    """`first`'s day and month in `year`; a 29 February falls on the 28th when the year has none."""
    try:
        return date(year, first.month, first.day)
    except ValueError:
        return date(year, first.month, first.day - 1)


def occurrences(event: ClassEvent, start: date, end: date) -> list[date]:
    """The days in [start, end] (Vietnam dates) the event takes place, by its rule.

    A row whose rule cannot be worked out (edited by hand, say) takes place on no day and is logged, so it
    cannot stop the reminders, listings and reports of every other event."""
    try:
        return _occurrences(event, start, end)
    except (ValueError, IndexError, TypeError, OverflowError):
        log.exception("class %s: dates could not be worked out; shown on no day", event.id)
        return []


def _occurrences(event: ClassEvent, start: date, end: date) -> list[date]:
    first = local_start(event).date()
    lo = max(start, first)
    if lo > end:
        return []
    if event.repeat == "once":
        return [first] if start <= first <= end else []
    if event.repeat == "weekly":
        weekday = first.weekday() if event.weekday is None else event.weekday
        day = lo + timedelta(days=(weekday - lo.weekday()) % 7)
        weeks = []
        while day <= end:
            weeks.append(day)
            day += timedelta(days=7)
        return weeks
    out: list[date] = []
    year, month = lo.year, lo.month
    while date(year, month, 1) <= end:
        if event.repeat == "monthly":
            d: date | None = nth_weekday(year, month, first.weekday() if event.weekday is None else event.weekday,
                            event.nth or 1)
        else:  # yearly, on the first day's date (29 February: on the 28th in other years)
            d = _same_day(year, first) if month == first.month else None
        if d is not None and lo <= d <= end:
            out.append(d)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def next_occurrence(event: ClassEvent, after: date, within_days: int = 400) -> date | None:
    found = occurrences(event, after, after + timedelta(days=within_days))
    return found[0] if found else None


def at_time(event: ClassEvent, day: date) -> datetime:
    """When the occurrence on `day` begins (Vietnam time)."""
    return datetime.combine(day, local_start(event).time(), tzinfo=TZ)


async def create_class(s: AsyncSession, staff: Staff, topic: str, repeat: str, first: date, at: time,
                       place: str, hamlet: str | None, organiser: str, nth: int | None = None,
                       kind: str = "class") -> ClassEvent:
    """Announce a class (or, for a province admin, a campaign day) in the staff member's unit."""
    if repeat not in REPEATS:
        raise ValueError(f"unknown repeat {repeat!r}")
    event = ClassEvent(kind=kind, staff_id=staff.id, province_code=staff.province_code, ward_code=staff.ward_code,
                       hamlet=hamlet, place=place[:200], topic=topic, organiser=organiser[:80],
                       starts_at=datetime.combine(first, at, tzinfo=TZ), repeat=repeat,
                       weekday=first.weekday() if repeat in ("weekly", "monthly") else None,
                       nth=nth if repeat == "monthly" else None)
    s.add(event)
    await s.flush()
    return event


async def classes_for(s: AsyncSession, province_code: int | None, ward_code: int | None) -> list[ClassEvent]:
    """Active classes of a commune and campaigns of its province."""
    rows = await s.execute(select(ClassEvent).where(ClassEvent.active.is_(True)).order_by(ClassEvent.id))
    return [e for e in rows.scalars() if (e.ward_code is not None and e.ward_code == ward_code)
            or (e.ward_code is None and e.province_code is not None and e.province_code == province_code)]


async def campaigns_of(s: AsyncSession, province_code: int) -> list[ClassEvent]:
    """A province's active campaign days, yearly ones first, in the order they were set."""
    rows = await s.execute(select(ClassEvent).where(
        ClassEvent.kind == "campaign", ClassEvent.province_code == province_code, ClassEvent.ward_code.is_(None),
        ClassEvent.active.is_(True)).order_by(ClassEvent.id))
    return sorted(rows.scalars(), key=lambda e: (e.repeat != "yearly", e.id))


async def reply_going(s: AsyncSession, class_id: int, day: date, user_id: int) -> bool:
    """Record "Tôi sẽ đến" once; False if it was already recorded."""
    done = await s.execute(_insert_ignore(s, ClassReply, class_id=class_id, day=day, user_id=user_id,
                                          created_at=utcnow()).returning(ClassReply.id))
    return done.first() is not None


async def going_count(s: AsyncSession, class_id: int, day: date) -> int:
    return int((await s.execute(select(func.count()).select_from(ClassReply).where(
        ClassReply.class_id == class_id, ClassReply.day == day))).scalar_one())


async def claim_reminder(s: AsyncSession, class_id: int, day: date, user_id: int) -> bool:
    """True the first time only: the reminder of this occurrence for this learner may be sent."""
    done = await s.execute(_insert_ignore(s, ClassReminder, class_id=class_id, day=day, user_id=user_id,
                                          sent_at=utcnow()).returning(ClassReminder.id))
    return done.first() is not None


async def attended(s: AsyncSession, class_ids: list[int]) -> set[tuple[int, date]]:
    """(class, day) pairs whose attendance is already recorded."""
    rows = await s.execute(select(ClassAttendance).where(ClassAttendance.class_id.in_(class_ids)))
    return {(a.class_id, a.day) for a in rows.scalars()}


async def record_attendance(s: AsyncSession, staff: Staff, event: ClassEvent, day: date,
                            people: int) -> ClassAttendance:
    """How many came: one support-log row per occurrence (corrected, not doubled, when recorded again)."""
    if not 1 <= people <= 500:
        raise ValueError("people out of range")
    row = (await s.execute(select(ClassAttendance).where(ClassAttendance.class_id == event.id,
                                                         ClassAttendance.day == day))).scalar_one_or_none()
    session = await s.get(SupportSession, row.support_session_id) if row and row.support_session_id else None
    if session is None:
        session = SupportSession(staff_id=staff.id, topic=event.topic, people=people,
                                 province_code=event.province_code, ward_code=event.ward_code, hamlet=event.hamlet,
                                 created_at=at_time(event, day))
        s.add(session)
        await s.flush()
    session.people = people
    if row is None:
        row = ClassAttendance(class_id=event.id, day=day, people=people, support_session_id=session.id)
        s.add(row)
    row.people, row.support_session_id, row.recorded_at = people, session.id, utcnow()
    await s.flush()
    return row
