"""SQL statements and transactions per message, by kind of message, through the whole pipeline (receive, process,
deliver) as the console channel runs it: what the non-model part of a message costs the database.

Usage: .venv/bin/python bench/statements.py [--url sqlite+aiosqlite:////tmp/bench_statements.db]
       (a PostgreSQL URL works too; the database is emptied and migrated first)
Prints a Markdown table for README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import event

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import build_services  # noqa: E402
from bot.config import get_settings  # noqa: E402
from bot.types import Incoming, Reply  # noqa: E402
from storage.db import empty_postgres, upgrade  # noqa: E402

MESSAGES = [("typed question", {"text": "lam sao cai vneid"}), ("typed question", {"text": "Smart OTP là gì"}),
            ("button: lesson menu", {"button": "/hoc"}), ("button: progress", {"button": "/tiendo"}),
            ("button: read on", {"button": "/xemtiep"}), ("typed thanks", {"text": "cảm ơn cháu"})]


def reset(url: str) -> None:
    if url.startswith("sqlite"):
        Path(url.split("///", 1)[1]).unlink(missing_ok=True)
    else:
        empty_postgres(url)
    upgrade(url)


async def measure(url: str, rounds: int) -> list[tuple[str, float, float, float]]:
    settings = get_settings().model_copy(update={"database_url": url})
    services = build_services(settings, channels=(), scheduler=False)
    tutor = services.tutor
    seen: list[str] = []

    @event.listens_for(tutor.db.engine.sync_engine, "before_cursor_execute")
    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement.split()[0].upper())

    @event.listens_for(tutor.db.engine.sync_engine, "commit")
    def committed(_conn: Any) -> None:
        seen.append("COMMIT")

    async def send(_user: str, _reply: Reply) -> None:
        return None

    out: dict[str, list[tuple[int, int, float]]] = collections.defaultdict(list)
    try:
        await tutor.handle(Incoming("console", "bench", uuid.uuid4().hex, text="xin chào"), send)
        for _ in range(rounds):
            for label, kw in MESSAGES:
                seen.clear()
                started = time.perf_counter()
                await tutor.handle(Incoming("console", "bench", uuid.uuid4().hex, **kw), send)
                ms = (time.perf_counter() - started) * 1000
                statements = sum(1 for s in seen if s not in ("BEGIN", "COMMIT"))
                out[label].append((statements, seen.count("COMMIT"), ms))
    finally:
        await services.aclose()
    return [(label, sum(r[0] for r in rows) / len(rows), sum(r[1] for r in rows) / len(rows),
             sorted(r[2] for r in rows)[len(rows) // 2]) for label, rows in out.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="sqlite+aiosqlite:////tmp/bench_statements.db")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    reset(args.url)
    rows = asyncio.run(measure(args.url, args.rounds))
    print("| message | SQL statements | transactions committed | median ms (retrieval included for questions) |")
    print("|---|---|---|---|")
    for label, statements, transactions, ms in rows:
        print(f"| {label} | {statements:.0f} | {transactions:.0f} | {ms:.0f} |")


if __name__ == "__main__":
    main()
