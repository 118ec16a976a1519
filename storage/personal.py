"""Everything stored about one person, read for their copy (`held_about`) and removed on erasure (`erase`):
the storage side of the data rights in bot/privacy.py (Law 91/2025 on personal data)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import cells
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


async def attempts(s: AsyncSession, user_id: int) -> list[QuizAttempt]:
    stmt = select(QuizAttempt).where(QuizAttempt.user_id == user_id).order_by(QuizAttempt.id)
    return list((await s.execute(stmt)).scalars())


async def household_code(s: AsyncSession, user: User) -> str | None:
    household = await s.get(Household, user.household_id) if user.household_id is not None else None
    return household.code if household else None


@dataclass
class Held:
    """The rows about one person, as their copy shows them."""

    attempts: list[QuizAttempt]
    answers: list[QuizAnswer]
    consents: list[Consent]
    completions: list[Completion]
    shared: list[tuple[VolunteerLink, Staff]]  # volunteers who see their progress
    requests: list[Handoff]
    staff: Staff | None
    going: list[tuple[ClassReply, ClassEvent]]
    reminded: list[ClassReminder]
    nudged: list[tuple[Nudge, Staff | None]]
    household_code: str | None


async def held_about(s: AsyncSession, user: User) -> Held:
    """Every row that names the person (their copy of their data)."""
    done = await attempts(s, user.id)
    answers = list((await s.execute(select(QuizAnswer).where(QuizAnswer.attempt_id.in_([a.id for a in done]))
                                    .order_by(QuizAnswer.id))).scalars()) if done else []

    async def rows(stmt: Any) -> list[Any]:
        return list((await s.execute(stmt)).scalars())

    async def pairs(stmt: Any) -> list[Any]:
        return [tuple(r) for r in (await s.execute(stmt)).all()]

    return Held(
        attempts=done, answers=answers,
        consents=await rows(select(Consent).where(Consent.user_id == user.id)),
        completions=await rows(select(Completion).where(Completion.user_id == user.id)),
        shared=await pairs(select(VolunteerLink, Staff).join(Staff, Staff.id == VolunteerLink.staff_id)
                           .where(VolunteerLink.user_id == user.id)),
        requests=await rows(select(Handoff).where(Handoff.user_id == user.id)),
        staff=(await s.execute(select(Staff).where(Staff.user_id == user.id))).scalar_one_or_none(),
        going=await pairs(select(ClassReply, ClassEvent).join(ClassEvent, ClassEvent.id == ClassReply.class_id)
                          .where(ClassReply.user_id == user.id).order_by(ClassReply.id)),
        reminded=await rows(select(ClassReminder).where(ClassReminder.user_id == user.id).order_by(ClassReminder.id)),
        nudged=await pairs(select(Nudge, Staff).outerjoin(Staff, Staff.id == Nudge.staff_id)
                           .where(Nudge.user_id == user.id).order_by(Nudge.id)),
        household_code=await household_code(s, user),
    )


async def erase(s: AsyncSession, user: User, current_inbox_id: int | None, blank_reply: dict[str, Any],
                mask: Callable[[str], str]) -> list[str]:
    """Delete the person and every row that identifies them; returns their certificates' codes (whose files the
    caller removes).

    A completion stays only as an anonymous count (unit, group and date); questions stay as counts per kind,
    lesson and commune, with `mask` applied to their words; deliveries stay only as their channel and delivery
    id until the retention job, so a channel redelivering an old message cannot bring the person back.
    """
    codes = []
    for c in (await s.execute(select(Completion).where(Completion.user_id == user.id))).scalars():
        if c.code:
            codes.append(c.code)
        c.user_id, c.display_name, c.hamlet, c.code = None, None, None, None
    # Replies first, then deliveries (the order repo.outbox_mark_sent locks them in).
    # Messages to them (sent or still queued) and messages about them to volunteers ("bác Tư needs help", and
    # what they wrote to a volunteer through the tutor). What a volunteer wrote to them was dropped from the
    # volunteer's deliveries when it was passed on (staffdesk.relay_out): the copies here were the only ones.
    await s.execute(delete(OutboxItem).where(OutboxItem.channel == user.channel,
                                             OutboxItem.channel_user_id == user.channel_user_id,
                                             OutboxItem.inbox_id.is_(None)))
    await s.execute(update(OutboxItem).where(OutboxItem.channel == user.channel,
                                             OutboxItem.channel_user_id == user.channel_user_id)
                    .values(channel_user_id="", payload=blank_reply, sent_at=func.coalesce(
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
    await _mask_questions(s, user, mask)
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
    await cells.settle(s)  # no mark or empty cell keeps their thôn's name
    return codes


async def _mask_questions(s: AsyncSession, user: User, mask: Callable[[str], str]) -> None:
    """Mask the person's words in the question log of their channel and commune since they came."""
    place = QuestionLog.ward_code.is_(None) if user.ward_code is None else (
        (QuestionLog.ward_code == user.ward_code) | QuestionLog.ward_code.is_(None))
    rows = (await s.execute(select(QuestionLog).where(QuestionLog.channel == user.channel, place,
                                                      QuestionLog.created_at >= user.created_at))).scalars()
    for row in rows:
        masked = mask(row.text)
        if masked != row.text:
            row.text = masked
