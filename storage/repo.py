"""Small repository functions over one session; the caller owns the transaction."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage import cells
from storage.models import (
    TZ,
    ActivityDay,
    Completion,
    Handoff,
    InboxItem,
    JobRun,
    OutboxItem,
    QuestionLog,
    QuizAnswer,
    QuizAttempt,
    User,
    as_utc,
    utcnow,
)

# ---------------------------------------------------------------- users


async def get_or_create_user(s: AsyncSession, channel: str, channel_user_id: str) -> User:
    """Return the user for (channel, id), creating the row on first contact."""
    stmt = select(User).where(User.channel == channel, User.channel_user_id == channel_user_id)
    user = (await s.execute(stmt)).scalar_one_or_none()
    if user is None:
        await s.execute(_insert_ignore(s, User, channel=channel, channel_user_id=channel_user_id,
                                       created_at=utcnow(), last_seen_at=utcnow(), active=True, context={}))
        user = (await s.execute(stmt)).scalar_one()
    return user


async def user_of_message(s: AsyncSession, channel: str, channel_user_id: str) -> tuple[User, bool]:
    """The user a message comes from (created on first contact) and whether a volunteer is helping them now (a
    request of theirs claimed and not closed), in one statement: most people have none, and need no second read."""
    claimed = select(Handoff.id).where(Handoff.user_id == User.id, Handoff.status == "claimed").exists()
    stmt = select(User, claimed).where(User.channel == channel, User.channel_user_id == channel_user_id)
    row = (await s.execute(stmt)).first()
    if row is None:
        return await get_or_create_user(s, channel, channel_user_id), False
    return row[0], bool(row[1])


def local_day(when: datetime) -> date:
    """The calendar day in Vietnam of a stored moment."""
    return as_utc(when).astimezone(TZ).date()


async def mark_active_day(s: AsyncSession, user_id: int, now: datetime) -> None:
    """Record that the learner wrote on this day (once per day; counted for "active" in any period)."""
    await s.execute(_insert_ignore(s, ActivityDay, user_id=user_id, day=local_day(now)))


# The tables of the path every message takes, for statements that need no ORM objects: on the mapped classes the
# ORM prepares each INSERT, UPDATE or DELETE as a bulk operation, which cost more CPU than running it.
_INBOX = cast(Table, InboxItem.__table__)
_OUTBOX = cast(Table, OutboxItem.__table__)


def _insert_ignore(s: AsyncSession, model: Any, **values: Any) -> Any:
    """INSERT … ON CONFLICT DO NOTHING for either dialect."""
    insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
    return insert(model).values(**values).on_conflict_do_nothing()


# ---------------------------------------------------------------- inbox / outbox


async def inbox_add(
    s: AsyncSession, channel: str, delivery_id: str, channel_user_id: str, payload: dict[str, Any],
    processed: bool = False,
) -> int | None:
    """Store a delivery; return its id, or None when this (channel, delivery_id) was already stored. `processed`:
    stored as processed, by a transaction that also processes it (and so commits both or neither); the person is
    then locked too (`lock_user`) in the same statement: the lock is taken only for a row inserted, and the
    statements after it read what was committed before the lock was granted."""
    # On the table, not the mapped class: the ORM's preparation of a bulk insert costs more than the statement.
    returned: list[Any] = [_INBOX.c.id]
    if processed and s.get_bind().dialect.name == "postgresql":  # SQLite's writers are serial anyway
        returned.append(func.pg_advisory_xact_lock(_lock_key(channel, channel_user_id)))
    result = await s.execute(
        _insert_ignore(s, _INBOX, channel=channel, delivery_id=delivery_id,
                       channel_user_id=channel_user_id, payload=payload, received_at=utcnow(), attempts=0,
                       processed_at=utcnow() if processed else None)
        .returning(*returned)
    )
    row = result.first()
    return None if row is None else int(row[0])


@dataclass(frozen=True)
class Claimed:
    """A delivery locked for processing (`inbox_claim`): what processing reads of it, without an ORM object."""

    id: int
    channel: str
    channel_user_id: str
    payload: dict[str, Any]


async def inbox_claim(s: AsyncSession, inbox_id: int) -> Claimed | None:
    """Lock an unprocessed delivery for this transaction; None if done or held by another worker.

    On PostgreSQL this is SELECT … FOR UPDATE SKIP LOCKED: the row stays locked until the processing
    transaction commits (with processed_at set, `inbox_done`) or rolls back, so a second worker (or a sweep) skips
    it and, once committed, no longer sees it as unprocessed. Then the user is locked too (`lock_user`), so two
    deliveries of one person are never processed side by side by two workers. SQLite ignores the row lock:
    its immediate write transactions already serialise every writer.
    """
    i = _INBOX.c
    row = (await s.execute(select(i.id, i.channel, i.channel_user_id, i.payload)
                           .where(i.id == inbox_id, i.processed_at.is_(None))
                           .with_for_update(skip_locked=True))).first()
    if row is None:
        return None
    await lock_user(s, row.channel, row.channel_user_id)
    return Claimed(int(row.id), str(row.channel), str(row.channel_user_id), dict(row.payload or {}))


async def inbox_done(s: AsyncSession, inbox_id: int) -> None:
    """Mark a claimed delivery processed (committed with its replies)."""
    await s.execute(update(_INBOX).where(_INBOX.c.id == inbox_id).values(processed_at=utcnow()))


async def inbox_failed(s: AsyncSession, inbox_id: int, error: str) -> None:
    """Count a failed attempt at processing a claimed delivery."""
    await s.execute(update(_INBOX).where(_INBOX.c.id == inbox_id)
                    .values(attempts=_INBOX.c.attempts + 1, error=error[:200]))


def _lock_key(channel: str, channel_user_id: str) -> int:
    """A signed 64-bit key for PostgreSQL's advisory locks."""
    digest = hashlib.blake2b(f"{channel}\x00{channel_user_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def lock_user(s: AsyncSession, channel: str, channel_user_id: str) -> None:
    """Hold one user's lock until this transaction ends (PostgreSQL; SQLite writers are serial anyway)."""
    if s.get_bind().dialect.name == "postgresql":
        await s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(channel, channel_user_id)})


def awaiting_transcript(payload: dict[str, Any] | None) -> bool:
    """A stored voice note not transcribed yet (its payload still holds where to fetch it)."""
    note = (payload or {}).get("voice")
    return isinstance(note, dict) and "ref" in note


async def inbox_unheard(s: AsyncSession, inbox_id: int) -> tuple[str, dict[str, Any]] | None:
    """(channel, payload) of an unprocessed delivery whose voice note is not transcribed yet, else None."""
    row = (await s.execute(select(InboxItem.channel, InboxItem.payload)
                           .where(InboxItem.id == inbox_id, InboxItem.processed_at.is_(None)))).first()
    if row is None or not awaiting_transcript(row[1]):
        return None
    return str(row[0]), dict(row[1])


async def inbox_heard(s: AsyncSession, inbox_id: int, payload: dict[str, Any]) -> None:
    """Replace a voice delivery's payload with its transcript (the audio reference is dropped with it)."""
    await s.execute(update(InboxItem).where(InboxItem.id == inbox_id, InboxItem.processed_at.is_(None))
                    .values(payload=payload))


async def inbox_pending_ids(s: AsyncSession, channel: str | None = None, limit: int = 100,
                            older_than: float | None = None) -> list[int]:
    """Ids of deliveries stored but not yet processed, oldest first (only those waiting `older_than` seconds)."""
    stmt = select(InboxItem.id).where(InboxItem.processed_at.is_(None)).order_by(InboxItem.id).limit(limit)
    if channel is not None:
        stmt = stmt.where(InboxItem.channel == channel)
    if older_than is not None:
        stmt = stmt.where(InboxItem.received_at < utcnow() - timedelta(seconds=older_than))
    return [int(i) for i in (await s.execute(stmt)).scalars()]


async def backlog(s: AsyncSession) -> dict[str, int]:
    """Deliveries waiting to be processed and replies waiting to be sent (held ones excluded)."""
    inbox = (await s.execute(select(func.count()).select_from(InboxItem)
                             .where(InboxItem.processed_at.is_(None)))).scalar_one()
    outbox = (await s.execute(select(func.count()).select_from(OutboxItem)
                              .where(OutboxItem.sent_at.is_(None), OutboxItem.error.is_(None)))).scalar_one()
    return {"inbox": int(inbox), "outbox": int(outbox)}


async def inbox_forget_text(s: AsyncSession, inbox_id: int) -> None:
    """Drop a processed delivery's words, keeping it as a delivery (duplicates are still recognised): words passed
    on to another person live only in the message queued for them."""
    item = await s.get(InboxItem, inbox_id)
    if item is not None and (item.payload or {}).get("text"):
        item.payload = {**item.payload, "text": ""}


async def outbox_add(s: AsyncSession, item: Claimed, replies: list[dict[str, Any]]) -> None:
    """Queue the replies to one delivery, in order (one INSERT, on the table: no ORM unit of work for them)."""
    # What the ORM still holds (messages queued for others, the learner's row) goes first, as it always went, so the
    # replies come after anything queued earlier in this transaction and a read of the queue sees it all.
    await s.flush()
    if replies:
        await s.execute(insert(_OUTBOX), [
            {"inbox_id": item.id, "seq": seq, "channel": item.channel, "channel_user_id": item.channel_user_id,
             "payload": payload, "created_at": utcnow()} for seq, payload in enumerate(replies)])


async def outbox_push(s: AsyncSession, channel: str, channel_user_id: str, payload: dict[str, Any],
                      about_user_id: int | None = None) -> None:
    """Queue a message the tutor starts itself (not a reply to a delivery); `about_user_id`: the person it
    names, when it goes to someone else."""
    s.add(OutboxItem(inbox_id=None, seq=0, channel=channel, channel_user_id=channel_user_id, payload=payload,
                     about_user_id=about_user_id))


async def job_claim(s: AsyncSession, job: str, period: str) -> bool:
    """Claim (job, period); False when another scheduler or an earlier run already has it."""
    result = await s.execute(_insert_ignore(s, JobRun, job=job, period=period, started_at=utcnow())
                             .returning(JobRun.id))
    return result.first() is not None


async def outbox_unsent(s: AsyncSession, channel: str, limit: int = 100,
                        channel_user_id: str | None = None) -> list[OutboxItem]:
    """Replies not yet delivered on a channel (or to one user of it), in the order they were produced."""
    stmt = (
        select(OutboxItem)
        .where(OutboxItem.channel == channel, OutboxItem.sent_at.is_(None))
        .order_by(OutboxItem.id)
        .limit(limit)
    )
    if channel_user_id is not None:
        stmt = stmt.where(OutboxItem.channel_user_id == channel_user_id)
    return list((await s.execute(stmt)).scalars())


async def outbox_queue(s: AsyncSession, channel: str, channel_user_id: str, limit: int = 100
                       ) -> list[tuple[int, dict[str, Any]]]:
    """(id, payload) of one chat's replies not yet delivered, in the order they were produced (`outbox_unsent`
    without loading objects: what a sender needs)."""
    out = _OUTBOX.c
    rows = await s.execute(select(out.id, out.payload).where(out.channel == channel, out.sent_at.is_(None),
                                                             out.channel_user_id == channel_user_id)
                           .order_by(out.id).limit(limit))
    return [(int(r[0]), r[1]) for r in rows]


async def outbox_mark_sent(s: AsyncSession, outbox_id: int, error: str | None = None) -> bool:
    """Record that a reply reached the channel (or was given up, with `error`); False when it already had been,
    i.e. another sender sent it too."""
    # The reply's delivery comes back with the mark (one statement): it says whether it was a deletion request.
    out, inbox = _OUTBOX.c, _INBOX.c
    request = select(inbox.payload).where(inbox.id == out.inbox_id).scalar_subquery()
    marked = (await s.execute(update(_OUTBOX).where(out.id == outbox_id, out.sent_at.is_(None))
                              .values(sent_at=utcnow(), error=error)
                              .returning(out.inbox_id, request))).first()
    if marked is None:
        return False
    if marked[0] is not None and (marked[1] or {}).get("erased"):
        # Only the sender that marked it (and so holds the row) tidies after a deletion request.
        await _forget_erased_delivery(s, outbox_id, marked[0])
    return True


async def _forget_erased_delivery(s: AsyncSession, outbox_id: int, inbox_id: int) -> None:
    """Once a reply to a deletion request is out, it keeps no trace of whom it went to; once the last one is
    out, neither does the request (its chat id was kept only to deliver the confirmation).

    Only the reply just marked (already locked by that mark) and the request's row are written, in that order,
    here and in privacy.erase: two senders marking two replies of one request take turns on the request's row
    and never wait for each other's replies. (The flag was committed with the replies, so the mark's unlocked
    read of it is settled.)"""
    item = (await s.execute(select(InboxItem).where(InboxItem.id == inbox_id)
                            .with_for_update(key_share=True))).scalar_one_or_none()
    if item is None:
        return
    await s.execute(update(OutboxItem).where(OutboxItem.id == outbox_id)
                    .values(channel_user_id="", payload={"text": "", "buttons": []}))
    waiting = (await s.execute(select(func.count()).select_from(OutboxItem).where(
        OutboxItem.inbox_id == item.id, OutboxItem.sent_at.is_(None)))).scalar_one()
    if not waiting:
        item.channel_user_id = ""


# ---------------------------------------------------------------- quizzes


async def active_attempt(s: AsyncSession, user_id: int) -> QuizAttempt | None:
    """The user's quiz in progress, if any."""
    stmt = select(QuizAttempt).where(QuizAttempt.user_id == user_id, QuizAttempt.status == "active")
    return (await s.execute(stmt.order_by(QuizAttempt.id.desc()).limit(1))).scalar_one_or_none()


async def start_attempt(s: AsyncSession, user_id: int, lesson_id: str, n_questions: int, kind: str = "lesson",
                        items: list[list[Any]] | None = None,
                        orders: list[list[int]] | None = None) -> QuizAttempt:
    """Abandon any quiz in progress and start a new one."""
    await s.execute(
        update(QuizAttempt)
        .where(QuizAttempt.user_id == user_id, QuizAttempt.status == "active")
        .values(status="abandoned", finished_at=utcnow())
    )
    attempt = QuizAttempt(user_id=user_id, lesson_id=lesson_id, n_questions=n_questions, status="active",
                          n_correct=0, kind=kind, items=items, orders=orders)
    s.add(attempt)
    await s.flush()
    return attempt


async def answered_count(s: AsyncSession, attempt_id: int) -> int:
    """How many questions of an attempt are answered (the index of the next one)."""
    stmt = select(func.count()).select_from(QuizAnswer).where(QuizAnswer.attempt_id == attempt_id)
    return int((await s.execute(stmt)).scalar_one())


async def record_answer(
    s: AsyncSession, attempt: QuizAttempt, question_index: int, chosen: int, correct: bool
) -> None:
    """Store one answer and update the running score."""
    s.add(QuizAnswer(attempt_id=attempt.id, question_index=question_index, chosen=chosen, correct=correct))
    if correct:
        attempt.n_correct += 1
    await s.flush()


async def finish_attempt(s: AsyncSession, attempt: QuizAttempt) -> None:
    """Close an attempt with its final score (0..1)."""
    attempt.status = "finished"
    attempt.finished_at = utcnow()
    attempt.score = attempt.n_correct / attempt.n_questions if attempt.n_questions else 0.0
    await s.flush()


@dataclass(frozen=True)
class LessonResult:
    lesson_id: str
    best_score: float
    attempts: int
    last_at: datetime | None


async def lesson_results(s: AsyncSession, user_id: int) -> dict[str, LessonResult]:
    """Best finished score per lesson for one user."""
    stmt = (
        select(QuizAttempt.lesson_id, func.max(QuizAttempt.score), func.count(), func.max(QuizAttempt.finished_at))
        .where(QuizAttempt.user_id == user_id, QuizAttempt.status == "finished", QuizAttempt.kind == "lesson")
        .group_by(QuizAttempt.lesson_id)
    )
    return {
        lid: LessonResult(lid, float(best or 0.0), int(n), last)
        for lid, best, n, last in (await s.execute(stmt)).all()
    }


async def latest_completion(s: AsyncSession, user_id: int) -> Completion | None:
    """The person's most recent programme completion, if any."""
    stmt = select(Completion).where(Completion.user_id == user_id).order_by(Completion.id.desc()).limit(1)
    return (await s.execute(stmt)).scalar_one_or_none()


async def code_taken(s: AsyncSession, code: str) -> bool:
    """Whether a certificate already carries this verification code."""
    return (await s.execute(select(Completion.id).where(Completion.code == code))).first() is not None


async def completion_by_code(s: AsyncSession, code: str) -> Completion | None:
    """The completion a certificate's verification code belongs to (codes are case-insensitive)."""
    stmt = select(Completion).where(Completion.code == code.strip().upper())
    return (await s.execute(stmt)).scalar_one_or_none()


# ---------------------------------------------------------------- question log


async def log_question(
    s: AsyncSession, user_id: int | None, channel: str, text: str, kind: str,
    lesson_id: str | None, topic: str | None, province_code: int | None = None, ward_code: int | None = None,
) -> int:
    """Keep a (redacted) question and how it was handled, for content editors and statistics; returns its id."""
    row = QuestionLog(user_id=user_id, channel=channel, text=text[:2000], kind=kind, lesson_id=lesson_id,
                      topic=topic, province_code=province_code, ward_code=ward_code)
    s.add(row)
    await s.flush()
    return row.id


async def rate_answer(s: AsyncSession, question_id: int, feedback: str) -> bool:
    """Record what the asker thought of an answer ("up" or "down"), once; False if already rated or gone."""
    done = (await s.execute(update(QuestionLog).where(QuestionLog.id == question_id, QuestionLog.feedback.is_(None))
                            .values(feedback=feedback)
                            .returning(QuestionLog.province_code, QuestionLog.ward_code, QuestionLog.created_at)
                            )).all()
    await cells.mark(s, cells.question_cells(list(done)))
    return len(done) == 1


# ---------------------------------------------------------------- held messages (channels with a send window)

# Why an unsent message waits for the user's next message instead of being retried: outside the channel's
# window, or over the user's receiving quota. Held rows keep sent_at None and are released, never looped on.
HELD = ("window", "user_quota")


async def outbox_sendable(s: AsyncSession, channel: str, limit: int = 100,
                          channel_user_id: str | None = None) -> list[OutboxItem]:
    """Unsent, not held messages: replies to deliveries first, then messages the tutor started; each in order."""
    stmt = (
        select(OutboxItem)
        .where(OutboxItem.channel == channel, OutboxItem.sent_at.is_(None), OutboxItem.error.is_(None))
        .order_by(OutboxItem.inbox_id.is_(None), OutboxItem.id)
        .limit(limit)
    )
    if channel_user_id is not None:
        stmt = stmt.where(OutboxItem.channel_user_id == channel_user_id)
    return list((await s.execute(stmt)).scalars())


async def outbox_waiting(s: AsyncSession, outbox_id: int) -> bool:
    """True while a message is neither sent nor given up or held: still to be sent."""
    out = _OUTBOX.c
    return (await s.execute(select(out.id).where(out.id == outbox_id, out.sent_at.is_(None),
                                                 out.error.is_(None)))).first() is not None


async def outbox_hold(s: AsyncSession, outbox_id: int, reason: str) -> None:
    """Keep a message for the user's next visit (reason is one of HELD)."""
    await s.execute(update(OutboxItem).where(OutboxItem.id == outbox_id).values(error=reason))


async def outbox_release(s: AsyncSession, channel: str, channel_user_id: str) -> int:
    """Make a user's held messages sendable again (they just wrote to us); returns how many."""
    result = await s.execute(
        update(OutboxItem)
        .where(OutboxItem.channel == channel, OutboxItem.channel_user_id == channel_user_id,
               OutboxItem.sent_at.is_(None), OutboxItem.error.in_(HELD))
        .values(error=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)
