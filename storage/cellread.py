"""Reading a report from the maintained cells: the same numbers storage/metrics.py counts from the raw rows, from
one row per commune (or thôn) and day. Used by storage/stats.py when the period is made of whole days."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import query as q
from storage.cells import local_day
from storage.metrics import METRIC_QUERIES, WHOLE_COMMUNE, Ask, Metric
from storage.models import (
    ALL_DAYS,
    COMMUNE_LEVEL,
    QUESTIONS_THON,
    THON_LEVEL,
    TZ,
    StatCell,
    StatGroup,
    StatLesson,
    StatRepass,
    StatText,
    StatTopic,
    as_utc,
)
from storage.reportrows import Breakdown, LessonStat, Report, ReviewItem
from storage.units import Scope

Days = tuple[date | None, date | None]  # [first, end) in Vietnam days; None: unbounded
PERIODIC = ("quizzes", "score_sum", "passes_first", "completions", "support_sessions", "people_helped", "questions",
            "declined", "scam_alerts")
AS_OF = ("registered", "vneid_level2", "vneid_level2_16", "platform_confirmed", "households_done",
         "households_part")


def period_days(since: datetime | None, until: datetime | None,
                now: datetime) -> tuple[date | None, date | None] | None:
    """A period as Vietnam days [first, end) for the cells (None: unbounded), or None when the period does not
    begin and end at midnight — then only the raw rows can answer. A period ending now or later is unbounded:
    nothing is counted after now."""
    def midnight(when: datetime) -> bool:
        return as_utc(when).astimezone(TZ).time() == time()

    if since is not None and not midnight(since):
        return None
    first = local_day(since)
    if until is None or as_utc(until) >= as_utc(now) and not midnight(until):
        return first, None
    return (first, local_day(until)) if midnight(until) else None


def _key_column(scope: Scope, model: Any) -> Any:
    if scope.ward_code is not None:
        return model.hamlet
    return model.ward_code if scope.province_code is not None else model.province_code


def _in_scope(scope: Scope, model: Any) -> list[Any]:
    if scope.ward_code is not None:  # a commune code belongs to one province: both, for the indexes
        return [model.province_code == scope.province_code, model.ward_code == scope.ward_code]
    return [model.province_code == scope.province_code] if scope.province_code is not None else []


def _key(scope: Scope, value: Any) -> Any:
    """A cell's unit as the raw queries name it (0 and "" stand for unknown)."""
    return None if value in (0, "") else value


def _rows(model: Any, days: Days) -> list[Any]:
    """The rows a period's sums read: the running total and the days from the period's first (or its end) on."""
    first, end = days
    lower = first if first is not None else end
    return [model.day == ALL_DAYS] if lower is None else [model.day >= lower]  # ALL_DAYS is the last day


def _as_of(model: Any, column: Any, days: Days) -> Any:
    """A column's sum up to the period's end: the running total less the days from the end on."""
    end = days[1]
    if end is None:
        return func.sum(case((model.day == ALL_DAYS, column), else_=0))
    return func.sum(case((model.day == ALL_DAYS, column), (model.day >= end, -column), else_=0))


def _in_period(model: Any, column: Any, days: Days) -> Any:
    """A column's sum over the period's days."""
    first, end = days
    if first is None:
        return _as_of(model, column, days)
    inside = [model.day >= first, model.day < (end if end is not None else ALL_DAYS)]
    return func.sum(case((and_(*inside), column), else_=0))


def _days(model: Any, days: Days) -> list[Any]:
    """Only the period's own days (for sums by day)."""
    first, end = days
    return [model.day < (end if end is not None else ALL_DAYS), *([model.day >= first] if first else [])]


async def counted(s: AsyncSession, ask: Ask, days: Days) -> list[tuple[Metric, dict[Any, tuple[Any, ...]]]]:
    """Every metric's values per child unit, in the shape the raw metric queries give them."""
    scope = ask.scope
    level = THON_LEVEL if scope.ward_code is not None else COMMUNE_LEVEL
    unit = _key_column(scope, StatCell)
    rows = await s.execute(
        select(unit, *[_in_period(StatCell, getattr(StatCell, c), days) for c in PERIODIC],
               *[_as_of(StatCell, getattr(StatCell, c), days) for c in AS_OF],
               _as_of(StatCell, StatCell.completions, days))
        .where(StatCell.level == level, *_in_scope(scope, StatCell), *_rows(StatCell, days))
        .group_by(unit))
    values: dict[Any, dict[str, Any]] = {}
    for row in rows.all():
        named = dict(zip((*PERIODIC, *AS_OF, "completions_to_date"), (int(v or 0) if not isinstance(v, float)
                                                                     else v for v in row[1:]), strict=True))
        values[row[0]] = named
    repassed = await _repassed(s, scope, days, _key_column(scope, StatRepass))
    out = []
    for metric in METRIC_QUERIES:
        if metric.fields == ("active",):
            out.append((metric, await q.grouped(s, metric.query(ask))))
            continue
        found: dict[Any, tuple[Any, ...]] = {}
        for k, named in values.items():
            if (k == QUESTIONS_THON) != (metric.commune_level and scope.ward_code is not None):
                continue
            named = {**named, "lessons_passed": named["passes_first"] + repassed.get(k, 0)}
            vals = tuple(_field(named, f) for f in metric.fields)
            if any(v for v in vals):
                found[WHOLE_COMMUNE if k == QUESTIONS_THON else _key(scope, k)] = vals
        out.append((metric, found))
    return out


def _field(named: dict[str, Any], name: str) -> Any:
    if name == "avg_score":
        return named["score_sum"] / named["quizzes"] if named["quizzes"] else None
    if name == "completions_to_date":
        return named["completions_to_date"]
    return named[name]


async def _repassed(s: AsyncSession, scope: Scope, days: Days, unit: Any, by_lesson: bool = False) -> dict[Any, int]:
    """Pairs whose first pass in the period is not their first ever (their pass before it was before the period)."""
    first = days[0]
    if first is None:
        return {}
    group = StatRepass.lesson_id if by_lesson else unit
    rows = await s.execute(select(group, func.sum(StatRepass.n))
                           .where(*_in_scope(scope, StatRepass), *_days(StatRepass, days), StatRepass.prev_day < first)
                           .group_by(group))
    return {k: int(n or 0) for k, n in rows.all()}


async def details(s: AsyncSession, rep: Report, days: Days, declined_limit: int) -> None:
    """The report's tables beside the units, from the cells: groups, ages, lessons, questions, the timeline."""
    scope = rep.scope
    rep.by_group = await _breakdown(s, scope, "group", days)
    rep.by_age = await _breakdown(s, scope, "age", days)
    lessons = await s.execute(
        select(StatLesson.lesson_id, *[_in_period(StatLesson, c, days) for c in (
            StatLesson.quizzes, StatLesson.score_sum, StatLesson.passes_first)])
        .where(*_in_scope(scope, StatLesson), *_rows(StatLesson, days)).group_by(StatLesson.lesson_id)
        .order_by(StatLesson.lesson_id))
    again = await _repassed(s, scope, days, None, by_lesson=True)
    rep.by_lesson = [LessonStat(str(lid), int(n), float(total) / int(n) if n else None,
                                int(p or 0) + again.get(lid, 0))
                     for lid, n, total, p in lessons.all() if n]
    await _questions(s, rep, days, declined_limit)
    level = THON_LEVEL if scope.ward_code is not None else COMMUNE_LEVEL
    daily = await s.execute(select(StatCell.day, func.sum(StatCell.completions))
                            .where(StatCell.level == level, *_in_scope(scope, StatCell), *_days(StatCell, days))
                            .group_by(StatCell.day))
    weeks: dict[date, int] = defaultdict(int)
    for d, n in daily.all():
        day = q.as_date(d)
        if n:
            weeks[day - timedelta(days=day.weekday())] += int(n)
    rep.timeline = sorted(weeks.items())


async def _breakdown(s: AsyncSession, scope: Scope, dim: str, days: Days) -> list[Breakdown]:
    rows = await s.execute(
        select(StatGroup.value, _as_of(StatGroup, StatGroup.registered, days),
               _in_period(StatGroup, StatGroup.completions, days))
        .where(StatGroup.dim == dim, *_in_scope(scope, StatGroup), *_rows(StatGroup, days))
        .group_by(StatGroup.value).order_by(StatGroup.value))
    return [Breakdown(str(v), str(v), int(reg or 0), int(done or 0)) for v, reg, done in rows.all() if reg or done]


async def _questions(s: AsyncSession, rep: Report, days: Days, limit: int) -> None:
    scope = rep.scope
    topics = await s.execute(
        select(StatTopic.topic, *[_in_period(StatTopic, c, days) for c in (
            StatTopic.questions, StatTopic.up, StatTopic.down)])
        .where(*_in_scope(scope, StatTopic), *_rows(StatTopic, days)).group_by(StatTopic.topic))
    found = [(str(t), int(n or 0), int(up or 0), int(down or 0)) for t, n, up, down in topics.all()]
    rep.questions_by_topic = dict(sorted(((t, n) for t, n, _u, _d in found if t and n), key=lambda x: (-x[1], x[0])))
    rep.feedback_by_topic = {t: (up, down) for t, _n, up, down in found if up or down}
    for kind in ("declined", "down"):
        n = _in_period(StatText, StatText.n, days)
        stmt = (select(StatText.topic, StatText.lesson_id, StatText.text, n)
                .where(StatText.kind == kind, *_in_scope(scope, StatText), *_rows(StatText, days))
                .group_by(StatText.topic, StatText.lesson_id, StatText.text).having(n > 0)
                .order_by(n.desc(), StatText.text, StatText.topic, StatText.lesson_id).limit(limit))
        rows = (await s.execute(stmt)).all() if limit else []
        if kind == "declined":
            rep.declined_questions = [(str(text), int(c)) for _t, _l, text, c in rows]
        else:
            rep.disliked = [ReviewItem(str(t), str(lid), str(text), int(c)) for t, lid, text, c in rows]
