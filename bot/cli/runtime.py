"""Running the tutor: `run` (console, Telegram or the web channels), `serve` (N web workers), `chat`,
`scheduler`, `db upgrade`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from pathlib import Path

from bot.config import Settings

log = logging.getLogger(__name__)


def cmd_db_upgrade(settings: Settings) -> int:
    from storage.db import upgrade

    upgrade(settings.database_url)
    return 0


def _multiproc_dir(settings: Settings) -> str:
    """A fresh folder for the workers' metric files (prometheus-client multiprocess mode)."""
    import os
    import shutil

    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or str(settings.data_dir / "prometheus")
    # Files of an earlier run would be summed into this one's counters: start empty, as the library asks.
    shutil.rmtree(folder, ignore_errors=True)
    Path(folder).mkdir(parents=True, exist_ok=True)
    return folder


async def _register_webhook(settings: Settings) -> None:
    """Tell Telegram where to post updates and which commands to show (once, before the workers start)."""
    from telegram import Bot, BotCommand

    from bot.channels.telegram import COMMANDS

    cfg = settings.telegram
    assert cfg.token is not None
    async with Bot(cfg.token.get_secret_value(), base_url=cfg.base_url, base_file_url=cfg.base_file_url) as bot:
        await bot.set_my_commands([BotCommand(c, d) for c, d in COMMANDS])
        if cfg.webhook_url:
            await bot.set_webhook(cfg.webhook_url,
                                  secret_token=cfg.secret_token.get_secret_value() if cfg.secret_token else None,
                                  allowed_updates=["message", "callback_query"])


def cmd_serve(settings: Settings, workers: int | None, host: str | None, port: int | None) -> int:
    """N uvicorn workers of bot.web:create_app (webhooks, admin pages, /healthz, /readyz, /metrics)."""
    import os

    import uvicorn

    n = workers or settings.serve.workers
    cmd_db_upgrade(settings)
    if n > 1 and settings.web.secret_key is None and not os.environ.get("KYNANGSO_WEB__SECRET_KEY"):
        # The admin sign-in form is signed before login; every worker must check what another signed. Without
        # a configured key, one is made for this run and handed to the workers (forms open across a restart
        # are simply shown again).
        import secrets

        os.environ["KYNANGSO_WEB__SECRET_KEY"] = secrets.token_urlsafe(32)
        log.warning("web.secret_key is not set: one key was made for this run's %d workers", n)
    if n > 1:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = _multiproc_dir(settings)
        # Telegram's and Zalo's overall send limits are shared by the workers: each takes its part.
        os.environ["KYNANGSO_TELEGRAM__PER_SECOND"] = str(max(1, settings.telegram.per_second // n))
        os.environ["KYNANGSO_ZALO__PER_SECOND"] = str(settings.zalo.per_second / n)
        # The workers are the parallelism: one embedding thread each spends 17.6 ms of CPU per question where
        # two spend 21.7 (measured here), so more questions fit on the same cores. An explicit setting wins.
        os.environ.setdefault("OMP_NUM_THREADS", "1")
    if settings.telegram.token is not None:
        asyncio.run(_register_webhook(settings))
    log.info("serving %d worker(s) on %s:%s", n, host or settings.web.listen_host, port or settings.web.listen_port)
    uvicorn.run("bot.web:create_app", factory=True, host=host or settings.web.listen_host,
                port=port or settings.web.listen_port, workers=n, proxy_headers=True,
                forwarded_allow_ips=settings.serve.forwarded_allow_ips, log_level="warning",
                timeout_graceful_shutdown=10)
    return 0


async def _chat(settings: Settings, user: str, with_scheduler: bool, with_web: bool = False) -> None:
    from bot.app import build_services
    from bot.channels.console import chat
    from bot.web import start_web

    services = build_services(settings, channels=(), scheduler=with_scheduler)
    web = None
    try:
        await services.start()
        web = start_web(services) if with_web else None
        await chat(services.tutor, user)
    finally:
        if web is not None:
            await web.stop()
        await services.aclose()


def cmd_chat(settings: Settings, user: str, with_scheduler: bool = False, with_web: bool = False) -> int:
    cmd_db_upgrade(settings)
    asyncio.run(_chat(settings, user, with_scheduler, with_web))
    return 0


async def _telegram(settings: Settings) -> None:
    """Run the Telegram channel (polling or webhook) with the scheduler, until interrupted."""
    import uvicorn

    from bot.app import build_services
    from bot.channels.telegram import TelegramChannel
    from bot.web import start_web

    services = build_services(settings, channels=("telegram",))
    channel = services.channels["telegram"]
    assert isinstance(channel, TelegramChannel)
    webhook = settings.telegram.mode == "webhook"
    web = None
    try:
        await services.start()
        # The web app (admin pages) also carries the webhook route, so one address can serve both.
        web = start_web(services, with_channels=webhook)
        if webhook:
            await channel.set_webhook()
            cfg = settings.telegram
            if web is not None and web.address == (cfg.listen_host, cfg.listen_port):
                await web.wait()
            else:
                server = uvicorn.Server(uvicorn.Config(channel.webhook_app(), host=cfg.listen_host,
                                                       port=cfg.listen_port, log_level="warning"))
                await server.serve()
        else:
            await channel.poll()
    finally:
        if web is not None:
            await web.stop()
        await services.aclose()


async def _web_channels(settings: Settings) -> None:
    """Zalo on the one web app (with Telegram too when it has a token) and the scheduler, until interrupted."""
    import uvicorn

    from bot.app import build_services
    from bot.channels.telegram import TelegramChannel
    from bot.web import build_app

    services = build_services(settings)
    telegram = services.channels.get("telegram")
    polling: asyncio.Task[None] | None = None
    try:
        await services.start()
        if isinstance(telegram, TelegramChannel):
            if settings.telegram.mode == "webhook":
                await telegram.set_webhook()
            else:
                polling = asyncio.create_task(telegram.poll())
        webhooks = [c for name, c in services.channels.items() if not (name == "telegram" and polling)]
        app = build_app(services.tutor, settings, webhooks)
        server = uvicorn.Server(uvicorn.Config(app, host=settings.web.listen_host, port=settings.web.listen_port,
                                               log_level="warning"))
        await server.serve()
    finally:
        if polling is not None:
            polling.cancel()
        await services.aclose()


def cmd_run(settings: Settings) -> int:
    """Zalo (and Telegram) on the web app when Zalo is configured; else Telegram with a token; else the console."""
    if settings.zalo.configured:
        cmd_db_upgrade(settings)
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_web_channels(settings))
        return 0
    if settings.telegram.token is None:
        return cmd_chat(settings, "local", with_scheduler=True, with_web=settings.web.enabled)
    cmd_db_upgrade(settings)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_telegram(settings))
    return 0


async def _scheduler_forever(settings: Settings) -> None:
    from bot.app import build_services

    # The scheduled jobs alone: what they queue is sent by the web workers' sweeps.
    services = build_services(settings, channels=())
    try:
        await services.start()
        await asyncio.Event().wait()
    finally:
        await services.aclose()


def cmd_scheduler(settings: Settings) -> int:
    cmd_db_upgrade(settings)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_scheduler_forever(settings))
    return 0



def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    sub.add_parser("run", help="migrate, build the index and start the tutor (console without credentials)"
                   ).set_defaults(handler=lambda settings, args: cmd_run(settings))
    sub.add_parser("scheduler", help="run the scheduled jobs alone (when several web workers serve channels)"
                   ).set_defaults(handler=lambda settings, args: cmd_scheduler(settings))
    serve = sub.add_parser("serve", help="N stateless web workers: Telegram and Zalo webhooks, admin pages, "
                                         "/healthz, /readyz, /metrics (PostgreSQL, Chroma server)")
    serve.add_argument("--workers", type=int, default=None, help="uvicorn worker processes (default: serve.workers)")
    serve.add_argument("--host", default=None, help="default: web.listen_host")
    serve.add_argument("--port", type=int, default=None, help="default: web.listen_port")
    serve.set_defaults(handler=lambda settings, args: cmd_serve(settings, args.workers, args.host, args.port))
    chat = sub.add_parser("chat", help="chat in the terminal (works when piped)")
    chat.add_argument("--user", default="local", help="console user id (default: local)")
    chat.set_defaults(handler=lambda settings, args: cmd_chat(settings, args.user))
    db = sub.add_parser("db", help="database tools")
    db.add_argument("action", choices=["upgrade"])
    db.set_defaults(handler=lambda settings, args: cmd_db_upgrade(settings))
