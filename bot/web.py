"""The one web app: channel webhooks, the admin pages, the upstream report API, health and metrics.

Each part contributes its routes; `kynangso run` runs this app with uvicorn beside the chat channels, and
`kynangso serve --workers N` runs N stateless copies of it (`create_app`, uvicorn's factory), webhooks only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Generator, Iterable
from typing import TYPE_CHECKING, Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot import observability as obs
from bot.admin.web import admin_routes
from bot.reports import upstream_routes

if TYPE_CHECKING:
    from bot.app import Services
    from bot.channels.base import Channel
    from bot.config import Settings
    from bot.service import Tutor
    from rag.knowledge import KnowledgeBase
    from storage.db import Database

log = logging.getLogger(__name__)


async def readiness(db: Database, kb: KnowledgeBase) -> dict[str, Any]:
    """What /readyz reports: the database answers, and the vector index is loaded and complete."""
    checks: dict[str, Any] = {}
    try:
        async with asyncio.timeout(5):
            await db.ping()
        checks["database"] = True
    except Exception as exc:  # noqa: BLE001 - any failure means: not ready
        log.warning("readiness: database unreachable (%s)", type(exc).__name__)
        checks["database"] = False
    sync = kb.sync
    vectors = kb.retriever.vectors
    if vectors is None or sync is None:
        checks["index"] = True  # lexical retrieval only: nothing to load from Chroma
    else:
        try:
            count = await asyncio.wait_for(asyncio.to_thread(vectors.count), 5)
            checks["index"] = sync.missing == 0 and count >= sync.total
        except Exception as exc:  # noqa: BLE001 - the vector store is unreachable
            log.warning("readiness: vector store unreachable (%s)", type(exc).__name__)
            checks["index"] = False
    checks["ok"] = all(checks.values())
    return checks


def build_app(tutor: Tutor, settings: Settings, channels: Iterable[Channel] = (),
              lifespan: Any = None) -> Starlette:
    """Every route this instance serves: health, readiness, metrics, the admin pages, the upstream report API and
    the webhooks of `channels`."""
    routes: list[BaseRoute] = []

    async def health(_request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def ready(_request: Request) -> Response:
        checks = await readiness(tutor.db, tutor.kb)
        return JSONResponse(checks, status_code=200 if checks["ok"] else 503)

    async def metrics(_request: Request) -> Response:
        try:
            backlog: dict[str, int] | None = await tutor.backlog()
        except Exception:  # noqa: BLE001 - the counters are still worth reporting
            log.warning("metrics: backlog unavailable", exc_info=True)
            backlog = None
        return Response(obs.exposition(backlog), media_type=obs.CONTENT_TYPE)

    routes += [Route("/healthz", health), Route("/readyz", ready), Route("/metrics", metrics)]
    routes += admin_routes(tutor.db, tutor.kb, settings)
    routes += upstream_routes(tutor.db, settings.reports)
    for channel in channels:
        routes += channel.routes()
    return Starlette(routes=routes, lifespan=lifespan)


def create_app() -> Starlette:
    """One `kynangso serve` worker: Telegram and Zalo webhooks, admin pages, health, readiness and metrics.

    Stateless: everything lives in the database. The index is read, never written (`kynangso ingest`), and
    nothing polls. Each worker processes the deliveries it stored and, every `serve.sweep_seconds`, takes
    over deliveries still unprocessed after `serve.grace_seconds` (a worker died between storing and
    processing them) and sends what is queued (replies a dead worker left, reminders from the scheduler).
    """
    from bot.app import build_services
    from bot.config import get_settings

    settings = get_settings()
    obs.setup_logging(settings)
    services = build_services(settings, scheduler=False, sync_index=False)
    tutor = services.tutor
    channels = list(services.channels.items())
    cfg = settings.serve

    async def sweep() -> None:
        while True:
            await asyncio.sleep(cfg.sweep_seconds)
            for name, channel in channels:
                try:
                    taken = await tutor.process_pending(name, older_than=cfg.grace_seconds)
                    if taken:
                        log.warning("took over %d %s deliveries left unprocessed", taken, name)
                    await channel.deliver(wait=False)
                except Exception:  # noqa: BLE001 - logged; the next sweep tries again
                    log.exception("sweep of %s failed", name)
                    obs.ERRORS.labels("sweep").inc()

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await services.start(recover=False)
        task = asyncio.create_task(sweep())
        log.info("worker ready: %s", ", ".join(n for n, _ in channels) or "no channel configured")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await services.aclose()

    return build_app(tutor, settings, services.channels.values(), lifespan=lifespan)


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


def start_web(services: Services, with_channels: bool = False) -> WebServer | None:
    """Serve the web app on settings.web.listen_host:listen_port when enabled and the port is free (with the
    channels' webhook routes when `with_channels`)."""
    settings = services.settings
    if not settings.web.enabled:
        return None
    sock = listen(settings.web.listen_host, settings.web.listen_port)
    if sock is None:
        return None
    channels = services.channels.values() if with_channels else ()
    server = WebServer(build_app(services.tutor, settings, channels), sock)
    log.info("web pages on %s", settings.web.public_url)
    return server
