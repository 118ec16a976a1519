"""`kynangso backup` / `kynangso restore` on SQLite: a consistent copy, checked, restored only on purpose."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from sqlalchemy import func, insert, select

from bot.cli.admin import cmd_backup
from bot.config import Settings
from storage.db import Database, upgrade
from storage.models import QuizAttempt, User


def _count_users(url: str) -> int:
    async def count() -> int:
        db = Database(url)
        try:
            async with db.transaction() as s:
                return int((await s.execute(select(func.count()).select_from(User))).scalar_one())
        finally:
            await db.dispose()

    return asyncio.run(count())


def _add_user(url: str, name: str) -> None:
    async def add() -> None:
        db = Database(url)
        try:
            async with db.transaction() as s:
                uid = (await s.execute(insert(User).values(channel="zalo", channel_user_id=name, context={},
                                                           active=True, display_name=name)
                                       .returning(User.id))).scalar_one()
                await s.execute(insert(QuizAttempt).values(user_id=uid, lesson_id="x", n_questions=5))
        finally:
            await db.dispose()

    asyncio.run(add())


def test_backup_and_restore(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'live.db'}"
    upgrade(url)
    _add_user(url, "Hoa")
    settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    out = io.StringIO()
    copy = tmp_path / "backups" / "2026-11-22.db"
    assert cmd_backup(settings, "backup", copy, False, out) == 0
    assert cmd_backup(settings, "backup", copy, False, out) == 2  # never overwrites an older backup

    _add_user(url, "Ba")  # the live database moves on after the backup
    assert _count_users(url) == 2
    out = io.StringIO()
    assert cmd_backup(settings, "restore", copy, False, out) == 2 and "--force" in out.getvalue()
    assert _count_users(url) == 2  # refused: nothing changed
    assert cmd_backup(settings, "restore", copy, True, io.StringIO()) == 0
    assert _count_users(url) == 1  # exactly the backup's contents

    # Into an empty place (a new machine): no --force needed.
    fresh = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path / 'new' / 'k.db'}")  # type: ignore[call-arg]
    assert cmd_backup(fresh, "restore", copy, False, io.StringIO()) == 0
    assert _count_users(fresh.database_url) == 1


def test_restore_refuses_what_is_not_a_backup(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'live.db'}"
    upgrade(url)
    settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    out = io.StringIO()
    assert cmd_backup(settings, "restore", junk, True, out) == 2 and "not a SQLite database" in out.getvalue()
    assert cmd_backup(settings, "restore", tmp_path / "missing.db", True, io.StringIO()) == 2
    pg = Settings(_env_file=None, database_url="postgresql+asyncpg://u@127.0.0.1/x")  # type: ignore[call-arg]
    out = io.StringIO()
    assert cmd_backup(pg, "backup", tmp_path / "b.db", False, out) == 2 and "pg_dump" in out.getvalue()
