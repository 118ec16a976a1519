"""Telegram load: N simulated users × M messages through the Bot API stand-in, with duplicate deliveries.

Each user behaves like a person: sends a message, waits for the answer, sends the next. 10% of the
updates are delivered twice. Reports updates/s, p50/p95 time from update to first reply, lost and
duplicated replies.

Usage: .venv/bin/python bench/telegram_load.py [--users 500] [--messages 10] [--dup 0.1]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.measure import pct, queued  # noqa: E402
from bot.channels.telegram import TelegramChannel, split_text  # noqa: E402
from bot.config import Settings, TelegramSettings  # noqa: E402
from bot.service import Tutor, load_knowledge  # noqa: E402
from storage.db import Database, upgrade  # noqa: E402
from storage.models import InboxItem, OutboxItem  # noqa: E402
from tests.telegram_standin import TelegramStandIn  # noqa: E402

PATIENCE = 120.0

QUESTIONS = [
    "lam sao cai vneid", "quên mật khẩu VNeID thì làm sao", "Smart OTP là gì", "chuyen khoan nham thi lam gi",
    "mã QR giả dán đè là sao", "bị lừa chuyển tiền rồi báo ai", "đặt mật khẩu thế nào cho an toàn",
    "cổng dịch vụ công đăng nhập bằng gì", "cảm ơn", "/tiendo", "học bài", "Giá vàng hôm nay bao nhiêu?",
]


async def run(users: int, messages: int, dup: float, chroma: Path | None = None,
              seed: int = 7) -> dict[str, Any]:
    """Drive the load and return the measurements."""
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp}/load.db",  # type: ignore[call-arg]
                            chroma={"path": chroma or ROOT / "var" / "chroma"}, data_dir=Path(tmp) / "data",
                            embedding={"query_cache": 0})  # every question pays the model, as a new one does
        await asyncio.to_thread(upgrade, settings.database_url)  # Alembic runs its own event loop
        db = Database(settings.database_url)
        tutor = Tutor(settings, db, load_knowledge(settings))
        async with TelegramStandIn() as standin:
            cfg = TelegramSettings(token=SecretStr(standin.token), base_url=standin.base_url,
                                   base_file_url=standin.base_file_url, poll_timeout=1)
            channel = TelegramChannel(tutor, cfg)
            await channel.start()
            poller = asyncio.create_task(channel.poll())
            latencies: list[float] = []
            late = 0  # no reply within PATIENCE seconds (counted, then the person goes on)
            unique = duplicates = 0

            async def person(chat: int) -> None:
                nonlocal late, unique, duplicates
                for _ in range(messages):
                    before = len(standin.send_times(chat))
                    update = standin.text_update(chat, rng.choice(QUESTIONS))
                    started = time.monotonic()
                    if rng.random() < dup:
                        standin.deliver_twice(update)
                        duplicates += 1
                    else:
                        standin.queue_update(update)
                    unique += 1
                    deadline = started + PATIENCE
                    while len(standin.send_times(chat)) <= before and time.monotonic() < deadline:
                        await asyncio.sleep(0.05)
                    times = standin.send_times(chat)
                    if len(times) <= before:
                        late += 1
                        continue
                    latencies.append(times[before] - started)
                    await asyncio.sleep(rng.uniform(0.0, 0.2))  # reading time

            started = time.monotonic()
            await asyncio.gather(*(person(10_000 + i) for i in range(users)))
            # Drain: everything queued must be fetched, processed and sent before anything is called lost.
            drain_until = time.monotonic() + 600
            while time.monotonic() < drain_until:
                busy = await queued(db)
                if not busy and not standin.pending_updates:
                    break
                await asyncio.sleep(0.5)
            elapsed = time.monotonic() - started
            await channel.deliver()
            channel._stopping.set()
            await poller
            await channel.stop()
            async with db.transaction() as s:
                inbox = (await s.execute(select(func.count()).select_from(InboxItem))).scalar_one()
                unprocessed = (await s.execute(select(func.count()).select_from(InboxItem)
                                               .where(InboxItem.processed_at.is_(None)))).scalar_one()
                payloads = (await s.execute(select(OutboxItem.payload))).scalars().all()
                # What the outbox should have produced on the wire: text parts, pictures, files.
                expected = sum(len(split_text(p["text"])) + bool(p.get("image_path")) + bool(p.get("file_path"))
                               for p in payloads)
                unsent = (await s.execute(select(func.count()).select_from(OutboxItem)
                                          .where(OutboxItem.sent_at.is_(None)))).scalar_one()
            sent = sum(len(standin.sent(m)) for m in ("sendMessage", "sendPhoto", "sendDocument"))
        await db.dispose()
    return {
        "users": users, "messages": messages, "updates": unique, "duplicate_deliveries": duplicates,
        "seconds": elapsed, "updates_per_s": unique / elapsed,
        "p50_ms": statistics.median(latencies) * 1000 if latencies else 0.0,
        "p95_ms": pct(latencies, 0.95) * 1000 if latencies else 0.0,
        "late": late,
        "lost": unprocessed + unsent + max(0, unique - inbox),
        "duplicated_replies": max(0, sent - expected),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=500)
    ap.add_argument("--messages", type=int, default=10)
    ap.add_argument("--dup", type=float, default=0.1)
    args = ap.parse_args()
    r = asyncio.run(run(args.users, args.messages, args.dup))
    print("| users × messages | updates (dup. deliveries) | updates/s | update→reply p50 / p95 "
          f"| no reply within {PATIENCE:.0f} s | lost | duplicated |")
    print("|---|---|---|---|---|---|---|")
    print(f"| {r['users']} × {r['messages']} | {r['updates']} ({r['duplicate_deliveries']}) | "
          f"{r['updates_per_s']:.1f} | {r['p50_ms']:.0f} ms / {r['p95_ms']:.0f} ms | {r['late']} | {r['lost']} | "
          f"{r['duplicated_replies']} |")


if __name__ == "__main__":
    main()
