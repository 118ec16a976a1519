"""The PostgreSQL connection pool: a connection that died while idle is replaced before anyone uses it."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from storage import db as db_module
from storage.db import Database
from tests.conftest import POSTGRES_URL

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="KYNANGSO_TEST_POSTGRES_URL is not set")


async def _backend(db: Database) -> int:
    async with db.transaction() as s:
        return int((await s.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def _terminate(pid: int) -> None:
    other = create_async_engine(POSTGRES_URL)
    try:
        async with other.connect() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        await other.dispose()
    await asyncio.sleep(0.2)


async def test_a_connection_killed_while_idle_is_replaced_before_use(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db_module, "IDLE_PING_SECONDS", 0.05)
    db = Database(POSTGRES_URL, pool_size=1)
    try:
        first = await _backend(db)
        await _terminate(first)  # as a server restart or a dropped link would
        await asyncio.sleep(0.1)
        second = await _backend(db)  # no error reaches the caller: the dead connection was tested and dropped
        assert second != first
        assert await _backend(db) == second  # a connection in steady use is kept
    finally:
        await db.dispose()


async def test_a_connection_in_steady_use_is_not_tested_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db_module, "IDLE_PING_SECONDS", 3600.0)
    db = Database(POSTGRES_URL, pool_size=1)
    try:
        first = await _backend(db)
        await _terminate(first)
        # Not idle long enough to be tested: the first use finds it dead and fails, the pool then replaces it.
        with pytest.raises(Exception):  # noqa: B017, PT011 - the driver's own connection error
            await _backend(db)
        assert await _backend(db) != first
    finally:
        await db.dispose()
