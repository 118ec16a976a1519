"""The one web app: channel webhooks, the admin pages, the upstream report API and health checks.

Each part contributes its routes; `kynangso run` (and later `serve`) runs this app with uvicorn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.admin.web import admin_routes

if TYPE_CHECKING:
    from bot.channels.telegram import TelegramChannel
    from bot.config import Settings
    from bot.service import Tutor


def build_app(tutor: Tutor, settings: Settings, telegram: TelegramChannel | None = None) -> Starlette:
    """Every route this instance serves."""
    routes: list[BaseRoute] = []

    async def health(_request: Request) -> Response:
        return JSONResponse({"ok": True})

    routes.append(Route("/healthz", health))
    routes += admin_routes(tutor, settings)
    if telegram is not None:
        routes += telegram.routes()
    return Starlette(routes=routes)
