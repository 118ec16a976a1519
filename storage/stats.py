"""Completion statistics: read-only SQL aggregates that roll up thôn → xã/phường → tỉnh → cả nước.

One module for every view (CLI now; web pages, Telegram /thongke and scheduled reports later).
Units are the post-1/7/2025 ones; a unit with no data is listed with zeros.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, distinct, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from vietnam_provinces import Ward

from storage import units
from storage.models import (
    TIMEZONE,
    TZ,
    ActivityDay,
    Completion,
    Household,
    QuestionLog,
    QuizAttempt,
    ReportNote,
    Staff,
    SupportSession,
    UnitTarget,
    UpstreamReport,
    User,
    utcnow,
)
from storage.roles import ScopeError, may_see
from storage.units import Scope

# Row metrics in display order (Vietnamese labels: bot.messages.STATS_LABELS).
COLUMNS = ("registered", "active", "quizzes", "avg_score", "lessons_passed", "completions", "completions_to_date",
           "target", "completion_rate", "goal_completion",
           "platform_confirmed", "confirmed_rate", "goal_confirmed",
           "vneid_level2", "vneid_level2_16", "population_16", "vneid_rate", "goal_vneid",
           "households_part", "households_done", "households_target", "households_rate", "goal_households",
           "support_sessions", "people_helped", "questions", "declined", "scam_alerts")
# Columns shown as percentages (rates are fractions; goals are the plan's whole percentages).
RATE_COLUMNS = frozenset({"avg_score", "completion_rate", "confirmed_rate", "vneid_rate", "households_rate"})
GOAL_COLUMNS = frozenset({"goal_completion", "goal_confirmed", "goal_vneid", "goal_households"})
METRICS = COLUMNS  # the name the CLI used first
# Metrics that are counts and add up from child units to their parent.
ADDITIVE = ("registered", "active", "quizzes", "lessons_passed", "completions", "completions_to_date",
            "households_done", "households_part", "vneid_level2", "vneid_level2_16", "platform_confirmed",
            "support_sessions", "people_helped", "questions", "declined", "scam_alerts")
# Metrics an upstream (child instance) report carries; the in-period ones add up over quarters.
UPSTREAM_CUMULATIVE = ("registered", "vneid_level2", "completions_to_date", "households_done", "households_part",
                       "vneid_level2_16", "platform_confirmed")
UPSTREAM_PERIODIC = ("active", "quizzes", "lessons_passed", "completions", "support_sessions", "people_helped",
                     "questions", "declined", "scam_alerts")


@dataclass
class Row:
    key: str
    name: str
    registered: int = 0
    active: int = 0
    quizzes: int = 0
    avg_score: float | None = None
    lessons_passed: int = 0
    completions: int = 0  # in the period
    completions_to_date: int = 0  # since the start, up to the end of the period (for the completion rate)
    # "Gia đình số": households (counted in the unit where they were made) with a member who completed, to date.
    households_done: int = 0
    households_part: int = 0  # households with at least one registered member, to date
    vneid_level2: int = 0
    vneid_level2_16: int = 0  # of them, learners not known to be under 16 (the plans' "from 16")
    platform_confirmed: int = 0  # confirmed on binhdanhocvuso.gov.vn (self-reported or seen by a volunteer)
    support_sessions: int = 0
    people_helped: int = 0
    questions: int = 0
    declined: int = 0
    scam_alerts: int = 0  # messages describing a scam in progress (counted, never kept)
    target: int | None = None  # adult population (the plan of the period's year)
    population_16: int | None = None
    households_target: int | None = None  # households in the unit
    goal_completion: int | None = None  # the plan's target percentages
    goal_confirmed: int | None = None
    goal_vneid: int | None = None
    goal_households: int | None = None
    child_code: str | None = None  # the unit code to drill into; None for thôn rows

    @property
    def completion_rate(self) -> float | None:
        """Programme completions to date over the unit's target population."""
        if not self.target:
            return None
        return self.completions_to_date / self.target

    @property
    def confirmed_rate(self) -> float | None:
        """Confirmed on the national platform over the adult population."""
        return self.platform_confirmed / self.target if self.target else None

    @property
    def vneid_rate(self) -> float | None:
        """Learners from 16 with a level-2 VNeID over the population from 16."""
        return self.vneid_level2_16 / self.population_16 if self.population_16 else None

    @property
    def households_rate(self) -> float | None:
        """Households taking part over the number of households."""
        return self.households_part / self.households_target if self.households_target else None

    @property
    def households_done_rate(self) -> float | None:
        return self.households_done / self.households_target if self.households_target else None

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["completion_rate"] = self.completion_rate
        out["confirmed_rate"] = self.confirmed_rate
        out["vneid_rate"] = self.vneid_rate
        out["households_rate"] = self.households_rate
        out["households_done_rate"] = self.households_done_rate
        return out


@dataclass
class Breakdown:
    key: str
    name: str
    registered: int = 0
    completions: int = 0
    target: int | None = None  # the group's population, where the unit's plan has it

    @property
    def completion_rate(self) -> float | None:
        return self.completions / self.target if self.target else None


@dataclass
class LessonStat:
    lesson_id: str
    quizzes: int = 0
    avg_score: float | None = None
    passed: int = 0


@dataclass
class ReviewItem:
    """A question to look at again: answered but marked 👎 (or declined), counted, never with who asked."""

    topic: str  # "" for declined questions, which have no topic
    lesson_id: str
    text: str
    n: int


@dataclass
class Report:
    scope: Scope
    since: datetime | None
    until: datetime | None
    total: Row
    children: list[Row] = field(default_factory=list)
    by_group: list[Breakdown] = field(default_factory=list)
    by_age: list[Breakdown] = field(default_factory=list)
    by_lesson: list[LessonStat] = field(default_factory=list)
    questions_by_topic: dict[str, int] = field(default_factory=dict)
    declined_questions: list[tuple[str, int]] = field(default_factory=list)
    feedback_by_topic: dict[str, tuple[int, int]] = field(default_factory=dict)  # topic -> (👍, 👎)
    disliked: list[ReviewItem] = field(default_factory=list)  # 👎 answers, most frequent first
    timeline: list[tuple[date, int]] = field(default_factory=list)  # completions per week (its Monday)
    upstream_sources: list[str] = field(default_factory=list)


async def report_for(s: AsyncSession, staff: Staff | None, scope: Scope, since: datetime | None = None,
                     until: datetime | None = None, pass_ratio: float = 0.8, declined_limit: int = 50) -> Report:
    """report() for a person: the unit is checked here, so no view can forget it. Raises ScopeError."""
    if not may_see(staff, scope):
        raise ScopeError(scope.code)
    return await report(s, scope, since, until, pass_ratio, declined_limit)


def _child_column(scope: Scope, model: Any) -> Any:
    if scope.ward_code is not None:
        return model.hamlet
    if scope.province_code is not None:
        return model.ward_code
    return model.province_code


def _in_scope(scope: Scope, model: Any) -> list[Any]:
    if scope.ward_code is not None:
        return [model.ward_code == scope.ward_code]
    if scope.province_code is not None:
        return [model.province_code == scope.province_code]
    return [model.province_code.is_not(None)]


def _between(column: Any, since: datetime | None, until: datetime | None) -> list[Any]:
    out = []
    if since is not None:
        out.append(column >= since)
    if until is not None:
        out.append(column < until)
    return out


async def _grouped(s: AsyncSession, stmt: Any) -> dict[Any, tuple[Any, ...]]:
    return {row[0]: tuple(row[1:]) for row in (await s.execute(stmt)).all()}


def _key(value: Any) -> str:
    return "" if value is None else str(value)


async def report(s: AsyncSession, scope: Scope, since: datetime | None = None, until: datetime | None = None,
                 pass_ratio: float = 0.8, declined_limit: int = 50) -> Report:
    """Counts for a unit and each of its child units over a period.

    "registered", "vneid_level2" and "completions_to_date" are as of `until`; the rest happen in the period.
    """
    uc = _child_column(scope, User)
    registered_users = and_(User.consent_at.is_not(None), *_in_scope(scope, User),
                            *_between(User.consent_at, None, until))
    confirmed = and_(User.platform_confirmed_at.is_not(None), *_between(User.platform_confirmed_at, None, until))
    reg = await _grouped(s, select(uc, func.count(), func.count().filter(User.vneid_level2.is_(True)),
                                   func.count().filter(User.vneid_level2.is_(True), FROM_16),
                                   func.count().filter(confirmed))
                         .where(registered_users).group_by(uc))
    # Active: wrote on a day of the period (dated rows, so a past period is counted as it was).
    active = await _grouped(s, select(uc, func.count(distinct(ActivityDay.user_id)))
                            .join(User, User.id == ActivityDay.user_id)
                            .where(registered_users, *_days_between(ActivityDay.day, since, until)).group_by(uc))
    attempts = and_(QuizAttempt.status == "finished", QuizAttempt.kind == "lesson",
                    *_between(QuizAttempt.finished_at, since, until))
    quiz = await _grouped(s, select(uc, func.count(), func.avg(QuizAttempt.score))
                          .join(User, User.id == QuizAttempt.user_id).where(registered_users, attempts).group_by(uc))
    passed_pairs = (select(uc.label("unit"), QuizAttempt.user_id, QuizAttempt.lesson_id)
                    .join(User, User.id == QuizAttempt.user_id)
                    .where(registered_users, attempts, QuizAttempt.score >= pass_ratio - 1e-9)
                    .group_by(uc, QuizAttempt.user_id, QuizAttempt.lesson_id).subquery())
    passed = await _grouped(s, select(passed_pairs.c.unit, func.count()).group_by(passed_pairs.c.unit))
    cc = _child_column(scope, Completion)
    done = await _grouped(s, select(cc, func.count()).where(*_in_scope(scope, Completion),
                                                            *_between(Completion.completed_at, since, until))
                          .group_by(cc))
    done_to_date = await _grouped(s, select(cc, func.count()).where(
        *_in_scope(scope, Completion), *_between(Completion.completed_at, None, until)).group_by(cc))
    sc = _child_column(scope, SupportSession)
    support = await _grouped(s, select(sc, func.count(), func.sum(SupportSession.people)).where(
        *_in_scope(scope, SupportSession), *_between(SupportSession.created_at, since, until)).group_by(sc))
    hc = _child_column(scope, Household)
    member_done = (select(User.household_id).join(Completion, Completion.user_id == User.id)
                   .where(User.household_id.is_not(None), *_between(Completion.completed_at, None, until)))
    households = await _grouped(s, select(hc, func.count()).where(
        *_in_scope(scope, Household), Household.id.in_(member_done)).group_by(hc))
    member_registered = select(User.household_id).where(User.household_id.is_not(None),
                                                        User.consent_at.is_not(None),
                                                        *_between(User.consent_at, None, until))
    households_part = await _grouped(s, select(hc, func.count()).where(
        *_in_scope(scope, Household), Household.id.in_(member_registered),
        *_between(Household.created_at, None, until)).group_by(hc))
    asked = {}
    if scope.ward_code is None:  # questions are kept per commune, not per thôn
        qc = _child_column(scope, QuestionLog)
        asked = await _grouped(s, select(qc, func.count(), func.count().filter(QuestionLog.kind == "out_of_scope"),
                                         func.count().filter(QuestionLog.kind == "safety"))
                               .where(*_in_scope(scope, QuestionLog), *_between(QuestionLog.created_at, since, until))
                               .group_by(qc))

    child_keys = [str(k) for k in _child_keys(scope)]
    found = {_key(k) for k in (*reg, *active, *quiz, *passed, *done, *done_to_date, *support, *asked,
                                    *households, *households_part)}
    rows: dict[str, Row] = {}
    for key in child_keys + sorted(k for k in found if k not in child_keys):
        rows[key] = Row(key, _child_name(scope, key or None), child_code=_child_code(scope, key))

    def put(source: dict[Any, tuple[Any, ...]], *names: str) -> None:
        for k, values in source.items():
            row = rows[_key(k)]
            for name, value in zip(names, values, strict=False):
                setattr(row, name, int(value or 0))

    put(reg, "registered", "vneid_level2", "vneid_level2_16", "platform_confirmed")
    put(active, "active")
    put(passed, "lessons_passed")
    put(done, "completions")
    put(done_to_date, "completions_to_date")
    put(support, "support_sessions", "people_helped")
    put(households, "households_done")
    put(households_part, "households_part")
    put(asked, "questions", "declined", "scam_alerts")
    for k, (n, avg) in quiz.items():
        row = rows[_key(k)]
        row.quizzes, row.avg_score = int(n), (float(avg) if avg is not None else None)

    sources = await _add_upstream(s, scope, since, until, rows)
    children = list(rows.values())
    # A child's plan is keyed by its unit code, a thôn's by "X<commune>:<thôn>"; one query with the unit's own
    # and those above it (whose target percentages apply where a unit has none of its own).
    year = plan_year(until)
    target_keys = [r.child_code or f"{scope.code}:{r.key}" for r in children]
    above = _codes_above(scope)
    plans = await _plans(s, [*above, scope.code, *target_keys], year)
    for r, key in zip(children, target_keys, strict=True):
        _apply_plan(r, plans.get(key))

    total = Row(scope.name, scope.name, child_code=scope.code)
    for r in children:
        for m in ADDITIVE:
            setattr(total, m, getattr(total, m) + getattr(r, m))
    scored = [(r.quizzes, r.avg_score) for r in children if r.avg_score is not None and r.quizzes]
    if scored:
        total.avg_score = sum(n * a for n, a in scored) / sum(n for n, _ in scored)
    if scope.ward_code is not None:  # questions are counted for the commune as a whole, not per thôn
        n_q, n_d, n_s = (await s.execute(
            select(func.count(), func.count().filter(QuestionLog.kind == "out_of_scope"),
                   func.count().filter(QuestionLog.kind == "safety")).where(
                *_in_scope(scope, QuestionLog), *_between(QuestionLog.created_at, since, until)))).one()
        total.questions, total.declined, total.scam_alerts = int(n_q), int(n_d or 0), int(n_s or 0)
        if n_q:  # a row of its own, so that the rows add up to the total
            children.append(Row(WHOLE_COMMUNE, WHOLE_COMMUNE_NAME, questions=int(n_q), declined=int(n_d or 0),
                                scam_alerts=int(n_s or 0)))
    own = plans.get(scope.code)
    _apply_plan(total, own)
    for field_name in ("target", "population_16", "households_target"):  # else the sum of the units below
        if getattr(total, field_name) is None:
            values = [getattr(r, field_name) for r in children if getattr(r, field_name)]
            setattr(total, field_name, sum(values) if values else None)
    for goal in GOALS:  # the nearest plan above that has it
        for code in (scope.code, *reversed(above)):
            if getattr(total, goal) is None and plans.get(code) is not None:
                setattr(total, goal, getattr(plans[code], goal))
        for r in children:
            if getattr(r, goal) is None:
                setattr(r, goal, getattr(total, goal))

    rep = Report(scope, since, until, total, children, upstream_sources=sources)
    rep.by_group = await _breakdown(s, scope, User.target_group, Completion.target_group, registered_users,
                                    since, until)
    group_targets = (own.groups if own is not None and own.groups else {}) or {}
    for b in rep.by_group:
        value = group_targets.get(b.key)
        b.target = int(value) if isinstance(value, int) and value > 0 else None
    rep.by_age = await _breakdown(s, scope, User.age_band, Completion.age_band, registered_users, since, until)
    lessons = await s.execute(
        select(QuizAttempt.lesson_id, func.count(), func.avg(QuizAttempt.score),
               func.count(distinct(QuizAttempt.user_id)).filter(QuizAttempt.score >= pass_ratio - 1e-9))
        .join(User, User.id == QuizAttempt.user_id).where(registered_users, attempts)
        .group_by(QuizAttempt.lesson_id).order_by(QuizAttempt.lesson_id))
    rep.by_lesson = [LessonStat(str(lid), int(n), float(avg) if avg is not None else None, int(p or 0))
                     for lid, n, avg, p in lessons.all()]
    in_log = and_(*_in_scope(scope, QuestionLog), *_between(QuestionLog.created_at, since, until))
    topics = await s.execute(select(QuestionLog.topic, func.count()).where(
        in_log, QuestionLog.topic.is_not(None)).group_by(QuestionLog.topic))
    rep.questions_by_topic = dict(sorted(((str(t), int(n)) for t, n in topics.all()), key=lambda x: (-x[1], x[0])))
    declined = await s.execute(
        select(QuestionLog.text, func.count().label("n")).where(in_log, QuestionLog.kind == "out_of_scope")
        .group_by(QuestionLog.text).order_by(func.count().desc(), QuestionLog.text).limit(declined_limit))
    rep.declined_questions = [(str(t), int(n)) for t, n in declined.all()]
    rated = await s.execute(select(QuestionLog.topic, func.count().filter(QuestionLog.feedback == "up"),
                                   func.count().filter(QuestionLog.feedback == "down"))
                            .where(in_log, QuestionLog.feedback.is_not(None)).group_by(QuestionLog.topic))
    rep.feedback_by_topic = {_key(t): (int(up or 0), int(down or 0)) for t, up, down in rated.all()}
    disliked = await s.execute(
        select(QuestionLog.topic, QuestionLog.lesson_id, QuestionLog.text, func.count())
        .where(in_log, QuestionLog.feedback == "down")
        .group_by(QuestionLog.topic, QuestionLog.lesson_id, QuestionLog.text)
        .order_by(func.count().desc(), QuestionLog.text).limit(declined_limit))
    rep.disliked = [ReviewItem(_key(t), _key(lid), str(text), int(n)) for t, lid, text, n in disliked.all()]
    week = _week_of(s, Completion.completed_at)
    weeks = await s.execute(select(week, func.count()).where(
        *_in_scope(scope, Completion), *_between(Completion.completed_at, since, until)).group_by(week))
    rep.timeline = sorted((_as_date(w), int(n)) for w, n in weeks.all())
    return rep


def _week_of(s: AsyncSession, column: Any) -> Any:
    """The Monday (Vietnam time) of the week a timestamp falls in, computed by the database."""
    if s.get_bind().dialect.name == "postgresql":
        return func.date(func.date_trunc("week", func.timezone(TIMEZONE, column)))
    # SQLite keeps UTC text: shift to Vietnam time (+7 h), go back 6 days, then forward to a Monday.
    return func.date(column, "+7 hours", "-6 days", "weekday 1")


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


async def _breakdown(s: AsyncSession, scope: Scope, user_col: Any, completion_col: Any, registered_users: Any,
                     since: datetime | None, until: datetime | None) -> list[Breakdown]:
    reg = await _grouped(s, select(user_col, func.count()).where(registered_users).group_by(user_col))
    done = await _grouped(s, select(completion_col, func.count()).where(
        *_in_scope(scope, Completion), *_between(Completion.completed_at, since, until)).group_by(completion_col))
    keys = sorted({_key(k) for k in (*reg, *done)})
    out = {k: Breakdown(k, k) for k in keys}
    for k, (n,) in reg.items():
        out[_key(k)].registered = int(n)
    for k, (n,) in done.items():
        out[_key(k)].completions = int(n)
    return list(out.values())


GOALS = ("goal_completion", "goal_confirmed", "goal_vneid", "goal_households")
# Learners known to be under 16 ("Dưới 16"); the plans' VNeID indicator counts citizens from 16.
FROM_16 = or_(User.age_band.is_(None), User.age_band != "duoi-16")
WHOLE_COMMUNE = "*"  # the row of questions asked in a commune (they are not kept per thôn)
WHOLE_COMMUNE_NAME = "Cả xã (câu hỏi không chia theo thôn)"


def plan_year(until: datetime | None) -> int:
    """The plan year of a period: the year its last moment falls in (this year for a period up to now)."""
    when = (until - timedelta(microseconds=1)) if until is not None else datetime.now(TZ)
    return when.astimezone(TZ).year


def _codes_above(scope: Scope) -> list[str]:
    """Plan keys of the units above `scope`, from the top: ["VN", "P31"] for a commune."""
    if scope.ward_code is not None:
        return ["VN", f"P{scope.province_code}"]
    if scope.province_code is not None:
        return ["VN"]
    return []


async def _plans(s: AsyncSession, codes: list[str], year: int) -> dict[str, UnitTarget]:
    """Each unit's plan for `year`: its own row for the year, else the latest earlier year's, else the earliest.
    """
    if not codes:
        return {}
    rows = (await s.execute(select(UnitTarget).where(UnitTarget.unit.in_(set(codes)))
                            .order_by(UnitTarget.unit, UnitTarget.year))).scalars().all()
    out: dict[str, UnitTarget] = {}
    for row in rows:  # by year, ascending: keep the latest not after `year`, or the first one
        if row.unit not in out or row.year <= year:
            out[row.unit] = row
    return out


async def plans_of(s: AsyncSession, codes: list[str], year: int) -> dict[str, UnitTarget]:
    """The plans stored for exactly `year` (what the targets form shows and edits)."""
    if not codes:
        return {}
    rows = await s.execute(select(UnitTarget).where(UnitTarget.unit.in_(codes), UnitTarget.year == year))
    return {row.unit: row for row in rows.scalars()}


async def save_plans(s: AsyncSession, values: dict[str, dict[str, Any]], year: int) -> list[str]:
    """Store each unit's plan for `year` (a unit with nothing typed loses its row); the units that changed."""
    stored = await plans_of(s, list(values), year)
    changed = []
    for code, fields in values.items():
        row = stored.get(code)
        empty = all(v is None for v in fields.values())
        if row is None and empty:
            continue
        if row is not None and all(getattr(row, k) == v for k, v in fields.items()):
            continue
        changed.append(code)
        if empty:
            await s.delete(row)
        elif row is None:
            s.add(UnitTarget(unit=code, year=year, updated_at=utcnow(), **fields))
        else:
            for k, v in fields.items():
                setattr(row, k, v)
            row.updated_at = utcnow()
    return changed


def _apply_plan(row: Row, plan: UnitTarget | None) -> None:
    if plan is None:
        return
    row.target = plan.population or None
    row.population_16 = plan.population_16 or None
    row.households_target = plan.households or None
    for goal in GOALS:
        setattr(row, goal, getattr(plan, goal))


def _days_between(column: Any, since: datetime | None, until: datetime | None) -> list[Any]:
    """Days (Vietnam time) that meet [since, until)."""
    out = []
    if since is not None:
        out.append(column >= since.astimezone(TZ).date())
    if until is not None:
        out.append(column <= (until - timedelta(microseconds=1)).astimezone(TZ).date())
    return out


# Vietnamese periodic reports (Nghị định 09/2019/NĐ-CP, Điều 12) count a quarter from the 15th of the month
# before it to the 14th of its last month (a year from 15 December to 14 December), so the report can be made
# by the 20th. 0 means calendar quarters. Either way consecutive periods tile time: no gap, no overlap.
PERIOD_CUTOFF_DAY = 15


@dataclass(frozen=True)
class Quarter:
    """A report period in Vietnam time: the period of the quarterly report and of upstream pushes.

    With the default cut-off, 2027-Q1 runs from 15/12/2026 to 14/03/2027 inclusive ([start, end) below)."""

    year: int
    number: int
    cutoff: int = PERIOD_CUTOFF_DAY

    @classmethod
    def of(cls, when: datetime, cutoff: int = PERIOD_CUTOFF_DAY) -> Quarter:
        """The period that contains `when`."""
        local = when.astimezone(TZ)
        quarter = cls(local.year, (local.month - 1) // 3 + 1, cutoff)
        return quarter.next() if local >= quarter.end else quarter

    @classmethod
    def last_closed(cls, when: datetime, cutoff: int = PERIOD_CUTOFF_DAY) -> Quarter:
        """The most recent period that has ended by `when` (the one a report made now covers)."""
        return cls.of(when, cutoff).previous()

    @classmethod
    def parse(cls, label: str, cutoff: int = PERIOD_CUTOFF_DAY) -> Quarter | None:
        """"2026-Q4" -> Quarter(2026, 4); None for anything else."""
        year, sep, number = label.partition("-Q")
        if not (sep and year.isdigit() and number in ("1", "2", "3", "4")):
            return None
        return cls(int(year), int(number), cutoff)

    def next(self) -> Quarter:
        return Quarter(self.year + (self.number == 4), self.number % 4 + 1, self.cutoff)

    def previous(self) -> Quarter:
        return Quarter(self.year - (self.number == 1), (self.number - 2) % 4 + 1, self.cutoff)

    @property
    def label(self) -> str:
        return f"{self.year}-Q{self.number}"

    @property
    def end(self) -> datetime:
        """The first moment after the period."""
        if self.cutoff:
            return datetime(self.year, 3 * self.number, self.cutoff, tzinfo=TZ)
        return datetime(self.year + (self.number == 4), (3 * self.number) % 12 + 1, 1, tzinfo=TZ)

    @property
    def start(self) -> datetime:
        """The first moment of the period (the previous period's end)."""
        return self.previous().end

    @property
    def last_day(self) -> date:
        return (self.end - timedelta(days=1)).date()


async def report_note(s: AsyncSession, unit: str, period: str) -> str | None:
    """What the unit's officer added to the period's report ("khó khăn, vướng mắc, đề xuất")."""
    row = (await s.execute(select(ReportNote).where(ReportNote.unit == unit, ReportNote.period == period)))
    note = row.scalar_one_or_none()
    return note.text if note is not None else None


async def save_report_note(s: AsyncSession, unit: str, period: str, text: str, staff_id: int | None) -> None:
    note = (await s.execute(select(ReportNote).where(ReportNote.unit == unit, ReportNote.period == period)
                            .with_for_update())).scalar_one_or_none()
    if note is None:
        s.add(ReportNote(unit=unit, period=period, text=text, staff_id=staff_id, updated_at=utcnow()))
    else:
        note.text, note.staff_id, note.updated_at = text, staff_id, utcnow()


@dataclass
class Pushed:
    """What a child instance pushed for one unit and period beside its counts: the volunteer team's figures and the
    officer's note (a province's own note has no commune and no team)."""

    province_code: int
    ward_code: int | None
    name: str
    team: dict[str, int]
    note: str | None


async def pushed(s: AsyncSession, scope: Scope, period: str) -> list[Pushed]:
    """Notes and team figures child instances pushed for `period`, for the communes and provinces inside `scope`:
    provinces' notes first, then communes by name."""
    out: list[Pushed] = []
    rows = (await s.execute(select(UpstreamReport).where(UpstreamReport.period == period)
                            .order_by(UpstreamReport.source))).scalars()
    for rep in rows:
        for item in rep.payload.get("notes") or []:
            province = item.get("province_code")
            if scope.ward_code is None and scope.contains(province, None):
                out.append(Pushed(int(province), None, units.province_name(int(province)) or str(province), {},
                                  str(item.get("note") or "")))
        for unit in rep.payload.get("units") or []:
            province, ward = unit.get("province_code"), unit.get("ward_code")
            if not scope.contains(province, ward) or not (unit.get("note") or any((unit.get("team") or {}).values())):
                continue
            c = units.commune(int(ward))
            out.append(Pushed(int(province), int(ward), c.name if c else str(ward), dict(unit.get("team") or {}),
                              unit.get("note")))
    return sorted(out, key=lambda p: (p.ward_code is not None, p.name))


async def new_learners(s: AsyncSession, scope: Scope, since: datetime, until: datetime) -> int:
    """Learners of `scope` who agreed to be registered within [since, until)."""
    stmt = select(func.count()).select_from(User).where(
        User.consent_at.is_not(None), *_in_scope(scope, User), *_between(User.consent_at, since, until))
    return int((await s.execute(stmt)).scalar_one())


async def _add_upstream(s: AsyncSession, scope: Scope, since: datetime | None, until: datetime | None,
                        rows: dict[str, Row]) -> list[str]:
    """Add the quarterly totals child instances pushed here, for the communes inside `scope`.

    Counts of a period add up over the report periods that begin inside [since, until) (each pushed once it
    has ended); counts "to date" come from each source's latest period that begins before `until`.
    """
    pushed = (await s.execute(select(UpstreamReport).order_by(UpstreamReport.period))).scalars().all()
    latest: dict[str, UpstreamReport] = {}
    periodic: list[UpstreamReport] = []
    for rep in pushed:
        quarter = Quarter.parse(rep.period)
        if quarter is None:
            continue
        start = quarter.start
        if until is None or start < until:
            latest[rep.source] = rep  # ordered by period: the last one kept is the latest
            if since is None or start >= since - timedelta(days=1):
                periodic.append(rep)
    used: set[str] = set()
    for metrics, reports in ((UPSTREAM_CUMULATIVE, list(latest.values())), (UPSTREAM_PERIODIC, periodic)):
        for rep in reports:
            for unit in rep.payload.get("units", []):
                province, ward = unit.get("province_code"), unit.get("ward_code")
                if not scope.contains(province, ward):
                    continue
                key = _key(unit.get("hamlet") if scope.ward_code is not None else
                           ward if scope.province_code is not None else province)
                row = rows.setdefault(key, Row(key, _child_name(scope, key or None),
                                               child_code=_child_code(scope, key)))
                for m in metrics:
                    setattr(row, m, getattr(row, m) + int(unit.get(m, 0)))
                used.add(rep.source)
    return sorted(used)


def _child_keys(scope: Scope) -> list[Any]:
    """Every child unit, so units with no learners still show up (with zeros)."""
    if scope.ward_code is not None:
        return []  # thôn/tổ dân phố are free text: only those with learners exist
    if scope.province_code is not None:
        return [int(w.code.value) for w in Ward.iter_all() if int(w.province_code.value) == scope.province_code]
    return sorted(units.all_province_codes())


def _child_code(scope: Scope, key: str) -> str | None:
    if scope.ward_code is not None or not key:
        return None
    return f"X{key}" if scope.province_code is not None else f"P{key}"


def _child_name(scope: Scope, key: Any) -> str:
    if key is None:
        return "(chưa rõ)"
    if scope.ward_code is not None:
        return str(key)
    if scope.province_code is not None:
        c = units.commune(int(key))
        return c.name if c else str(key)
    return units.province_name(int(key)) or str(key)
