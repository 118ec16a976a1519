"""Prometheus metrics and structured logs for the web workers.

Metrics are multiprocess-safe: when PROMETHEUS_MULTIPROC_DIR is set (`kynangso serve` sets it for several
workers), every worker writes its counters to files there and `/metrics`, answered by whichever worker the
request reaches, sums them. The backlog is a fact of the database, read when `/metrics` is scraped.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess
from prometheus_client.exposition import CONTENT_TYPE_LATEST

MESSAGES_IN = Counter("kynangso_messages_in_total", "Deliveries stored in the inbox (duplicates excluded)",
                      ["channel"])
DUPLICATES = Counter("kynangso_duplicate_deliveries_total", "Deliveries already stored, acknowledged again",
                     ["channel"])
MESSAGES_OUT = Counter("kynangso_messages_out_total", "Replies and reminders sent to a channel", ["channel"])
PROCESSING = Histogram("kynangso_processing_seconds", "Time to process one delivery (dialogue and database)",
                       ["channel"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
VOICE_NOTES = Counter("kynangso_voice_notes_total", "Voice notes by what became of them (ok, too_long, silent, "
                      "unreadable, busy, unavailable)", ["outcome"])
TRANSCRIPTION = Histogram("kynangso_transcription_seconds", "Time to fetch, decode and transcribe one voice note",
                          buckets=(0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0))
ERRORS = Counter("kynangso_errors_total", "Failures: processing a delivery, or sending a message", ["kind"])

if TYPE_CHECKING:
    from bot.config import Settings

CONTENT_TYPE = CONTENT_TYPE_LATEST


def setup_logging(settings: Settings) -> None:
    """Log to stderr at the configured level, as text or JSON lines; quieten chatty libraries."""
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    if not root.handlers:  # like logging.basicConfig: a host (a test runner) keeps its own handlers
        root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    import bm25s  # noqa: F401 - it sets its own logger to DEBUG on import; import it before taming it

    for noisy in ("chromadb", "httpx", "bm25s", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def exposition(backlog: dict[str, int] | None) -> bytes:
    """The text exposition of every worker's metrics, plus the current backlog."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        body = generate_latest(registry)
    else:
        from prometheus_client import REGISTRY

        body = generate_latest(REGISTRY)
    if backlog is not None:
        # Not a per-process value: a registry of its own, filled at scrape time.
        extra = CollectorRegistry()
        gauge = Gauge("kynangso_backlog", "Deliveries waiting to be processed (inbox) and messages waiting to "
                      "be sent (outbox)", ["queue"], registry=extra)
        for queue, n in backlog.items():
            gauge.labels(queue).set(n)
        body += generate_latest(extra)
    return body


class JsonFormatter(logging.Formatter):
    """One JSON object per line; the message is the developer's log line (ids, never a user's text)."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)
