"""Engine and session factory; one URL switches between SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from storage import cells as _cells  # noqa: F401  (registers the flush hook that marks changed statistics)
from storage import migrations as _migrations_pkg


def is_sqlite(url: str) -> bool:
    """True when the URL points at SQLite."""
    return make_url(url).get_backend_name() == "sqlite"


def _prepare_sqlite_file(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def create_engine(url: str, pool_size: int = 5) -> AsyncEngine:
    """Create an async engine; SQLite gets WAL, synchronous=FULL and immediate write transactions."""
    if not is_sqlite(url):
        engine = create_async_engine(url, pool_size=pool_size, max_overflow=0)
        _ping_when_idle(engine)
        return engine
    _prepare_sqlite_file(url)
    engine = create_async_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when a transaction begins (see "begin" below).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Take the write lock up front: two writers never deadlock upgrading a read lock.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


IDLE_PING_SECONDS = 10.0


def _ping_when_idle(engine: AsyncEngine) -> None:
    """Test a pooled connection before use only when it sat unused for a while (a server restart or a dropped
    link shows up there); a connection in steady use is not pinged, which saves a round trip per transaction.
    A failed ping makes the pool drop the connection and hand out a fresh one (SQLAlchemy's documented
    pessimistic handling, raised from the checkout event)."""

    @event.listens_for(engine.sync_engine, "checkout")
    def _checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        now = time.monotonic()
        last = record.info.get("last_used")
        record.info["last_used"] = now
        if last is not None and now - last > IDLE_PING_SECONDS:
            try:
                dbapi_conn.ping()
            except Exception as exc:  # noqa: BLE001 - any failure: this connection is gone
                raise DisconnectionError() from exc


class Database:
    """Owns the engine and hands out one session per unit of work."""

    def __init__(self, url: str, pool_size: int = 5) -> None:
        self.url = url
        self.engine = create_engine(url, pool_size)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One transaction: committed on success, rolled back on any error."""
        async with self._sessions() as session, session.begin():
            yield session

    async def ping(self) -> None:
        """One trivial query: raises when the database does not answer (readiness checks)."""
        async with self.transaction() as s:
            await s.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


def migrations_dir() -> Path:
    """Folder of the Alembic environment shipped with the package."""
    return Path(_migrations_pkg.__file__).resolve().parent


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema at `url` up to `revision` with Alembic (synchronous; call outside an event loop)."""
    from alembic import command
    from alembic.config import Config

    if is_sqlite(url):
        _prepare_sqlite_file(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(cfg, revision)


def empty_postgres(url: str) -> None:
    """Drop everything in a PostgreSQL database's public schema (tests and benchmarks start from nothing)."""
    import asyncio

    async def drop() -> None:
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await engine.dispose()

    asyncio.run(drop())
