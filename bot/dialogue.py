"""The conversation: Incoming -> list[Reply], with every bit of state in the database session given."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect as sa_inspect
from sqlalchemy.ext.asyncio import AsyncSession

from bot import conversation, privacy, understand, values, voice
from bot import messages as msg
from bot.answers import Answerer, is_clear, main_menu
from bot.campaigns import Campaigns
from bot.commands import Call, Commands, parse_command
from bot.community import Community
from bot.config import CampaignSettings, NudgeSettings, ReportSettings, VoiceSettings
from bot.conversation import Conversation
from bot.handoffs import HandoffDesk, Relay
from bot.learning import Learning
from bot.officers import OfficerDesk
from bot.prompts import MAX_OFFERS, Pending, read
from bot.quizdesk import QuizDesk
from bot.reading import MAX_INPUT, Reader
from bot.registration import Registration, consent_reply
from bot.staffdesk import INVITE_PREFIX, REFERRAL_PREFIX, StaffDesk
from bot.team import TeamDesk
from bot.types import Button, Incoming, Prompt, Reply
from rag.knowledge import KnowledgeBase
from rag.text import fold, normalize
from storage import repo
from storage.models import User, utcnow

log = logging.getLogger(__name__)

_CODE = re.compile(r"(?:ma\s*:?\s*)?([a-z0-9]{6})")
VOICE_CHECK = Prompt("voice", "heard", msg.VOICE_AGAIN, yes="/nghedung", no="/noilai")


def _pressed(text: str, ctx: Conversation) -> str:
    """A bare number or a button's own words press a button of the last message: its value; else the text."""
    shown = tuple(Button(str(lbl), str(val)) for lbl, val in ctx.get("buttons") or [])
    if re.fullmatch(r"\d{1,2}", text) and 1 <= int(text) <= len(shown):
        return shown[int(text) - 1].value
    pressed = understand.match_button(text, shown)
    return pressed.value if pressed is not None else text


@dataclass
class Turn:
    """What belongs to one message only: kept here, never on the dialogue (it serves many chats at once)."""

    incoming: Incoming
    inbox_id: int | None
    pending: Pending | None
    aside: bool = False  # handled as something other than an answer to the pending prompt
    emergency: bool = False  # the scam steps were sent: the prompt waits quietly, it is not asked again now
    relay: Relay | None = None  # a volunteer is writing to this learner through the tutor: typed words go to them


class Dialogue:
    """Handles one incoming message inside the caller's transaction."""

    def __init__(self, kb: KnowledgeBase, answerer: Answerer, data_dir: Path, bot_username: str = "",
                 web_url: str = "", voice: VoiceSettings | None = None, nudges: NudgeSettings | None = None,
                 reports: ReportSettings | None = None, campaign: CampaignSettings | None = None) -> None:
        self.kb = kb
        self.voice = voice or VoiceSettings()
        self.answerer = answerer
        # The programme's pass rule (knowledge/programme.yaml) also decides when one quiz is passed.
        self.pass_ratio = kb.pass_ratio
        self.registration = Registration()
        self.learning = Learning(kb, data_dir, self.pass_ratio)
        self.quiz = QuizDesk(kb, self.learning, self.pass_ratio)
        self.staff = StaffDesk(kb, data_dir, bot_username, web_url, self.pass_ratio)
        self.handoffs = HandoffDesk(kb)
        self.reader = Reader(kb, answerer, self.learning, self.voice, lambda: self.staff.bot_username)
        self.community = Community((campaign or CampaignSettings()).national)
        self.campaigns = Campaigns(self.community)
        self.team = TeamDesk(kb, self.learning, self.pass_ratio, (nudges or NudgeSettings()).idle_days)
        self.admin = OfficerDesk(data_dir, self.pass_ratio, reports or ReportSettings())
        # Filled once here, then only read: every chat shares it.
        self.commands = Commands()
        self._register(self.commands)
        for feature in (self.registration, self.learning, self.quiz, self.reader, self.community, self.campaigns,
                        self.staff, self.handoffs, self.team, self.admin):
            feature.register(self.commands)
        privacy.register(self.commands, data_dir)

    async def handle(self, s: AsyncSession, incoming: Incoming, inbox_id: int | None = None) -> list[Reply]:
        """Replies to one message; state changes go through the session (committed by the caller)."""
        user, helped = await repo.user_of_message(s, incoming.channel, incoming.user_id)
        ctx = conversation.load(user.context)
        now = utcnow()
        if not ctx.get("greeted") or repo.local_day(user.last_seen_at) != repo.local_day(now):
            await repo.mark_active_day(s, user.id, now)  # the first message of a day: dated activity
        relay = await self.handoffs.relay_of(s, user, now) if helped else None
        turn = Turn(incoming, inbox_id, Pending.load(ctx), relay=relay)
        replies: list[Reply] = []
        if not ctx.get("greeted"):
            ctx["greeted"] = True
            replies.append(Reply(msg.GREETING, main_menu()))
        if incoming.redacted:
            replies.append(Reply(msg.REDACTED_WARNING))
        text = normalize(incoming.button or incoming.text or "")
        if len(text) > MAX_INPUT:
            text = text[:MAX_INPUT]
            replies.append(Reply(msg.TOO_LONG))
        replies += await self._dispatch(s, user, ctx, turn, text)
        if sa_inspect(user).was_deleted:
            return replies
        referral = ctx.get("referral")
        if referral and not referral.get("asked") and await repo.active_attempt(s, user.id) is None:
            referral["asked"] = True  # asked once, after the quiz the link opened
            replies.append(self.staff.referral_question(ctx))
        elif not ctx.get("reg") and turn.pending is None and not self.learning.review_looked_for(ctx, now) \
                and await repo.active_attempt(s, user.id) is None:
            due = await self.learning.review_due(s, user, ctx, now)
            if due is not None:
                replies.append(due)
        replies += await self._keep_prompt(s, user, ctx, turn, replies)
        if replies:
            last = [r.to_payload() for r in replies if r.text != msg.GREETING] or [replies[-1].to_payload()]
            ctx["last_replies"] = last
            ctx["buttons"] = last[-1]["buttons"]
        # Written once, with the conversation, at the end: one UPDATE of the learner's row per message.
        user.last_seen_at, user.active, user.context = now, True, conversation.dump(ctx)
        return replies

    async def _keep_prompt(self, s: AsyncSession, user: User, ctx: Conversation, turn: Turn,
                           replies: list[Reply]) -> list[Reply]:
        """Remember what the last reply asks; after a message that was not an answer, offer the old prompt again."""
        asked = next((r for r in reversed(replies) if r.prompt is not None), None)
        if asked is not None:
            ctx["pending"] = Pending.of(asked).dump()
            return []
        pending = turn.pending
        if not turn.aside or pending is None:
            ctx.pop("pending", None)
            return []
        if turn.emergency:
            return []  # someone in a scam is not asked for their thôn next; the prompt still waits
        if pending.offered >= MAX_OFFERS:
            ctx.pop("pending", None)  # asked three times already: the person has moved on
            return []
        pending.offered += 1
        ctx["pending"] = pending.dump()
        if pending.prompt.accepts == "quiz":
            attempt = await repo.active_attempt(s, user.id)
            if attempt is None:
                ctx.pop("pending", None)
                return []
            return [Reply(msg.QUIZ_AGAIN)] + await self.quiz.current_question(s, attempt)
        return [pending.again(msg.PROMPT_AGAIN)]

    async def _dispatch(self, s: AsyncSession, user: User, ctx: Conversation, turn: Turn,
                        text: str) -> list[Reply]:
        incoming = turn.incoming
        if incoming.start_payload:
            return await self._deep_link(s, user, ctx, incoming.start_payload)
        if incoming.voice is not None:
            return await self._voice(s, user, ctx, turn, text)
        if incoming.non_text:
            turn.aside = True
            return [Reply(msg.NON_TEXT, main_menu())]
        if not text:
            turn.aside = True
            return [Reply(msg.EMPTY_TEXT)]
        typed = incoming.button is None and not text.startswith("/")
        if typed and turn.pending is not None:
            # What the tutor is waiting for comes first: "dong y", "68", "lam lai bai nay", "thon 3".
            reading = read(turn.pending.prompt, text, turn.pending.buttons)
            if reading is not None and reading.kind == "command":
                text, typed = reading.value, False
            elif reading is not None:
                handled = await self._prompt_text(s, user, ctx, turn, turn.pending.prompt, text)
                if handled is not None:
                    return handled
        if typed and turn.relay is not None:
            return await self._relayed(s, user, ctx, turn, text)
        if typed:
            text = _pressed(text, ctx)
        cmd = parse_command(text)
        if cmd is None and typed and turn.pending is None and not re.search(r"\d", text) \
                and understand.yes_no(text) is True and len(understand.words(text)) <= 4:
            # "đồng ý", "ok" with nothing waiting for it (the prompt expired, or was never shown): someone not
            # registered is shown the consent text to agree to; anyone else is answered kindly. Never a code with
            # digits ("DA7K2M" starts like "dạ"): codes are read below.
            cmd = ("/dangky", []) if user.consent_at is None and not ctx.get("consent_declined") else ("/ok", [])
        if cmd is not None:
            turn.aside = self.commands.aside(cmd[0])
            if cmd[0] == "/nhaclai" and turn.pending is not None:
                ctx["pending"] = turn.pending.dump()  # shown again with the last messages: still waiting
            return await self._run(s, user, ctx, cmd[0], cmd[1], turn.inbox_id)
        handled = await self._code_or_quiz(s, user, ctx, text)
        if handled is not None:
            return handled
        turn.aside = True
        if not re.search(r"[^\W\d_]", text):
            # Only numbers or signs and no button to match: show what can be done instead of "I don't know".
            return [Reply(msg.HELP, main_menu())]
        return await self.reader.question(s, user, ctx, incoming.channel, text, turn=turn)

    async def _code_or_quiz(self, s: AsyncSession, user: User, ctx: Conversation, text: str) -> list[Reply] | None:
        """A volunteer's or a family's code typed by hand, or an answer to the quiz under way; None for neither."""
        code = _CODE.fullmatch(fold(text).strip())
        if code and re.search(r"\d", code.group(1)) and re.search(r"[a-z]", code.group(1)):
            # A volunteer's code typed by hand (Zalo, or a printed card): same as opening the link.
            opened = await self._open_referral(s, user, ctx, code.group(1))
            if opened is not None:
                return opened
            # Or a family's code, shared by a member of the household.
            joined = await self.community.join_by_code(s, user, code.group(1))
            if joined is not None:
                return joined
        attempt = await repo.active_attempt(s, user.id)
        return await self.quiz.typed(s, user, ctx, attempt, text) if attempt is not None else None

    async def _relayed(self, s: AsyncSession, user: User, ctx: Conversation, turn: Turn, text: str) -> list[Reply]:
        """A learner's typed words while a volunteer is writing to them through the tutor: passed on to the volunteer.
        Someone in a scam also gets the steps at once, whoever they are talking to."""
        assert turn.relay is not None
        if understand.match_button(text, (Button(msg.BTN_RELAY_BACK, "/thoinhan"),)) is not None:
            return await self.handoffs.relay_stop(s, user)  # the button of the last message, typed
        replies = await self.handoffs.relay_in(s, user, turn.relay, text, turn.inbox_id, utcnow())
        if self.answerer.situation(text).alarming:
            replies = await self.reader.question(s, user, ctx, turn.incoming.channel, text, turn=turn) + replies
        return replies

    async def _prompt_text(self, s: AsyncSession, user: User, ctx: Conversation, turn: Turn, prompt: Prompt,
                           text: str) -> list[Reply] | None:
        """Typed text for a prompt that takes text; None when the text is not an answer to it."""
        name = prompt.name
        if name == "handoff.relay":  # words to pass on, as they are: "ok", "cảm ơn bác" and questions included
            return await self.handoffs.relay_out(s, user, prompt, text, turn.inbox_id, utcnow())
        if parse_command(text) is not None:
            return None  # "học bài", "xem tiến độ": a request, never a name, a place or a code
        if name.startswith("reg."):
            return await self.registration.text(user, ctx, name.removeprefix("reg."), text)
        if name == "report.note":
            if understand.is_question(text) and len(text) < 60:
                return None  # a short question is asked, not written into the report
            return [await self.admin.note(s, user, text)]
        if name == "household":
            if understand.is_question(text):
                return None
            joined = await self.community.join_by_code(s, user, text)
            return joined if joined is not None else [Reply(msg.HOUSEHOLD_BAD_CODE, (
                Button(msg.BTN_HOUSEHOLD_JOIN, "/giadinh nhap"), Button(msg.BTN_HOUSEHOLD_NEW, "/giadinh tao")))]
        if name.startswith("class."):
            if understand.is_question(text):
                return None
            return await self.community.draft_text(s, user, ctx, text)
        if name == "team.hamlets":
            if understand.is_question(text):
                return None
            return await self.team.coverage_text(s, user, ctx, text)
        if name == "quiz":
            attempt = await repo.active_attempt(s, user.id)
            return None if attempt is None else await self.quiz.typed(s, user, ctx, attempt, text)
        return None

    # ------------------------------------------------------------ commands

    def _register(self, commands: Commands) -> None:
        """The conversation's own commands; every feature adds its own (see bot.commands)."""
        commands.add("/start", self._start)
        commands.add("/chao", lambda c: [] if not c.ctx.get("last_replies") else [Reply(msg.HELLO, main_menu())],
                     aside=True)
        commands.add("/camon", lambda c: [Reply(msg.THANKS)], aside=True)
        commands.add("/ok", lambda c: [Reply(msg.ACK, main_menu())], aside=True)
        commands.add("/trogiup", lambda c: [Reply(msg.HELP, main_menu())], aside=True)
        commands.add("/nhaclai", lambda c: [Reply.from_payload(p) for p in c.ctx.get("last_replies") or []]
                     or [Reply(msg.HELP, main_menu())])

    @staticmethod
    def _start(c: Call) -> list[Reply]:
        replies = [Reply(msg.GREETING, main_menu())] if c.ctx.get("last_replies") else []
        if c.user.consent_at is None and not c.ctx.get("consent_declined"):
            c.ctx["reg"] = "consent"
            replies.append(consent_reply())
        return replies

    async def _run(self, s: AsyncSession, user: User, ctx: Conversation, name: str, args: list[str],
                   inbox_id: int | None = None) -> list[Reply]:
        """A command by name, from whichever feature registered it; help for an unknown one."""
        replies = await self.commands.run(name, Call(s, user, ctx, args, inbox_id))
        return replies if replies is not None else [Reply(msg.HELP, main_menu())]

    async def _open_referral(self, s: AsyncSession, user: User, ctx: Conversation, code: str) -> list[Reply] | None:
        opened = await self.staff.open_link(s, user, ctx, code)
        if opened is None:
            return None
        replies, lesson_id = opened
        if lesson_id is not None:
            replies += await self.quiz.start(s, user, lesson_id)
        return replies

    async def _deep_link(self, s: AsyncSession, user: User, ctx: Conversation, payload: str) -> list[Reply]:
        if payload.startswith(REFERRAL_PREFIX):
            opened = await self._open_referral(s, user, ctx, payload.removeprefix(REFERRAL_PREFIX))
            return opened if opened is not None else [Reply(msg.HELP, main_menu())]
        if payload.startswith(INVITE_PREFIX):
            return await self.staff.join(s, user, user.channel, [payload.removeprefix(INVITE_PREFIX)])
        lesson_id = payload.removeprefix("q-").removeprefix("quiz-")
        if self.kb.lesson(lesson_id) is not None:
            return await self.quiz.start(s, user, lesson_id)
        return [Reply(msg.HELP, main_menu())]

    # ------------------------------------------------------------ voice notes

    async def _voice(self, s: AsyncSession, user: User, ctx: Conversation, turn: Turn,
                     text: str) -> list[Reply]:
        """A transcribed voice note: a quiz answer, a plain command, or a question read back before answering."""
        incoming = turn.incoming
        outcome = (incoming.voice or {}).get("outcome")
        if outcome == voice.TOO_LONG:
            return [Reply(msg.VOICE_TOO_LONG.format(limit=int(self.voice.max_seconds)),
                          (Button(msg.BTN_VOICE_TYPE, "/gochu"),))]
        if outcome == voice.SILENT or (outcome == voice.HEARD and not re.search(r"[^\W\d_]", text)):
            return [Reply(msg.VOICE_UNCLEAR, self.reader.voice_buttons())]
        if outcome == voice.BUSY:
            return [Reply(msg.VOICE_BUSY, (Button(msg.BTN_VOICE_TYPE, "/gochu"),))]
        if outcome == voice.UNAVAILABLE:
            return [Reply(msg.VOICE_UNAVAILABLE, main_menu())]
        if outcome != voice.HEARD:
            return [Reply(msg.VOICE_UNREADABLE, self.reader.voice_buttons())]
        accepts = turn.pending.prompt.accepts if turn.pending is not None else ""
        if turn.pending is not None and accepts in ("yes_no", "heard"):
            # "đúng rồi", "không phải" said to a yes/no question; at the read-back also "nói lại", "trở lại" and
            # the engine's near misses of them. Anything else at the read-back is a new question (below).
            said = values.heard_right(text) if accepts == "heard" else understand.yes_no(text)
            value = None if said is None else (turn.pending.prompt.yes if said else turn.pending.prompt.no)
            if value and not value.startswith(("/dongy", "/khongdongy")):  # consent is given in writing only
                cmd = parse_command(value)
                assert cmd is not None
                return await self._run(s, user, ctx, cmd[0], cmd[1], turn.inbox_id)
        attempt = await repo.active_attempt(s, user.id)
        if attempt is not None:
            answered = await self.quiz.spoken(s, user, attempt, text)
            if answered is not None:
                return answered
        cmd = parse_command(text)
        if cmd is not None and cmd[0] not in ("/xoadulieu", "/dongy", "/khongdongy"):
            # "học tiếp", "kiểm tra": plain words asking for a menu are safe to act on as heard.
            return await self._run(s, user, ctx, cmd[0], cmd[1], turn.inbox_id)
        # Retrieval is CPU work (the embedding engine releases the GIL): keep the event loop free.
        answer = await asyncio.to_thread(self.answerer.answer, text)
        if self.voice.answer_clear_at_once and is_clear(answer):
            ctx.pop("heard", None)
            replies = await self.reader.question(s, user, ctx, incoming.channel, text, answer=answer, spoken=True)
            head = msg.VOICE_HEARD_HEAD.format(heard=text)
            return [dataclasses.replace(replies[0], text=f"{head}\n\n{replies[0].text}"), *replies[1:]]
        ctx["heard"] = text  # already redacted; kept until the learner confirms it
        return [Reply(msg.VOICE_READBACK.format(heard=text), (Button(msg.BTN_VOICE_YES, "/nghedung"),
                                                              *self.reader.voice_buttons()), prompt=VOICE_CHECK)]
