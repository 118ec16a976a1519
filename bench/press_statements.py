"""SQL statements and transactions per button press (or, with --typed, per typed question) on the Telegram
webhook path, in one process: the webhook route, processing, the chat's sender and its marks, as `kynangso serve`
runs them (PostgreSQL; the Bot API stand-in over loopback). Counts, not times: a process that also runs the
stand-in and the client measures no worker's CPU (`bench/scale_load.py` does).

Usage: .venv/bin/python bench/press_statements.py [--db postgresql+asyncpg://postgres@127.0.0.1:5432/bench_press]
       [--presses 300] [--typed]
Prints a Markdown table for README.md: statements and commits per update, and which statements.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from sqlalchemy import event

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scale_load import PRESSES, QUESTIONS, fresh_database  # noqa: E402
from bot.channels.telegram import TelegramChannel  # noqa: E402
from bot.config import Settings, TelegramSettings  # noqa: E402
from bot.service import Tutor, load_knowledge  # noqa: E402
from storage.db import Database, upgrade  # noqa: E402
from tests.telegram_standin import TelegramStandIn  # noqa: E402

SECRET = "bench-secret"
CHATS = 60


async def run(url: str, presses: int, seed: int = 3, typed: bool = False) -> dict[str, Any]:
    await fresh_database(url)
    await asyncio.to_thread(upgrade, url)
    settings = Settings(_env_file=None, database_url=url,  # type: ignore[call-arg]
                        data_dir=Path(tempfile.mkdtemp(prefix="press-bench-")))
    db = Database(url, 20)
    tutor = Tutor(settings, db, load_knowledge(settings, with_dense=typed, sync=False))  # presses need no model
    statements: collections.Counter[str] = collections.Counter()
    commits = 0

    @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        words = statement.split()
        statements[" ".join(words[:3]) if words[0] != "SELECT" else _select(words)] += 1

    @event.listens_for(db.engine.sync_engine, "commit")
    def committed(_conn: Any) -> None:
        nonlocal commits
        commits += 1

    rng = random.Random(seed)
    async with TelegramStandIn() as standin:
        cfg = TelegramSettings(token=SecretStr(standin.token), base_url=standin.base_url,
                               base_file_url=standin.base_file_url, mode="webhook", secret_token=SecretStr(SECRET),
                               chat_interval=0, per_second=10_000)
        channel = TelegramChannel(tutor, cfg)
        await channel.bot.initialize()
        transport = httpx.ASGITransport(app=channel.webhook_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            async def press(i: int) -> None:
                chat = 100_000 + i % CHATS
                update = (standin.text_update(chat, rng.choice(QUESTIONS)) if typed
                          else standin.callback_update(chat, rng.choice(PRESSES)))
                r = await http.post(cfg.webhook_path, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
                assert r.status_code == 200
                while channel._tasks or channel.senders.running():  # processed and sent before the next
                    await asyncio.gather(*list(channel._tasks), *channel.senders.running(), return_exceptions=True)

            for i in range(CHATS):  # every chat greeted once: the presses counted are a returning learner's
                await press(i)
            statements.clear()
            commits = 0
            for i in range(presses):
                await press(i)
        await channel.bot.shutdown()
    await db.dispose()
    return {"presses": presses, "statements": sum(statements.values()) / presses, "commits": commits / presses,
            "mix": {k: n / presses for k, n in statements.most_common()}}


def _select(words: list[str]) -> str:
    return f"SELECT … FROM {words[words.index('FROM') + 1]}" if "FROM" in words else f"SELECT {words[1]}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default="postgresql+asyncpg://postgres@127.0.0.1:5432/bench_press")
    ap.add_argument("--presses", type=int, default=300, help="updates counted")
    ap.add_argument("--typed", action="store_true", help="typed questions of returning learners instead of presses")
    args = ap.parse_args()
    r = asyncio.run(run(args.db, args.presses, typed=args.typed))
    what = "typed questions" if args.typed else "presses"
    print(f"{r['presses']} {what}: {r['statements']:.1f} statements and {r['commits']:.2f} commits per update")
    print("| statement | per update |\n|---|---|")
    for k, n in r["mix"].items():
        print(f"| `{k}` | {n:.2f} |")


if __name__ == "__main__":
    main()
