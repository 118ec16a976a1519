"""Composition root: settings -> database, knowledge base, dialogue; the inbox/outbox pipeline."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable

from bot.answers import Answerer
from bot.config import Settings
from bot.dialogue import Dialogue
from bot.messages import APOLOGY
from bot.safety import redact
from bot.types import Incoming, Reply
from rag.embeddings import make_embeddings
from rag.knowledge import KnowledgeBase
from rag.text import normalize
from storage import repo
from storage.db import Database
from storage.models import utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3


def load_knowledge(settings: Settings, with_dense: bool = True) -> KnowledgeBase:
    """Build the knowledge base as configured (embeds only chunks missing from the vector store)."""
    embeddings = None
    model_id = ""
    if with_dense:
        cfg = settings.embedding
        embeddings = make_embeddings(cfg.backend, cfg.model, cfg.batch_size)
        model_id = str(getattr(embeddings, "model_id", cfg.model or cfg.backend))
    ch = settings.chroma
    return KnowledgeBase.load(settings.knowledge_dir, embeddings, model_id, ch.mode, ch.path, ch.host, ch.port,
                              ch.collection_prefix, settings.retrieval.rrf_k, settings.retrieval.candidates,
                              settings.retrieval.unaccented_dense_weight)


def sanitize(incoming: Incoming) -> Incoming:
    """Normalise the text and mask secrets, before the delivery is stored anywhere."""
    text = normalize(incoming.text or "")
    redaction = redact(text)
    button = normalize(incoming.button) if incoming.button else None
    return dataclasses.replace(incoming, text=redaction.text, button=button,
                               redacted=incoming.redacted or redaction.changed)


class Tutor:
    """One tutor process: receives deliveries into the inbox, processes them, queues replies."""

    @classmethod
    def open(cls, settings: Settings) -> Tutor:
        """A tutor on the configured database and knowledge base (call `close` when done)."""
        return cls(settings, Database(settings.database_url), load_knowledge(settings))

    async def close(self) -> None:
        """Release the database connections."""
        await self.db.dispose()

    def __init__(self, settings: Settings, db: Database, kb: KnowledgeBase) -> None:
        self.settings = settings
        self.db = db
        self.kb = kb
        self.dialogue = Dialogue(kb, Answerer(kb, settings.retrieval.retriever), settings.data_dir,
                                 bot_username=settings.telegram.bot_username, web_url=settings.web.public_url)

    async def receive(self, incoming: Incoming) -> int | None:
        """Durably store a delivery; returns its inbox id, or None for a duplicate delivery."""
        clean = sanitize(incoming)
        async with self.db.transaction() as s:
            return await repo.inbox_add(s, clean.channel, clean.delivery_id, clean.user_id, clean.to_payload())

    async def process(self, inbox_id: int) -> bool:
        """Process one stored delivery exactly once; replies go to the outbox in the same transaction."""
        for _ in range(MAX_ATTEMPTS):
            try:
                async with self.db.transaction() as s:
                    item = await repo.inbox_claim(s, inbox_id)
                    if item is None:
                        return False
                    replies = await self.dialogue.handle(s, Incoming.from_payload(item.payload), item.id)
                    await repo.outbox_add(s, item, [r.to_payload() for r in replies])
                    item.processed_at = utcnow()
                    return True
            except Exception as exc:  # noqa: BLE001 - logged with context, retried, then apologised for
                log.exception("processing inbox item %s failed", inbox_id)
                async with self.db.transaction() as s:
                    item = await repo.inbox_claim(s, inbox_id)
                    if item is None:
                        return False
                    item.attempts += 1
                    item.error = type(exc).__name__[:200]
        async with self.db.transaction() as s:
            item = await repo.inbox_claim(s, inbox_id)
            if item is None:
                return False
            await repo.outbox_add(s, item, [Reply(APOLOGY).to_payload()])
            item.processed_at = utcnow()
        return True

    async def process_pending(self, channel: str | None = None) -> int:
        """Process every stored but unprocessed delivery (after a restart, or left by a crash)."""
        done = 0
        while True:
            async with self.db.transaction() as s:
                ids = await repo.inbox_pending_ids(s, channel)
            if not ids:
                return done
            for inbox_id in ids:
                done += int(await self.process(inbox_id))

    async def deliver(self, channel: str, send: Callable[[str, Reply], Awaitable[None]]) -> int:
        """Send queued replies of a channel in order, marking each sent right after it is."""
        sent = 0
        while True:
            async with self.db.transaction() as s:
                items = await repo.outbox_unsent(s, channel)
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
