"""The chunks and the answerable units as arrays, so one question is scored with a few numpy operations.

A unit is what an answer shows: a question entry (all its chunks: every way of asking and the answer) or a lesson
section (its one chunk). The lesson's "asks" chunk belongs to no unit: it only speaks for its lesson.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rag.anchors import ANCHORS, anchors_in
from rag.index import ASKS_SECTION, Chunk
from rag.lessons import Lesson, Section
from rag.questions import QuestionEntry

STEPS = re.compile(r"^\s*1[.)]\s", re.M)


@dataclass(frozen=True)
class Unit:
    lesson: Lesson
    section: Section
    entry: QuestionEntry | None


def ranks_of(values: np.ndarray, present: np.ndarray) -> np.ndarray:
    """1-based rank of every present value (highest first; ties keep index order), 0 where absent."""
    idx = np.flatnonzero(present)
    order = idx[np.argsort(-values[idx], kind="stable")]
    out = np.zeros(len(values), dtype=np.int64)
    out[order] = np.arange(1, len(order) + 1)
    return out


def ranks_by(values: np.ndarray, present: np.ndarray, tie: np.ndarray) -> np.ndarray:
    """Like `ranks_of`, with ties broken by `tie` (lower first)."""
    idx = np.flatnonzero(present)
    order = idx[np.lexsort((tie[idx], -values[idx]))]
    out = np.zeros(len(values), dtype=np.int64)
    out[order] = np.arange(1, len(order) + 1)
    return out


def rrf(values: np.ndarray, present: np.ndarray, weight: float, k: int) -> np.ndarray:
    """Reciprocal-rank votes of one channel: weight / (k + rank) for the present values, 0 elsewhere."""
    rank = ranks_of(values, present)
    return np.where(present, weight / (k + np.maximum(rank, 1)), 0.0)


def _group(owner: np.ndarray) -> dict[int, np.ndarray]:
    """Positions per owner (negative owners left out), each in increasing order."""
    order = np.argsort(owner, kind="stable")
    keys, starts = np.unique(owner[order], return_index=True)
    bounds = [*starts[1:], len(order)]
    return {int(k): order[a:b] for k, a, b in zip(keys, starts, bounds, strict=True) if k >= 0}


class ChunkTable:
    """Per chunk: its lesson and unit; per unit: its lesson, entry kind and stage, and whether it has steps."""

    def __init__(self, chunks: Sequence[Chunk], lessons: dict[str, Lesson],
                 entries: dict[str, QuestionEntry]) -> None:
        self.lesson_ids = list(lessons)
        lesson_pos = {lid: i for i, lid in enumerate(self.lesson_ids)}
        self.position = {c.key: i for i, c in enumerate(chunks)}
        self.chunk_lesson = np.array([lesson_pos[c.lesson_id] for c in chunks], dtype=np.int64)
        self.units: list[Unit] = []
        unit_pos: dict[str, int] = {}
        chunk_unit = []
        for chunk in chunks:
            if chunk.section == ASKS_SECTION:
                chunk_unit.append(-1)
                continue
            ukey = f"q:{chunk.entry_id}" if chunk.entry_id else chunk.key
            if ukey not in unit_pos:
                unit_pos[ukey] = len(self.units)
                lesson = lessons[chunk.lesson_id]
                inside = 0 <= chunk.section < len(lesson.sections)
                section = lesson.sections[chunk.section] if inside else lesson.sections[0]
                self.units.append(Unit(lesson, section, entries.get(chunk.entry_id) if chunk.entry_id else None))
            chunk_unit.append(unit_pos[ukey])
        self.chunk_unit = np.array(chunk_unit, dtype=np.int64)
        # Each unit's chunks, and the one holding what it says (an entry's answer, a section's only chunk).
        self.unit_chunks = [np.zeros(0, dtype=np.int64)] * len(self.units)
        for u, at in _group(self.chunk_unit).items():
            self.unit_chunks[u] = at
        self.unit_answer = np.array([at[-1] if len(at) else 0 for at in self.unit_chunks], dtype=np.int64)
        self.unit_lesson = np.array([lesson_pos[u.lesson.id] for u in self.units], dtype=np.int64)
        self.is_entry = np.array([u.entry is not None for u in self.units], dtype=bool)
        self.entry_kind = np.array([u.entry.kind if u.entry else "" for u in self.units], dtype=object)
        self.entry_stage = np.array([u.entry.stage if u.entry else "" for u in self.units], dtype=object)
        self.entry_scam = np.array([u.entry is not None and any(t.startswith("scam") for t in u.entry.topics)
                                    for u in self.units], dtype=bool)
        self.steps = np.array([u.entry is None and bool(STEPS.search(u.section.body)) for u in self.units],
                              dtype=bool)
        # The apps and services each unit's own question names (rag/anchors.py), one column per name.
        self.anchor_names = list(ANCHORS)
        named = [anchors_in(u.entry.asks if u.entry else (u.lesson.title, u.section.heading, *u.lesson.asks))
                 for u in self.units]
        self.anchors = np.array([[name in n for name in self.anchor_names] for n in named], dtype=bool)
        if not self.units:
            self.anchors = np.zeros((0, len(self.anchor_names)), dtype=bool)

    def unit_texts(self) -> list[tuple[str, ...]]:
        """Per unit, its texts: an entry's ways of asking and then its answer; a section's heading, then its body."""
        return [(*u.entry.asks, u.entry.answer) if u.entry is not None
                else (f"{u.lesson.title}. {u.section.heading}", u.section.body) for u in self.units]

    def agree(self, query: str) -> np.ndarray | None:
        """Per unit, whether it names one of the apps or services the query names; None when it names none."""
        named = anchors_in((query,))
        if not named:
            return None
        cols = [i for i, name in enumerate(self.anchor_names) if name in named]
        return np.asarray(self.anchors[:, cols].any(axis=1))

    def lesson_best(self, values: np.ndarray, present: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each lesson's best value among its present chunks, and which lessons have any."""
        best = np.full(len(self.lesson_ids), -np.inf)
        np.maximum.at(best, self.chunk_lesson[present], values[present])
        return best, best > -np.inf

    def unit_best(self, values: np.ndarray, present: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each unit's best value among its present chunks, and which units have any."""
        mask = present & (self.chunk_unit >= 0)
        best = np.full(len(self.units), -np.inf)
        np.maximum.at(best, self.chunk_unit[mask], values[mask])
        return best, best > -np.inf
