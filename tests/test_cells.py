"""The maintained statistics equal the raw count: for random units and periods of whole days, after a rebuild and
after every kind of change the tutor makes (a quiz, a move, a consent, a household, an erasure, 👎, the retention
job), on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select

from storage import cellread, cells, personal, repo, schedule
from storage.cellsql import CELL_COLUMNS
from storage.db import Database
from storage.models import (
    TZ,
    ActivityDay,
    Completion,
    Household,
    QuestionLog,
    QuizAttempt,
    StatCell,
    StatGroup,
    StatLesson,
    StatRepass,
    StatText,
    StatTopic,
    SupportSession,
    UnitTarget,
    User,
    utcnow,
)
from storage.reportrows import Report
from storage.stats import report
from storage.units import Scope
from tests.test_stats import population


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=TZ).astimezone(UTC)  # as the admin pages pass it


def _same(a: Report, b: Report) -> None:
    """Two reports of one unit and period hold the same numbers."""
    def rows(r: Report) -> dict[str, dict[str, Any]]:
        return {row.key: row.as_dict() for row in [*r.children, r.total]}

    got, want = rows(a), rows(b)
    assert got.keys() == want.keys()
    for key, values in want.items():
        for name, value in values.items():
            other = got[key][name]
            if isinstance(value, float) or isinstance(other, float):
                assert other is not None and value is not None and abs(other - value) < 1e-9, (key, name)
            else:
                assert other == value, (key, name, other, value)
    assert [(x.key, x.registered, x.completions) for x in a.by_group] == \
        [(x.key, x.registered, x.completions) for x in b.by_group]
    assert [(x.key, x.registered, x.completions) for x in a.by_age] == \
        [(x.key, x.registered, x.completions) for x in b.by_age]
    assert [(x.lesson_id, x.quizzes, x.passed) for x in a.by_lesson] == \
        [(x.lesson_id, x.quizzes, x.passed) for x in b.by_lesson]
    for x, y in zip(a.by_lesson, b.by_lesson, strict=True):
        assert abs((x.avg_score or 0) - (y.avg_score or 0)) < 1e-9
    assert a.questions_by_topic == b.questions_by_topic and a.feedback_by_topic == b.feedback_by_topic
    assert a.declined_questions == b.declined_questions and a.timeline == b.timeline
    assert [(d.topic, d.lesson_id, d.text, d.n) for d in a.disliked] == \
        [(d.topic, d.lesson_id, d.text, d.n) for d in b.disliked]


async def _load(db: Database, seed: int, n_users: int) -> dict[str, list[dict[str, Any]]]:
    data = population(seed=seed, n_users=n_users)
    rng = random.Random(seed)
    households = []
    for i, u in enumerate(u for u in data["users"] if u["ward_code"] and rng.random() < 0.3):
        if i % 3 == 0:
            households.append(dict(id=len(households) + 1, code=f"H{len(households) + 1}",
                                   province_code=u["province_code"], ward_code=u["ward_code"], hamlet=u["hamlet"],
                                   created_at=u["consent_at"] - timedelta(days=rng.randint(-30, 30))))
        if households:
            u["household_id"] = households[-1]["id"]
    for u in data["users"]:
        u.setdefault("household_id", None)
    for q in data["questions"]:
        q["feedback"] = rng.choice([None, None, "up", "down"]) if q["kind"] == "answer" else None
        q["lesson_id"] = rng.choice(["a", None]) if q["kind"] == "answer" else None
    async with db.transaction() as s:
        await s.execute(insert(Household), households)
        for model, rows in ((User, data["users"]), (QuizAttempt, data["attempts"]),
                            (Completion, data["completions"]), (SupportSession, data["support"]),
                            (QuestionLog, data["questions"]), (UnitTarget, data["targets"]),
                            (ActivityDay, data["activity"])):
            await s.execute(insert(model), rows)
    return data


def _periods(rng: random.Random, n: int) -> list[tuple[datetime | None, datetime | None]]:
    today = utcnow().astimezone(TZ).date()
    out: list[tuple[datetime | None, datetime | None]] = [(None, None), (None, utcnow())]
    while len(out) < n:
        first = today - timedelta(days=rng.randint(0, 330))
        end = first + timedelta(days=rng.randint(1, 120))
        out.append((_midnight(first), _midnight(end) if rng.random() < 0.8 else utcnow()))
    return out


def _scopes(data: dict[str, list[dict[str, Any]]], rng: random.Random) -> list[Scope]:
    users = [u for u in data["users"] if u["ward_code"]]
    picked = rng.sample(users, 3)
    return [Scope(), *[Scope(province_code=u["province_code"]) for u in picked[:2]],
            *[Scope(u["province_code"], u["ward_code"]) for u in picked]]


async def _compare(db: Database, scopes: list[Scope], periods: list[tuple[datetime | None, datetime | None]]) -> None:
    for scope in scopes:
        for since, until in periods:
            async with db.transaction() as s:
                kept = await report(s, scope, since, until)
                counted = await report(s, scope, since, until, from_raw=True)
            _same(kept, counted)


VALUES = {"stat_cells": CELL_COLUMNS, "stat_repasses": ("n",),
          "stat_lessons": ("quizzes", "score_sum", "passes_first"), "stat_groups": ("registered", "completions"),
          "stat_topics": ("questions", "up", "down"), "stat_texts": ("n",)}


async def _dump(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every cell with something in it (a running total can be left at zero), in a comparable form."""
    out = {}
    async with db.transaction() as s:
        for model in (StatCell, StatRepass, StatLesson, StatGroup, StatTopic, StatText):
            cols = [c for c in model.__table__.columns if c.name != "id"]
            rows = (await s.execute(select(*cols))).mappings().all()
            out[model.__tablename__] = sorted(
                tuple(round(v, 6) if isinstance(v, float) else str(v) for v in r.values())
                for r in rows if any(r[c] for c in VALUES[model.__tablename__]))
    return out


async def test_cells_equal_the_raw_count_for_random_units_and_periods(db_url: str) -> None:
    db = Database(db_url)
    rng = random.Random(3)
    try:
        data = await _load(db, seed=3, n_users=1500)
        await _compare(db, _scopes(data, rng), _periods(rng, 8))
        # A period that does not begin at midnight is counted from the raw rows, and says so by being equal too.
        odd = _midnight(utcnow().astimezone(TZ).date()) - timedelta(days=40, hours=5)
        await _compare(db, [Scope()], [(odd, odd + timedelta(days=20))])
    finally:
        await db.dispose()


async def test_cells_follow_every_change(db_url: str) -> None:
    db = Database(db_url)
    rng = random.Random(8)
    try:
        data = await _load(db, seed=8, n_users=600)
        async with db.transaction() as s:
            await cells.refresh(s, 0.8)  # the first refresh counts everything
        users = [u for u in data["users"] if u["ward_code"]]
        mover, leaver, joiner, learner = rng.sample(users, 4)
        newcomer = next(u for u in data["users"] if u["consent_at"] is None)
        other = next(u for u in users if u["ward_code"] != mover["ward_code"])
        now = utcnow()
        async with db.transaction() as s:
            user = await s.get(User, learner["id"])
            assert user is not None
            s.add(QuizAttempt(user_id=user.id, lesson_id="a", status="finished", kind="lesson", n_questions=5,
                              n_correct=5, score=1.0, started_at=now, finished_at=now))
            s.add(QuizAttempt(user_id=user.id, lesson_id="b", status="finished", kind="lesson", n_questions=5,
                              n_correct=5, score=1.0, started_at=now, finished_at=now - timedelta(days=2)))
            user.vneid_level2, user.platform_confirmed_at = True, now
        async with db.transaction() as s:
            moved = await s.get(User, mover["id"])
            assert moved is not None
            moved.province_code, moved.ward_code, moved.hamlet = other["province_code"], other["ward_code"], "Mới"
            came = await s.get(User, newcomer["id"])
            assert came is not None
            came.consent_at, came.province_code, came.ward_code, came.hamlet = (
                now - timedelta(days=1), other["province_code"], other["ward_code"], "Thôn 1")
            s.add(Completion(user_id=learner["id"], programme="P", province_code=learner["province_code"],
                             ward_code=learner["ward_code"], hamlet=learner["hamlet"], completed_at=now))
            s.add(SupportSession(topic="vneid", people=4, province_code=other["province_code"],
                                 ward_code=other["ward_code"], hamlet="Thôn 2", created_at=now))
        async with db.transaction() as s:
            home = Household(id=100_000, code="MOI", province_code=joiner["province_code"],
                             ward_code=joiner["ward_code"],
                             hamlet=joiner["hamlet"], created_at=now - timedelta(days=3))
            s.add(home)
            await s.flush()
            joined = await s.get(User, joiner["id"])
            assert joined is not None
            joined.household_id = home.id
            s.add(QuestionLog(channel="zalo", text="mã otp là gì", kind="answer", topic="otp",
                              province_code=joiner["province_code"], ward_code=joiner["ward_code"], created_at=now))
            asked = (await s.execute(select(QuestionLog.id).where(QuestionLog.feedback.is_(None),
                                                                 QuestionLog.province_code.is_not(None)))).scalar()
            assert asked is not None and await repo.rate_answer(s, asked, "down")
        async with db.transaction() as s:
            gone = await s.get(User, leaver["id"])
            assert gone is not None
            await personal.erase(s, gone, None, {}, lambda t: t)
            await schedule.purge_expired(s, now, 150, 30, 365)
        scopes = [Scope(), Scope(province_code=other["province_code"]),
                  *{Scope(u["province_code"], u["ward_code"]) for u in (mover, other, leaver, joiner, learner)}]
        await _compare(db, scopes, _periods(rng, 5))
        async with db.transaction() as s:  # SQLite reports count the raw rows: refresh here
            await cells.refresh(s, 0.8)
        kept = await _dump(db)
        async with db.transaction() as s:
            await cells.rebuild(s, 0.8)
        assert await _dump(db) == kept
    finally:
        await db.dispose()


def test_period_days() -> None:
    now = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)  # 10:00 in Vietnam
    first, end = date(2026, 11, 1), date(2026, 12, 1)
    assert cellread.period_days(_midnight(first), _midnight(end), now) == (first, end)
    assert cellread.period_days(None, now, now) == (None, None)  # up to now: nothing comes later
    assert cellread.period_days(_midnight(first), None, now) == (first, None)
    assert cellread.period_days(_midnight(first) + timedelta(hours=1), None, now) is None
    assert cellread.period_days(None, now - timedelta(hours=1), now) is None  # ends earlier today: raw rows


async def test_the_minute_job_counts_what_changed(db_url: str) -> None:
    from bot.scheduler import refresh_statistics

    db = Database(db_url)
    try:
        async with db.transaction() as s:
            await cells.rebuild(s, 0.8)
            s.add(SupportSession(topic="vneid", people=3, province_code=1, ward_code=4, hamlet="Thôn 1",
                                 created_at=utcnow()))
        assert await refresh_statistics(db, 0.8) == 1  # one mark: that thôn's day
        assert await refresh_statistics(db, 0.8) == 0
        async with db.transaction() as s:
            got = await report(s, Scope(province_code=1), None, None)
            assert (got.total.support_sessions, got.total.people_helped) == (1, 3)
    finally:
        await db.dispose()
