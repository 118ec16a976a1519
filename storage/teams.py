"""The commune's Tổ công nghệ số cộng đồng: who is on it, which thôn each member covers, what they did in a
period; the thôn and communes nobody covers. "Đôn đốc", one kind reminder to a learner who started and
stalled, is in storage/nudges.py.

Members are the active volunteers and commune admins of a commune (the plans put commune officers at the head
of the team). A thôn is "known" when a registered learner gave it or the commune set a target for it
(UnitTarget "X<commune>:<thôn>"), and "covered" when a member covers it; names match by their folded
spelling, so "thon 3" and "Thôn 3" are one thôn.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import units
from storage.models import (
    Completion,
    Nudge,
    Staff,
    StaffHamlet,
    SupportSession,
    UnitTarget,
    User,
    VolunteerLink,
)
from storage.query import between, in_scope
from storage.roles import ScopeError, may_see
from storage.units import Scope

MEMBER_ROLES = ("volunteer", "commune_admin")
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
    """A team's rows belong to a commune: nationwide, those with one."""
    return in_scope(scope, model, nationwide=model.ward_code)


async def _known(s: AsyncSession, scope: Scope, until: datetime | None) -> dict[int, dict[str, tuple[str, int]]]:
    """Per commune: thôn key -> (name as most learners wrote it, registered learners)."""
    rows = await s.execute(select(User.ward_code, User.hamlet, func.count()).where(
        User.consent_at.is_not(None), User.hamlet.is_not(None), User.hamlet != "", *_where(scope, User),
        *between(User.consent_at, None, until)).group_by(User.ward_code, User.hamlet))
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


class _Rows(dict[int, "UnitRow"]):
    """A row per commune, made when first needed."""

    def row(self, ward: int) -> UnitRow:
        if ward not in self:
            c = units.commune(ward)
            self[ward] = UnitRow(str(ward), c.name if c else str(ward), f"X{ward}", communes=1)
        return self[ward]


async def report(s: AsyncSession, scope: Scope, since: datetime | None = None,
                 until: datetime | None = None) -> TeamReport:
    """The team of a commune, or of every commune in a province or the country, over [since, until).

    Members and the thôn they cover are as they are now (members who joined after `until` left out); thôn
    are known from learners registered by `until` and from targets; help, completions and reminders are
    counted in the period.
    """
    by_ward, covered_by = await _members(s, scope, until)
    known = await _known(s, scope, until)
    rows = _Rows()
    for ward, team in by_ward.items():
        r = rows.row(ward)
        r.members = len(team)
        r.volunteers = sum(st.role == "volunteer" for st in team)
        r.communes_with_volunteers = int(r.volunteers > 0)
    for ward in set(known) | {w for w, team in by_ward.items() if any(covered_by.get(st.id) for st in team)}:
        keys = set(known.get(ward, {}))
        covered = {units.hamlet_key(h) for st in by_ward.get(ward, []) for h in covered_by.get(st.id, [])}
        r = rows.row(ward)
        r.hamlets_known, r.hamlets_covered, r.hamlets_uncovered = len(keys), len(keys & covered), len(keys - covered)
    by_topic, per_staff = await _support(s, scope, since, until, rows)
    nudges_of = await _nudges(s, scope, since, until, rows)
    rep = TeamReport(scope, since, until, UnitRow(scope.code, scope.name, scope.code),
                     by_topic={t: (v[0], v[1]) for t, v in sorted(by_topic.items())})
    if scope.ward_code is not None:
        rep.total = rows.row(scope.ward_code)
        rep.total.key, rep.total.name = scope.code, scope.name
        if rep.total.volunteers == 0:
            rep.no_volunteer = [_commune_entry(scope.ward_code)]
        await _commune_details(s, rep, by_ward.get(scope.ward_code, []), covered_by, known.get(scope.ward_code, {}),
                               per_staff, nudges_of, since, until)
        return rep
    _roll_up(rep, scope, rows)
    return rep


async def _members(s: AsyncSession, scope: Scope,
                   until: datetime | None) -> tuple[dict[int, list[Staff]], dict[int, list[str]]]:
    """Active members per commune (joined by `until`), and the thôn each covers."""
    staff = (await s.execute(select(Staff).where(
        Staff.active.is_(True), Staff.role.in_(MEMBER_ROLES), *_where(scope, Staff),
        *between(Staff.created_at, None, until)))).scalars().all()
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
    return by_ward, covered_by


async def _support(s: AsyncSession, scope: Scope, since: datetime | None, until: datetime | None,
                   rows: _Rows) -> tuple[dict[str, list[int]], dict[int, dict[str, list[int]]]]:
    """Support sessions and people helped per commune, per topic and per member."""
    support = await s.execute(select(
        SupportSession.ward_code, SupportSession.staff_id, SupportSession.topic, func.count(),
        func.sum(SupportSession.people)).where(*_where(scope, SupportSession),
                                               *between(SupportSession.created_at, since, until))
        .group_by(SupportSession.ward_code, SupportSession.staff_id, SupportSession.topic))
    by_topic: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    per_staff: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for in_ward, sender, topic, n, people in support.all():
        if in_ward is None:
            continue
        r = rows.row(int(in_ward))
        r.sessions += int(n)
        r.people += int(people or 0)
        by_topic[str(topic)][0] += int(n)
        by_topic[str(topic)][1] += int(people or 0)
        if sender is not None:
            per_staff[int(sender)][str(topic)][0] += int(n)
            per_staff[int(sender)][str(topic)][1] += int(people or 0)
    return by_topic, per_staff


async def _nudges(s: AsyncSession, scope: Scope, since: datetime | None, until: datetime | None,
                  rows: _Rows) -> dict[int, int]:
    """Reminders to learn (đôn đốc) per commune; returns them per member."""
    nudged = await s.execute(select(Nudge.ward_code, Nudge.staff_id, func.count()).where(
        *_where(scope, Nudge), *between(Nudge.sent_at, since, until)).group_by(Nudge.ward_code, Nudge.staff_id))
    nudges_of: dict[int, int] = defaultdict(int)
    for in_ward, sender, n in nudged.all():
        if in_ward is not None:
            rows.row(int(in_ward)).nudges += int(n)
        if sender is not None:
            nudges_of[int(sender)] += int(n)
    return nudges_of


def _roll_up(rep: TeamReport, scope: Scope, rows: _Rows) -> None:
    """A province's or the country's report: every commune (or province) listed, then the total."""
    wards = ([c.code for c in units.communes_of(scope.province_code)] if scope.province_code is not None
             else [c.code for p in sorted(units.all_province_codes()) for c in units.communes_of(p)])
    for ward in wards:
        rows.row(ward)
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
                VolunteerLink.staff_id.in_(ids), *between(VolunteerLink.created_at, None, until))
            .group_by(VolunteerLink.staff_id))).all()}
        completed = {int(k): int(n) for k, n in (await s.execute(
            select(VolunteerLink.staff_id, func.count(func.distinct(Completion.user_id)))
            .join(Completion, Completion.user_id == VolunteerLink.user_id).where(
                VolunteerLink.staff_id.in_(ids), *between(Completion.completed_at, since, until))
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
