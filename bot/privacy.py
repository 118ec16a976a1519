"""A learner's rights over their data: see it, take a copy, delete it (Law 91/2025 on personal data)."""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Awaitable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import messages as msg
from bot.answers import main_menu
from bot.commands import Commands
from bot.safety import MASK
from bot.staffdesk import staff_name
from bot.types import Button, Reply
from rag.text import fold
from storage import units
from storage.models import (
    AuditEvent,
    ClassEvent,
    ClassReminder,
    ClassReply,
    Completion,
    Consent,
    Handoff,
    Household,
    InboxItem,
    Nudge,
    OutboxItem,
    QuestionLog,
    QuizAnswer,
    QuizAttempt,
    Staff,
    User,
    VolunteerLink,
    utcnow,
)

EXPORT_PREFIX = "du-lieu-"


def _commune_label(user: User) -> str | None:
    c = units.commune(user.ward_code) if user.ward_code is not None else None
    return c.label if c else None


def _vneid_label(user: User) -> str:
    return msg.UNKNOWN if user.vneid_level2 is None else (msg.YES if user.vneid_level2 else msg.NO)


async def _attempts(s: AsyncSession, user: User) -> list[QuizAttempt]:
    stmt = select(QuizAttempt).where(QuizAttempt.user_id == user.id).order_by(QuizAttempt.id)
    return list((await s.execute(stmt)).scalars())


async def _household_code(s: AsyncSession, user: User) -> str | None:
    household = await s.get(Household, user.household_id) if user.household_id is not None else None
    return household.code if household else None


def register(commands: Commands, data_dir: Path) -> None:
    """The learner's data rights as commands: see, download, erase (after a confirmation), keep."""
    commands.add("/dulieu", lambda c: show(c.s, c.user), aside=True)
    commands.add("/taidulieu", lambda c: _one(export(c.s, c.user, data_dir / "exports")))
    commands.add("/xoadulieu", lambda c: _one(erase(c.s, c.user, c.inbox_id, data_dir)) if c.args == ["xacnhan"]
                 else [confirm_delete()])
    commands.add("/giudulieu", lambda c: [Reply(msg.KEPT, main_menu())])


async def _one(reply: Awaitable[Reply]) -> list[Reply]:
    return [await reply]


async def show(s: AsyncSession, user: User) -> list[Reply]:
    """What is stored about the user, in plain words, with export and delete buttons."""
    actions = (Button(msg.BTN_EXPORT, "/taidulieu"), Button(msg.BTN_DELETE, "/xoadulieu"))
    n_quizzes = len(await _attempts(s, user))
    if user.consent_at is None:
        return [Reply(msg.DATA_NONE, actions if n_quizzes else ())]
    f = msg.DATA_FIELDS
    values = {
        "display_name": user.display_name, "commune": _commune_label(user), "hamlet": user.hamlet,
        "target_group": msg.GROUPS.get(user.target_group or ""), "age_band": msg.AGE_BANDS.get(user.age_band or ""),
        "vneid_level2": _vneid_label(user), "quizzes": str(n_quizzes),
        "household": await _household_code(s, user), "class_news": msg.YES if user.class_news else msg.NO,
    }
    lines = [msg.DATA_HEAD.format(date=user.consent_at.strftime("%d/%m/%Y"))]
    lines += [f"• {f[key]}: {value or msg.UNKNOWN}" for key, value in values.items()]
    return [Reply("\n".join(lines)), Reply(msg.DATA_ACTIONS, actions)]


async def export(s: AsyncSession, user: User, folder: Path) -> Reply:
    """Write everything stored about the user to a JSON file and hand it over."""
    attempts = await _attempts(s, user)
    answers = (await s.execute(select(QuizAnswer).where(QuizAnswer.attempt_id.in_([a.id for a in attempts]))
                               .order_by(QuizAnswer.id))).scalars().all() if attempts else []
    consents = (await s.execute(select(Consent).where(Consent.user_id == user.id))).scalars().all()
    completions = (await s.execute(select(Completion).where(Completion.user_id == user.id))).scalars().all()
    shared = (await s.execute(select(VolunteerLink, Staff).join(Staff, Staff.id == VolunteerLink.staff_id)
                              .where(VolunteerLink.user_id == user.id))).all()
    requests = (await s.execute(select(Handoff).where(Handoff.user_id == user.id))).scalars().all()
    staff = (await s.execute(select(Staff).where(Staff.user_id == user.id))).scalar_one_or_none()
    going = (await s.execute(select(ClassReply, ClassEvent).join(ClassEvent, ClassEvent.id == ClassReply.class_id)
                             .where(ClassReply.user_id == user.id).order_by(ClassReply.id))).all()
    reminded = (await s.execute(select(ClassReminder).where(ClassReminder.user_id == user.id)
                                .order_by(ClassReminder.id))).scalars().all()
    nudged = (await s.execute(select(Nudge, Staff).outerjoin(Staff, Staff.id == Nudge.staff_id)
                              .where(Nudge.user_id == user.id).order_by(Nudge.id))).all()

    def when(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    data: dict[str, Any] = {
        "channel": user.channel, "channel_user_id": user.channel_user_id, "created_at": when(user.created_at),
        "display_name": user.display_name, "commune": _commune_label(user), "ward_code": user.ward_code,
        "province_code": user.province_code, "hamlet": user.hamlet, "target_group": user.target_group,
        "age_band": user.age_band, "vneid_level2": user.vneid_level2,
        "consents": [{"version": c.version, "text": c.text, "given_at": when(c.given_at),
                      "withdrawn_at": when(c.withdrawn_at)} for c in consents],
        "quizzes": [{"lesson_id": a.lesson_id, "status": a.status, "started_at": when(a.started_at),
                     "finished_at": when(a.finished_at), "correct": a.n_correct, "questions": a.n_questions,
                     "answers": [{"question": x.question_index + 1, "chosen": x.chosen + 1, "correct": x.correct}
                                 for x in answers if x.attempt_id == a.id]} for a in attempts],
        "completions": [{"programme": c.programme, "completed_at": when(c.completed_at), "code": c.code}
                        for c in completions],
        "volunteers_who_see_progress": [{"volunteer": staff_name(st), "since": when(link.created_at),
                                         "how": link.kind} for link, st in shared],
        "help_requests": [{"created_at": when(h.created_at), "status": h.status, "topic": h.topic,
                           "last_message_through_tutor": when(h.relay_at)} for h in requests],
        "household": {"code": await _household_code(s, user), "joined_at": when(user.household_joined_at)}
        if user.household_id is not None else None,
        "class_news": user.class_news,
        "classes_going": [{"day": r.day.isoformat(), "place": e.place, "topic": e.topic,
                           "said_at": when(r.created_at)} for r, e in going],
        "class_reminders_received": [{"class": r.class_id, "day": r.day.isoformat(), "sent_at": when(r.sent_at)}
                                     for r in reminded],
        "learning_reminders_received": [{"from": staff_name(st) if st is not None else None,
                                         "sent_at": when(n.sent_at)} for n, st in nudged],
    }
    if staff is not None:
        data["staff_role"] = {"role": staff.role, "province_code": staff.province_code,
                              "ward_code": staff.ward_code, "display_name": staff.display_name,
                              "username": staff.username}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{EXPORT_PREFIX}{user.id}-{uuid.uuid4().hex}.json"
    # Readable by this service only, and deleted by the channel as soon as it is sent (file_once); erasure
    # and the retention job remove any that was never sent.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(json.dumps(data, ensure_ascii=False, indent=2))
    return Reply(msg.EXPORT_READY.format(path=path.name), file_path=str(path), file_once=True)


def remove_exports(folder: Path, user_id: int | None = None, older_than: datetime | None = None) -> int:
    """Delete data exports: one person's (erasure), or all written before `older_than` (retention)."""
    removed = 0
    pattern = f"{EXPORT_PREFIX}{user_id}-*.json" if user_id is not None else f"{EXPORT_PREFIX}*.json"
    for path in folder.glob(pattern):
        if older_than is not None and datetime.fromtimestamp(path.stat().st_mtime, UTC) >= older_than:
            continue
        path.unlink(missing_ok=True)
        removed += 1
    return removed


def confirm_delete() -> Reply:
    """Deleting cannot be undone: ask once more."""
    return Reply(msg.DELETE_CONFIRM, (Button(msg.BTN_DELETE_CONFIRM, "/xoadulieu xacnhan"),
                                      Button(msg.BTN_KEEP, "/giudulieu")))


def _mask_words(text: str, needles: list[str]) -> str:
    """`text` with every whole-word occurrence of a needle masked, with or without diacritics."""
    folded = fold(text)
    if len(folded) != len(text):
        folded = text.lower()
    spans = []
    for needle in needles:
        for m in re.finditer(rf"(?<!\w){re.escape(fold(needle))}(?!\w)", folded):
            spans.append(m.span())
    out, last = [], 0
    for start, end in sorted(spans):
        if start < last:
            continue
        out += [text[last:start], MASK]
        last = end
    return "".join(out) + text[last:]


async def _mask_in_questions(s: AsyncSession, user: User) -> None:
    """Mask the person's name and thôn in the question log of their channel and commune since they came."""
    needles = [n.strip() for n in (user.display_name, user.hamlet) if n and len(fold(n).strip()) >= 3]
    if not needles:
        return
    place = QuestionLog.ward_code.is_(None) if user.ward_code is None else (
        (QuestionLog.ward_code == user.ward_code) | QuestionLog.ward_code.is_(None))
    rows = (await s.execute(select(QuestionLog).where(QuestionLog.channel == user.channel, place,
                                                      QuestionLog.created_at >= user.created_at))).scalars()
    for row in rows:
        masked = _mask_words(row.text, needles)
        if masked != row.text:
            row.text = masked


async def erase(s: AsyncSession, user: User, current_inbox_id: int | None, data_dir: Path) -> Reply:
    """Delete the user and everything that identifies them, files included.

    A completion stays only as an anonymous count (unit, group and date); questions stay as counts per kind,
    lesson and commune, without their words; deliveries stay only as their channel and delivery id until the
    retention job, so a channel redelivering an old message cannot bring the person back.
    """
    for c in (await s.execute(select(Completion).where(Completion.user_id == user.id))).scalars():
        if c.code:
            (data_dir / "certificates" / f"{c.code}.png").unlink(missing_ok=True)
        c.user_id, c.display_name, c.hamlet, c.code = None, None, None, None
    (data_dir / "images" / f"tien-do-{user.id}.png").unlink(missing_ok=True)
    remove_exports(data_dir / "exports", user.id)
    # Replies first, then deliveries (the order repo.outbox_mark_sent locks them in).
    # Messages to them (sent or still queued) and messages about them to volunteers ("bác Tư needs help", and
    # what they wrote to a volunteer through the tutor). What a volunteer wrote to them was dropped from the
    # volunteer's deliveries when it was passed on (staffdesk.relay_out): the copies here were the only ones.
    await s.execute(delete(OutboxItem).where(OutboxItem.channel == user.channel,
                                             OutboxItem.channel_user_id == user.channel_user_id,
                                             OutboxItem.inbox_id.is_(None)))
    await s.execute(update(OutboxItem).where(OutboxItem.channel == user.channel,
                                             OutboxItem.channel_user_id == user.channel_user_id)
                    .values(channel_user_id="", payload=Reply("").to_payload(), sent_at=func.coalesce(
                        OutboxItem.sent_at, utcnow())))
    await s.execute(delete(OutboxItem).where(OutboxItem.about_user_id == user.id))
    # Deliveries: the words and who sent them go; the delivery id stays (duplicates are still recognised).
    # Messages that arrived after this one are left to be processed: they are a new conversation.
    # This request itself keeps the chat id until its confirmation is sent (then it goes: repo.outbox_mark_sent).
    blank = {"channel": user.channel, "user_id": "", "delivery_id": "", "text": ""}
    mine = [InboxItem.channel == user.channel, InboxItem.channel_user_id == user.channel_user_id]
    if current_inbox_id is not None:
        mine.append(InboxItem.id < current_inbox_id)
        await s.execute(update(InboxItem).where(InboxItem.id == current_inbox_id)
                        .values(payload={**blank, "erased": True}).execution_options(synchronize_session=False))
    await s.execute(update(InboxItem).where(*mine).values(
        channel_user_id="", payload=blank, processed_at=func.coalesce(InboxItem.processed_at, utcnow()))
        .execution_options(synchronize_session=False))
    # Questions are logged without the person; where they typed their own name or thôn, it is masked.
    await _mask_in_questions(s, user)
    # A household nobody else belongs to goes with its thôn and code.
    household_id = user.household_id
    # Consents, quiz attempts and answers, volunteer links, help requests, class replies and reminders and
    # any staff role go with it (ON DELETE CASCADE), and so does the household membership (a column of the
    # user); support sessions a volunteer logged and reminders to learn ("đôn đốc") stay as anonymous counts
    # (SET NULL).
    await s.delete(user)
    await s.flush()
    if household_id is not None:
        members = (await s.execute(select(func.count()).select_from(User)
                                   .where(User.household_id == household_id))).scalar_one()
        if members == 0:
            await s.execute(delete(Household).where(Household.id == household_id))
    # The audit log keeps that a deletion happened and on which channel, never who it was.
    s.add(AuditEvent(action="data_erased", subject=user.channel))
    await s.flush()
    return Reply(msg.DELETED)
