"""What every channel offers the rest of the tutor (`Channel`), and the periodic work it hands the scheduler.

A channel only translates: its platform's updates into `Incoming` deliveries for the pipeline
(`bot.service.Tutor.receive` / `process`), and queued `Reply` objects into its platform's messages. What it can
do (text limit, buttons, windows, voice, contact link) is declared in `bot.capabilities`, not asked by name.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from starlette.routing import BaseRoute

from bot.capabilities import Capabilities


@dataclass(frozen=True)
class Job:
    """Work the scheduler repeats for a channel (sending what reminders queued, refreshing a token)."""

    id: str
    run: Callable[[], Awaitable[object]]
    seconds: float


class Channel(Protocol):
    caps: Capabilities

    async def start(self, recover: bool = True) -> None:
        """Connect; with `recover`, finish deliveries a previous process left and send what is queued."""

    async def stop(self) -> None:
        """Cancel the senders and close connections."""

    async def deliver(self, wait: bool = True) -> None:
        """Send every queued reply of this channel (reminders, replies a failed send left)."""

    def routes(self) -> list[BaseRoute]:
        """The webhook routes this channel adds to the one web app (none for a polling channel)."""

    def jobs(self) -> list[Job]:
        """What the scheduler repeats for this channel."""
