"""Hybrid retrieval: dense + BM25 fused by reciprocal rank, aggregated per lesson, with a scope judge."""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal

import numpy as np
import yaml
from langchain_core.embeddings import Embeddings

from rag.accents import AccentRestorer
from rag.embeddings import kept_passages
from rag.index import Chunk, LexicalIndex, VectorIndex
from rag.kinds import question_kind
from rag.lessons import Lesson, Section
from rag.questions import QuestionEntry, shorthand_spelled
from rag.rerank import Reranker, UnitVocabulary, unit_features
from rag.table import STEPS as _STEPS
from rag.table import ChunkTable, ranks_by, ranks_of, rrf
from rag.text import fold, has_diacritics, syllables

log = logging.getLogger(__name__)

Mode = Literal["bm25", "dense", "hybrid"]
SCOPE_FILE = Path(__file__).with_name("scope.yaml")
_HOW_TO = re.compile(r"\b(lam sao|lam the nao|the nao|nhu the nao|cach nao|bang cach|cach|o dau|huong dan|"
                     r"cac buoc|lam gi|kieu gi|ra sao)\b")


def is_how_to(query: str) -> bool:
    """True for "how do I…" questions (asked with or without diacritics)."""
    return bool(_HOW_TO.search(" ".join(syllables(query))))


@dataclass(frozen=True)
class LessonHit:
    lesson: Lesson
    score: float
    section: Section
    dense: float  # best cosine of any chunk of the lesson (nan when the dense channel is off)
    lexical: float  # best BM25 score of any chunk of the lesson


@dataclass(frozen=True)
class UnitHit:
    """One answerable unit: a question entry (a short answer leading to a section) or a lesson section."""

    score: float
    lesson: Lesson
    section: Section
    entry: QuestionEntry | None = None

    @property
    def key(self) -> str:
        return f"q:{self.entry.id}" if self.entry is not None else self.section.key

    @property
    def topics(self) -> tuple[str, ...]:
        return self.entry.topics if self.entry is not None else self.lesson.topics


@dataclass
class Retrieval:
    query: str
    mode: Mode
    hits: list[LessonHit]
    in_scope: bool
    signals: dict[str, float | str] = field(default_factory=dict)
    units: list[UnitHit] = field(default_factory=list)  # entries and sections, best first
    # The reranker's candidates (unit keys in the first ranking's order) and their feature rows, when it ran.
    looked_again: tuple[list[str], np.ndarray] | None = None

    @property
    def unsure(self) -> bool:
        """Out of scope only by a thin margin: worth offering choices rather than a refusal."""
        return not self.in_scope and self.signals.get("scope") == "unsure"


class ScopeJudge:
    """Decides whether a question belongs to the tutor's knowledge, from several pieces of evidence.

    e5 cosines bunch in a narrow band, so no single absolute threshold is used: the best lesson
    cosine is compared with the best cosine to written examples of off-topic questions, and that
    margin is weighed together with lexical evidence (domain words, BM25 strength).
    """

    def __init__(self, embeddings: Embeddings | None, path: Path = SCOPE_FILE) -> None:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.off_topic: list[str] = list(data["off_topic_examples"])
        self.domain_terms: list[str] = [fold(str(t)) for t in data["domain_terms"]]
        self.off_terms: list[str] = [fold(str(t)) for t in data["off_topic_terms"]]
        self.embeddings = embeddings
        th = data["thresholds"]
        self.margin_out: float = float(th["dense_margin_out"])
        self.margin_in: float = float(th["dense_margin_in"])
        self.lexical_in: float = float(th["lexical_in"])

    @cached_property
    def _anchor_matrix(self) -> np.ndarray:
        assert self.embeddings is not None
        return kept_passages(self.embeddings, self.off_topic, "scope")

    def prepare(self) -> None:
        """Embed the off-topic examples now, at start-up, rather than on the first question."""
        _ = self._anchor_matrix

    def anchor_similarity(self, query_vector: list[float]) -> float:
        """Best cosine between the question and the off-topic examples."""
        return float(np.max(self._anchor_matrix @ np.asarray(query_vector, dtype=np.float32)))

    def matched_terms(self, query: str, terms: list[str]) -> list[str]:
        padded = " " + " ".join(syllables(query)) + " "
        return [t for t in terms if f" {t} " in padded]

    def judge(self, query: str, best_dense: float, anchor_dense: float, lexical_norm: float,
              signals: dict[str, float | str]) -> bool:
        """True when the question is in scope."""
        domain = self.matched_terms(query, self.domain_terms)
        off = self.matched_terms(query, self.off_terms)
        margin = best_dense - anchor_dense if not math.isnan(best_dense) else float("nan")
        signals.update(domain_terms=len(domain), off_terms=len(off), dense_margin=round(margin, 4),
                       lexical_norm=round(lexical_norm, 3))
        if domain and not off:
            return True
        if off and not domain:
            # Off-topic words with no digital-skills word: decline unless the lesson match is strong.
            return not math.isnan(margin) and margin > self.margin_in and lexical_norm >= self.lexical_in
        if math.isnan(margin):  # lexical-only mode
            return lexical_norm >= self.lexical_in
        if domain and len(domain) >= len(off) and margin > 0.0:
            # As many digital-skills words as off-topic ones and closer to a lesson: the phone or app is what is
            # asked about ("tin nhắn tặng bài hát, xổ số cứ gửi đến điện thoại"), the off-topic words its content.
            return True
        if margin <= 0.0 or (margin <= self.margin_out and lexical_norm < self.lexical_in):
            return False  # closer to the off-topic examples, or barely closer to a lesson with no word match
        if margin > self.margin_in or lexical_norm >= self.lexical_in or bool(domain):
            return True
        signals["scope"] = "unsure"  # between the thresholds with no word to lean on: ask, don't refuse
        return False


DENSE_POOL = 200  # nearest chunks asked of the vector store: every way of asking an entry is its own chunk


@dataclass(frozen=True)
class UnitFit:
    """Weights of the unit choice, in units of one first-rank vote (1 / (rrf_k + 1)); tuned on the tune split."""

    lesson_weight: float = 0.5
    entry_bonus: float = 0.2
    kind_match: float = 0.3
    kind_mismatch: float = 0.1
    stage_match: float = 0.4
    stage_mismatch: float = 0.4
    steps_bonus: float = 0.3
    anchor_miss: float = 0.2  # a unit naming none of the apps or services the question names (rag/anchors.py)
    fusion: str = "score"  # "score": scaled cosines and word scores; "rrf": reciprocal ranks


class Retriever:
    """Ranks lessons for a question; the dense, lexical and hybrid modes share one code path."""

    def __init__(self, lessons: list[Lesson], chunks: list[Chunk], lexical: LexicalIndex,
                 vectors: VectorIndex | None, embeddings: Embeddings | None, rrf_k: int = 60,
                 candidates: int = 30, restorer: AccentRestorer | None = None,
                 unaccented_dense_weight: float = 0.6, entries: list[QuestionEntry] | None = None,
                 fit: UnitFit | None = None, reranker: Reranker | None = None) -> None:
        self.entries = {e.id: e for e in entries or []}
        self.fit = fit or UnitFit()
        self.restorer = restorer
        self.unaccented_dense_weight = unaccented_dense_weight
        self.lessons = {lesson.id: lesson for lesson in lessons}
        self.chunks = chunks
        self.by_key = {c.key: c for c in chunks}
        self.lexical = lexical
        self.vectors = vectors
        self.embeddings = embeddings
        self.rrf_k = rrf_k
        self.candidates = candidates
        self.table = ChunkTable(chunks, self.lessons, self.entries)
        self.reranker = reranker
        self.vocabulary = UnitVocabulary(self.table.unit_texts()) if reranker is not None else None
        self.scope = ScopeJudge(embeddings)
        if embeddings is not None:
            self.scope.prepare()

    def search(self, query: str, mode: Mode = "hybrid", k: int = 5, stage: str = "any") -> Retrieval:
        """Lessons for the query, best first, with the section to show and a scope decision; and the units
        (question entries and sections) that could answer it, chosen by match, question kind and `stage`
        (any | before | during | after: where the asker is in a scam or money situation; calm: nothing in the
        message speaks of a scam, so an entry written for one of its stages is no answer)."""
        signals: dict[str, float | str] = {}
        n = len(self.chunks)
        lex = np.zeros(n)
        if mode in ("bm25", "hybrid"):
            lex = self.lexical.scores(query).astype(np.float64)
        lex_on = lex > 0
        dense = np.full(n, np.nan)
        qvec: list[float] | None = None
        accented = has_diacritics(query)
        if mode in ("dense", "hybrid") and self.vectors is not None and self.embeddings is not None:
            # e5 is weak on text typed without diacritics: give it the accents our lessons suggest.
            if accented:
                dense_query = shorthand_spelled(query)
            else:
                dense_query = query if self.restorer is None else self.restorer.restore(query)
            signals["dense_query"] = dense_query
            qvec = self.embeddings.embed_query(dense_query)
            for key, cos in self.vectors.search(qvec, min(n, max(self.candidates, DENSE_POOL))):
                dense[self.table.position[key]] = cos
        dense_on = ~np.isnan(dense)

        # Even restored, an unaccented question is a weaker signal for the dense channel.
        w_dense = 1.0 if accented else self.unaccented_dense_weight
        chunk_rrf = rrf(dense, dense_on, w_dense, self.rrf_k) + rrf(lex, lex_on, 1.0, self.rrf_k)
        dense_best, dense_lessons = self.table.lesson_best(dense, dense_on)
        lex_best, lex_lessons = self.table.lesson_best(lex, lex_on)
        dense_rank, lex_rank = ranks_of(dense_best, dense_lessons), ranks_of(lex_best, lex_lessons)
        fused = rrf(dense_best, dense_lessons, w_dense, self.rrf_k) + rrf(lex_best, lex_lessons, 1.0, self.rrf_k)
        listed = dense_lessons | lex_lessons
        # Lessons level on votes: the one the dense channel ranked higher first, then by the word channel.
        lesson_rank = ranks_by(fused, listed, np.where(dense_lessons, dense_rank, len(fused) + lex_rank))
        ordered = list(np.argsort(np.where(listed, lesson_rank, len(fused) + 1), kind="stable")[:int(listed.sum())])[:k]
        how_to = is_how_to(query)
        hits = [self._hit(int(i), float(fused[i]), chunk_rrf, dense_best, lex_best, dense_lessons, how_to)
                for i in ordered]

        best_dense = float(dense_best[dense_lessons].max()) if dense_lessons.any() else float("nan")
        top_lex = float(lex_best[lex_lessons].max()) if lex_lessons.any() else 0.0
        n_terms = max(1, len(syllables(query)))
        lexical_norm = top_lex / math.sqrt(n_terms)
        anchor = self.scope.anchor_similarity(qvec) if qvec is not None else float("nan")
        signals.update(best_dense=round(best_dense, 4), anchor_dense=round(anchor, 4), top_lexical=top_lex)
        in_scope = bool(hits) and self.scope.judge(query, best_dense, anchor, lexical_norm, signals)
        if self.fit.fusion == "rrf":
            unit_chunks = chunk_rrf
        else:
            unit_chunks = self._score_fusion(dense, dense_on, lex, lex_on, w_dense)
        looked: list[tuple[list[str], np.ndarray]] = []
        units = self._units(query, unit_chunks, dense_on | lex_on, lesson_rank, stage, signals, k, (dense, lex),
                            looked)
        return Retrieval(query, mode, hits, in_scope, signals, units, looked[0] if looked else None)

    def use_reranker(self, reranker: Reranker | None) -> None:
        """Set (or drop) the reranker, at start-up or in `kynangso rerank`; never while questions are answered."""
        self.reranker = reranker
        if reranker is not None and self.vocabulary is None:
            self.vocabulary = UnitVocabulary(self.table.unit_texts())

    def _key(self, unit: int) -> str:
        found = self.table.units[unit]
        return f"q:{found.entry.id}" if found.entry is not None else found.section.key

    @property
    def _depth(self) -> int:
        return self.reranker.depth if self.reranker is not None else 0

    def _score_fusion(self, dense: np.ndarray, dense_on: np.ndarray, lex: np.ndarray, lex_on: np.ndarray,
                      w_dense: float) -> np.ndarray:
        """Chunk scores that keep how close each match is (ranks alone make a question typed exactly as an entry
        asks it barely better than a loose match): the cosine scaled between the pool's worst and best, and the
        word score over the best, weighted like the ranks, in the same units as two first-rank votes."""
        out = np.zeros(len(dense))
        vote = 1.0 / (self.rrf_k + 1)
        if dense_on.any():
            hi, lo = float(dense[dense_on].max()), float(dense[dense_on].min())
            out[dense_on] += w_dense * vote * (dense[dense_on] - lo) / max(hi - lo, 1e-6)
        if lex_on.any():
            out[lex_on] += vote * lex[lex_on] / float(lex[lex_on].max())
        return out

    def _units(self, query: str, chunk_score: np.ndarray, present: np.ndarray, lesson_rank: np.ndarray,
               stage: str, signals: dict[str, float | str], k: int,
               channels: tuple[np.ndarray, np.ndarray] | None = None,
               looked: list[tuple[list[str], np.ndarray]] | None = None) -> list[UnitHit]:
        """The k best entries and sections, ranked by their best chunk, their lesson's standing, the question's
        kind and the situation's stage; the first few looked at again by the reranker, when there is one."""
        kind = question_kind(query)
        signals["question_kind"] = kind or "-"
        fit, unit, t = self.fit, 1.0 / (self.rrf_k + 1), self.table
        base, found = t.unit_best(chunk_score, present)
        # The lesson's own standing (all its chunks together) backs the unit up.
        rank = lesson_rank[t.unit_lesson]
        value = base + fit.lesson_weight * unit / np.where(rank > 0, rank, 99)
        entry = t.is_entry
        value = value + np.where(entry, fit.entry_bonus * unit, 0.0)
        if kind is not None:
            value = value + np.where(entry, np.where(t.entry_kind == kind, fit.kind_match, -fit.kind_mismatch)
                                     * unit, 0.0)
        if stage not in ("any", "calm"):
            staged = entry & (t.entry_stage != "any")
            value = value + np.where(staged, np.where(t.entry_stage == stage, fit.stage_match,
                                                      -fit.stage_mismatch) * unit, 0.0)
        elif stage == "calm" or kind != "what_now":  # a calm question is not answered with an alarm
            alarm = entry & ((t.entry_stage == "during") | (t.entry_stage == "after"))
            if stage == "calm" and kind == "what_now":  # "what now" with no sign of a scam: only scam entries
                alarm &= t.entry_scam
            value = value - np.where(alarm, fit.stage_mismatch * unit, 0.0)
        if kind == "howto":
            value = value + np.where(t.steps, fit.steps_bonus * unit, 0.0)
        agree = t.agree(query) if fit.anchor_miss else None
        if agree is not None:
            value = value - np.where(agree, 0.0, fit.anchor_miss * unit)
        value = np.where(found, value, -np.inf)
        best = [int(i) for i in np.argsort(-value, kind="stable")[:max(k, self._depth)] if found[i]]
        if self.reranker is not None and self.vocabulary is not None and channels is not None and len(best) > 1:
            head = best[:self.reranker.depth]
            rows = unit_features(t, self.vocabulary, query, head, value, unit, *channels)
            if looked is not None:
                looked.append(([self._key(i) for i in head], rows))
            order = self.reranker.order(rows)
            if stage in ("during", "after") and t.entry_stage[head[0]] == stage and t.is_entry[head[0]]:
                # In a scam now, when the first ranking found an entry written for this very stage, the second look
                # chooses among such entries only: its features see words ("5 triệu", "chuyển"), not the stage.
                order = [j for j in order if t.is_entry[head[j]] and t.entry_stage[head[j]] == stage] or order
            first = head[order[0]]  # the one to answer with; the rest keep their order
            best = [first] + [u for u in best if u != first]
        best = best[:k]
        return [UnitHit(float(value[i]), t.units[i].lesson, t.units[i].section, t.units[i].entry) for i in best]

    def _hit(self, pos: int, score: float, chunk_score: np.ndarray, dense_best: np.ndarray, lex_best: np.ndarray,
             dense_lessons: np.ndarray, how_to: bool) -> LessonHit:
        lesson = self.lessons[self.table.lesson_ids[pos]]
        best_section, best = lesson.sections[0], -1.0
        # A "how do I…" question is best answered by a section of numbered steps.
        bonus = 0.5 / (self.rrf_k + 1) if how_to else 0.0
        for sec in lesson.sections:
            at = self.table.position.get(sec.key)
            s = (float(chunk_score[at]) if at is not None else 0.0) + (bonus if _STEPS.search(sec.body) else 0.0)
            if s > best:
                best_section, best = sec, s
        return LessonHit(lesson, score, best_section,
                         float(dense_best[pos]) if dense_lessons[pos] else float("nan"),
                         float(lex_best[pos]) if lex_best[pos] > -np.inf else 0.0)
