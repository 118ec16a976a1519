"""Telegram's sending limits, kept by waiting: the channel's senders share one `RateLimiter`."""

from __future__ import annotations

import asyncio
import time
from collections import deque


class RateLimiter:
    """About 30 messages a second overall, one a second per chat and 20 a minute per group (negative
    chat ids); callers wait, nothing is dropped."""

    def __init__(self, per_second: int = 30, chat_interval: float = 1.0, group_interval: float = 3.0) -> None:
        self.per_second = per_second
        self.chat_interval = chat_interval
        self.group_interval = group_interval
        self._recent: deque[float] = deque()
        self._next_for_chat: dict[str, float] = {}
        self._lock = asyncio.Lock()

    async def wait(self, chat: str) -> None:
        while True:
            async with self._lock:
                now = time.monotonic()
                while self._recent and now - self._recent[0] >= 1.0:
                    self._recent.popleft()
                ready_chat = self._next_for_chat.get(chat, 0.0)
                ready_global = self._recent[0] + 1.0 if len(self._recent) >= self.per_second else now
                ready = max(ready_chat, ready_global)
                if ready <= now:
                    self._recent.append(now)
                    interval = self.group_interval if chat.startswith("-") else self.chat_interval
                    self._next_for_chat[chat] = now + interval
                    return
            await asyncio.sleep(ready - now)
