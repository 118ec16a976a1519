"""Webhook path at scale: `kynangso serve --workers N` on PostgreSQL with a `chroma run` server, fed Telegram
webhook updates at a fixed rate by the Bot API stand-in on loopback; optionally one worker killed with SIGKILL
halfway (the crash drill).

Open loop: one update every 1/rate seconds, whatever the answers do. Each update goes to a chat with no update
in flight (a pool of chats used in turn), so a chat's first send after the update is its reply. Reports the
ack p50/p95 (webhook POST to 200), update-to-first-reply p50/p95, the highest inbox backlog seen, lost
updates (acknowledged, never answered) and duplicated replies (sent more often than the outbox holds them),
the CPU milliseconds per update used by each part (workers, PostgreSQL, Chroma, this script with the stand-in),
and the chats that got fewer messages than their outbox holds (written to short.json beside the workers' log).

The stand-in has no send limit and `telegram.per_second` is raised, to measure this code, not Telegram's
~30 messages/s per bot.

Usage: .venv/bin/python bench/scale_load.py --rate 20 --seconds 60 [--workers 2] [--crash] [--dup 0.05]
       (needs PostgreSQL: --db postgresql+asyncpg://postgres@127.0.0.1:5432/bench_scale, created if missing)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import httpx
import psutil
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.measure import pct, queued  # noqa: E402
from bot.channels.telegram import split_text  # noqa: E402
from storage import repo  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import InboxItem, OutboxItem  # noqa: E402
from tests.telegram_standin import TelegramStandIn  # noqa: E402

SECRET = "bench-secret"
# Buttons of the menus and lessons (no model, no retrieval): the learn menu, a lesson page, progress, help.
PRESSES = ["/hoc", "/bai an-toan-anh-giay-to", "/bai an-toan-du-lieu-ca-nhan", "/tiendo", "/trogiup"]
QUESTIONS = [
    "lam sao cai vneid", "quên mật khẩu VNeID thì làm sao", "Smart OTP là gì", "chuyen khoan nham thi lam gi",
    "mã QR giả dán đè là sao", "bị lừa chuyển tiền rồi báo ai", "đặt mật khẩu thế nào cho an toàn",
    "cổng dịch vụ công đăng nhập bằng gì", "cảm ơn", "học bài", "Giá vàng hôm nay bao nhiêu?",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def fresh_database(url: str) -> None:
    """Create the database if missing and empty its schema."""
    u = make_url(url)
    admin = create_async_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        exists = (await conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": u.database})).first()
        if not exists:
            await conn.execute(text(f'CREATE DATABASE "{u.database}"'))
    await admin.dispose()
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


def start_chroma(path: Path, port: int) -> subprocess.Popen[bytes]:
    chroma = Path(sys.executable).with_name("chroma")
    proc = subprocess.Popen([str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1)
            return proc
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def workers_of(serve: subprocess.Popen[bytes]) -> list[psutil.Process]:
    return [p for p in psutil.Process(serve.pid).children() if "resource_tracker" not in " ".join(p.cmdline())]


def worker_cpu(serve: subprocess.Popen[bytes]) -> dict[int, float]:
    """CPU seconds used so far by each serving worker, by pid."""
    out = {}
    for p in workers_of(serve):
        try:
            t = p.cpu_times()
            out[p.pid] = t.user + t.system
        except psutil.Error:
            pass
    return out


def cpu_seconds(serve: subprocess.Popen[bytes], chroma: subprocess.Popen[bytes]) -> dict[str, float]:
    """CPU seconds used so far (user + system) by each part of the set-up, for a per-update budget."""
    def used(procs: list[psutil.Process]) -> float:
        total = 0.0
        for p in procs:
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.Error:  # a worker killed meanwhile
                pass
        return total

    postgres = [p for p in psutil.process_iter(["name"]) if p.info["name"] in ("postgres", "postgresql")]
    chroma_tree = psutil.Process(chroma.pid)
    return {"workers": used(psutil.Process(serve.pid).children(recursive=True)),
            "chroma": used([chroma_tree, *chroma_tree.children(recursive=True)]),
            "postgres": used(postgres), "bench": used([psutil.Process()])}


async def run(db_url: str, rate: float, seconds: float, workers: int, crash: bool, dup: float,
              chroma_path: Path, seed: int = 7, query_cache: int = 0, code: Path = ROOT,
              fresh_connections: bool = False, presses: float = 0.0) -> dict[str, Any]:
    rng = random.Random(seed)
    await fresh_database(db_url)
    # The schema of the code under test (an older commit knows fewer migrations than this script's tree).
    migrate = f"from storage.db import upgrade; upgrade({db_url!r})"
    await asyncio.to_thread(subprocess.run, [sys.executable, "-c", migrate], cwd=code, check=True)
    chroma_port, port = free_port(), free_port()
    chroma = start_chroma(chroma_path, chroma_port)
    tmp = Path(tempfile.mkdtemp(prefix="scale-bench-"))
    serve: subprocess.Popen[bytes] | None = None
    async with TelegramStandIn() as standin:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("KYNANGSO_", "PROMETHEUS_"))}
        env.update(KYNANGSO_DATABASE_URL=db_url, KYNANGSO_DATA_DIR=str(tmp), KYNANGSO_CHROMA__MODE="server",
                   KYNANGSO_CHROMA__PORT=str(chroma_port), KYNANGSO_TELEGRAM__TOKEN=standin.token,
                   KYNANGSO_TELEGRAM__BASE_URL=standin.base_url, KYNANGSO_TELEGRAM__BASE_FILE_URL=standin.base_file_url,
                   KYNANGSO_TELEGRAM__MODE="webhook", KYNANGSO_TELEGRAM__SECRET_TOKEN=SECRET,
                   KYNANGSO_TELEGRAM__CHAT_INTERVAL="0", KYNANGSO_TELEGRAM__PER_SECOND=str(1000 * workers),
                   KYNANGSO_SERVE__GRACE_SECONDS="5", KYNANGSO_SERVE__SWEEP_SECONDS="1",
                   KYNANGSO_SERVE__DB_POOL_SIZE="20", KYNANGSO_EMBEDDING__QUERY_CACHE=str(query_cache))
        started = time.monotonic()
        ingest = subprocess.run([sys.executable, "-m", "bot", "ingest"], cwd=code, env=env, capture_output=True,
                                text=True)
        ingest_seconds = time.monotonic() - started
        if ingest.returncode:
            raise SystemExit(ingest.stderr[-3000:])
        serve = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--workers", str(workers), "--port",
                                  str(port)], cwd=code, env=env, stdout=subprocess.DEVNULL,
                                 stderr=(tmp / "serve.log").open("wb"))
        base = f"http://127.0.0.1:{port}"
        db = Database(db_url)
        # Kept-alive connections stay with the worker that accepted them (uneven when one accepted most); a new
        # connection per update is what nginx opens to its upstream without `keepalive`, and goes to whichever
        # worker accepts first.
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=0 if fresh_connections else 50)
        try:
            async with httpx.AsyncClient(timeout=60, limits=limits) as http:
                deadline = time.monotonic() + 300
                while True:
                    try:
                        if (await http.get(f"{base}/readyz")).status_code == 200 and len(workers_of(serve)) == workers:
                            break
                    except httpx.HTTPError:
                        pass
                    if time.monotonic() > deadline:
                        raise SystemExit("workers did not get ready")
                    await asyncio.sleep(0.5)
                await asyncio.sleep(3)  # every worker past start-up, not only the first to answer /readyz

                acks: list[float] = []
                posted: list[tuple[int, float]] = []  # (chat, time) of each new update
                refused = 0
                killed = False

                async def post(update: dict[str, Any]) -> None:
                    nonlocal refused
                    while True:  # as Telegram: again until a 200
                        t0 = time.monotonic()
                        try:
                            r = await http.post(f"{base}/telegram/webhook", json=update,
                                                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
                            if r.status_code == 200:
                                acks.append(time.monotonic() - t0)
                                return
                        except httpx.HTTPError:
                            pass
                        refused += 1
                        await asyncio.sleep(0.5)

                pool = max(100, int(rate * 30))  # a chat gets its next update ~30 s later
                backlog_max = 0
                tasks: list[asyncio.Task[None]] = []
                cpu_before = cpu_seconds(serve, chroma)
                per_worker_before = worker_cpu(serve)
                begin = time.monotonic()
                n_total = int(rate * seconds)
                next_sample = begin
                for i in range(n_total):
                    due = begin + i / rate
                    delay = due - time.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    if crash and not killed and i >= n_total // 2:
                        workers_of(serve)[0].send_signal(signal.SIGKILL)
                        killed = True
                    chat = 100_000 + i % pool
                    update = (standin.callback_update(chat, rng.choice(PRESSES)) if rng.random() < presses
                              else standin.text_update(chat, rng.choice(QUESTIONS)))
                    posted.append((chat, time.monotonic()))
                    tasks.append(asyncio.create_task(post(update)))
                    if rng.random() < dup:
                        tasks.append(asyncio.create_task(post(update)))
                    if time.monotonic() >= next_sample:
                        next_sample += 1.0
                        async with db.transaction() as s:
                            n = (await repo.backlog(s))["inbox"]
                        backlog_max = max(backlog_max, n)
                await asyncio.gather(*tasks)
                offered = time.monotonic() - begin
                cpu_load = cpu_seconds(serve, chroma)
                per_worker_load = worker_cpu(serve)
                # Drain: everything acknowledged must be processed and sent before anything is called lost.
                drain_until = time.monotonic() + 600
                while time.monotonic() < drain_until:
                    busy = await queued(db)
                    backlog_max = max(backlog_max, busy)
                    if not busy:
                        break
                    await asyncio.sleep(0.5)
                drain = time.monotonic() - begin - offered
                cpu_after = cpu_seconds(serve, chroma)
                rss = [p.memory_info().rss / 2**20 for p in workers_of(serve)]
                await asyncio.sleep(6)  # a lapsed lease's second sender would show up by now
                metrics = (await http.get(f"{base}/metrics")).text
        finally:
            if serve is not None:
                serve.terminate()
                serve.wait(timeout=60)
            chroma.terminate()
            chroma.wait(timeout=30)
        async with db.transaction() as s:
            inbox = (await s.execute(select(func.count()).select_from(InboxItem))).scalar_one()
            unprocessed = (await s.execute(select(func.count()).select_from(InboxItem)
                                           .where(InboxItem.processed_at.is_(None)))).scalar_one()
            rows = (await s.execute(select(OutboxItem.channel_user_id, OutboxItem.payload))).all()
            payloads = [r[1] for r in rows]
            by_chat: dict[str, list[dict[str, Any]]] = {}
            for chat_id, payload in rows:
                by_chat.setdefault(chat_id, []).append(payload)
            unsent = (await s.execute(select(func.count()).select_from(OutboxItem)
                                      .where(OutboxItem.sent_at.is_(None)))).scalar_one()
        await db.dispose()
        def messages(payload: dict[str, Any]) -> int:  # what the channel sends for one outbox row
            return len(split_text(payload["text"])) + bool(payload.get("image_path")) + bool(payload.get("file_path"))

        expected = sum(messages(p) for p in payloads)
        sent = sum(len(standin.sent(m)) for m in ("sendMessage", "sendPhoto", "sendDocument"))
        short_chats = sorted({c for c, _ in posted
                              if len(standin.send_times(c)) < sum(messages(p) for p in by_chat.get(str(c), []))})
        replies: list[float] = []
        for chat, t in posted:
            times = [x for x in standin.send_times(chat) if x >= t]
            if times:
                replies.append(times[0] - t)
    if short_chats:
        import json
        dump = {c: {"calls": [(r.method, r.status, r.failed, r.time, str(r.params.get("text", ""))[:40])
                              for r in standin.requests if str(r.params.get("chat_id")) == str(c)],
                    "outbox": [str(p.get("text", ""))[:40] for p in by_chat.get(str(c), [])]}
                for c in short_chats[:20]}
        (tmp / "short.json").write_text(json.dumps(dump, ensure_ascii=False, indent=1))
        print("short chats written to", tmp / "short.json")
    return {
        "rate": rate, "seconds": seconds, "fresh_connections": fresh_connections, "presses": presses,
        "workers": workers, "crash": crash, "updates": len(posted),
        "offered_per_s": len(posted) / offered, "drain_s": drain, "ingest_s": ingest_seconds,
        "ack_p50_ms": pct(acks, 0.5) * 1000, "ack_p95_ms": pct(acks, 0.95) * 1000,
        "reply_p50_ms": pct(replies, 0.5) * 1000, "reply_p95_ms": pct(replies, 0.95) * 1000,
        "backlog_max": backlog_max, "refused_posts": refused,
        "lost": unprocessed + unsent + max(0, len(posted) - inbox), "duplicated": max(0, sent - expected),
        "missing_sends": max(0, expected - sent), "short_chats": short_chats[:10],
        "took_over": "took over" in (tmp / "serve.log").read_text(errors="replace"),
        # CPU milliseconds per update, load and drain together (the killed worker's share is missing from --crash)
        "cpu_ms_per_update": {k: round((cpu_after[k] - cpu_before[k]) * 1000 / max(1, len(posted)), 1)
                              for k in cpu_before},
        "worker_rss_mib": [round(x) for x in rss],
        # each worker's share of a core while the load ran (uneven when one worker gets most connections)
        "worker_cores_during_load": [round((per_worker_load[p] - per_worker_before.get(p, 0.0)) / offered, 2)
                                     for p in per_worker_load],
        "cores_busy_during_load": round(sum(cpu_load[k] - cpu_before[k] for k in cpu_before) / offered, 2),
        "errors_metric": [ln for ln in metrics.splitlines() if ln.startswith("kynangso_errors_total")],
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default="postgresql+asyncpg://postgres@127.0.0.1:5432/bench_scale")
    ap.add_argument("--rate", type=float, default=20.0)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--crash", action="store_true", help="SIGKILL one worker halfway")
    ap.add_argument("--dup", type=float, default=0.05, help="share of updates delivered twice")
    ap.add_argument("--chroma-path", type=Path, default=ROOT / "var" / "bench-chroma-server",
                    help="kept between runs, so only the first run embeds the lessons")
    ap.add_argument("--query-cache", type=int, default=0,
                    help="questions' vectors kept per worker; 0 (default): every question pays the model, as a new "
                         "one does (this script repeats 11 texts, which a cache would turn into lookups)")
    ap.add_argument("--fresh-connections", action="store_true",
                    help="a new connection per update (nginx without upstream keepalive) instead of a kept-alive pool")
    ap.add_argument("--presses", type=float, default=0.0,
                    help="share of updates that are button presses (menus, lesson pages) instead of typed questions")
    ap.add_argument("--against", help="also run the same load on this commit's code (a temporary worktree), "
                                      "printed beside today's")
    args = ap.parse_args()
    rows = []
    if args.against:
        with tempfile.TemporaryDirectory() as tmp:
            tree = Path(tmp) / "tree"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(tree), args.against],
                           check=True)
            try:
                rows.append((args.against, asyncio.run(run(
                    args.db, args.rate, args.seconds, args.workers, args.crash, args.dup, args.chroma_path,
                    query_cache=args.query_cache, code=tree, fresh_connections=args.fresh_connections,
                    presses=args.presses))))
            finally:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)
    rows.append(("today", asyncio.run(run(args.db, args.rate, args.seconds, args.workers, args.crash, args.dup,
                                          args.chroma_path, query_cache=args.query_cache,
                                          fresh_connections=args.fresh_connections, presses=args.presses))))
    for _, r in rows:
        print(r)
    print("| code | workers | offered | updates | ack p50 / p95 | update→reply p50 / p95 | max inbox backlog "
          "| drain after load | lost | duplicated | worker CPU per update | worker memory | crash |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, r in rows:
        print(f"| {name} | {r['workers']} | {r['offered_per_s']:.1f}/s × {r['seconds']:.0f} s | {r['updates']} | "
              f"{r['ack_p50_ms']:.0f} / {r['ack_p95_ms']:.0f} ms | {r['reply_p50_ms']:.0f} / "
              f"{r['reply_p95_ms']:.0f} ms | {r['backlog_max']} | {r['drain_s']:.1f} s | {r['lost']} | "
              f"{r['duplicated']} | {r['cpu_ms_per_update']['workers']} ms | "
              f"{' / '.join(f'{x} MiB' for x in r['worker_rss_mib'])} | "
              f"{'kill -9 one worker halfway' if r['crash'] else '–'} |")


if __name__ == "__main__":
    main()
