"""Shared fixtures: the real knowledge base on the bundled model, real SQLite, PostgreSQL when configured."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.app import build_services
from bot.config import ROOT, Settings
from bot.service import Tutor, load_knowledge
from rag.knowledge import KnowledgeBase
from storage.db import Database, empty_postgres, upgrade

POSTGRES_URL = os.environ.get("KYNANGSO_TEST_POSTGRES_URL", "")
SHARED_EVAL = ROOT.parent / "shared" / "eval"


@pytest.fixture(scope="session")
def chroma_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("chroma")


@pytest.fixture(scope="session")
def settings(chroma_dir: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url="sqlite+aiosqlite:///:memory:",
        data_dir=chroma_dir.parent / "data",
        chroma={"mode": "embedded", "path": chroma_dir},
    )


@pytest.fixture(scope="session")
def kb(settings: Settings) -> KnowledgeBase:
    """The real lessons indexed with the real bundled e5 model (built once per test session)."""
    return load_knowledge(settings)


def _reset_postgres(url: str) -> None:
    empty_postgres(url)


def database_urls(tmp: Path) -> list[str]:
    urls = [f"sqlite+aiosqlite:///{tmp / 'test.db'}"]
    if POSTGRES_URL:
        urls.append(POSTGRES_URL)
    return urls


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated database: SQLite always, PostgreSQL when KYNANGSO_TEST_POSTGRES_URL is set."""
    if request.param == "postgres":
        if not POSTGRES_URL:
            pytest.skip("KYNANGSO_TEST_POSTGRES_URL is not set")
        _reset_postgres(POSTGRES_URL)
        url = POSTGRES_URL
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    upgrade(url)
    yield url


@pytest.fixture
async def tutor(db_url: str, settings: Settings, kb: KnowledgeBase) -> AsyncIterator[Tutor]:
    db = Database(db_url)
    try:
        # The tutor as every entry point builds it (bot.app), on this test's database and the session's index.
        yield build_services(settings.model_copy(update={"database_url": db_url}), channels=(), scheduler=False,
                             db=db, kb=kb).tutor
    finally:
        await db.dispose()
