"""The knowledge base: lessons loaded, indexes built or refreshed, a retriever ready to answer."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from langchain_core.embeddings import Embeddings

from rag.accents import AccentRestorer
from rag.index import LexicalIndex, SyncStats, VectorIndex, build_chunks
from rag.lessons import Lesson, Topics, load_lessons
from rag.programme import DEFAULT_PASS_RATIO, Programme
from rag.questions import QuestionEntry, load_questions
from rag.rerank import Reranker
from rag.retriever import Retriever
from rag.text import has_diacritics

log = logging.getLogger(__name__)


@dataclass
class KnowledgeBase:
    topics: Topics
    lessons: list[Lesson]
    retriever: Retriever
    sync: SyncStats | None
    load_seconds: float
    programme: Programme | None = None

    @property
    def pass_ratio(self) -> float:
        """The programme's pass rule for one quiz (rag.programme.pass_ratio)."""
        return self.programme.min_score if self.programme else DEFAULT_PASS_RATIO
    situations_file: Path | None = None  # real-case messages labelled by situation (the routing model's tune split)
    entries: list[QuestionEntry] = field(default_factory=list)  # the question layer (knowledge/questions)
    model_cache: Path | None = None  # where trained and compiled models are kept (settings.embedding.model_cache)

    def lesson(self, lesson_id: str) -> Lesson | None:
        """A lesson by id, or None."""
        return self.retriever.lessons.get(lesson_id)

    @classmethod
    def load(cls, knowledge_dir: Path, embeddings: Embeddings | None, model_id: str = "",
             chroma_mode: str = "embedded", chroma_path: Path | None = None, chroma_host: str = "127.0.0.1",
             chroma_port: int = 8000, collection_prefix: str = "lessons", rrf_k: int = 60,
             candidates: int = 30, unaccented_dense_weight: float = 0.6, sync: bool = True,
             reranker: Reranker | None = None) -> KnowledgeBase:
        """Load lessons and bring the indexes up to date (only changed chunks are embedded).

        With `sync` false the vector store is only checked (its `missing` count), never written: several web
        workers share one Chroma server, and `kynangso ingest` alone updates it.
        """
        started = time.perf_counter()
        topics = Topics.load(knowledge_dir / "topics.yaml")
        lessons = load_lessons(knowledge_dir / "lessons", topics)
        entries = load_questions(knowledge_dir / "questions", topics, lessons)
        chunks = build_chunks(lessons, entries)
        lexical = LexicalIndex(chunks)
        vectors, stats = None, None
        if embeddings is not None:
            vectors = VectorIndex(embeddings, model_id, chroma_mode, chroma_path, chroma_host, chroma_port,
                                  collection_prefix, readonly=not sync)
            stats = vectors.sync(chunks) if sync else vectors.check(chunks)
            log.info("vector index %s: %d chunks, %d embedded, %d deleted, %d missing in %.1fs", vectors.name,
                     stats.total, stats.embedded, stats.deleted, stats.missing, stats.seconds)
            if stats.missing:
                log.warning("vector index %s lacks %d chunks: run `kynangso ingest`", vectors.name, stats.missing)
            vectors.load(chunks)
        restorer = AccentRestorer(corpus_texts(lessons, entries))
        retriever = Retriever(lessons, chunks, lexical, vectors, embeddings, rrf_k, candidates, restorer,
                              unaccented_dense_weight, entries, reranker=reranker)
        programme_file = knowledge_dir / "programme.yaml"
        programme = Programme.load(programme_file) if programme_file.exists() else None
        situations = knowledge_dir / "situations" / "tune.jsonl"
        return cls(topics, lessons, retriever, stats, time.perf_counter() - started, programme,
                   situations if situations.exists() else None, entries)


def corpus_texts(lessons: list[Lesson], entries: list[QuestionEntry] | None = None) -> list[str]:
    """Every sentence of the lessons and question entries, for the accent restorer."""
    texts: list[str] = []
    for entry in entries or []:
        texts += [ask for ask in entry.asks if has_diacritics(ask)] + [entry.answer]
    for lesson in lessons:
        texts += [lesson.title, lesson.summary, *lesson.asks]
        texts += [f"{sec.heading}\n{sec.body}" for sec in lesson.sections]
        for q in lesson.quiz:
            texts += [q.question, *q.options, q.explain]
    return texts
