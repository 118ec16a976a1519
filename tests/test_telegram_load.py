"""The Telegram load script at a small size: nothing lost, nothing answered twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.telegram_load import run
from rag.knowledge import KnowledgeBase


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
async def test_small_load_loses_nothing_and_duplicates_nothing(chroma_dir: Path, kb: KnowledgeBase) -> None:
    r = await run(users=15, messages=3, dup=0.3, chroma=chroma_dir)
    assert r["updates"] == 45 and r["duplicate_deliveries"] > 0
    assert r["lost"] == 0 and r["duplicated_replies"] == 0 and r["late"] == 0
