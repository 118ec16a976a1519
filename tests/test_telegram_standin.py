"""The Telegram stand-in speaks the Bot API well enough for the real python-telegram-bot over loopback HTTP."""

from __future__ import annotations

import asyncio
import datetime as dtm
import io
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from PIL import Image
from telegram import (
    Bot,
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ChatAction, MessageEntityType
from telegram.error import EndPointNotFound, Forbidden, RetryAfter

from tests.telegram_standin import TelegramStandIn

# PTB 22.2+ warns that int durations (retry_after, voice.duration) will become timedeltas; not our concern here.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.fixture
async def standin() -> AsyncIterator[TelegramStandIn]:
    async with TelegramStandIn() as server:
        yield server


@pytest.fixture
async def bot(standin: TelegramStandIn) -> AsyncIterator[Bot]:
    async with Bot(standin.token, base_url=standin.base_url) as tg_bot:
        yield tg_bot


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()


def _seconds(value: int | float | dtm.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


async def test_get_me(standin: TelegramStandIn, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.is_bot and me.username == "kynangso_test_bot"
    assert bot.username == "kynangso_test_bot"  # `async with bot` already called getMe once
    assert [r.method for r in standin.requests] == ["getMe", "getMe"]
    assert standin.requests[0].http_method == "POST"


async def test_send_message_with_inline_keyboard(standin: TelegramStandIn, bot: Bot) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Có", callback_data="yes")],
                                   [InlineKeyboardButton("Không", callback_data="no")]])
    first = await bot.send_message(chat_id=42, text="Bác muốn học tiếp không?", reply_markup=markup)
    second = await bot.send_message(chat_id=42, text="Chào bác")

    assert isinstance(first, Message) and first.chat.id == 42 and first.text == "Bác muốn học tiếp không?"
    assert second.message_id > first.message_id
    assert isinstance(first.reply_markup, InlineKeyboardMarkup)
    assert first.reply_markup.inline_keyboard[1][0].callback_data == "no"
    assert second.reply_markup is None

    sent = standin.sent("sendMessage", chat_id=42)
    assert [p["text"] for p in sent] == ["Bác muốn học tiếp không?", "Chào bác"]
    assert sent[0]["chat_id"] == 42  # PTB sends "42" in a form field; the stand-in decodes it
    assert sent[0]["reply_markup"] == {
        "inline_keyboard": [[{"text": "Có", "callback_data": "yes"}], [{"text": "Không", "callback_data": "no"}]]
    }
    assert standin.requests[-1].content_type == "application/x-www-form-urlencoded"
    assert standin.sent("sendMessage", chat_id=43) == []
    assert len(standin.send_times(42)) == 2


async def test_reply_keyboard_is_recorded_but_not_echoed(standin: TelegramStandIn, bot: Bot) -> None:
    keyboard = ReplyKeyboardMarkup([["Bài học", "Hỏi đáp"]], resize_keyboard=True)
    message = await bot.send_message(chat_id=5, text="Chọn", reply_markup=keyboard)
    assert message.reply_markup is None
    markup = standin.sent(chat_id=5)[0]["reply_markup"]
    assert markup["keyboard"] == [[{"text": "Bài học"}, {"text": "Hỏi đáp"}]] and markup["resize_keyboard"] is True


async def test_send_photo_and_document_uploads(standin: TelegramStandIn, bot: Bot) -> None:
    png = _png()
    photo = await bot.send_photo(chat_id=42, photo=InputFile(png, filename="chart.png"), caption="Tiến độ")
    assert photo.caption == "Tiến độ" and photo.photo[-1].file_size == len(png)

    rec = standin.calls("sendPhoto")[0]
    assert rec.content_type == "multipart/form-data"
    assert rec.params["photo"] == {
        "field": "photo", "filename": "chart.png", "content_type": "image/png", "size": len(png)
    }
    assert rec.params["caption"] == "Tiến độ" and rec.params["chat_id"] == 42
    assert [(f.field, f.filename, f.size) for f in rec.files] == [("photo", "chart.png", len(png))]

    doc = await bot.send_document(chat_id=42, document=InputFile(b"%PDF-1.4 tiny", filename="bai1.pdf"))
    assert doc.document is not None and doc.document.file_name == "bai1.pdf" and doc.document.file_size == 13
    assert standin.sent("sendDocument")[0]["document"]["size"] == 13

    # A file_id string is a plain form field, not an upload.
    await bot.send_photo(chat_id=42, photo="AgACAgIAAxkB")
    assert standin.sent("sendPhoto")[1]["photo"] == "AgACAgIAAxkB"
    assert standin.calls("sendPhoto")[1].files == []


async def test_get_updates_parses_and_confirms(standin: TelegramStandIn, bot: Bot) -> None:
    sent = await bot.send_message(chat_id=42, text="Câu hỏi", reply_markup=InlineKeyboardMarkup(
        [[InlineKeyboardButton("A", callback_data="quiz:1:a")]]))
    standin.queue_update(standin.text_update(42, "/start ref_zalo", first_name="Lan"))
    standin.queue_update(standin.callback_update(42, "quiz:1:a", message_id=sent.message_id))

    updates = await bot.get_updates(timeout=0)
    assert len(updates) == 2 and all(isinstance(u, Update) for u in updates)
    text, press = updates
    assert text.message is not None and text.message.text == "/start ref_zalo"
    assert text.effective_user is not None and text.effective_user.first_name == "Lan"
    assert text.message.entities[0].type == MessageEntityType.BOT_COMMAND and text.message.entities[0].length == 6
    assert text.effective_chat is not None and text.effective_chat.id == 42
    assert isinstance(press.callback_query, CallbackQuery) and press.callback_query.data == "quiz:1:a"
    assert isinstance(press.callback_query.message, Message)
    assert press.callback_query.message.message_id == sent.message_id
    assert press.callback_query.message.text == "Câu hỏi"  # the stand-in echoes the message it sent
    assert press.update_id == text.update_id + 1

    # Unconfirmed updates come back again; offset = last + 1 confirms (drops) them.
    assert [u.update_id for u in await bot.get_updates()] == [text.update_id, press.update_id]
    assert [u.update_id for u in await bot.get_updates(offset=press.update_id)] == [press.update_id]
    assert await bot.get_updates(offset=press.update_id + 1) == ()
    assert standin.pending_updates == []
    assert standin.calls("getUpdates")[-1].params["offset"] == press.update_id + 1


async def test_voice_update_and_duplicates(standin: TelegramStandIn, bot: Bot) -> None:
    standin.queue_update(standin.voice_update(7, "voice-1", duration=4))
    standin.deliver_twice(standin.text_update(7, "xin chào"))
    updates = await bot.get_updates()
    assert updates[0].message is not None and updates[0].message.voice is not None
    assert updates[0].message.voice.file_id == "voice-1" and _seconds(updates[0].message.voice.duration) == 4
    assert updates[1].update_id == updates[2].update_id
    assert await bot.get_updates(offset=updates[2].update_id + 1) == ()


async def test_get_file_download(standin: TelegramStandIn) -> None:
    standin.add_file("voice-9", b"OggS fake")
    async with Bot(standin.token, base_url=standin.base_url, base_file_url=standin.base_file_url) as tg_bot:
        tg_file = await tg_bot.get_file("voice-9")
        assert bytes(await tg_file.download_as_bytearray()) == b"OggS fake"


async def test_long_poll_wakes_on_new_update(standin: TelegramStandIn, bot: Bot) -> None:
    async def feed_later() -> None:
        await asyncio.sleep(0.2)
        standin.queue_update(standin.text_update(1, "muộn"))

    task = asyncio.create_task(feed_later())
    started = time.monotonic()
    updates = await bot.get_updates(timeout=2)
    elapsed = time.monotonic() - started
    await task
    assert len(updates) == 1 and 0.15 < elapsed < 1.5
    assert standin.calls("getUpdates")[0].params["timeout"] == 2


async def test_long_poll_is_capped_and_released_on_stop(standin: TelegramStandIn, bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=30) == ()  # the stand-in caps long polls at 2 s
    assert 1.8 < time.monotonic() - started < 2.8

    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await asyncio.sleep(0.1)
    started = time.monotonic()
    await standin.stop()
    assert await poll == () and time.monotonic() - started < 1


async def test_retry_after_injection(standin: TelegramStandIn, bot: Bot) -> None:
    standin.fail_next("sendMessage", status=429, retry_after=1)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(chat_id=42, text="một")
    assert _seconds(caught.value.retry_after) == 1
    failed = standin.calls("sendMessage")[0]
    assert failed.failed and failed.status == 429 and failed.params["text"] == "một"
    assert standin.sent(chat_id=42) == [] and standin.send_times(42) == []

    await bot.send_message(chat_id=42, text="hai")  # only the next call failed
    assert [p["text"] for p in standin.sent(chat_id=42)] == ["hai"]


async def test_blocked_chat_is_forbidden(standin: TelegramStandIn, bot: Bot) -> None:
    standin.block_chat(99)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(chat_id=99, text="Chào bác")
    with pytest.raises(Forbidden):
        await bot.send_photo(chat_id=99, photo=InputFile(_png(), filename="a.png"))
    await bot.send_message(chat_id=100, text="ok")
    assert standin.send_times(99) == [] and len(standin.send_times(100)) == 1
    assert all(r.failed and r.status == 403 for r in standin.calls("sendMessage")[:1])


async def test_commands_webhook_and_small_methods(standin: TelegramStandIn, bot: Bot) -> None:
    assert await bot.set_my_commands([BotCommand("start", "Bắt đầu"), BotCommand("help", "Trợ giúp")])
    assert standin.commands == [{"command": "start", "description": "Bắt đầu"},
                                {"command": "help", "description": "Trợ giúp"}]
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]

    assert await bot.set_webhook("https://example.test/tg", secret_token="s3cret")
    info = await bot.get_webhook_info()
    assert info.url == "https://example.test/tg" and standin.webhook_secret == "s3cret"
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert (await bot.get_webhook_info()).url == ""
    assert standin.sent("deleteWebhook")[0]["drop_pending_updates"] is True

    assert await bot.send_chat_action(chat_id=42, action=ChatAction.TYPING)
    assert await bot.answer_callback_query("1", text="Đúng rồi!")
    assert await bot.edit_message_reply_markup(chat_id=42, message_id=3, reply_markup=None) is True
    assert standin.sent("sendChatAction")[0]["action"] == "typing"

    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("noSuchMethod")


async def test_raw_http_shapes(standin: TelegramStandIn) -> None:
    async with aiohttp.ClientSession() as session:
        url = f"{standin.base_url}{standin.token}"
        async with session.get(f"{url}/getMe") as resp:
            assert resp.status == 200 and (await resp.json())["result"]["is_bot"] is True
        async with session.post(f"{url}/sendMessage", json={"chat_id": 8, "text": "json body"}) as resp:
            body = await resp.json()
            assert body["ok"] is True and body["result"]["chat"]["id"] == 8
        async with session.post(f"{url}/noSuchMethod") as resp:
            assert resp.status == 404
            assert await resp.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
        standin.fail_next("getMe", retry_after=3)
        async with session.get(f"{url}/getMe") as resp:
            assert resp.status == 429
            assert await resp.json() == {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 3",
                "parameters": {"retry_after": 3},
            }
        async with session.get(f"{standin.base_url}999:WRONG/getMe") as resp:
            assert resp.status == 401
    assert standin.sent(chat_id=8)[0]["text"] == "json body"


async def test_post_webhook(standin: TelegramStandIn) -> None:
    received: list[tuple[str | None, dict[str, object]]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/tg", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/tg"
        update = standin.text_update(42, "chào")
        assert await standin.post_webhook(url, update, secret_token="s3cret") == (200, "ok")
        assert await standin.post_webhook(url, update) == (200, "ok")  # a retry: same update_id again
    finally:
        await runner.cleanup()
    assert received[0] == ("s3cret", update) and received[1] == (None, update)
