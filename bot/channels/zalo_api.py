"""The Zalo Official Account API as the channel uses it: event parsing and signatures, message bodies, error codes,
and the access token pair (stored, refreshed once across workers).

What this module relies on (public documentation and SDKs, see README "Zalo Official Account"):

- Webhook: Zalo POSTs one JSON event and expects 200 within 2 seconds, or retries it. The header
  `X-ZEvent-Signature` is `mac=` + sha256(app_id + raw body + timestamp + OA secret key), hex, where the
  timestamp is the event's own `timestamp` field (milliseconds, a string) and the key is the OA secret key
  shown where the app is linked to the OA (not the app's secret key).
- Events: `event_name` user_send_text (`sender.id`, `message.msg_id`, `message.text`), user_send_image /
  sticker / audio / file / gif / video / location / business_card, follow / unfollow (`follower.id`).
  A button of type `oa.query.hide` comes back as a user_send_text whose text is the button's payload.
- Sending: POST {api_base}/v3.0/oa/message/cs with the header `access_token`, body
  {"recipient": {"user_id"}, "message": {...}}; text up to 2000 characters; buttons in
  message.attachment (type "template", payload.buttons, at most 5); images uploaded to
  /v2.0/oa/upload/image then sent as a "media" template by attachment_id; PDF/DOC/DOCX files uploaded to
  /v2.0/oa/upload/file then sent by token. Errors come as HTTP 200 with a non-zero `error` code.
- Tokens: POST {oauth_base}/v4/oa/access_token, form refresh_token + app_id + grant_type=refresh_token,
  header `secret_key` (the app's secret key). The access token lives about 25 hours, the refresh token
  3 months and works once: the answer brings a new pair.
- Consultation messages reach a user only within a window after their last interaction (48 hours, and
  never after 7 days); outside it the message waits for the user's next message.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from bot import messages as msg
from bot.capabilities import capability, pushable
from bot.channels.splitting import split_at_boundaries
from bot.config import ZaloSettings
from bot.types import Incoming, Reply
from storage import channels, repo
from storage.db import Database
from storage.models import ChannelToken, as_utc, utcnow

log = logging.getLogger(__name__)

CHANNEL = "zalo"
CAPS = capability(CHANNEL)
MAX_TEXT = CAPS.text_limit
MAX_BUTTONS = CAPS.max_buttons
MAX_LABEL = 100
MAX_PAYLOAD = 1000
FUTURE_SKEW_MS = 5 * 60 * 1000
# Consultation window: messages the tutor starts (reminders) within 48 h of the user's last message;
# nothing at all after 7 days without interaction (declared in bot.capabilities).
assert CAPS.push_window is not None and CAPS.reply_window is not None
PUSH_WINDOW: timedelta = CAPS.push_window
REPLY_WINDOW: timedelta = CAPS.reply_window
FILE_TYPES = {".pdf": "application/pdf", ".doc": "application/msword",
              ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}

_TIMESTAMP = re.compile(rb'"timestamp"\s*:\s*"?(\d{1,16})"?')
_ID = re.compile(r"[0-9A-Za-z_.:-]{1,64}")  # Zalo's ids are digits; nothing else may become a key
NON_TEXT_EVENTS = frozenset({
    "user_send_image", "user_send_sticker", "user_send_audio", "user_send_file", "user_send_gif",
    "user_send_video", "user_send_location", "user_send_business_card", "user_send_link",
})
# Error codes of the OA API (documented list; see README).
TOKEN_ERRORS = frozenset({-216, -220})  # access token invalid / expired or removed
WINDOW_ERRORS = frozenset({-230, -232})  # no interaction in 7 days / no interaction to answer
USER_QUOTA_ERRORS = frozenset({-218})  # this user's receiving quota is used up
QUOTA_ERRORS = frozenset({-211, -32})  # the OA's quota / the app's call rate
USER_GONE_ERRORS = frozenset({-213, -227, -244})  # not following / banned or inactive / restricted the OA
BAD_REQUEST_ERRORS = frozenset({-100, -201, -210, -233})
# A button's payload is a dialogue command ("/traloi 12 0 2", "/bai vneid-cai-dat"); typed text never
# looks like this, and a button is not redacted (its digits are ids, not codes).
_BUTTON = re.compile(r"/[a-z]+(?: [A-Za-z0-9_\-]{1,60}){0,3}")


def signature(app_id: str, body: bytes, timestamp: str, oa_secret_key: str) -> str:
    """The documented X-ZEvent-Signature of an event body."""
    digest = hashlib.sha256(app_id.encode() + body + timestamp.encode() + oa_secret_key.encode()).hexdigest()
    return f"mac={digest}"


@dataclass(frozen=True)
class Event:
    """One webhook event we act on: the user, a delivery id unique per event, and what the dialogue gets."""

    name: str
    user_id: str
    delivery_id: str
    incoming: Incoming | None  # None for unfollow: nothing to answer


def _ident(value: Any) -> str:
    """An id as Zalo sends it (a string or a number, short); anything else is no id at all."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return ""
    text = str(value).strip()
    return text if _ID.fullmatch(text) else ""


def _part(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _audio_url(message: dict[str, Any]) -> str:
    """The address of a voice note in a user_send_audio event (http(s) only, of a sane length), or ""."""
    attachments = message.get("attachments")
    for att in attachments if isinstance(attachments, list) else []:
        url = _part(_part(att).get("payload")).get("url")
        if isinstance(url, str) and url.startswith(("https://", "http://")) and len(url) <= 1000 and url.isprintable():
            return url
    return ""


def parse_event(data: dict[str, Any]) -> Event | None:
    """The event we act on, or None for events we ignore (seen/received receipts, the OA's own messages,
    and events whose ids are not what Zalo documents)."""
    name = str(data.get("event_name") or "")
    stamp = _ident(data.get("timestamp"))
    if name in ("follow", "unfollow"):
        user = _ident(_part(data.get("follower") or data.get("sender")).get("id"))
        if not user:
            return None
        delivery = f"{name}-{user}-{stamp}"
        incoming = Incoming(CHANNEL, user, delivery, text="/start") if name == "follow" else None
        return Event(name, user, delivery, incoming)
    if name != "user_send_text" and name not in NON_TEXT_EVENTS:
        return None
    user = _ident(_part(data.get("sender")).get("id"))
    message = _part(data.get("message"))
    msg_id = _ident(message.get("msg_id"))
    if not user:
        return None
    delivery = msg_id or f"{name}-{user}-{stamp}"
    if name == "user_send_audio":
        url = _audio_url(message)
        if url:  # fetched and transcribed when processed, never stored as audio
            return Event(name, user, delivery, Incoming(CHANNEL, user, delivery, text="",
                                                        voice={"ref": url, "seconds": None}))
    if name in NON_TEXT_EVENTS:
        return Event(name, user, delivery, Incoming(CHANNEL, user, delivery, text="", non_text=True))
    text = str(message.get("text") or "")
    if len(text) <= 64 and _BUTTON.fullmatch(text):
        return Event(name, user, delivery, Incoming(CHANNEL, user, delivery, button=text))
    return Event(name, user, delivery, Incoming(CHANNEL, user, delivery, text=text))


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut text under Zalo's limit at paragraph, then line, then word boundaries."""
    return split_at_boundaries(text, limit) or [""]


def text_messages(reply: Reply) -> list[dict[str, Any]]:
    """The `message` objects of a reply's text: buttons on the last part, or numbered lines when too many."""
    text = reply.text
    buttons = [b for b in reply.buttons if len(b.value) <= MAX_PAYLOAD]
    attachment: dict[str, Any] | None = None
    if len(buttons) > MAX_BUTTONS:
        lines = [f"{i}. {b.label}" for i, b in enumerate(buttons, start=1)]
        numbers = ", ".join(str(i) for i in range(1, min(len(buttons), 3) + 1))
        text = "\n".join([text, "", *lines, msg.ZALO_CHOOSE_NUMBER.format(numbers=numbers)])
    elif buttons:
        attachment = {"type": "template", "payload": {"buttons": [
            {"title": _label(b.label), "type": "oa.query.hide", "payload": b.value} for b in buttons]}}
    parts = split_text(text)
    messages: list[dict[str, Any]] = [{"text": p} for p in parts]
    if attachment is not None:
        messages[-1]["attachment"] = attachment
    return messages


def _label(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1].rstrip() + "…"


class ZaloApiError(Exception):
    """The OA API answered with a non-zero error code."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"zalo error {code}: {message}")
        self.code = code
        self.message = message


class TokenUnavailable(Exception):
    """No usable access token (refresh failed or not possible): messages stay queued."""


# ---------------------------------------------------------------- tokens


class Tokens:
    """The OA access token, refreshed before it expires; the new pair is committed before it is used.

    One refresh at a time: in this process an asyncio lock, across processes the token row locked for the
    whole refresh (SELECT … FOR UPDATE on PostgreSQL, SQLite's immediate write transaction), re-read once
    the lock is held, so a second worker uses the token the first one stored instead of spending the
    (single-use) refresh token again.
    """

    def __init__(self, db: Database, cfg: ZaloSettings, http: httpx.AsyncClient) -> None:
        self.db = db
        self.cfg = cfg
        self.http = http
        self._lock = asyncio.Lock()
        self._cached: ChannelToken | None = None
        self.refreshes = 0  # successful refreshes by this process (for logs and tests)

    async def seed(self) -> None:
        """Start from the configured pair, unless the database already holds its successor."""
        access = self.cfg.access_token.get_secret_value() if self.cfg.access_token else None
        refresh = self.cfg.refresh_token.get_secret_value() if self.cfg.refresh_token else None
        seed = hashlib.sha256(f"{access}\x00{refresh}".encode()).hexdigest()
        self._cached = None
        async with self.db.transaction() as s:
            row = await self._row(s, lock=True)
            if row is not None and row.seed == seed:
                return
            if row is None:
                row = ChannelToken(channel=CHANNEL)
                s.add(row)
            else:
                log.warning("zalo: new tokens in the configuration replace the stored pair")
            row.access_token, row.refresh_token, row.seed, row.expires_at = access, refresh, seed, None
            row.failed_at = row.error = row.alerted_at = None

    async def get(self) -> str:
        """A usable access token, refreshing it first when it is about to expire."""
        if self._cached is not None and self._fresh(self._cached):
            return str(self._cached.access_token)
        async with self.db.transaction() as s:
            row = await self._row(s)
            current = row.access_token if row is not None else None
            if row is not None and self._fresh(row):
                self._remember(row)
                return str(current)
        return await self.refresh(stale=current)

    def _remember(self, row: ChannelToken) -> None:
        # Only the access token and its expiry: a refused token (another worker refreshed) is re-read.
        self._cached = ChannelToken(channel=CHANNEL, access_token=row.access_token, expires_at=row.expires_at)

    async def refresh(self, stale: str | None) -> str:
        """Replace `stale` (expired, or refused by the API) with a new token; reuse one another worker got."""
        async with self._lock:
            self._cached = None
            failure: str | None = None
            alert = False
            async with self.db.transaction() as s:
                row = await self._row(s, lock=True)
                if row is None or (row.access_token and row.access_token != stale and self._fresh(row)):
                    if row is None:
                        raise TokenUnavailable("no Zalo token stored (run with KYNANGSO_ZALO__REFRESH_TOKEN set)")
                    self._remember(row)
                    return str(row.access_token)
                if not row.refresh_token:
                    raise TokenUnavailable("no Zalo refresh token")
                if row.failed_at is not None and utcnow() - as_utc(row.failed_at) < timedelta(
                        seconds=self.cfg.refresh_retry):
                    raise TokenUnavailable(f"Zalo token refresh failed recently: {row.error}")
                try:
                    access, refresh, expires_in = await self._request(row.refresh_token)
                except (httpx.HTTPError, ValueError, KeyError) as exc:
                    failure = f"{type(exc).__name__}: {exc}"[:200]
                    row.failed_at, row.error = utcnow(), failure
                    if row.alerted_at is None:
                        row.alerted_at = utcnow()
                        alert = True
                        await _alert_admins(s)
                else:
                    # Committed when this block ends, before the caller uses the new access token.
                    row.access_token, row.refresh_token = access, refresh
                    row.expires_at = utcnow() + timedelta(seconds=expires_in)
                    row.refreshed_at = utcnow()
                    row.failed_at = row.error = row.alerted_at = None
                    self.refreshes += 1
                    self._remember(row)
                    log.info("zalo: access token refreshed, valid %ss", expires_in)
                    return access
            log.error("zalo: access token refresh failed (%s); messages stay queued%s", failure,
                      "; admins alerted" if alert else "")
            raise TokenUnavailable(failure)

    async def refresh_if_due(self) -> None:
        """Scheduled: refresh ahead of expiry even when nothing is being sent."""
        with contextlib.suppress(TokenUnavailable):
            await self.get()

    def _fresh(self, row: ChannelToken) -> bool:
        if not row.access_token:
            return False
        if row.expires_at is None:
            return True  # a configured token of unknown age: used until the API refuses it
        return as_utc(row.expires_at) - utcnow() > timedelta(seconds=self.cfg.refresh_margin)

    async def _row(self, s: AsyncSession, lock: bool = False) -> ChannelToken | None:
        return await channels.token(s, CHANNEL, lock)

    async def _request(self, refresh_token: str) -> tuple[str, str, int]:
        secret = self.cfg.secret_key.get_secret_value() if self.cfg.secret_key else ""
        resp = await self.http.post(f"{self.cfg.oauth_base}/v4/oa/access_token", headers={"secret_key": secret},
                                    data={"refresh_token": refresh_token, "app_id": self.cfg.app_id,
                                          "grant_type": "refresh_token"})
        resp.raise_for_status()
        data = resp.json()
        if not data.get("access_token") or not data.get("refresh_token"):
            raise ValueError(f"error {data.get('error')} {data.get('error_name') or data.get('message') or ''}")
        return str(data["access_token"]), str(data["refresh_token"]), int(data.get("expires_in") or 3600)


async def _alert_admins(s: AsyncSession) -> int:
    """Queue the token alert to national and province admins on every other channel the tutor can write first
    on (Zalo itself cannot carry it: its token is what failed); returns how many."""
    others = [name for name in pushable() if name != CHANNEL]
    rows = await channels.staff_chats(s, ("national_admin", "province_admin"), others)
    for channel, chat in rows:
        await repo.outbox_push(s, channel, chat, Reply(msg.ZALO_TOKEN_ALERT).to_payload())
    return len(rows)
