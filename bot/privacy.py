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

from sqlalchemy.ext.asyncio import AsyncSession

from bot import messages as msg
from bot.answers import main_menu
from bot.commands import Commands
from bot.safety import MASK
from bot.staffdesk import staff_name
from bot.types import Button, Reply
from rag.text import fold
from storage import personal, units
from storage.models import User

EXPORT_PREFIX = "du-lieu-"


def _commune_label(user: User) -> str | None:
    c = units.commune(user.ward_code) if user.ward_code is not None else None
    return c.label if c else None


def _vneid_label(user: User) -> str:
    return msg.UNKNOWN if user.vneid_level2 is None else (msg.YES if user.vneid_level2 else msg.NO)


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
    n_quizzes = len(await personal.attempts(s, user.id))
    if user.consent_at is None:
        return [Reply(msg.DATA_NONE, actions if n_quizzes else ())]
    f = msg.DATA_FIELDS
    values = {
        "display_name": user.display_name, "commune": _commune_label(user), "hamlet": user.hamlet,
        "target_group": msg.GROUPS.get(user.target_group or ""), "age_band": msg.AGE_BANDS.get(user.age_band or ""),
        "vneid_level2": _vneid_label(user), "quizzes": str(n_quizzes),
        "household": await personal.household_code(s, user), "class_news": msg.YES if user.class_news else msg.NO,
    }
    lines = [msg.DATA_HEAD.format(date=user.consent_at.strftime("%d/%m/%Y"))]
    lines += [f"• {f[key]}: {value or msg.UNKNOWN}" for key, value in values.items()]
    return [Reply("\n".join(lines)), Reply(msg.DATA_ACTIONS, actions)]


async def export(s: AsyncSession, user: User, folder: Path) -> Reply:
    """Write everything stored about the user to a JSON file and hand it over."""
    held = await personal.held_about(s, user)

    def when(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    data: dict[str, Any] = {
        "channel": user.channel, "channel_user_id": user.channel_user_id, "created_at": when(user.created_at),
        "display_name": user.display_name, "commune": _commune_label(user), "ward_code": user.ward_code,
        "province_code": user.province_code, "hamlet": user.hamlet, "target_group": user.target_group,
        "age_band": user.age_band, "vneid_level2": user.vneid_level2,
        "consents": [{"version": c.version, "text": c.text, "given_at": when(c.given_at),
                      "withdrawn_at": when(c.withdrawn_at)} for c in held.consents],
        "quizzes": [{"lesson_id": a.lesson_id, "status": a.status, "started_at": when(a.started_at),
                     "finished_at": when(a.finished_at), "correct": a.n_correct, "questions": a.n_questions,
                     "answers": [{"question": x.question_index + 1, "chosen": x.chosen + 1, "correct": x.correct}
                                 for x in held.answers if x.attempt_id == a.id]} for a in held.attempts],
        "completions": [{"programme": c.programme, "completed_at": when(c.completed_at), "code": c.code}
                        for c in held.completions],
        "volunteers_who_see_progress": [{"volunteer": staff_name(st), "since": when(link.created_at),
                                         "how": link.kind} for link, st in held.shared],
        "help_requests": [{"created_at": when(h.created_at), "status": h.status, "topic": h.topic,
                           "last_message_through_tutor": when(h.relay_at)} for h in held.requests],
        "household": {"code": held.household_code, "joined_at": when(user.household_joined_at)}
        if user.household_id is not None else None,
        "class_news": user.class_news,
        "classes_going": [{"day": r.day.isoformat(), "place": e.place, "topic": e.topic,
                           "said_at": when(r.created_at)} for r, e in held.going],
        "class_reminders_received": [{"class": r.class_id, "day": r.day.isoformat(), "sent_at": when(r.sent_at)}
                                     for r in held.reminded],
        "learning_reminders_received": [{"from": staff_name(st) if st is not None else None,
                                         "sent_at": when(n.sent_at)} for n, st in held.nudged],
    }
    staff = held.staff
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


async def erase(s: AsyncSession, user: User, current_inbox_id: int | None, data_dir: Path) -> Reply:
    """Delete the user and everything that identifies them, files included (storage.personal.erase says what
    stays, anonymous, and why)."""
    needles = [n.strip() for n in (user.display_name, user.hamlet) if n and len(fold(n).strip()) >= 3]
    user_id = user.id
    codes = await personal.erase(s, user, current_inbox_id, Reply("").to_payload(),
                                 lambda text: _mask_words(text, needles) if needles else text)
    for code in codes:
        (data_dir / "certificates" / f"{code}.png").unlink(missing_ok=True)
    (data_dir / "images" / f"tien-do-{user_id}.png").unlink(missing_ok=True)
    remove_exports(data_dir / "exports", user_id)
    return Reply(msg.DELETED)
