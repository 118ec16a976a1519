"""A learner asks for a person; the commune's volunteers see the request, one takes it, and writes to the learner
through the tutor: on the learner's own channel, through the outbox, within that channel's window, masked like
everything else; the learner's replies go back the same way until «Đã giúp xong». The words live only in the
queued messages (the deliveries that carried them are emptied), so erasing the learner leaves nothing of them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot import conversation
from bot import messages as msg
from bot.answers import main_menu
from bot.capabilities import capability
from bot.commands import Commands
from bot.conversation import Conversation
from bot.reach import window_open
from bot.safety import redact
from bot.staffdesk import RELAY_MAX, staff_name, unit_name
from bot.types import Button, Prompt, Reply
from rag.knowledge import KnowledgeBase
from storage import repo, roles, volunteers
from storage.models import TZ, Handoff, Staff, User, as_utc, utcnow

log = logging.getLogger(__name__)


@dataclass
class Relay:
    """A learner's open conversation with the volunteer helping them: the request, the volunteer, their chat."""

    handoff: Handoff
    staff: Staff
    helper: User


def _relay_prompt(handoff_id: int, name: str) -> Prompt:
    """The volunteer's next typed message goes to the learner, as it is (masked), whatever it says."""
    return Prompt("handoff.relay", "relay", msg.RELAY_AGAIN.format(name=name), value=f"/nhantin {handoff_id}")


def _relay_buttons(handoff_id: int, name: str, reply: bool = False) -> tuple[Button, ...]:
    label = (msg.BTN_RELAY_REPLY if reply else msg.BTN_RELAY_WRITE).format(name=name[:20])
    return Button(label, f"/nhantin {handoff_id}"), Button(msg.BTN_HANDOFF_DONE, f"/xong {handoff_id}")


class HandoffDesk:
    """Shared by every chat: holds only the knowledge base (the lesson a request is about)."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb

    def register(self, commands: Commands) -> None:
        commands.add("/gapnguoi", lambda c: self.ask_person(c.s, c.user, c.ctx, c.args))
        commands.add("/hangdoi", lambda c: self.queue(c.s, c.user))
        commands.add("/nhan", lambda c: self.claim(c.s, c.user, c.args))
        commands.add("/nhantin", lambda c: self.relay_start(c.s, c.user, c.args, utcnow()))
        commands.add("/xong", lambda c: self.close(c.s, c.user, c.args, utcnow()))
        commands.add("/thoinhan", lambda c: self.relay_stop(c.s, c.user))

    # ------------------------------------------------------------ hand-off to a person

    async def ask_person(self, s: AsyncSession, user: User, ctx: Conversation, args: list[str]) -> list[Reply]:
        """A learner wants a person: confirm what will be shared, then queue it for their commune."""
        if user.consent_at is None or user.ward_code is None:
            return [Reply(msg.HANDOFF_NEED_PLACE, (Button(msg.BTN_REGISTER, "/dangky"),))]
        if args[:1] != ["dongy"]:
            return [Reply(msg.HANDOFF_ASK, (Button(msg.BTN_HANDOFF_YES, "/gapnguoi dongy"),
                                            Button(msg.BTN_HANDOFF_NO, "/ok")))]
        lesson = self.kb.lesson(conversation.reading(ctx))
        topic = lesson.title if lesson else None
        if len(args) > 1 and args[1] in msg.SUPPORT_TOPICS:
            topic = msg.SUPPORT_TOPICS[args[1]]
        elif topic is None and not await volunteers.has_open_handoff(s, user):
            # Nothing read before asking: what it is about, so the volunteer comes prepared (a tap, or words).
            buttons = tuple(Button(label, f"/gapnguoi dongy {key}") for key, label in msg.SUPPORT_TOPICS.items())
            return [Reply(msg.HANDOFF_ASK_TOPIC, buttons, prompt=Prompt(
                "handoff.topic", "options", msg.HANDOFF_TOPIC_AGAIN, value="/gapnguoi dongy {}",
                no="/gapnguoi dongy khac"))]
        handoff, new = await volunteers.open_handoff(s, user, topic)
        unit = unit_name(user.province_code, user.ward_code)
        if not new:
            if handoff.status == "claimed" and handoff.claimed_by_staff_id:
                helper = await s.get(Staff, handoff.claimed_by_staff_id)
                if helper is not None:
                    return [Reply(msg.HANDOFF_CLAIMED_ALREADY.format(name=staff_name(helper)))]
            return [Reply(msg.HANDOFF_WAITING)]
        people = await volunteers.commune_volunteers(s, user.ward_code)
        note = msg.HANDOFF_NOTIFY.format(unit=unit, name=user.display_name or msg.MINE_NONAME,
                                         hamlet=user.hamlet or msg.NO_HAMLET, topic=topic or msg.HANDOFF_TOPIC_UNKNOWN)
        claim = Button(msg.BTN_HANDOFF_CLAIM.format(name=(user.display_name or "")[:20]).strip(),
                       f"/nhan {handoff.id}")
        for _staff, person in people:
            await repo.outbox_push(s, person.channel, person.channel_user_id, Reply(note, (claim,)).to_payload(),
                                   about_user_id=user.id)
        return [Reply((msg.HANDOFF_SENT if people else msg.HANDOFF_NOBODY).format(unit=unit), main_menu())]

    async def queue(self, s: AsyncSession, user: User) -> list[Reply]:
        staff = await roles.staff_of(s, user.id)
        if staff is None or staff.ward_code is None:
            return [Reply(msg.NOT_STAFF, main_menu())]
        waiting = await volunteers.queue(s, staff)
        unit = unit_name(staff.province_code, staff.ward_code)
        if not waiting:
            return [Reply(msg.HANDOFF_QUEUE_EMPTY)]
        lines = [msg.HANDOFF_QUEUE_HEAD.format(unit=unit, n=len(waiting))]
        buttons = []
        for i, (h, person) in enumerate(waiting, 1):
            name = person.display_name or msg.MINE_NONAME
            lines.append(msg.HANDOFF_QUEUE_LINE.format(i=i, name=name, hamlet=person.hamlet or msg.NO_HAMLET,
                                                       topic=h.topic or msg.HANDOFF_TOPIC_UNKNOWN))
            buttons.append(Button(msg.BTN_HANDOFF_CLAIM.format(name=name[:20]), f"/nhan {h.id}"))
        return [Reply("\n".join(lines), tuple(buttons))]

    async def claim(self, s: AsyncSession, user: User, args: list[str]) -> list[Reply]:
        staff = await roles.staff_of(s, user.id)
        if staff is None or staff.ward_code is None:
            return [Reply(msg.NOT_STAFF, main_menu())]
        if not args or not args[0].isdigit():
            return await self.queue(s, user)
        got = await volunteers.claim_handoff(s, staff, int(args[0]))
        if got is None:
            return [Reply(msg.HANDOFF_CLAIM_GONE)]
        handoff, person = got
        unit = unit_name(staff.province_code, staff.ward_code)
        await repo.outbox_push(s, person.channel, person.channel_user_id, Reply(
            msg.HANDOFF_CLAIMED.format(name=staff_name(staff), unit=unit), main_menu()).to_payload())
        # A Telegram learner can also be written to directly; anyone can be written to through the tutor.
        link = capability(person.channel).contact_link
        contact = msg.HANDOFF_CONTACT.format(link=link.format(id=person.channel_user_id)) if link else ""
        name = person.display_name or msg.MINE_NONAME
        text = msg.HANDOFF_CLAIM_OK.format(name=name, hamlet=person.hamlet or msg.NO_HAMLET,
                                           topic=handoff.topic or msg.HANDOFF_TOPIC_UNKNOWN, contact=contact)
        return [Reply(text, _relay_buttons(handoff.id, name))]

    async def close(self, s: AsyncSession, user: User, args: list[str], now: datetime) -> list[Reply]:
        staff = await roles.staff_of(s, user.id)
        if staff is None or not args or not args[0].isdigit():
            return [Reply(msg.NOT_STAFF if staff is None else msg.HANDOFF_NOT_YOURS)]
        closed = await volunteers.close_handoff(s, staff, int(args[0]))
        if closed is None:
            return [Reply(msg.HANDOFF_NOT_YOURS)]
        handoff, person = closed
        if handoff.relay_at is not None and window_open(person.channel, person.last_seen_at, now):
            # They were talking through the tutor: the learner is told their words go to the tutor again.
            await repo.outbox_push(s, person.channel, person.channel_user_id,
                                   Reply(msg.RELAY_ENDED.format(name=staff_name(staff)), main_menu()).to_payload())
        return [Reply(msg.HANDOFF_CLOSED, (Button(msg.BTN_STAFF_LOG, "/nhatky"),))]

    # ------------------------------------------------------------ writing to each other through the tutor

    async def relay_start(self, s: AsyncSession, user: User, args: list[str], now: datetime) -> list[Reply]:
        """/nhantin <request>: the claiming volunteer is asked for their message (if the learner can be reached)."""
        if args[:1] == ["thoi"]:
            return [Reply(msg.RELAY_CANCELLED)]
        found = await self._reachable(s, user, args, now)
        if isinstance(found, Reply):
            return [found]
        _staff, handoff, person = found
        name = person.display_name or msg.MINE_NONAME
        return [Reply(msg.RELAY_ASK.format(name=name), (Button(msg.BTN_RELAY_CANCEL, "/nhantin thoi"),),
                      prompt=_relay_prompt(handoff.id, name))]

    async def relay_out(self, s: AsyncSession, user: User, prompt: Prompt, text: str, inbox_id: int | None,
                        now: datetime) -> list[Reply]:
        """The volunteer's typed message, passed to the learner on the learner's own channel through the outbox."""
        found = await self._reachable(s, user, prompt.value.split()[1:], now)
        if isinstance(found, Reply):
            return [found]
        staff, handoff, person = found
        name = person.display_name or msg.MINE_NONAME
        words = redact(text).text.strip()[:RELAY_MAX]  # masked already on the way in; masked again to be sure
        await repo.lock_user(s, person.channel, person.channel_user_id)  # the lock the learner's messages take
        await s.refresh(person)
        template = msg.RELAY_TO_LEARNER_FIRST if handoff.relay_at is None else msg.RELAY_TO_LEARNER
        note = template.format(name=staff_name(staff), unit=unit_name(staff.province_code, staff.ward_code),
                               text=words)
        await repo.outbox_push(s, person.channel, person.channel_user_id, Reply(note).to_payload())
        # What the learner types next answers the volunteer, not a question the tutor asked before.
        person.context = {k: v for k, v in (person.context or {}).items() if k != "pending"}
        handoff.relay_at, handoff.relay_blocked_at = now, None
        if inbox_id is not None:
            await repo.inbox_forget_text(s, inbox_id)
        log.info("staff %s wrote to user %s through the tutor", staff.id, person.id)
        return [Reply(msg.RELAY_SENT.format(name=name), _relay_buttons(handoff.id, name)[1:],
                      prompt=_relay_prompt(handoff.id, name))]

    async def relay_of(self, s: AsyncSession, user: User, now: datetime) -> Relay | None:
        """The learner's open conversation with a volunteer, if any. A volunteer who could not reach them before
        (their channel's window had closed) is told now that they wrote again."""
        found = await volunteers.claimed_for(s, user.id)
        if found is None:
            return None
        handoff, staff, helper = found
        name = user.display_name or msg.MINE_NONAME
        if handoff.relay_blocked_at is not None:  # they are writing now, so the window is open again
            handoff.relay_blocked_at = None
            hours = capability(user.channel).window_hours
            await repo.outbox_push(s, helper.channel, helper.channel_user_id, Reply(
                msg.RELAY_REACHABLE.format(name=name, hours=hours), _relay_buttons(handoff.id, name)).to_payload(),
                about_user_id=user.id)
        return Relay(handoff, staff, helper) if volunteers.relay_open(handoff, now) else None

    async def relay_in(self, s: AsyncSession, user: User, relay: Relay, text: str, inbox_id: int | None,
                       now: datetime) -> list[Reply]:
        """The learner's typed words, passed to the volunteer helping them, marked as theirs."""
        name = user.display_name or msg.MINE_NONAME
        words = redact(text).text.strip()[:RELAY_MAX]
        note = Reply(msg.RELAY_FROM_LEARNER.format(name=name, text=words),
                     _relay_buttons(relay.handoff.id, name, reply=True))
        # About the learner: erasing them removes it, sent or not.
        await repo.outbox_push(s, relay.helper.channel, relay.helper.channel_user_id, note.to_payload(),
                               about_user_id=user.id)
        relay.handoff.relay_at = now
        if inbox_id is not None:
            await repo.inbox_forget_text(s, inbox_id)
        helper = staff_name(relay.staff)
        return [Reply(msg.RELAY_PASSED.format(name=helper), (Button(msg.BTN_RELAY_BACK, "/thoinhan"),))]

    async def relay_stop(self, s: AsyncSession, user: User) -> list[Reply]:
        """/thoinhan: the learner goes back to the tutor; the volunteer can still write (and is told)."""
        found = await volunteers.claimed_for(s, user.id)
        if found is None or found[0].relay_at is None:
            return [Reply(msg.ASK_OTHER, main_menu())]
        handoff, staff, helper = found
        handoff.relay_at = None
        name = user.display_name or msg.MINE_NONAME
        await repo.outbox_push(s, helper.channel, helper.channel_user_id, Reply(
            msg.RELAY_LEARNER_LEFT.format(name=name), _relay_buttons(handoff.id, name)).to_payload(),
            about_user_id=user.id)
        return [Reply(msg.RELAY_BACK.format(name=staff_name(staff)), main_menu())]

    async def _reachable(self, s: AsyncSession, user: User, args: list[str],
                         now: datetime) -> tuple[Staff, Handoff, User] | Reply:
        """The request this volunteer claimed (args[0]) and its learner, if the learner can be written to now; else
        why not, kindly (not theirs, or the learner's channel window has closed)."""
        staff = await roles.staff_of(s, user.id)
        if staff is None:
            return Reply(msg.NOT_STAFF, main_menu())
        found = await volunteers.claimed_by(s, staff, int(args[0])) if args and args[0].isdigit() else None
        if found is None:
            return Reply(msg.HANDOFF_NOT_YOURS)
        handoff, person = found
        if window_open(person.channel, person.last_seen_at, now):
            return staff, handoff, person
        name = person.display_name or msg.MINE_NONAME
        done = (Button(msg.BTN_HANDOFF_DONE, f"/xong {handoff.id}"),)
        reach = capability(person.channel)
        if not reach.can_push:
            return Reply(msg.RELAY_NEVER.format(name=name), done)
        handoff.relay_blocked_at = now  # told when the learner writes again (relay_of)
        last = as_utc(person.last_seen_at).astimezone(TZ)
        return Reply(msg.RELAY_CLOSED.format(name=name, last=f"{last:%H:%M} ngày {last:%d/%m}",
                                             hours=reach.window_hours, channel=reach.label), done)
