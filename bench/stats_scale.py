"""Statistics at province scale: the dashboard query and the quarterly report on PostgreSQL.

Generates (inside PostgreSQL, with generate_series) a province of N learners spread over its communes,
5 quiz answers per attempt, programme completions, support sessions and a question log, then times
stats.report() the way the admin views call it — counted from the raw rows (the old way, `from_raw=True`) and
read from the maintained cells (storage/cells.py) — side by side in one run. Also times building every cell
from the raw rows (once, after the upgrade) and a refresh after a burst of new quizzes.

Usage: .venv/bin/python bench/stats_scale.py [--users 1000000] [--answers 10000000]
       [--url postgresql+asyncpg://postgres@127.0.0.1:5432/bench_stats] [--keep] [--rounds 3]
The database is dropped and created again unless --keep is given with data already there.
Prints a Markdown table for README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import asyncpg
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storage import cells, stats, units  # noqa: E402
from storage.db import Database, upgrade  # noqa: E402
from storage.models import TZ, QuizAttempt, utcnow  # noqa: E402

PROVINCE = 1  # Thành phố Hà Nội: 126 xã/phường
LESSONS = [f"bai-{i:02d}" for i in range(14)]
PASS_RATIO = 0.8  # stats.report()'s default


async def admin_conn(url: str) -> asyncpg.Connection:
    base = url.replace("postgresql+asyncpg://", "postgresql://")
    return await asyncpg.connect(base.rsplit("/", 1)[0] + "/postgres")


async def recreate(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    conn = await admin_conn(url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def generate(url: str, n_users: int, n_answers: int) -> dict[str, float]:
    """Fill the database; returns seconds per table."""
    from vietnam_provinces import Ward

    wards = [int(w.code.value) for w in Ward.iter_all() if int(w.province_code.value) == PROVINCE]
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    took: dict[str, float] = {}
    n_attempts = n_answers // 5
    try:
        await conn.execute("CREATE TEMP TABLE bw (i int PRIMARY KEY, ward int)")
        await conn.executemany("INSERT INTO bw VALUES ($1, $2)", list(enumerate(wards)))
        steps = {
            "users": f"""
                INSERT INTO users (id, channel, channel_user_id, created_at, last_seen_at, active, context,
                                   consent_at, consent_version, display_name, province_code, ward_code, hamlet,
                                   target_group, age_band, vneid_level2)
                SELECT g, 'zalo', 'u' || g, now() - interval '400 days', now() - (g % 200) * interval '1 day',
                       true, '{{}}'::json, now() - ((g * 7) % 365) * interval '1 day', 'v1', 'Bác ' || g,
                       {PROVINCE}, bw.ward, 'Thôn ' || (g % 12 + 1),
                       (array['nguoi-dan','hoc-sinh-sinh-vien','can-bo-cong-chuc','nguoi-lao-dong'])[g % 4 + 1],
                       (array['duoi-30','30-44','45-59','60-69','70+'])[g % 5 + 1], g % 3 = 0
                FROM generate_series(1, {n_users}) g JOIN bw ON bw.i = g % {len(wards)}""",
            "quiz_attempts": f"""
                INSERT INTO quiz_attempts (id, user_id, lesson_id, status, n_questions, n_correct, started_at,
                                           finished_at, score, kind)
                SELECT g, (g::bigint * 7919 % {n_users}) + 1, (array{LESSONS!r})[g % {len(LESSONS)} + 1],
                       'finished', 5, least(g % 6, 5), now() - (g % 365) * interval '1 day' - interval '5 min',
                       now() - (g % 365) * interval '1 day', least(g % 6, 5) / 5.0, 'lesson'
                FROM generate_series(1, {n_attempts}) g""",
            "quiz_answers": f"""
                INSERT INTO quiz_answers (attempt_id, question_index, chosen, correct, answered_at)
                SELECT (g - 1) / 5 + 1, (g - 1) % 5, g % 4, g % 3 <> 0, now() - ((g / 5) % 365) * interval '1 day'
                FROM generate_series(1, {n_attempts * 5}) g""",
            "completions": """
                INSERT INTO completions (user_id, programme, completed_at, province_code, ward_code, hamlet,
                                         target_group, age_band, display_name)
                SELECT id, 'Chương trình cơ bản', now() - (id % 300) * interval '1 day', province_code, ward_code,
                       hamlet, target_group, age_band, display_name
                FROM users WHERE id % 7 = 0""",
            "support_sessions": f"""
                INSERT INTO support_sessions (topic, people, province_code, ward_code, hamlet, created_at)
                SELECT (array['vneid','muc2','dvc','thanhtoan','luadao','khac'])[g % 6 + 1], g % 12 + 1,
                       {PROVINCE}, bw.ward, 'Thôn ' || (g % 12 + 1), now() - (g % 365) * interval '1 day'
                FROM generate_series(1, {max(1, n_users // 30)}) g JOIN bw ON bw.i = g % {len(wards)}""",
            "question_log": f"""
                INSERT INTO question_log (channel, text, kind, topic, province_code, ward_code, created_at)
                SELECT 'zalo', 'câu hỏi ' || (g % 500), CASE WHEN g % 9 = 0 THEN 'out_of_scope' ELSE 'answer' END,
                       CASE WHEN g % 9 = 0 THEN NULL ELSE 'vneid-' || (g % 8) END, {PROVINCE}, bw.ward,
                       now() - (g % 365) * interval '1 day'
                FROM generate_series(1, {max(1, n_users // 3)}) g JOIN bw ON bw.i = g % {len(wards)}""",
        }
        for table, sql in steps.items():
            t0 = time.perf_counter()
            await conn.execute(sql)
            took[table] = time.perf_counter() - t0
            print(f"  {table}: {took[table]:.1f} s", file=sys.stderr)
        t0 = time.perf_counter()
        await conn.execute("VACUUM ANALYZE")
        took["analyze"] = time.perf_counter() - t0
    finally:
        await conn.close()
    return took


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=TZ)


def periods() -> dict[str, tuple[datetime | None, datetime | None]]:
    """The dashboard's presets: the last 30 days and this quarter (from a midnight, open-ended), from the start."""
    today = datetime.now(TZ).date()
    quarter = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    return {"30d": (_midnight(today - timedelta(days=29)), None), "quarter": (_midnight(quarter), None),
            "all": (None, None)}


async def timed(db: Database, scope: units.Scope, period: tuple[datetime | None, datetime | None], rounds: int,
                from_raw: bool) -> list[float]:
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        async with db.transaction() as s:
            rep = await stats.report(s, scope, *period, from_raw=from_raw)
        out.append(time.perf_counter() - t0)
    assert rep.total.registered > 0
    return out


async def burst(db: Database, n: int) -> float:
    """n lesson quizzes finished now by learners all over the province (as many flushes as a busy minute marks),
    then the seconds one refresh takes to count their cells again."""
    async with db.transaction() as s:
        ids = (await s.execute(text(f"SELECT id FROM users ORDER BY random() LIMIT {n}"))).scalars().all()
        for uid in ids:
            s.add(QuizAttempt(user_id=uid, lesson_id=LESSONS[uid % len(LESSONS)], status="finished", kind="lesson",
                              n_questions=5, n_correct=4, score=0.8, started_at=utcnow(), finished_at=utcnow()))
    t0 = time.perf_counter()
    async with db.transaction() as s:
        await cells.refresh(s, PASS_RATIO)
    return time.perf_counter() - t0


async def run(args: argparse.Namespace) -> None:
    if not args.keep:
        await recreate(args.url)
        await asyncio.to_thread(upgrade, args.url)
        took = await generate(args.url, args.users, args.answers)
        print(f"generated in {sum(took.values()):.0f} s", file=sys.stderr)
    db = Database(args.url)
    async with db.transaction() as s:  # rows were generated with their ids: move the sequences past them
        for table in ("users", "quiz_attempts"):
            await s.execute(text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))"))
    province = units.Scope(province_code=PROVINCE)
    commune = units.Scope(PROVINCE, next(c.code for c in units.find_communes("hoan kiem")))
    rows = []
    try:
        async with db.transaction() as s:
            counts = {t: (await s.execute(text(f"SELECT count(*) FROM {t}"))).scalar_one()
                      for t in ("users", "quiz_attempts", "quiz_answers", "completions")}
        t0 = time.perf_counter()
        async with db.transaction() as s:
            await cells.rebuild(s, PASS_RATIO)
        built = time.perf_counter() - t0
        refreshed = [await burst(db, args.burst) for _ in range(args.rounds)]
        p = periods()
        for label, scope, period in (("province dashboard, last 30 days", province, p["30d"]),
                                     ("province quarterly report (this quarter)", province, p["quarter"]),
                                     ("province, since the start", province, p["all"]),
                                     ("national roll-up, since the start", units.Scope(), p["all"]),
                                     ("one commune, last 30 days", commune, p["30d"])):
            old = await timed(db, scope, period, args.rounds, from_raw=True)
            new = await timed(db, scope, period, args.rounds, from_raw=False)
            rows.append((label, statistics.median(old), statistics.median(new), max(new)))
    finally:
        await db.dispose()
    print(f"\nData: {counts['users']:,} learners, {counts['quiz_attempts']:,} quizzes, "
          f"{counts['quiz_answers']:,} quiz answers, {counts['completions']:,} completions (PostgreSQL 15, 2 cores)\n")
    print("| stats.report() | raw rows (old), median | cells (new), median | cells, worst |")
    print("|---|---|---|---|")
    for label, old_s, new_s, worst in rows:
        print(f"| {label} | {old_s:.2f} s | {new_s * 1000:.0f} ms | {worst * 1000:.0f} ms |")
    print(f"\nBuilding every cell from the raw rows: {built:.1f} s. A refresh after {args.burst} quizzes finished "
          f"across the province: median {statistics.median(refreshed) * 1000:.0f} ms, "
          f"worst {max(refreshed) * 1000:.0f} ms.")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=1_000_000)
    ap.add_argument("--answers", type=int, default=10_000_000)
    ap.add_argument("--url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/bench_stats")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--keep", action="store_true", help="reuse the data already generated")
    ap.add_argument("--burst", type=int, default=300, help="quizzes finished before each timed refresh")
    asyncio.run(run(ap.parse_args()))


if __name__ == "__main__":
    main()
