"""The one web app: channel webhooks, the admin pages, the upstream report API and health checks.

Each part contributes its routes; `kynangso run` runs this app with uvicorn beside the chat channels.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Generator
from typing import TYPE_CHECKING

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.admin.web import admin_routes
from bot.reports import upstream_routes

if TYPE_CHECKING:
    from bot.channels.telegram import TelegramChannel
    from bot.channels.zalo import ZaloChannel
    from bot.config import Settings
    from bot.service import Tutor

log = logging.getLogger(__name__)


def build_app(tutor: Tutor, settings: Settings, telegram: TelegramChannel | None = None,
              zalo: ZaloChannel | None = None) -> Starlette:
    """Every route this instance serves."""
    routes: list[BaseRoute] = []

    async def health(_request: Request) -> Response:
        return JSONResponse({"ok": True})

    routes.append(Route("/healthz", health))
    routes += admin_routes(tutor, settings)
    routes += upstream_routes(tutor, settings)
    if telegram is not None:
        routes += telegram.routes()
    if zalo is not None:
        routes += zalo.routes()
    return Starlette(routes=routes)


class _Server(uvicorn.Server):
    """A uvicorn server that leaves Ctrl-C to the chat or channel it runs beside."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class WebServer:
    """The web app served on its own socket inside the running event loop."""

    def __init__(self, app: Starlette, sock: socket.socket) -> None:
        self.address: tuple[str, int] = sock.getsockname()[:2]
        self.server = _Server(uvicorn.Config(app, log_level="warning", proxy_headers=True))
        self.task = asyncio.create_task(self.server.serve(sockets=[sock]))

    async def wait(self) -> None:
        """Serve until stopped."""
        await self.task

    async def stop(self) -> None:
        """Finish open requests and close the socket."""
        self.server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


def listen(host: str, port: int) -> socket.socket | None:
    """A listening socket, or None (with a warning) when the address is taken or not ours."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family)
    except OSError as exc:
        log.warning("web pages are off: cannot listen on %s:%s (%s); the chat goes on", host, port, exc)
        return None


def start_web(tutor: Tutor, settings: Settings, telegram: TelegramChannel | None = None) -> WebServer | None:
    """Serve the web app on settings.web.listen_host:listen_port when enabled and the port is free."""
    if not settings.web.enabled:
        return None
    sock = listen(settings.web.listen_host, settings.web.listen_port)
    if sock is None:
        return None
    server = WebServer(build_app(tutor, settings, telegram), sock)
    log.info("web pages on %s", settings.web.public_url)
    return server
