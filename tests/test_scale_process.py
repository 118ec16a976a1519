"""The scaled mode end to end, at a small size: `kynangso ingest` into a real `chroma run` server, then
`kynangso serve --workers 2` on PostgreSQL taking Telegram webhooks from the Bot API stand-in. Updates arrive
(some twice), one worker is killed with SIGKILL midway, and every update is answered exactly once.

A reply that Telegram accepted but whose "sent" mark was not yet committed when its worker died would be sent
again by the worker that takes over (Telegram has no idempotency key): that is the one window in which a
crash can duplicate a reply. The kill here waits until no send is in that window (sends are answered 429
meanwhile, as Telegram does under load), so the test checks everything else exactly: storage, the inbox
claim, the sweep that takes over a dead worker's deliveries, and the delivery leases. The benchmark's crash
drill (bench/scale_load.py) kills at a random moment and reports what happened.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from sqlalchemy import select

from bench.scale_load import start_chroma
from bot.channels.telegram import split_text
from bot.config import ROOT
from storage.db import Database, upgrade
from storage.models import InboxItem, OutboxItem
from tests.conftest import POSTGRES_URL, _reset_postgres
from tests.telegram_standin import TelegramStandIn

pytestmark = [pytest.mark.postgres, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

SECRET = "scale-secret"
LESSONS = ("vneid-cai-dat", "thanh-toan-otp", "an-toan-mat-khau")
QUESTIONS = ["lam sao cai vneid", "Smart OTP là gì", "đặt mật khẩu thế nào cho an toàn", "cảm ơn",
             "quên mật khẩu VNeID thì làm sao", "mã OTP có được đọc cho ai không"]
CHATS = 12


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _knowledge(tmp: Path) -> Path:
    """A few real lessons: the index is built for real in seconds, not the whole base's minute."""
    import shutil

    (tmp / "lessons").mkdir(parents=True)
    shutil.copy(ROOT / "knowledge" / "topics.yaml", tmp / "topics.yaml")
    for lesson_id in LESSONS:
        shutil.copy(ROOT / "knowledge" / "lessons" / f"{lesson_id}.md", tmp / "lessons")
    (tmp / "situations").mkdir()
    shutil.copy(ROOT / "knowledge" / "situations" / "tune.jsonl", tmp / "situations")
    return tmp


async def _wait(cond: Callable[[], Any], timeout: float = 120.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not await cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.2)


def _workers(serve: subprocess.Popen[bytes]) -> list[psutil.Process]:
    """uvicorn's worker processes (spawned children; not multiprocessing's resource tracker)."""
    kids = psutil.Process(serve.pid).children()
    return [p for p in kids if "resource_tracker" not in " ".join(p.cmdline())]


@pytest.fixture
def chroma_server(tmp_path: Path) -> Any:
    port = _free_port()
    server = start_chroma(tmp_path / "chroma", port)
    try:
        yield port
    finally:
        server.terminate()
        server.wait(timeout=20)


async def test_two_workers_answer_every_update_once_when_one_is_killed(tmp_path: Path, chroma_server: int) -> None:
    if not POSTGRES_URL:
        pytest.skip("KYNANGSO_TEST_POSTGRES_URL is not set")
    await asyncio.to_thread(_reset_postgres, POSTGRES_URL)
    await asyncio.to_thread(upgrade, POSTGRES_URL)
    port = _free_port()
    async with TelegramStandIn() as standin:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("KYNANGSO_", "PROMETHEUS_"))}
        env.update(KYNANGSO_DATABASE_URL=POSTGRES_URL, KYNANGSO_KNOWLEDGE_DIR=str(_knowledge(tmp_path / "k")),
                   KYNANGSO_DATA_DIR=str(tmp_path / "data"), KYNANGSO_CHROMA__MODE="server",
                   KYNANGSO_CHROMA__HOST="127.0.0.1", KYNANGSO_CHROMA__PORT=str(chroma_server),
                   KYNANGSO_TELEGRAM__TOKEN=standin.token, KYNANGSO_TELEGRAM__BASE_URL=standin.base_url,
                   KYNANGSO_TELEGRAM__BASE_FILE_URL=standin.base_file_url, KYNANGSO_TELEGRAM__MODE="webhook",
                   KYNANGSO_TELEGRAM__SECRET_TOKEN=SECRET, KYNANGSO_TELEGRAM__CHAT_INTERVAL="0",
                   KYNANGSO_TELEGRAM__WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram/webhook",
                   KYNANGSO_SERVE__GRACE_SECONDS="2", KYNANGSO_SERVE__SWEEP_SECONDS="0.5",
                   KYNANGSO_SERVE__LEASE_SECONDS="3", KYNANGSO_LOG_FORMAT="json", KYNANGSO_LOG_LEVEL="INFO",
                   KYNANGSO_WEB__SECURE_COOKIES="false", KYNANGSO_EMBEDDING__MODEL_CACHE=str(tmp_path / "models"))
        ingest = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "bot", "ingest"], cwd=ROOT, env=env,
                                         capture_output=True, text=True, timeout=300)
        assert ingest.returncode == 0, ingest.stderr[-2000:]
        assert " 0 deleted" in ingest.stdout and "chroma server" in ingest.stdout
        # ingest prepared the models, so serving workers only read them (no scikit-learn in a worker)
        assert {p.name.split("-")[0] for p in (tmp_path / "models").iterdir()} == {"e5", "scope", "situations"}
        log = (tmp_path / "serve.log").open("wb")
        serve = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--workers", "2", "--port", str(port)],
                                 cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        db = Database(POSTGRES_URL)
        base = f"http://127.0.0.1:{port}"
        try:
            async with httpx.AsyncClient(timeout=30) as http:

                async def ready() -> bool:
                    try:
                        return (await http.get(f"{base}/readyz")).status_code == 200 and len(_workers(serve)) == 2
                    except httpx.HTTPError:
                        return False

                async def both_started() -> bool:
                    text = (tmp_path / "serve.log").read_text(encoding="utf-8", errors="replace")
                    started = {json.loads(ln)["process"] for ln in text.splitlines()
                               if ln.startswith("{") and "worker ready" in ln}
                    return len(started) == 2 and await ready()

                await _wait(both_started, 240, "both workers")
                assert standin.webhook_url == f"{base}/telegram/webhook"
                for worker in _workers(serve):  # the situation model is applied from its arrays, not trained
                    assert not [m for m in worker.memory_maps() if "sklearn" in m.path], worker.pid

                async def post(update: dict[str, Any]) -> None:
                    # As Telegram does: an update is posted again until a worker acknowledges it with 200.
                    while True:
                        try:
                            r = await http.post(f"{base}/telegram/webhook", json=update,
                                                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
                            if r.status_code == 200:
                                return
                        except httpx.HTTPError:
                            pass
                        await asyncio.sleep(0.2)

                updates = [standin.text_update(7000 + c, QUESTIONS[(c + m) % len(QUESTIONS)])
                           for m in range(3) for c in range(CHATS)]
                twice = updates[::5]  # delivered a second time (Telegram retries what it thinks was lost)
                half = len(updates) // 2

                async def chat_in_order(batch: list[dict[str, Any]]) -> None:
                    by_chat: dict[int, list[dict[str, Any]]] = {}
                    for u in batch:
                        by_chat.setdefault(u["message"]["chat"]["id"], []).append(u)

                    async def one(items: list[dict[str, Any]]) -> None:
                        for u in items:
                            await post(u)
                            if any(u is t for t in twice):
                                await post(u)

                    await asyncio.gather(*(one(items) for items in by_chat.values()))

                await chat_in_order(updates[:half])
                await _wait(lambda: _async(bool(standin.sent())), 60, "a first reply")

                # Midway, under load: the second half is being posted while a worker dies.
                second = asyncio.create_task(chat_in_order(updates[half:]))
                standin.fail_next("sendMessage", status=429, retry_after=1, times=10**9)

                async def settled() -> bool:
                    # Every reply Telegram accepted is marked sent: no send is between the two.
                    async with db.transaction() as s:
                        rows = (await s.execute(select(OutboxItem.payload).where(
                            OutboxItem.sent_at.is_not(None)))).scalars().all()
                    return sum(len(split_text(p["text"])) for p in rows) == len(standin.sent())

                await _wait(settled, 60, "sends to settle")
                victim, survivor = _workers(serve)
                victim.send_signal(signal.SIGKILL)
                victim.wait(timeout=10)
                standin.clear_faults()
                await second

                seen: dict[str, int] = {}

                async def done() -> bool:
                    async with db.transaction() as s:
                        inbox = (await s.execute(select(InboxItem))).scalars().all()
                        outbox = (await s.execute(select(OutboxItem))).scalars().all()
                    expected = sum(len(split_text(o.payload["text"])) for o in outbox)
                    seen.update(stored=len(inbox), processed=sum(bool(i.processed_at) for i in inbox),
                                marked=sum(bool(o.sent_at) for o in outbox), outbox=len(outbox), expected=expected,
                                sent=len(standin.sent()))
                    return (len(inbox) == len(updates) and all(i.processed_at for i in inbox)
                            and all(o.sent_at for o in outbox) and len(standin.sent()) == expected)

                try:
                    await _wait(done, 300, "every update answered")  # a loaded 2-core CI box is slow
                    await asyncio.sleep(3.0)  # a second sweep and a lapsed lease: anything sent twice shows by now
                    timed_out = None if await done() else "sent after settling"
                except AssertionError as exc:
                    timed_out = str(exc)

                async with db.transaction() as s:
                    inbox = (await s.execute(select(InboxItem))).scalars().all()
                    outbox = (await s.execute(select(OutboxItem).order_by(OutboxItem.id))).scalars().all()
                # Each update stored once (duplicates acknowledged, not stored) and answered.
                assert sorted(int(i.delivery_id) for i in inbox) == sorted(u["update_id"] for u in updates)
                assert {o.inbox_id for o in outbox} == {i.id for i in inbox}
                # What reached Telegram is exactly what was produced: per chat, same texts, same order.
                for chat in range(7000, 7000 + CHATS):
                    wanted = [part for o in outbox if o.channel_user_id == str(chat)
                              for part in split_text(o.payload["text"])]
                    got = [p["text"] for p in standin.sent(chat_id=chat)]
                    assert got == wanted, f"chat {chat} ({timed_out}: {seen}, {len(updates)} updates)"
                assert timed_out is None, f"{timed_out}: {seen}, {len(updates)} updates"
                assert max(Counter(p["chat_id"] for p in standin.sent()).values()) >= 3

                # The killed worker was replaced, and every worker is ready.
                await _wait(ready, 180, "a replacement worker")
                assert survivor.is_running() and victim.pid not in [p.pid for p in _workers(serve)]
                metrics = (await http.get(f"{base}/metrics")).text
                assert 'kynangso_backlog{queue="inbox"} 0.0' in metrics
                assert 'kynangso_messages_in_total{channel="telegram"}' in metrics
                assert "kynangso_processing_seconds_bucket" in metrics
                assert "kynangso_duplicate_deliveries_total" in metrics

                # Admin sign-in with no web.secret_key configured: the form is fetched on one connection and
                # posted on another, so it lands on either worker; every sign-in works (one key for all workers).
                made = await asyncio.to_thread(
                    subprocess.run, [sys.executable, "-m", "bot", "admin", "add-web", "--username", "tinh",
                                     "--role", "national_admin", "--password-stdin"],
                    cwd=ROOT, env=env, input="mat-khau-dai-du-10\n", capture_output=True, text=True, timeout=120)
                assert made.returncode == 0, made.stderr[-1000:]
                for _ in range(12):
                    async with httpx.AsyncClient(base_url=base, timeout=30) as first:
                        page = await first.get("/admin/login")
                        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
                        assert csrf is not None
                    async with httpx.AsyncClient(base_url=base, timeout=30, cookies=first.cookies) as second:
                        signed = await second.post("/admin/login", data={
                            "csrf": csrf.group(1), "username": "tinh", "password": "mat-khau-dai-du-10"})
                    assert signed.status_code == 303, signed.text[:300]
        finally:
            serve.terminate()
            try:
                serve.wait(timeout=30)
            except subprocess.TimeoutExpired:
                serve.kill()
            log.close()
            await db.dispose()
    # Structured logs: JSON lines that never carry what a user wrote.
    lines = [ln for ln in (tmp_path / "serve.log").read_text(encoding="utf-8").splitlines() if ln.startswith("{")]
    assert any('"worker ready: telegram"' in ln for ln in lines)
    assert not any(q in ln for ln in lines for q in QUESTIONS)


async def _async(value: bool) -> bool:
    return value
