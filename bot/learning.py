"""The learning path: programme and tracks, "học tiếp", review sets, spaced review, completion."""

from __future__ import annotations

import random
import secrets
from collections.abc import Awaitable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot import images
from bot import messages as msg
from bot.answers import main_menu
from bot.commands import Call, Commands
from bot.conversation import Conversation
from bot.quiz import pass_mark
from bot.types import Button, Prompt, Reply
from rag.knowledge import KnowledgeBase
from rag.lessons import Lesson
from storage import repo, units
from storage.models import TZ, Completion, User, as_utc, utcnow

REVIEW_AFTER = timedelta(days=7)
REVIEW_SIZE, REVIEW_DUE_SIZE = 5, 3
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud over the phone


def new_code() -> str:
    """A short verification code such as KNS-7Q4M2X."""
    return "KNS-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))


class Learning:
    def __init__(self, kb: KnowledgeBase, data_dir: Path, pass_ratio: float) -> None:
        self.kb = kb
        self.data_dir = data_dir
        self.pass_ratio = pass_ratio

    # ------------------------------------------------------------ what has been passed

    async def passed(self, s: AsyncSession, user: User) -> dict[str, Any]:
        """Lesson id -> result, for lessons whose best score meets the pass rule."""
        results = await repo.lesson_results(s, user.id)
        out = {}
        for lesson_id, r in results.items():
            lesson = self.kb.lesson(lesson_id)
            if lesson and r.best_score * len(lesson.quiz) >= pass_mark(len(lesson.quiz), self.pass_ratio) - 1e-9:
                out[lesson_id] = r
        return out

    def core(self) -> list[Lesson]:
        programme = self.kb.programme
        if programme is None:
            return []
        return [x for x in (self.kb.lesson(i) for i in programme.core_lessons) if x is not None]

    def register(self, commands: Commands) -> None:
        commands.add("/hoc", lambda c: [self.menu(c.arg)])
        commands.add("/chuongtrinh", lambda c: self._one(self.programme_menu(c.s, c.user)))
        commands.add("/nhanh", lambda c: [self.tracks_menu(c.arg)])
        commands.add("/desau", lambda c: [Reply(msg.REVIEW_LATER)])
        commands.add("/tatnhac", lambda c: self._reminders(c, off=True))
        commands.add("/batnhac", lambda c: self._reminders(c, off=False))
        commands.add("/xacnhan", lambda c: self.platform(c.s, c.user, c.args))
        commands.add("/chungnhan", self._certificate)

    @staticmethod
    async def _one(reply: Awaitable[Reply]) -> list[Reply]:
        return [await reply]

    @staticmethod
    def _reminders(c: Call, off: bool) -> list[Reply]:
        c.ctx["no_reminders"] = off
        return [Reply(msg.REMINDERS_OFF if off else msg.REMINDERS_ON)]

    async def _certificate(self, c: Call) -> list[Reply]:
        completion = await self.completion(c.s, c.user)
        if completion is None:
            return [Reply(msg.CERT_NONE, (Button(msg.BTN_CONTINUE, "/hoctiep"),))]
        return [self.certificate_reply(completion, congratulate=False)]

    # ------------------------------------------------------------ menus

    def menu(self, area: str | None) -> Reply:
        """The lessons by area, with "học tiếp" and the programme first."""
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

    async def programme_menu(self, s: AsyncSession, user: User) -> Reply:
        passed = await self.passed(s, user)
        core = self.core()
        buttons = tuple(Button(("✅ " if x.id in passed else "▫️ ") + x.title, f"/bai {x.id}") for x in core)
        title = self.kb.programme.title if self.kb.programme else ""
        head = msg.PROGRAMME_HEAD.format(title=title, passed=sum(x.id in passed for x in core), total=len(core))
        return Reply(head, buttons + (Button(msg.BTN_BACK, "/hoc"),))

    def tracks_menu(self, track_id: str | None) -> Reply:
        tracks = {t.id: t for t in (self.kb.programme.tracks if self.kb.programme else ())}
        if track_id in tracks:
            track = tracks[track_id]
            lessons = [x for x in (self.kb.lesson(i) for i in track.lessons) if x is not None]
            return Reply(msg.TRACK_HEAD.format(title=track.title),
                         tuple(Button(x.title, f"/bai {x.id}") for x in lessons) + (Button(msg.BTN_BACK, "/nhanh"),))
        return Reply(msg.TRACKS_HEAD, tuple(Button(t.title, f"/nhanh {t.id}") for t in tracks.values())
                     + (Button(msg.BTN_BACK, "/hoc"),))

    async def next_lesson(self, s: AsyncSession, user: User) -> Lesson | None:
        """The first core lesson not yet passed."""
        passed = await self.passed(s, user)
        return next((x for x in self.core() if x.id not in passed), None)

    # ------------------------------------------------------------ review

    async def review_items(self, s: AsyncSession, user: User, lesson_id: str | None) -> list[list[Any]]:
        """Questions for a review: a few from one lesson, or a mix from every passed lesson."""
        passed = await self.passed(s, user)
        if lesson_id:
            lesson = self.kb.lesson(lesson_id)
            pool = [[lesson.id, i] for i in range(len(lesson.quiz))] if lesson and lesson.id in passed else []
            size = REVIEW_DUE_SIZE
        else:
            pool = [[lid, i] for lid in passed if (x := self.kb.lesson(lid)) for i in range(len(x.quiz))]
            size = REVIEW_SIZE
        rng = random.Random(secrets.randbits(32))
        return rng.sample(pool, min(size, len(pool)))

    @staticmethod
    def review_looked_for(ctx: Conversation, now: datetime) -> bool:
        """Whether today's look for a due review is done (offered, none found, or reminders off). A review falls due a
        week after a pass, so one look a day is enough: the chat spares its two reads on every later message."""
        today = now.date().isoformat()
        return bool(ctx.get("no_reminders")) or today in (ctx.get("review_offered"), ctx.get("review_looked"))

    async def review_due(self, s: AsyncSession, user: User, ctx: Conversation,
                         now: datetime | None = None) -> Reply | None:
        """Offer a short re-quiz 7 days after a lesson was passed: at most once a day, never if turned off."""
        if ctx.get("no_reminders"):
            return None
        now = now or utcnow()
        today = now.date().isoformat()
        if ctx.get("review_offered") == today:
            return None
        reviewed: dict[str, str] = ctx.get("reviewed") or {}
        for lesson_id, result in sorted((await self.passed(s, user)).items(), key=lambda kv: str(kv[1].last_at)):
            last = result.last_at
            if last is None or lesson_id in reviewed or now - as_utc(last) < REVIEW_AFTER:
                continue
            lesson = self.kb.lesson(lesson_id)
            if lesson is None:
                continue
            ctx["review_offered"] = today
            return Reply(msg.REVIEW_DUE.format(title=lesson.title),
                         (Button(msg.BTN_REVIEW_NOW, f"/ontap {lesson_id}"), Button(msg.BTN_LATER, "/desau")))
        ctx["review_looked"] = today
        return None

    # ------------------------------------------------------------ completion

    async def check_completion(self, s: AsyncSession, user: User) -> Reply | None:
        """When every core lesson is passed for the first time: record it and send the certificate."""
        programme = self.kb.programme
        if programme is None or await self.completion(s, user) is not None:
            return None
        passed = await self.passed(s, user)
        if not all(x.id in passed for x in self.core()):
            return None
        code = new_code()
        while await repo.code_taken(s, code):
            code = new_code()
        completion = Completion(user_id=user.id, programme=programme.title, province_code=user.province_code,
                                ward_code=user.ward_code, hamlet=user.hamlet, target_group=user.target_group,
                                age_band=user.age_band, display_name=user.display_name, code=code)
        s.add(completion)
        await s.flush()
        return self.certificate_reply(completion, congratulate=True)

    async def completion(self, s: AsyncSession, user: User) -> Completion | None:
        return await repo.latest_completion(s, user.id)

    def platform_reply(self, user: User) -> Reply:
        """After the programme: how to be confirmed on binhdanhocvuso.gov.vn, and a question whether it is done."""
        if user.platform_confirmed_at is not None:
            return Reply(msg.PLATFORM_ALREADY.format(date=as_utc(user.platform_confirmed_at).astimezone(TZ)
                                                     .strftime("%d/%m/%Y")))
        return Reply(msg.PLATFORM_NEXT + "\n\n" + msg.PLATFORM_ASK,
                     (Button(msg.BTN_PLATFORM_DONE, "/xacnhan roi"),
                      Button(msg.BTN_PLATFORM_HELP, "/gapnguoi dongy xacnhan"),
                      Button(msg.BTN_LATER, "/xacnhan desau")),
                     prompt=Prompt("platform.confirm", "yes_no", msg.PLATFORM_ASK, yes="/xacnhan roi",
                                   no="/xacnhan desau"))

    async def platform(self, s: AsyncSession, user: User, args: list[str]) -> list[Reply]:
        """/xacnhan: the steps; "/xacnhan roi": the learner says they were confirmed on the platform."""
        if args[:1] == ["desau"]:
            return [Reply(msg.PLATFORM_LATER, main_menu())]
        if args[:1] != ["roi"]:
            return [self.platform_reply(user)]
        if user.consent_at is None:
            return [Reply(msg.PLATFORM_NEED_CONSENT, (Button(msg.BTN_REGISTER, "/dangky"),))]
        if user.platform_confirmed_at is not None:
            return [self.platform_reply(user)]
        user.platform_confirmed_at, user.platform_confirmed_by = utcnow(), "self"
        return [Reply(msg.PLATFORM_SAVED, main_menu())]

    def certificate_reply(self, c: Completion, congratulate: bool) -> Reply:
        """The certificate image (drawn again if the file is gone) with a short message."""
        assert c.code is not None
        commune = units.commune(c.ward_code) if c.ward_code is not None else None
        path = self.data_dir / "certificates" / f"{c.code}.png"
        if not path.exists():
            images.certificate(path, c.display_name or msg.CERT_NAME_DEFAULT, c.programme,
                               c.completed_at.strftime("%d/%m/%Y"), commune.label if commune else None, c.code)
        text = msg.COMPLETED.format(name=c.display_name or msg.REG_DEFAULT_NAME, programme=c.programme, code=c.code)
        return Reply(text if congratulate else msg.CERT_CODE.format(code=c.code), image_path=str(path))

    async def progress_image(self, s: AsyncSession, user: User) -> str:
        passed = await self.passed(s, user)
        core = self.core()
        path = self.data_dir / "images" / f"tien-do-{user.id}.png"
        images.progress(path, user.display_name or msg.REG_DEFAULT_NAME, [(x.title, x.id in passed) for x in core],
                        sum(x.id in passed for x in core), len(core))
        return str(path)

