"""Statistics against an independent count over a generated population (SQLite and PostgreSQL)."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from storage import units
from storage.db import Database
from storage.models import (
    TZ,
    ActivityDay,
    Completion,
    QuestionLog,
    QuizAttempt,
    SupportSession,
    UnitTarget,
    UpstreamReport,
    User,
)
from storage.periods import Quarter
from storage.stats import Report, report
from storage.units import Scope

NOW = datetime(2026, 11, 20, tzinfo=UTC)
SINCE, UNTIL = NOW - timedelta(days=90), NOW
HAMLETS = ["Thôn 1", "Thôn 2", "Tổ dân phố 3"]
GROUPS = ["nguoi-dan", "hoc-sinh-sinh-vien", None]
AGES = ["duoi-16", "45-59", "60-69", "70+", None]


def population(seed: int = 11, n_users: int = 5000) -> dict[str, list[dict]]:
    """3 provinces x 10 communes (one of them with no data at all) and their learners' activity."""
    rng = random.Random(seed)
    provinces = sorted(units.all_province_codes())[:3]
    from vietnam_provinces import Ward

    wards = []
    for p in provinces:
        codes = [int(w.code.value) for w in Ward.iter_all() if int(w.province_code.value) == p][:10]
        wards += [c for c in (units.commune(code) for code in codes) if c is not None]
    empty = wards.pop()  # a commune with no learners at all

    def day(lo: int, hi: int) -> datetime:
        return NOW - timedelta(days=rng.randint(lo, hi), minutes=rng.randint(0, 1439))

    data: dict[str, list[dict]] = {k: [] for k in ("users", "attempts", "completions", "support", "questions",
                                                   "targets", "activity")}
    for i in range(n_users):
        w = rng.choice(wards)
        consent = rng.random() < 0.8
        data["users"].append(dict(
            id=i + 1, channel="telegram", channel_user_id=str(i), context={}, active=True,
            created_at=NOW - timedelta(days=300), last_seen_at=day(0, 200),
            consent_at=day(1, 300) if consent else None,
            province_code=w.province_code if consent else None, ward_code=w.code if consent else None,
            hamlet=rng.choice(HAMLETS) if consent else None,
            target_group=rng.choice(GROUPS) if consent else None, age_band=rng.choice(AGES) if consent else None,
            vneid_level2=rng.choice([True, False, None]) if consent else None,
            platform_confirmed_at=day(0, 250) if consent and rng.random() < 0.3 else None))
        # Days the learner wrote: the last visit and a few before it.
        seen = {data["users"][-1]["last_seen_at"].astimezone(TZ).date()}
        seen |= {day(0, 250).astimezone(TZ).date() for _ in range(rng.randint(0, 3))}
        data["activity"] += [dict(user_id=i + 1, day=d) for d in sorted(seen)]
        for _ in range(rng.randint(0, 4)):
            n = rng.choice([5, 6])
            right = rng.randint(0, n)
            data["attempts"].append(dict(
                user_id=i + 1, lesson_id=rng.choice(["a", "b", "c"]), status=rng.choice(["finished"] * 9 + ["active"]),
                kind=rng.choice(["lesson"] * 5 + ["review"]), n_questions=n, n_correct=right, score=right / n,
                started_at=NOW - timedelta(days=200), finished_at=day(0, 200)))
        if consent and rng.random() < 0.2:
            data["completions"].append(dict(
                user_id=i + 1, programme="P", province_code=w.province_code, ward_code=w.code,
                hamlet=data["users"][-1]["hamlet"], target_group=data["users"][-1]["target_group"],
                age_band=data["users"][-1]["age_band"], completed_at=day(0, 200)))
        if rng.random() < 0.3:  # questions are logged with the asker's commune only
            data["questions"].append(dict(
                channel="telegram", text=rng.choice(["cài vneid", "thời tiết", "mã otp"]),
                kind=rng.choice(["answer", "answer", "out_of_scope", "safety"]),
                topic=rng.choice(["vneid", "otp", None]),
                province_code=w.province_code if consent else None, ward_code=w.code if consent else None,
                created_at=day(0, 200)))
    for _ in range(400):
        w = rng.choice(wards)
        data["support"].append(dict(topic=rng.choice(["vneid", "muc2", "dvc"]), people=rng.randint(1, 12),
                                    province_code=w.province_code, ward_code=w.code, hamlet=rng.choice(HAMLETS),
                                    created_at=day(0, 200)))
    for w in wards[::3]:
        data["targets"].append(dict(unit=f"X{w.code}", population=rng.randint(200, 3000)))
    data["empty"] = [dict(code=empty.code, province_code=empty.province_code)]
    return data


def independent(data: dict[str, list[dict]], inside: Callable[[dict], bool], child: Callable[[dict], str],
                pass_ratio: float = 0.8, hamlet_level: bool = False) -> dict[str, dict[str, float]]:
    """Every metric of report(), per child unit and in total, counted in plain Python."""
    def in_period(t: datetime | None) -> bool:
        return t is not None and SINCE <= t < UNTIL

    first_day, last_day = SINCE.astimezone(TZ).date(), (UNTIL - timedelta(microseconds=1)).astimezone(TZ).date()
    active = {a["user_id"] for a in data["activity"] if first_day <= a["day"] <= last_day}

    out: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    reg = {u["id"]: u for u in data["users"] if u["consent_at"] and u["consent_at"] < UNTIL and inside(u)}
    for u in reg.values():
        for key in (child(u), "*"):
            out[key]["registered"] += 1
            out[key]["vneid_level2"] += u["vneid_level2"] is True
            out[key]["active"] += u["id"] in active
            out[key]["vneid_level2_16"] += u["vneid_level2"] is True and u["age_band"] != "duoi-16"
            out[key]["platform_confirmed"] += u["platform_confirmed_at"] is not None and \
                u["platform_confirmed_at"] < UNTIL
    fin = [a for a in data["attempts"] if a["user_id"] in reg and a["status"] == "finished"
           and a["kind"] == "lesson" and in_period(a["finished_at"])]
    for a in fin:
        for key in (child(reg[a["user_id"]]), "*"):
            out[key]["quizzes"] += 1
            out[key]["score_sum"] += a["score"]
    for user_id, _lesson in {(a["user_id"], a["lesson_id"]) for a in fin if a["score"] >= pass_ratio - 1e-9}:
        for key in (child(reg[user_id]), "*"):
            out[key]["lessons_passed"] += 1
    for c in data["completions"]:
        if inside(c) and c["completed_at"] < UNTIL:
            for key in (child(c), "*"):
                out[key]["completions_to_date"] += 1
                out[key]["completions"] += in_period(c["completed_at"])
    for x in data["support"]:
        if inside(x) and in_period(x["created_at"]):
            for key in (child(x), "*"):
                out[key]["support_sessions"] += 1
                out[key]["people_helped"] += x["people"]
    for q in data["questions"]:
        if inside(q) and in_period(q["created_at"]):
            keys = ("*",) if hamlet_level else (child(q), "*")  # questions are not kept per thôn
            for key in keys:
                out[key]["questions"] += 1
                out[key]["declined"] += q["kind"] == "out_of_scope"
                out[key]["scam_alerts"] += q["kind"] == "safety"
    return out


METRICS = ("registered", "vneid_level2", "vneid_level2_16", "platform_confirmed",
           "active", "quizzes", "lessons_passed", "completions", "completions_to_date",
           "support_sessions", "people_helped", "questions", "declined", "scam_alerts")


def check_rows(got: Report, want: dict[str, dict[str, float]]) -> None:
    rows = {r.key: r for r in got.children}
    for key, counts in want.items():
        row = got.total if key == "*" else rows[key]
        for m in METRICS:
            assert getattr(row, m) == counts.get(m, 0), (key, m)
        if counts.get("quizzes"):
            assert abs((row.avg_score or 0) - counts["score_sum"] / counts["quizzes"]) < 1e-9
    for key, row in rows.items():  # units with no data are listed with zeros
        if key not in want:
            assert all(getattr(row, m) == 0 for m in METRICS), key


async def test_report_matches_an_independent_count(db_url: str) -> None:
    data = population()
    db = Database(db_url)
    try:
        async with db.transaction() as s:
            for model, rows in ((User, data["users"]), (QuizAttempt, data["attempts"]),
                                (Completion, data["completions"]), (SupportSession, data["support"]),
                                (QuestionLog, data["questions"]), (UnitTarget, data["targets"]),
                                (ActivityDay, data["activity"])):
                await s.execute(insert(model), rows)
        province = next(u["province_code"] for u in data["users"] if u["province_code"])
        async with db.transaction() as s:
            national = await report(s, Scope(), SINCE, UNTIL)
            got = await report(s, Scope(province_code=province), SINCE, UNTIL)
            ward = next(u["ward_code"] for u in data["users"] if u["province_code"] == province)
            commune = await report(s, Scope.parse(f"X{ward}"), SINCE, UNTIL)
            empty = data["empty"][0]
            nothing = await report(s, Scope.parse(f"X{empty['code']}"), SINCE, UNTIL)

        check_rows(national, independent(data, lambda x: x.get("province_code") is not None,
                                         lambda x: str(x["province_code"])))
        check_rows(got, independent(data, lambda x: x.get("province_code") == province,
                                    lambda x: str(x["ward_code"])))
        check_rows(commune, independent(data, lambda x: x.get("ward_code") == ward, lambda x: x.get("hamlet") or "",
                                        hamlet_level=True))
        assert len(national.children) == 34 and len(got.children) > 50
        assert {r.child_code for r in national.children} == {f"P{c}" for c in units.all_province_codes()}
        assert all(r.child_code is None for r in commune.children)  # thôn rows have nothing below them
        # A commune with no data at all: zeros everywhere, listed in its province.
        assert nothing.total.registered == 0 and nothing.children == [] and nothing.timeline == []
        if empty["province_code"] == province:
            assert next(r for r in got.children if r.key == str(empty["code"])).registered == 0

        # Breakdowns of the province, and the completion rate against targets.
        reg = [u for u in data["users"] if u["consent_at"] and u["consent_at"] < UNTIL
               and u["province_code"] == province]
        assert {b.key: b.registered for b in got.by_group} == dict(Counter(u["target_group"] or "" for u in reg))
        assert {b.key: b.registered for b in got.by_age} == dict(Counter(u["age_band"] or "" for u in reg))
        done = [c for c in data["completions"] if c["province_code"] == province and SINCE <= c["completed_at"] < UNTIL]
        assert {b.key: b.completions for b in got.by_age if b.completions} == dict(
            Counter(c["age_band"] or "" for c in done))
        assert sum(n for _, n in got.timeline) == len(done)
        assert all(week.weekday() == 0 for week, _ in got.timeline)
        targets = {t["unit"]: t["population"] for t in data["targets"]}
        for r in got.children:
            assert r.target == targets.get(r.child_code or "")
            if r.target:
                assert r.completion_rate == r.completions_to_date / r.target
        assert got.total.target == sum(v for k, v in targets.items()
                                       if units.commune(int(k[1:])).province_code == province)
        ids = {u["id"] for u in reg}
        fin = [a for a in data["attempts"] if a["user_id"] in ids and a["status"] == "finished"
               and a["kind"] == "lesson" and SINCE <= a["finished_at"] < UNTIL]
        assert {x.lesson_id: x.quizzes for x in got.by_lesson} == dict(Counter(a["lesson_id"] for a in fin))
        asked = [q for q in data["questions"] if q["province_code"] == province and SINCE <= q["created_at"] < UNTIL]
        assert got.questions_by_topic == dict(Counter(q["topic"] for q in asked if q["topic"]))
        assert dict(got.declined_questions) == dict(Counter(q["text"] for q in asked if q["kind"] == "out_of_scope"))
    finally:
        await db.dispose()


async def test_upstream_totals_join_the_roll_up(db_url: str) -> None:
    """Quarterly totals pushed by a child instance count in the parent's report for the right units."""
    hong_bang = units.find_communes("hong bang")[0]
    db = Database(db_url)
    unit = dict(province_code=hong_bang.province_code, ward_code=hong_bang.code, registered=40, completions=7,
                completions_to_date=9, support_sessions=3, people_helped=20, active=30)
    try:
        async with db.transaction() as s:
            await s.execute(insert(User), [dict(
                channel="zalo", channel_user_id="1", context={}, active=True, consent_at=NOW - timedelta(days=1),
                province_code=hong_bang.province_code, ward_code=hong_bang.code)])
            for period, n in (("2026-Q3", 1), ("2026-Q4", 2)):
                s.add(UpstreamReport(source="haiphong", period=period,
                                     payload={"units": [{**unit, "registered": 40 * n, "completions": 7 * n}]}))
            s.add(UpstreamReport(source="haiphong", period="garbage", payload={"units": [unit]}))
        # The parent reads by the same report periods (15/06–14/09 and 15/09–14/12 with the default cut-off).
        third, fourth = Quarter(2026, 3), Quarter(2026, 4)
        async with db.transaction() as s:
            year = await report(s, Scope(province_code=hong_bang.province_code), third.start, fourth.end)
            q3 = await report(s, Scope(province_code=hong_bang.province_code), third.start, third.end)
            elsewhere = await report(s, Scope.parse("P1"), None, None)
        row = next(r for r in year.children if r.key == str(hong_bang.code))
        assert row.registered == 1 + 80  # "to date" figures: the latest quarter only
        assert row.completions == 7 + 14  # figures of a period: both quarters
        assert year.upstream_sources == ["haiphong"]
        assert next(r for r in q3.children if r.key == str(hong_bang.code)).completions == 7
        assert elsewhere.total.registered == 0 and elsewhere.upstream_sources == []
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

    from bot import messages as msg
    from bot.cli.stats import cmd_stats
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
    assert rows[0][:3] == [msg.STATS_UNIT_CODE, msg.STATS_UNIT, msg.STATS_LABELS["registered"]]
    assert rows[-1][1] == msg.STATS_TOTAL and rows[-1][2] == "1"
    assert rows[1][1] == "'=HYPERLINK(1)"  # a formula-looking thôn name is neutralised
    data = jsonlib.loads(await asyncio.to_thread(run, f"P{hong_bang.province_code}", "json"))
    assert data["total"]["registered"] == 1 and data["unit"] == "Thành phố Hải Phòng"
    assert "Phường Hồng Bàng" in await asyncio.to_thread(run, f"P{hong_bang.province_code}", "table")


async def test_plans_by_year_goals_from_above_and_rows_that_add_up(db_url: str) -> None:
    """A year without its own plan uses the latest earlier one; a province's target percentages apply to its
    communes; thôn rows and the whole-commune question row add up to the total."""
    from storage.plans import save_plans
    from storage.stats import WHOLE_COMMUNE

    data = population(seed=5, n_users=400)
    ward = next(u for u in data["users"] if u["ward_code"])
    commune, province = f"X{ward['ward_code']}", f"P{ward['province_code']}"
    db = Database(db_url)
    try:
        async with db.transaction() as s:
            for model, rows in ((User, data["users"]), (QuestionLog, data["questions"]),
                                (ActivityDay, data["activity"])):
                await s.execute(insert(model), rows)
            await save_plans(s, {commune: dict(population=500, population_16=450, households=200, groups=None,
                                               goal_completion=None, goal_confirmed=None, goal_vneid=None,
                                               goal_households=None)}, 2025)
            await save_plans(s, {province: dict(population=None, population_16=None, households=None, groups=None,
                                                goal_completion=80, goal_confirmed=70, goal_vneid=100,
                                                goal_households=50)}, 2026)
        async with db.transaction() as s:
            got = await report(s, Scope.parse(commune), SINCE, UNTIL)
            before = await report(s, Scope.parse(commune), datetime(2024, 1, 1, tzinfo=UTC),
                                  datetime(2024, 6, 1, tzinfo=UTC))
    finally:
        await db.dispose()
    t = got.total
    # 2026 has no commune plan of its own: 2025's population; the province's 2026 goals.
    assert (t.target, t.population_16, t.households_target) == (500, 450, 200)
    assert (t.goal_completion, t.goal_confirmed, t.goal_vneid, t.goal_households) == (80, 70, 100, 50)
    assert t.confirmed_rate == t.platform_confirmed / 500 and t.vneid_rate == t.vneid_level2_16 / 450
    assert all(r.goal_completion == 80 for r in got.children)
    # A period before any plan: the earliest plan (2025) still gives a population; goals only from 2026.
    assert before.total.target == 500 and before.total.goal_completion == 80
    for metric in ("questions", "declined", "scam_alerts", "registered", "active"):
        assert sum(getattr(r, metric) for r in got.children) == getattr(t, metric), metric
    assert any(r.key == WHOLE_COMMUNE for r in got.children) == (t.questions > 0)
