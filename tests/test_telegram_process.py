"""`kynangso run` as a real process on Telegram: killed with SIGKILL before its reply got out, restarted,
the reply is sent exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot import messages as msg
from bot.config import ROOT
from tests.telegram_standin import TelegramStandIn

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
CHAT = 4242


def _spawn(standin: TelegramStandIn, tmp: Path, chroma_dir: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, KYNANGSO_TELEGRAM__TOKEN=standin.token, KYNANGSO_TELEGRAM__BASE_URL=standin.base_url,
               KYNANGSO_TELEGRAM__BASE_FILE_URL=standin.base_file_url, KYNANGSO_TELEGRAM__POLL_TIMEOUT="1",
               KYNANGSO_TELEGRAM__CHAT_INTERVAL="0", KYNANGSO_DATABASE_URL=f"sqlite+aiosqlite:///{tmp / 'bot.db'}",
               KYNANGSO_CHROMA__PATH=str(chroma_dir), KYNANGSO_DATA_DIR=str(tmp / "data"))
    return subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def _wait(cond: object, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def test_sigkill_before_the_reply_then_restart_sends_it_once(tmp_path: Path, chroma_dir: Path,
                                                                   kb: object) -> None:
    async with TelegramStandIn() as standin:
        standin.fail_next("sendMessage", status=500, times=10_000)  # replies cannot get out yet
        first = _spawn(standin, tmp_path, chroma_dir)
        try:
            await _wait(lambda: standin.calls("getUpdates"))
            standin.queue_update(standin.text_update(CHAT, "quên passcode VNeID thì làm sao"))
            await _wait(lambda: any(c.failed for c in standin.calls("sendMessage")))
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        assert not standin.sent("sendMessage", chat_id=CHAT)
        standin.clear_faults()
        second = _spawn(standin, tmp_path, chroma_dir)
        try:
            await _wait(lambda: len(standin.sent("sendMessage", chat_id=CHAT)) >= 2)
            await asyncio.sleep(2.0)  # anything sent twice would show up by now
        finally:
            second.terminate()
            second.wait(timeout=20)
        texts = [p["text"] for p in standin.sent("sendMessage", chat_id=CHAT)]
        assert texts.count(msg.GREETING) == 1
        assert sum("passcode" in t.lower() and "Theo bài" in t for t in texts) == 1
        assert len(texts) == 2
