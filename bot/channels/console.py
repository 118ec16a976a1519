"""Console channel: the same dialogue in a terminal, or scripted through a pipe."""

from __future__ import annotations

import asyncio
import sys
import uuid
from typing import TextIO

from bot import messages as msg
from bot.service import Tutor
from bot.types import Incoming, Reply
from rag.text import fold

CHANNEL = "console"
_QUIT = {"thoat", "quit", "exit", "/thoat"}


def render(reply: Reply) -> str:
    """Plain-text form of a reply: the text, then numbered buttons."""
    lines = [reply.text]
    if reply.image_path:
        lines.append(f"[ảnh: {reply.image_path}]")
    if reply.file_path:
        lines.append(f"[tệp: {reply.file_path}]")
    for i, button in enumerate(reply.buttons, start=1):
        lines.append(f"  [{i}] {button.label}")
    return "\n".join(lines) + "\n"


async def chat(tutor: Tutor, user_id: str = "local", stdin: TextIO | None = None,
               stdout: TextIO | None = None) -> None:
    """Read lines until end of input or "thoát"; print every reply."""
    src, out = stdin or sys.stdin, stdout or sys.stdout
    interactive = src.isatty()

    async def send(_user: str, reply: Reply) -> None:
        out.write(render(reply) + "\n")
        out.flush()

    # Only this person's messages: another console user's (a volunteer told someone needs help) stay queued
    # for them.
    await tutor.process_pending(CHANNEL)
    await tutor.deliver(CHANNEL, send, user_id)
    if interactive:
        out.write(msg.CONSOLE_INTRO + "\n\n")
    loop = asyncio.get_running_loop()
    while True:
        if interactive:
            out.write(msg.CONSOLE_PROMPT)
            out.flush()
        line = await loop.run_in_executor(None, src.readline)
        if not line:
            break
        text = line.rstrip("\n")
        if fold(text.strip()) in _QUIT:
            break
        if not text.strip():
            continue
        inbox_id = await tutor.receive(Incoming(CHANNEL, user_id, uuid.uuid4().hex, text=text))
        if inbox_id is not None:
            await tutor.process(inbox_id)
        await tutor.deliver(CHANNEL, send, user_id)
    if interactive:
        out.write(msg.CONSOLE_BYE + "\n")
