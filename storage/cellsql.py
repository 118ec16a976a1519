"""Counting the maintained statistics from the raw rows, for some communes (and a span of days) or everything.

Each query groups by (province, commune, thôn, Vietnam day) the way storage/metrics.py counts a period, so that
summing the cells of a period's days gives what the raw queries give for it (tests/test_cells.py holds them
equal). Rows of no province are counted by no report and have no cells.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import query as q
from storage.models import (
    QUESTIONS_THON,
    TIMEZONE,
    TZ,
    Completion,
    Household,
    QuestionLog,
    QuizAttempt,
    SupportSession,
    User,
    as_utc,
)

CELL_COLUMNS = ("registered", "vneid_level2", "vneid_level2_16", "platform_confirmed", "quizzes", "score_sum",
                "passes_first", "completions", "support_sessions", "people_helped", "households_done",
                "households_part", "questions", "declined", "scam_alerts")
Key = tuple[tuple[int, int, str], date]


@dataclass
class Computed:
    cells: dict[Key, dict[str, Any]] = field(default_factory=lambda: defaultdict(dict))
    repasses: dict[tuple[int, int, str, date, str, date], int] = field(default_factory=dict)
    lessons: list[dict[str, Any]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)
    topics: list[dict[str, Any]] = field(default_factory=list)
    texts: list[dict[str, Any]] = field(default_factory=list)

    def add(self, leaf: tuple[int, int, str], day: date, **values: Any) -> None:
        cell = self.cells[(leaf, day)]
        for name, value in values.items():
            cell[name] = cell.get(name, 0) + value


@dataclass(frozen=True)
class Where:
    """The rows a computation reads: those of some communes ((province, commune) pairs; None: all) and a span."""

    wards: list[tuple[int, int]] | None
    span: tuple[date, date] | None

    def unit(self, model: Any) -> list[Any]:
        out = [model.province_code.is_not(None)]
        if self.wards is not None:
            known = [w for _p, w in self.wards if w]
            parts = [model.ward_code.in_(known)] if known else []
            parts += [and_(model.ward_code.is_(None), model.province_code.in_([p for p, w in self.wards if not w]))]
            out.append(or_(*parts))
        return out

    def either(self, *columns: Any) -> list[Any]:
        """Rows with one of the moments in the span (a cheap first filter for a day computed from several)."""
        if self.span is None:
            return []
        return [or_(*[and_(*self.stamped(c)) for c in columns])]

    def stamped(self, column: Any) -> list[Any]:
        if self.span is None:
            return []
        first, last = self.span
        # In UTC: SQLite compares the stored UTC text, so a bound must be UTC too.
        return [column >= datetime.combine(first, time(), TZ).astimezone(UTC),
                column < datetime.combine(last + timedelta(days=1), time(), TZ).astimezone(UTC)]


def day_of(s: AsyncSession, column: Any) -> Any:
    """The Vietnam calendar day of a stored moment, computed by the database (literal arguments, so the same
    expression in SELECT and GROUP BY is the same text for PostgreSQL)."""
    if s.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone(literal_column(f"'{TIMEZONE}'"), column))
    return func.date(column, literal_column("'+7 hours'"))  # SQLite keeps UTC text; Vietnam has no summer time


ZERO: Any = literal_column("0")
EMPTY: Any = literal_column("''")


def _leaf(model: Any) -> list[Any]:
    return [model.province_code, func.coalesce(model.ward_code, ZERO), func.coalesce(model.hamlet, EMPTY)]


def _raw_leaf(model: Any) -> list[Any]:
    return [model.province_code, model.ward_code, model.hamlet]


def _day(value: Any) -> date:
    return q.as_date(value)


def _local(value: Any) -> date:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return as_utc(value).astimezone(TZ).date()


async def compute(s: AsyncSession, wards: list[tuple[int, int]] | None, pass_ratio: float,
                  span: tuple[date, date] | None = None) -> Computed:
    """Every cell of the communes `wards` (None: all) in `span` (None: every day), from the raw rows."""
    where, out = Where(wards, span), Computed()
    await _learners(s, where, out)
    await _quizzes(s, where, pass_ratio, out)
    await _events(s, where, out)
    await _households(s, where, out)
    await _questions(s, where, out)
    return out


async def _learners(s: AsyncSession, where: Where, out: Computed) -> None:
    """Registrations by consent day (with their VNeID and group), confirmations by the later of the two days."""
    day = day_of(s, User.consent_at)
    level2 = User.vneid_level2.is_(True)
    rows = await s.execute(
        select(*_leaf(User), day, func.coalesce(User.target_group, EMPTY), func.coalesce(User.age_band, EMPTY),
               func.count(), func.count().filter(level2), func.count().filter(level2, q.FROM_16))
        .where(User.consent_at.is_not(None), *where.unit(User), *where.stamped(User.consent_at))
        .group_by(*_raw_leaf(User), day, User.target_group, User.age_band))
    for p, w, h, d, group, age, n, l2, l2_16 in _all(rows):
        out.add((p, w, h), _day(d), registered=n, vneid_level2=l2, vneid_level2_16=l2_16)
        for dim, value in (("group", group), ("age", age)):
            out.groups.append({"province_code": p, "ward_code": w, "day": _day(d), "dim": dim, "value": value,
                               "registered": n, "completions": 0})
    later = case((User.platform_confirmed_at > User.consent_at, User.platform_confirmed_at), else_=User.consent_at)
    later_day = day_of(s, later)
    confirmed = await s.execute(
        select(*_leaf(User), later_day, func.count())
        .where(User.consent_at.is_not(None), User.platform_confirmed_at.is_not(None), *where.unit(User),
               *where.either(User.consent_at, User.platform_confirmed_at), *where.stamped(later))
        .group_by(*_raw_leaf(User), later_day))
    for p, w, h, d, n in _all(confirmed):
        out.add((p, w, h), _day(d), platform_confirmed=n)


async def _quizzes(s: AsyncSession, where: Where, pass_ratio: float, out: Computed) -> None:
    """Lesson quizzes by the day they ended; passes with the day of the pair's pass before (for distinct pairs)."""
    finished = [QuizAttempt.status == "finished", QuizAttempt.kind == "lesson", User.consent_at.is_not(None)]
    day = day_of(s, QuizAttempt.finished_at)
    rows = await s.execute(
        select(*_leaf(User), day, QuizAttempt.lesson_id, func.count(), func.sum(QuizAttempt.score))
        .join(User, User.id == QuizAttempt.user_id)
        .where(*finished, *where.unit(User), *where.stamped(QuizAttempt.finished_at))
        .group_by(*_raw_leaf(User), day, QuizAttempt.lesson_id))
    lessons: dict[tuple[int, int, date, str], dict[str, Any]] = {}
    for p, w, h, d, lesson, n, total in _all(rows):
        out.add((p, w, h), _day(d), quizzes=n, score_sum=float(total or 0))
        row = lessons.setdefault((p, w, _day(d), lesson), {"quizzes": 0, "score_sum": 0.0, "passes_first": 0})
        row["quizzes"] += n
        row["score_sum"] += float(total or 0)
    # The pass before each pass: over a learner's whole history, for the learners who passed in the span.
    passing = QuizAttempt.score >= pass_ratio - 1e-9
    recent = [] if where.span is None else [QuizAttempt.user_id.in_(
        select(QuizAttempt.user_id).where(passing, *where.stamped(QuizAttempt.finished_at)))]
    passes = (select(*[c.label(n) for c, n in zip(_leaf(User), ("p", "w", "h"), strict=True)],
                     QuizAttempt.lesson_id.label("lesson"), QuizAttempt.finished_at.label("at"),
                     func.lag(QuizAttempt.finished_at).over(
                         partition_by=(QuizAttempt.user_id, QuizAttempt.lesson_id),
                         order_by=(QuizAttempt.finished_at, QuizAttempt.id)).label("prev"))
              .join(User, User.id == QuizAttempt.user_id)
              .where(*finished, QuizAttempt.score >= pass_ratio - 1e-9, *where.unit(User), *recent).subquery())
    at, prev_at = day_of(s, passes.c.at), day_of(s, passes.c.prev)
    pairs = await s.execute(select(passes.c.p, passes.c.w, passes.c.h, at, passes.c.lesson, prev_at, func.count())
                            .where(*where.stamped(passes.c.at))
                            .group_by(passes.c.p, passes.c.w, passes.c.h, at, passes.c.lesson, prev_at))
    for p, w, h, d, lesson, prev, n in _all(pairs):
        if prev is None:
            out.add((p, w, h), _day(d), passes_first=n)
            row = lessons.setdefault((p, w, _day(d), lesson), {"quizzes": 0, "score_sum": 0.0, "passes_first": 0})
            row["passes_first"] += n
        else:
            k = (p, w, h, _day(d), lesson, _day(prev))
            out.repasses[k] = out.repasses.get(k, 0) + n
    out.lessons = [{"province_code": p, "ward_code": w, "day": d, "lesson_id": lesson, **v}
                   for (p, w, d, lesson), v in lessons.items()]


async def _events(s: AsyncSession, where: Where, out: Computed) -> None:
    """Completions (with their group and age band) and support sessions, by their day."""
    day = day_of(s, Completion.completed_at)
    rows = await s.execute(
        select(*_leaf(Completion), day, func.coalesce(Completion.target_group, EMPTY),
               func.coalesce(Completion.age_band, EMPTY), func.count())
        .where(*where.unit(Completion), *where.stamped(Completion.completed_at))
        .group_by(*_raw_leaf(Completion), day, Completion.target_group, Completion.age_band))
    for p, w, h, d, group, age, n in _all(rows):
        out.add((p, w, h), _day(d), completions=n)
        for dim, value in (("group", group), ("age", age)):
            out.groups.append({"province_code": p, "ward_code": w, "day": _day(d), "dim": dim, "value": value,
                               "registered": 0, "completions": n})
    out.groups = _merge(out.groups, ("province_code", "ward_code", "day", "dim", "value"),
                        ("registered", "completions"))
    day = day_of(s, SupportSession.created_at)
    sessions = await s.execute(
        select(*_leaf(SupportSession), day, func.count(), func.sum(SupportSession.people))
        .where(*where.unit(SupportSession), *where.stamped(SupportSession.created_at))
        .group_by(*_raw_leaf(SupportSession), day))
    for p, w, h, d, n, people in _all(sessions):
        out.add((p, w, h), _day(d), support_sessions=n, people_helped=int(people or 0))


async def _households(s: AsyncSession, where: Where, out: Computed) -> None:
    """A household counts from the first day a member completed ("done") and from the later of the day it was
    made and its first member's consent ("taking part")."""
    near = [] if where.span is None else [Household.id.in_(
        select(User.household_id).join(Completion, Completion.user_id == User.id)
        .where(*where.stamped(Completion.completed_at))
        .union(select(User.household_id).where(*where.stamped(User.consent_at)),
               select(Household.id).where(*where.stamped(Household.created_at))))]
    done = await s.execute(
        select(*_leaf(Household), func.min(Completion.completed_at))
        .join(User, User.household_id == Household.id).join(Completion, Completion.user_id == User.id)
        .where(*where.unit(Household), *near).group_by(Household.id, *_raw_leaf(Household)))
    for p, w, h, first in _all(done):
        _add_dated(out, (p, w, h), _local(first), where, households_done=1)
    part = await s.execute(
        select(*_leaf(Household), Household.created_at, func.min(User.consent_at))
        .join(User, User.household_id == Household.id)
        .where(User.consent_at.is_not(None), *where.unit(Household), *near)
        .group_by(Household.id, *_raw_leaf(Household), Household.created_at))
    for p, w, h, made, consent in _all(part):
        _add_dated(out, (p, w, h), max(_local(made), _local(consent)), where, households_part=1)


def _add_dated(out: Computed, leaf: tuple[int, int, str], day: date, where: Where, **values: Any) -> None:
    if where.span is None or where.span[0] <= day <= where.span[1]:
        out.add(leaf, day, **values)


async def _questions(s: AsyncSession, where: Where, out: Computed) -> None:
    """Questions per commune and day: counts, by topic with their 👍/👎, and the words of declined and 👎 ones."""
    day = day_of(s, QuestionLog.created_at)
    unit = [QuestionLog.province_code, func.coalesce(QuestionLog.ward_code, ZERO)]
    raw_unit = [QuestionLog.province_code, QuestionLog.ward_code]
    scope = [*where.unit(QuestionLog), *where.stamped(QuestionLog.created_at)]
    topic = func.coalesce(QuestionLog.topic, EMPTY)
    rows = await s.execute(
        select(*unit, day, topic, func.count(), func.count().filter(QuestionLog.kind == "out_of_scope"),
               func.count().filter(QuestionLog.kind == "safety"), func.count().filter(QuestionLog.feedback == "up"),
               func.count().filter(QuestionLog.feedback == "down"))
        .where(*scope).group_by(*raw_unit, day, QuestionLog.topic))
    for p, w, d, t, n, declined, scam, up, down in _all(rows):
        out.add((p, w, QUESTIONS_THON), _day(d), questions=n, declined=declined, scam_alerts=scam)
        out.topics.append({"province_code": p, "ward_code": w, "day": _day(d), "topic": t, "questions": n,
                           "up": up, "down": down})
    out.topics = _merge(out.topics, ("province_code", "ward_code", "day", "topic"), ("questions", "up", "down"))
    texts = await s.execute(
        select(*unit, day, QuestionLog.kind, topic, func.coalesce(QuestionLog.lesson_id, EMPTY), QuestionLog.feedback,
               QuestionLog.text, func.count())
        .where(*scope, or_(QuestionLog.kind == "out_of_scope", QuestionLog.feedback == "down"))
        .group_by(*raw_unit, day, QuestionLog.kind, QuestionLog.topic, QuestionLog.lesson_id, QuestionLog.feedback,
                  QuestionLog.text))
    found: list[dict[str, Any]] = []
    for p, w, d, kind, t, lesson, feedback, words, n in _all(texts):
        base = {"province_code": p, "ward_code": w, "day": _day(d), "text": words, "n": n}
        if kind == "out_of_scope":
            found.append({**base, "kind": "declined", "topic": "", "lesson_id": ""})
        if feedback == "down":
            found.append({**base, "kind": "down", "topic": t, "lesson_id": lesson})
    out.texts = _merge(found, ("province_code", "ward_code", "day", "kind", "topic", "lesson_id", "text"), ("n",))


def _all(result: Any) -> list[Any]:
    return list(result.all())


def _merge(rows: list[dict[str, Any]], keys: tuple[str, ...], sums: tuple[str, ...]) -> list[dict[str, Any]]:
    """Rows with the same key columns added together."""
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in rows:
        k = tuple(r[c] for c in keys)
        if k in merged:
            for c in sums:
                merged[k][c] += r[c]
        else:
            merged[k] = dict(r)
    return list(merged.values())
