"""A local stand-in of the Zalo OA API v3 and the OAuth v4 token endpoint: real HTTP on loopback.

It records every request, issues access tokens with short lifetimes, rejects a refresh token used twice,
answers the documented error codes (HTTP 200 with a non-zero `error`, as Zalo does), and signs webhook
events with the documented formula so tests can post them to our endpoint.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import aiohttp
from aiohttp import web

from bot.channels.zalo_api import signature

JSONDict = dict[str, Any]

ERROR_MESSAGES = {
    -32: "Your application reached limit call api",
    -201: "Parameters are invalid",
    -211: "Out of quota",
    -213: "User has not followed OA",
    -216: "Access token is invalid",
    -218: "Out of quota receive",
    -220: "access_token is expired or removed",
    -230: "User has not interacted with the OA in the past 7 days",
}


@dataclass
class Recorded:
    """One HTTP call the stand-in received."""

    path: str
    headers: dict[str, str]
    body: JSONDict
    time: float
    error: int = 0
    files: list[str] = field(default_factory=list)


class ZaloStandIn:
    """Just enough of the OA API and OAuth to receive our requests; tokens and faults are under test control."""

    APP_ID = "360846524940903967"
    APP_SECRET = "app-secret-key"
    OA_SECRET = "oa-secret-key"
    OA_ID = "388613280878808645"

    def __init__(self, access_lifetime: int = 90000) -> None:
        self.access_lifetime = access_lifetime
        self.requests: list[Recorded] = []
        self.tokens: dict[str, float] = {}  # access token -> expiry (time.time())
        self.refresh_tokens: dict[str, bool] = {}  # refresh token -> still usable
        self._seq = itertools.count(1)
        self._msg_ids = itertools.count(1)
        self._faults: list[tuple[str, int, int]] = []  # (path, error, remaining)
        self.window_closed: set[str] = set()  # users answered with -230
        self.not_following: set[str] = set()  # users answered with -213
        self.oauth_down = False
        self.oauth_delay = 0.0
        self._runner: web.AppRunner | None = None
        self._port = 0
        self.media: dict[str, bytes] = {}  # files users sent (voice notes), served at /media/<name>
        self.access_token, self.refresh_token = self.issue()

    # ---- lifecycle -------------------------------------------------------------------------------

    async def __aenter__(self) -> ZaloStandIn:
        app = web.Application()
        app.router.add_post("/v3.0/oa/message/cs", self._send)
        app.router.add_post("/v2.0/oa/upload/image", self._upload_image)
        app.router.add_post("/v2.0/oa/upload/file", self._upload_file)
        app.router.add_post("/v4/oa/access_token", self._oauth)
        app.router.add_get("/media/{name}", self._media)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base(self) -> str:
        """Both `api_base` and `oauth_base` for our settings."""
        return f"http://127.0.0.1:{self._port}"

    # ---- tokens and faults -----------------------------------------------------------------------

    def issue(self, lifetime: int | None = None) -> tuple[str, str]:
        """A new token pair, as the OA authorisation would give."""
        n = next(self._seq)
        access, refresh = f"access-{n}", f"refresh-{n}"
        self.tokens[access] = time.time() + (self.access_lifetime if lifetime is None else lifetime)
        self.refresh_tokens[refresh] = True
        return access, refresh

    def expire_all(self) -> None:
        """Every access token issued so far is expired now (refresh tokens stay valid)."""
        for token in self.tokens:
            self.tokens[token] = 0.0

    def fail_next(self, path: str, error: int, times: int = 1) -> None:
        """The next `times` calls of `path` answer with this error code."""
        self._faults.append((path, error, times))

    def clear_faults(self) -> None:
        """Forget every pending ``fail_next``."""
        self._faults.clear()

    # ---- webhook events --------------------------------------------------------------------------

    def text_event(self, user: str, text: str, msg_id: str | None = None, ts: int | None = None) -> JSONDict:
        return {"app_id": self.APP_ID, "user_id_by_app": f"app{user}", "event_name": "user_send_text",
                "timestamp": str(ts if ts is not None else int(time.time() * 1000)),
                "sender": {"id": user}, "recipient": {"id": self.OA_ID},
                "message": {"text": text, "msg_id": msg_id or f"m{next(self._msg_ids):020d}"}}

    def media_event(self, user: str, kind: str) -> JSONDict:
        """user_send_image / sticker / audio / file with an attachment."""
        event = self.text_event(user, "")
        event["event_name"] = f"user_send_{kind}"
        event["message"] = {"msg_id": f"m{next(self._msg_ids):020d}",
                            "attachments": [{"type": kind, "payload": {"url": f"https://example.invalid/{kind}"}}]}
        return event

    def audio_event(self, user: str, content: bytes | None, name: str = "voice.aac") -> JSONDict:
        """user_send_audio with its file served by this stand-in (None: a link that answers 404)."""
        if content is not None:
            self.media[name] = content
        event = self.media_event(user, "audio")
        event["message"]["attachments"] = [{"type": "audio", "payload": {"url": f"{self.base}/media/{name}"}}]
        return event

    def follow_event(self, user: str, name: str = "follow") -> JSONDict:
        return {"app_id": self.APP_ID, "oa_id": self.OA_ID, "user_id_by_app": f"app{user}", "event_name": name,
                "timestamp": str(int(time.time() * 1000)), "source": "oa_profile", "follower": {"id": user}}

    def signed(self, event: JSONDict, secret: str | None = None) -> tuple[bytes, dict[str, str]]:
        """Body and headers as Zalo sends them: the signature over the exact bytes posted."""
        body = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
        mac = signature(self.APP_ID, body, str(event["timestamp"]), secret or self.OA_SECRET)
        return body, {"X-ZEvent-Signature": mac, "Content-Type": "application/json"}

    async def post_webhook(self, url: str, event: JSONDict, headers: dict[str, str] | None = None,
                           body: bytes | None = None) -> tuple[int, float]:
        """POST an event (signed unless headers are given); returns (status, seconds to answer)."""
        signed_body, signed_headers = self.signed(event)
        started = time.monotonic()
        async with aiohttp.ClientSession() as session, session.post(
                url, data=body if body is not None else signed_body,
                headers=signed_headers if headers is None else headers) as resp:
            await resp.read()
            return resp.status, time.monotonic() - started

    # ---- assertions helpers ----------------------------------------------------------------------

    def calls(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]

    def sent(self, user: str | None = None) -> list[JSONDict]:
        """`message` objects delivered (error 0), optionally to one user."""
        return [r.body["message"] for r in self.calls("/v3.0/oa/message/cs")
                if r.error == 0 and (user is None or r.body["recipient"]["user_id"] == user)]

    def texts(self, user: str | None = None) -> list[str]:
        return [str(m["text"]) for m in self.sent(user) if "text" in m]

    def refreshes(self, ok: bool | None = None) -> list[Recorded]:
        return [r for r in self.calls("/v4/oa/access_token") if ok is None or (r.error == 0) == ok]

    # ---- HTTP ------------------------------------------------------------------------------------

    def _fault(self, path: str) -> int:
        for i, (p, error, remaining) in enumerate(self._faults):
            if p == path and remaining > 0:
                self._faults[i] = (p, error, remaining - 1)
                return error
        return 0

    def _check_token(self, request: web.Request) -> int:
        token = request.headers.get("access_token", "")
        if token not in self.tokens:
            return -216
        if self.tokens[token] < time.time():
            return -220
        return 0

    def _answer(self, rec: Recorded, error: int, data: JSONDict | None = None) -> web.Response:
        rec.error = error
        if error:
            return web.json_response({"error": error, "message": ERROR_MESSAGES.get(error, "error")})
        return web.json_response({"error": 0, "message": "Success", "data": data or {}})

    async def _send(self, request: web.Request) -> web.Response:
        body = await request.json()
        rec = Recorded(request.path, dict(request.headers), body, time.monotonic())
        self.requests.append(rec)
        error = self._check_token(request) or self._fault(request.path)
        user = str(body.get("recipient", {}).get("user_id", ""))
        if not error and user in self.not_following:
            error = -213
        if not error and user in self.window_closed:
            error = -230
        message = body.get("message") or {}
        if not error and not (message.get("text") or message.get("attachment")):
            error = -201
        if not error and len(str(message.get("text") or "")) > 2000:
            error = -201
        buttons = ((message.get("attachment") or {}).get("payload") or {}).get("buttons") or []
        if not error and (len(buttons) > 5 or any(len(b.get("title", "")) > 100 for b in buttons)):
            error = -201
        return self._answer(rec, error, {"message_id": f"oa{len(self.requests)}", "user_id": user})

    async def _upload(self, request: web.Request) -> tuple[Recorded, int]:
        form = await request.post()
        files = [f"{name}:{value.filename}:{len(value.file.read())}" for name, value in form.items()
                 if isinstance(value, web.FileField)]
        rec = Recorded(request.path, dict(request.headers), {}, time.monotonic(), files=files)
        self.requests.append(rec)
        return rec, self._check_token(request) or self._fault(request.path) or (0 if files else -201)

    async def _upload_image(self, request: web.Request) -> web.Response:
        rec, error = await self._upload(request)
        return self._answer(rec, error, {"attachment_id": f"att{len(self.requests)}"})

    async def _upload_file(self, request: web.Request) -> web.Response:
        rec, error = await self._upload(request)
        return self._answer(rec, error, {"token": f"file{len(self.requests)}"})

    async def _media(self, request: web.Request) -> web.Response:
        self.requests.append(Recorded(request.path, dict(request.headers), {}, time.time()))
        data = self.media.get(request.match_info["name"])
        if data is None:
            raise web.HTTPNotFound()
        return web.Response(body=data, content_type="audio/aac")

    async def _oauth(self, request: web.Request) -> web.Response:
        form = await request.post()
        body = {k: str(v) for k, v in form.items()}
        rec = Recorded(request.path, dict(request.headers), body, time.monotonic())
        self.requests.append(rec)
        if self.oauth_delay:
            await asyncio.sleep(self.oauth_delay)
        if self.oauth_down:
            rec.error = 500
            return web.Response(status=500, text="internal error")
        refresh = body.get("refresh_token", "")
        problem = None
        if request.headers.get("secret_key") != self.APP_SECRET:
            problem = (-14002, "Invalid secret key")
        elif body.get("app_id") != self.APP_ID or body.get("grant_type") != "refresh_token":
            problem = (-14001, "Invalid parameter")
        elif not self.refresh_tokens.get(refresh):
            problem = (-14014, "Invalid refresh_token" + (" (already used)" if refresh in self.refresh_tokens else ""))
        if problem is not None:
            rec.error = problem[0]
            return web.json_response({"error": problem[0], "error_name": problem[1],
                                      "error_description": problem[1]})
        self.refresh_tokens[refresh] = False  # single use
        access, new_refresh = self.issue()
        return web.json_response({"access_token": access, "refresh_token": new_refresh,
                                  "expires_in": str(self.access_lifetime)})
