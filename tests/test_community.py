"""Community features: 👍/👎 and the review queue, sharing and handouts, households, classes and campaign days."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from pydantic import ValidationError
from sqlalchemy import func, insert, select, update

from bot import handouts, reports
from bot import messages as msg
from bot.cli.content import cmd_handouts
from bot.config import CampaignSettings, Settings
from bot.images import GREEN, font
from bot.scheduler import class_reminders
from bot.service import Tutor
from bot.types import Reply
from rag.knowledge import KnowledgeBase
from storage import community, roles, stats, units
from storage.db import Database
from storage.models import (
    TZ,
    ClassAttendance,
    ClassEvent,
    ClassReminder,
    ClassReply,
    Completion,
    Household,
    OutboxItem,
    QuestionLog,
    SupportSession,
    User,
    utcnow,
)
from storage.units import Scope
from tests.chat import ScriptedChat
from tests.test_admin_web import Site, signed_in, site  # noqa: F401 - the web fixture, reused

HONG_BANG = units.find_communes("hong bang")[0]
NEIGHBOUR = next(c for c in units.find_communes("an") if c.province_code == HONG_BANG.province_code
                 and c.code != HONG_BANG.code)
FAR = next(c for c in units.find_communes("an binh") if c.province_code != HONG_BANG.province_code)
VN = TZ


async def _remind(tutor: Tutor, now: datetime) -> int:
    """One run of the class-reminder job, on this tutor's database and community desk."""
    return await class_reminders(tutor.db, tutor.dialogue.community, now)


async def _register(tutor: Tutor, user: str, commune: units.Commune, channel: str = "console",
                    hamlet: str = "Thôn 2", **values: object) -> None:
    async with tutor.db.transaction() as s:
        await s.execute(update(User).where(User.channel == channel, User.channel_user_id == user).values(
            consent_at=utcnow(), display_name=f"bác {user}", province_code=commune.province_code,
            ward_code=commune.code, hamlet=hamlet, **values))


async def _outbox(tutor: Tutor) -> dict[str, list[Reply]]:
    async with tutor.db.transaction() as s:
        rows = (await s.execute(select(OutboxItem).where(OutboxItem.inbox_id.is_(None))
                                .order_by(OutboxItem.id))).scalars().all()
    out: dict[str, list[Reply]] = {}
    for o in rows:
        out.setdefault(o.channel_user_id, []).append(Reply.from_payload(o.payload))
    return out


# ---------------------------------------------------------------- feedback


async def test_thumbs_down_is_stored_without_the_person_and_offers_other_lessons(tutor: Tutor) -> None:
    chat = ScriptedChat(tutor, "hoi")
    await chat.say("xin chào")
    await _register(tutor, "hoi", HONG_BANG)
    answer = (await chat.say("làm sao cài vneid trên điện thoại"))[-1]
    labels = [b.label for b in answer.buttons]
    assert msg.BTN_FEEDBACK_UP in labels and msg.BTN_FEEDBACK_DOWN in labels and msg.BTN_SHARE in labels
    assert len(labels) <= 5
    sorry = (await chat.press(answer, msg.BTN_FEEDBACK_DOWN))[-1]
    assert sorry.text in (msg.FEEDBACK_SORRY, msg.FEEDBACK_SORRY_ALONE)
    assert any(b.value == "/gapnguoi" for b in sorry.buttons)
    assert all(b.value.startswith(("/bai ", "/gapnguoi")) for b in sorry.buttons)
    assert (await chat.press(answer, msg.BTN_FEEDBACK_UP))[-1].text == msg.FEEDBACK_ALREADY  # one vote per answer
    liked = (await chat.say("quên mật khẩu vneid thì làm sao"))[-1]
    assert (await chat.press(liked, msg.BTN_FEEDBACK_UP))[-1].text == msg.FEEDBACK_THANKS
    # Someone else cannot vote on this learner's answers by typing the command.
    other = ScriptedChat(tutor, "khac", room=chat.room)
    assert (await other.say(liked.buttons[-3].value.replace("tot", "chuadung")))[-1].text == msg.FEEDBACK_ALREADY

    async with tutor.db.transaction() as s:
        rated = (await s.execute(select(QuestionLog).where(QuestionLog.feedback.is_not(None))
                                 .order_by(QuestionLog.id))).scalars().all()
        rep = await stats.report(s, Scope(HONG_BANG.province_code, HONG_BANG.code))
    assert [r.feedback for r in rated] == ["down", "up"]
    assert all(r.user_id is None for r in rated)  # no person behind a vote
    assert rated[0].topic and rated[0].lesson_id and rated[0].ward_code == HONG_BANG.code
    assert sum(d for _, d in rep.feedback_by_topic.values()) == 1
    assert [(d.text, d.n) for d in rep.disliked] == [("làm sao cài vneid trên điện thoại", 1)]


async def test_review_queue_and_handouts_on_the_admin_pages(site: Site) -> None:  # noqa: F811
    d = site.data
    rows = [dict(channel="zalo", text=text, kind="answer", topic=topic, lesson_id=lesson, feedback=fb,
                 province_code=d.a.province_code, ward_code=d.a.code)
            for text, topic, lesson, fb in [("cài vneid bị lỗi", "vneid.install", "vneid-cai-dat", "down"),
                                            ("cài vneid bị lỗi", "vneid.install", "vneid-cai-dat", "down"),
                                            ("chuyển tiền nhầm", "payment.transfer", "vneid-cai-dat", "down"),
                                            ("cài vneid", "vneid.install", "vneid-cai-dat", "up")]]
    async with site.tutor.db.transaction() as s:
        await s.execute(insert(QuestionLog), rows)
    async with signed_in(site, "tinh.a") as client:
        page = (await client.get(f"/admin/questions/P{d.a.province_code}")).text
        listing = (await client.get("/admin/handouts")).text
        png = await client.get("/admin/handouts/vneid-cai-dat.png")
        missing = await client.get("/admin/handouts/khong-co-bai-nay.png")
    queue = page.split('id="review"')[1].split("</div>")[0]
    lesson = site.tutor.kb.lesson("vneid-cai-dat")
    assert lesson is not None
    assert "cài vneid bị lỗi" in queue and f"bài «{lesson.title}» (2 lần)" in queue
    assert queue.index("cài vneid bị lỗi") < queue.index("chuyển tiền nhầm")  # the most disliked topic first
    topics = page.split('id="topics"')[1].split("</table>")[0]
    assert "<td>2</td>" in topics  # 👎 counted per topic
    assert 'href="/admin/handouts/vneid-cai-dat.png"' in listing
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(png.content)).size == handouts.A4_150DPI
    assert missing.status_code == 404


async def test_weekly_digest_counts_thumbs_down(tutor: Tutor) -> None:
    now = datetime(2026, 12, 14, 1, tzinfo=UTC)
    async with tutor.db.transaction() as s:
        await s.execute(insert(QuestionLog), [
            dict(channel="zalo", text="cài vneid bị lỗi", kind="answer", topic="vneid.install",
                 lesson_id="vneid-cai-dat", feedback=fb, province_code=HONG_BANG.province_code,
                 ward_code=HONG_BANG.code,
                 created_at=now - timedelta(days=2)) for fb in ("down", "down", "up")])
        text = await reports.digest_text(s, Scope(HONG_BANG.province_code, HONG_BANG.code), now, 0.8, tutor.kb)
    assert msg.WEEKLY_FEEDBACK.format(up=1, down=2) in text
    assert "«cài vneid bị lỗi»" in text and "(2 lần)" in text


# ---------------------------------------------------------------- sharing and handouts


async def test_send_to_family_gives_a_short_forwardable_message(tutor: Tutor) -> None:
    chat = ScriptedChat(tutor)
    answer = (await chat.say("làm sao cài vneid"))[-1]
    lesson = tutor.kb.lesson(answer.sources[0])
    assert lesson is not None
    intro, shared = await chat.press(answer, msg.BTN_SHARE)
    assert intro.text == msg.SHARE_INTRO
    assert shared.text.startswith(msg.SHARE_HEAD.format(title=lesson.title))
    assert "1. " in shared.text and len(shared.text) < 1200 and msg.SHARE_NO_LINK in shared.text
    with_link = handouts.share_text(lesson, "@kynangso_bot")
    assert "https://t.me/kynangso_bot" in with_link


def test_a_handout_for_every_lesson(kb: KnowledgeBase, settings: Settings, tmp_path: Path) -> None:
    telegram = settings.telegram.model_copy(update={"bot_username": "kynangso_bot"})
    out = io.StringIO()
    assert cmd_handouts(settings.model_copy(update={"telegram": telegram}), tmp_path, out) == 0
    assert len(list(tmp_path.glob("*.png"))) == len(kb.lessons) and f"{len(kb.lessons)} handouts" in out.getvalue()
    for lesson in kb.lessons:
        with Image.open(tmp_path / f"{lesson.id}.png") as img:
            assert img.size == handouts.A4_150DPI and img.format == "PNG"
            text = dict(img.text)  # type: ignore[attr-defined]
        # What was drawn, kept in the file: the whole title, the steps, the bot's link by the QR code, the source.
        lines, title_lines = json.loads(text["Lines"]), json.loads(text["TitleLines"])
        assert text["Title"] == lesson.title and " ".join(title_lines) == lesson.title
        assert lines[1:1 + len(title_lines)] == title_lines
        _, steps = handouts.key_steps(lesson)
        assert steps and steps[0].split()[0] in " ".join(lines)
        assert "https://t.me/kynangso_bot" in lines
        assert any(line.startswith("Nguồn") for line in lines[-3:])
    # The title's pixels are the title: draw its lines alone with the same font and compare the area.
    lesson = max(kb.lessons, key=lambda x: len(x.title))  # a long title, wrapped over lines
    drawn = handouts.render(tmp_path / "one.png", lesson)
    box = drawn.title_box
    alone = Image.new("RGB", handouts.A4_150DPI, "white")
    pen = ImageDraw.Draw(alone)
    for i, line in enumerate(drawn.title_lines):
        pen.text((box[0], box[1] + i * int(54 * 1.35)), line, font=font(54, True), fill=GREEN)
    with Image.open(tmp_path / "one.png") as page:
        area = page.convert("RGB").crop(box)
    assert area.tobytes() == alone.crop(box).tobytes()
    assert area.getextrema() != ((255, 255),) * 3  # something was drawn there
    wrong = Image.new("RGB", handouts.A4_150DPI, "white")
    ImageDraw.Draw(wrong).text(box[:2], "Một tiêu đề khác", font=font(54, True), fill=GREEN)
    assert area.tobytes() != wrong.crop(box).tobytes()


# ---------------------------------------------------------------- households


async def test_households_count_once_with_several_members(tutor: Tutor) -> None:
    room: dict[str, list[Reply]] = {}
    grandma, grandson, aunt, loner, far = (ScriptedChat(tutor, u, room=room)
                                           for u in ("ba", "chau", "co", "mot", "xa"))
    for chat in (grandma, grandson, aunt, loner, far):
        await chat.say("xin chào")
    assert (await grandma.say("/giadinh"))[-1].text == msg.HOUSEHOLD_NEED_PLACE  # needs registration first
    await _register(tutor, "ba", HONG_BANG, hamlet="Thôn 1")
    await _register(tutor, "chau", HONG_BANG, hamlet="Thôn 4")
    await _register(tutor, "co", NEIGHBOUR)
    await _register(tutor, "mot", HONG_BANG, hamlet="Thôn 1")
    await _register(tutor, "xa", NEIGHBOUR)
    menu = (await grandma.say("gia đình số"))[-1]
    made = (await grandma.press(menu, msg.BTN_HOUSEHOLD_NEW))[-1]
    code = made.text.split(": ")[1].split("\n")[0]
    assert len(code) == community.HOUSEHOLD_CODE_LENGTH
    assert (await grandson.say(code.lower()))[-1].text == msg.HOUSEHOLD_JOINED.format(n=2)  # typed as is
    ask = (await aunt.press((await aunt.say("/giadinh"))[-1], msg.BTN_HOUSEHOLD_JOIN))[-1]
    assert ask.text == msg.HOUSEHOLD_ASK_CODE
    assert (await aunt.say(code))[-1].text == msg.HOUSEHOLD_JOINED.format(n=3)
    await loner.say("/giadinh tao")
    await far.say("/giadinh tao")
    async with tutor.db.transaction() as s:
        users = {u.channel_user_id: u for u in (await s.execute(select(User))).scalars()}
        # The grandmother and the grandson (another thôn) both finish, and so does "xa", whose own household
        # is in the neighbouring commune; the aunt and the loner do not.
        for who in ("ba", "chau", "xa"):
            u = users[who]
            s.add(Completion(user_id=u.id, programme="P", province_code=u.province_code, ward_code=u.ward_code,
                             hamlet=u.hamlet))
    async with tutor.db.transaction() as s:
        commune = await stats.report(s, Scope(HONG_BANG.province_code, HONG_BANG.code))
        province = await stats.report(s, Scope(province_code=HONG_BANG.province_code))
        before = await stats.report(s, Scope(HONG_BANG.province_code, HONG_BANG.code),
                                    until=utcnow() - timedelta(days=1))
    assert commune.total.households_done == 1  # two members finished: still one household
    assert {r.key: r.households_done for r in commune.children if r.households_done} == {"Thôn 1": 1}
    rows = {r.key: r.households_done for r in province.children}
    assert rows[str(HONG_BANG.code)] == 1 and rows[str(NEIGHBOUR.code)] == 1
    assert province.total.households_done == 2  # rolled up like the other counts
    assert before.total.households_done == 0  # "to date": nobody had finished a day ago
    assert "households_done" in stats.COLUMNS and "households_done" in msg.STATS_LABELS

    # The member's own data: in the export, and gone (with the membership) after erasure.
    export = (await grandson.say("/taidulieu"))[-1]
    assert export.file_path is not None
    data = json.loads(Path(export.file_path).read_text(encoding="utf-8"))
    assert data["household"]["code"] == code
    await grandson.say("/xoadulieu xacnhan")
    async with tutor.db.transaction() as s:
        household = (await s.execute(select(Household).where(Household.code == code))).scalar_one()
        members = (await s.execute(select(func.count()).select_from(User)
                                   .where(User.household_id == household.id))).scalar_one()
    assert members == 2  # the grandmother and the aunt stay; the grandson is gone


# ---------------------------------------------------------------- classes and events


def test_fourth_friday_and_weekly_rules() -> None:
    monthly = ClassEvent(starts_at=datetime(2026, 11, 27, 8, tzinfo=VN), repeat="monthly", weekday=4, nth=4)
    assert community.occurrences(monthly, date(2026, 11, 1), date(2027, 3, 31)) == [
        date(2026, 11, 27), date(2026, 12, 25), date(2027, 1, 22), date(2027, 2, 26), date(2027, 3, 26)]
    last = ClassEvent(starts_at=datetime(2026, 12, 31, 8, tzinfo=VN), repeat="monthly", weekday=3, nth=5)
    assert community.occurrences(last, date(2027, 1, 1), date(2027, 2, 28)) == [date(2027, 1, 28),
                                                                              date(2027, 2, 25)]
    weekly = ClassEvent(starts_at=datetime(2026, 12, 2, 19, 30, tzinfo=VN), repeat="weekly", weekday=2)
    assert community.occurrences(weekly, date(2026, 11, 1), date(2026, 12, 20)) == [
        date(2026, 12, 2), date(2026, 12, 9), date(2026, 12, 16)]
    once = ClassEvent(starts_at=datetime(2026, 12, 2, 8, tzinfo=VN), repeat="once")
    assert community.occurrences(once, date(2026, 12, 3), date(2027, 1, 1)) == []
    yearly = ClassEvent(starts_at=datetime(2026, 10, 10, 8, tzinfo=VN), repeat="yearly")
    assert community.occurrences(yearly, date(2026, 1, 1), date(2028, 12, 31)) == [
        date(2026, 10, 10), date(2027, 10, 10), date(2028, 10, 10)]
    leap = ClassEvent(starts_at=datetime(2028, 2, 29, 8, tzinfo=VN), repeat="yearly")
    assert community.occurrences(leap, date(2028, 1, 1), date(2030, 12, 31)) == [
        date(2028, 2, 29), date(2029, 2, 28), date(2030, 2, 28)]  # on the 28th when there is no 29th


async def test_a_monthly_class_reminds_the_right_learners_once_and_counts_attendance(tutor: Tutor,
                                                                                    db_url: str) -> None:
    room: dict[str, list[Reply]] = {}
    vol = ScriptedChat(tutor, "tnv", "telegram", room)
    yes, quiet, outside, other_commune, zalo_away = (ScriptedChat(tutor, u, ch, room) for u, ch in (
        ("co", "telegram"), ("khong", "telegram"), ("ngoai", "telegram"), ("xakhac", "telegram"), ("zalo", "zalo")))
    for chat in (vol, yes, quiet, outside, other_commune, zalo_away):
        await chat.say("xin chào")
    async with tutor.db.transaction() as s:
        await roles.grant(s, "telegram", "tnv", "volunteer", Scope(HONG_BANG.province_code, HONG_BANG.code))
    for user, commune, channel in (("co", HONG_BANG, "telegram"), ("khong", HONG_BANG, "telegram"),
                                   ("xakhac", NEIGHBOUR, "telegram"), ("zalo", HONG_BANG, "zalo")):
        await _register(tutor, user, commune, channel)
    # Opting in: after registration, or with "lớp học". The one who never registered cannot.
    assert (await outside.say("lớp học"))[-1].text == msg.CLASS_NEED_PLACE
    for chat in (yes, other_commune, zalo_away):
        listing = (await chat.say("lớp học"))[-1]
        assert listing.text == msg.CLASS_NONE
        assert (await chat.press(listing, msg.BTN_CLASS_ON))[-1].text == msg.CLASS_NEWS_ON
    async with tutor.db.transaction() as s:
        await s.execute(update(User).where(User.channel_user_id == "zalo")
                        .values(last_seen_at=utcnow() - timedelta(days=40)))  # outside Zalo's 48 hours

    # A class left half-way: cancelled with its button; after half an hour, later words are not its place.
    day = (utcnow().astimezone(VN).date() + timedelta(days=2)).isoformat()
    place = (await vol.say(f"/molop vneid 1lan {day} 0800"))[-1]
    assert (await vol.press(place, msg.BTN_CLASS_CANCEL))[-1].text == msg.CLASS_CANCELLED
    await vol.say(f"/molop vneid 1lan {day} 0800")
    async with tutor.db.transaction() as s:
        staff_user = (await s.execute(select(User).where(User.channel_user_id == "tnv"))).scalar_one()
        ctx = dict(staff_user.context)
        ctx["class_draft"] = {**ctx["class_draft"], "since": (utcnow() - timedelta(hours=1)).isoformat()}
        staff_user.context = ctx
    assert (await vol.say("cài vneid"))[-1].text != msg.CLASS_ASK_HAMLET

    # The volunteer announces "Thứ Sáu tuần thứ 4 hằng tháng", 8:00, in a few taps and two typed lines.
    step = (await vol.say("mở lớp"))[-1]
    step = (await vol.press(step, msg.SUPPORT_TOPICS["vneid"]))[-1]
    assert step.text == msg.CLASS_ASK_REPEAT
    step = (await vol.press(step, msg.BTN_REPEAT_MONTHLY))[-1]
    step = (await vol.press(step, msg.NTH_NAMES[4]))[-1]
    step = (await vol.press(step, "Thứ Sáu"))[-1]
    step = (await vol.press(step, "08:00"))[-1]
    assert step.text == msg.CLASS_ASK_PLACE
    assert (await vol.say("Nhà văn hóa thôn 3"))[-1].text == msg.CLASS_ASK_HAMLET
    saved = (await vol.say("thôn 3"))[-1]
    assert "Nhà văn hóa thôn 3" in saved.text and "Thôn 3" in saved.text
    async with tutor.db.transaction() as s:
        event = (await s.execute(select(ClassEvent))).scalar_one()
    assert (event.repeat, event.weekday, event.nth, event.ward_code) == ("monthly", 4, 4, HONG_BANG.code)
    first = community.next_occurrence(event, utcnow().astimezone(VN).date())
    assert first is not None and first.weekday() == 4 and 22 <= first.day <= 28
    second = community.next_occurrence(event, first + timedelta(days=1))
    assert second is not None and second.month != first.month

    # The day before, at 10:00, two schedulers at once, then again an hour later: one reminder, to one person.
    eve = datetime.combine(first - timedelta(days=1), time(10), tzinfo=VN)
    async with tutor.db.transaction() as s:
        # A row whose dates cannot be worked out (an impossible weekday) is skipped; it stops no one's reminder.
        fields = {c.name: getattr(event, c.name) for c in ClassEvent.__table__.columns if c.name != "id"}
        s.add(ClassEvent(**{**fields, "weekday": 9, "nth": 5, "place": "Hỏng"}))
    other = Tutor(tutor.settings, Database(db_url), tutor.kb)
    try:
        counts = await asyncio.gather(_remind(tutor, eve), _remind(other, eve))
    finally:
        await other.db.dispose()
    assert sum(counts) == 1
    assert await _remind(tutor, eve + timedelta(hours=1)) == 0
    assert await _remind(tutor, eve.replace(hour=22)) == 0  # quiet hours
    assert await _remind(tutor, eve - timedelta(days=3)) == 0  # not the day before
    sent = await _outbox(tutor)
    assert set(sent) == {"co"}
    reminder = sent["co"][0]
    assert "Nhà văn hóa thôn 3" in reminder.text and f"{first:%d/%m/%Y}" in reminder.text
    going = (await yes.press(reminder, msg.BTN_GOING))[-1]
    assert going.text.startswith("Cháu đã ghi bác sẽ đến")
    await yes.press(reminder, msg.BTN_GOING)  # pressed twice: one reply kept
    assert "Tôi sẽ đến" in (await yes.say("lớp học"))[-1].buttons[0].label
    # The next month's class gets its own reminder.
    assert await _remind(tutor, datetime.combine(second - timedelta(days=1), time(9),
                                                                   tzinfo=VN)) == 1

    # The day after, the organiser is asked once how many came; the answer is support-log evidence.
    after = datetime.combine(first + timedelta(days=1), time(9), tzinfo=VN)
    await _remind(tutor, after)
    await _remind(tutor, after + timedelta(hours=2))
    prompts = [r for r in (await _outbox(tutor))["tnv"] if r.text.startswith("Buổi học")]
    assert len(prompts) == 1 and any(b.label == "15" for b in prompts[0].buttons)
    async with tutor.db.transaction() as s:
        await s.execute(update(ClassEvent).values(starts_at=event.starts_at - timedelta(days=62)))
        past = community.occurrences(await s.get(ClassEvent, event.id), date(2000, 1, 1),
                                     utcnow().astimezone(VN).date())[-1]
    done = (await vol.say(f"/diemdanh {event.id} {past.isoformat()} 15"))[-1]
    assert done.text.startswith("Đã ghi 15 người")
    await vol.say(f"/diemdanh {event.id} {past.isoformat()} 18")  # corrected, not doubled
    async with tutor.db.transaction() as s:
        rows = (await s.execute(select(ClassAttendance))).scalars().all()
        sessions = (await s.execute(select(SupportSession))).scalars().all()
        replies = (await s.execute(select(func.count()).select_from(ClassReply))).scalar_one()
        rep = await stats.report(s, Scope(HONG_BANG.province_code, HONG_BANG.code))
    assert len(rows) == 1 and rows[0].people == 18 and len(sessions) == 1 and sessions[0].people == 18
    assert sessions[0].hamlet == "Thôn 3" and sessions[0].topic == "vneid"
    assert rep.total.support_sessions == 1 and rep.total.people_helped == 18
    assert replies == 1

    # The learner's reply and reminder are in their export and go away with their data.
    export = (await yes.say("/taidulieu"))[-1]
    assert export.file_path is not None
    data = json.loads(Path(export.file_path).read_text(encoding="utf-8"))
    assert data["class_news"] is True and data["classes_going"][0]["day"] == first.isoformat()
    assert len(data["class_reminders_received"]) == 2
    await yes.say("/xoadulieu xacnhan")
    async with tutor.db.transaction() as s:
        left = [(await s.execute(select(func.count()).select_from(m))).scalar_one()
                for m in (ClassReply, ClassReminder)]
    assert left == [0, 0]


async def test_campaign_days_of_every_kind_reach_opted_in_learners_of_the_province_once(tutor: Tutor) -> None:
    room: dict[str, list[Reply]] = {}
    admin = ScriptedChat(tutor, "tinh", "telegram", room)
    here, neighbour, far, off = (ScriptedChat(tutor, u, "telegram", room) for u in ("a", "b", "c", "d"))
    for chat in (admin, here, neighbour, far, off):
        await chat.say("xin chào")
    async with tutor.db.transaction() as s:
        await roles.grant(s, "telegram", "tinh", "province_admin", Scope(province_code=HONG_BANG.province_code))
    for user, commune, news in (("a", HONG_BANG, True), ("b", NEIGHBOUR, True), ("c", FAR, True),
                                ("d", HONG_BANG, False)):
        await _register(tutor, user, commune, "telegram", class_news=news)
    assert (await here.say("/ngayhoi"))[-1].text == msg.CAMPAIGN_ONLY_PROVINCE
    assert msg.BTN_CAMPAIGN in [b.label for b in (await admin.say("/canbo"))[-1].buttons]

    # The national day in one tap; then it is listed, and its button is gone.
    menu = (await admin.say("ngày hội"))[-1]
    assert msg.CAMPAIGN_NONE in menu.text
    saved = (await admin.press(menu, msg.BTN_CAMPAIGN_NATIONAL.format(day="10/10")))[-1]
    assert saved.text.startswith("Đã hẹn: ngày 10/10 hằng năm («Ngày hội toàn dân học tập số»)")
    menu = (await admin.say("ngay hoi"))[-1]
    assert "• ngày 10/10 hằng năm" in menu.text
    assert not any(b.value == "/ngayhoi quocgia" for b in menu.buttons)
    # The province's own day, typed at the menu in any usual form; a second one on the same day is refused.
    saved = (await admin.say("ngay 1 thang 11"))[-1]
    assert saved.text.startswith("Đã hẹn: ngày 01/11 hằng năm (ngày hội của tỉnh)")
    await admin.say("ngày hội")
    assert (await admin.say("01/11"))[-1].text == msg.CAMPAIGN_EXISTS.format(rule=msg.CAMPAIGN_RULE_YEARLY.format(
        day="01/11"))
    # The monthly point typed without diacritics; a day the calendar does not have is said kindly.
    await admin.say("ngày hội")
    saved = (await admin.say("thu 6 tuan thu 4"))[-1]
    assert saved.text.startswith("Đã hẹn: Thứ Sáu tuần thứ tư hằng tháng")
    ask = (await admin.say("/ngayhoi nam"))[-1]
    assert ask.text == msg.CAMPAIGN_ASK_DAY
    assert (await admin.say("31/2"))[-1].text == msg.CAMPAIGN_BAD_DAY.format(day="31/2")
    assert (await admin.say("ngày mùng một tháng mười một"))[-1].text.startswith("Tỉnh đã hẹn ngày 01/11")

    # Cancelled with a tap, or typed; another monthly day picked with buttons (the last Sunday).
    menu = (await admin.say("ngày hội"))[-1]
    assert [b.label for b in menu.buttons if b.label.startswith("🗑")] == [
        msg.BTN_CAMPAIGN_CANCEL.format(rule=r) for r in (msg.CAMPAIGN_RULE_NATIONAL.format(day="10/10"),
                                                         msg.CAMPAIGN_RULE_YEARLY.format(day="01/11"),
                                                         "Thứ Sáu tuần thứ tư hằng tháng")]
    gone = (await admin.press(menu, "Bỏ ngày 01/11"))[-1]
    assert gone.text.startswith("Đã bỏ ngày 01/11")
    await admin.say("ngày hội")
    assert (await admin.say("bỏ thứ sáu tuần thứ 4"))[-1].text.startswith("Đã bỏ Thứ Sáu tuần thứ tư")
    step = (await admin.say("ngày hội"))[-1]
    step = (await admin.press(step, msg.BTN_CAMPAIGN_MONTHLY))[-1]
    assert step.text == msg.CAMPAIGN_ASK_NTH
    step = (await admin.press(step, msg.NTH_NAMES[5]))[-1]
    saved = (await admin.press(step, "Chủ nhật"))[-1]
    assert saved.text.startswith("Đã hẹn: Chủ nhật tuần cuối hằng tháng")
    async with tutor.db.transaction() as s:
        events = (await s.execute(select(ClassEvent).where(ClassEvent.active.is_(True))
                                  .order_by(ClassEvent.id))).scalars().all()
    assert [(e.kind, e.repeat, e.ward_code) for e in events] == [("campaign", "yearly", None),
                                                                 ("campaign", "monthly", None)]
    national, monthly = events
    assert (monthly.nth, monthly.weekday) == (5, 6)

    # The day before each kind, once per learner of the province who opted in.
    year = community.local_start(national).year
    eve = datetime(year, 10, 9, 9, tzinfo=VN)
    assert await _remind(tutor, eve) == 2
    assert await _remind(tutor, eve + timedelta(hours=3)) == 0
    sent = await _outbox(tutor)
    assert set(sent) == {"a", "b"} and sent["a"][-1].text == msg.CAMPAIGN_REMINDER.format(day="10/10")
    assert await _remind(tutor, datetime(year + 1, 10, 9, 9, tzinfo=VN)) == 2  # next year
    sunday = community.next_occurrence(monthly, utcnow().astimezone(VN).date() + timedelta(days=2))
    assert sunday is not None and sunday.weekday() == 6 and (sunday + timedelta(days=7)).month != sunday.month
    sunday_eve = datetime.combine(sunday - timedelta(days=1), time(10), tzinfo=VN)
    assert await _remind(tutor, sunday_eve) == 2
    monthly_text = (await _outbox(tutor))["a"][-1].text
    assert monthly_text.startswith(f"📅 Ngày mai, Chủ nhật {sunday:%d/%m}") and "Chủ nhật tuần cuối" in monthly_text

    # The province's own day on a day the monthly rule also falls: one message, the yearly one.
    after = community.next_occurrence(monthly, sunday + timedelta(days=1))
    assert after is not None
    await admin.say("ngày hội")
    assert (await admin.say(f"{after:%d/%m}"))[-1].text.startswith(f"Đã hẹn: ngày {after:%d/%m} hằng năm")
    assert await _remind(tutor, datetime.combine(after - timedelta(days=1), time(10),
                                                                   tzinfo=VN)) == 2
    last = (await _outbox(tutor))["a"][-1].text
    assert last == msg.CAMPAIGN_REMINDER_PROVINCE.format(day=f"{after:%d/%m}",
                                                         province=units.province_name(HONG_BANG.province_code))


async def test_the_national_campaign_day_is_a_setting(tutor: Tutor, db_url: str) -> None:
    with pytest.raises(ValidationError):
        CampaignSettings(national_day="31/2")
    assert CampaignSettings(national_day="1/9").national == (1, 9)
    other = Tutor(tutor.settings.model_copy(update={"campaign": CampaignSettings(national_day="20/11")}),
                  Database(db_url), tutor.kb)
    try:
        admin = ScriptedChat(other, "tinh", "telegram")
        await admin.say("xin chào")
        async with other.db.transaction() as s:
            await roles.grant(s, "telegram", "tinh", "province_admin", Scope(province_code=HONG_BANG.province_code))
        menu = (await admin.say("/ngayhoi"))[-1]
        saved = (await admin.press(menu, msg.BTN_CAMPAIGN_NATIONAL.format(day="20/11")))[-1]
        assert saved.text.startswith("Đã hẹn: ngày 20/11 hằng năm («Ngày hội toàn dân học tập số»)")
        async with other.db.transaction() as s:
            event = (await s.execute(select(ClassEvent))).scalar_one()
        assert other.dialogue.community.reminder(event, date(2030, 11, 20)).text == msg.CAMPAIGN_REMINDER.format(
            day="20/11")
    finally:
        await other.db.dispose()
