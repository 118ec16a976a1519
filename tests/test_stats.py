"""Statistics against an independent count over a generated population (SQLite and PostgreSQL)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from storage import units
from storage.db import Database
from storage.models import Completion, QuizAttempt, User
from storage.stats import Scope, report

NOW = datetime(2026, 11, 20, tzinfo=UTC)
SINCE, UNTIL = NOW - timedelta(days=90), NOW


def population(seed: int = 11) -> tuple[list[dict], list[dict], list[dict], list[int]]:
    rng = random.Random(seed)
    provinces = sorted(units.all_province_codes())[:3]
    from vietnam_provinces import Ward

    wards = []
    for p in provinces:
        codes = [int(w.code.value) for w in Ward.iter_all() if int(w.province_code.value) == p][:4]
        wards += [c for c in (units.commune(code) for code in codes) if c is not None]
    empty = wards.pop()  # a commune with no learners at all
    users, attempts, completions = [], [], []
    for i in range(600):
        w = rng.choice(wards)
        consent = rng.random() < 0.8
        users.append(dict(id=i + 1, channel="telegram", channel_user_id=str(i), context={}, active=True,
                          created_at=NOW - timedelta(days=200), last_seen_at=NOW - timedelta(days=rng.randint(0, 200)),
                          consent_at=(NOW - timedelta(days=rng.randint(1, 300))) if consent else None,
                          province_code=w.province_code if consent else None, ward_code=w.code if consent else None,
                          hamlet=rng.choice(["Thôn 1", "Thôn 2", "Tổ dân phố 3"]) if consent else None,
                          target_group=rng.choice(["nguoi-dan", "hoc-sinh-sinh-vien", None]) if consent else None,
                          vneid_level2=rng.choice([True, False, None]) if consent else None))
        for _ in range(rng.randint(0, 4)):
            n = rng.choice([5, 6])
            right = rng.randint(0, n)
            attempts.append(dict(user_id=i + 1, lesson_id=rng.choice(["a", "b", "c"]), status="finished", kind="lesson",
                                 n_questions=n, n_correct=right, score=right / n,
                                 started_at=NOW - timedelta(days=200),
                                 finished_at=NOW - timedelta(days=rng.randint(0, 200))))
        if consent and rng.random() < 0.2:
            completions.append(dict(user_id=i + 1, programme="P", province_code=w.province_code, ward_code=w.code,
                                    completed_at=NOW - timedelta(days=rng.randint(0, 200))))
    return users, attempts, completions, [empty.code]


def independent(users: list[dict], attempts: list[dict], completions: list[dict], province: int) -> dict:
    """The same numbers, counted in plain Python."""
    def in_period(t: datetime | None) -> bool:
        return t is not None and SINCE <= t < UNTIL

    reg = [u for u in users if u["consent_at"] and u["consent_at"] < UNTIL and u["province_code"] == province]
    ids = {u["id"] for u in reg}
    fin = [a for a in attempts if a["user_id"] in ids and in_period(a["finished_at"])]
    return {
        "registered": len(reg),
        "vneid_level2": sum(u["vneid_level2"] is True for u in reg),
        "active": sum(in_period(u["last_seen_at"]) for u in reg),
        "quizzes": len(fin),
        "avg_score": sum(a["score"] for a in fin) / len(fin),
        "lessons_passed": len({(a["user_id"], a["lesson_id"]) for a in fin if a["score"] >= 0.8 - 1e-9}),
        "completions": sum(c["province_code"] == province and in_period(c["completed_at"]) for c in completions),
        "by_ward": Counter(u["ward_code"] for u in reg),
        "by_group": Counter(u["target_group"] or "" for u in reg),
    }


async def test_report_matches_an_independent_count(db_url: str) -> None:
    users, attempts, completions, empty = population()
    db = Database(db_url)
    try:
        async with db.transaction() as s:
            await s.execute(insert(User), users)
            await s.execute(insert(QuizAttempt), attempts)
            await s.execute(insert(Completion), completions)
        province = next(u["province_code"] for u in users if u["province_code"])
        want = independent(users, attempts, completions, province)
        async with db.transaction() as s:
            got = await report(s, Scope(province_code=province), SINCE, UNTIL)
            national = await report(s, Scope(), SINCE, UNTIL)
            ward = next(iter(want["by_ward"]))
            commune = await report(s, Scope.parse(f"X{ward}"), SINCE, UNTIL)
        t = got.total
        assert (t.registered, t.vneid_level2, t.active, t.quizzes, t.lessons_passed, t.completions) == (
            want["registered"], want["vneid_level2"], want["active"], want["quizzes"], want["lessons_passed"],
            want["completions"])
        assert abs((t.avg_score or 0) - want["avg_score"]) < 1e-9
        by_ward = {int(r.key): r.registered for r in got.children}
        assert {k: v for k, v in by_ward.items() if v} == dict(want["by_ward"])
        # Every commune of the province is listed, including ones with no learners.
        assert all(by_ward.get(code) == 0 for code in empty if units.commune(code).province_code == province)
        assert len(got.children) > 50
        assert got.by_group == dict(want["by_group"])
        # The province is one row of the national roll-up, with the same numbers.
        row = next(r for r in national.children if r.key == str(province))
        assert (row.registered, row.quizzes, row.completions) == (t.registered, t.quizzes, t.completions)
        assert len(national.children) == 34
        assert commune.total.registered == want["by_ward"][ward]
        assert sum(r.registered for r in commune.children) == commune.total.registered  # by thôn
    finally:
        await db.dispose()


def test_unit_codes() -> None:
    assert Scope.parse("vn") == Scope()
    hong_bang = units.find_communes("hong bang")[0]
    assert Scope.parse(f"X{hong_bang.code}") == Scope(hong_bang.province_code, hong_bang.code)
    assert Scope.parse(f"P{hong_bang.province_code}").name == "Thành phố Hải Phòng"
    for bad in ("P999", "X0", "Q1"):
        try:
            Scope.parse(bad)
        except ValueError:
            continue
        raise AssertionError(bad)


async def test_stats_command_formats(tmp_path: Path) -> None:
    import asyncio
    import csv
    import io
    import json as jsonlib

    from bot.cli import cmd_stats
    from bot.config import Settings
    from storage.db import upgrade

    url = f"sqlite+aiosqlite:///{tmp_path / 's.db'}"
    await asyncio.to_thread(upgrade, url)
    hong_bang = units.find_communes("hong bang")[0]
    db = Database(url)
    try:
        async with db.transaction() as s:
            await s.execute(insert(User), [dict(channel="zalo", channel_user_id="1", context={}, active=True,
                                                consent_at=NOW, province_code=hong_bang.province_code,
                                                ward_code=hong_bang.code, hamlet="=HYPERLINK(1)")])
    finally:
        await db.dispose()
    settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]

    def run(unit: str, fmt: str) -> str:  # the command runs its own event loop: call it from a thread
        out = io.StringIO()
        assert cmd_stats(settings, unit, None, None, fmt, out) == 0
        return out.getvalue()

    rows = list(csv.reader(io.StringIO(await asyncio.to_thread(run, f"X{hong_bang.code}", "csv"))))
    assert rows[0][:3] == ["key", "name", "registered"] and rows[1][2] == "1"
    assert rows[2][0] == "'=HYPERLINK(1)"  # a formula-looking thôn name is neutralised
    data = jsonlib.loads(await asyncio.to_thread(run, f"P{hong_bang.province_code}", "json"))
    assert data["total"]["registered"] == 1 and data["unit"] == "Thành phố Hải Phòng"
    assert "Phường Hồng Bàng" in await asyncio.to_thread(run, f"P{hong_bang.province_code}", "table")
