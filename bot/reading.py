"""Reading and asking: lessons part by part, "học tiếp", questions answered from the knowledge base (with the
choices of an unclear one, 👍/👎 and a second question kept for later), and answers read aloud."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
from collections.abc import Callable
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bot import conversation, handouts, understand, voice
from bot import messages as msg
from bot.answers import Answer, Answerer, main_menu, section_reply, with_feedback
from bot.capabilities import capability
from bot.commands import Call, Commands
from bot.config import VoiceSettings
from bot.conversation import AnsweredRef, Conversation
from bot.learning import Learning
from bot.types import Button, Reply
from rag.knowledge import KnowledgeBase
from rag.text import fold
from storage import repo
from storage.models import User, utcnow

log = logging.getLogger(__name__)

MAX_INPUT = 1000  # characters of one message read; the rest is cut (and the learner told)
_WHO = re.compile(r"\b(ban|chau|em|may) la (ai|nguoi|may|robot)\b|\bnguoi that\b|\bmay tra loi\b|\bla robot\b")


class Asked(Protocol):
    """What a question needs to know of the message it came in (the dialogue's Turn)."""

    @property
    def pending(self) -> object | None:  # a prompt was waiting for an answer
        ...

    emergency: bool  # set when the scam steps were sent


class Reader:
    """Shared by every chat: holds the knowledge base, the answerer and settings, never a message's state."""

    def __init__(self, kb: KnowledgeBase, answerer: Answerer, learning: Learning, voice_settings: VoiceSettings,
                 bot_username: Callable[[], str]) -> None:
        self.kb = kb
        self.answerer = answerer
        self.learning = learning
        self.voice = voice_settings
        self.bot_username = bot_username  # asked when needed: Telegram tells it only once connected

    def register(self, commands: Commands) -> None:
        commands.add("/hoctiep", lambda c: self.learn_next(c.s, c.user, c.ctx))
        commands.add("/bai", lambda c: self.show_lesson(c.ctx, c.arg) if c.arg else [Reply(msg.HELP, main_menu())])
        commands.add("/xemtiep", lambda c: self.continue_reading(c.ctx))
        commands.add("/chon", lambda c: self.chosen(c.ctx, c.arg) if c.arg else [Reply(msg.HELP, main_menu())])
        commands.add("/hoikhac", lambda c: [Reply(msg.ASK_OTHER)], aside=True)
        commands.add("/hoitiep", self._later)
        commands.add("/nghedung", self._heard_right)
        commands.add("/noilai", lambda c: self._forget_heard(c, msg.VOICE_SAY_AGAIN))
        commands.add("/gochu", lambda c: self._forget_heard(c, msg.VOICE_TYPE))
        commands.add("/nghe", self._listen)
        commands.add("/danhgia", lambda c: self.feedback(c.s, c.ctx, c.args))
        commands.add("/guinguoithan", self._share)

    async def _later(self, c: Call) -> list[Reply]:
        later = c.ctx.pop("later_question", None)
        if not later:
            return [Reply(msg.ASK_OTHER)]
        return await self.question(c.s, c.user, c.ctx, c.user.channel, str(later))

    async def _heard_right(self, c: Call) -> list[Reply]:
        heard = c.ctx.pop("heard", None)
        if not heard:
            return [Reply(msg.VOICE_FORGOT, self.voice_buttons())]
        return await self.question(c.s, c.user, c.ctx, c.user.channel, str(heard), spoken=True)

    @staticmethod
    def _forget_heard(c: Call, text: str) -> list[Reply]:
        c.ctx.pop("heard", None)
        return [Reply(text)]

    async def _listen(self, c: Call) -> list[Reply]:
        if not self.reads_aloud(c.user.channel):
            return [Reply(msg.LISTEN_FAILED)]
        return [await self.read_aloud(c.ctx)]

    def _share(self, c: Call) -> list[Reply]:
        lesson = self.kb.lesson(c.arg or conversation.reading(c.ctx))
        if lesson is None:
            return [Reply(msg.NOTHING_TO_CONTINUE, main_menu())]
        return [Reply(msg.SHARE_INTRO), Reply(handouts.share_text(lesson, self.bot_username()))]

    async def learn_next(self, s: AsyncSession, user: User, ctx: Conversation) -> list[Reply]:
        """Resume: the rest of the lesson being read, else the next core lesson not yet passed."""
        state = ctx.get("lesson")
        current = self.kb.lesson(state["id"]) if state else None
        passed = await self.learning.passed(s, user)
        if state and current is not None and current.id not in passed:
            index, offset = int(state.get("section", 0)), int(state.get("offset", 0))
            if index < len(current.sections) - 1 or offset < len(current.sections[index].body):
                return self.continue_reading(ctx)
        nxt = await self.learning.next_lesson(s, user)
        if nxt is None:
            return [Reply(msg.CONTINUE_NONE, (Button(msg.BTN_REVIEW, "/ontap"), Button(msg.BTN_LEARN, "/hoc")))]
        return self.show_lesson(ctx, nxt.id)

    def show_lesson(self, ctx: Conversation, lesson_id: str) -> list[Reply]:
        lesson = self.kb.lesson(lesson_id)
        if lesson is None:
            return [Reply(msg.UNKNOWN_LESSON, main_menu())]
        reply, offset = section_reply(lesson, lesson.sections[0])
        ctx["lesson"] = {"id": lesson.id, "section": 0, "offset": offset}
        return [reply]

    def continue_reading(self, ctx: Conversation) -> list[Reply]:
        state = ctx.get("lesson")
        lesson = self.kb.lesson(state["id"]) if state else None
        if state is None or lesson is None:
            return [Reply(msg.NOTHING_TO_CONTINUE, main_menu())]
        index, offset = int(state.get("section", 0)), int(state.get("offset", 0))
        if index < len(lesson.sections) and offset >= len(lesson.sections[index].body):
            index, offset = index + 1, 0
        if index >= len(lesson.sections):
            buttons = (Button(msg.BTN_QUIZ, f"/kiemtra {lesson.id}"), Button(msg.BTN_OTHER_LESSON, "/hoc"))
            return [Reply(msg.END_OF_LESSON.format(title=lesson.title), buttons)]
        reply, offset = section_reply(lesson, lesson.sections[index], offset)
        ctx["lesson"] = {"id": lesson.id, "section": index, "offset": offset}
        return [reply]

    def reads_aloud(self, channel: str) -> bool:
        """"Nghe đọc" is offered: switched on, espeak-ng installed, and a channel that takes voice notes."""
        return self.voice.read_aloud and capability(channel).voice_out and voice.tts_available()

    def voice_buttons(self) -> tuple[Button, ...]:
        return (Button(msg.BTN_VOICE_AGAIN, "/noilai"), Button(msg.BTN_VOICE_TYPE, "/gochu"))

    async def read_aloud(self, ctx: Conversation) -> Reply:
        """The last answer read by the offline voice, as a voice note (only offered when it is switched on)."""
        last = [p for p in ctx.get("last_replies") or [] if p.get("sources")]
        if not last:
            return Reply(msg.LISTEN_NONE, main_menu())
        lines = [ln for ln in str(last[-1]["text"]).splitlines() if not ln.startswith(("📖", "🎤"))]
        spoken = re.sub(r"[^\w\s.,;:!?()%/-]", " ", "\n".join(lines)).strip()
        out = self.learning.data_dir / "voice" / f"doc-{utcnow():%Y%m%d%H%M%S%f}.ogg"
        try:
            data = await asyncio.to_thread(voice.speak, spoken, self.voice.tts_voice, self.voice.tts_speed)
        except Exception:  # noqa: BLE001 - no voice engine, or it failed: the text is still there
            log.exception("reading aloud failed")
            return Reply(msg.LISTEN_FAILED)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
        return Reply(msg.LISTEN_CAPTION, voice_path=str(out))

    async def question(self, s: AsyncSession, user: User, ctx: Conversation, channel: str,
                        text: str, answer: Answer | None = None, spoken: bool = False,
                        turn: Asked | None = None) -> list[Reply]:
        if _WHO.search(" ".join(re.findall(r"[0-9a-z]+", fold(text)))):
            return [Reply(msg.AUTOMATED, (*main_menu(), Button(msg.BTN_HANDOFF, "/gapnguoi")))]
        later: str | None = None
        if answer is None:
            parts = understand.split_questions(text)
            if len(parts) > 1 and not self.answerer.situation(text).alarming:
                # Two questions in one message: the first is answered, the second offered as a button.
                text, later = parts[0], " ".join(parts[1:])
            # Retrieval is CPU work (the embedding engine releases the GIL): keep the event loop free.
            answer = await asyncio.to_thread(self.answerer.answer, text)
        if turn is not None:
            turn.emergency = answer.kind == "safety"
        top = answer.lesson or (answer.hits[0].lesson if answer.hits else None)
        # Logged without the user: content editors need the questions, not who asked them. The commune
        # (of a registered learner) is kept so each unit sees what its people ask about. Erasing a learner
        # masks their name and thôn wherever they typed them here (privacy.erase).
        # A scam in progress is counted for the commune, but its story is not kept.
        # A short reply to a prompt that was not understood ("nguoi dan", "lam lai") is the tutor's own miss, not a
        # question people asked: it is not logged, so the unanswered page and the counts hold real questions.
        not_known = answer.kind == "out_of_scope" or (answer.kind == "clarify" and not answer.retrieval.in_scope)
        prompt_miss = turn is not None and turn.pending is not None and not_known and len(understand.words(text)) <= 4
        question_id = None if prompt_miss else await repo.log_question(
            s, None, channel, "" if answer.kind == "safety" else text, answer.kind,
            top.id if top and answer.kind != "out_of_scope" else None,
            top.main_topic if top and answer.kind != "out_of_scope" else None,
            user.province_code if user.consent_at else None, user.ward_code if user.consent_at else None)
        replies = answer.replies
        if answer.kind == "answer" and answer.lesson is not None and question_id is not None:
            # 👍 / 👎 on the answer; the question's id (not its text) is remembered so a press can be recorded
            # once, with the other lessons found, offered if the answer missed.
            others = [h.lesson.id for h in answer.hits if h.lesson.id != answer.lesson.id][:3]
            recent: AnsweredRef = {"q": question_id, "others": others}
            ctx["answered"] = [recent, *ctx.get("answered", [])][:5]
            replies = [with_feedback(r, question_id) if r.sources else r for r in replies]
            if spoken and self.reads_aloud(channel):
                # Asked aloud, so perhaps easier to listen to: Telegram only (Zalo OA cannot send voice notes).
                replies = [dataclasses.replace(r, buttons=(Button(msg.BTN_LISTEN, "/nghe"), *r.buttons))
                           if r.sources else r for r in replies]
        if answer.lesson is not None and answer.section is not None:
            ctx["lesson"] = {"id": answer.lesson.id, "section": answer.section.index, "offset": answer.offset}
        if later is not None:
            ctx["later_question"] = later[:MAX_INPUT]
            shown = later if len(later) <= 120 else later[:117].rsplit(" ", 1)[0] + "…"
            replies = [*replies, Reply(msg.SECOND_QUESTION.format(question=shown),
                                       (Button(msg.BTN_SECOND_QUESTION, "/hoitiep"),))]
        log.info("user=%s kind=%s lesson=%s", user.id, answer.kind, answer.lesson.id if answer.lesson else None)
        return replies

    def chosen(self, ctx: Conversation, key: str) -> list[Reply]:
        """One of the choices offered when a question was unclear: its answer, and its section read on after."""
        unit = self.answerer.unit(key)
        if unit is None:
            return [Reply(msg.ASK_OTHER, main_menu())]
        answer = self.answerer.chosen(unit, None)
        ctx["lesson"] = {"id": unit.lesson.id, "section": unit.section.index, "offset": answer.offset}
        return answer.replies

    async def feedback(self, s: AsyncSession, ctx: Conversation, args: list[str]) -> list[Reply]:
        """👍 or 👎 on one of the learner's recent answers: stored on the question, never with who pressed."""
        if len(args) != 2 or not args[0].isdigit() or args[1] not in ("tot", "chuadung"):
            return [Reply(msg.HELP, main_menu())]
        recent = {int(a["q"]): a for a in ctx.get("answered") or []}
        asked = recent.get(int(args[0]))
        if asked is None or not await repo.rate_answer(s, int(args[0]), "up" if args[1] == "tot" else "down"):
            return [Reply(msg.FEEDBACK_ALREADY)]
        if args[1] == "tot":
            return [Reply(msg.FEEDBACK_THANKS)]
        others = [x for x in (self.kb.lesson(i) for i in asked.get("others") or []) if x is not None]
        handoff = Button(msg.BTN_HANDOFF, "/gapnguoi")
        if not others:
            return [Reply(msg.FEEDBACK_SORRY_ALONE, (handoff,))]
        return [Reply(msg.FEEDBACK_SORRY, (*(Button(x.title, f"/bai {x.id}") for x in others), handoff))]
