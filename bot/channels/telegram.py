"""Telegram channel (python-telegram-bot): updates -> inbox -> dialogue -> outbox -> rate-limited sends.

Polling is our own loop over `getUpdates`: a batch is written to the inbox before the next call
confirms it, so an update is never acknowledged before it is stored. Webhook mode is our own
Starlette route that stores the update, answers 200, and processes afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from bot import messages as msg
from bot import observability as obs
from bot import voice
from bot.capabilities import capability
from bot.channels.base import Job
from bot.channels.bodies import MAX_WEBHOOK_BYTES, BodyTooLarge, read_capped
from bot.channels.senders import Hold, LeaseLost, Senders
from bot.channels.splitting import split_at_boundaries
from bot.channels.telegram_pacing import RateLimiter
from bot.config import TelegramSettings
from bot.service import Tutor
from bot.types import Incoming, Reply
from storage import channels, repo

log = logging.getLogger(__name__)

CHANNEL = "telegram"
MAX_TEXT = capability(CHANNEL).text_limit
MAX_CALLBACK = 64
_FILE_ID = re.compile(r"[A-Za-z0-9_-]{1,256}")  # Telegram's file ids are URL-safe base64
COMMANDS = [
    ("start", msg.CMD_START), ("hoc", msg.CMD_LEARN), ("hoctiep", msg.CMD_CONTINUE), ("kiemtra", msg.CMD_QUIZ),
    ("tiendo", msg.CMD_PROGRESS), ("dangky", msg.CMD_REGISTER), ("dulieu", msg.CMD_DATA),
    ("gapnguoi", msg.CMD_PERSON), ("trogiup", msg.CMD_HELP),
]
MAIN_KEYBOARD = ReplyKeyboardMarkup(
    [[KeyboardButton(msg.BTN_LEARN), KeyboardButton(msg.BTN_CONTINUE)],
     [KeyboardButton(msg.BTN_PROGRESS), KeyboardButton(msg.BTN_HELP)]],
    resize_keyboard=True, is_persistent=True,
)


class MalformedUpdate(ValueError):
    """An update whose fields have the wrong types (Telegram never sends one; a forger might)."""


def _chat_id(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedUpdate("chat id")
    return str(value)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise MalformedUpdate("text")
    return value


def to_incoming(upd: Update) -> tuple[Incoming | None, str | None]:
    """The Incoming for an update, and the callback query id to answer (if a button was pressed).

    Raises MalformedUpdate when the fields are not what the Bot API documents.
    """
    if isinstance(upd.update_id, bool) or not isinstance(upd.update_id, int):
        raise MalformedUpdate("update id")
    delivery = str(upd.update_id)
    if upd.callback_query is not None:
        q = upd.callback_query
        chat_id = q.message.chat.id if q.message is not None else q.from_user.id
        return Incoming(CHANNEL, _chat_id(chat_id), delivery, button=_text(q.data)), str(q.id)
    message = upd.message or upd.edited_message
    if message is None:
        return None, None
    chat = _chat_id(message.chat.id)
    text = _text(message.text)
    if text.startswith("/start"):
        payload = text.split(maxsplit=1)[1].strip() if " " in text else None
        return Incoming(CHANNEL, chat, delivery, text="/start", start_payload=payload or None), None
    note = message.voice or message.audio
    if not text and note is not None and isinstance(note.file_id, str) and _FILE_ID.fullmatch(note.file_id):
        # A voice note (or a sound file): fetched and transcribed when processed, never stored as audio.
        duration = note.duration
        seconds = duration.total_seconds() if hasattr(duration, "total_seconds") else duration
        declared = float(seconds) if isinstance(seconds, (int, float)) and not isinstance(seconds, bool) else None
        return Incoming(CHANNEL, chat, delivery, text="", voice={"ref": note.file_id[:256], "seconds": declared}), None
    if not text:
        # Stickers, photos, files: answered kindly, never an error.
        return Incoming(CHANNEL, chat, delivery, text="", non_text=True), None
    return Incoming(CHANNEL, chat, delivery, text=text), None


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut text under Telegram's limit at paragraph, then line, then word boundaries."""
    return split_at_boundaries(text, limit)


def keyboard(reply: Reply) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | None:
    """One big button per row; the greeting brings the persistent main keyboard instead."""
    if reply.text == msg.GREETING:
        return MAIN_KEYBOARD
    rows = []
    for b in reply.buttons:
        if len(b.value.encode()) > MAX_CALLBACK:
            log.error("button value over 64 bytes dropped: %r", b.value[:20])
            continue
        rows.append([InlineKeyboardButton(b.label, callback_data=b.value)])
    return InlineKeyboardMarkup(rows) if rows else None


class TelegramChannel:
    """Receives updates (polling or webhook) and delivers the outbox with Telegram's limits."""

    caps = capability(CHANNEL)

    def __init__(self, tutor: Tutor, cfg: TelegramSettings, bot: Bot | None = None) -> None:
        if cfg.token is None:
            raise ValueError("telegram.token is not set")
        self.tutor = tutor
        self.cfg = cfg
        token = cfg.token.get_secret_value()
        self.bot = bot or Bot(token, base_url=cfg.base_url, base_file_url=cfg.base_file_url,
                              request=HTTPXRequest(connection_pool_size=64),
                              get_updates_request=HTTPXRequest(read_timeout=cfg.poll_timeout + 10))
        self.limiter = RateLimiter(cfg.per_second, cfg.chat_interval, cfg.group_interval)
        self.senders = Senders(tutor, CHANNEL, self._send_rows)
        self._processing = asyncio.Semaphore(cfg.concurrency)
        self._waiting: dict[str, int] = {}  # chats with a stored delivery this worker has not processed yet
        self._stopping = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        tutor.audio_source(CHANNEL, self.fetch_audio)

    async def fetch_audio(self, file_id: str) -> bytes:
        """Download a voice note by its file id (getFile, then the file URL); too big ones are refused unread."""
        timeout = self.tutor.settings.voice.download_timeout
        file = await self.bot.get_file(file_id, read_timeout=timeout)
        if file.file_size is not None and file.file_size > voice.MAX_BYTES:
            raise ValueError("voice note too big")
        return bytes(await file.download_as_bytearray(read_timeout=timeout))

    # ------------------------------------------------------------ start-up

    async def start(self, recover: bool = True) -> None:
        """Initialise the bot, register commands, and finish anything a previous process left.

        Web workers beside others pass `recover=False`: their periodic sweep takes over what a dead worker left,
        after a grace period, instead of racing the live workers at start-up.
        """
        await self.bot.initialize()
        desk = self.tutor.dialogue.staff
        if not desk.bot_username and self.bot.username:  # volunteers' t.me links need the bot's @name
            desk.bot_username = self.bot.username
        if recover:
            await self.bot.set_my_commands([BotCommand(c, d) for c, d in COMMANDS])
            await self.tutor.process_pending(CHANNEL)
            await self.deliver()

    def jobs(self) -> list[Job]:
        # Reminders queued by the scheduler are picked up by this delivery loop.
        return [Job("telegram-deliver", self.deliver, 30)]

    async def stop(self) -> None:
        self._stopping.set()
        await self.senders.cancel(self._tasks)
        await self.bot.shutdown()

    # ------------------------------------------------------------ receiving

    async def store(self, upd: Update) -> tuple[int | None, str | None, str | None]:
        """Write one update to the inbox; returns (inbox id or None for a duplicate, callback id, chat)."""
        incoming, callback_id = to_incoming(upd)
        if incoming is None:
            return None, None, None
        return await self.tutor.receive(incoming), callback_id, incoming.user_id

    async def handle_stored(self, inbox_id: int | None, callback_id: str | None, chat: str | None = None,
                            wait: bool = True) -> None:
        """Process a stored update and send what it produced (to `chat`; every chat when it is not known)."""
        if callback_id is not None:
            with contextlib.suppress(BadRequest, NetworkError):
                await self.bot.answer_callback_query(callback_id)
        if chat is None:
            if inbox_id is not None:
                await self.tutor.process(inbox_id)
            await self.deliver(wait=wait)
            return
        # Only this chat: its reply is all the processing queued. Other chats' leftovers go with the sweep. The
        # processing transaction also takes the chat's lease and reads its queue: a sender starts on those rows.
        rows: list[Any] | None = None
        with self.senders.reading(chat) as watch:
            if inbox_id is not None:
                rows = (await self.tutor.process_and_queue(inbox_id, chat))[1]
            sender = self.senders.start(chat, rows, watch)
        if wait:
            await asyncio.gather(sender, return_exceptions=True)

    async def poll(self) -> None:
        """Long polling until stopped; each batch is stored before the next call confirms it."""
        await self.bot.delete_webhook()
        offset: int | None = None
        while not self._stopping.is_set():
            try:
                updates = await self.bot.get_updates(offset=offset, timeout=self.cfg.poll_timeout,
                                                     allowed_updates=["message", "callback_query"])
            except RetryAfter as exc:
                await asyncio.sleep(_seconds(exc.retry_after))
                continue
            except (TimedOut, NetworkError) as exc:
                log.warning("getUpdates failed (%s); retrying", type(exc).__name__)
                await asyncio.sleep(1.0)
                continue
            by_chat: dict[str, list[tuple[int | None, str | None, str | None]]] = {}
            for u in updates:
                try:
                    incoming, _ = to_incoming(u)
                except MalformedUpdate:
                    log.warning("getUpdates: malformed update %s skipped", u.update_id)
                    continue
                by_chat.setdefault(incoming.user_id if incoming else "", []).append(await self.store(u))
            if updates:
                offset = updates[-1].update_id + 1
            # Chats are independent: process them side by side, each chat's updates in order.
            await asyncio.gather(*(self._process_chat(items) for items in by_chat.values()))

    async def _process_chat(self, items: list[tuple[int | None, str | None, str | None]]) -> None:
        async with self._processing:
            for inbox_id, callback_id, chat in items:
                await self.handle_stored(inbox_id, callback_id, chat, wait=False)

    # ------------------------------------------------------------ webhook

    def webhook_app(self) -> Starlette:
        """A web app with only the webhook and a health check (the full app is bot.web.build_app)."""

        async def health(_request: Request) -> Response:
            return JSONResponse({"ok": True})

        return Starlette(routes=[*self.routes(), Route("/healthz", health)])

    def routes(self) -> list[BaseRoute]:
        """Our webhook endpoint: check the secret, store the update, answer 200, then process."""

        async def webhook(request: Request) -> Response:
            secret = self.cfg.secret_token.get_secret_value() if self.cfg.secret_token else ""
            given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
            if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
                return Response(status_code=403)
            try:
                body = await read_capped(request)
            except BodyTooLarge:
                log.warning("telegram webhook: body over %d bytes refused", MAX_WEBHOOK_BYTES)
                return Response(status_code=413)
            try:
                data = json.loads(body)
                upd = Update.de_json(data, self.bot)
            except Exception:  # noqa: BLE001 - any malformed body is the sender's problem
                return Response(status_code=400)
            if upd is None:
                return Response(status_code=400)
            try:
                incoming, callback_id = to_incoming(upd)
            except (MalformedUpdate, AttributeError, TypeError):
                log.warning("telegram webhook: malformed update refused")
                return Response(status_code=400)
            if incoming is None or incoming.voice is not None or not await self._at_once(incoming):
                inbox_id = await self.tutor.receive(incoming) if incoming is not None else None
                chat = incoming.user_id if incoming is not None else None
                if chat is not None:
                    self._waiting[chat] = self._waiting.get(chat, 0) + 1
                self._spawn(self._handle_limited(inbox_id, None, chat))
            if callback_id is not None:
                # The press is answered in the webhook's own response, as Telegram allows: its spinner stops at
                # once, and no request of ours is spent on it. (Telegram reports no error for such a call; a
                # lapsed callback is harmless.)
                return JSONResponse({"method": "answerCallbackQuery", "callback_query_id": callback_id})
            return Response(status_code=200)

        return [Route(self.cfg.webhook_path, webhook, methods=["POST"])]

    async def _handle_limited(self, inbox_id: int | None, callback_id: str | None, chat: str | None) -> None:
        # At most `concurrency` deliveries processed at once: a burst waits here, already stored and acknowledged.
        # The chat counts as waiting from the moment this is created (the webhook counts it before spawning it).
        try:
            async with self._processing:
                await self.handle_stored(inbox_id, callback_id, chat, wait=False)
        finally:
            if chat is not None:
                left = self._waiting[chat] - 1
                if left:
                    self._waiting[chat] = left
                else:
                    del self._waiting[chat]

    async def _at_once(self, incoming: Incoming) -> bool:
        """A button press or typed words stored and processed in one transaction before the 200
        (`Tutor.receive_and_process`), then sent; False, with nothing stored, when it is to go the usual way: no
        processing slot free now, an earlier delivery of the same chat still waiting in this worker (it is answered
        first), or processing failed (the usual way retries it and answers kindly). Voice notes always go the
        usual way: they are transcribed first, outside any transaction."""
        chat = incoming.user_id
        if self._processing.locked() or chat in self._waiting:
            return False
        async with self._processing:
            with self.senders.reading(chat) as watch:
                try:
                    _, rows = await self.tutor.receive_and_process(incoming, chat)
                except Exception as exc:  # noqa: BLE001 - nothing was stored: the usual way takes it from here
                    log.info("telegram: an update goes the usual way after %s", type(exc).__name__)
                    return False
                self.senders.start(chat, rows, watch)
        return True

    async def set_webhook(self) -> None:
        secret = self.cfg.secret_token.get_secret_value() if self.cfg.secret_token else None
        await self.bot.set_webhook(self.cfg.webhook_url, secret_token=secret,
                                   allowed_updates=["message", "callback_query"])

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ------------------------------------------------------------ sending

    async def deliver(self, wait: bool = True) -> None:
        """Start a sender for every chat with queued replies: chats in parallel, each chat in order.

        With `wait`, return when those chats' queues are empty; otherwise return at once, so
        processing the next update never waits for another chat's pacing.
        """
        async with self.tutor.db.transaction() as s:
            chats = list(dict.fromkeys(o.channel_user_id for o in await repo.outbox_unsent(s, CHANNEL, limit=1000)))
        senders = [self.senders.start(chat) for chat in chats]
        if wait:
            await asyncio.gather(*senders, return_exceptions=True)

    async def _send_rows(self, chat: str, rows: list[tuple[int, Reply]]) -> list[tuple[int, Reply]] | None:
        """Send rows in order; returns what was queued meanwhile (empty: the lease is given up), or None when
        the chat cannot be written to any more or is no longer ours."""
        hold = Hold(self.tutor, CHANNEL, chat)
        for n, (outbox_id, reply) in enumerate(rows):
            error: str | None = None
            hold.row = outbox_id
            try:
                await self.send(chat, reply, hold)
            except LeaseLost:
                return await self.tutor.leased_queue(CHANNEL, chat)  # None while another sender has the chat
            except Forbidden:
                # Blocked by the user: stop writing to them, do not retry forever.
                await self._blocked(chat, outbox_id)
                return None
            except BadRequest as exc:
                log.error("telegram refused a message to chat %s: %s", chat, exc.message)
                obs.ERRORS.labels("send").inc()
                error = "bad_request"
            else:
                obs.MESSAGES_OUT.labels(CHANNEL).inc()
            if n + 1 == len(rows):
                return await self.tutor.mark_and_next(CHANNEL, chat, outbox_id, error)
            if not await self.tutor.mark_sent(CHANNEL, chat, outbox_id, error):  # lease renewed before the next send
                return None
            hold.mark()
        return []

    async def _blocked(self, chat: str, outbox_id: int) -> None:
        """The user blocked the bot: mark the learner inactive and give up their queue."""
        async with self.tutor.db.transaction() as s:
            await self.tutor.mark_sent_in(s, outbox_id, "forbidden")
            await channels.unreachable(s, CHANNEL, chat, "forbidden")

    async def send(self, chat: str, reply: Reply, hold: Hold | None = None) -> None:
        """Send one reply (text parts, then picture, then file), honouring limits and retry_after; with `hold`,
        the chat's lease is made fresh before each attempt (`LeaseLost` when another sender took it over)."""
        parts = split_text(reply.text)
        markup = keyboard(reply)
        for i, part in enumerate(parts):
            await self._call(chat, self._text_sender(chat, part, markup if i == len(parts) - 1 else None), hold)
        if reply.image_path:
            path = Path(reply.image_path)
            await self._call(chat, lambda: self.bot.send_photo(
                chat_id=int(chat), photo=InputFile(path.read_bytes(), filename=path.name)), hold)
        if reply.file_path:
            path = Path(reply.file_path)
            if path.exists() or not reply.file_once:  # a one-time file already sent once is not sent again
                await self._call(chat, lambda: self.bot.send_document(
                    chat_id=int(chat), document=InputFile(path.read_bytes(), filename=path.name)), hold)
            if reply.file_once:
                path.unlink(missing_ok=True)
        if reply.voice_path:
            path = Path(reply.voice_path)
            if path.exists():  # gone when it was already sent once (a retry after a crash): not sent twice
                await self._call(chat, lambda: self.bot.send_voice(
                    chat_id=int(chat), voice=InputFile(path.read_bytes(), filename=path.name)), hold)
                path.unlink(missing_ok=True)

    def _text_sender(self, chat: str, text: str,
                     markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | None) -> Callable[[], Awaitable[Any]]:
        return lambda: self.bot.send_message(chat_id=int(chat), text=text, reply_markup=markup)

    async def _call(self, chat: str, make: Callable[[], Awaitable[Any]], hold: Hold | None = None) -> None:
        attempts = 0
        while True:
            await self.limiter.wait(chat)
            if hold is not None:
                await hold.fresh()  # a wait (retry_after, pacing) may have outlasted the lease
            try:
                await make()
                return
            except RetryAfter as exc:
                log.warning("telegram asked to wait %ss (chat=%s)", exc.retry_after, chat)
                await asyncio.sleep(_seconds(exc.retry_after))
            except (TimedOut, NetworkError) as exc:
                if isinstance(exc, (Forbidden, BadRequest)):
                    raise
                attempts += 1
                if attempts > 5:
                    raise
                await asyncio.sleep(min(30.0, 0.5 * 2 ** attempts))


def _seconds(value: Any) -> float:
    """retry_after is an int today and a timedelta in later PTB versions."""
    return float(value.total_seconds()) if hasattr(value, "total_seconds") else float(value)
