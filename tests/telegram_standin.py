"""A local stand-in of the Telegram Bot API: real HTTP on loopback, records requests, feeds updates.

python-telegram-bot (PTB) 22 talks to it unchanged via ``telegram.Bot(token, base_url=standin.base_url)``.
PTB posts every call as ``application/x-www-form-urlencoded`` (or ``multipart/form-data`` when a file is
uploaded); non-string values such as ``reply_markup`` arrive JSON-encoded inside a form field, numbers and
booleans arrive as strings. The stand-in decodes them back so tests can assert on plain Python values.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import aiohttp
from aiohttp import web

JSONDict = dict[str, Any]

# Fields whose form value is JSON (PTB json.dumps every non-str value).
_JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "commands",
        "scope",
        "allowed_updates",
        "link_preview_options",
        "reply_parameters",
        "media",
        "results",
    }
)
_INT_FIELDS = frozenset(
    {
        "chat_id",
        "message_id",
        "offset",
        "limit",
        "timeout",
        "reply_to_message_id",
        "message_thread_id",
        "cache_time",
        "max_connections",
        "duration",
        "width",
        "height",
        "from_chat_id",
    }
)
_BOOL_FIELDS = frozenset(
    {
        "disable_notification",
        "protect_content",
        "show_alert",
        "drop_pending_updates",
        "disable_web_page_preview",
        "allow_sending_without_reply",
        "has_spoiler",
        "disable_content_type_detection",
    }
)
_INT_RE = re.compile(r"-?\d+")
_MAX_LONG_POLL = 2.0


@dataclass
class Upload:
    """What arrived for one multipart file part (the bytes are not kept, only their size)."""

    field: str
    filename: str | None
    content_type: str
    size: int


@dataclass
class Recorded:
    """One HTTP call the stand-in received."""

    method: str
    params: JSONDict
    time: float
    http_method: str = "POST"
    content_type: str = ""
    files: list[Upload] = field(default_factory=list)
    status: int = 200
    failed: bool = False


@dataclass
class _Fault:
    status: int
    retry_after: int | None
    remaining: int
    description: str


class TelegramStandIn:
    """Just enough of the Telegram Bot API to receive our requests and feed updates, over loopback HTTP."""

    BOT_ID = 123456
    BOT_USERNAME = "kynangso_test_bot"

    def __init__(self, token: str = "123456:TEST") -> None:
        self.token = token
        self.requests: list[Recorded] = []
        self._send_times: dict[str, list[float]] = {}
        self.commands: list[JSONDict] = []
        self.webhook_url = ""
        self.webhook_secret: str | None = None
        self.messages: dict[int, JSONDict] = {}  # message_id -> Message the bot sent
        self.files: dict[str, bytes] = {}  # file_id -> content, served by getFile + /file/bot<token>/...
        self._updates: list[JSONDict] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._faults: dict[str, _Fault] = {}
        self._blocked: set[str] = set()
        self._names: dict[str, str] = {}  # chat_id -> first_name seen in fed updates
        self._new_update = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._stopping = False
        self._port = 0
        self._methods = {name.lower(): name for name in self._handlers()}

    # ---- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind 127.0.0.1 on a free port and start serving."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._stopping = False
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Stop serving and release any long-polling getUpdates."""
        self._stopping = True
        self._wake()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> TelegramStandIn:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def base_url(self) -> str:
        """PTB ``base_url``: PTB appends the token, then ``/method``."""
        return f"http://127.0.0.1:{self._port}/bot"

    @property
    def base_file_url(self) -> str:
        """PTB ``base_file_url`` for downloading files registered with ``add_file``."""
        return f"http://127.0.0.1:{self._port}/file/bot"

    # ---- fault injection -------------------------------------------------------------------------

    def fail_next(
        self, method: str, status: int = 429, retry_after: int = 1, times: int = 1, description: str | None = None
    ) -> None:
        """Make the next ``times`` calls of ``method`` answer ``status`` (429 carries ``retry_after``)."""
        if description is None:
            description = f"Too Many Requests: retry after {retry_after}" if status == 429 else f"Error {status}"
        self._faults[method.lower()] = _Fault(status, retry_after if status == 429 else None, times, description)

    def clear_faults(self) -> None:
        """Forget every pending ``fail_next``."""
        self._faults.clear()

    def block_chat(self, chat_id: int | str) -> None:
        """Every send* to this chat answers 403 as if the user blocked the bot."""
        self._blocked.add(str(chat_id))

    def unblock_chat(self, chat_id: int | str) -> None:
        """Undo ``block_chat``."""
        self._blocked.discard(str(chat_id))

    # ---- feeding updates -------------------------------------------------------------------------

    def queue_update(self, update: JSONDict) -> JSONDict:
        """Queue an update for getUpdates (assigns ``update_id`` if missing) and wake long-polls."""
        if "update_id" not in update:
            update["update_id"] = next(self._update_ids)
        self._updates.append(update)
        self._wake()
        return update

    def deliver_twice(self, update: JSONDict) -> JSONDict:
        """Queue the same update twice with the same update_id (a duplicate delivery)."""
        self.queue_update(update)
        self._updates.append(update)
        self._wake()
        return update

    @property
    def pending_updates(self) -> list[JSONDict]:
        """Updates queued and not yet confirmed by a getUpdates offset."""
        return list(self._updates)

    def user(self, chat_id: int, first_name: str = "Bác") -> JSONDict:
        """A Telegram User for a private chat (user id == chat id, as Telegram does)."""
        return {"id": chat_id, "is_bot": False, "first_name": first_name, "language_code": "vi"}

    def text_update(self, chat_id: int, text: str, first_name: str = "Bác") -> JSONDict:
        """A private-chat text message update; a leading ``/command`` gets its bot_command entity."""
        self._names[str(chat_id)] = first_name
        message = self._user_message(chat_id, first_name)
        message["text"] = text
        command = re.match(r"/\S+", text)
        if command:
            # PTB's CommandHandler only fires when this entity is present, as Telegram sends it.
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command.group(0))}]
        return {"update_id": next(self._update_ids), "message": message}

    def callback_update(self, chat_id: int, data: str, message_id: int = 1, first_name: str = "Bác") -> JSONDict:
        """A button press on the bot message ``message_id`` (echoed in full if the stand-in sent it)."""
        message = self.messages.get(message_id) or {
            "message_id": message_id,
            "from": self._bot_user(),
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            "text": "…",
        }
        return {
            "update_id": next(self._update_ids),
            "callback_query": {
                "id": str(next(self._callback_ids)),
                "from": self.user(chat_id, first_name),
                "message": message,
                "chat_instance": f"ci{chat_id}",
                "data": data,
            },
        }

    def voice_update(self, chat_id: int, file_id: str, duration: int, first_name: str = "Bác") -> JSONDict:
        """A private-chat voice message update."""
        self._names[str(chat_id)] = first_name
        message = self._user_message(chat_id, first_name)
        size = len(self.files.get(file_id, b"")) or 4096
        message["voice"] = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": size,
        }
        return {"update_id": next(self._update_ids), "message": message}

    def add_file(self, file_id: str, content: bytes) -> None:
        """Make ``file_id`` downloadable through getFile and the file URL."""
        self.files[file_id] = content

    async def post_webhook(
        self, url: str, update: JSONDict, secret_token: str | None = None
    ) -> tuple[int, str]:
        """POST an update to our webhook endpoint the way Telegram does; returns (status, body).

        As Telegram, a 200 whose JSON body names a Bot API ``method`` is that call, made by the bot (recorded with
        the others; its result goes nowhere)."""
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret_token} if secret_token is not None else {}
        async with aiohttp.ClientSession() as session, session.post(url, json=update, headers=headers) as resp:
            status, body = resp.status, await resp.text()
            if status == 200 and resp.content_type == "application/json":
                await self.webhook_reply(json.loads(body))
            return status, body

    async def webhook_reply(self, body: Any) -> None:
        """Carry out a Bot API call given as a webhook's response body, as Telegram does."""
        method = self._methods.get(str(body.get("method", "")).lower()) if isinstance(body, dict) else None
        if method is None:
            return
        params = {k: v for k, v in body.items() if k != "method"}
        rec = Recorded(method, params, time.monotonic(), "WEBHOOK", "application/json")
        self.requests.append(rec)
        try:
            await self._handlers()[method](params)
        except _ApiError as err:
            rec.status, rec.failed = err.status, True

    # ---- assertions helpers ----------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Recorded]:
        """Recorded calls, optionally of one method."""
        return [r for r in self.requests if method is None or r.method.lower() == method.lower()]

    def sent(self, method: str | None = "sendMessage", chat_id: int | str | None = None) -> list[JSONDict]:
        """Params of successful calls of ``method`` (None = any), optionally to one chat."""
        return [
            r.params
            for r in self.calls(method)
            if not r.failed and (chat_id is None or str(r.params.get("chat_id")) == str(chat_id))
        ]

    def send_times(self, chat_id: int | str) -> list[float]:
        """Monotonic times of successful send* calls to this chat (for rate-limit assertions)."""
        return list(self._send_times.get(str(chat_id), []))

    # ---- HTTP ------------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        now = time.monotonic()
        params, files = await self._read_params(request)
        raw_method = request.match_info["method"]
        method = self._methods.get(raw_method.lower(), raw_method)
        rec = Recorded(method, params, now, request.method, request.content_type, files)
        self.requests.append(rec)

        if request.match_info["token"] != self.token:
            return self._error(rec, 401, "Unauthorized")
        handler = self._handlers().get(method)
        if handler is None:
            return self._error(rec, 404, "Not Found")
        fault = self._faults.get(method.lower())
        if fault is not None and fault.remaining > 0:
            fault.remaining -= 1
            extra = {"retry_after": fault.retry_after} if fault.retry_after is not None else None
            return self._error(rec, fault.status, fault.description, extra)
        if method.startswith("send") and str(params.get("chat_id")) in self._blocked:
            return self._error(rec, 403, "Forbidden: bot was blocked by the user")
        try:
            result = await handler(params)
        except _ApiError as err:
            return self._error(rec, err.status, err.description)
        if method.startswith("send"):
            self._send_times.setdefault(str(params.get("chat_id")), []).append(now)
        return web.json_response({"ok": True, "result": result})

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        file_id = request.match_info["path"].rsplit("/", 1)[-1].split(".", 1)[0]
        if request.match_info["token"] != self.token or file_id not in self.files:
            raise web.HTTPNotFound()
        return web.Response(body=self.files[file_id])

    def _error(self, rec: Recorded, status: int, description: str, parameters: JSONDict | None = None) -> web.Response:
        rec.status = status
        rec.failed = True
        body: JSONDict = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        return web.json_response(body, status=status)

    @staticmethod
    async def _read_params(request: web.Request) -> tuple[JSONDict, list[Upload]]:
        params: JSONDict = {name: _decode(name, value) for name, value in request.query.items()}
        files: list[Upload] = []
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                body = await request.json()
                if isinstance(body, dict):
                    params.update(body)
            else:
                form = await request.post()
                for name, value in form.items():
                    if isinstance(value, web.FileField):
                        data = value.file.read()
                        upload = Upload(name, value.filename, value.content_type, len(data))
                        files.append(upload)
                        params[name] = {
                            "field": name,
                            "filename": upload.filename,
                            "content_type": upload.content_type,
                            "size": upload.size,
                        }
                    else:
                        params[name] = _decode(name, str(value))
        return params, files

    # ---- methods ---------------------------------------------------------------------------------

    def _handlers(self) -> Mapping[str, Any]:
        return {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "sendVoice": self._send_voice,
            "sendChatAction": self._true,
            "answerCallbackQuery": self._true,
            "editMessageReplyMarkup": self._true,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "getFile": self._get_file,
        }

    async def _true(self, params: JSONDict) -> bool:
        return True

    async def _get_me(self, params: JSONDict) -> JSONDict:
        return {
            **self._bot_user(),
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _get_updates(self, params: JSONDict) -> list[JSONDict]:
        if self.webhook_url:
            raise _ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                 "use deleteWebhook to delete the webhook first")
        offset = int(params.get("offset") or 0)
        limit = max(1, min(100, int(params.get("limit") or 100)))
        timeout = min(float(params.get("timeout") or 0), _MAX_LONG_POLL)
        deadline = time.monotonic() + timeout
        while True:
            self._confirm(offset)
            if self._updates or self._stopping:
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            event = self._new_update
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                break
        return self._updates[:limit]

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            # Telegram: a negative offset keeps only the last -offset updates.
            self._updates = self._updates[offset:]
        elif offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

    async def _send_message(self, params: JSONDict) -> JSONDict:
        message = self._bot_message(params)
        message["text"] = params.get("text", "")
        return self._remember(message)

    async def _send_photo(self, params: JSONDict) -> JSONDict:
        message = self._bot_message(params)
        photo = params.get("photo")
        size = photo["size"] if isinstance(photo, dict) else 0
        file_id = f"photo{message['message_id']}"
        message["photo"] = [
            {"file_id": file_id, "file_unique_id": f"u{file_id}", "width": 320, "height": 240, "file_size": size}
        ]
        return self._remember(message)

    async def _send_voice(self, params: JSONDict) -> JSONDict:
        message = self._bot_message(params)
        data = params.get("voice")
        file_id = f"voice{message['message_id']}"
        message["voice"] = {"file_id": file_id, "file_unique_id": f"u{file_id}", "duration": 1}
        if isinstance(data, dict):
            message["voice"].update(mime_type=data["content_type"], file_size=data["size"])
        return self._remember(message)

    async def _send_document(self, params: JSONDict) -> JSONDict:
        message = self._bot_message(params)
        document = params.get("document")
        file_id = f"doc{message['message_id']}"
        message["document"] = {"file_id": file_id, "file_unique_id": f"u{file_id}"}
        if isinstance(document, dict):
            message["document"].update(
                file_name=document["filename"], mime_type=document["content_type"], file_size=document["size"]
            )
        return self._remember(message)

    async def _set_my_commands(self, params: JSONDict) -> bool:
        commands = params.get("commands") or []
        self.commands = list(commands) if isinstance(commands, list) else []
        return True

    async def _get_my_commands(self, params: JSONDict) -> list[JSONDict]:
        return self.commands

    async def _delete_my_commands(self, params: JSONDict) -> bool:
        self.commands = []
        return True

    async def _set_webhook(self, params: JSONDict) -> bool:
        self.webhook_url = str(params.get("url") or "")
        self.webhook_secret = params.get("secret_token")
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _delete_webhook(self, params: JSONDict) -> bool:
        self.webhook_url = ""
        self.webhook_secret = None
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self._wake()
        return True

    async def _get_webhook_info(self, params: JSONDict) -> JSONDict:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
            "max_connections": 40,
        }

    async def _get_file(self, params: JSONDict) -> JSONDict:
        file_id = str(params.get("file_id"))
        if file_id not in self.files:
            raise _ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": len(self.files[file_id]),
            "file_path": f"files/{file_id}.oga",
        }

    # ---- shapes ----------------------------------------------------------------------------------

    def _wake(self) -> None:
        self._new_update.set()
        self._new_update = asyncio.Event()

    def _bot_user(self) -> JSONDict:
        return {"id": self.BOT_ID, "is_bot": True, "first_name": "Kỹ năng số", "username": self.BOT_USERNAME}

    def _chat(self, chat_id: Any) -> JSONDict:
        if isinstance(chat_id, int) or (isinstance(chat_id, str) and _INT_RE.fullmatch(chat_id)):
            return {"id": int(chat_id), "type": "private", "first_name": self._names.get(str(chat_id), "Bác")}
        return {"id": -1001, "type": "channel", "title": str(chat_id), "username": str(chat_id).lstrip("@")}

    def _user_message(self, chat_id: int, first_name: str) -> JSONDict:
        return {
            "message_id": next(self._message_ids),
            "from": self.user(chat_id, first_name),
            "chat": {"id": chat_id, "type": "private", "first_name": first_name},
            "date": int(time.time()),
        }

    def _bot_message(self, params: JSONDict) -> JSONDict:
        message: JSONDict = {
            "message_id": next(self._message_ids),
            "from": self._bot_user(),
            "chat": self._chat(params.get("chat_id")),
            "date": int(time.time()),
        }
        if "caption" in params:
            message["caption"] = params["caption"]
        markup = params.get("reply_markup")
        # Telegram only echoes inline keyboards; PTB would fail to parse a reply keyboard here.
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        return message

    def _remember(self, message: JSONDict) -> JSONDict:
        self.messages[message["message_id"]] = message
        return message


class _ApiError(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def _decode(name: str, value: str) -> Any:
    """Undo PTB's form encoding for the fields we know: JSON objects, ints and booleans."""
    if name in _JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            return value
    if name in _INT_FIELDS and _INT_RE.fullmatch(value):
        return int(value)
    if name in _BOOL_FIELDS and value in ("true", "false"):
        return value == "true"
    return value
