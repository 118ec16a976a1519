"""A second look at the few best units: which of them says the specific thing that was asked.

The first ranking (rag/retriever.py) scores each unit by its best matching chunk, its lesson's standing, the
question's kind and the situation's stage. Judged on real questions, the reply it puts first is often an entry
on the right subject written for a nearby question, while one of the next few units says exactly what was asked.
This module looks again at those few with what the first ranking does not see: how much of the question's own
content (its rarer syllables and word pairs) the unit's text covers as a whole and in one way of asking, how
close the answer itself is to the question, how many of the unit's ways of asking are close, beside the first
ranking's score and rank.

A linear model over those features, trained on judges' scores of the candidates of tune-split questions only
(`kynangso rerank --train`, `eval/candidates/`), reorders the first `depth` units; the weights live in
`rag/rerank.json`. No model, no change: without that file the first ranking stands.
"""

from __future__ import annotations

import json
import math
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from rag.text import FRAME_WORDS, syllables

RERANK_FILE = Path(__file__).with_name("rerank.json")

# The question's kind, the situation's stage and the apps named are left to the first ranking (its value carries
# them): on the tune split, giving them to the reranker again changed nothing.
FEATURES = ("value_gap", "first", "inv_rank", "dense_gap", "answer_gap", "close_asks", "lexical", "coverage",
            "ask_coverage", "pair_coverage")


class UnitTable(Protocol):
    """What the features read of rag.table.ChunkTable."""

    chunk_unit: np.ndarray
    unit_chunks: list[np.ndarray]
    unit_answer: np.ndarray


def hidden_texts(table: UnitTable, positions: set[int]) -> dict[int, set[int]]:
    """The entry texts of these chunk positions, as `UnitVocabulary.hide` takes them (an entry's chunks are its ways
    of asking, then its answer, in the order of its texts)."""
    out: dict[int, set[int]] = {}
    for pos in positions:
        unit = int(table.chunk_unit[pos])
        if unit >= 0:
            out.setdefault(unit, set()).add(int(np.flatnonzero(table.unit_chunks[unit] == pos)[0]))
    return out


def content_terms(text: str) -> list[str]:
    """The syllables of a text that carry its subject (the frame of a question left out); interned, as the same few
    thousand syllables recur over every unit a worker keeps."""
    return [sys.intern(s) for s in syllables(text) if s not in FRAME_WORDS]


def pairs(terms: Sequence[str]) -> set[str]:
    return {sys.intern(f"{a}_{b}") for a, b in zip(terms, terms[1:], strict=False)}


class UnitVocabulary:
    """Per unit: the content syllables and word pairs of all its text and of each way of asking; and how rare each
    syllable is across units (rarer ones say more about what exactly was asked).

    Every serving worker keeps one for the whole knowledge base, so it is kept small: a unit's syllables and pairs are
    sorted arrays of numbers (one shared numbering of each), not sets of strings (57 MiB → under 10 at 2,018 units)."""

    def __init__(self, texts: Sequence[Sequence[str]]) -> None:
        """`texts`: per unit, its texts (an entry's ways of asking then its answer; a section's heading and body)."""
        self.terms: list[np.ndarray] = []
        self.pairs: list[np.ndarray] = []
        self.asks: list[list[tuple[str, ...]]] = []
        self._term_ids: dict[str, int] = {}
        self._pair_ids: dict[str, int] = {}
        self._source = texts  # the texts themselves (held by the units anyway), for `hide`; their terms are not kept
        self._hidden: dict[int, set[int]] = {}
        df: Counter[str] = Counter()
        for unit_texts in texts:
            per_text = [content_terms(t) for t in unit_texts]
            df.update({s for terms in per_text for s in terms})
            self._append(*self._sets(per_text))
        n = max(1, len(texts))
        self.idf = {s: math.log(1 + n / c) for s, c in df.items()}
        self.unknown = math.log(1 + n)

    def _append(self, terms: np.ndarray, pairs_: np.ndarray, asks: list[tuple[str, ...]]) -> None:
        self.terms.append(terms)
        self.pairs.append(pairs_)
        self.asks.append(asks)

    def _sets(self, per_text: list[list[str]]) -> tuple[np.ndarray, np.ndarray, list[tuple[str, ...]]]:
        """All the unit's syllables and pairs as sorted numbers, and each way of asking's distinct syllables as a
        tuple (a few each, looked up only for the few units a query is reranked over)."""
        every = dict.fromkeys(s for terms in per_text for s in terms)
        both = {p for terms in per_text for p in pairs(terms)}
        return (_ids(every, self._term_ids), _ids(both, self._pair_ids),
                [tuple(dict.fromkeys(terms)) for terms in per_text[:-1]] or [tuple(every)])

    def hide(self, hidden: dict[int, set[int]]) -> None:
        """Leave some texts out (unit → indices of its texts), the ones hidden before put back: for measuring on our
        own ways of asking with each one hidden (`kynangso own-asks`, `kynangso rerank`), never while serving."""
        for unit in set(self._hidden) | set(hidden):
            kept = [content_terms(t) for i, t in enumerate(self._source[unit]) if i not in hidden.get(unit, set())]
            self.terms[unit], self.pairs[unit], self.asks[unit] = self._sets(kept)
        self._hidden = {u: set(i) for u, i in hidden.items()}

    def prepare(self, query: str) -> tuple[dict[str, float], float, set[str]]:
        """The query's content syllables with their weights, the weights' sum, and its word pairs (once a query)."""
        terms = content_terms(query)
        weight = {s: self.idf.get(s, self.unknown) for s in set(terms)}
        return weight, sum(weight.values()), pairs(terms)

    def coverage(self, query: str | tuple[dict[str, float], float, set[str]], unit: int) -> tuple[float, float, float]:
        """Shares of the query's content covered by the unit: weighted syllables in all its text, the same in its
        best single way of asking, and word pairs."""
        weight, total, q_pairs = self.prepare(query) if isinstance(query, str) else query
        if not total:
            return 0.0, 0.0, 0.0
        has_term = _members(weight, self._term_ids, self.terms[unit])
        whole = sum(w for s, w in weight.items() if s in has_term) / total
        one = max(sum(w for s, w in weight.items() if s in ask) / total for ask in self.asks[unit])
        pair = len(_members(q_pairs, self._pair_ids, self.pairs[unit])) / len(q_pairs) if q_pairs else 0.0
        return whole, one, pair


def _ids(items: Iterable[str], numbering: dict[str, int]) -> np.ndarray:
    """The items' numbers in a shared numbering (new items numbered as they come), sorted."""
    return np.sort(np.fromiter((numbering.setdefault(x, len(numbering)) for x in items), dtype=np.int32))


def _members(items: Iterable[str], numbering: dict[str, int], held: np.ndarray) -> set[str]:
    """Which of the items a unit's sorted numbers hold."""
    known = [(x, numbering[x]) for x in items if x in numbering]
    if not known or not len(held):
        return set()
    wanted = np.fromiter((i for _, i in known), dtype=np.int32, count=len(known))
    at = np.minimum(np.searchsorted(held, wanted), len(held) - 1)
    return {x for (x, _), hit in zip(known, held[at] == wanted, strict=True) if hit}


@dataclass(frozen=True)
class Reranker:
    weights: np.ndarray  # one per feature, in FEATURES order
    depth: int = 5

    @classmethod
    def load(cls, path: Path = RERANK_FILE) -> Reranker | None:
        """The trained weights, or None when there are none (or they were trained on other features)."""
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if raw.get("features") != list(FEATURES):
            return None
        return cls(np.asarray(raw["weights"], dtype=np.float64), int(raw.get("depth", 5)))

    def save(self, path: Path, note: dict[str, object]) -> None:
        path.write_text(json.dumps({"features": list(FEATURES), "weights": [round(float(w), 6) for w in self.weights],
                                    "depth": self.depth, **note}, ensure_ascii=False, indent=1) + "\n",
                        encoding="utf-8")

    def order(self, features: np.ndarray) -> list[int]:
        """The candidates' order, best first (ties keep the first ranking's order)."""
        score = features @ self.weights
        return [int(i) for i in np.argsort(-score, kind="stable")]


def unit_features(table: UnitTable, vocab: UnitVocabulary, query: str, candidates: Sequence[int],
                  value: np.ndarray, vote: float, dense: np.ndarray, lex: np.ndarray) -> np.ndarray:
    """One row of FEATURES per candidate unit (indices into the table's units, in the first ranking's order)."""
    cos = np.where(np.isnan(dense), -1.0, dense)
    top_lex = float(lex.max()) if lex.size and lex.max() > 0 else 1.0
    prepared = vocab.prepare(query)
    rows = []
    for rank, u in enumerate(candidates):
        at = table.unit_chunks[u]
        chunk_cos = np.sort(cos[at])[::-1]
        rows.append([
            (float(value[u]) - float(value[candidates[0]])) / vote,
            1.0 if rank == 0 else 0.0,
            1.0 / (rank + 1),
            float(chunk_cos[0]),
            float(cos[table.unit_answer[u]]),
            float(chunk_cos[:2].mean()),
            float(lex[at].max()) / top_lex,
            *vocab.coverage(prepared, u),
        ])
    out = np.asarray(rows, dtype=np.float64)
    if len(out):  # closeness against the best candidate's, so questions near and far compare alike
        for name in ("dense_gap", "answer_gap", "close_asks"):
            col = FEATURES.index(name)
            out[:, col] -= out[:, col].max()
    return out
