"""The migrations build exactly the schema the models describe (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from storage.db import Database, upgrade
from storage.models import Base


async def test_migrations_match_the_models(db_url: str) -> None:
    def diff(conn: Connection) -> list[Any]:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    db = Database(db_url)  # db_url is upgraded to the newest migration by its fixture
    try:
        async with db.engine.connect() as conn:
            differences = await conn.run_sync(diff)
    finally:
        await db.dispose()
    assert differences == [], "a model changed without a migration (run alembic revision --autogenerate)"


def test_0015_keeps_populations_and_dates_past_activity(tmp_path: Path) -> None:
    """Populations entered before plans had years keep their year; past visits and quizzes become activity."""
    import sqlite3

    path = tmp_path / "old.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url, "0014")
    con = sqlite3.connect(path)
    con.execute("INSERT INTO unit_targets (unit, population, updated_at) VALUES ('X10105', 3200, "
                "'2025-12-31 18:00:00.000000')")  # 1 January 2026 in Vietnam
    con.execute("INSERT INTO users (id, channel, channel_user_id, created_at, last_seen_at, active, context, "
                "consent_at, class_news) VALUES (1, 'telegram', '7', '2026-03-01 01:00:00', "
                "'2026-05-02 20:00:00', 1, '{}', '2026-03-01 01:00:00', 0)")
    con.execute("INSERT INTO quiz_attempts (id, user_id, lesson_id, kind, status, n_questions, n_correct, "
                "started_at, finished_at, score) VALUES (1, 1, 'x', 'lesson', 'finished', 5, 5, "
                "'2026-04-10 02:00:00', '2026-04-10 02:05:00', 1.0)")
    con.commit()
    con.close()
    upgrade(url)
    con = sqlite3.connect(path)
    assert con.execute("SELECT unit, year, population FROM unit_plans").fetchall() == [("X10105", 2026, 3200)]
    days = [d for (d,) in con.execute("SELECT day FROM activity_days WHERE user_id = 1 ORDER BY day")]
    con.close()
    # 20:00 UTC on 2 May is 3 May in Vietnam.
    assert days == ["2026-03-01", "2026-04-10", "2026-05-03"]
