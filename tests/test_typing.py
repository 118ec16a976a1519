"""A person who only types: no button, no digit, no diacritics. Real dialogue, real knowledge base, real database."""

from __future__ import annotations

import asyncio
import io
import json

from sqlalchemy import select

from bot import messages as msg
from bot.answers import done_already
from bot.cli.stats import cmd_stats
from bot.prompts import MAX_OFFERS
from bot.service import Tutor
from bot.situation import CALM, MISTAKE, PAY_NOW, SCAM_NOW, Situation, classify
from bot.understand import words
from rag.knowledge import KnowledgeBase
from storage.db import Database
from storage.models import QuestionLog, User, utcnow
from tests.chat import ScriptedChat


async def _user(tutor: Tutor) -> User:
    async with tutor.db.transaction() as s:
        return (await s.execute(select(User))).scalar_one()


async def test_typing_only_consent_register_quiz_retry_and_counted(tutor: Tutor, kb: KnowledgeBase) -> None:
    chat = ScriptedChat(tutor)
    asked = await chat.say("dang ky")
    assert asked[-1].text == msg.CONSENT_ASK
    # A question at the consent prompt is answered, and the prompt comes back in one line with its buttons.
    aside = await chat.say("lam sao cai vneid")
    assert any(r.sources for r in aside)
    assert aside[-1].text.startswith(msg.PROMPT_AGAIN) and msg.CONSENT_AGAIN in aside[-1].text
    assert [b.value for b in aside[-1].buttons] == ["/dongy", "/khongdongy"]
    name_q = await chat.say("dong y")
    assert name_q[-1].text == msg.ASK_NAME
    # A question typed at the name prompt is never stored as the name.
    aside = await chat.say("quen mat khau vneid thi lam sao")
    assert any(r.sources for r in aside) and msg.NAME_AGAIN in aside[-1].text
    assert (await _user(tutor)).display_name is None
    commune_q = await chat.say("toi ten la bac Tu")
    assert commune_q[-1].text == msg.ASK_COMMUNE
    confirm = await chat.say("hong bangg hai phong")
    assert confirm[-1].text == msg.COMMUNE_CONFIRM.format(label="Phường Hồng Bàng, Thành phố Hải Phòng")
    hamlet_q = await chat.say("dung roi")
    assert hamlet_q[-1].text == msg.ASK_HAMLET
    group_q = await chat.say("thon 3")
    assert group_q[-1].text == msg.ASK_GROUP
    age_q = await chat.say("nguoi dan")
    assert age_q[-1].text == msg.ASK_AGE
    vneid_q = await chat.say("68")  # an age, not the 68th button
    assert vneid_q[-1].text == msg.ASK_VNEID
    done = await chat.say("chua")
    assert msg.REG_DONE.format(name="bac Tu").split("!")[0] in done[0].text
    user = await _user(tutor)
    assert (user.display_name, user.hamlet, user.target_group, user.age_band, user.vneid_level2) == (
        "bac Tu", "Thôn 3", "nguoi-dan", "60-69", False)
    assert user.ward_code is not None and user.consent_at is not None

    # A quiz taken by typing the options' letters as words ("cau b"), failed, then retried in words.
    lesson = kb.lesson("vneid-cai-dat")
    assert lesson is not None and lesson.quiz
    await chat.say(f"/kiemtra {lesson.id}")
    for q in lesson.quiz:
        wrong = chat.wrong(q)
        replies = await chat.say(f"cau {'abcd'[wrong]}")
    assert msg.BTN_RETRY in [b.label for b in replies[-1].buttons]
    again = await chat.say("lam lai bai nay")
    assert lesson.title in again[0].text
    # A question in the middle of the quiz is answered, then the quiz question comes back.
    aside = await chat.say("ma otp la gi vay chau")
    assert any(r.sources for r in aside) and any(r.text == msg.QUIZ_AGAIN for r in aside)
    for q in lesson.quiz:
        replies = await chat.say(f"dap an {'abcd'[chat.shown(q)]}")
    assert msg.QUIZ_RESULT_PASS.split("{")[0] in replies[-2].text or any(
        msg.QUIZ_RESULT_PASS.split("{")[0] in r.text for r in replies)

    # The learner is counted in their commune's statistics.
    out = io.StringIO()
    settings = tutor.settings
    assert await asyncio.to_thread(cmd_stats, settings, f"X{user.ward_code}", None, None, "json", out) == 0
    figures = json.loads(out.getvalue())
    assert figures["total"]["registered"] == 1 and figures["total"]["lessons_passed"] == 1


async def test_declining_consent_by_typing(tutor: Tutor) -> None:
    chat = ScriptedChat(tutor)
    await chat.say("/start")
    declined = await chat.say("ko dong y dau")
    assert declined[-1].text == msg.CONSENT_DECLINED
    assert (await _user(tutor)).consent_at is None


async def test_pending_prompt_survives_a_restart(db_url: str, tutor: Tutor, kb: KnowledgeBase) -> None:
    chat = ScriptedChat(tutor)
    await chat.say("dang ky")
    await chat.say("vang, dong y")
    await tutor.db.dispose()
    db = Database(db_url)
    try:
        again = ScriptedChat(Tutor(tutor.settings, db, kb), user=chat.user)
        asked = await again.say("Co Lan")
        assert asked[-1].text == msg.ASK_COMMUNE
        async with db.transaction() as s:
            assert (await s.execute(select(User))).scalar_one().display_name == "Co Lan"
    finally:
        await db.dispose()


async def test_prompt_offered_again_at_most_three_times(tutor: Tutor) -> None:
    chat = ScriptedChat(tutor)
    await chat.say("/start")
    offers = 0
    for question in ["lam sao cai vneid", "ma qr la gi", "cach chuyen tien an toan", "zalo goi video the nao"]:
        replies = await chat.say(question)
        offers += any(r.text.startswith(msg.PROMPT_AGAIN) for r in replies)
    assert offers == MAX_OFFERS


async def test_typed_count_is_recorded_as_typed() -> None:
    from bot.prompts import read
    from bot.staffdesk import PEOPLE_BUTTONS, _count_prompt
    from bot.types import Button

    buttons = tuple(Button(str(n), f"/nhatky vneid {n}") for n in PEOPLE_BUTTONS)
    for typed, value in [("4", 4), ("bon nguoi", 4), ("muoi hai", 12), ("25", 25), ("hai muoi lam", 25)]:
        reading = read(_count_prompt("vneid"), typed, buttons)
        assert reading is not None and reading.value == f"/nhatky vneid {value}", typed


async def test_situations_routed_and_honest_mistake_not_counted(tutor: Tutor) -> None:
    chat = ScriptedChat(tutor)
    sent = await chat.say("chet roi toi vua chuyen 50 trieu cho nguoi xung cong an")
    first = [r for r in sent if r.text != msg.GREETING][0]
    assert first.text.startswith(msg.SCAM_ACT_FIRST["money_sent"][:40])
    app = await chat.say("toi lo cai app nguoi ta gui roi gio dien thoai tu bat tat")
    assert app[0].text.startswith(msg.SCAM_ACT_FIRST["remote_app"][:40])
    fee = await chat.say("ho bao toi trung thuong xe may, phai chuyen truoc 3 trieu phi van chuyen, co nen chuyen k")
    assert fee[0].text == msg.PAY_NOW_ALERT
    wrong = await chat.say("toi chuyen nham so tai khoan roi, lam sao lay lai")
    # The first steps, calmly: ask one's own bank to trace the transfer; no alarm.
    assert not wrong[0].text.startswith("⚠️") and "tra soát" in wrong[0].text
    # Past the first steps (the bank has said it cannot cancel): the next ones, not the first steps again.
    later = await chat.say("chuyen nham roi, goi ngan hang xin huy thi ho bao khong huy duoc, gio lam gi tiep")
    assert not later[0].text.startswith("⚠️") and later[0].text != msg.MISTAKE_WRONG_TRANSFER
    assert "công an" in later[0].text and "kiện" in later[0].text
    calm = await chat.say("ngan hang co bao gio goi dien hoi ma OTP khong")
    assert not calm[0].text.startswith("⚠️")
    async with tutor.db.transaction() as s:
        kinds = [k for (k,) in (await s.execute(select(QuestionLog.kind).order_by(QuestionLog.id))).all()]
    assert kinds[:3] == ["safety", "safety", "safety"] and "safety" not in kinds[3:6]


def test_a_phone_already_taken_over_gets_the_cut_the_network_steps() -> None:
    # What the phone does now tells that the app is in: heats up, cannot be closed, goes dark.
    story = "dang lam theo nguoi goi bam link thi dien thoai nong ran, khong thoat duoc ung dung, gio lam gi"
    assert classify(story) == Situation(SCAM_NOW, "remote_app")
    assert classify("cai app ho gui xong man hinh toi den, may tu bam") == Situation(SCAM_NOW, "remote_app")
    assert done_already(story)
    # The same words about one's own phone, with no app or link in the story, are a device question.
    assert classify("dien thoai nong ran khi sac co sao khong").kind == CALM
    assert classify("dien thoai khong tat duoc nguon thi lam sao").kind == CALM


def test_a_transfer_not_yet_seen_by_the_family_is_no_scam() -> None:
    # The app said done and one's own child has not seen the money: a transfer to trace, not a theft.
    assert classify("toi chuyen tien cho con tren app, man hinh bao thanh cong, tien da bi tru ma con bao chua nhan "
                    "duoc, lam gi") == Situation(CALM)
    # A stranger in the story, or someone asking for it again, keeps the alarm.
    assert classify("nguoi xung cong an bao chuyen, app bao thanh cong ma ho noi chua nhan duoc, bat chuyen lai").kind \
        == SCAM_NOW
    assert classify("toi chuyen tien cho nguoi ban tren zalo, bao thanh cong ma ho bao chua nhan, tien da bi tru") \
        == Situation(SCAM_NOW, "money_sent")  # an online seller: never read as a transfer to trace


def test_situation_rules() -> None:
    assert classify("toi vua doc ma otp cho nguoi goi tu xung ngan hang").kind == SCAM_NOW
    assert classify("toi vua doc ma otp cho nguoi goi tu xung ngan hang").act == "otp_read"
    assert classify("tu dung co nguoi chuyen nham 5 trieu vao tai khoan toi").kind == MISTAKE
    assert classify("co nguoi chuyen nham tien vao tk toi roi goi giuc toi chuyen tra vao so tai khoan khac").kind \
        == SCAM_NOW
    assert classify("nguoi ta bao nop truoc 2 trieu tien coc de nhan viec, co nen nop khong").kind == PAY_NOW
    # Getting one's own money back is no money received; "người nhận nhầm" is the other side; "chuyển nhầm cho tôi"
    # is money received.
    assert classify("ngan hang tra soat roi bao khong doi duoc tien chuyen nham").act == "wrong_transfer"
    assert classify("nguoi nhan nham khong chiu tra tien thi lam sao").act == "wrong_transfer"
    assert classify("chi ban chuyen nham cho toi 300k, tra lai the nao").act == "received"
    assert classify("nguoi chuyen nham nhan tin xin lai tien, toi tra the nao").act == "received"
    # One's own pension received into one's own personal account is no payment to a stranger.
    assert classify("toi muon nhan luong huu hang thang qua tai khoan ca nhan thi lam the nao").kind == CALM
    assert classify("ho bao chuyen tien vao tai khoan ca nhan de dong thue truoc").kind == PAY_NOW
    # A parcel that "could not be sent" is no money sent; money taken after a threat is; a how-to is calm.
    assert classify("buu dien goi bao buu pham gui khong duoc roi noi may cho nguoi xung cong an, bat chuyen tien de "
                    "xac minh, co nen chuyen khong") == Situation(SCAM_NOW, "none_yet")
    assert classify("nguoi xung dien luc goi doa cat dien roi gui link, toi bam vao thi tai khoan bi tru 50 trieu") \
        == Situation(SCAM_NOW, "money_sent")
    assert classify("Cach chuyen tien an toan, tranh lua dao va bao mat tai khoan ngan hang").kind == CALM


async def test_two_questions_first_answered_second_offered(tutor: Tutor) -> None:
    chat = ScriptedChat(tutor)
    replies = await chat.say("Làm sao cài VNeID cho đúng? Còn quên mật khẩu VNeID thì lấy lại thế nào?")
    answer = next(r for r in replies if r.sources)
    lesson = tutor.kb.lesson(answer.sources[0])
    assert lesson is not None and "vneid.install" in lesson.topics
    offer = replies[-1]
    assert "quên mật khẩu" in offer.text and [b.value for b in offer.buttons] == ["/hoitiep"]
    second = await chat.say("hoi tiep")
    later = next(r for r in second if r.sources)
    assert later.sources[0] != answer.sources[0]


REGISTRATION_STEPS = [
    # (what brings the prompt up, the prompt's re-offer line, a typed answer, what the answer leads to)
    ([], msg.NAME_AGAIN, "goi toi la co Lan", msg.ASK_COMMUNE),
    (["co Lan"], msg.COMMUNE_AGAIN, "hong bang hai phong", None),
    (["co Lan", "hong bang hai phong"], msg.CONFIRM_AGAIN, "dung roi", msg.ASK_HAMLET),
    (["co Lan", "hong bang hai phong", "dung"], msg.HAMLET_AGAIN, "to 5", msg.ASK_GROUP),
    (["co Lan", "bo qua", "bo qua"], msg.GROUP_AGAIN, "huu tri", msg.ASK_AGE),
    (["co Lan", "bo qua", "bo qua", "nguoi dan"], msg.AGE_AGAIN, "sinh nam 1958", msg.ASK_VNEID),
    (["co Lan", "bo qua", "bo qua", "nguoi dan", "68"], msg.VNEID_AGAIN, "co roi", None),
]


async def test_a_question_at_every_registration_prompt_is_answered_and_the_prompt_resumes(tutor: Tutor) -> None:
    for i, (before, again, answer, then) in enumerate(REGISTRATION_STEPS):
        chat = ScriptedChat(tutor, user=f"step{i}")
        await chat.say("dang ky")
        await chat.say("dong y")
        for typed in before:
            await chat.say(typed)
        aside = await chat.say("cach chuyen tien bang ma qr cho an toan")
        assert any(r.sources for r in aside), again
        assert aside[-1].text.startswith(msg.PROMPT_AGAIN) and again in aside[-1].text
        replies = await chat.say(answer)
        if then is not None:
            assert replies[-1].text == then, (again, answer)
    async with tutor.db.transaction() as s:
        users = {u.channel_user_id: u for u in (await s.execute(select(User))).scalars()}
    # Nothing typed as a question was stored as an answer.
    assert all("chuyen" not in (u.display_name or "").lower() and "qr" not in (u.hamlet or "").lower()
               for u in users.values())
    assert users["step4"].target_group == "nguoi-dan" and users["step5"].age_band == "60-69"
    assert users["step6"].vneid_level2 is True and users["step3"].hamlet == "Tổ 5"


async def test_a_scam_at_a_prompt_gets_the_emergency_first_and_the_prompt_back(tutor: Tutor) -> None:
    chat = ScriptedChat(tutor)
    await chat.say("dang ky")
    replies = await chat.say("cuu toi, nguoi xung cong an bat toi chuyen tien vao tai khoan tam giu")
    assert replies[0].text.startswith("⚠️") and [b.value for b in replies[0].buttons] == ["/gapnguoi"]
    assert not any(msg.CONSENT_AGAIN in r.text for r in replies)  # not pestered with the form in an emergency
    assert (await _user(tutor)).consent_at is None  # an emergency is never read as "yes"
    later = await chat.say("dong y")  # the prompt still waits
    assert later[-1].text == msg.ASK_NAME


async def test_volunteer_count_and_family_code_typed(tutor: Tutor) -> None:
    from storage import roles, units
    from storage.units import Scope

    commune = units.find_communes("Hồng Bàng Hải Phòng")[0]
    vol = ScriptedChat(tutor, user="vol")
    await vol.say("xin chao")
    async with tutor.db.transaction() as s:
        await roles.grant(s, "console", "vol", "volunteer", Scope.parse(f"X{commune.code}"))
    await vol.say("/nhatky vneid")
    aside = await vol.say("lam sao cai vneid")
    assert any(r.sources for r in aside) and msg.COUNT_AGAIN in aside[-1].text
    done = await vol.say("bon nguoi")  # not the fourth button ("5")
    assert "4" in done[-1].text
    learner = ScriptedChat(tutor, user="learner")
    await learner.say("xin chao")
    async with tutor.db.transaction() as s:
        user = (await s.execute(select(User).where(User.channel_user_id == "learner"))).scalar_one()
        user.consent_at, user.ward_code, user.province_code = utcnow(), commune.code, commune.province_code
    await learner.say("/giadinh nhap")
    aside = await learner.say("quen mat khau vneid thi lam sao")
    assert any(r.sources for r in aside) and msg.HOUSEHOLD_AGAIN in aside[-1].text


async def test_a_reply_not_understood_at_a_prompt_is_not_logged_as_a_question(tutor: Tutor) -> None:
    """The unanswered-questions page holds what people asked, not the tutor's own misses at its prompts."""
    chat = ScriptedChat(tutor, "nguoi-go")
    await chat.say("/start")  # the consent prompt is pending
    await chat.say("bong da")  # neither an answer to the prompt nor a question the tutor can answer
    async with tutor.db.transaction() as s:
        logged0 = (await s.execute(select(QuestionLog))).scalars().all()
        assert logged0 == [], [(q.kind, q.text) for q in logged0]
    await chat.say("cho hỏi giá vàng hôm nay bao nhiêu một chỉ vậy cháu")  # a real question, asked at the prompt
    async with tutor.db.transaction() as s:
        logged = (await s.execute(select(QuestionLog))).scalars().all()
    assert [q.text for q in logged] == ["cho hỏi giá vàng hôm nay bao nhiêu một chỉ vậy cháu"]


async def test_agreeing_in_words_with_nothing_waiting_shows_the_consent_text(tutor: Tutor) -> None:
    """"dong y" typed before any consent prompt (or after it expired) leads to the consent text, never to a
    registration without it, and never to "cháu chưa trả lời được"."""
    chat = ScriptedChat(tutor, "dong-y-truoc")
    await chat.say("lam sao cai vneid")
    shown = (await chat.say("dong y"))[-1]
    assert shown.text == msg.CONSENT_ASK and msg.BTN_AGREE in [b.label for b in shown.buttons]
    assert (await _user(tutor)).consent_at is None  # shown, not given
    await chat.say("dong y")  # now it answers the consent prompt
    assert (await _user(tutor)).consent_at is not None


def test_a_loss_found_out_afterwards_is_told_as_done() -> None:
    # Found out afterwards, or a loss with "gần/hơn" before the amount: the after-the-loss steps, not "don't pay".
    assert done_already("con nhan facebook xin tien, toi chuyen ngay 50 trieu, sau moi biet la ke gian gia danh")
    assert done_already("ve nha moi phat hien bi lua, gio lam sao")
    assert done_already("lam theo ho xong thi tai khoan mat hon 200 trieu")
    # Asked for, not done: no "you have been robbed" steps.
    assert not done_already("ho bao chuyen 5 ti de xac minh, co nen khong")
    assert not done_already("nguoi ta goi doi chuyen tien, lam sao biet la lua hay that")


def test_the_other_spelling_of_billions_is_money() -> None:
    assert " ".join(words("mất gần 6 tỉ, mấy tỉ đồng, đợi tí")) == "mat gan 6 ty may ty dong doi ti"


def test_an_atm_paying_out_too_much_is_no_scam() -> None:
    # Extra cash from the machine and nothing taken from the account: the bank's matter, not a theft.
    assert classify("ra cay atm rut 5 trieu, bam huy roi ma may van nha ra 2 trieu, tai khoan khong bi tru dong nao, "
                    "gio toi lam sao").kind == CALM
    assert classify("may atm nha thua 1 trieu, tai khoan chua bi tru, toi phai lam gi").kind == CALM
    # Money taken from the account in a scam story still is.
    assert classify("nguoi xung ngan hang goi, toi lam theo thi tai khoan bi tru 20 trieu").kind == SCAM_NOW


def test_a_transfer_found_out_later_is_money_sent_even_when_asked_about() -> None:
    # Told as it happened and found out afterwards: the after-the-loss steps, not "don't transfer".
    assert classify("toi chuyen 30 trieu cho nguoi xung chau noi, sau moi biet la ke gian, gio lam sao") \
        == Situation(SCAM_NOW, "money_sent")
    # Asked to, and found out before doing it: still a demand to pay, nothing done.
    assert classify("ho bao toi chuyen 30 trieu, sau moi biet la ke gian nen chua chuyen, gio lam sao").act is None


def test_nen_before_an_act_tells_what_followed() -> None:
    # "bố tin nên chuyển": so he transferred (done); "có nên chuyển", "tôi nên chuyển không": should I (not done).
    assert done_already("có người xưng chuyên viên tư vấn lương hưu gọi, bố tin nên chuyển gần 100 triệu")
    assert done_already("sợ quá nên đọc mã cho họ")
    assert not done_already("họ bảo chuyển, tôi có nên chuyển không")
    assert not done_already("tôi nên chuyển không")
    assert not done_already("nên chuyển hay không")
