"""The Zalo OA channel against a local stand-in of the OA API and OAuth (loopback HTTP), through the real web app."""

from __future__ import annotations

import asyncio
import hashlib
import json
import socket
import time
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from pydantic import SecretStr
from sqlalchemy import func, select, update

from bot import messages as msg
from bot.channels.zalo import ZaloChannel
from bot.channels.zalo_api import Tokens, parse_event, signature, split_text, text_messages
from bot.config import ZaloSettings
from bot.service import Tutor
from bot.types import Button, Reply
from bot.web import build_app
from rag.knowledge import KnowledgeBase
from storage import repo, roles, units
from storage.db import Database
from storage.models import ChannelToken, InboxItem, OutboxItem, User, utcnow
from storage.units import Scope
from tests.chat import ScriptedChat, shown_in
from tests.zalo_standin import ZaloStandIn

DATA = Path(__file__).parent / "data"
USER = "246845883529197922"
CS = "/v3.0/oa/message/cs"


def make_cfg(standin: ZaloStandIn, **overrides: Any) -> ZaloSettings:
    values: dict[str, Any] = dict(
        app_id=standin.APP_ID, secret_key=SecretStr(standin.APP_SECRET), oa_secret_key=SecretStr(standin.OA_SECRET),
        access_token=SecretStr(standin.access_token), refresh_token=SecretStr(standin.refresh_token),
        api_base=standin.base, oauth_base=standin.base, per_second=1000.0)
    return ZaloSettings(**{**values, **overrides})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_for(cond: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


@pytest.fixture
async def standin() -> AsyncIterator[ZaloStandIn]:
    async with ZaloStandIn() as s:
        yield s


class Served:
    """A Zalo channel whose webhook is served by the real web app on a loopback port."""

    def __init__(self, channel: ZaloChannel, url: str) -> None:
        self.channel = channel
        self.url = url


async def serve(tutor: Tutor, standin: ZaloStandIn, **overrides: Any) -> AsyncIterator[Served]:
    channel = ZaloChannel(tutor, make_cfg(standin, **overrides))
    await channel.start()
    port = _free_port()
    app = build_app(tutor, tutor.settings, [channel])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    try:
        await wait_for(lambda: server.started, 10)
        yield Served(channel, f"http://127.0.0.1:{port}/zalo/webhook")
    finally:
        server.should_exit = True
        await serving
        await channel.stop()


@pytest.fixture
async def served(tutor: Tutor, standin: ZaloStandIn) -> AsyncIterator[Served]:
    async for s in serve(tutor, standin):
        yield s


async def count(tutor: Tutor, model: Any) -> int:
    async with tutor.db.transaction() as s:
        return int((await s.execute(select(func.count()).select_from(model))).scalar_one())


# ---------------------------------------------------------------- formats (no server)


def test_recorded_payloads_parse() -> None:
    events = json.loads((DATA / "zalo_events.json").read_text())
    text = parse_event(events["user_send_text"])
    assert text is not None and text.incoming is not None
    assert (text.user_id, text.delivery_id, text.incoming.text) == (USER, "96d3cdf3af150460909", "lam sao cai vneid")
    for kind in ("user_send_image", "user_send_sticker"):
        event = parse_event(events[kind])
        assert event is not None and event.incoming is not None and event.incoming.non_text
    follow = parse_event(events["follow"])
    assert follow is not None and follow.incoming is not None and follow.incoming.text == "/start"
    assert follow.user_id == USER
    unfollow = parse_event(events["unfollow"])
    assert unfollow is not None and unfollow.incoming is None and unfollow.user_id == USER
    assert parse_event(events["user_seen_message"]) is None
    # Ids that are not what Zalo sends (a NUL, a dict) never become keys (fuzzing found both).
    assert parse_event({**events["follow"], "follower": {"id": "\x00"}}) is None
    assert parse_event({**events["user_send_text"], "sender": {"id": {"a": 1}}}) is None
    # A button's payload comes back as text: recognised as the button, typed text stays text.
    pressed = parse_event({**events["user_send_text"], "message": {"text": "/traloi 12 0 2", "msg_id": "x"}})
    assert pressed is not None and pressed.incoming is not None and pressed.incoming.button == "/traloi 12 0 2"
    typed = parse_event({**events["user_send_text"], "message": {"text": "K7Q2XM", "msg_id": "y"}})
    assert typed is not None and typed.incoming is not None and typed.incoming.text == "K7Q2XM"


def test_signature_is_the_documented_formula() -> None:
    body = (DATA / "zalo_events.json").read_bytes()
    expected = hashlib.sha256(b"app" + body + b"154390853474" + b"key").hexdigest()
    assert signature("app", body, "154390853474", "key") == "mac=" + expected


def test_buttons_within_zalo_limits_or_numbered() -> None:
    few = text_messages(Reply("Chọn", (Button("A", "/traloi 1 0 0"), Button("x" * 150, "/traloi 1 0 1"))))
    assert len(few) == 1
    buttons = few[0]["attachment"]["payload"]["buttons"]
    assert [b["payload"] for b in buttons] == ["/traloi 1 0 0", "/traloi 1 0 1"]
    assert all(b["type"] == "oa.query.hide" and len(b["title"]) <= 100 for b in buttons)
    many = text_messages(Reply("Các bài", tuple(Button(f"Bài {i}", f"/bai b{i}") for i in range(7))))
    assert "attachment" not in many[-1]
    assert "1. Bài 0" in many[-1]["text"] and "7. Bài 6" in many[-1]["text"]
    assert msg.ZALO_CHOOSE_NUMBER.format(numbers="1, 2, 3") in many[-1]["text"]
    long = text_messages(Reply("\n\n".join("đoạn " * 300 for _ in range(3)), (Button("A", "/a"),)))
    assert len(long) >= 2 and all(len(m["text"]) <= 2000 for m in long)
    assert "attachment" in long[-1] and "attachment" not in long[0]
    assert split_text("ngắn") == ["ngắn"]


# ---------------------------------------------------------------- conversations through the webhook


async def test_question_gets_an_answer_with_buttons(served: Served, standin: ZaloStandIn) -> None:
    status, seconds = await standin.post_webhook(served.url, standin.text_event(USER, "lam sao cai vneid"))
    assert status == 200 and seconds < 2.0
    await wait_for(lambda: len(standin.sent(USER)) >= 2)
    greeting, answer = standin.sent(USER)[:2]
    assert greeting["text"] == msg.GREETING
    assert "Theo bài" in answer["text"]
    buttons = answer["attachment"]["payload"]["buttons"]
    assert any(b["title"] == msg.BTN_QUIZ for b in buttons)
    assert all(b["type"] == "oa.query.hide" and b["payload"].startswith("/") for b in buttons)
    assert all(c.headers["access_token"] == standin.access_token for c in standin.calls(CS))


async def test_full_quiz_by_quick_replies_then_progress_picture(served: Served, standin: ZaloStandIn,
                                                                kb: KnowledgeBase) -> None:
    lesson = kb.lesson("vneid-cai-dat")
    assert lesson is not None
    # The payload of the "Làm bài kiểm tra" button, as Zalo sends it back.
    await standin.post_webhook(served.url, standin.text_event(USER, "/kiemtra vneid-cai-dat"))
    await wait_for(lambda: any(t.startswith("Câu 1/") for t in standin.texts(USER)))
    for i, q in enumerate(lesson.quiz):
        last = standin.sent(USER)[-1]
        assert last["text"].startswith(f"Câu {i + 1}/")
        payload = last["attachment"]["payload"]["buttons"][shown_in(last["text"], q)]["payload"]
        await standin.post_webhook(served.url, standin.text_event(USER, payload))
        await wait_for(_right_answers(standin, i + 1))
        if i + 1 < len(lesson.quiz):
            await wait_for(_last_starts(standin, f"Câu {i + 2}/"))
    await wait_for(lambda: any(f"{len(lesson.quiz)}/{len(lesson.quiz)}" in t for t in standin.texts(USER)))
    await standin.post_webhook(served.url, standin.text_event(USER, "📊 Tiến độ"))
    await wait_for(lambda: any("attachment" in m and m["attachment"]["payload"].get("template_type") == "media"
                               for m in standin.sent(USER)))
    uploads = standin.calls("/v2.0/oa/upload/image")
    assert len(uploads) == 1 and uploads[0].files[0].startswith("file:") and uploads[0].files[0].count(".png")
    media = [m for m in standin.sent(USER) if "attachment" in m and "elements" in m["attachment"]["payload"]]
    assert media[-1]["attachment"]["payload"]["elements"][0]["attachment_id"].startswith("att")


def _right_answers(standin: ZaloStandIn, n: int) -> Callable[[], bool]:
    return lambda: sum(t.startswith(msg.QUIZ_RIGHT) for t in standin.texts(USER)) == n


def _last_starts(standin: ZaloStandIn, prefix: str) -> Callable[[], bool]:
    return lambda: standin.texts(USER)[-1].startswith(prefix)


async def test_bad_signature_missing_header_and_stale_events_are_refused(served: Served, standin: ZaloStandIn,
                                                                         tutor: Tutor) -> None:
    event = standin.text_event(USER, "chuyển khoản nhầm thì làm sao")
    body, headers = standin.signed(event)
    wrong = {**headers, "X-ZEvent-Signature": standin.signed(event, secret="other")[1]["X-ZEvent-Signature"]}
    assert (await standin.post_webhook(served.url, event, headers=wrong, body=body))[0] == 403
    missing = {"Content-Type": "application/json"}
    assert (await standin.post_webhook(served.url, event, headers=missing, body=body))[0] == 403
    tampered = body.replace("nhầm".encode(), "đúng".encode())
    assert (await standin.post_webhook(served.url, event, headers=headers, body=tampered))[0] == 403
    stale = standin.text_event(USER, "xin chào", ts=int(time.time() * 1000) - 2 * 3600 * 1000)
    assert (await standin.post_webhook(served.url, stale))[0] == 403
    future = standin.text_event(USER, "xin chào", ts=int(time.time() * 1000) + 3600 * 1000)
    assert (await standin.post_webhook(served.url, future))[0] == 403
    assert (await standin.post_webhook(served.url, event, headers=headers, body=b"not json"))[0] == 400
    await asyncio.sleep(0.3)
    assert await count(tutor, InboxItem) == 0 and await count(tutor, User) == 0
    assert standin.calls(CS) == []


async def test_hostile_bodies_are_refused_before_parsing_and_never_give_500(served: Served, standin: ZaloStandIn,
                                                                             tutor: Tutor) -> None:
    event = standin.text_event(USER, "xin chào")
    ts = str(event["timestamp"])
    nested = b'{"timestamp":"' + ts.encode() + b'","x":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    unsigned = {"X-ZEvent-Signature": "0" * 64, "Content-Type": "application/json"}
    assert (await standin.post_webhook(served.url, event, headers=unsigned, body=nested))[0] == 403
    signed = {"X-ZEvent-Signature": signature(standin.APP_ID, nested, ts, standin.OA_SECRET),
              "Content-Type": "application/json"}
    assert (await standin.post_webhook(served.url, event, headers=signed, body=nested))[0] == 400
    huge = b'{"timestamp":"' + ts.encode() + b'","x":"' + b"a" * (300 * 1024) + b'"}'
    assert (await standin.post_webhook(served.url, event, headers=unsigned, body=huge))[0] == 413
    assert await count(tutor, InboxItem) == 0


async def test_duplicate_event_is_answered_once(served: Served, standin: ZaloStandIn, tutor: Tutor) -> None:
    event = standin.text_event(USER, "Smart OTP là gì")
    assert (await standin.post_webhook(served.url, event))[0] == 200
    assert (await standin.post_webhook(served.url, event))[0] == 200  # Zalo's retry of the same event
    await standin.post_webhook(served.url, standin.text_event(USER, "cảm ơn"))
    await wait_for(lambda: msg.THANKS in standin.texts(USER))
    assert sum("Theo bài" in t for t in standin.texts(USER)) == 1
    assert await count(tutor, InboxItem) == 2


async def test_secrets_are_redacted_before_the_inbox(served: Served, standin: ZaloStandIn, tutor: Tutor) -> None:
    await standin.post_webhook(served.url, standin.text_event(USER, "ngân hàng gửi mã OTP 482913 có đọc cho ai không"))
    await wait_for(lambda: msg.REDACTED_WARNING in standin.texts(USER))
    async with tutor.db.transaction() as s:
        payload = (await s.execute(select(InboxItem.payload))).scalar_one()
    assert "482913" not in json.dumps(payload) and payload["redacted"] is True


async def test_a_volunteer_reaches_a_zalo_learner_through_the_oa_and_gets_the_reply(served: Served,
                                                                                    standin: ZaloStandIn,
                                                                                    tutor: Tutor) -> None:
    commune = units.find_communes("hong bang")[0]
    await standin.post_webhook(served.url, standin.text_event(USER, "xin chào"))
    await wait_for(lambda: msg.GREETING in standin.texts(USER))
    room: dict[str, list[Reply]] = {}
    vol = ScriptedChat(tutor, "tnv", "telegram", room)
    await vol.say("xin chào")
    async with tutor.db.transaction() as s:
        await roles.grant(s, "telegram", "tnv", "volunteer", Scope(commune.province_code, commune.code))
        await s.execute(update(User).where(User.channel == "zalo").values(
            consent_at=utcnow(), display_name="Hoa", province_code=commune.province_code, ward_code=commune.code))
    await vol.say("/ten Chị Lan")
    await standin.post_webhook(served.url, standin.text_event(USER, "/gapnguoi dongy vneid"))
    await wait_for(lambda: msg.HANDOFF_SENT.format(unit=commune.label) in standin.texts(USER))

    queue = (await vol.say("/hangdoi"))[-1]
    taken = (await vol.press(queue, "Nhận giúp Hoa"))[-1]
    await vol.press(taken, "Nhắn cho Hoa")
    await vol.say("Chào bác Hoa, chiều nay cháu qua nhà nhé. Mã 482913 bác đừng đọc cho ai")
    await served.channel.deliver()  # the volunteer's words leave through the OA API, to the learner
    await wait_for(lambda: any(t.startswith("💬 Chị Lan") for t in standin.texts(USER)))
    relayed = next(t for t in standin.texts(USER) if t.startswith("💬 Chị Lan"))
    assert "chiều nay cháu qua nhà" in relayed and "482913" not in relayed and "người thật" in relayed

    await standin.post_webhook(served.url, standin.text_event(USER, "Dạ được, bác chờ cháu"))
    await wait_for(lambda: msg.RELAY_PASSED.format(name="Chị Lan") in standin.texts(USER))
    before = len(vol.sent)
    await tutor.deliver("telegram", vol._send)
    assert [r.text for r in vol.sent[before:]] == [msg.RELAY_FROM_LEARNER.format(name="Hoa",
                                                                                text="Dạ được, bác chờ cháu")]


async def test_other_kinds_of_message_and_follow_events(served: Served, standin: ZaloStandIn,
                                                        tutor: Tutor) -> None:
    await standin.post_webhook(served.url, standin.follow_event(USER))
    await wait_for(lambda: msg.GREETING in standin.texts(USER))
    for kind in ("image", "sticker", "file"):
        await standin.post_webhook(served.url, standin.media_event(USER, kind))
    await wait_for(lambda: standin.texts(USER).count(msg.NON_TEXT) == 3)
    # A voice note whose link does not answer: said kindly, nothing lost.
    await standin.post_webhook(served.url, standin.audio_event(USER, None, "gone.aac"))
    await wait_for(lambda: msg.VOICE_UNREADABLE in standin.texts(USER))
    sent = len(standin.calls(CS))
    await standin.post_webhook(served.url, standin.follow_event(USER, "unfollow"))
    await asyncio.sleep(0.3)
    assert len(standin.calls(CS)) == sent  # nothing is said to someone who left
    async with tutor.db.transaction() as s:
        assert (await s.execute(select(User.active))).scalar_one() is False


# ---------------------------------------------------------------- tokens


async def test_token_expiry_mid_conversation_is_refreshed_once(served: Served, standin: ZaloStandIn,
                                                               tutor: Tutor) -> None:
    await standin.post_webhook(served.url, standin.text_event(USER, "quên mật khẩu VNeID"))
    await wait_for(lambda: sum("Theo bài" in t for t in standin.texts(USER)) == 1)
    first_refresh = standin.refresh_token
    standin.expire_all()
    await standin.post_webhook(served.url, standin.text_event(USER, "Smart OTP là gì"))
    await wait_for(lambda: sum("Theo bài" in t for t in standin.texts(USER)) == 2)
    assert len(standin.refreshes()) == 1 and len(standin.refreshes(ok=True)) == 1
    assert sum(c.error == -220 for c in standin.calls(CS)) == 1  # one refused send, then the refresh
    assert standin.refresh_tokens[first_refresh] is False  # spent
    async with tutor.db.transaction() as s:
        row = (await s.execute(select(ChannelToken))).scalar_one()
    assert row.refresh_token in standin.refresh_tokens and standin.refresh_tokens[row.refresh_token] is True
    assert row.access_token == standin.calls(CS)[-1].headers["access_token"] and row.expires_at is not None


async def test_token_is_refreshed_before_it_expires(tutor: Tutor, standin: ZaloStandIn) -> None:
    channel = ZaloChannel(tutor, make_cfg(standin))
    await channel.start()
    async with tutor.db.transaction() as s:
        await s.execute(update(ChannelToken).values(expires_at=utcnow() + timedelta(seconds=60)))
        user = await repo.get_or_create_user(s, "zalo", USER)
        await repo.outbox_push(s, "zalo", user.channel_user_id, Reply("Nhắc bác ôn bài").to_payload())
    await channel.deliver()
    await channel.stop()
    assert standin.texts(USER) == ["Nhắc bác ôn bài"]
    assert len(standin.refreshes(ok=True)) == 1 and all(c.error == 0 for c in standin.calls(CS))


async def test_two_workers_refresh_once_and_share_the_new_token(tutor: Tutor, standin: ZaloStandIn) -> None:
    import httpx

    cfg = make_cfg(standin)
    other_db = Database(tutor.db.url)
    async with httpx.AsyncClient() as h1, httpx.AsyncClient() as h2:
        first, second = Tokens(tutor.db, cfg, h1), Tokens(other_db, cfg, h2)
        await first.seed()
        await second.seed()  # a second worker starting from the same configuration changes nothing
        async with tutor.db.transaction() as s:
            await s.execute(update(ChannelToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        standin.oauth_delay = 0.3  # both see the expired token while the first refresh is running
        a, b = await asyncio.gather(first.get(), second.get())
        # And a worker whose send was refused with the old token gets the stored one, without a refresh.
        c = await second.refresh(stale=standin.access_token)
    await other_db.dispose()
    assert a == b == c and a != standin.access_token
    assert len(standin.refreshes()) == 1  # a second refresh would have spent a used refresh token


async def test_failed_refresh_alerts_admins_and_keeps_messages_queued(tutor: Tutor, standin: ZaloStandIn) -> None:
    async with tutor.db.transaction() as s:
        await roles.grant(s, "telegram", "900", "national_admin", Scope())
        await roles.grant(s, "zalo", "901", "national_admin", Scope())  # not on Telegram: not alerted there
        user = await repo.get_or_create_user(s, "zalo", USER)
        await repo.outbox_push(s, "zalo", user.channel_user_id, Reply("Nhắc bác ôn bài").to_payload())
    channel = ZaloChannel(tutor, make_cfg(standin, refresh_retry=0))
    await channel.start()  # the configured token works
    assert standin.texts(USER) == ["Nhắc bác ôn bài"]
    standin.expire_all()
    standin.oauth_down = True
    async with tutor.db.transaction() as s:
        await repo.outbox_push(s, "zalo", USER, Reply("Câu trả lời đang chờ").to_payload())
    await channel.deliver()
    await channel.deliver()  # tried again: still failing, admins are not told twice
    assert len(standin.refreshes()) == 2 and standin.texts(USER) == ["Nhắc bác ôn bài"]
    async with tutor.db.transaction() as s:
        alerts = list(await repo.outbox_unsent(s, "telegram"))
        waiting = list(await repo.outbox_unsent(s, "zalo"))
        row = (await s.execute(select(ChannelToken))).scalar_one()
    assert [(a.channel_user_id, a.payload["text"]) for a in alerts] == [("900", msg.ZALO_TOKEN_ALERT)]
    assert len(waiting) == 1 and waiting[0].error is None and row.error and row.alerted_at is not None
    standin.oauth_down = False
    await channel.deliver()
    await channel.stop()
    assert standin.texts(USER) == ["Nhắc bác ôn bài", "Câu trả lời đang chờ"]
    async with tutor.db.transaction() as s:
        row = (await s.execute(select(ChannelToken))).scalar_one()
    assert row.error is None and row.alerted_at is None


async def test_new_tokens_in_the_configuration_replace_the_stored_pair(tutor: Tutor, standin: ZaloStandIn) -> None:
    channel = ZaloChannel(tutor, make_cfg(standin))
    await channel.tokens.seed()
    async with tutor.db.transaction() as s:
        await s.execute(update(ChannelToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert await channel.tokens.get() != standin.access_token  # refreshed
    await channel.tokens.seed()  # a restart with the same configuration keeps the refreshed pair
    assert len(standin.refreshes()) == 1 and await channel.tokens.get() != standin.access_token
    access, refresh = standin.issue()  # the OA was authorised again
    again = ZaloChannel(tutor, make_cfg(standin, access_token=SecretStr(access), refresh_token=SecretStr(refresh)))
    await again.tokens.seed()
    assert await again.tokens.get() == access
    await channel.stop()
    await again.stop()


# ---------------------------------------------------------------- restarts, windows and error codes


async def test_event_stored_before_a_crash_is_answered_once_after_restart(tutor: Tutor, standin: ZaloStandIn) -> None:
    first = ZaloChannel(tutor, make_cfg(standin))
    await first.tokens.seed()
    event = parse_event(standin.text_event(USER, "mã OTP là gì"))
    assert event is not None
    assert await first.store(event) is not None  # stored; the process dies before processing
    await first.stop()
    second = ZaloChannel(tutor, make_cfg(standin))
    await second.start()  # picks up what the previous process left
    await second.start()  # and a second start sends nothing again
    await second.stop()
    assert sum("Theo bài" in t for t in standin.texts(USER)) == 1


async def test_reminder_outside_the_window_is_held_then_sent_after_the_next_message(
        served: Served, standin: ZaloStandIn, tutor: Tutor) -> None:
    async with tutor.db.transaction() as s:
        user = await repo.get_or_create_user(s, "zalo", USER)
        user.last_seen_at = utcnow() - timedelta(hours=50)
        user.context = {"greeted": True}
        await repo.outbox_push(s, "zalo", USER, Reply("Đến lúc ôn bài rồi bác ạ").to_payload())
        recent = await repo.get_or_create_user(s, "zalo", "recent")
        recent.last_seen_at = utcnow() - timedelta(hours=47)
        await repo.outbox_push(s, "zalo", "recent", Reply("Đến lúc ôn bài rồi bác ạ").to_payload())
    await served.channel.deliver()
    await served.channel.deliver()  # held, not retried
    assert standin.texts("recent") == ["Đến lúc ôn bài rồi bác ạ"] and standin.sent(USER) == []
    assert len(standin.calls(CS)) == 1
    async with tutor.db.transaction() as s:
        held = (await s.execute(select(OutboxItem).where(OutboxItem.channel_user_id == USER))).scalar_one()
    assert held.sent_at is None and held.error == "window"
    await standin.post_webhook(served.url, standin.text_event(USER, "Smart OTP là gì"))
    await wait_for(lambda: "Đến lúc ôn bài rồi bác ạ" in standin.texts(USER))
    texts = standin.texts(USER)
    assert "Theo bài" in texts[0] and texts[-1] == "Đến lúc ôn bài rồi bác ạ"  # the answer first


async def test_zalo_error_codes(tutor: Tutor, standin: ZaloStandIn) -> None:
    async with tutor.db.transaction() as s:
        for name in ("closed", "gone", "quota", "ok"):
            await repo.get_or_create_user(s, "zalo", name)
            await repo.outbox_push(s, "zalo", name, Reply(f"tin cho {name}").to_payload())
    standin.window_closed.add("closed")
    standin.not_following.add("gone")
    channel = ZaloChannel(tutor, make_cfg(standin))
    await channel.tokens.seed()
    await channel.deliver()
    await channel.deliver()
    async with tutor.db.transaction() as s:
        rows = {o.channel_user_id: o for o in (await s.execute(select(OutboxItem))).scalars()}
        gone = (await s.execute(select(User).where(User.channel_user_id == "gone"))).scalar_one()
    assert rows["closed"].error == "window" and rows["closed"].sent_at is None  # kept for the next visit
    assert rows["gone"].error == "invalid_user" and rows["gone"].sent_at is not None and gone.active is False
    assert rows["ok"].sent_at is not None and rows["quota"].sent_at is not None
    assert [len([c for c in standin.calls(CS) if c.body["recipient"]["user_id"] == u]) for u in ("closed", "gone")] \
        == [1, 1]  # never retried in a loop
    # Out of quota: everything stays queued and sending pauses.
    standin.fail_next(CS, -211)
    async with tutor.db.transaction() as s:
        await repo.outbox_push(s, "zalo", "quota", Reply("tin thứ hai").to_payload())
    await channel.deliver()
    calls = len(standin.calls(CS))
    await channel.deliver()
    assert len(standin.calls(CS)) == calls  # paused
    async with tutor.db.transaction() as s:
        waiting = list(await repo.outbox_sendable(s, "zalo"))
    assert [w.payload["text"] for w in waiting] == ["tin thứ hai"]
    await channel.stop()


async def test_data_export_file_is_explained_not_sent(served: Served, standin: ZaloStandIn, tutor: Tutor) -> None:
    await standin.post_webhook(served.url, standin.text_event(USER, "/taidulieu"))
    await wait_for(lambda: msg.ZALO_FILE_UNSUPPORTED in standin.texts(USER))
    assert standin.calls("/v2.0/oa/upload/file") == []


async def test_quick_messages_of_one_user_are_answered_in_order(served: Served, standin: ZaloStandIn) -> None:
    timings = []
    for text in ("/trogiup", "cảm ơn", "/trogiup"):
        status, seconds = await standin.post_webhook(served.url, standin.text_event(USER, text))
        assert status == 200
        timings.append(seconds)
    await wait_for(lambda: standin.texts(USER).count(msg.HELP) == 2 and msg.THANKS in standin.texts(USER))
    texts = [t for t in standin.texts(USER) if t in (msg.HELP, msg.THANKS)]
    assert texts == [msg.HELP, msg.THANKS, msg.HELP]
    assert max(timings) < 2.0
