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
    func,
    insert,
    inspect,
    literal,
    literal_column,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
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
        """The commune days to compute again (outside the communes computed whole)."""
        return {(p, w, d) for (p, w, _), d in self.days if (p, w) not in self.whole_wards}

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


async def settle(s: AsyncSession) -> None:
    """Count the marked cells again now, with the pass mark they were counted with (after an erasure, so that no
    mark or empty cell keeps the person's thôn)."""
    state = await s.get(StatState, 1)
    if state is not None:
        await refresh(s, state.pass_ratio)
    else:
        await s.execute(delete(StatMark))  # never counted yet: the first refresh counts everything anyway


async def rebuild(s: AsyncSession, pass_ratio: float) -> None:
    """Every cell from the raw rows (after a migration, a new pass mark, or to check the maintained ones)."""
    await _lock(s)
    for model in (StatCell, StatRepass, StatLesson, StatGroup, StatTopic, StatText, StatMark):
        await s.execute(delete(model))
    computed = await cellsql.compute(s, None, pass_ratio)
    everything = Dirty(whole={leaf for leaf, _day in computed.cells})
    await _insert(s, computed, everything)
    await _totals(s)
    await _roll_up(s)
    state = await s.get(StatState, 1)
    if state is None:
        s.add(StatState(id=1, pass_ratio=pass_ratio))
    else:
        state.pass_ratio = pass_ratio
    await s.flush()


async def _replace(s: AsyncSession, dirty: Dirty, pass_ratio: float) -> None:
    """Compute the dirty cells again; each running total moves by what its days gained or lost."""
    days = sorted({d for _leaf, d in dirty.days})
    span = None if dirty.whole or not days else (days[0], days[-1])
    computed = await cellsql.compute(s, sorted(dirty.wards), pass_ratio, span)
    old: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for model in (StatCell, StatRepass):
        level = [StatCell.level == THON_LEVEL] if model is StatCell else []
        picks = [[tuple_(model.province_code, model.ward_code, model.hamlet).in_(chunk), model.day < ALL_DAYS]
                 for chunk in _chunks(sorted(dirty.whole))]
        cells = sorted((p, w, h, d) for (p, w, h), d in dirty.days)
        picks += [[tuple_(model.province_code, model.ward_code, model.hamlet, model.day).in_(chunk)]
                  for chunk in _chunks(cells)]
        for pick in picks:
            old[model] += await _delete(s, model, [*level, *pick])
    for model, _keys, _sums in _TOTALS:
        picks = [[tuple_(model.province_code, model.ward_code).in_(chunk), model.day < ALL_DAYS]
                 for chunk in _chunks(sorted(dirty.whole_wards))]
        picks += [[tuple_(model.province_code, model.ward_code, model.day).in_(chunk)]
                  for chunk in _chunks(sorted(dirty.ward_days()))]
        for pick in picks:
            old[model] += await _delete(s, model, pick)
    new = await _insert(s, computed, dirty)
    await _shift_totals(s, old, new)


def _chunks(items: list[Any], size: int = 200) -> list[list[Any]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


async def _delete(s: AsyncSession, model: Any, where: list[Any]) -> list[dict[str, Any]]:
    """Delete rows and return them (what their running totals lose)."""
    gone = await s.execute(delete(model).where(*where).returning(*model.__table__.columns))
    return [dict(r._mapping) for r in gone.all()]


async def _shift_totals(s: AsyncSession, old: dict[Any, list[dict[str, Any]]],
                        new: dict[Any, list[dict[str, Any]]]) -> None:
    """Move the running totals, and each commune's own cells, by what the new rows hold less the deleted ones."""
    for model, keys, sums in _SHIFTED:
        delta: dict[tuple[Any, ...], dict[str, Any]] = {}
        for rows, sign in ((new.get(model, []), 1), (old.get(model, []), -1)):
            for r in rows:
                if model is StatCell and r["level"] != THON_LEVEL:
                    continue
                for target in _targets(model, keys, r):
                    acc = delta.setdefault(target, dict.fromkeys(sums, 0))
                    for c in sums:
                        acc[c] += sign * (r.get(c) or 0)
        names = (*keys, "day") if model is not StatCell else ("level", "province_code", "ward_code", "hamlet", "day")
        values = [{**dict(zip(names, k, strict=True)), **v} for k, v in delta.items() if any(v.values())]
        if model is StatText:
            await _shift_texts(s, values)
        elif values:
            upsert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
            stmt = upsert(model)
            stmt = stmt.on_conflict_do_update(
                index_elements=[c.name for c in model.__table__.primary_key.columns],
                set_={c: getattr(model.__table__.c, c) + getattr(stmt.excluded, c) for c in sums})
            for chunk in _chunks(values, 2000):
                await s.execute(stmt, chunk)
            # A unit left with nothing (its last learner erased) keeps no row, so no thôn name stays behind.
            await s.execute(delete(model).where(model.day == ALL_DAYS, *[getattr(model, c) == 0 for c in sums]))


def _targets(model: Any, keys: tuple[str, ...], r: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The rows a changed row adds into: its unit's running total; for a thôn cell, also its commune's cell of
    the same day and the commune's running total."""
    if model is not StatCell:
        return [(*(r[k] for k in keys), ALL_DAYS)]
    thon = (THON_LEVEL, r["province_code"], r["ward_code"], r["hamlet"])
    commune = (COMMUNE_LEVEL, r["province_code"], r["ward_code"], "")
    return [(*thon, ALL_DAYS), (*commune, r["day"]), (*commune, ALL_DAYS)]


async def _shift_texts(s: AsyncSession, values: list[dict[str, Any]]) -> None:
    """Words have no key of their own: each changed running total is updated, or added when new."""
    for v in values:
        match = [StatText.day == ALL_DAYS, *[getattr(StatText, k) == v[k] for k in (
            "province_code", "ward_code", "kind", "topic", "lesson_id", "text")]]
        done = await s.execute(update(StatText).where(*match).values(n=StatText.n + v["n"]))
        if not getattr(done, "rowcount", 0):
            await s.execute(insert(StatText).values(**v))


# The key columns of each table's running total (beside province, commune and day) and the columns it sums.
_TOTALS: tuple[tuple[Any, tuple[str, ...], tuple[str, ...]], ...] = (
    (StatLesson, ("lesson_id",), ("quizzes", "score_sum", "passes_first")),
    (StatGroup, ("dim", "value"), ("registered", "completions")),
    (StatTopic, ("topic",), ("questions", "up", "down")),
    (StatText, ("kind", "topic", "lesson_id", "text"), ("n",)),
)
_SHIFTED: tuple[tuple[Any, tuple[str, ...], tuple[str, ...]], ...] = (
    (StatCell, ("level", "province_code", "ward_code", "hamlet"), cellsql.CELL_COLUMNS),
    *[(model, ("province_code", "ward_code", *keys), sums) for model, keys, sums in _TOTALS])


async def _totals(s: AsyncSession) -> None:
    """Every thôn's and every commune table's row on ALL_DAYS: the sum of its days (after a rebuild)."""
    keys = [StatCell.province_code, StatCell.ward_code, StatCell.hamlet]
    await s.execute(insert(StatCell).from_select(
        ["level", "province_code", "ward_code", "hamlet", "day", *cellsql.CELL_COLUMNS],
        select(literal_column(str(THON_LEVEL)), *keys, literal(ALL_DAYS, Date),
               *[func.sum(getattr(StatCell, c)) for c in cellsql.CELL_COLUMNS])
        .where(StatCell.level == THON_LEVEL, StatCell.day < ALL_DAYS).group_by(*keys)))
    for model, _keys, _sums in _TOTALS:
        await _sum_days(s, model, [])


async def _sum_days(s: AsyncSession, model: Any, pick: list[Any]) -> None:
    """A commune table's running totals counted again from its days."""
    key_names, sums = next((k, v) for m, k, v in _TOTALS if m is model)
    await s.execute(delete(model).where(model.day == ALL_DAYS, *pick))
    keys = [model.province_code, model.ward_code, *[getattr(model, k) for k in key_names]]
    await s.execute(insert(model).from_select(
        ["province_code", "ward_code", *key_names, "day", *sums],
        select(*keys, literal(ALL_DAYS, Date), *[func.sum(getattr(model, c)) for c in sums])
        .where(model.day < ALL_DAYS, *pick).group_by(*keys)))


async def _insert(s: AsyncSession, computed: cellsql.Computed, dirty: Dirty) -> dict[Any, list[dict[str, Any]]]:
    """Insert the computed rows of the dirty cells; returns them by table."""
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
    return dict(rows)


async def _roll_up(s: AsyncSession) -> None:
    """Every commune's cells: the sums of its thôn cells (after a rebuild; a refresh moves them by deltas)."""
    sums = [func.sum(getattr(StatCell, c)).label(c) for c in cellsql.CELL_COLUMNS]
    source = (select(literal_column(str(COMMUNE_LEVEL)), StatCell.province_code, StatCell.ward_code,
                     literal_column("''"), StatCell.day, *sums)
              .where(StatCell.level == THON_LEVEL)
              .group_by(StatCell.province_code, StatCell.ward_code, StatCell.day))
    columns = ["level", "province_code", "ward_code", "hamlet", "day", *cellsql.CELL_COLUMNS]
    await s.execute(insert(StatCell).from_select(columns, source))
