"""One sender per chat: a registry of running senders in this process, the delivery lease across processes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot import observability as obs
from bot.service import Tutor

log = logging.getLogger(__name__)

# Sends a batch of queued rows to a chat in order; returns what was queued meanwhile (empty: nothing, and the
# lease is already given up), or None when the chat must wait (blocked, held, paused, or no longer ours).
SendRows = Callable[[str, list[Any]], Awaitable[list[Any] | None]]
# For a chat, what reads its queue inside a transaction (None: its unsent replies, see Tutor.leased_queue).
Reader = Callable[[str], Callable[[AsyncSession], Awaitable[list[Any]]]]


class LeaseLost(Exception):
    """The batch being sent is stale: another sender took the chat over while this one waited (a rate limit, a
    long pacing queue, a stall), or sent the message meanwhile. The queue is to be read again under the lease."""


@dataclass
class Hold:
    """A chat's delivery lease during one batch of sends, made fresh before each attempt to send.

    The lease is renewed by each mark, but a send can wait long before it goes out (Telegram's retry_after, the
    global pacing). Once the lease lapses another worker may take the chat and send the same rows, and may even
    finish and give the lease up. So before each attempt, if a third of the lease has passed since it was last
    renewed, it is renewed together with a look at the message being sent (`row`): `LeaseLost` when the chat is
    another live sender's or the message is no longer waiting. Each message then goes out from one worker only.
    """

    tutor: Tutor
    channel: str
    chat: str
    row: int | None = None  # the outbox row being sent now
    renewed: float = field(default_factory=time.monotonic)  # the rows were just read under the lease

    def mark(self) -> None:
        """The lease was renewed just now (with a mark or a read of the queue)."""
        self.renewed = time.monotonic()

    async def fresh(self) -> None:
        if time.monotonic() - self.renewed < self.tutor.settings.serve.lease_seconds / 3:
            return
        if not await self.tutor.lease_to_send(self.channel, self.chat, self.row):
            log.info("%s: chat %s was taken over while its sender waited; the queue is read again", self.channel,
                     self.chat)
            raise LeaseLost(self.chat)
        self.mark()


@dataclass
class Watch:
    """One delivery being processed with its chat's queue read in the same transaction (see `Senders.reading`)."""

    disturbed: bool = False  # a sender of this process started or ended for the chat meanwhile


class Senders:
    """Runs at most one sender per chat in this process, each sending its chat's queue in order until it is empty.

    Across processes the chat's delivery lease makes it the only one: taken with the first read of the queue,
    renewed with each mark, given up in the transaction that finds the queue empty. A worker that cannot take the
    lease leaves the chat to its holder, who looks at the queue again before giving the lease up. A chat with one
    reply costs two transactions: lease and read, then mark, look again and release.
    """

    def __init__(self, tutor: Tutor, channel: str, send_rows: SendRows, reader: Reader | None = None) -> None:
        self.tutor = tutor
        self.channel = channel
        self._send_rows = send_rows
        self._reader = reader
        self._running: dict[str, asyncio.Future[None]] = {}
        self._again: set[str] = set()  # chats whose sender was running when more was queued
        self._watches: dict[str, list[Watch]] = {}  # chats being processed with their queue read (see `reading`)

    @contextlib.contextmanager
    def reading(self, chat: str) -> Iterator[Watch]:
        """Around processing a delivery whose transaction also reads the chat's queue under its lease
        (`Tutor.process_and_queue`): notes whether a sender of this process starts or ends for the chat meanwhile."""
        watch = Watch()
        self._watches.setdefault(chat, []).append(watch)
        try:
            yield watch
        finally:
            watches = self._watches[chat]
            watches.remove(watch)
            if not watches:
                del self._watches[chat]

    def _disturb(self, chat: str) -> None:
        for watch in self._watches.get(chat, ()):
            watch.disturbed = True

    def start(self, chat: str, rows: list[Any] | None = None, watch: Watch | None = None) -> asyncio.Future[None]:
        """The chat's running sender, or a new one; a running one is told to look at the queue once more.

        `rows`: the chat's queue, read under its lease by the transaction that processed a delivery, with the
        `watch` of `reading` around that processing; a new sender begins with them instead of reading the queue
        itself, but only when no sender of this process started or ended for the chat meanwhile: such a sender
        (under the same lease, this process's) may have sent some of the same rows, so then the queue is read again.
        """
        sender = self._running.get(chat)
        if sender is None:
            fresh = rows if watch is not None and not watch.disturbed else None
            self._disturb(chat)
            sender = self._running[chat] = asyncio.ensure_future(self._run(chat, fresh))
        else:
            self._again.add(chat)  # it may have looked already: it looks once more before leaving
        return sender

    def running(self) -> list[asyncio.Future[None]]:
        """The senders running now (to cancel them on shutdown)."""
        return list(self._running.values())

    async def cancel(self, others: Iterable[asyncio.Future[Any]] = ()) -> None:
        """On shutdown: cancel the running senders and the channel's other tasks, and wait for them to end."""
        running = [*others, *self.running()]
        for task in running:
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.gather(*running, return_exceptions=True)

    async def _run(self, chat: str, rows: list[Any] | None = None) -> None:
        me = self._running.get(chat)
        read = self._reader(chat) if self._reader is not None else None
        try:
            if rows is None:
                rows = await self.tutor.leased_queue(self.channel, chat, read)
            while rows is not None:  # None: another live sender has the chat
                if not rows:  # nothing queued, and the lease is already given up
                    if chat not in self._again:
                        return
                    self._again.discard(chat)
                    rows = await self.tutor.leased_queue(self.channel, chat, read)
                    continue
                rows = await self._send_rows(chat, rows)
                if rows is None:
                    await self.tutor.release(self.channel, chat)
        except Exception:  # noqa: BLE001 - logged; the rows stay queued for the next delivery
            log.exception("%s: delivery to %s failed", self.channel, chat)
            obs.ERRORS.labels("send").inc()
        finally:
            if self._running.get(chat) is me:
                del self._running[chat]
                self._disturb(chat)
