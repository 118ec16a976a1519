"""Chunks of the lessons, the Chroma vector store (a rebuildable cache) and the BM25 index."""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
from langchain_core.embeddings import Embeddings

from rag.lessons import Lesson
from rag.questions import QuestionEntry, find_section
from rag.text import lexical_terms

log = logging.getLogger(__name__)

ASKS_SECTION = -1  # pseudo-section holding the title, summary and the ways people ask


@dataclass(frozen=True)
class Chunk:
    key: str
    lesson_id: str
    section: int
    heading: str
    text: str  # what is embedded and indexed
    topics: tuple[str, ...]
    hash: str
    entry_id: str = ""  # set on the chunks of a question entry (one per way of asking, one for the answer)


def entry_chunks(entries: Sequence[QuestionEntry], lessons: dict[str, Lesson]) -> list[Chunk]:
    """A question entry is found by any of its ways of asking, or by its answer: one chunk each."""
    chunks = []
    for entry in entries:
        section = find_section(lessons[entry.lesson_id], entry.section_heading)
        index = section.index if section is not None else 0
        texts = [*entry.asks, entry.answer]
        for n, text in enumerate(texts):
            suffix = "ans" if n == len(texts) - 1 else f"a{n}"
            digest = hashlib.sha256(f"q\x1f{entry.id}\x1f{text}\x1f{','.join(entry.topics)}".encode()).hexdigest()
            chunks.append(Chunk(f"q:{entry.id}#{suffix}", entry.lesson_id, index, entry.id, text, entry.topics,
                                digest[:24], entry.id))
    return chunks


def build_chunks(lessons: list[Lesson], entries: Sequence[QuestionEntry] = ()) -> list[Chunk]:
    """One chunk per lesson section, one per lesson for its title, summary and typical questions, and the
    chunks of the question entries."""
    chunks = entry_chunks(entries, {lesson.id: lesson for lesson in lessons})
    for lesson in lessons:
        head = "\n".join([lesson.title, lesson.summary, *lesson.asks]).strip()
        chunks.append(Chunk(f"{lesson.id}#asks", lesson.id, ASKS_SECTION, lesson.title, head, lesson.topics,
                            hashlib.sha256(("asks\x1f" + head + ",".join(lesson.topics)).encode())
                            .hexdigest()[:24]))
        for sec in lesson.sections:
            text = f"{lesson.title}. {sec.heading}.\n{sec.body}"
            chunks.append(Chunk(sec.key, lesson.id, sec.index, sec.heading, text, lesson.topics,
                                sec.content_hash(lesson.title, lesson.topics)))
    return chunks


class LexicalIndex:
    """BM25 over accent-folded syllables and syllable bigrams."""

    def __init__(self, chunks: list[Chunk]) -> None:
        self.chunks = chunks
        self._bm25 = bm25s.BM25()
        self._bm25.index([lexical_terms(c.text) for c in chunks], show_progress=False)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk for the query."""
        terms = lexical_terms(query)
        if not terms:
            return np.zeros(len(self.chunks), dtype=np.float32)
        return np.asarray(self._bm25.get_scores(terms), dtype=np.float32)


def collection_name(prefix: str, model_id: str) -> str:
    """Chroma collection name that includes the embedding model, so vectors never mix."""
    name = re.sub(r"[^a-zA-Z0-9._-]+", "-", f"{prefix}-{model_id}").strip("-._")
    return name[:60]


def _chroma_client(mode: str, path: Path | None, host: str, port: int) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaConfig

    cfg = ChromaConfig(anonymized_telemetry=False, allow_reset=True)
    if mode == "memory":
        return chromadb.EphemeralClient(settings=cfg)
    if mode == "server":
        return chromadb.HttpClient(host=host, port=port, settings=cfg)
    assert path is not None
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=cfg)


@dataclass
class SyncStats:
    total: int
    embedded: int
    deleted: int
    seconds: float
    rebuilt: bool = False
    # Chunks missing or stale in the store when it was only checked (read-only workers), not synced.
    missing: int = 0


class VectorIndex:
    """Dense channel: chunk vectors in a Chroma collection through langchain-chroma."""

    def __init__(self, embeddings: Embeddings, model_id: str, mode: str = "embedded",
                 path: Path | None = None, host: str = "127.0.0.1", port: int = 8000,
                 prefix: str = "lessons", readonly: bool = False) -> None:
        self.embeddings = embeddings
        self.mode, self.path, self.host, self.port = mode, path, host, port
        self.name = collection_name(prefix, model_id)
        self.rebuilt = False
        self._keys: list[str] = []
        self._matrix: np.ndarray | None = None  # the vectors of `_keys`, normalised, once `load` ran
        self.store: Any = None  # the LangChain wrapper, for writing (`sync`); a read-only worker does without it
        if readonly:
            # A web worker beside others: `kynangso ingest` owns the shared store; a failure here is reported.
            self._open(writer=False)
            return
        try:
            self._open()
            self.collection.get(limit=1)
        except Exception:  # noqa: BLE001 - an unreadable cache is rebuilt, never fatal
            self._rebuild_storage()

    def _open(self, writer: bool = True) -> None:
        self.client = _chroma_client(self.mode, self.path, self.host, self.port)
        if writer:
            from langchain_chroma import Chroma

            self.store = Chroma(collection_name=self.name, embedding_function=self.embeddings, client=self.client,
                                collection_metadata={"hnsw:space": "cosine"})
        # The same collection through chromadb's public client API: reading vectors, hashes and the count
        # (a read-only worker needs no more, and so never imports the LangChain wrapper).
        self.collection = self.client.get_or_create_collection(self.name, metadata={"hnsw:space": "cosine"})

    def count(self) -> int:
        """Chunks stored."""
        return int(self.collection.count())

    def _existing(self) -> dict[str, str]:
        got = self.collection.get(include=["metadatas"])
        return {i: str((m or {}).get("hash", "")) for i, m in zip(got["ids"], got["metadatas"], strict=False)}

    def _rebuild_storage(self) -> None:
        log.warning("vector store at %s is unreadable; rebuilding it from the lessons", self.path)
        self.rebuilt = True
        if self.mode == "embedded" and self.path is not None:
            from chromadb.api import client as chroma_client

            shutil.rmtree(self.path, ignore_errors=True)
            # Chroma caches one system per path in the process; forget the damaged one.
            chroma_client.SharedSystemClient.clear_system_cache()  # type: ignore[attr-defined]
        else:
            try:
                self.client.delete_collection(self.name)
            except Exception:  # noqa: BLE001 - it may not exist at all
                log.debug("no collection %s to delete", self.name)
        self._open()

    def sync(self, chunks: list[Chunk], batch_size: int = 64) -> SyncStats:
        """Embed chunks that are missing or changed, delete stale ones; a damaged store is rebuilt."""
        started, rebuilt = time.perf_counter(), self.rebuilt
        self._keys, self._matrix = [], None  # what is in memory may change: `load` again after
        try:
            existing = self._existing()
        except Exception:  # noqa: BLE001 - any failure to read the cache means: rebuild it
            self._rebuild_storage()
            existing, rebuilt = {}, True
        wanted = {c.key: c for c in chunks}
        stale = [k for k, h in existing.items() if k not in wanted or wanted[k].hash != h]
        todo = [c for c in chunks if existing.get(c.key) != c.hash]
        if stale:
            self.store.delete(ids=stale)
        for i in range(0, len(todo), batch_size):
            batch = todo[i:i + batch_size]
            self.store.add_texts(
                texts=[c.text for c in batch],
                metadatas=[{"lesson_id": c.lesson_id, "section": c.section, "hash": c.hash} for c in batch],
                ids=[c.key for c in batch],
            )
        return SyncStats(len(chunks), len(todo), len(stale), time.perf_counter() - started, rebuilt)

    def check(self, chunks: list[Chunk]) -> SyncStats:
        """Count chunks missing or stale in the store, changing nothing (for read-only workers)."""
        started = time.perf_counter()
        existing = self._existing()
        keys = {c.key for c in chunks}
        missing = sum(existing.get(c.key) != c.hash for c in chunks)
        stale = sum(1 for k in existing if k not in keys)
        return SyncStats(len(chunks), 0, 0, time.perf_counter() - started, missing=missing + stale)

    def load(self, chunks: list[Chunk]) -> int:
        """Keep the stored vectors of these chunks in memory, so a question is answered by one matrix product
        instead of a round trip to the store; returns how many were found. The store stays the record:
        `kynangso ingest` writes it, and a process reads it once at start."""
        from threadpoolctl import threadpool_limits

        # One question's product is small: BLAS threads only spin against the embedding model's threads (on 2
        # cores the dense channel ran 2.5 times slower with both spinning).
        threadpool_limits(1, user_api="blas")
        keys = [c.key for c in chunks]
        found: dict[str, np.ndarray] = {}
        for i in range(0, len(keys), 1000):
            got = self.collection.get(ids=keys[i:i + 1000], include=["embeddings"])
            for key, vector in zip(got["ids"], got["embeddings"], strict=True):
                found[key] = np.asarray(vector, dtype=np.float32)
        self._keys = [k for k in keys if k in found]
        matrix = np.stack([found[k] for k in self._keys]) if self._keys else np.zeros((0, 1), dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        self._matrix = matrix / np.maximum(norms, 1e-12)
        return len(self._keys)

    def search(self, query_vector: list[float], k: int) -> list[tuple[str, float]]:
        """(chunk key, cosine similarity) of the k nearest chunks: exact, from the vectors in memory once `load`
        ran, else the store's own (approximate) search."""
        matrix = self._matrix
        if matrix is None or not self._keys:
            vector: Sequence[float] = query_vector
            result = self.collection.query(query_embeddings=[vector], n_results=k, include=["distances"])
            ids, dists = result["ids"][0], (result["distances"] or [[]])[0]
            return [(i, 1.0 - float(d)) for i, d in zip(ids, dists, strict=False)]
        q = np.asarray(query_vector, dtype=np.float32)
        cos = matrix @ (q / max(float(np.linalg.norm(q)), 1e-12))
        k = min(k, len(cos))
        top = np.argpartition(-cos, k - 1)[:k]
        top = top[np.argsort(-cos[top], kind="stable")]
        return [(self._keys[i], float(cos[i])) for i in top]
