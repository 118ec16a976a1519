"""The commune's Tổ công nghệ số cộng đồng: who is on it, which thôn each member covers, what they did in a
period; the thôn and communes nobody covers; and "đôn đốc", one kind reminder to a learner who started and
stalled.

Members are the active volunteers and commune admins of a commune (the plans put commune officers at the head
of the team). A thôn is "known" when a registered learner gave it or the commune set a target for it
(UnitTarget "X<commune>:<thôn>"), and "covered" when a member covers it; names match by their folded
spelling, so "thon 3" and "Thôn 3" are one thôn.

Reminders: at most one per learner in any NUDGE_GAP, whoever sends it. The claim locks the learner (the same
lock their own messages take), reads the last reminder and records the new one in the caller's transaction,
with the message queued in the outbox beside it, so two volunteers pressing at once send one.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import repo, units
from storage.models import (
    Completion,
    Nudge,
    QuizAttempt,
    Staff,
    StaffHamlet,
    SupportSession,
    UnitTarget,
    User,
    VolunteerLink,
    as_utc,
)
from storage.roles import ScopeError, may_see
from storage.units import Scope

MEMBER_ROLES = ("volunteer", "commune_admin")
NUDGE_GAP = timedelta(days=7)
MAX_HAMLETS = 30  # thôn one member covers
_SPLIT = re.compile(r"\s*(?:[,;/\n]|\bvà\b|\bva\b)\s*", re.I)


# ---------------------------------------------------------------- coverage


def _natural(name: str) -> list[Any]:
    """Sort key: "Thôn 2" before "Thôn 10"."""
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", units.hamlet_key(name))]


def parse_hamlets(text: str) -> list[str]:
    """Thôn names typed in one line ("Thôn 3, thon 5 và Tổ 2"), normalised, each once."""
    out: dict[str, str] = {}
    for part in _SPLIT.split(text):
        name = units.normalise_hamlet(part)[:120]
        if name and units.hamlet_key(name) not in out:
            out[units.hamlet_key(name)] = name
    return list(out.values())[:MAX_HAMLETS]


async def coverage(s: AsyncSession, staff_id: int) -> list[str]:
    """The thôn one member covers, in natural order."""
    rows = (await s.execute(select(StaffHamlet.hamlet).where(StaffHamlet.staff_id == staff_id))).scalars()
    return sorted(rows, key=_natural)


async def set_coverage(s: AsyncSession, staff: Staff, hamlets: list[str]) -> list[str]:
    """Replace the thôn a member covers (names are normalised); returns them as stored."""
    await s.execute(delete(StaffHamlet).where(StaffHamlet.staff_id == staff.id))
    names = parse_hamlets(", ".join(hamlets)) if hamlets else []
    for name in names:
        s.add(StaffHamlet(staff_id=staff.id, hamlet=name))
    await s.flush()
    return sorted(names, key=_natural)


async def add_coverage(s: AsyncSession, staff: Staff, hamlet: str) -> list[str]:
    """Add one thôn to what a member covers (nothing changes when it is there already)."""
    current = await coverage(s, staff.id)
    return await set_coverage(s, staff, [*current, hamlet])


async def members(s: AsyncSession, ward_code: int) -> list[Staff]:
    """The active members of a commune's team, volunteers first, then by name."""
    rows = (await s.execute(select(Staff).where(Staff.ward_code == ward_code, Staff.active.is_(True),
                                                Staff.role.in_(MEMBER_ROLES)))).scalars()
    return sorted(rows, key=lambda st: (st.role != "volunteer", (st.display_name or "").lower(), st.id))


async def known_hamlets(s: AsyncSession, ward_code: int) -> list[str]:
    """Thôn of a commune that registered learners gave or that have a target, in natural order."""
    c = units.commune(ward_code)
    found = await _known(s, Scope(c.province_code if c else None, ward_code), None)
    return sorted((name for name, _ in found.get(ward_code, {}).values()), key=_natural)


# ---------------------------------------------------------------- the team report


@dataclass
class Member:
    """One member's results in a period."""

    staff_id: int
    display_name: str | None
    role: str
    ward_code: int | None
    hamlets: list[str] = field(default_factory=list)
    linked: int = 0  # learners who agreed to let this member follow them (up to the end of the period)
    completed: int = 0  # of those, who completed the programme in the period
    sessions: int = 0
    people: int = 0
    by_topic: dict[str, int] = field(default_factory=dict)  # support topic -> people helped
    nudges: int = 0


@dataclass
class HamletRow:
    """A thôn of the commune: registered learners, and the members who cover it (empty: nobody)."""

    name: str
    learners: int = 0
    covered_by: list[int] = field(default_factory=list)  # staff ids


@dataclass
class UnitRow:
    """A unit's team in a period: a commune, or the sum over the communes of a province or the country."""

    key: str
    name: str
    child_code: str | None = None
    communes: int = 0
    communes_with_volunteers: int = 0
    volunteers: int = 0
    members: int = 0
    hamlets_known: int = 0
    hamlets_covered: int = 0  # known thôn that a member covers
    hamlets_uncovered: int = 0
    sessions: int = 0
    people: int = 0
    nudges: int = 0

    def add(self, other: UnitRow) -> None:
        for name in ("communes", "communes_with_volunteers", "volunteers", "members", "hamlets_known",
                     "hamlets_covered", "hamlets_uncovered", "sessions", "people", "nudges"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class TeamReport:
    scope: Scope
    since: datetime | None
    until: datetime | None
    total: UnitRow
    children: list[UnitRow] = field(default_factory=list)  # communes of a province, provinces of the country
    members: list[Member] = field(default_factory=list)  # a commune only
    hamlets: list[HamletRow] = field(default_factory=list)  # a commune only
    by_topic: dict[str, tuple[int, int]] = field(default_factory=dict)  # topic -> (sessions, people)
    # Communes inside the unit with no volunteer: (code, name, province name).
    no_volunteer: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def uncovered(self) -> list[str]:
        """Thôn of the commune that no member covers."""
        return [h.name for h in self.hamlets if not h.covered_by]


def _where(scope: Scope, model: Any) -> list[Any]:
    if scope.ward_code is not None:
        return [model.ward_code == scope.ward_code]
    if scope.province_code is not None:
        return [model.province_code == scope.province_code]
    return [model.ward_code.is_not(None)]


def _between(column: Any, since: datetime | None, until: datetime | None) -> list[Any]:
    return [c for c in (column >= since if since is not None else None,
                        column < until if until is not None else None) if c is not None]


async def _known(s: AsyncSession, scope: Scope, until: datetime | None) -> dict[int, dict[str, tuple[str, int]]]:
    """Per commune: thôn key -> (name as most learners wrote it, registered learners)."""
    rows = await s.execute(select(User.ward_code, User.hamlet, func.count()).where(
        User.consent_at.is_not(None), User.hamlet.is_not(None), User.hamlet != "", *_where(scope, User),
        *_between(User.consent_at, None, until)).group_by(User.ward_code, User.hamlet))
    spellings: dict[int, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for ward, hamlet, n in rows.all():
        key = units.hamlet_key(str(hamlet))
        if key and ward is not None:
            spellings[int(ward)][key][str(hamlet)] = int(n)
    out: dict[int, dict[str, tuple[str, int]]] = defaultdict(dict)
    for ward, names in spellings.items():
        for key, counts in names.items():  # shown as most learners wrote it
            out[ward][key] = (max(counts, key=lambda name: (counts[name], name)), sum(counts.values()))
    prefix = f"X{scope.ward_code}:" if scope.ward_code is not None else "X"
    targets = await s.execute(select(UnitTarget.unit).where(UnitTarget.unit.like(f"{prefix}%"),
                                                            UnitTarget.unit.contains(":")))
    for unit in targets.scalars():
        code, _, hamlet = str(unit).partition(":")
        if not code[1:].isdigit() or not hamlet.strip():
            continue
        ward = int(code[1:])
        commune = units.commune(ward)
        if commune is None or not scope.contains(commune.province_code, ward):
            continue
        out[ward].setdefault(units.hamlet_key(hamlet), (units.normalise_hamlet(hamlet), 0))
    return out


async def report_for(s: AsyncSession, staff: Staff | None, scope: Scope, since: datetime | None = None,
                     until: datetime | None = None) -> TeamReport:
    """report() for a person: admins of the unit or above only (the same rule as the statistics)."""
    if not may_see(staff, scope):
        raise ScopeError(scope.code)
    return await report(s, scope, since, until)


async def report(s: AsyncSession, scope: Scope, since: datetime | None = None,
                 until: datetime | None = None) -> TeamReport:
    """The team of a commune, or of every commune in a province or the country, over [since, until).

    Members and the thôn they cover are as they are now (members who joined after `until` left out); thôn
    are known from learners registered by `until` and from targets; help, completions and reminders are
    counted in the period.
    """
    staff = (await s.execute(select(Staff).where(
        Staff.active.is_(True), Staff.role.in_(MEMBER_ROLES), *_where(scope, Staff),
        *_between(Staff.created_at, None, until)))).scalars().all()
    by_ward: dict[int, list[Staff]] = defaultdict(list)
    for st in staff:
        if st.ward_code is not None:
            by_ward[st.ward_code].append(st)
    covers = await s.execute(select(StaffHamlet.staff_id, StaffHamlet.hamlet).join(
        Staff, Staff.id == StaffHamlet.staff_id).where(Staff.active.is_(True), Staff.role.in_(MEMBER_ROLES),
                                                       *_where(scope, Staff)))
    covered_by: dict[int, list[str]] = defaultdict(list)
    for staff_id, hamlet in covers.all():
        covered_by[int(staff_id)].append(str(hamlet))
    known = await _known(s, scope, until)
    support = await s.execute(select(
        SupportSession.ward_code, SupportSession.staff_id, SupportSession.topic, func.count(),
        func.sum(SupportSession.people)).where(*_where(scope, SupportSession),
                                               *_between(SupportSession.created_at, since, until))
        .group_by(SupportSession.ward_code, SupportSession.staff_id, SupportSession.topic))
    nudged = await s.execute(select(Nudge.ward_code, Nudge.staff_id, func.count()).where(
        *_where(scope, Nudge), *_between(Nudge.sent_at, since, until)).group_by(Nudge.ward_code, Nudge.staff_id))

    rows: dict[int, UnitRow] = {}

    def row(ward: int) -> UnitRow:
        if ward not in rows:
            c = units.commune(ward)
            rows[ward] = UnitRow(str(ward), c.name if c else str(ward), f"X{ward}", communes=1)
        return rows[ward]

    for ward, team in by_ward.items():
        r = row(ward)
        r.members = len(team)
        r.volunteers = sum(st.role == "volunteer" for st in team)
        r.communes_with_volunteers = int(r.volunteers > 0)
    for ward in set(known) | {w for w, team in by_ward.items() if any(covered_by.get(st.id) for st in team)}:
        keys = set(known.get(ward, {}))
        covered = {units.hamlet_key(h) for st in by_ward.get(ward, []) for h in covered_by.get(st.id, [])}
        r = row(ward)
        r.hamlets_known = len(keys)
        r.hamlets_covered = len(keys & covered)
        r.hamlets_uncovered = len(keys - covered)
    by_topic: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    per_staff: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for in_ward, sender, topic, n, people in support.all():
        if in_ward is None:
            continue
        r = row(int(in_ward))
        r.sessions += int(n)
        r.people += int(people or 0)
        by_topic[str(topic)][0] += int(n)
        by_topic[str(topic)][1] += int(people or 0)
        if sender is not None:
            per_staff[int(sender)][str(topic)][0] += int(n)
            per_staff[int(sender)][str(topic)][1] += int(people or 0)
    nudges_of: dict[int, int] = defaultdict(int)
    for in_ward, sender, n in nudged.all():
        if in_ward is not None:
            row(int(in_ward)).nudges += int(n)
        if sender is not None:
            nudges_of[int(sender)] += int(n)

    rep = TeamReport(scope, since, until, UnitRow(scope.code, scope.name, scope.code),
                     by_topic={t: (v[0], v[1]) for t, v in sorted(by_topic.items())})
    if scope.ward_code is not None:
        rep.total = row(scope.ward_code)
        rep.total.key, rep.total.name = scope.code, scope.name
        if rep.total.volunteers == 0:
            rep.no_volunteer = [_commune_entry(scope.ward_code)]
        await _commune_details(s, rep, by_ward.get(scope.ward_code, []), covered_by, known.get(scope.ward_code, {}),
                               per_staff, nudges_of, since, until)
        return rep
    wards = ([c.code for c in units.communes_of(scope.province_code)] if scope.province_code is not None
             else [c.code for p in sorted(units.all_province_codes()) for c in units.communes_of(p)])
    for ward in wards:
        row(ward)
    rep.no_volunteer = [_commune_entry(w) for w in wards if rows[w].volunteers == 0]
    if scope.province_code is not None:
        rep.children = [rows[w] for w in wards]
    else:
        provinces: dict[int, UnitRow] = {}
        for ward in wards:
            c = units.commune(ward)
            assert c is not None
            p = provinces.setdefault(c.province_code, UnitRow(str(c.province_code), c.province_name,
                                                              f"P{c.province_code}"))
            p.add(rows[ward])
        rep.children = list(provinces.values())
    for child in rep.children:
        rep.total.add(child)
    return rep


def _commune_entry(ward: int) -> tuple[int, str, str]:
    c = units.commune(ward)
    return (ward, c.name, c.province_name) if c else (ward, str(ward), "")


async def _commune_details(s: AsyncSession, rep: TeamReport, team: list[Staff], covered_by: dict[int, list[str]],
                           known: dict[str, tuple[str, int]], per_staff: dict[int, dict[str, list[int]]],
                           nudges_of: dict[int, int], since: datetime | None, until: datetime | None) -> None:
    ids = [st.id for st in team]
    linked: dict[int, int] = {}
    completed: dict[int, int] = {}
    if ids:
        linked = {int(k): int(n) for k, n in (await s.execute(
            select(VolunteerLink.staff_id, func.count()).where(
                VolunteerLink.staff_id.in_(ids), *_between(VolunteerLink.created_at, None, until))
            .group_by(VolunteerLink.staff_id))).all()}
        completed = {int(k): int(n) for k, n in (await s.execute(
            select(VolunteerLink.staff_id, func.count(func.distinct(Completion.user_id)))
            .join(Completion, Completion.user_id == VolunteerLink.user_id).where(
                VolunteerLink.staff_id.in_(ids), *_between(Completion.completed_at, since, until))
            .group_by(VolunteerLink.staff_id))).all()}
    ordered = sorted(team, key=lambda st: (st.role != "volunteer", (st.display_name or "").lower(), st.id))
    for st in ordered:
        topics = per_staff.get(st.id, {})
        rep.members.append(Member(
            st.id, st.display_name, st.role, st.ward_code, sorted(covered_by.get(st.id, []), key=_natural),
            linked.get(st.id, 0), completed.get(st.id, 0), sum(v[0] for v in topics.values()),
            sum(v[1] for v in topics.values()), {t: v[1] for t, v in sorted(topics.items())},
            nudges_of.get(st.id, 0)))
    hamlets = {key: HamletRow(name, n) for key, (name, n) in known.items()}
    for st in ordered:
        for name in covered_by.get(st.id, []):
            key = units.hamlet_key(name)
            hamlets.setdefault(key, HamletRow(name)).covered_by.append(st.id)
    rep.hamlets = sorted(hamlets.values(), key=lambda h: _natural(h.name))


# ---------------------------------------------------------------- đôn đốc


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

