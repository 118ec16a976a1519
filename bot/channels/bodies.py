"""Webhook bodies read safely: size-capped before anything parses them."""

from __future__ import annotations

from starlette.requests import Request

# Telegram and Zalo updates are a few kilobytes; a voice note comes as a link, never inline.
MAX_WEBHOOK_BYTES = 256 * 1024


class BodyTooLarge(Exception):
    """The request body is over the cap (answer 413)."""


async def read_capped(request: Request, limit: int = MAX_WEBHOOK_BYTES) -> bytes:
    """The raw body, refused as soon as it (or its declared length) passes `limit`."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)
