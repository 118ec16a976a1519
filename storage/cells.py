"""Keeping the maintained statistics (storage/models/cells.py) equal to the raw rows.

Every flush that changes a counted row adds a `StatMark` for the thôn and day it touches, in the same transaction
(`_mark_changes`, an ORM hook, so no writer can forget it; the few bulk statements call `mark` themselves). A
move, a consent given or withdrawn, or an erasure marks the learner's thôn for every day. `refresh()` computes
the marked cells again from the raw rows and deletes the marks it used; it runs before a report reads the cells
and every minute from the scheduler, one at a time. `rebuild()` computes every cell from the raw rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    Date,
    delete,
    event,
    false,
    func,
    insert,
    inspect,
    literal,
    literal_column,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from storage import cellsql
from storage.models import (
    ALL_DAYS,
    COMMUNE_LEVEL,
    QUESTIONS_THON,
    THON_LEVEL,
    TZ,
    Completion,
    Household,
    QuestionLog,
    QuizAttempt,
    StatCell,
    StatGroup,
    StatLesson,
    StatMark,
    StatRepass,
    StatState,
    StatText,
    StatTopic,
    SupportSession,
    User,
    as_utc,
)

Leaf = tuple[int, int, str]  # (province, commune, thôn) with 0 and "" for unknown
WHOLE = None  # a mark's day: every day of the thôn

# User columns whose change moves every count of the learner (their thôn, whether they count at all).
_USER_MOVES = ("province_code", "ward_code", "hamlet", "consent_at")
# User columns counted by the consent day (and the confirmation's).
_USER_DATED = ("vneid_level2", "age_band", "target_group", "platform_confirmed_at")
_QUESTION_COUNTED = ("kind", "topic", "feedback", "text", "province_code", "ward_code", "created_at", "lesson_id")
_LOCK_KEY = 0x6B6E73  # pg_advisory_xact_lock: one refresh at a time


def local_day(when: datetime | None) -> date | None:
    return None if when is None else as_utc(when).astimezone(TZ).date()


def day_start(day: date) -> datetime:
    """The moment a Vietnam day begins."""
    return datetime.combine(day, time(), TZ)


def leaf_of(province: int | None, ward: int | None, hamlet: str | None) -> Leaf | None:
    """A thôn's cell key; None where the row belongs to no province (no report counts it)."""
    return None if province is None else (province, ward or 0, hamlet or "")


# ---------------------------------------------------------------- marking, in the writer's transaction


def _old(obj: Any, name: str) -> Any:
    """The value a column had when loaded (the current one if unchanged)."""
    hist = inspect(obj).attrs[name].history
    return hist.deleted[0] if hist.deleted else getattr(obj, name)


def _changed(obj: Any, names: tuple[str, ...]) -> bool:
    state = inspect(obj)
    return any(state.attrs[n].history.has_changes() for n in names)


def _user_leaf(session: Session, user_id: int | None) -> tuple[Leaf | None, int | None]:
    """A learner's thôn and household, from the session if loaded (else one query)."""
    if user_id is None:
        return None, None
    user = session.identity_map.get(inspect(User).identity_key_from_primary_key((user_id,)))
    if user is not None:
        return leaf_of(user.province_code, user.ward_code, user.hamlet), user.household_id
    with session.no_autoflush:
        row = session.execute(select(User.province_code, User.ward_code, User.hamlet, User.household_id)
                              .where(User.id == user_id)).first()
    return (None, None) if row is None else (leaf_of(row[0], row[1], row[2]), row[3])


def _household_leaf(session: Session, household_id: int | None) -> Leaf | None:
    if household_id is None:
        return None
    with session.no_autoflush:
        row = session.execute(select(Household.province_code, Household.ward_code, Household.hamlet)
                              .where(Household.id == household_id)).first()
    return None if row is None else leaf_of(row[0], row[1], row[2])


def _user_marks(session: Session, user: User, deleted: bool, out: set[tuple[Leaf, date | None]]) -> None:
    old = leaf_of(_old(user, "province_code"), _old(user, "ward_code"), _old(user, "hamlet"))
    new = leaf_of(user.province_code, user.ward_code, user.hamlet)
    if deleted or _changed(user, _USER_MOVES):
        out.update((leaf, WHOLE) for leaf in (old, new) if leaf is not None)
        if deleted and old is not None:
            out.add(((old[0], old[1], QUESTIONS_THON), WHOLE))
    elif _changed(user, _USER_DATED) and new is not None:
        for when in (user.consent_at, _old(user, "platform_confirmed_at"), user.platform_confirmed_at):
            if when is not None and user.consent_at is not None:
                out.add((new, local_day(max(as_utc(when), as_utc(user.consent_at)))))
    if deleted or _changed(user, ("household_id",)):
        for hid in {_old(user, "household_id"), user.household_id}:
            leaf = _household_leaf(session, hid)
            if leaf is not None:
                out.add((leaf, WHOLE))


def _row_marks(session: Session, obj: Any, out: set[tuple[Leaf, date | None]]) -> None:
    if isinstance(obj, QuizAttempt):
        if "finished" in (obj.status, _old(obj, "status")):
            leaf, _ = _user_leaf(session, obj.user_id)
            for when in {_old(obj, "finished_at"), obj.finished_at}:
                if leaf is not None and when is not None:
                    out.add((leaf, local_day(when)))
    elif isinstance(obj, Completion | SupportSession):
        stamp = "completed_at" if isinstance(obj, Completion) else "created_at"
        for version in (_old, getattr):
            leaf = leaf_of(version(obj, "province_code"), version(obj, "ward_code"), version(obj, "hamlet"))
            if leaf is not None and version(obj, stamp) is not None:
                out.add((leaf, local_day(version(obj, stamp))))
        if isinstance(obj, Completion):  # a household counts once a member completed
            for uid in {_old(obj, "user_id"), obj.user_id}:
                hleaf = _household_leaf(session, _user_leaf(session, uid)[1])
                if hleaf is not None:
                    out.add((hleaf, WHOLE))
    elif isinstance(obj, Household):
        for version in (_old, getattr):
            leaf = leaf_of(version(obj, "province_code"), version(obj, "ward_code"), version(obj, "hamlet"))
            if leaf is not None:
                out.add((leaf, WHOLE))
    elif isinstance(obj, QuestionLog) and (obj not in session.dirty or _changed(obj, _QUESTION_COUNTED)):
        for version in (_old, getattr):
            leaf = leaf_of(version(obj, "province_code"), version(obj, "ward_code"), QUESTIONS_THON)
            if leaf is not None and version(obj, "created_at") is not None:
                out.add((leaf, local_day(version(obj, "created_at"))))


@event.listens_for(Session, "before_flush")
def _mark_changes(session: Session, _context: Any, _instances: Any) -> None:
    out: set[tuple[Leaf, date | None]] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, StatMark | StatCell):
            continue
        if isinstance(obj, User):
            _user_marks(session, obj, obj in session.deleted, out)
        else:
            _row_marks(session, obj, out)
    for (province, ward, hamlet), day in out:
        session.add(StatMark(province_code=province, ward_code=ward, hamlet=hamlet, day=day))


async def mark(s: AsyncSession, cells: set[tuple[Leaf, date | None]]) -> None:
    """Marks for changes made by bulk statements, which the flush hook does not see."""
    s.add_all([StatMark(province_code=p, ward_code=w, hamlet=h, day=d) for (p, w, h), d in cells])


def question_cells(rows: list[Any]) -> set[tuple[Leaf, date | None]]:
    """The cells of question rows given as (province, commune, created_at)."""
    out: set[tuple[Leaf, date | None]] = set()
    for province, ward, created in rows:
        leaf = leaf_of(province, ward, QUESTIONS_THON)
        if leaf is not None:
            out.add((leaf, local_day(created)))
    return out


# ---------------------------------------------------------------- refreshing


@dataclass
class Dirty:
    """What a refresh computes again: whole thôn, single (thôn, day) cells, and the communes they are in."""

    whole: set[Leaf] = field(default_factory=set)
    days: set[tuple[Leaf, date]] = field(default_factory=set)
    _ward_days: set[tuple[int, int, date]] | None = None

    @property
    def wards(self) -> set[tuple[int, int]]:
        return {(p, w) for p, w, _ in self.whole} | {(p, w) for (p, w, _), _ in self.days}

    @property
    def whole_wards(self) -> set[tuple[int, int]]:
        return {(p, w) for p, w, _ in self.whole}

    def ward_days(self) -> set[tuple[int, int, date]]:
        """The commune days to compute again, with the communes' running totals."""
        days = {(p, w, d) for (p, w, _), d in self.days if (p, w) not in self.whole_wards}
        return days | {(p, w, ALL_DAYS) for p, w, _d in days}

    @property
    def leaves(self) -> set[Leaf]:
        return self.whole | {leaf for leaf, _ in self.days}

    def wants(self, leaf: Leaf, day: date) -> bool:
        return leaf in self.whole or (leaf, day) in self.days

    def wants_ward(self, province: int, ward: int, day: date) -> bool:
        if self._ward_days is None:
            self._ward_days = self.ward_days()
        return (province, ward) in self.whole_wards or (province, ward, day) in self._ward_days


async def _lock(s: AsyncSession) -> None:
    if s.get_bind().dialect.name == "postgresql":
        await s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})


async def refresh(s: AsyncSession, pass_ratio: float) -> int:
    """Compute the marked cells again (everything, if never counted or with another pass mark); how many marks."""
    state = await s.get(StatState, 1)
    if state is None or abs(state.pass_ratio - pass_ratio) > 1e-9:
        await rebuild(s, pass_ratio)
        return 0
    if (await s.execute(select(StatMark.id).limit(1))).first() is None:
        return 0
    await _lock(s)
    marks = (await s.execute(select(StatMark.id, StatMark.province_code, StatMark.ward_code, StatMark.hamlet,
                                    StatMark.day))).all()
    if not marks:
        return 0
    dirty = Dirty()
    for _id, p, w, h, d in marks:
        if d is None:
            dirty.whole.add((p, w, h))
    dirty.days = {((p, w, h), d) for _id, p, w, h, d in marks if d is not None and (p, w, h) not in dirty.whole}
    await _replace(s, dirty, pass_ratio)
    ids = [m[0] for m in marks]
    for i in range(0, len(ids), 500):
        await s.execute(delete(StatMark).where(StatMark.id.in_(ids[i:i + 500])))
    return len(ids)


async def rebuild(s: AsyncSession, pass_ratio: float) -> None:
    """Every cell from the raw rows (after a migration, a new pass mark, or to check the maintained ones)."""
    await _lock(s)
    for model in (StatCell, StatRepass, StatLesson, StatGroup, StatTopic, StatText, StatMark):
        await s.execute(delete(model))
    computed = await cellsql.compute(s, None, pass_ratio)
    everything = Dirty(whole={leaf for leaf, _day in computed.cells})
    await _insert(s, computed, everything)
    await _totals(s, None)
    await _roll_up(s, None)
    state = await s.get(StatState, 1)
    if state is None:
        s.add(StatState(id=1, pass_ratio=pass_ratio))
    else:
        state.pass_ratio = pass_ratio
    await s.flush()


async def _replace(s: AsyncSession, dirty: Dirty, pass_ratio: float) -> None:
    days = sorted({d for _leaf, d in dirty.days})
    span = None if dirty.whole or not days else (days[0], days[-1])
    computed = await cellsql.compute(s, sorted(dirty.wards), pass_ratio, span)
    by_leaf: dict[Leaf, list[date]] = defaultdict(list)
    for leaf, d in dirty.days:
        by_leaf[leaf].append(d)
    for thon_model in (StatCell, StatRepass):
        level = [StatCell.level == THON_LEVEL] if thon_model is StatCell else []
        for leaf in dirty.whole:
            await s.execute(delete(thon_model).where(*level, *_is_leaf(thon_model, leaf)))
        for leaf, ds in by_leaf.items():
            await s.execute(delete(thon_model).where(*level, *_is_leaf(thon_model, leaf), thon_model.day.in_(ds)))
    ward_days: dict[tuple[int, int], list[date]] = defaultdict(list)
    for p, w, d in dirty.ward_days():
        ward_days[(p, w)].append(d)
    for ward_model in (StatLesson, StatGroup, StatTopic, StatText):
        for p, w in dirty.whole_wards:
            await s.execute(delete(ward_model).where(ward_model.province_code == p, ward_model.ward_code == w))
        for (p, w), ds in ward_days.items():
            await s.execute(delete(ward_model).where(ward_model.province_code == p, ward_model.ward_code == w,
                                                     ward_model.day.in_(ds)))
    await _insert(s, computed, dirty)
    await _totals(s, dirty)
    await _roll_up(s, dirty)


# The key columns of each table's running total (beside province, commune and day) and the columns it sums.
_TOTALS: tuple[tuple[Any, tuple[str, ...], tuple[str, ...]], ...] = (
    (StatLesson, ("lesson_id",), ("quizzes", "score_sum", "passes_first")),
    (StatGroup, ("dim", "value"), ("registered", "completions")),
    (StatTopic, ("topic",), ("questions", "up", "down")),
    (StatText, ("kind", "topic", "lesson_id", "text"), ("n",)),
)


async def _totals(s: AsyncSession, dirty: Dirty | None) -> None:
    """Each thôn's and each commune table's row on ALL_DAYS: the sum of its days (of the dirty ones, or all)."""
    leaves = None if dirty is None else list(dirty.leaves)
    wards = None if dirty is None else list(dirty.wards)
    for i in range(0, len(leaves) if leaves is not None else 1, 200):
        pick = [] if leaves is None else [
            tuple_(StatCell.province_code, StatCell.ward_code, StatCell.hamlet).in_(leaves[i:i + 200])]
        await s.execute(delete(StatCell).where(StatCell.level == THON_LEVEL, StatCell.day == ALL_DAYS, *pick))
        keys = [StatCell.province_code, StatCell.ward_code, StatCell.hamlet]
        await s.execute(insert(StatCell).from_select(
            ["level", "province_code", "ward_code", "hamlet", "day", *cellsql.CELL_COLUMNS],
            select(literal_column(str(THON_LEVEL)), *keys, literal(ALL_DAYS, Date),
                   *[func.sum(getattr(StatCell, c)) for c in cellsql.CELL_COLUMNS])
            .where(StatCell.level == THON_LEVEL, StatCell.day < ALL_DAYS, *pick).group_by(*keys)))
    for model, key_names, sums in _TOTALS:
        pick = [] if wards is None else [tuple_(model.province_code, model.ward_code).in_(wards)]
        await s.execute(delete(model).where(model.day == ALL_DAYS, *pick))
        keys = [model.province_code, model.ward_code, *[getattr(model, k) for k in key_names]]
        await s.execute(insert(model).from_select(
            ["province_code", "ward_code", *key_names, "day", *sums],
            select(*keys, literal(ALL_DAYS, Date), *[func.sum(getattr(model, c)) for c in sums])
            .where(model.day < ALL_DAYS, *pick).group_by(*keys)))


def _is_leaf(model: Any, leaf: Leaf) -> list[Any]:
    return [model.province_code == leaf[0], model.ward_code == leaf[1], model.hamlet == leaf[2]]


async def _insert(s: AsyncSession, computed: cellsql.Computed, dirty: Dirty) -> None:
    rows: list[tuple[Any, list[dict[str, Any]]]] = [
        (StatCell, [{"level": THON_LEVEL, "province_code": p, "ward_code": w, "hamlet": h, "day": d, **values}
                    for ((p, w, h), d), values in computed.cells.items() if dirty.wants((p, w, h), d)]),
        (StatRepass, [{"province_code": p, "ward_code": w, "hamlet": h, "day": d, "lesson_id": lesson,
                       "prev_day": prev, "n": n} for (p, w, h, d, lesson, prev), n in computed.repasses.items()
                      if dirty.wants((p, w, h), d)]),
    ]
    ward_tables: tuple[tuple[Any, list[dict[str, Any]]], ...] = (
        (StatLesson, computed.lessons), (StatGroup, computed.groups), (StatTopic, computed.topics),
        (StatText, computed.texts))
    for model, table in ward_tables:
        rows.append((model, [r for r in table if dirty.wants_ward(r["province_code"], r["ward_code"], r["day"])]))
    for model, values in rows:
        for i in range(0, len(values), 2000):
            await s.execute(insert(model), values[i:i + 2000])


async def _roll_up(s: AsyncSession, dirty: Dirty | None) -> None:
    """A commune's cells: the sums of its thôn cells (all of them, or those of the dirty communes and days)."""
    sums = [func.sum(getattr(StatCell, c)).label(c) for c in cellsql.CELL_COLUMNS]
    pick: list[Any] = []
    if dirty is not None:
        whole = dirty.whole_wards
        some = dirty.ward_days()
        parts: list[Any] = [false()]
        if whole:
            parts.append(tuple_(StatCell.province_code, StatCell.ward_code).in_(list(whole)))
        if some:
            parts.append(tuple_(StatCell.province_code, StatCell.ward_code, StatCell.day).in_(list(some)))
        pick = [or_(*parts)]
        await s.execute(delete(StatCell).where(StatCell.level == COMMUNE_LEVEL, *pick))
    source = (select(literal_column(str(COMMUNE_LEVEL)), StatCell.province_code, StatCell.ward_code,
                     literal_column("''"), StatCell.day, *sums)
              .where(StatCell.level == THON_LEVEL, *pick)
              .group_by(StatCell.province_code, StatCell.ward_code, StatCell.day))
    columns = ["level", "province_code", "ward_code", "hamlet", "day", *cellsql.CELL_COLUMNS]
    await s.execute(insert(StatCell).from_select(columns, source))


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
