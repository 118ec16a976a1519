"""Volunteers and admins in the chat: invitations, referral links into quizzes, the support log, hand-offs."""

from __future__ import annotations

import json
from datetime import timedelta

from PIL import Image
from sqlalchemy import func, select, update

from bot import messages as msg
from bot.service import Tutor
from bot.types import Reply
from storage import roles, stats, units, volunteers
from storage.models import (
    Consent,
    InboxItem,
    OutboxItem,
    StaffToken,
    SupportSession,
    User,
    VolunteerLink,
    utcnow,
)
from storage.units import Scope
from tests.chat import ScriptedChat

HONG_BANG = units.find_communes("hong bang")[0]
OTHER = next(c for c in units.find_communes("an binh") if c.province_code != HONG_BANG.province_code)


def texts(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


def code_in(text: str) -> str:
    """The invitation code in an INVITE_DONE message (the word after "/thamgia ")."""
    return text.split("/thamgia ")[1].split()[0]


async def _grant(tutor: Tutor, user: str, role: str, scope: Scope) -> None:
    async with tutor.db.transaction() as s:
        await roles.grant(s, "console", user, role, scope)


async def _register(tutor: Tutor, user: str, commune: units.Commune, name: str, hamlet: str = "Thôn 2") -> None:
    """A learner who agreed to keep their details, without walking through every registration step."""
    async with tutor.db.transaction() as s:
        await s.execute(update(User).where(User.channel == "console", User.channel_user_id == user).values(
            consent_at=utcnow(), display_name=name, province_code=commune.province_code, ward_code=commune.code,
            hamlet=hamlet, age_band="60-69"))


async def test_invitations_down_the_chain(tutor: Tutor) -> None:
    room: dict[str, list[Reply]] = {}
    national, province, commune, vol, stranger = (ScriptedChat(tutor, u, room=room)
                                                  for u in ("nat", "prov", "xa", "tnv", "la"))
    await _grant(tutor, "nat", "national_admin", Scope())
    for chat in (province, commune, vol, stranger):
        await chat.say("xin chào")

    # National admin -> province admin, by typing the province's name.
    pick = await national.say("/moi")
    assert {b.value for b in pick[-1].buttons} == {"/moi tnv", "/moi xa", "/moi tinh"}
    invite = await national.say(f"/moi tinh {units.province_name(HONG_BANG.province_code)}")
    code = code_in(invite[-1].text)
    joined = await province.say(f"/thamgia {code.lower()}")  # typed in lower case: still accepted
    assert msg.ROLE_NAMES["province_admin"] in joined[0].text
    assert (await stranger.say(f"/thamgia {code}"))[-1].text == msg.JOIN_USED  # one use only

    # Province admin -> commune admin of a commune in their province; never outside it.
    outside = await province.say(f"/moi xa X{OTHER.code}")
    assert outside[-1].text == msg.INVITE_NOT_ALLOWED
    invite = await province.say("/moi xa Hồng Bàng")
    code = code_in(invite[-1].text)
    await commune.say(f"/thamgia {code}")

    # Commune admin -> volunteer of their own commune, through the t.me-style start payload.
    assert [b.value for b in (await commune.say("/moi"))[-1].buttons] == ["/moi tnv"]
    invite = await commune.say("/moi tnv")
    assert HONG_BANG.name in invite[-1].text
    code = code_in(invite[-1].text)
    await vol.say(start=f"i-{code}")
    async with tutor.db.transaction() as s:
        staff = {u.channel_user_id: await roles.staff_of(s, u.id) for u in (await s.execute(select(User))).scalars()}
    assert staff["prov"].role == "province_admin" and staff["prov"].province_code == HONG_BANG.province_code
    assert staff["xa"].role == "commune_admin" and staff["xa"].ward_code == HONG_BANG.code
    assert staff["tnv"].role == "volunteer" and staff["tnv"].ward_code == HONG_BANG.code
    assert staff["la"] is None

    # A volunteer cannot invite; a wrong or expired code is refused kindly.
    assert (await vol.say("/moi tnv"))[-1].text == msg.INVITE_NOT_ALLOWED
    assert (await stranger.say("/thamgia ABCDEFGH"))[-1].text == msg.JOIN_BAD
    invite = await commune.say("/moi tnv")
    async with tutor.db.transaction() as s:
        await s.execute(update(StaffToken).values(expires_at=utcnow() - timedelta(minutes=1)))
    assert (await stranger.say(f"/thamgia {code_in(invite[-1].text)}"))[-1].text == msg.JOIN_BAD
    async with tutor.db.transaction() as s:
        stored = (await s.execute(select(StaffToken.code_hash))).scalars().all()
    assert code not in stored and all(len(h) == 64 for h in stored)  # only hashes are kept

    # Admins get a one-time link to set a web password; volunteers do not.
    link = await commune.say("/quantri")
    assert "/admin/setup?token=" in link[-1].text
    assert (await vol.say("/quantri"))[-1].text == msg.WEB_ONLY_ADMINS


async def test_referral_link_lands_in_the_quiz_and_attributes_with_consent(tutor: Tutor) -> None:
    tutor.dialogue.staff.bot_username = "kynangso_test_bot"
    room: dict[str, list[Reply]] = {}
    vol, learner, shy = (ScriptedChat(tutor, u, room=room) for u in ("tnv", "bac-hoa", "bac-ba"))
    await _grant(tutor, "tnv", "volunteer", Scope(HONG_BANG.province_code, HONG_BANG.code))
    await vol.say("/ten Chị Lan")
    lesson = next(x for x in tutor.kb.lessons if x.quiz and len(x.quiz) >= 5)

    menu = await vol.say("/gioithieu")
    assert any(b.value == "/gioithieu canhan" for b in menu[-1].buttons)
    made = await vol.say(f"/gioithieu {lesson.id}")
    url = next(w for w in made[-1].text.split() if w.startswith("https://t.me/"))
    assert url.startswith("https://t.me/kynangso_test_bot?start=r-")
    payload = url.split("start=")[1]
    assert len(payload) <= 64 and payload.replace("-", "").isalnum()
    card = Image.open(made[-1].image_path or "")
    assert card.size == (1000, 1300)
    assert (await vol.say(f"/gioithieu {lesson.id}"))[-1].text == made[-1].text  # the same link every time
    code = payload.removeprefix("r-")

    # The learner opens the link: greeted by the volunteer's name, straight into the quiz.
    opened = await learner.say(start=payload)
    assert "Chị Lan" in texts(opened)
    assert opened[-1].buttons and opened[-1].buttons[0].value.startswith("/traloi")
    for q in lesson.quiz:
        replies = await learner.say(str(learner.shown(q) + 1))
    # After the result, one question: may the volunteer follow my progress?
    assert replies[-1].text == msg.REFERRAL_ASK.format(name="Chị Lan")
    await learner.say("/dangky")  # the learner may wander off before answering ...
    done = await learner.press(replies[-1], msg.BTN_REF_YES)  # ... and still answer the question later
    assert done[-1].text == msg.REFERRAL_YES.format(name="Chị Lan")
    await _register(tutor, "bac-hoa", HONG_BANG, "Hoa", hamlet="Thôn 9")

    # Someone else types the code on a printed card (as on Zalo), and says no.
    typed = await shy.say(f"Mã {code.lower()}")
    assert "Chị Lan" in texts(typed) and typed[-1].buttons[0].value.startswith("/traloi")
    await shy.say("/dungkiemtra")
    assert (await shy.say("/chiase khong"))[-1].text == msg.REFERRAL_NO

    mine = await vol.say("/nguoicuatoi")
    text = mine[-1].text
    assert msg.MINE_HEAD.format(n=1) in text and "Hoa: đạt 1 bài" in text
    assert "Thôn 9" not in text and "60" not in text  # nothing else personal
    async with tutor.db.transaction() as s:
        links = (await s.execute(select(VolunteerLink))).scalars().all()
        consents = (await s.execute(select(Consent.version))).scalars().all()
    assert [(x.kind) for x in links] == ["referred"] and consents == ["ref-1"]

    # An unknown code is just text: answered as a question, no error.
    assert (await shy.say("XYZ234"))[-1].text != ""


async def test_support_log_in_two_taps_counts_in_statistics(tutor: Tutor) -> None:
    vol = ScriptedChat(tutor, "tnv")
    await vol.say("xin chào")
    await _grant(tutor, "tnv", "volunteer", Scope(HONG_BANG.province_code, HONG_BANG.code))
    await _register(tutor, "tnv", HONG_BANG, "Lan", hamlet="Thôn 4")
    topics = await vol.say("/nhatky")
    assert [b.label for b in topics[-1].buttons] == list(msg.SUPPORT_TOPICS.values())
    counts = await vol.press(topics[-1], msg.SUPPORT_TOPICS["muc2"])  # tap 1
    saved = await vol.press(counts[-1], "5")  # tap 2
    assert saved[-1].text == msg.LOG_DONE.format(topic=msg.SUPPORT_TOPICS["muc2"], people=5, hamlet="Thôn 4")
    await vol.say("/thon thon 7")  # the thôn of that session (and the next ones) corrected
    await vol.say("/nhatky vneid 12")
    assert (await vol.say("/nhatky vneid 0"))[-1].text == msg.LOG_BAD_NUMBER.format(topic="vneid")
    assert (await vol.say("/nhatky vneid 99999"))[-1].text == msg.LOG_BAD_NUMBER.format(topic="vneid")

    learner = ScriptedChat(tutor, "bac")
    assert (await learner.say("/nhatky vneid 3"))[-1].text == msg.NOT_STAFF  # learners cannot log
    async with tutor.db.transaction() as s:
        rows = (await s.execute(select(SupportSession).order_by(SupportSession.id))).scalars().all()
        rep = await stats.report(s, Scope(HONG_BANG.province_code, HONG_BANG.code))
    assert [(r.topic, r.people, r.hamlet) for r in rows] == [("muc2", 5, "Thôn 7"), ("vneid", 12, "Thôn 7")]
    assert (rep.total.support_sessions, rep.total.people_helped) == (2, 17)
    assert {r.key: r.people_helped for r in rep.children if r.people_helped} == {"Thôn 7": 17}


async def test_hand_off_reaches_the_communes_volunteers(tutor: Tutor) -> None:
    room: dict[str, list[Reply]] = {}
    learner, vol, vol2, far = (ScriptedChat(tutor, u, room=room) for u in ("bac", "tnv", "tnv2", "xa-khac"))
    for chat in (learner, vol, vol2, far):
        await chat.say("xin chào")
        chat.take()
    await _grant(tutor, "tnv", "volunteer", Scope(HONG_BANG.province_code, HONG_BANG.code))
    await _grant(tutor, "tnv2", "volunteer", Scope(HONG_BANG.province_code, HONG_BANG.code))
    await _grant(tutor, "xa-khac", "volunteer", Scope(OTHER.province_code, OTHER.code))
    await vol.say("/ten Anh Minh")
    vol.take()

    # Not registered: the tutor cannot know the commune, so it asks to register first.
    assert (await learner.say("gặp người hướng dẫn"))[-1].text == msg.HANDOFF_NEED_PLACE
    await _register(tutor, "bac", HONG_BANG, "Hoa")
    ask = await learner.say("Gặp người hướng dẫn")
    assert ask[-1].text == msg.HANDOFF_ASK  # what will be shared is said first
    what = await learner.press(ask[-1], msg.BTN_HANDOFF_YES)
    assert what[-1].text == msg.HANDOFF_ASK_TOPIC  # nothing read before: what it is about, so they come prepared
    sent = await learner.say("kich hoat muc 2")  # typed, no button
    assert msg.HANDOFF_SENT.format(unit=HONG_BANG.label) in texts(sent)
    assert (await learner.say("/gapnguoi dongy"))[-1].text == msg.HANDOFF_WAITING  # no second request
    learner.take()

    told = vol.take()
    assert len(told) == 1 and "Hoa" in told[0].text and told[0].buttons[0].value.startswith("/nhan ")
    assert msg.SUPPORT_TOPICS["muc2"] in told[0].text
    assert len(vol2.take()) == 1 and far.take() == []  # only this commune's volunteers

    claim = told[0].buttons[0].value
    assert (await far.say(claim))[-1].text == msg.HANDOFF_CLAIM_GONE  # another commune cannot take it
    taken = await vol.say(claim)
    assert "Hoa" in taken[-1].text and [b.value.split()[0] for b in taken[-1].buttons] == ["/nhantin", "/xong"]
    assert (await vol2.say(claim))[-1].text == msg.HANDOFF_CLAIM_GONE  # taken once
    told = learner.take()
    assert told[-1].text == msg.HANDOFF_CLAIMED.format(name="Anh Minh", unit=HONG_BANG.label)
    assert "OTP" in told[-1].text
    assert (await vol2.say("/hangdoi"))[-1].text == msg.HANDOFF_QUEUE_EMPTY

    done = next(b.value for b in taken[-1].buttons if b.label == msg.BTN_HANDOFF_DONE)
    assert (await vol2.say(done))[-1].text == msg.HANDOFF_NOT_YOURS
    assert (await vol.press(taken[-1], msg.BTN_HANDOFF_DONE))[-1].text == msg.HANDOFF_CLOSED
    mine = await vol.say("/nguoicuatoi")
    assert "Hoa" in mine[-1].text  # someone helped counts among the volunteer's people
    async with tutor.db.transaction() as s:
        n = (await s.execute(select(func.count()).select_from(VolunteerLink))).scalar_one()
    assert n == 1


async def _learner(tutor: Tutor, user: str, channel: str, name: str) -> None:
    async with tutor.db.transaction() as s:
        await s.execute(update(User).where(User.channel == channel, User.channel_user_id == user).values(
            consent_at=utcnow(), display_name=name, province_code=HONG_BANG.province_code, ward_code=HONG_BANG.code,
            hamlet="Thôn 2"))


async def test_a_volunteer_and_a_zalo_learner_write_to_each_other_through_the_tutor(tutor: Tutor) -> None:
    room: dict[str, list[Reply]] = {}
    learner = ScriptedChat(tutor, "bac", "zalo", room)
    vol = ScriptedChat(tutor, "tnv", "telegram", room)

    async def delivered(chat: ScriptedChat) -> list[Reply]:
        """What reaches someone now, queued by another chat's turn (each channel delivers its own queue)."""
        before = len(chat.sent)
        await tutor.deliver(chat.channel, chat._send)
        return chat.sent[before:]

    for chat in (learner, vol):
        await chat.say("xin chào")
        chat.take()
    async with tutor.db.transaction() as s:
        await roles.grant(s, "telegram", "tnv", "volunteer", Scope(HONG_BANG.province_code, HONG_BANG.code))
    await vol.say("/ten Chị Lan")
    await _learner(tutor, "bac", "zalo", "Hoa")
    await learner.say("/gapnguoi dongy vneid")
    claim = [r for r in await delivered(vol) if r.buttons and r.buttons[0].value.startswith("/nhan ")][0]
    taken = (await vol.say(claim.buttons[0].value))[-1]
    assert "tg://" not in taken.text and "Nhắn cho Hoa" in taken.text  # no Telegram link for a Zalo learner
    await delivered(learner)

    # The volunteer writes; the learner reads it on Zalo, told plainly a person of the team is writing, with a
    # code masked as everywhere else, and the volunteer's own copy of the words is dropped.
    ask = (await vol.press(taken, "Nhắn cho Hoa"))[-1]
    assert ask.text == msg.RELAY_ASK.format(name="Hoa")
    sent = (await vol.say("Chào bác Hoa, mai 8 giờ cháu qua nhà được không? Mã OTP 482913 bác đừng đọc cho ai"))
    assert sent[-1].text == msg.RELAY_SENT.format(name="Hoa")
    got = await delivered(learner)
    assert len(got) == 1 and got[0].text.startswith(f"💬 Chị Lan, Tổ công nghệ số cộng đồng {HONG_BANG.label}, là "
                                                    "người thật, đang nhắn cho bác qua trợ lý")
    assert "mai 8 giờ cháu qua nhà" in got[0].text and "482913" not in got[0].text and "[đã che]" in got[0].text
    # "Vâng", "cảm ơn" typed by the volunteer go on as they are (the prompt keeps waiting for more words).
    await vol.say("Vâng ạ")
    assert [r.text for r in await delivered(learner)] == [msg.RELAY_TO_LEARNER.format(name="Chị Lan", text="Vâng ạ")]

    # The learner answers in their own words, even "cảm ơn cháu": it goes to the volunteer, marked as theirs.
    for words in ("Được cháu, bác ở nhà cả ngày", "cảm ơn cháu"):
        assert (await learner.say(words))[-1].text == msg.RELAY_PASSED.format(name="Chị Lan")
    notes = await delivered(vol)
    assert [r.text for r in notes] == [msg.RELAY_FROM_LEARNER.format(name="Hoa", text=w)
                                       for w in ("Được cháu, bác ở nhà cả ngày", "cảm ơn cháu")]
    assert [b.label for b in notes[0].buttons] == [msg.BTN_RELAY_REPLY.format(name="Hoa"), msg.BTN_HANDOFF_DONE]
    # Someone in a scam gets the steps at once, and the volunteer sees what they wrote.
    scam = await learner.say("có người gọi bảo bác đọc mã OTP để nhận quà")
    assert any("OTP" in r.text and r.text != msg.RELAY_PASSED.format(name="Chị Lan") for r in scam)
    assert "nhận quà" in (await delivered(vol))[-1].text
    # The learner goes back to the tutor with a tap; their questions are answered again, not passed on.
    back = (await learner.say("thôi nhắn, hỏi trợ lý"))[-1]
    assert back.text == msg.RELAY_BACK.format(name="Chị Lan")
    assert (await delivered(vol))[-1].text == msg.RELAY_LEARNER_LEFT.format(name="Hoa")
    assert "Theo bài" in texts(await learner.say("làm sao cài vneid"))
    assert await delivered(vol) == []

    # Zalo's 48 hours have passed: nothing is sent, the volunteer is told kindly, then told when the learner writes.
    async with tutor.db.transaction() as s:
        await s.execute(update(User).where(User.channel_user_id == "bac")
                        .values(last_seen_at=utcnow() - timedelta(days=3)))
    closed = (await vol.press(notes[0], msg.BTN_RELAY_REPLY.format(name="Hoa")))[-1]
    assert "48 giờ" in closed.text and "Zalo" in closed.text and closed.prompt is None
    assert await delivered(learner) == []
    await learner.say("alo")
    assert (await delivered(vol))[-1].text == msg.RELAY_REACHABLE.format(name="Hoa", hours=48)
    again = (await vol.press(notes[0], msg.BTN_RELAY_REPLY.format(name="Hoa")))[-1]
    assert again.text == msg.RELAY_ASK.format(name="Hoa")
    await vol.say("Bác gửi cháu số điện thoại nhé")
    assert "số điện thoại" in (await delivered(learner))[-1].text

    # «Đã giúp xong»: the learner is told, and their words go to the tutor again.
    assert (await vol.press(notes[0], msg.BTN_HANDOFF_DONE))[-1].text == msg.HANDOFF_CLOSED
    assert (await delivered(learner))[-1].text == msg.RELAY_ENDED.format(name="Chị Lan")
    assert "Theo bài" in texts(await learner.say("làm sao cài vneid"))
    assert await delivered(vol) == []

    # Erasing the learner leaves nothing of what either of them wrote.
    async with tutor.db.transaction() as s:
        kept = [json.dumps(p, ensure_ascii=False) for p in (await s.execute(select(InboxItem.payload))).scalars()]
        kept += [json.dumps(p, ensure_ascii=False) for p in (await s.execute(select(OutboxItem.payload))).scalars()]
    phrases = ("mai 8 giờ", "bác ở nhà cả ngày", "cảm ơn cháu", "nhận quà", "số điện thoại", "Vâng ạ")
    assert all(any(p in k for k in kept) for p in phrases[1:4])  # the learner's words, until erased
    assert not any("mai 8 giờ" in k or "Vâng ạ" in k for k in kept if '"user_id"' in k)  # not in the volunteer's
    await learner.say("/xoadulieu xacnhan")
    async with tutor.db.transaction() as s:
        kept = [json.dumps(p, ensure_ascii=False) for p in (await s.execute(select(InboxItem.payload))).scalars()]
        kept += [json.dumps(p, ensure_ascii=False) for p in (await s.execute(select(OutboxItem.payload))).scalars()]
    assert not [k for k in kept if any(p in k for p in phrases)]


async def test_a_telegram_learner_gets_both_the_link_and_the_tutors_relay(tutor: Tutor) -> None:
    room: dict[str, list[Reply]] = {}
    learner, vol = ScriptedChat(tutor, "555", "telegram", room), ScriptedChat(tutor, "tnv", "telegram", room)
    for chat in (learner, vol):
        await chat.say("xin chào")
    async with tutor.db.transaction() as s:
        await roles.grant(s, "telegram", "tnv", "volunteer", Scope(HONG_BANG.province_code, HONG_BANG.code))
    await _learner(tutor, "555", "telegram", "Tư")
    await learner.say("/gapnguoi dongy dvc")
    claim = [r for r in vol.take() if r.buttons and r.buttons[0].value.startswith("/nhan ")][0]
    taken = (await vol.say(claim.buttons[0].value))[-1]
    assert "tg://user?id=555" in taken.text
    await vol.press(taken, "Nhắn cho Tư")
    await vol.say("Bác Tư ơi, chiều nay cháu gọi bác nhé")
    assert learner.take()[-1].text.startswith("💬 ")
    assert (await learner.say("ừ"))[-1].text == msg.RELAY_PASSED.format(name=msg.STAFF_DEFAULT_NAME.format(
        unit=HONG_BANG.name))
    assert vol.take()[-1].text == msg.RELAY_FROM_LEARNER.format(name="Tư", text="ừ")


def test_codes_are_typed_forgivingly() -> None:
    assert volunteers.clean_code(" k7q2-xm4p ") == "K7Q2XM4P"
    codes = {volunteers.new_code() for _ in range(200)}
    assert len(codes) == 200 and all(set(c) <= set(volunteers.ALPHABET) for c in codes)
    assert not set("01ILOU") & set(volunteers.ALPHABET)


async def test_first_admin_invited_from_the_command_line(tutor: Tutor) -> None:
    import asyncio
    import io

    from bot.cli.admin import cmd_admin_invite

    out = io.StringIO()
    code = await asyncio.to_thread(cmd_admin_invite, tutor.settings, "commune_admin", f"X{HONG_BANG.code}", out)
    assert code == 0
    invite = out.getvalue().split("/thamgia ")[1].split()[0]
    bad = io.StringIO()
    assert await asyncio.to_thread(cmd_admin_invite, tutor.settings, "commune_admin", "VN", bad) == 2
    officer = ScriptedChat(tutor, "can-bo")
    joined = await officer.say(f"/thamgia {invite}")
    assert msg.JOIN_OK.format(role=msg.ROLE_NAMES["commune_admin"], unit=HONG_BANG.label) in texts(joined)
    assert [b.value for b in joined[-1].buttons][:3] == ["/thongke", "/moi", "/quantri"]


async def test_export_and_erase_cover_volunteer_links(tutor: Tutor) -> None:
    import json
    from pathlib import Path

    room: dict[str, list[Reply]] = {}
    vol, learner = ScriptedChat(tutor, "tnv", room=room), ScriptedChat(tutor, "bac", room=room)
    await vol.say("xin chào")
    await learner.say("xin chào")
    await _grant(tutor, "tnv", "volunteer", Scope(HONG_BANG.province_code, HONG_BANG.code))
    await vol.say("/ten Anh Minh")
    await _register(tutor, "bac", HONG_BANG, "Hoa")
    await learner.say("/gapnguoi dongy vneid")
    claim = [r for r in vol.take() if r.buttons and r.buttons[0].value.startswith("/nhan")][0]
    await vol.say(claim.buttons[0].value)

    exported = await learner.say("/taidulieu")
    data = json.loads(Path(exported[-1].file_path or "").read_text(encoding="utf-8"))
    assert data["volunteers_who_see_progress"][0]["volunteer"] == "Anh Minh"
    assert data["help_requests"][0]["status"] == "claimed"

    await learner.say("/xoadulieu xacnhan")
    async with tutor.db.transaction() as s:
        assert (await s.execute(select(func.count()).select_from(VolunteerLink))).scalar_one() == 0
        from storage.models import Handoff

        assert (await s.execute(select(func.count()).select_from(Handoff))).scalar_one() == 0
        from storage.models import AuditEvent

        audit = (await s.execute(select(AuditEvent.action, AuditEvent.subject, AuditEvent.detail))).all()
        assert ("data_erased", "console", None) in audit  # recorded, without who it was
        assert ("role_granted", f"X{HONG_BANG.code}", "volunteer by cli") in audit
    assert "Hoa" not in (await vol.say("/nguoicuatoi"))[-1].text


async def test_the_console_delivers_only_its_own_users_messages(tutor: Tutor) -> None:
    import io

    from bot.channels.console import chat

    async def console(user: str, lines: str) -> str:
        out = io.StringIO()
        await chat(tutor, user, stdin=io.StringIO(lines), stdout=out)
        return out.getvalue()

    await console("tnv", "xin chào\n")
    await console("bac", "xin chào\n")
    await _grant(tutor, "tnv", "volunteer", Scope(HONG_BANG.province_code, HONG_BANG.code))
    await _register(tutor, "bac", HONG_BANG, "Hoa")
    learner = await console("bac", "/gapnguoi dongy luadao\n")
    assert "Có người cần giúp" not in learner  # the volunteer's note is not shown to the learner...
    volunteer = await console("tnv", "")
    assert "Có người cần giúp" in volunteer and "Hoa" in volunteer  # ...it waits for the volunteer


async def test_a_volunteer_records_a_confirmation_they_saw_and_it_is_counted(tutor: Tutor) -> None:
    """Hand-over to the national platform: a learner who finished says so in words, or a volunteer who follows
    them records what they saw; another commune's volunteer cannot; the commune counts both."""
    from storage.models import Completion

    room: dict[str, list[Reply]] = {}
    vol, other, hoa, lan = (ScriptedChat(tutor, u, room=room) for u in ("tnv", "tnv2", "hoa", "lan"))
    for chat in (vol, other, hoa, lan):
        await chat.say("xin chào")
    await _grant(tutor, "tnv", "volunteer", Scope(HONG_BANG.province_code, HONG_BANG.code))
    await _grant(tutor, "tnv2", "volunteer", Scope(OTHER.province_code, OTHER.code))
    for user, name in (("hoa", "Hoa"), ("lan", "Lan")):
        await _register(tutor, user, HONG_BANG, name)
    async with tutor.db.transaction() as s:
        staff = await roles.staff_of(s, (await _user(s, "tnv")).id)
        assert staff is not None
        for user in ("hoa", "lan"):
            learner = await _user(s, user)
            await volunteers.link_learner(s, learner.id, staff.id, "helped")
            s.add(Completion(user_id=learner.id, programme="P", province_code=HONG_BANG.province_code,
                             ward_code=HONG_BANG.code, code=f"C{learner.id}"))

    steps = (await lan.say("xac nhan tren nen tang"))[-1]
    assert "binhdanhocvuso.gov.vn" in steps.text and steps.buttons[0].value == "/xacnhan roi"
    assert (await lan.say("toi da duoc xac nhan"))[-1].text == msg.PLATFORM_SAVED

    mine = (await vol.say("/nguoicuatoi"))[-1]
    seen = [b for b in mine.buttons if b.value.startswith("/daxacnhan")]
    assert [b.label for b in seen] == [msg.BTN_PLATFORM_SEEN.format(name="Hoa")]  # Lan already said so
    hoa_id = seen[0].value.split()[1]
    assert (await other.say(f"/daxacnhan {hoa_id}"))[-1].text == msg.PLATFORM_SEEN_NOT_YOURS
    assert (await vol.say(seen[0].value))[-1].text == msg.PLATFORM_SEEN_SAVED.format(name="Hoa")
    async with tutor.db.transaction() as s:
        by = {u.display_name: u.platform_confirmed_by for u in (await s.execute(select(User))).scalars()
              if u.display_name in ("Hoa", "Lan")}
        rep = await stats.report(s, Scope(HONG_BANG.province_code, HONG_BANG.code))
    assert by == {"Hoa": "volunteer", "Lan": "self"} and rep.total.platform_confirmed == 2


async def _user(s: object, name: str) -> User:
    from sqlalchemy.ext.asyncio import AsyncSession

    assert isinstance(s, AsyncSession)
    return (await s.execute(select(User).where(User.channel == "console", User.channel_user_id == name))).scalar_one()
