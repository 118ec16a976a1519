"""The composition root: the one place that turns settings into a running tutor.

`build_services(settings)` makes the database, the knowledge base, the dialogue and the inbox/outbox pipeline
(`bot.service.Tutor`), the configured channels (listed in `bot.capabilities`) and the scheduler with every job,
theirs included. Every entry point uses it — the console, polling, `kynangso run` with the web channels, each
`kynangso serve` worker, `kynangso scheduler` and the tests — then calls `start()` and, at the end, `aclose()`.

The scheduled jobs and the reports are handed only what they use (`job_deps`, `report_deps`), never the `Tutor`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.capabilities import CHANNELS
from bot.config import Settings
from bot.service import Tutor, load_knowledge
from rag.knowledge import KnowledgeBase
from storage.db import Database

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler
    from starlette.routing import BaseRoute

    from bot.channels.base import Channel
    from bot.reports import ReportDeps
    from bot.scheduler import JobDeps

log = logging.getLogger(__name__)


def configured_channels(settings: Settings) -> list[str]:
    """The channels with an implementation whose settings are complete (a token, keys…), in `CHANNELS` order."""
    return [name for name, caps in CHANNELS.items()
            if caps.implementation and getattr(getattr(settings, name, None), "configured", False)]


def build_channel(name: str, tutor: Tutor, settings: Settings) -> Channel:
    """One channel from its line in `bot.capabilities.CHANNELS` and its settings section."""
    path = CHANNELS[name].implementation
    if path is None:
        raise ValueError(f"channel {name!r} has no implementation to build")
    module, _, cls = path.partition(":")
    factory: Any = getattr(importlib.import_module(module), cls)
    channel: Channel = factory(tutor, getattr(settings, name))
    return channel


def report_deps(tutor: Tutor) -> ReportDeps:
    """What the period reports and the upstream push use, from the tutor's parts."""
    from bot.reports import ReportDeps

    return ReportDeps(tutor.db, tutor.settings.reports, tutor.settings.data_dir, tutor.kb)


def job_deps(tutor: Tutor) -> JobDeps:
    """What the scheduled jobs use, from the tutor's parts."""
    from bot.scheduler import JobDeps

    return JobDeps(tutor.db, tutor.dialogue.learning, tutor.dialogue.community, tutor.settings.privacy,
                   tutor.settings.data_dir, report_deps(tutor))


@dataclass
class Services:
    """Everything one process runs; `start()` before use, `aclose()` at the end."""

    settings: Settings
    tutor: Tutor
    channels: dict[str, Channel] = field(default_factory=dict)
    scheduler: AsyncIOScheduler | None = None

    @property
    def db(self) -> Database:
        return self.tutor.db

    @property
    def kb(self) -> KnowledgeBase:
        return self.tutor.kb

    def routes(self) -> list[BaseRoute]:
        """The channels' webhook routes, for the one web app."""
        return [route for channel in self.channels.values() for route in channel.routes()]

    async def start(self, recover: bool = True) -> None:
        """Start the channels (with `recover`, finishing what an earlier process left), then the scheduler with
        each channel's own jobs."""
        for channel in self.channels.values():
            await channel.start(recover=recover)
        if self.scheduler is not None:
            for channel in self.channels.values():
                for job in channel.jobs():
                    self.scheduler.add_job(job.run, "interval", seconds=job.seconds, id=job.id, max_instances=1,
                                           coalesce=True)
            self.scheduler.start()

    async def aclose(self) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        for channel in reversed(list(self.channels.values())):
            await channel.stop()
        await self.tutor.close()


def build_services(settings: Settings, *, channels: Iterable[str] | None = None, scheduler: bool = True,
                   sync_index: bool = True, db: Database | None = None, kb: KnowledgeBase | None = None) -> Services:
    """The tutor as configured.

    `channels`: the names to build (default: every configured one; `()` for none, as the console and the lone
    scheduler run). `scheduler`: whether this process runs the scheduled jobs (web workers do not).
    `sync_index` false reads the vector index without writing it (web workers; `kynangso ingest` writes it).
    `db` and `kb` reuse ones already open (tests, benchmarks).
    """
    tutor = Tutor(settings, db or Database(settings.database_url, settings.serve.db_pool_size),
                  kb or load_knowledge(settings, sync=sync_index))
    names = configured_channels(settings) if channels is None else list(channels)
    built = {name: build_channel(name, tutor, settings) for name in names}
    jobs = None
    if scheduler:
        from bot.scheduler import build_scheduler

        jobs = build_scheduler(job_deps(tutor))
    log.info("services: channels %s, scheduler %s", ", ".join(built) or "none", "on" if jobs else "off")
    return_freed_memory()
    return Services(settings, tutor, built, jobs)


def return_freed_memory() -> None:
    """Hand the heap that start-up freed back to the system. Training the situation model and reading the vector
    index leave about 25 MiB per process free but still held by glibc's allocator; with several serving workers
    that is memory no one uses (README «Scale», worker memory). Elsewhere than glibc this does nothing."""
    name = ctypes.util.find_library("c")
    try:
        trim = ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        trim = None
    if trim is not None:
        trim(0)
