"""`kynangso run` as a real process serving Zalo: killed with SIGKILL before its reply got out, restarted,
the reply is sent exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from bot import messages as msg
from bot.config import ROOT
from tests.zalo_standin import ZaloStandIn

USER = "7001"
CS = "/v3.0/oa/message/cs"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _spawn(standin: ZaloStandIn, tmp: Path, chroma_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KYNANGSO_")}
    env.update(KYNANGSO_ZALO__APP_ID=standin.APP_ID, KYNANGSO_ZALO__SECRET_KEY=standin.APP_SECRET,
               KYNANGSO_ZALO__OA_SECRET_KEY=standin.OA_SECRET, KYNANGSO_ZALO__ACCESS_TOKEN=standin.access_token,
               KYNANGSO_ZALO__REFRESH_TOKEN=standin.refresh_token, KYNANGSO_ZALO__API_BASE=standin.base,
               KYNANGSO_ZALO__OAUTH_BASE=standin.base, KYNANGSO_WEB__LISTEN_PORT=str(port),
               KYNANGSO_DATABASE_URL=f"sqlite+aiosqlite:///{tmp / 'bot.db'}", KYNANGSO_CHROMA__PATH=str(chroma_dir),
               KYNANGSO_DATA_DIR=str(tmp / "data"))
    return subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def _wait(cond: Callable[[], bool], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def _up(port: int, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as http:
        while True:
            try:
                if (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "server did not start"
            await asyncio.sleep(0.2)


def _stop(proc: subprocess.Popen[bytes], sig: int) -> None:
    proc.send_signal(sig)
    proc.wait(timeout=20)


async def test_sigkill_before_the_reply_then_restart_sends_it_once(tmp_path: Path, chroma_dir: Path,
                                                                   kb: object) -> None:
    async with ZaloStandIn() as standin:
        standin.fail_next(CS, -200, times=10_000)  # "send message failed": replies cannot get out yet
        port = _free_port()
        first = _spawn(standin, tmp_path, chroma_dir, port)
        try:
            await _up(port)
            url = f"http://127.0.0.1:{port}/zalo/webhook"
            event = standin.text_event(USER, "quên passcode VNeID thì làm sao")
            status, seconds = await standin.post_webhook(url, event)
            assert status == 200 and seconds < 2.0
            await _wait(lambda: any(c.error for c in standin.calls(CS)))
        finally:
            _stop(first, signal.SIGKILL)
        assert standin.sent(USER) == []
        standin.clear_faults()
        port = _free_port()
        second = _spawn(standin, tmp_path, chroma_dir, port)
        try:
            await _wait(lambda: len(standin.sent(USER)) >= 2)
            await asyncio.sleep(2.0)  # anything sent twice would show up by now
        finally:
            _stop(second, signal.SIGTERM)
        texts = standin.texts(USER)
        assert texts.count(msg.GREETING) == 1
        assert sum("passcode" in t.lower() and "Theo bài" in t for t in texts) == 1
        assert len(texts) == 2
