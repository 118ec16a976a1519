"""Completion statistics: read-only SQL aggregates that roll up thôn → xã/phường → tỉnh → cả nước.

One module for every view (the CLI, the web pages, /thongke, scheduled reports and the upward push). A report is
the registry of metrics (`METRIC_QUERIES`: the fields each fills, what it counts, how it adds up, its query)
run for a unit and its children, then the unit's plan (storage/plans.py) and pushed counts from instances below
(storage/periods.py). Units are the post-1/7/2025 ones; a unit with no data is listed with zeros.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import cellread, cells, periods, plans
from storage import query as q
from storage.metrics import METRIC_QUERIES, Ask
from storage.metrics import WHOLE_COMMUNE as WHOLE_COMMUNE
from storage.metrics import WHOLE_COMMUNE_NAME as WHOLE_COMMUNE_NAME
from storage.models import (
    Completion,
    QuestionLog,
    QuizAttempt,
    Staff,
    UnitTarget,
    UpstreamReport,
    User,
    utcnow,
)
from storage.reportrows import Breakdown as Breakdown
from storage.reportrows import LessonStat as LessonStat
from storage.reportrows import Report as Report
from storage.reportrows import ReviewItem as ReviewItem
from storage.reportrows import Row as Row
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


async def report_for(s: AsyncSession, staff: Staff | None, scope: Scope, since: datetime | None = None,
                     until: datetime | None = None, pass_ratio: float = 0.8, declined_limit: int = 50) -> Report:
    """report() for a person: the unit is checked here, so no view can forget it. Raises ScopeError."""
    if not may_see(staff, scope):
        raise ScopeError(scope.code)
    return await report(s, scope, since, until, pass_ratio, declined_limit)


async def report(s: AsyncSession, scope: Scope, since: datetime | None = None, until: datetime | None = None,
                 pass_ratio: float = 0.8, declined_limit: int = 50, from_raw: bool = False) -> Report:
    """Counts for a unit and each of its child units over a period.

    "registered", "vneid_level2" and "completions_to_date" are as of `until`; the rest happen in the period.
    A period of whole Vietnam days (or one that ends now or later) is read from the maintained cells; any other
    period, or `from_raw`, is counted from the raw rows (the same numbers, slower).
    """
    ask = Ask(scope, since, until, pass_ratio)
    # The cells serve PostgreSQL, where the scale is; SQLite (a console, a small pilot) counts the raw rows.
    on_cells = not from_raw and s.get_bind().dialect.name == "postgresql"
    days = cellread.period_days(since, until, utcnow()) if on_cells else None
    if days is not None:  # whole days: the maintained cells, brought up to date first
        await cells.refresh(s, pass_ratio)
        counted = await cellread.counted(s, ask, days)
    else:
        counted = [(m, await q.grouped(s, m.query(ask))) for m in METRIC_QUERIES]
    rows = _rows(scope, [values for m, values in counted if not (m.commune_level and scope.ward_code is not None)])
    for metric, values in counted:
        if metric.commune_level and scope.ward_code is not None:
            continue
        for k, found in values.items():
            _put(rows[q.key(k)], metric.fields, found)
    sources = await _add_upstream(s, scope, since, until, rows)
    children = list(rows.values())
    year = plans.plan_year(until)
    above = plans.codes_above(scope)
    # A child's plan is keyed by its unit code, a thôn's by "X<commune>:<thôn>"; one query with the unit's own
    # and those above it (whose target percentages apply where a unit has none of its own).
    target_keys = [r.child_code or f"{scope.code}:{r.key}" for r in children]
    found_plans = await plans.effective(s, [*above, scope.code, *target_keys], year)
    for r, target_key in zip(children, target_keys, strict=True):
        _apply_plan(r, found_plans.get(target_key))
    total = _total(scope, children)
    for metric, values in counted:
        if metric.commune_level and scope.ward_code is not None and values:
            # A commune's questions: its total, and a row of their own so that the rows add up to it.
            _put(total, metric.fields, values[WHOLE_COMMUNE])
            children.append(Row(WHOLE_COMMUNE, WHOLE_COMMUNE_NAME))
            _put(children[-1], metric.fields, values[WHOLE_COMMUNE])
    _plan_total(scope, total, children, found_plans, above)
    rep = Report(scope, since, until, total, children, upstream_sources=sources)
    if days is not None:
        await cellread.details(s, rep, days, declined_limit)
    else:
        await _details(s, rep, ask, declined_limit)
    _group_targets(rep, found_plans.get(scope.code))
    return rep


def _rows(scope: Scope, counted: list[dict[Any, tuple[Any, ...]]]) -> dict[str, Row]:
    """A row for every child unit (zeros included) and for every other key the counts found."""
    child_keys = [str(k) for k in q.child_keys(scope)]
    found = {q.key(k) for values in counted for k in values}
    return {k: Row(k, q.child_name(scope, k or None), child_code=q.child_code(scope, k))
            for k in child_keys + sorted(k for k in found if k not in child_keys)}


def _put(row: Row, fields: tuple[str, ...], values: tuple[Any, ...]) -> None:
    for name, value in zip(fields, values, strict=False):
        if name == "avg_score":
            row.avg_score = float(value) if value is not None else None
        else:
            setattr(row, name, int(value or 0))


def _total(scope: Scope, children: list[Row]) -> Row:
    """The unit's own row: counts summed over its children, the average score weighted by quizzes."""
    total = Row(scope.name, scope.name, child_code=scope.code)
    for r in children:
        for m in ADDITIVE:
            setattr(total, m, getattr(total, m) + getattr(r, m))
    scored = [(r.quizzes, r.avg_score) for r in children if r.avg_score is not None and r.quizzes]
    if scored:
        total.avg_score = sum(n * a for n, a in scored) / sum(n for n, _ in scored)
    return total


def _plan_total(scope: Scope, total: Row, children: list[Row], found: dict[str, UnitTarget],
                above: list[str]) -> None:
    """The unit's plan: its own, else the sums of the units below; target percentages from the nearest plan."""
    _apply_plan(total, found.get(scope.code))
    for field_name in ("target", "population_16", "households_target"):  # else the sum of the units below
        if getattr(total, field_name) is None:
            values = [getattr(r, field_name) for r in children if getattr(r, field_name)]
            setattr(total, field_name, sum(values) if values else None)
    for goal in plans.GOALS:  # the nearest plan above that has it
        for code in (scope.code, *reversed(above)):
            if getattr(total, goal) is None and found.get(code) is not None:
                setattr(total, goal, getattr(found[code], goal))
        for r in children:
            if getattr(r, goal) is None:
                setattr(r, goal, getattr(total, goal))


def _group_targets(rep: Report, own: UnitTarget | None) -> None:
    """Each target group's population, where the unit's plan has it."""
    group_targets = (own.groups if own is not None and own.groups else {}) or {}
    for b in rep.by_group:
        value = group_targets.get(b.key)
        b.target = int(value) if isinstance(value, int) and value > 0 else None


async def _details(s: AsyncSession, rep: Report, ask: Ask, declined_limit: int) -> None:
    """The report's tables beside the units, from the raw rows: by group, age band and lesson, questions,
    feedback, the timeline."""
    scope, since, until = ask.scope, ask.since, ask.until
    rep.by_group = await _breakdown(s, scope, User.target_group, Completion.target_group, ask.registered,
                                    since, until)
    rep.by_age = await _breakdown(s, scope, User.age_band, Completion.age_band, ask.registered, since, until)
    lessons = await s.execute(
        select(QuizAttempt.lesson_id, func.count(), func.avg(QuizAttempt.score),
               func.count(distinct(QuizAttempt.user_id)).filter(QuizAttempt.score >= ask.pass_ratio - 1e-9))
        .join(User, User.id == QuizAttempt.user_id).where(ask.learners, ask.attempts)
        .group_by(QuizAttempt.lesson_id).order_by(QuizAttempt.lesson_id))
    rep.by_lesson = [LessonStat(str(lid), int(n), float(avg) if avg is not None else None, int(p or 0))
                     for lid, n, avg, p in lessons.all()]
    await _question_details(s, rep, and_(*q.in_scope(scope, QuestionLog),
                                         *q.between(QuestionLog.created_at, since, until)), declined_limit)
    week = q.week_of(s, Completion.completed_at)
    weeks = await s.execute(select(week, func.count()).where(
        *q.in_scope(scope, Completion), *q.between(Completion.completed_at, since, until)).group_by(week))
    rep.timeline = sorted((q.as_date(w), int(n)) for w, n in weeks.all())


async def _question_details(s: AsyncSession, rep: Report, in_log: Any, declined_limit: int) -> None:
    """Questions by topic, the most frequent declined ones, 👍/👎 by topic and the answers marked 👎."""
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
    rep.feedback_by_topic = {q.key(t): (int(up or 0), int(down or 0)) for t, up, down in rated.all()}
    disliked = await s.execute(
        select(QuestionLog.topic, QuestionLog.lesson_id, QuestionLog.text, func.count())
        .where(in_log, QuestionLog.feedback == "down")
        .group_by(QuestionLog.topic, QuestionLog.lesson_id, QuestionLog.text)
        .order_by(func.count().desc(), QuestionLog.text, func.coalesce(QuestionLog.topic, ""),
                  func.coalesce(QuestionLog.lesson_id, "")).limit(declined_limit))
    rep.disliked = [ReviewItem(q.key(t), q.key(lid), str(text), int(n)) for t, lid, text, n in disliked.all()]


async def _breakdown(s: AsyncSession, scope: Scope, user_col: Any, completion_col: Any, registered_users: Any,
                     since: datetime | None, until: datetime | None) -> list[Breakdown]:
    reg = await q.grouped(s, select(user_col, func.count()).where(registered_users).group_by(user_col))
    done = await q.grouped(s, select(completion_col, func.count()).where(
        *q.in_scope(scope, Completion), *q.between(Completion.completed_at, since, until)).group_by(completion_col))
    keys = sorted({q.key(k) for k in (*reg, *done)})
    out = {k: Breakdown(k, k) for k in keys}
    for k, (n,) in reg.items():
        out[q.key(k)].registered = int(n)
    for k, (n,) in done.items():
        out[q.key(k)].completions = int(n)
    return list(out.values())


async def new_learners(s: AsyncSession, scope: Scope, since: datetime, until: datetime) -> int:
    """Learners of `scope` who agreed to be registered within [since, until)."""
    stmt = select(func.count()).select_from(User).where(
        User.consent_at.is_not(None), *q.in_scope(scope, User), *q.between(User.consent_at, since, until))
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
        quarter = periods.Quarter.parse(rep.period)
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
                key = q.key(unit.get("hamlet") if scope.ward_code is not None else
                           ward if scope.province_code is not None else province)
                row = rows.setdefault(key, Row(key, q.child_name(scope, key or None),
                                               child_code=q.child_code(scope, key)))
                for m in metrics:
                    setattr(row, m, getattr(row, m) + int(unit.get(m, 0)))
                used.add(rep.source)
    return sorted(used)


def _apply_plan(row: Row, plan: UnitTarget | None) -> None:
    if plan is None:
        return
    row.target = plan.population or None
    row.population_16 = plan.population_16 or None
    row.households_target = plan.households or None
    for goal in plans.GOALS:
        setattr(row, goal, getattr(plan, goal))
