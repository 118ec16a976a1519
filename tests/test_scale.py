"""Pieces of the scaled mode on real databases: delivery leases, the inbox claim between two workers, the
sweep's grace period, readiness, metrics and JSON logs."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from bot import observability as obs
from bot.channels.senders import Senders
from bot.config import Settings
from bot.service import Tutor
from bot.types import Incoming, Reply
from bot.web import WebServer, build_app, listen
from rag.knowledge import KnowledgeBase
from storage import leases, repo
from storage.db import Database
from storage.models import DeliveryLease, InboxItem, utcnow


async def test_a_delivery_lease_has_one_holder_until_it_lapses(db_url: str) -> None:
    db = Database(db_url)
    try:
        async with db.transaction() as s:
            assert await leases.lease_take(s, "telegram", "42", "worker-a", 60)
        async with db.transaction() as s:
            assert not await leases.lease_take(s, "telegram", "42", "worker-b", 60)  # a live holder keeps it
            assert await leases.lease_take(s, "telegram", "43", "worker-b", 60)  # another chat is free
            assert await leases.lease_take(s, "telegram", "42", "worker-a", 60)  # the holder renews
        async with db.transaction() as s:  # worker-a dies: its lease lapses
            await s.execute(update(DeliveryLease).where(DeliveryLease.holder == "worker-a")
                            .values(expires_at=utcnow() - timedelta(seconds=1)))
        async with db.transaction() as s:
            assert await leases.lease_take(s, "telegram", "42", "worker-b", 60)
            assert not await leases.lease_take(s, "telegram", "42", "worker-a", 60)
            await leases.lease_release(s, "telegram", "42", "worker-a")  # not its lease any more: no effect
        async with db.transaction() as s:
            assert not await leases.lease_take(s, "telegram", "42", "worker-a", 60)
            await leases.lease_release(s, "telegram", "42", "worker-b")
        async with db.transaction() as s:
            assert await leases.lease_take(s, "telegram", "42", "worker-a", 60)
    finally:
        await db.dispose()


@contextlib.asynccontextmanager
async def _two_workers(db_url: str, second_user: str) -> AsyncIterator[tuple[Database, Database, int, int]]:
    """Two engines, as two processes' pools, and two stored deliveries: user 42's, then `second_user`'s."""
    a, b = Database(db_url), Database(db_url)
    try:
        async with a.transaction() as s:
            first = await repo.inbox_add(s, "telegram", "1", "42", {"text": "a"})
            second = await repo.inbox_add(s, "telegram", "2", second_user, {"text": "b"})
        assert first is not None and second is not None
        yield a, b, first, second
    finally:
        await a.dispose()
        await b.dispose()


@pytest.mark.postgres
async def test_two_workers_never_claim_the_same_delivery(db_url: str) -> None:
    """Two engines are two processes' pools: the row lock of one hides the delivery from the other."""
    if not db_url.startswith("postgresql"):
        pytest.skip("row locks across processes: PostgreSQL (SQLite serialises every writer)")
    async with _two_workers(db_url, second_user="43") as (a, b, first, second):
        async with a.transaction() as sa:
            assert await repo.inbox_claim(sa, first) is not None
            async with b.transaction() as sb:
                assert await repo.inbox_claim(sb, first) is None  # held: skipped, not waited for
                assert await repo.inbox_claim(sb, second) is not None  # another user's delivery is free
            await sa.execute(update(InboxItem).where(InboxItem.id == first).values(processed_at=utcnow()))
        async with b.transaction() as sb:
            assert await repo.inbox_claim(sb, first) is None  # processed
            assert await repo.inbox_pending_ids(sb) == [second]


@pytest.mark.postgres
async def test_one_users_deliveries_are_processed_one_at_a_time(db_url: str) -> None:
    """Two deliveries of one person claimed by two workers: the second waits for the first to commit."""
    if not db_url.startswith("postgresql"):
        pytest.skip("advisory locks: PostgreSQL")
    async with _two_workers(db_url, second_user="42") as (a, b, first, second):
        order: list[str] = []
        release = asyncio.Event()

        async def worker_a() -> None:
            async with a.transaction() as s:
                assert await repo.inbox_claim(s, first) is not None
                order.append("a claimed")
                await release.wait()
                order.append("a commits")

        async def worker_b() -> None:
            while "a claimed" not in order:
                await asyncio.sleep(0.01)
            async with b.transaction() as s:
                assert await repo.inbox_claim(s, second) is not None
                order.append("b claimed")

        task_a, task_b = asyncio.create_task(worker_a()), asyncio.create_task(worker_b())
        while "a claimed" not in order:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.3)  # room for b to (wrongly) get the user while a holds it
        release.set()
        await asyncio.gather(task_a, task_b)
        assert order == ["a claimed", "a commits", "b claimed"]


async def test_the_sweep_leaves_young_deliveries_to_the_worker_that_stored_them(tutor: Tutor) -> None:
    young = await tutor.receive(Incoming("telegram", "42", "young", text="Smart OTP là gì"))
    old = await tutor.receive(Incoming("telegram", "43", "old", text="Smart OTP là gì"))
    assert young is not None and old is not None
    async with tutor.db.transaction() as s:
        await s.execute(update(InboxItem).where(InboxItem.id == old)
                        .values(received_at=utcnow() - timedelta(seconds=120)))
    assert await tutor.process_pending("telegram", older_than=30) == 1
    async with tutor.db.transaction() as s:
        assert await repo.inbox_pending_ids(s) == [young]
        backlog = await repo.backlog(s)
    assert backlog["inbox"] == 1 and backlog["outbox"] >= 1  # the old one answered, not yet sent


async def _get(server: WebServer, path: str) -> httpx.Response:
    host, port = server.address
    async with httpx.AsyncClient() as http:
        return await http.get(f"http://{host}:{port}{path}")


async def test_readiness_and_metrics_over_http(tutor: Tutor, settings: Settings, kb: KnowledgeBase) -> None:
    await tutor.receive(Incoming("telegram", "42", "m1", text="Smart OTP là gì"))
    sock = listen("127.0.0.1", 0)
    assert sock is not None
    server = WebServer(build_app(tutor, settings), sock)
    try:
        ready = await _get(server, "/readyz")
        assert ready.status_code == 200 and ready.json() == {"database": True, "index": True, "ok": True}
        metrics = (await _get(server, "/metrics")).text
        assert 'kynangso_backlog{queue="inbox"} 1.0' in metrics
        assert 'kynangso_messages_in_total{channel="telegram"}' in metrics
    finally:
        await server.stop()
    # A database that does not answer: alive (/healthz) but not ready (/readyz).
    down = Tutor(settings, Database("postgresql+asyncpg://nobody@127.0.0.1:1/none"), kb)
    sock = listen("127.0.0.1", 0)
    assert sock is not None
    server = WebServer(build_app(down, settings), sock)
    try:
        assert (await _get(server, "/healthz")).status_code == 200
        not_ready = await _get(server, "/readyz")
        assert not_ready.status_code == 503 and not_ready.json()["database"] is False
        assert "kynangso_processing_seconds" in (await _get(server, "/metrics")).text
    finally:
        await server.stop()
        await down.close()


def test_json_logs_are_one_object_per_line() -> None:
    record = logging.LogRecord("bot.dialogue", logging.INFO, __file__, 1, "user=%s kind=%s", (7, "answer"), None)
    data: dict[str, Any] = json.loads(obs.JsonFormatter().format(record))
    assert data["message"] == "user=7 kind=answer" and data["level"] == "INFO" and data["logger"] == "bot.dialogue"
    assert data["time"].endswith("Z") and "\n" not in obs.JsonFormatter().format(record)


async def test_a_dead_local_senders_lease_is_taken_at_once(tutor: Tutor) -> None:
    """A worker killed and restarted on the same host does not wait for the dead one's lease to lapse."""
    import os
    import socket
    import subprocess
    import sys

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    host = socket.gethostname()[:50]
    async with tutor.db.transaction() as s:
        assert await leases.lease_take(s, "telegram", "42", f"{host}:{gone.pid}:dead", 600)
        assert await leases.lease_take(s, "telegram", "43", f"{host}:{os.getppid()}:alive", 600)
        assert await leases.lease_take(s, "telegram", "44", f"elsewhere:{gone.pid}:other-host", 600)
    assert await tutor.lease("telegram", "42")
    assert not await tutor.lease("telegram", "43")  # a live process keeps its chat
    assert not await tutor.lease("telegram", "44")  # another host's process: only its lease lapsing tells


async def test_processing_takes_the_chats_lease_and_reads_its_queue_in_the_same_transaction(tutor: Tutor) -> None:
    """A press costs one transaction less: the processing reads the chat's queue under its lease, and the last
    mark gives the lease up in the statement that finds nothing more queued."""
    inbox_id = await tutor.receive(Incoming("telegram", "42", "p1", button="/trogiup"))
    assert inbox_id is not None
    done, rows = await tutor.process_and_queue(inbox_id, "42")
    assert done and rows and all(isinstance(r[1], Reply) for r in rows)
    async with tutor.db.transaction() as s:
        assert await leases.lease_holder(s, "telegram", "42") == tutor.holder
        assert [o.id for o in await repo.outbox_unsent(s, "telegram", channel_user_id="42")] == [r[0] for r in rows]
    for outbox_id, _ in rows[:-1]:
        assert await tutor.mark_sent("telegram", "42", outbox_id)
    assert await tutor.mark_and_next("telegram", "42", rows[-1][0]) == []
    async with tutor.db.transaction() as s:
        assert await leases.lease_holder(s, "telegram", "42") is None  # given up with the last mark
    assert await tutor.process_and_queue(inbox_id, "42") == (False, None)  # processed once only


async def test_a_chat_held_elsewhere_is_left_to_its_sender_which_sees_the_new_replies(tutor: Tutor) -> None:
    other = "elsewhere:1:live"
    first = await tutor.receive(Incoming("telegram", "42", "h1", button="/trogiup"))
    second = await tutor.receive(Incoming("telegram", "42", "h2", button="/tiendo"))
    assert first is not None and second is not None
    assert (await tutor.process_and_queue(first, "42"))[1]
    async with tutor.db.transaction() as s:  # another worker holds the chat now (the first replies are its)
        await leases.lease_release(s, "telegram", "42", tutor.holder)
        assert await leases.lease_take(s, "telegram", "42", other, 60)
    assert await tutor.process_and_queue(second, "42") == (True, None)  # not ours: nothing read, nothing sent
    async with tutor.db.transaction() as s:
        queued = [o.id for o in await repo.outbox_unsent(s, "telegram", channel_user_id="42")]
        # The holder marks what it sent; the look at the queue in the same transaction finds the new replies and
        # keeps the lease (one reply still waiting is enough to keep it).
        assert await leases.lease_take(s, "telegram", "42", other, 60)
        assert await repo.outbox_mark_sent(s, queued[0])
        assert not await leases.lease_release_if_idle(s, "telegram", "42", other)
        assert not await leases.lease_release_if_idle(s, "telegram", "42", tutor.holder)  # never someone else's
    async with tutor.db.transaction() as s:
        for outbox_id in queued[1:]:
            assert await repo.outbox_mark_sent(s, outbox_id)
        assert await leases.lease_release_if_idle(s, "telegram", "42", other)
        assert await leases.lease_holder(s, "telegram", "42") is None


async def test_a_sender_starts_on_rows_read_while_processing_unless_another_ran_meanwhile(tutor: Tutor) -> None:
    sent: list[tuple[str, list[int]]] = []

    async def send_rows(chat: str, rows: list[Any]) -> list[Any] | None:
        sent.append((chat, [r[0] for r in rows]))
        for outbox_id, _ in rows[:-1]:
            await tutor.mark_sent("telegram", chat, outbox_id)
        return await tutor.mark_and_next("telegram", chat, rows[-1][0])

    senders = Senders(tutor, "telegram", send_rows)
    inbox_id = await tutor.receive(Incoming("telegram", "42", "s1", button="/trogiup"))
    assert inbox_id is not None
    with senders.reading("42") as watch:
        rows = (await tutor.process_and_queue(inbox_id, "42"))[1]
        await senders.start("42", rows, watch)
    assert rows and sent == [("42", [r[0] for r in rows])]  # sent as read: no transaction to read them again

    # A sender of this process that started (and here ended) for the chat meanwhile may have sent some of the same
    # rows: those read while processing are dropped and the queue is read afresh.
    sent.clear()
    inbox_id = await tutor.receive(Incoming("telegram", "42", "s2", button="/tiendo"))
    assert inbox_id is not None
    with senders.reading("42") as watch:
        rows = (await tutor.process_and_queue(inbox_id, "42"))[1]
        assert rows
        await senders.start("42")  # sends these replies itself
        await senders.start("42", rows, watch)  # nothing left to send twice
    assert sent == [("42", [r[0] for r in rows])]
    async with tutor.db.transaction() as s:
        assert await repo.outbox_unsent(s, "telegram", channel_user_id="42") == []


async def test_a_sent_replys_mark_keeps_the_lease_while_more_waits_and_leaves_a_held_chat_alone(tutor: Tutor) -> None:
    """The mark after a send: more replies waiting keep the lease and are returned; a reply marked twice is counted;
    a chat another live sender holds is left to it, the reply still marked."""
    first = await tutor.receive(Incoming("telegram", "42", "m1", button="/trogiup"))
    second = await tutor.receive(Incoming("telegram", "42", "m2", button="/tiendo"))
    assert first is not None and second is not None
    rows = (await tutor.process_and_queue(first, "42"))[1]
    assert rows
    assert await tutor.process(second)  # its replies queued behind the first ones
    for outbox_id, _ in rows[:-1]:
        assert await tutor.mark_sent("telegram", "42", outbox_id)
    more = await tutor.mark_and_next("telegram", "42", rows[-1][0])
    assert more and all(isinstance(r[1], Reply) for r in more) and more[0][0] > rows[-1][0]
    async with tutor.db.transaction() as s:
        assert await leases.lease_holder(s, "telegram", "42") == tutor.holder  # kept: more waits

    twice = obs.ERRORS.labels("sent_twice")
    before = twice._value.get()
    assert await tutor.mark_sent("telegram", "42", rows[0][0])  # already marked: sent twice, still ours
    assert twice._value.get() == before + 1

    other = "elsewhere:1:live"
    async with tutor.db.transaction() as s:
        await leases.lease_release(s, "telegram", "42", tutor.holder)
        assert await leases.lease_take(s, "telegram", "42", other, 60)
    assert await tutor.mark_and_next("telegram", "42", more[0][0]) is None  # no longer ours
    async with tutor.db.transaction() as s:
        assert await leases.lease_holder(s, "telegram", "42") == other
        unsent = [o.id for o in await repo.outbox_unsent(s, "telegram", channel_user_id="42")]
    assert more[0][0] not in unsent  # the send is still recorded
    for outbox_id, _ in more[1:]:
        assert outbox_id in unsent
