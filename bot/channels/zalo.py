"""Zalo Official Account channel: signed webhook -> inbox -> dialogue -> outbox -> OA API v3 (httpx).

The API itself (signatures, events, message bodies, error codes, tokens) is in bot/channels/zalo_api.py; what it
relies on is listed there and in README "Zalo Official Account".
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot import messages as msg
from bot import observability as obs
from bot import voice
from bot.channels.base import Job
from bot.channels.bodies import MAX_WEBHOOK_BYTES, BodyTooLarge, read_capped
from bot.channels.senders import Hold, LeaseLost, Senders
from bot.channels.zalo_api import (
    _TIMESTAMP,
    BAD_REQUEST_ERRORS,
    CAPS,
    CHANNEL,
    FILE_TYPES,
    FUTURE_SKEW_MS,
    PUSH_WINDOW,
    QUOTA_ERRORS,
    REPLY_WINDOW,
    TOKEN_ERRORS,
    USER_GONE_ERRORS,
    USER_QUOTA_ERRORS,
    WINDOW_ERRORS,
    Event,
    Tokens,
    TokenUnavailable,
    ZaloApiError,
    parse_event,
    signature,
    text_messages,
)
from bot.config import ZaloSettings
from bot.service import Tutor
from bot.types import Incoming, Reply
from storage import channels, repo
from storage.models import as_utc, utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Queued:
    """A message waiting for a user, with what decides whether it may go now."""

    id: int
    is_reply: bool  # a reply to something they wrote (7-day window) or a message we start (48-hour window)
    reply: Reply
    last_seen: datetime | None  # when they last wrote to us


# ---------------------------------------------------------------- channel


class ZaloChannel:
    """Receives signed webhook events and delivers the outbox through the OA API, one sender per user."""

    caps = CAPS

    def __init__(self, tutor: Tutor, cfg: ZaloSettings, http: httpx.AsyncClient | None = None) -> None:
        if not cfg.app_id or cfg.oa_secret_key is None:
            raise ValueError("zalo.app_id and zalo.oa_secret_key must be set")
        self.tutor = tutor
        self.cfg = cfg
        self.http = http or httpx.AsyncClient(timeout=cfg.http_timeout)
        self.tokens = Tokens(tutor.db, cfg, self.http)
        self.senders = Senders(tutor, CHANNEL, self._send_rows, self._reader)
        self._tasks: set[asyncio.Task[Any]] = set()
        # Held only while a user's event is processed, then forgotten.
        self._user_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._send_lock = asyncio.Lock()
        self._next_send = 0.0
        self._paused_until = 0.0
        tutor.audio_source(CHANNEL, self.fetch_audio)

    async def fetch_audio(self, url: str) -> bytes:
        """Download a voice note from the address Zalo gave in the (signed) event, refusing oversized ones."""
        timeout = self.tutor.settings.voice.download_timeout
        async with self.http.stream("GET", url, follow_redirects=True, timeout=timeout) as resp:
            resp.raise_for_status()
            data = bytearray()
            async for chunk in resp.aiter_bytes():
                data += chunk
                if len(data) > voice.MAX_BYTES:
                    raise ValueError("voice note too big")
        return bytes(data)

    async def start(self, recover: bool = True) -> None:
        """Take the configured tokens, finish what a previous process left, send what is queued.

        Web workers beside others pass `recover=False` (their sweep takes over what a dead worker left).
        """
        await self.tokens.seed()
        if recover:
            await self.tutor.process_pending(CHANNEL)
            await self.deliver()

    def jobs(self) -> list[Job]:
        # Reminders queued by the scheduler (and replies left by a failed send) go out through this loop; the
        # access token is renewed before it lapses.
        return [Job("zalo-deliver", self.deliver, 30), Job("zalo-token", self.tokens.refresh_if_due, 600)]

    async def stop(self) -> None:
        await self.senders.cancel(self._tasks)
        await self.http.aclose()

    # ------------------------------------------------------------ receiving

    def verify(self, body: bytes, given: str, timestamp: str) -> bool:
        """Constant-time check of the event's signature."""
        secret = self.cfg.oa_secret_key.get_secret_value() if self.cfg.oa_secret_key else ""
        expected = signature(self.cfg.app_id, body, timestamp, secret)
        return bool(secret) and hmac.compare_digest(given.strip().encode(), expected.encode())

    def fresh(self, timestamp: str, now_ms: int | None = None) -> bool:
        """The event's own time is recent enough (and not from the future)."""
        try:
            ms = int(timestamp)
        except ValueError:
            return False
        now_ms = int(time.time() * 1000) if now_ms is None else now_ms
        return -FUTURE_SKEW_MS <= now_ms - ms <= self.cfg.max_event_age * 1000

    async def store(self, event: Event) -> int | None:
        """Write the event to the inbox (sanitised and redacted); None for a duplicate or an unfollow."""
        if event.incoming is not None:
            return await self.tutor.receive(event.incoming)
        # Unfollow: recorded once, nothing to answer; reminders stop until the user writes again.
        async with self.tutor.db.transaction() as s:
            inbox_id = await repo.inbox_add(s, CHANNEL, event.delivery_id, event.user_id,
                                            Incoming(CHANNEL, event.user_id, event.delivery_id).to_payload())
            if inbox_id is not None:
                await channels.unfollowed(s, CHANNEL, event.user_id, inbox_id)
        return None

    async def handle_stored(self, inbox_id: int | None, user_id: str, wait: bool = True) -> None:
        """Process a stored event, release what was held for this user, and send.

        One user's events are processed one at a time in arrival order (quick replies come fast), while
        different users are processed side by side.
        """
        if inbox_id is not None:
            lock = self._user_locks.setdefault(user_id, asyncio.Lock())
            async with lock:
                await self.tutor.process(inbox_id)
                async with self.tutor.db.transaction() as s:
                    released = await repo.outbox_release(s, CHANNEL, user_id)
            if released:
                log.info("zalo: %d held message(s) released for user %s", released, user_id)
        if time.monotonic() < self._paused_until:
            return
        # Only this user: their replies are all the processing queued. Other users' leftovers go with the sweep.
        sender = self.senders.start(user_id)
        if wait:
            await asyncio.gather(sender, return_exceptions=True)

    def routes(self) -> list[BaseRoute]:
        """The webhook: check signature and age, store, answer 200, then process."""

        async def webhook(request: Request) -> Response:
            try:
                body = await read_capped(request)
            except BodyTooLarge:
                log.warning("zalo webhook: body over %d bytes refused", MAX_WEBHOOK_BYTES)
                return Response(status_code=413)
            given = request.headers.get("X-ZEvent-Signature", "")
            # The signature covers the raw body and the event's timestamp: checked before the body is parsed,
            # so nothing an outsider sends is parsed at all.
            found = _TIMESTAMP.search(body)
            if found is None:
                log.warning("zalo webhook: body without a timestamp refused")
                return Response(status_code=400)
            timestamp = found.group(1).decode()
            if not given or not self.verify(body, given, timestamp):
                log.warning("zalo webhook: bad or missing signature refused")
                return Response(status_code=403)
            try:
                data = json.loads(body)
            except (ValueError, RecursionError):
                log.warning("zalo webhook: unreadable body refused")
                return Response(status_code=400)
            if not isinstance(data, dict) or str(data.get("timestamp")) != timestamp:
                return Response(status_code=400)
            if not self.fresh(timestamp):
                log.warning("zalo webhook: stale event refused (timestamp %s)", timestamp)
                return Response(status_code=403)
            event = parse_event(data) if isinstance(data, dict) else None
            if event is None:
                return Response(status_code=200)
            inbox_id = await self.store(event)
            if inbox_id is not None:
                self._spawn(self.handle_stored(inbox_id, event.user_id))
            return Response(status_code=200)

        return [Route(self.cfg.webhook_path, webhook, methods=["POST"])]

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ------------------------------------------------------------ sending

    async def deliver(self, wait: bool = True) -> None:
        """Start a sender for every user with sendable messages; with `wait`, return when they are done."""
        if time.monotonic() < self._paused_until:
            return
        async with self.tutor.db.transaction() as s:
            users = list(dict.fromkeys(o.channel_user_id for o in await repo.outbox_sendable(s, CHANNEL, limit=1000)))
        senders = [self.senders.start(user) for user in users]
        if wait:
            await asyncio.gather(*senders, return_exceptions=True)

    @staticmethod
    def _reader(user: str) -> Callable[[AsyncSession], Awaitable[list[Queued]]]:
        """Reads a user's sendable messages (id, is a reply, reply, when they last wrote)."""

        async def read(s: AsyncSession) -> list[Queued]:
            items = await repo.outbox_sendable(s, CHANNEL, limit=100, channel_user_id=user)
            if not items:
                return []
            last_seen = await channels.last_seen(s, CHANNEL, user)
            return [Queued(o.id, o.inbox_id is not None, Reply.from_payload(o.payload), last_seen) for o in items]

        return read

    async def _send_rows(self, user: str, rows: list[Queued]) -> list[Queued] | None:
        """Send rows in order; returns what was queued meanwhile (empty: the lease is given up), or None when
        this user's queue must wait (held, paused, no token, or no longer ours)."""
        now = utcnow()
        read = self._reader(user)
        renew = False  # the lease was taken or renewed with the read (and then with each mark)
        hold = Hold(self.tutor, CHANNEL, user)
        for n, row in enumerate(rows):
            silent = now - as_utc(row.last_seen) if row.last_seen is not None else None
            window = REPLY_WINDOW if row.is_reply else PUSH_WINDOW
            if silent is None or silent > window:
                log.info("zalo: message %s to user %s held: outside the %s window", row.id, user,
                         "7-day" if row.is_reply else "48-hour")
                await self._hold(row.id, "window")
                renew = True
                continue
            if renew:
                if not await self.tutor.lease(CHANNEL, user):
                    return None
                hold.mark()
            hold.row = row.id
            try:
                await self.send(user, row.reply, hold)
            except LeaseLost:
                return await self.tutor.leased_queue(CHANNEL, user, read)  # None while another sender has the user
            except ZaloApiError as exc:
                if not await self._on_error(user, row.id, exc):
                    return None
                renew = True
                continue
            except TokenUnavailable:
                return None  # logged by Tokens; the queue waits for a working token
            except httpx.HTTPError as exc:
                log.warning("zalo: sending to user %s failed (%s); kept queued", user, type(exc).__name__)
                obs.ERRORS.labels("send").inc()
                return None
            obs.MESSAGES_OUT.labels(CHANNEL).inc()
            if n + 1 == len(rows):
                return await self.tutor.mark_and_next(CHANNEL, user, row.id, read=read)
            if not await self.tutor.mark_sent(CHANNEL, user, row.id):  # lease renewed before the next send
                return None
            hold.mark()
            renew = False
        # The last row was held or refused (nothing marked it): look at the queue once more, as a mark would.
        return await self.tutor.leased_queue(CHANNEL, user, read)

    async def _on_error(self, user: str, outbox_id: int, exc: ZaloApiError) -> bool:
        """Act on an API error code; True when the next message of this user may still be tried."""
        code = exc.code
        if code in WINDOW_ERRORS or code in USER_QUOTA_ERRORS:
            reason = "window" if code in WINDOW_ERRORS else "user_quota"
            log.info("zalo: message %s to user %s held until they write (error %s: %s)", outbox_id, user, code,
                     exc.message)
            await self._hold(outbox_id, reason)
            return True
        if code in USER_GONE_ERRORS:
            log.warning("zalo: user %s cannot receive messages (error %s: %s); queue given up", user, code,
                        exc.message)
            async with self.tutor.db.transaction() as s:
                await channels.unreachable(s, CHANNEL, user, "invalid_user")
            return False
        if code in BAD_REQUEST_ERRORS:
            log.error("zalo: message %s to user %s refused (error %s: %s); skipped", outbox_id, user, code,
                      exc.message)
            async with self.tutor.db.transaction() as s:
                await channels.skip(s, outbox_id, "bad_request")
            return True
        if code in QUOTA_ERRORS:
            log.warning("zalo: out of quota or rate (error %s: %s); sending paused %ss, messages kept", code,
                        exc.message, self.cfg.quota_pause)
            self._paused_until = time.monotonic() + self.cfg.quota_pause
            return False
        log.warning("zalo: message %s to user %s failed (error %s: %s); kept queued", outbox_id, user, code,
                    exc.message)
        return False

    async def _hold(self, outbox_id: int, reason: str) -> None:
        async with self.tutor.db.transaction() as s:
            await repo.outbox_hold(s, outbox_id, reason)

    async def send(self, user: str, reply: Reply, hold: Hold | None = None) -> None:
        """Send one reply: text parts (buttons on the last), then the picture, then the file; with `hold`, the
        user's lease is made fresh before each call (`LeaseLost` when another sender took it over)."""
        for message in text_messages(reply):
            await self._message(user, message, hold)
        if reply.image_path:
            path = Path(reply.image_path)
            data = await self._call("/v2.0/oa/upload/image",
                                    files={"file": (path.name, path.read_bytes(), "image/png")}, hold=hold)
            attachment_id = str(data["data"]["attachment_id"])
            await self._message(user, {"attachment": {"type": "template", "payload": {
                "template_type": "media", "elements": [{"media_type": "image", "attachment_id": attachment_id}]}}},
                hold)
        if reply.file_path:
            path = Path(reply.file_path)
            kind = FILE_TYPES.get(path.suffix.lower())
            if reply.file_once and not path.exists():
                pass  # a one-time file already sent once is not sent again
            elif kind is None:
                await self._message(user, {"text": msg.ZALO_FILE_UNSUPPORTED}, hold)
            else:
                data = await self._call("/v2.0/oa/upload/file", files={"file": (path.name, path.read_bytes(), kind)},
                                        hold=hold)
                await self._message(user, {"attachment": {"type": "file", "payload": {"token": data["data"]["token"]}}},
                                    hold)
            if reply.file_once:
                path.unlink(missing_ok=True)

    async def _message(self, user: str, message: dict[str, Any], hold: Hold | None = None) -> None:
        await self._call("/v3.0/oa/message/cs", json_body={"recipient": {"user_id": user}, "message": message},
                         hold=hold)

    async def _call(self, path: str, json_body: dict[str, Any] | None = None,
                    files: dict[str, tuple[str, bytes, str]] | None = None, hold: Hold | None = None) -> dict[str, Any]:
        """One API call with the current token; a refused token is refreshed once and the call repeated. With
        `hold`, the user's lease is made fresh after the pacing wait, before the call goes out."""
        token = await self.tokens.get()
        for attempt in range(2):
            await self._pace()
            if hold is not None:
                await hold.fresh()
            resp = await self.http.post(f"{self.cfg.api_base}{path}", headers={"access_token": token},
                                        json=json_body, files=files)
            resp.raise_for_status()
            data: dict[str, Any] = resp.json()
            code = int(data.get("error") or 0)
            if code == 0:
                return data
            if code in TOKEN_ERRORS and attempt == 0:
                log.warning("zalo: access token refused (error %s); refreshing", code)
                token = await self.tokens.refresh(stale=token)
                continue
            raise ZaloApiError(code, str(data.get("message") or ""))
        raise AssertionError("unreachable")

    async def _pace(self) -> None:
        """At most `per_second` calls a second overall; callers wait, nothing is dropped."""
        async with self._send_lock:
            delay = self._next_send - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            self._next_send = max(self._next_send, time.monotonic()) + 1.0 / max(self.cfg.per_second, 0.1)
