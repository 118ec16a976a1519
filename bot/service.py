"""Composition root: settings -> database, knowledge base, dialogue; the inbox/outbox pipeline."""

from __future__ import annotations

import dataclasses
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot import observability as obs
from bot import voice
from bot.answers import Answerer
from bot.config import Settings
from bot.dialogue import Dialogue
from bot.errors import BotError
from bot.messages import APOLOGY
from bot.safety import Redaction, redact
from bot.types import Incoming, Reply
from rag.embeddings import make_embeddings, warm_up
from rag.knowledge import KnowledgeBase
from rag.rerank import Reranker
from rag.text import normalize
from storage import leases, repo
from storage.db import Database

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
T = TypeVar("T")


def load_knowledge(settings: Settings, with_dense: bool = True, sync: bool = True) -> KnowledgeBase:
    """Build the knowledge base as configured (embeds only chunks missing from the vector store).

    With `sync` false the vector store is read, never written (web workers; `kynangso ingest` writes it).
    """
    embeddings = None
    model_id = ""
    if with_dense:
        cfg = settings.embedding
        embeddings = make_embeddings(cfg.backend, cfg.model, cfg.batch_size, cfg.query_cache, cfg.query_batch,
                                     cfg.query_runtime, cfg.model_cache, Path(cfg.passage_cache) if cfg.passage_cache
                                     else None)
        model_id = str(getattr(embeddings, "model_id", cfg.model or cfg.backend))
        warm_up(embeddings)  # the question encoder is built now, with the rest of start-up
    ch = settings.chroma
    kb = KnowledgeBase.load(settings.knowledge_dir, embeddings, model_id, ch.mode, ch.path, ch.host, ch.port,
                            ch.collection_prefix, settings.retrieval.rrf_k, settings.retrieval.candidates,
                            settings.retrieval.unaccented_dense_weight, sync=sync,
                            reranker=Reranker.load() if settings.retrieval.rerank else None)
    kb.model_cache = settings.embedding.model_cache
    return kb


# Longest text kept from one message (Telegram's own limit). Longer pastes are cut at a word boundary before
# anything else reads them: a 10 MB message would otherwise be stored whole and stall every chat while masked.
MAX_TEXT = 4096


def clean_text(text: str) -> Redaction:
    """Words as they may be stored: capped, normalised, secrets masked (typed text and transcripts alike)."""
    if len(text) > MAX_TEXT:
        cut = text[:MAX_TEXT]
        text = cut.rsplit(None, 1)[0] if " " in cut[-200:] else cut
    return redact(normalize(text))


def sanitize(incoming: Incoming) -> Incoming:
    """Normalise the text and mask secrets, before the delivery is stored anywhere."""
    redaction = clean_text(incoming.text or "")
    button = normalize(incoming.button) if incoming.button else None
    return dataclasses.replace(incoming, text=redaction.text, button=button,
                               redacted=incoming.redacted or redaction.changed)


def _dead_here(holder: str) -> bool:
    """True when a lease holder (host:pid:token) names a process of this host that is gone."""
    parts = holder.rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        return False
    host, pid = parts[0], int(parts[1])
    if host != socket.gethostname()[:50] or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class Tutor:
    """One tutor process: receives deliveries into the inbox, processes them, queues replies."""

    @classmethod
    def open(cls, settings: Settings, sync_index: bool = True) -> Tutor:
        """A tutor on the configured database and knowledge base (call `close` when done)."""
        return cls(settings, Database(settings.database_url, settings.serve.db_pool_size),
                   load_knowledge(settings, sync=sync_index))

    async def close(self) -> None:
        """Release the database connections and the transcription threads."""
        self.listener.close()
        await self.db.dispose()

    def __init__(self, settings: Settings, db: Database, kb: KnowledgeBase) -> None:
        self.settings = settings
        self.db = db
        self.kb = kb
        # Names this process in delivery leases: the only sender of a chat at a time, across workers.
        self.holder = f"{socket.gethostname()[:50]}:{os.getpid()}:{secrets.token_hex(4)}"
        vc = settings.voice
        self.listener = voice.Listener(voice.make_transcriber(vc.engine), vc.max_seconds, vc.threads, vc.queue)
        # Where each channel's voice notes are fetched from (the channel registers it: `audio_source`).
        self._audio: dict[str, Callable[[str], Awaitable[bytes]]] = {}
        self.dialogue = Dialogue(kb, Answerer(kb, settings.retrieval.retriever), settings.data_dir,
                                 bot_username=settings.telegram.bot_username, web_url=settings.web.public_url,
                                 voice=vc, nudges=settings.nudges, reports=settings.reports,
                                 campaign=settings.campaign)

    def audio_source(self, channel: str, fetch: Callable[[str], Awaitable[bytes]]) -> None:
        """How to download a voice note of `channel` from the reference stored in the inbox."""
        self._audio[channel] = fetch

    async def receive(self, incoming: Incoming) -> int | None:
        """Durably store a delivery; returns its inbox id, or None for a duplicate delivery."""
        clean = sanitize(incoming)
        async with self.db.transaction() as s:
            inbox_id = await repo.inbox_add(s, clean.channel, clean.delivery_id, clean.user_id, clean.to_payload())
        (obs.MESSAGES_IN if inbox_id is not None else obs.DUPLICATES).labels(clean.channel).inc()
        return inbox_id

    async def _hear_or_give_up(self, inbox_id: int) -> None:
        """`hear`, and when even that fails, mark the note unreadable so it is answered, never retried forever."""
        try:
            await self.hear(inbox_id)
        except Exception:  # noqa: BLE001 - the note is answered as unreadable, never left unanswered
            log.exception("transcribing inbox item %s failed", inbox_id)
            obs.ERRORS.labels("voice").inc()
            async with self.db.transaction() as s:
                found = await repo.inbox_unheard(s, inbox_id)
                if found is not None:
                    found[1].update(text="", voice={"outcome": voice.UNREADABLE, "seconds": 0})
                    await repo.inbox_heard(s, inbox_id, found[1])

    async def hear(self, inbox_id: int) -> None:
        """Transcribe a stored voice note (if it is one and not yet done) and keep only its redacted words.

        Outside the processing transaction: transcription takes a second or more and holds no database
        connection meanwhile. A crash before the words are stored means fetching the note again later.
        """
        async with self.db.transaction() as s:
            found = await repo.inbox_unheard(s, inbox_id)
        if found is None:
            return
        channel, payload = found
        note: dict[str, Any] = payload["voice"]
        fetch = self._audio.get(channel)
        started = time.perf_counter()
        given = note.get("seconds")
        declared = float(given) if isinstance(given, (int, float)) else None
        if fetch is None:
            heard = voice.Heard(voice.UNREADABLE if self.listener.available else voice.UNAVAILABLE)
        else:
            ref = str(note["ref"])
            heard = await self.listener.hear(lambda: fetch(ref), declared)
        obs.VOICE_NOTES.labels(heard.outcome).inc()
        if heard.outcome == voice.HEARD:
            obs.TRANSCRIPTION.observe(time.perf_counter() - started)
        redaction = clean_text(heard.text)
        length = heard.seconds or declared or 0.0
        payload.update(text=redaction.text, redacted=bool(payload.get("redacted")) or redaction.changed,
                       voice={"outcome": heard.outcome, "seconds": round(length, 1)})
        async with self.db.transaction() as s:
            await repo.inbox_heard(s, inbox_id, payload)
        log.info("voice note %s: %s, %.1f s", inbox_id, heard.outcome, length)

    async def process(self, inbox_id: int) -> bool:
        """Process one stored delivery exactly once; replies go to the outbox in the same transaction."""
        return (await self.process_and_queue(inbox_id))[0]

    async def process_and_queue(self, inbox_id: int, chat: str | None = None) -> tuple[bool, list[Any] | None]:
        """`process`; with `chat`, also take that chat's delivery lease and read its unsent replies in the same
        transaction (as `leased_queue`), so a sender can start on them without a transaction of its own.

        Returns (processed by this call, the rows read): an empty list means nothing is queued and the lease was
        given up; None means nothing was read (no `chat`, another live sender holds it, or the delivery ended in
        an apology) and a sender must look at the queue itself.
        """
        attempts = 0
        while attempts < MAX_ATTEMPTS:
            try:
                rows: list[Any] | None = None
                async with self.db.transaction() as s:
                    item = await repo.inbox_claim(s, inbox_id)
                    if item is None:
                        return False, None
                    unheard = repo.awaiting_transcript(item.payload)
                    if not unheard:
                        started = time.perf_counter()
                        rows = await self._process_claimed(s, item, chat)
                        channel = item.channel
                if unheard:
                    # A voice note: transcribed outside any transaction, then processed like typed words.
                    await self._hear_or_give_up(inbox_id)
                    continue
                obs.PROCESSING.labels(channel).observe(time.perf_counter() - started)
                return True, rows
            except BotError as exc:  # a problem the person can understand: said kindly, not retried
                log.info("inbox item %s answered with a %s", inbox_id, type(exc).__name__)
                return await self._answer_with(inbox_id, Reply(exc.user_text)), None
            except Exception as exc:  # noqa: BLE001 - logged with context, retried, then apologised for
                attempts += 1
                log.exception("processing inbox item %s failed", inbox_id)
                obs.ERRORS.labels("process").inc()
                async with self.db.transaction() as s:
                    item = await repo.inbox_claim(s, inbox_id)
                    if item is None:
                        return False, None
                    await repo.inbox_failed(s, item.id, type(exc).__name__)
        return await self._answer_with(inbox_id, Reply(APOLOGY)), None

    async def _process_claimed(self, s: AsyncSession, item: repo.Claimed, chat: str | None,
                               mark: bool = True) -> list[Any] | None:
        """The dialogue's replies to a claimed delivery queued and the delivery marked processed (unless `mark` is
        false: stored as processed); with `chat`, the chat's lease taken and its queue read (`process_and_queue`)."""
        replies = await self.dialogue.handle(s, Incoming.from_payload(item.payload), item.id)
        await repo.outbox_add(s, item, [r.to_payload() for r in replies])
        if mark:
            await repo.inbox_done(s, item.id)
        if chat is None or not await self.lease_in(s, item.channel, chat):
            return None
        # Last, after every other lock of the processing: the lease row stays locked to the commit, so a sender
        # elsewhere that gives the chat up waits and then sees these replies.
        return await self._queue_or_release(s, item.channel, chat, None)

    async def receive_and_process(self, incoming: Incoming, chat: str) -> tuple[int | None, list[Any] | None]:
        """Store and process a delivery in one transaction, and read its chat's queue under the lease (as
        `process_and_queue`): for a button press or typed words, before the webhook's 200 — until then Telegram keeps
        the update, so a crash loses nothing and nothing half-stored is left behind.

        Returns (inbox id, rows read); (None, None) for a repeated delivery. Raises what processing raised, with
        nothing stored: the caller then stores and processes it the usual way (retries, a kind answer).
        """
        clean = sanitize(incoming)
        payload = clean.to_payload()
        async with self.db.transaction() as s:
            # Stored as processed: this transaction commits the delivery with its replies, or neither.
            inbox_id = await repo.inbox_add(s, clean.channel, clean.delivery_id, clean.user_id, payload, processed=True)
            if inbox_id is not None:
                # The new row is this transaction's alone; the person was locked with it, as a claim locks them.
                started = time.perf_counter()
                item = repo.Claimed(inbox_id, clean.channel, clean.user_id, payload)
                rows = await self._process_claimed(s, item, chat, mark=False)
        (obs.MESSAGES_IN if inbox_id is not None else obs.DUPLICATES).labels(clean.channel).inc()
        if inbox_id is None:
            return None, None
        obs.PROCESSING.labels(clean.channel).observe(time.perf_counter() - started)
        return inbox_id, rows

    async def _answer_with(self, inbox_id: int, reply: Reply) -> bool:
        """Close a delivery with one reply (an apology, or a BotError's kind sentence)."""
        async with self.db.transaction() as s:
            item = await repo.inbox_claim(s, inbox_id)
            if item is None:
                return False
            await repo.outbox_add(s, item, [reply.to_payload()])
            await repo.inbox_done(s, item.id)
        return True

    async def process_pending(self, channel: str | None = None, older_than: float | None = None) -> int:
        """Process every stored but unprocessed delivery (after a restart, or left by a crash).

        With `older_than`, only deliveries stored that many seconds ago: several workers share the inbox,
        and a younger one is most likely being processed right now by the worker that stored it.
        """
        done = 0
        seen: set[int] = set()
        while True:
            async with self.db.transaction() as s:
                ids = [i for i in await repo.inbox_pending_ids(s, channel, older_than=older_than) if i not in seen]
            if not ids:
                return done
            for inbox_id in ids:
                seen.add(inbox_id)  # one held by another worker right now is skipped, not waited for
                done += int(await self.process(inbox_id))

    async def lease(self, channel: str, chat: str) -> bool:
        """Take or renew the right to send to one chat; False while another live worker has it.

        A holder that was a process of this host which no longer exists (killed, then restarted) is taken
        over at once instead of after its lease lapses.
        """
        async with self.db.transaction() as s:
            return await self.lease_in(s, channel, chat)

    async def lease_in(self, s: AsyncSession, channel: str, chat: str) -> bool:
        """`lease` inside the caller's transaction."""
        seconds = self.settings.serve.lease_seconds
        if await leases.lease_take(s, channel, chat, self.holder, seconds):
            return True
        holder = await leases.lease_holder(s, channel, chat)
        if holder is not None and _dead_here(holder):
            log.info("taking over chat %s:%s from dead sender %s", channel, chat, holder)
            return await leases.lease_steal(s, channel, chat, holder, self.holder, seconds)
        return False

    async def lease_to_send(self, channel: str, chat: str, outbox_id: int | None) -> bool:
        """`lease`, and (with `outbox_id`) that message still to be sent: False when another live sender has the
        chat, or the message was sent (or held) meanwhile by a sender that took the chat over and finished."""
        async with self.db.transaction() as s:
            if not await self.lease_in(s, channel, chat):
                return False
            return outbox_id is None or await repo.outbox_waiting(s, outbox_id)

    async def leased_queue(self, channel: str, chat: str,
                           read: Callable[[AsyncSession], Awaitable[list[T]]] | None = None) -> list[T] | None:
        """Take (or renew) the chat's lease and read its queue (`read`, by default its unsent replies), in one
        transaction.

        None when another live sender holds the chat. An empty list means nothing is queued and the lease was
        given up in the same transaction. The lease row stays locked from the first statement to the commit, so
        a reply committed by another worker is either seen here or sent by that worker, whose lease attempt
        waits for this transaction and then succeeds.
        """
        async with self.db.transaction() as s:
            if not await self.lease_in(s, channel, chat):
                return None
            return await self._queue_or_release(s, channel, chat, read)

    async def mark_and_next(self, channel: str, chat: str, outbox_id: int, error: str | None = None,
                            read: Callable[[AsyncSession], Awaitable[list[T]]] | None = None) -> list[T] | None:
        """Record the last send of a batch and, in the same transaction, read what was queued meanwhile.

        The lease is renewed first (its row stays locked to the commit, as in `leased_queue`); when nothing is
        queued it is given up here, so a finished chat costs no further transaction. None when another sender
        has taken the chat over (the send is still recorded).
        """
        async with self.db.transaction() as s:
            ours = await self.lease_in(s, channel, chat)
            await self.mark_sent_in(s, outbox_id, error)
            if not ours:
                return None
            if read is None and await leases.lease_release_if_idle(s, channel, chat, self.holder):
                return []  # the usual end of a batch: nothing more queued, the lease given up in one statement
            return await self._queue_or_release(s, channel, chat, read)

    async def mark_sent(self, channel: str, chat: str, outbox_id: int, error: str | None = None) -> bool:
        """Record a send that more of the batch follows, renewing the chat's lease; False: no longer ours."""
        async with self.db.transaction() as s:
            ours = await self.lease_in(s, channel, chat)
            await self.mark_sent_in(s, outbox_id, error)
            return ours

    @staticmethod
    async def mark_sent_in(s: AsyncSession, outbox_id: int, error: str | None = None) -> None:
        """Record a send inside the caller's transaction, counting one another sender had already recorded."""
        if not await repo.outbox_mark_sent(s, outbox_id, error):
            # Another worker took this chat over while this one stalled past its lease: sent twice.
            log.warning("outbox item %s was already marked sent by another sender", outbox_id)
            obs.ERRORS.labels("sent_twice").inc()

    async def _queue_or_release(self, s: AsyncSession, channel: str, chat: str,
                                read: Callable[[AsyncSession], Awaitable[list[T]]] | None) -> list[T]:
        if read is None:
            queued = await repo.outbox_queue(s, channel, chat)
            rows: list[Any] = [(outbox_id, Reply.from_payload(payload)) for outbox_id, payload in queued]
        else:
            rows = await read(s)
        if not rows:
            await leases.lease_release(s, channel, chat, self.holder)
        return rows

    async def release(self, channel: str, chat: str) -> None:
        """Give up the right to send to one chat."""
        async with self.db.transaction() as s:
            await leases.lease_release(s, channel, chat, self.holder)

    async def backlog(self) -> dict[str, int]:
        """Deliveries waiting to be processed and messages waiting to be sent."""
        async with self.db.transaction() as s:
            return await repo.backlog(s)

    async def deliver(self, channel: str, send: Callable[[str, Reply], Awaitable[None]],
                      channel_user_id: str | None = None) -> int:
        """Send queued replies of a channel (or of one of its users) in order, marking each sent right after it is."""
        sent = 0
        while True:
            async with self.db.transaction() as s:
                items = await repo.outbox_unsent(s, channel, channel_user_id=channel_user_id)
                pending = [(o.id, o.channel_user_id, Reply.from_payload(o.payload)) for o in items]
            if not pending:
                return sent
            for outbox_id, user_id, reply in pending:
                await send(user_id, reply)
                async with self.db.transaction() as s:
                    await repo.outbox_mark_sent(s, outbox_id)
                sent += 1

    async def handle(self, incoming: Incoming, send: Callable[[str, Reply], Awaitable[None]]) -> None:
        """Receive, process and deliver one message: the whole path for simple channels."""
        inbox_id = await self.receive(incoming)
        if inbox_id is not None:
            await self.process(inbox_id)
        await self.deliver(incoming.channel, send)
