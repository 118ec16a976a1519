"""The conversation: Incoming -> list[Reply], with every bit of state in the database session given."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import inspect as sa_inspect
from sqlalchemy.ext.asyncio import AsyncSession

from bot import handouts, privacy, understand, voice
from bot import messages as msg
from bot.answers import Answer, Answerer, is_clear, main_menu, section_reply, with_feedback
from bot.capabilities import capability
from bot.community import Community
from bot.config import CampaignSettings, NudgeSettings, ReportSettings, VoiceSettings
from bot.learning import Learning
from bot.prompts import MAX_OFFERS, Pending, read
from bot.quiz import (
    LETTERS,
    PASS_RATIO,
    feedback_text,
    in_order,
    option_orders,
    parse_choice,
    parse_spoken_choice,
    pass_mark,
    question_reply,
)
from bot.registration import Registration, consent_reply
from bot.staffdesk import INVITE_PREFIX, REFERRAL_PREFIX, Relay, StaffDesk
from bot.team import TeamDesk
from bot.types import Button, Incoming, Prompt, Reply
from rag.knowledge import KnowledgeBase
from rag.lessons import QuizQuestion
from rag.text import fold, normalize, syllables
from storage import repo, roles, stats, teams
from storage.models import QuizAttempt, User, utcnow

log = logging.getLogger(__name__)

MAX_INPUT = 1000
REVIEW_ID = "on-tap"  # lesson_id of review attempts, whose questions come from several lessons

# Plain words people type instead of commands (accent-folded, whole message).
WORD_COMMANDS = {
    "start": "/start", "bat dau": "/start", "menu": "/start",
    "xin chao": "/chao", "chao": "/chao", "chao chau": "/chao", "hello": "/chao", "hi": "/chao", "alo": "/chao",
    "chao ban": "/chao", "chao em": "/chao",
    "cam on": "/camon", "cam on chau": "/camon", "cam on nhe": "/camon", "thanks": "/camon",
    "thank you": "/camon", "cam on nhieu": "/camon", "cam on ban": "/camon", "cam on em": "/camon",
    "ok": "/ok", "oke": "/ok", "okay": "/ok", "vang": "/ok", "da": "/ok", "u": "/ok", "uh": "/ok",
    "duoc": "/ok", "duoc roi": "/ok", "biet roi": "/ok", "hieu roi": "/ok", "roi": "/ok",
    "huong dan": "/trogiup", "tro giup": "/trogiup", "giup": "/trogiup", "help": "/trogiup",
    "hoc": "/hoc", "hoc bai": "/hoc", "bai hoc": "/hoc", "cac bai hoc": "/hoc", "danh sach bai": "/hoc",
    "hoc tiep": "/hoctiep", "on tap": "/ontap", "on bai": "/ontap", "tat nhac": "/tatnhac",
    "bat nhac": "/batnhac", "chung nhan": "/chungnhan", "giay chung nhan": "/chungnhan",
    "chuong trinh": "/chuongtrinh", "thong ke": "/thongke", "chuong trinh co ban": "/chuongtrinh",
    "tien do": "/tiendo", "ket qua": "/tiendo", "xem tien do": "/tiendo", "diem": "/tiendo",
    "xem tiep": "/xemtiep", "tiep": "/xemtiep", "tiep tuc": "/xemtiep", "doc tiep": "/xemtiep",
    "kiem tra": "/kiemtra", "lam bai kiem tra": "/kiemtra", "lam kiem tra": "/kiemtra",
    "nhac lai": "/nhaclai", "noi lai": "/nhaclai", "lap lai": "/nhaclai",
    "dung lai": "/dungkiemtra", "dung kiem tra": "/dungkiemtra", "thoi": "/dungkiemtra",
    "hoi cau khac": "/hoikhac", "hoi tiep": "/hoitiep", "cau thu hai": "/hoitiep", "tra loi tiep": "/hoitiep",
    "dang ky": "/dangky", "dang ki": "/dangky", "sua thong tin": "/dangky", "tiep tuc dang ky": "/dangky",
    "du lieu": "/dulieu", "du lieu cua toi": "/dulieu", "xem du lieu": "/dulieu",
    "xoa du lieu": "/xoadulieu", "xoa du lieu cua toi": "/xoadulieu", "tai du lieu": "/taidulieu",
    "gap nguoi huong dan": "/gapnguoi", "gap nguoi": "/gapnguoi", "nguoi huong dan": "/gapnguoi",
    "can nguoi giup": "/gapnguoi", "can nguoi huong dan": "/gapnguoi", "gap tinh nguyen vien": "/gapnguoi",
    "toi muon gap nguoi huong dan": "/gapnguoi", "noi chuyen voi nguoi": "/gapnguoi", "gap can bo": "/gapnguoi",
    "can bo": "/canbo", "tinh nguyen vien": "/canbo", "nhat ky": "/nhatky", "nhat ky ho tro": "/nhatky",
    "hang doi": "/hangdoi", "nguoi can giup": "/hangdoi",
    "lop hoc": "/lophoc", "lop hoc o xa": "/lophoc", "co lop hoc khong": "/lophoc", "gia dinh": "/giadinh",
    "gia dinh so": "/giadinh", "ma gia dinh": "/giadinh", "mo lop": "/molop", "mo lop hoc": "/molop",
    "diem danh": "/diemdanh", "ngay hoi": "/ngayhoi", "gui cho nguoi than": "/guinguoithan",
    "ghi chu bao cao": "/ghichu", "kho khan vuong mac": "/ghichu", "kho khan vuong mac de xuat": "/ghichu",
    "xac nhan": "/xacnhan", "xac nhan tren nen tang": "/xacnhan", "binh dan hoc vu so": "/xacnhan",
    "da xac nhan": "/xacnhan roi", "da duoc xac nhan": "/xacnhan roi", "toi da duoc xac nhan": "/xacnhan roi",
    "toi da xac nhan": "/xacnhan roi", "da xac nhan roi": "/xacnhan roi", "xac nhan roi": "/xacnhan roi",
    "to cong nghe": "/tocongnghe", "to cong nghe so": "/tocongnghe", "to cong nghe so cong dong": "/tocongnghe",
    "don doc": "/dondoc", "don doc nguoi hoc": "/dondoc", "thon phu trach": "/phutrach",
    "phu trach thon": "/phutrach",
    # The quiz result's buttons in words: retake the last quiz, or pick another lesson.
    "lam lai": "/lamlai", "thi lai": "/lamlai", "kiem tra lai": "/lamlai", "lam lai bai": "/lamlai",
    "lam lai lan nua": "/lamlai", "thi lai lan nua": "/lamlai", "lam bai lai": "/lamlai",
    "bai khac": "/hoc", "hoc bai khac": "/hoc", "sang bai khac": "/hoc", "qua bai khac": "/hoc", "doi bai": "/hoc",
    "doi bai khac": "/hoc", "vao hoc": "/hoc", "hoc thoi": "/hoc",
    "hoc den dau": "/tiendo", "hoc den dau roi": "/tiendo", "diem cua toi": "/tiendo", "xem diem": "/tiendo",
    "hoc duoc bao nhieu": "/tiendo", "hoc duoc may bai": "/tiendo", "cach dung": "/trogiup",
    "huong dan su dung": "/trogiup", "chi cach dung": "/trogiup", "huong dan dung": "/trogiup",
    "tien do hoc": "/tiendo", "hoc duoc may bai roi": "/tiendo", "chi xai": "/trogiup", "cach xai": "/trogiup",
}
_CODE = re.compile(r"(?:ma\s*:?\s*)?([a-z0-9]{6})")
_WHO = re.compile(r"\b(ban|chau|em|may) la (ai|nguoi|may|robot)\b|\bnguoi that\b|\bmay tra loi\b|\bla robot\b")


def _command(text: str) -> tuple[str, list[str]] | None:
    if text.startswith("/"):
        parts = text.split()
        return parts[0].lower().split("@")[0], parts[1:]
    key = " ".join(re.findall(r"[0-9a-z]+", fold(text)))
    if key in WORD_COMMANDS:
        return WORD_COMMANDS[key], []
    # The same words inside a polite frame: "Dạ cho bà học tiếp ạ", "tôi muốn học", "học bài thôi".
    inner = understand.words(understand.core(text), reply=True)
    if len(inner) > 20:
        return None
    for candidate in (inner, [w for w in inner if w not in _FRAME_WORDS]):
        if " ".join(candidate) in WORD_COMMANDS:
            return WORD_COMMANDS[" ".join(candidate)], []
    wanted = understand.intent(text)
    if wanted is not None:
        learn = "/hoctiep" if "tiep" in inner else "/hoc"
        return {"retry": "/lamlai", "other_lesson": "/hoc", "progress": "/tiendo", "help": "/trogiup",
                "learn": learn}[wanted], []
    return None


# Words around a request that change nothing: "cho tôi xem tiến độ", "coi tiến độ", "hướng dẫn cho tôi".
_FRAME_WORDS = frozenset("toi cho ba ong bac minh em con chau xem coi check muon voi giup di".split())


VOICE_CHECK = Prompt("voice", "heard", msg.VOICE_AGAIN, yes="/nghedung", no="/noilai")
# Commands that answer on the side (a greeting, thanks, help): the prompt waiting before them is offered again.
# ("/nhaclai" shows the prompt again itself, so it keeps the prompt waiting without offering it twice.)
ASIDE_COMMANDS = frozenset({"/chao", "/camon", "/ok", "/trogiup", "/dulieu", "/tiendo", "/hoikhac"})


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
        self.reports = reports or ReportSettings()
        self.kb = kb
        self.voice = voice or VoiceSettings()
        self.answerer = answerer
        self.exports_dir = data_dir / "exports"
        self.registration = Registration()
        # The programme's pass rule (knowledge/programme.yaml) also decides when one quiz is passed.
        self.pass_ratio = kb.programme.min_score if kb.programme else PASS_RATIO
        self.learning = Learning(kb, data_dir, self.pass_ratio)
        self.staff = StaffDesk(kb, data_dir, bot_username, web_url, self.pass_ratio)
        self.community = Community((campaign or CampaignSettings()).national)
        self.team = TeamDesk(kb, self.learning, self.pass_ratio, (nudges or NudgeSettings()).idle_days)

    async def handle(self, s: AsyncSession, incoming: Incoming, inbox_id: int | None = None) -> list[Reply]:
        """Replies to one message; state changes go through the session (committed by the caller)."""
        user = await repo.get_or_create_user(s, incoming.channel, incoming.user_id)
        ctx: dict[str, Any] = dict(user.context or {})
        now = utcnow()
        if not ctx.get("greeted") or repo.local_day(user.last_seen_at) != repo.local_day(now):
            await repo.mark_active_day(s, user.id, now)  # the first message of a day: dated activity
        user.last_seen_at = now
        user.active = True
        turn = Turn(incoming, inbox_id, Pending.load(ctx), relay=await self.staff.relay_of(s, user, now))
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
        elif not ctx.get("reg") and turn.pending is None and await repo.active_attempt(s, user.id) is None:
            due = await self.learning.review_due(s, user, ctx)
            if due is not None:
                replies.append(due)
        replies += await self._keep_prompt(s, user, ctx, turn, replies)
        if replies:
            last = [r.to_payload() for r in replies if r.text != msg.GREETING] or [replies[-1].to_payload()]
            ctx["last_replies"] = last
            ctx["buttons"] = last[-1]["buttons"]
        user.context = ctx
        return replies

    async def _keep_prompt(self, s: AsyncSession, user: User, ctx: dict[str, Any], turn: Turn,
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
            return [Reply(msg.QUIZ_AGAIN)] + await self._current_question(s, attempt)
        return [pending.again(msg.PROMPT_AGAIN)]

    async def _dispatch(self, s: AsyncSession, user: User, ctx: dict[str, Any], turn: Turn,
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
            # A bare number or a button's own words press a button of the last message.
            shown = tuple(Button(str(lbl), str(val)) for lbl, val in ctx.get("buttons") or [])
            if re.fullmatch(r"\d{1,2}", text) and 1 <= int(text) <= len(shown):
                text = shown[int(text) - 1].value
            elif (pressed := understand.match_button(text, shown)) is not None:
                text = pressed.value
        cmd = _command(text)
        if cmd is None and typed and turn.pending is None and not re.search(r"\d", text) \
                and understand.yes_no(text) is True and len(understand.words(text)) <= 4:
            # "đồng ý", "ok" with nothing waiting for it (the prompt expired, or was never shown): someone not
            # registered is shown the consent text to agree to; anyone else is answered kindly. Never a code with
            # digits ("DA7K2M" starts like "dạ"): codes are read below.
            cmd = ("/dangky", []) if user.consent_at is None and not ctx.get("consent_declined") else ("/ok", [])
        if cmd is not None:
            turn.aside = cmd[0] in ASIDE_COMMANDS
            if cmd[0] == "/nhaclai" and turn.pending is not None:
                ctx["pending"] = turn.pending.dump()  # shown again with the last messages: still waiting
            return await self._run_command(s, user, ctx, cmd[0], cmd[1], turn.inbox_id)
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
        if attempt is not None:
            handled = await self._quiz_text(s, user, ctx, attempt, text)
            if handled is not None:
                return handled
        turn.aside = True
        if not re.search(r"[^\W\d_]", text):
            # Only numbers or signs and no button to match: show what can be done instead of "I don't know".
            return [Reply(msg.HELP, main_menu())]
        return await self._question(s, user, ctx, incoming.channel, text, turn=turn)

    async def _relayed(self, s: AsyncSession, user: User, ctx: dict[str, Any], turn: Turn, text: str) -> list[Reply]:
        """A learner's typed words while a volunteer is writing to them through the tutor: passed on to the volunteer.
        Someone in a scam also gets the steps at once, whoever they are talking to."""
        assert turn.relay is not None
        if understand.match_button(text, (Button(msg.BTN_RELAY_BACK, "/thoinhan"),)) is not None:
            return await self.staff.relay_stop(s, user)  # the button of the last message, typed
        replies = await self.staff.relay_in(s, user, turn.relay, text, turn.inbox_id, utcnow())
        if self.answerer.situation(text).alarming:
            replies = await self._question(s, user, ctx, turn.incoming.channel, text, turn=turn) + replies
        return replies

    async def _prompt_text(self, s: AsyncSession, user: User, ctx: dict[str, Any], turn: Turn, prompt: Prompt,
                           text: str) -> list[Reply] | None:
        """Typed text for a prompt that takes text; None when the text is not an answer to it."""
        name = prompt.name
        if name == "handoff.relay":  # words to pass on, as they are: "ok", "cảm ơn bác" and questions included
            return await self.staff.relay_out(s, user, prompt, text, turn.inbox_id, utcnow())
        if _command(text) is not None:
            return None  # "học bài", "xem tiến độ": a request, never a name, a place or a code
        if name.startswith("reg."):
            return await self.registration.text(user, ctx, name.removeprefix("reg."), text)
        if name == "report.note":
            if understand.is_question(text) and len(text) < 60:
                return None  # a short question is asked, not written into the report
            return [await self._report_note(s, user, text)]
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
            return None if attempt is None else await self._quiz_text(s, user, ctx, attempt, text)
        return None

    # ------------------------------------------------------------ commands

    async def _run_command(self, s: AsyncSession, user: User, ctx: dict[str, Any], name: str,
                           args: list[str], inbox_id: int | None = None) -> list[Reply]:
        if name == "/start":
            replies = [Reply(msg.GREETING, main_menu())] if ctx.get("last_replies") else []
            if user.consent_at is None and not ctx.get("consent_declined"):
                ctx["reg"] = "consent"
                replies.append(consent_reply())
            return replies
        if name == "/dangky":
            return await self.registration.start(user, ctx, edit=not ctx.get("reg"))
        if name in ("/dongy", "/khongdongy"):
            if name == "/khongdongy":
                ctx["consent_declined"] = True
            return await self.registration.consent(s, user, ctx, name == "/dongy")
        if name == "/dk":
            return await self.registration.button(user, ctx, args)
        if name == "/dulieu":
            return await privacy.show(s, user)
        if name == "/taidulieu":
            return [await privacy.export(s, user, self.exports_dir)]
        if name == "/xoadulieu":
            if args == ["xacnhan"]:
                return [await privacy.erase(s, user, inbox_id, self.learning.data_dir)]
            return [privacy.confirm_delete()]
        if name == "/giudulieu":
            return [Reply(msg.KEPT, main_menu())]
        if name == "/chao":
            return [] if not ctx.get("last_replies") else [Reply(msg.HELLO, main_menu())]
        if name == "/camon":
            return [Reply(msg.THANKS)]
        if name == "/ok":
            return [Reply(msg.ACK, main_menu())]
        if name == "/trogiup":
            return [Reply(msg.HELP, main_menu())]
        if name == "/hoc":
            return [self._learn_menu(args[0] if args else None)]
        if name == "/chuongtrinh":
            return [await self.learning.programme_menu(s, user)]
        if name == "/nhanh":
            return [self.learning.tracks_menu(args[0] if args else None)]
        if name == "/hoctiep":
            return await self._learn_next(s, user, ctx)
        if name == "/ontap":
            return await self._start_review(s, user, ctx, args[0] if args else None)
        if name == "/desau":
            return [Reply(msg.REVIEW_LATER)]
        if name in ("/tatnhac", "/batnhac"):
            ctx["no_reminders"] = name == "/tatnhac"
            return [Reply(msg.REMINDERS_OFF if name == "/tatnhac" else msg.REMINDERS_ON)]
        if name == "/giadinh":
            return await self.community.household(s, user, ctx, args)
        if name == "/lophoc":
            return await self.community.classes(s, user, args)
        if name == "/molop":
            return await self.community.announce(s, user, ctx, args)
        if name == "/molopxong":
            return await self.community.finish(s, user, ctx, None)
        if name == "/molophuy":
            ctx.pop("class_draft", None)
            return [Reply(msg.CLASS_CANCELLED)]
        if name == "/diemdanh":
            return await self.community.attendance(s, user, args)
        if name == "/ngayhoi":
            return await self.community.campaign(s, user, args)
        if name == "/thoinhan":
            return await self.staff.relay_stop(s, user)
        if name == "/tocongnghe":
            return await self.team.team(s, user, args)
        if name == "/phutrach":
            return await self.team.coverage(s, user, ctx, args)
        if name == "/dondoc":
            return await self.team.nudges(s, user, args)
        if name in self._STAFF_COMMANDS:
            return await self._staff_command(s, user, ctx, name, args)
        if name == "/thongke":
            return [await self._stats(s, user, args[0] if args else None)]
        if name == "/ghichu":
            return [await self._report_note(s, user, " ".join(args))]
        if name == "/xacnhan":
            return await self.learning.platform(s, user, args)
        if name == "/chungnhan":
            completion = await self.learning.completion(s, user)
            if completion is None:
                return [Reply(msg.CERT_NONE, (Button(msg.BTN_CONTINUE, "/hoctiep"),))]
            return [self.learning.certificate_reply(completion, congratulate=False)]
        if name == "/bai" and args:
            return self._show_lesson(ctx, args[0])
        if name == "/xemtiep":
            return self._continue(ctx)
        if name == "/chon" and args:
            return self._chosen(ctx, args[0])
        if name == "/hoikhac":
            return [Reply(msg.ASK_OTHER)]
        if name == "/hoitiep":
            later = ctx.pop("later_question", None)
            if not later:
                return [Reply(msg.ASK_OTHER)]
            return await self._question(s, user, ctx, user.channel, str(later))
        if name == "/nghedung":
            heard = ctx.pop("heard", None)
            if not heard:
                return [Reply(msg.VOICE_FORGOT, self._voice_buttons())]
            return await self._question(s, user, ctx, user.channel, str(heard), spoken=True)
        if name == "/noilai":
            ctx.pop("heard", None)
            return [Reply(msg.VOICE_SAY_AGAIN)]
        if name == "/gochu":
            ctx.pop("heard", None)
            return [Reply(msg.VOICE_TYPE)]
        if name == "/nghe":
            if not self._reads_aloud(user.channel):
                return [Reply(msg.LISTEN_FAILED)]
            return [await self._read_aloud(ctx)]
        if name == "/danhgia":
            return await self._feedback(s, ctx, args)
        if name == "/guinguoithan":
            lesson = self.kb.lesson(args[0] if args else (ctx.get("lesson") or {}).get("id", ""))
            if lesson is None:
                return [Reply(msg.NOTHING_TO_CONTINUE, main_menu())]
            return [Reply(msg.SHARE_INTRO), Reply(handouts.share_text(lesson, self.staff.bot_username))]
        if name == "/kiemtra":
            lesson_id = args[0] if args else (ctx.get("lesson") or {}).get("id")
            if not lesson_id:
                return [self._learn_menu(None)]
            return await self._start_quiz(s, user, lesson_id)
        if name == "/traloi" and len(args) == 3 and all(a.isdigit() for a in args):
            return await self._button_answer(s, user, ctx, int(args[0]), int(args[1]), int(args[2]))
        if name == "/tieptuc":
            attempt = await repo.active_attempt(s, user.id)
            return await self._current_question(s, attempt) if attempt else [Reply(msg.ASK_OTHER)]
        if name == "/dungkiemtra":
            attempt = await repo.active_attempt(s, user.id)
            if attempt is None:
                return [Reply(msg.ASK_OTHER, main_menu())]
            attempt.status = "abandoned"
            attempt.finished_at = utcnow()
            return [Reply(msg.QUIZ_STOPPED, main_menu())]
        if name == "/tiendo":
            return await self._progress(s, user)
        if name == "/lamlai":
            return await self._retake(s, user, ctx)
        if name == "/nhaclai":
            last = ctx.get("last_replies") or []
            return [Reply.from_payload(p) for p in last] or [Reply(msg.HELP, main_menu())]
        return [Reply(msg.HELP, main_menu())]

    _STAFF_COMMANDS = frozenset({"/canbo", "/moi", "/thamgia", "/ten", "/quantri", "/gioithieu", "/chiase",
                                 "/nguoicuatoi", "/nhatky", "/thon", "/gapnguoi", "/hangdoi", "/nhan", "/xong",
                                 "/daxacnhan", "/nhantin"})

    async def _staff_command(self, s: AsyncSession, user: User, ctx: dict[str, Any], name: str,
                             args: list[str]) -> list[Reply]:
        desk = self.staff
        if name == "/canbo":
            return await desk.menu(s, user)
        if name == "/moi":
            return await desk.invite(s, user, args)
        if name == "/thamgia":
            return await desk.join(s, user, user.channel, args)
        if name == "/ten":
            return await desk.set_name(s, user, args)
        if name == "/quantri":
            return await desk.web_link(s, user)
        if name == "/gioithieu":
            return await desk.links(s, user, args)
        if name == "/chiase":
            return await desk.referral_answer(s, user, ctx, args)
        if name == "/nguoicuatoi":
            return await desk.mine(s, user)
        if name == "/daxacnhan":
            return await desk.platform_seen(s, user, args)
        if name == "/nhatky":
            return await desk.support_log(s, user, ctx, args)
        if name == "/thon":
            return await desk.set_hamlet(s, user, ctx, args)
        if name == "/gapnguoi":
            return await desk.ask_person(s, user, ctx, args)
        if name == "/hangdoi":
            return await desk.queue(s, user)
        if name == "/nhan":
            return await desk.claim(s, user, args)
        if name == "/nhantin":
            return await desk.relay_start(s, user, args, utcnow())
        return await desk.close(s, user, args, utcnow())

    async def _open_referral(self, s: AsyncSession, user: User, ctx: dict[str, Any], code: str) -> list[Reply] | None:
        opened = await self.staff.open_link(s, user, ctx, code)
        if opened is None:
            return None
        replies, lesson_id = opened
        if lesson_id is not None:
            replies += await self._start_quiz(s, user, lesson_id)
        return replies

    async def _deep_link(self, s: AsyncSession, user: User, ctx: dict[str, Any], payload: str) -> list[Reply]:
        if payload.startswith(REFERRAL_PREFIX):
            opened = await self._open_referral(s, user, ctx, payload.removeprefix(REFERRAL_PREFIX))
            return opened if opened is not None else [Reply(msg.HELP, main_menu())]
        if payload.startswith(INVITE_PREFIX):
            return await self.staff.join(s, user, user.channel, [payload.removeprefix(INVITE_PREFIX)])
        lesson_id = payload.removeprefix("q-").removeprefix("quiz-")
        if self.kb.lesson(lesson_id) is not None:
            return await self._start_quiz(s, user, lesson_id)
        return [Reply(msg.HELP, main_menu())]

    async def _stats(self, s: AsyncSession, user: User, unit: str | None) -> Reply:
        """Statistics for an admin's unit (or a unit below it); everyone else is told kindly it is not for them."""
        from bot.admin.charts import timeline_png
        from bot.admin.exports import percent
        from bot.report_text import children_lines, indicator_lines, rate_text

        staff = await roles.staff_of(s, user.id)
        if staff is None or staff.role not in roles.STATS_ROLES:
            return Reply(msg.STATS_FORBIDDEN, main_menu())
        try:
            scope = stats.Scope.parse(unit) if unit else roles.home_scope(staff)
        except ValueError:
            return Reply(msg.STATS_BAD_UNIT.format(unit=(unit or "")[:20]))
        now = utcnow()
        try:  # the statistics module checks the unit itself
            overall = await stats.report_for(s, staff, scope, None, now, self.pass_ratio, declined_limit=0)
            recent = await stats.report_for(s, staff, scope, now - timedelta(days=30), now, self.pass_ratio,
                                            declined_limit=0)
        except stats.ScopeError:
            return Reply(msg.STATS_FORBIDDEN)
        t, r = overall.total, recent.total
        lines = [msg.STATS_TEXT.format(unit=scope.name, registered=t.registered, vneid=t.vneid_level2,
                                       active=r.active, quizzes=r.quizzes, avg=percent(r.avg_score),
                                       passed=t.lessons_passed, completions=t.completions, rate=rate_text(t),
                                       sessions=t.support_sessions, people=t.people_helped,
                                       confirmed=t.platform_confirmed)]
        team = await teams.report(s, scope, now - timedelta(days=30), now)
        lines.append(self.team.stats_line(team))
        lines += ["", *indicator_lines(t, stats.plan_year(now))]
        below = children_lines([c for c in overall.children if c.key != stats.WHOLE_COMMUNE])
        if below:
            lines += ["", *below]
        # The same numbers as a picture: completions week by week, to forward in a report group.
        chart = self.learning.data_dir / "images" / f"thong-ke-{scope.code}-{now:%Y%m%d%H%M%S%f}.png"
        chart.parent.mkdir(parents=True, exist_ok=True)
        chart.write_bytes(await asyncio.to_thread(timeline_png, overall))
        return Reply("\n".join(lines), (Button(msg.BTN_STAFF_TEAM, f"/tocongnghe {scope.code}"),),
                     image_path=str(chart))

    async def _report_note(self, s: AsyncSession, user: User, text: str) -> Reply:
        """A commune or province officer's "khó khăn, vướng mắc, đề xuất" for the report being prepared."""
        from bot.report_text import note_period

        staff = await roles.staff_of(s, user.id)
        if staff is None or not staff.active or staff.role not in ("commune_admin", "province_admin"):
            return Reply(msg.STATS_FORBIDDEN, main_menu())
        unit = roles.home_scope(staff).code
        period = note_period(utcnow(), self.reports.period_cutoff_day, self.reports.report_days)
        label = msg.REPORT_NOTE_PERIOD.format(quarter=period.number, year=period.year)
        if not text.strip():
            current = await stats.report_note(s, unit, period.label)
            return Reply(msg.REPORT_NOTE_ASK.format(period=label, current=current or msg.REPORT_NOTE_EMPTY),
                         prompt=Prompt("report.note", "note", msg.REPORT_NOTE_AGAIN))
        await stats.save_report_note(s, unit, period.label, text.strip()[:2000], staff.id)
        return Reply(msg.REPORT_NOTE_SAVED.format(period=label))

    async def _learn_next(self, s: AsyncSession, user: User, ctx: dict[str, Any]) -> list[Reply]:
        """Resume: the rest of the lesson being read, else the next core lesson not yet passed."""
        state = ctx.get("lesson") or {}
        current = self.kb.lesson(state.get("id", ""))
        passed = await self.learning.passed(s, user)
        if current is not None and current.id not in passed:
            index, offset = int(state.get("section", 0)), int(state.get("offset", 0))
            if index < len(current.sections) - 1 or offset < len(current.sections[index].body):
                return self._continue(ctx)
        nxt = await self.learning.next_lesson(s, user)
        if nxt is None:
            return [Reply(msg.CONTINUE_NONE, (Button(msg.BTN_REVIEW, "/ontap"), Button(msg.BTN_LEARN, "/hoc")))]
        return self._show_lesson(ctx, nxt.id)

    def _learn_menu(self, area: str | None) -> Reply:
        areas = self.kb.topics.areas
        if area and area in areas:
            lessons = [x for x in self.kb.lessons if self.kb.topics.area_of(x.main_topic) == area]
            buttons = tuple(Button(x.title, f"/bai {x.id}") for x in lessons)
            return Reply(msg.AREA_LESSONS.format(area=areas[area]["title"]), buttons + (Button(msg.BTN_BACK, "/hoc"),))
        present = {self.kb.topics.area_of(x.main_topic) for x in self.kb.lessons}
        buttons = tuple(Button(str(info["title"]), f"/hoc {key}") for key, info in areas.items() if key in present)
        path = (Button(msg.BTN_CONTINUE, "/hoctiep"), Button(msg.BTN_PROGRAMME, "/chuongtrinh"))
        if self.kb.programme and self.kb.programme.tracks:
            buttons += (Button(msg.BTN_TRACKS, "/nhanh"),)
        return Reply(msg.LEARN_MENU, path + buttons)

    def _show_lesson(self, ctx: dict[str, Any], lesson_id: str) -> list[Reply]:
        lesson = self.kb.lesson(lesson_id)
        if lesson is None:
            return [Reply(msg.UNKNOWN_LESSON, main_menu())]
        reply, offset = section_reply(lesson, lesson.sections[0])
        ctx["lesson"] = {"id": lesson.id, "section": 0, "offset": offset}
        return [reply]

    def _continue(self, ctx: dict[str, Any]) -> list[Reply]:
        state = ctx.get("lesson") or {}
        lesson = self.kb.lesson(state.get("id", ""))
        if lesson is None:
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

    # ------------------------------------------------------------ voice notes

    def _reads_aloud(self, channel: str) -> bool:
        """"Nghe đọc" is offered: switched on, espeak-ng installed, and a channel that takes voice notes."""
        return self.voice.read_aloud and capability(channel).voice_out and voice.tts_available()

    def _voice_buttons(self) -> tuple[Button, ...]:
        return (Button(msg.BTN_VOICE_AGAIN, "/noilai"), Button(msg.BTN_VOICE_TYPE, "/gochu"))

    async def _voice(self, s: AsyncSession, user: User, ctx: dict[str, Any], turn: Turn,
                     text: str) -> list[Reply]:
        """A transcribed voice note: a quiz answer, a plain command, or a question read back before answering."""
        incoming = turn.incoming
        outcome = (incoming.voice or {}).get("outcome")
        if outcome == voice.TOO_LONG:
            return [Reply(msg.VOICE_TOO_LONG.format(limit=int(self.voice.max_seconds)),
                          (Button(msg.BTN_VOICE_TYPE, "/gochu"),))]
        if outcome == voice.SILENT or (outcome == voice.HEARD and not re.search(r"[^\W\d_]", text)):
            return [Reply(msg.VOICE_UNCLEAR, self._voice_buttons())]
        if outcome == voice.BUSY:
            return [Reply(msg.VOICE_BUSY, (Button(msg.BTN_VOICE_TYPE, "/gochu"),))]
        if outcome == voice.UNAVAILABLE:
            return [Reply(msg.VOICE_UNAVAILABLE, main_menu())]
        if outcome != voice.HEARD:
            return [Reply(msg.VOICE_UNREADABLE, self._voice_buttons())]
        accepts = turn.pending.prompt.accepts if turn.pending is not None else ""
        if turn.pending is not None and accepts in ("yes_no", "heard"):
            # "đúng rồi", "không phải" said to a yes/no question; at the read-back also "nói lại", "trở lại" and
            # the engine's near misses of them. Anything else at the read-back is a new question (below).
            said = understand.heard_right(text) if accepts == "heard" else understand.yes_no(text)
            value = None if said is None else (turn.pending.prompt.yes if said else turn.pending.prompt.no)
            if value and not value.startswith(("/dongy", "/khongdongy")):  # consent is given in writing only
                cmd = _command(value)
                assert cmd is not None
                return await self._run_command(s, user, ctx, cmd[0], cmd[1], turn.inbox_id)
        attempt = await repo.active_attempt(s, user.id)
        if attempt is not None:
            answered = await self._spoken_answer(s, user, attempt, text)
            if answered is not None:
                return answered
        cmd = _command(text)
        if cmd is not None and cmd[0] not in ("/xoadulieu", "/dongy", "/khongdongy"):
            # "học tiếp", "kiểm tra": plain words asking for a menu are safe to act on as heard.
            return await self._run_command(s, user, ctx, cmd[0], cmd[1], turn.inbox_id)
        # Retrieval is CPU work (the embedding engine releases the GIL): keep the event loop free.
        answer = await asyncio.to_thread(self.answerer.answer, text)
        if self.voice.answer_clear_at_once and is_clear(answer):
            ctx.pop("heard", None)
            replies = await self._question(s, user, ctx, incoming.channel, text, answer=answer, spoken=True)
            head = msg.VOICE_HEARD_HEAD.format(heard=text)
            return [dataclasses.replace(replies[0], text=f"{head}\n\n{replies[0].text}"), *replies[1:]]
        ctx["heard"] = text  # already redacted; kept until the learner confirms it
        return [Reply(msg.VOICE_READBACK.format(heard=text), (Button(msg.BTN_VOICE_YES, "/nghedung"),
                                                              *self._voice_buttons()), prompt=VOICE_CHECK)]

    async def _spoken_answer(self, s: AsyncSession, user: User, attempt: QuizAttempt,
                             text: str) -> list[Reply] | None:
        """An option said aloud in a quiz, graded with what was heard shown; asked again when unsure.

        None when the note sounds like a question rather than an answer (it is answered as one)."""
        questions = self._questions(attempt)
        if questions is None:
            return None
        index = await repo.answered_count(s, attempt.id)
        chosen = parse_spoken_choice(text, questions[index].options)
        if chosen is None:
            if len(syllables(text)) >= 7 and _command(text) is None:
                return None
            return [Reply(msg.VOICE_QUIZ_UNSURE.format(heard=text))] + await self._current_question(s, attempt)
        graded = await self._grade(s, user, attempt, index, chosen)
        head = msg.VOICE_CHOSE.format(letter=LETTERS[chosen])
        return [dataclasses.replace(graded[0], text=f"{head}\n{graded[0].text}"), *graded[1:]]

    async def _read_aloud(self, ctx: dict[str, Any]) -> Reply:
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

    # ------------------------------------------------------------ questions

    async def _question(self, s: AsyncSession, user: User, ctx: dict[str, Any], channel: str,
                        text: str, answer: Answer | None = None, spoken: bool = False,
                        turn: Turn | None = None) -> list[Reply]:
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
            ctx["answered"] = ([{"q": question_id, "others": others}] + list(ctx.get("answered") or []))[:5]
            replies = [with_feedback(r, question_id) if r.sources else r for r in replies]
            if spoken and self._reads_aloud(channel):
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

    def _chosen(self, ctx: dict[str, Any], key: str) -> list[Reply]:
        """One of the choices offered when a question was unclear: its answer, and its section read on after."""
        unit = self.answerer.unit(key)
        if unit is None:
            return [Reply(msg.ASK_OTHER, main_menu())]
        answer = self.answerer.chosen(unit, None)
        ctx["lesson"] = {"id": unit.lesson.id, "section": unit.section.index, "offset": answer.offset}
        return answer.replies

    async def _feedback(self, s: AsyncSession, ctx: dict[str, Any], args: list[str]) -> list[Reply]:
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

    # ------------------------------------------------------------ quizzes

    async def _start_quiz(self, s: AsyncSession, user: User, lesson_id: str) -> list[Reply]:
        lesson = self.kb.lesson(lesson_id)
        if lesson is None:
            return [Reply(msg.UNKNOWN_LESSON, main_menu())]
        if not lesson.quiz:
            return [Reply(msg.QUIZ_NONE, main_menu())]
        attempt = await repo.start_attempt(s, user.id, lesson.id, len(lesson.quiz),
                                           orders=option_orders(list(lesson.quiz)))
        intro = Reply(msg.QUIZ_START.format(title=lesson.title, n=len(lesson.quiz)))
        questions = self._questions(attempt)
        assert questions is not None
        return [intro, question_reply(questions[0], 0, len(questions), attempt.id)]

    async def _start_review(self, s: AsyncSession, user: User, ctx: dict[str, Any],
                            lesson_id: str | None) -> list[Reply]:
        items = await self.learning.review_items(s, user, lesson_id)
        if not items:
            return [Reply(msg.REVIEW_NONE, main_menu())]
        picked = [q for lid, i in items if (x := self.kb.lesson(str(lid))) for q in x.quiz[int(i):int(i) + 1]]
        attempt = await repo.start_attempt(s, user.id, REVIEW_ID, len(items), kind="review", items=items,
                                           orders=option_orders(picked))
        if lesson_id:
            ctx["reviewed"] = {**(ctx.get("reviewed") or {}), lesson_id: utcnow().date().isoformat()}
        questions = self._questions(attempt)
        assert questions is not None
        return [Reply(msg.REVIEW_START.format(n=len(items))), question_reply(questions[0], 0, len(items), attempt.id)]

    def _questions(self, attempt: QuizAttempt) -> list[QuizQuestion] | None:
        """The attempt's questions as shown (options in the attempt's stored order), or None if the lessons
        changed under a running quiz."""
        questions = self._lesson_questions(attempt)
        if questions is None:
            return None
        orders = attempt.orders or []
        return [in_order(q, orders[i] if i < len(orders) else None) for i, q in enumerate(questions)]

    def _lesson_questions(self, attempt: QuizAttempt) -> list[QuizQuestion] | None:
        """The attempt's questions in the lessons' own option order."""
        if attempt.kind == "review":
            out = []
            for lesson_id, index in attempt.items or []:
                lesson = self.kb.lesson(str(lesson_id))
                if lesson is None or int(index) >= len(lesson.quiz):
                    return None
                out.append(lesson.quiz[int(index)])
            return out if len(out) == attempt.n_questions else None
        lesson = self.kb.lesson(attempt.lesson_id)
        if lesson is None or len(lesson.quiz) != attempt.n_questions:
            return None
        return list(lesson.quiz)

    async def _current_question(self, s: AsyncSession, attempt: QuizAttempt) -> list[Reply]:
        questions = self._questions(attempt)
        if questions is None:
            attempt.status = "abandoned"
            return [Reply(msg.UNKNOWN_LESSON, main_menu())]
        index = await repo.answered_count(s, attempt.id)
        return [question_reply(questions[index], index, len(questions), attempt.id)]

    async def _button_answer(self, s: AsyncSession, user: User, ctx: dict[str, Any], attempt_id: int,
                             index: int, chosen: int) -> list[Reply]:
        attempt = await repo.active_attempt(s, user.id)
        if attempt is None or attempt.id != attempt_id:
            return [Reply(msg.QUIZ_STALE.split(".")[0] + ".", main_menu())]
        answered = await repo.answered_count(s, attempt.id)
        if index != answered:
            return [Reply(msg.QUIZ_STALE)] + await self._current_question(s, attempt)
        return await self._grade(s, user, attempt, answered, chosen)

    async def _quiz_text(self, s: AsyncSession, user: User, ctx: dict[str, Any], attempt: QuizAttempt,
                         text: str) -> list[Reply] | None:
        questions = self._questions(attempt)
        if questions is None:
            attempt.status = "abandoned"
            return None
        index = await repo.answered_count(s, attempt.id)
        chosen = parse_choice(text, questions[index].options)
        if chosen is not None:
            return await self._grade(s, user, attempt, index, chosen)
        if len(syllables(text)) >= 4:  # looks like a question: answer it, then offer to go back
            return None
        return [Reply(msg.QUIZ_UNCLEAR)] + await self._current_question(s, attempt)

    async def _grade(self, s: AsyncSession, user: User, attempt: QuizAttempt, index: int,
                     chosen: int) -> list[Reply]:
        questions = self._questions(attempt)
        if questions is None:
            attempt.status = "abandoned"
            return [Reply(msg.UNKNOWN_LESSON, main_menu())]
        q = questions[index]
        if not 0 <= chosen < len(q.options):
            return [Reply(msg.QUIZ_UNCLEAR)] + await self._current_question(s, attempt)
        orders = attempt.orders or []
        order = orders[index] if index < len(orders) and sorted(orders[index]) == list(range(len(q.options))) else None
        # Stored as the lesson's option number, so answers compare across attempts whatever the order shown.
        await repo.record_answer(s, attempt, index, order[chosen] if order else chosen, chosen == q.answer)
        replies = [Reply(feedback_text(q, chosen))]
        if index + 1 < len(questions):
            replies.append(question_reply(questions[index + 1], index + 1, len(questions), attempt.id))
            return replies
        await repo.finish_attempt(s, attempt)
        if attempt.kind == "review":
            replies.append(Reply(msg.REVIEW_RESULT.format(right=attempt.n_correct, n=attempt.n_questions),
                                 (Button(msg.BTN_CONTINUE, "/hoctiep"), Button(msg.BTN_PROGRESS, "/tiendo"))))
            return replies
        lesson = self.kb.lesson(attempt.lesson_id)
        assert lesson is not None
        need = pass_mark(attempt.n_questions, self.pass_ratio)
        if attempt.n_correct >= need:
            text = msg.QUIZ_RESULT_PASS.format(right=attempt.n_correct, n=attempt.n_questions, title=lesson.title)
            buttons: tuple[Button, ...] = (Button(msg.BTN_CONTINUE, "/hoctiep"), Button(msg.BTN_PROGRESS, "/tiendo"))
            replies.append(Reply(text, buttons))
            completed = await self.learning.check_completion(s, user)
            if completed is not None:
                replies += [completed, self.learning.platform_reply(user)]
        else:
            text = msg.QUIZ_RESULT_FAIL.format(right=attempt.n_correct, n=attempt.n_questions, need=need)
            buttons = (Button(msg.BTN_RETRY, f"/kiemtra {lesson.id}"), Button(msg.BTN_OTHER_LESSON, "/hoc"))
            replies.append(Reply(text, buttons))
        return replies

    async def _retake(self, s: AsyncSession, user: User, ctx: dict[str, Any]) -> list[Reply]:
        """"Làm lại", "thi lại": the quiz of the lesson last tried, else of the lesson being read."""
        results = await repo.lesson_results(s, user.id)
        last = max(results, key=lambda k: results[k].last_at or utcnow(), default=None) if results else None
        lesson_id = last or (ctx.get("lesson") or {}).get("id")
        if not lesson_id or self.kb.lesson(str(lesson_id)) is None:
            return [self._learn_menu(None)]
        return await self._start_quiz(s, user, str(lesson_id))

    async def _progress(self, s: AsyncSession, user: User) -> list[Reply]:
        results = await repo.lesson_results(s, user.id)
        if not results:
            return [Reply(msg.PROGRESS_EMPTY, main_menu())]
        passed = await self.learning.passed(s, user)
        lessons = [x for x in self.kb.lessons if x.id in results]
        # The same count as the progress picture: the core programme's lessons; others said apart.
        programme = self.kb.programme
        core = set(programme.core_lessons) if programme else {x.id for x in self.kb.lessons}
        lines = [msg.PROGRESS_HEAD.format(passed=len(core & set(passed)), total=len(core))]
        if extra := len(set(passed) - core):
            lines.append(msg.PROGRESS_EXTRA.format(n=extra))
        ordered = sorted(lessons, key=lambda x: results[x.id].last_at or utcnow(), reverse=True)
        for x in ordered[:8]:
            pct = round(results[x.id].best_score * 100)
            line = msg.PROGRESS_LINE_PASS if x.id in passed else msg.PROGRESS_LINE_FAIL
            lines.append(line.format(title=x.title, score=pct))
        if len(ordered) > 8:
            lines.append(msg.PROGRESS_MORE.format(n=len(ordered) - 8))
        buttons = (Button(msg.BTN_CONTINUE, "/hoctiep"), Button(msg.BTN_REVIEW, "/ontap"))
        image = await self.learning.progress_image(s, user)
        return [Reply("\n".join(lines), buttons, image_path=image)]
