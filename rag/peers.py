"""Plain retrievers over the same chunks, for comparison only: what an off-the-shelf stack would answer.

- `plain-bm25`: BM25 over lower-cased words as typed (no accent folding, no abbreviations, no bigrams).
- `plain-dense`: multilingual-e5 nearest chunk, the question embedded as typed (no accent restoration).
- `plain-rrf`: the two lists fused by reciprocal rank (k = 60), as LangChain's EnsembleRetriever does.
None of them has a scope judge, situation routing, question kinds or stages.
"""

from __future__ import annotations

import re

import bm25s
import numpy as np

from rag.index import Chunk
from rag.knowledge import KnowledgeBase

PEERS = ("plain-bm25", "plain-dense", "plain-rrf")
_WORD = re.compile(r"\w+")
RRF_K = 60


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


class PlainPeers:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.chunks: list[Chunk] = kb.retriever.chunks
        self.by_key = {c.key: c for c in self.chunks}
        self._bm25 = bm25s.BM25()
        self._bm25.index([_words(c.text) for c in self.chunks], show_progress=False)

    def _bm25_ranked(self, query: str) -> list[str]:
        terms = _words(query)
        if not terms:
            return []
        scores = np.asarray(self._bm25.get_scores(terms), dtype=np.float32)
        order = np.argsort(-scores)
        return [self.chunks[i].key for i in order if scores[i] > 0][:100]

    def _dense_ranked(self, query: str) -> list[str]:
        retriever = self.kb.retriever
        if retriever.vectors is None or retriever.embeddings is None:
            return []
        vector = retriever.embeddings.embed_query(query)
        return [key for key, _ in retriever.vectors.search(vector, min(100, len(self.chunks)))]

    def search(self, name: str, query: str, k: int = 5) -> list[Chunk]:
        """The best chunks for the query, one per unit (entry or section), best first."""
        if name == "plain-bm25":
            ranked = self._bm25_ranked(query)
        elif name == "plain-dense":
            ranked = self._dense_ranked(query)
        else:
            fused: dict[str, float] = {}
            for keys in (self._bm25_ranked(query), self._dense_ranked(query)):
                for rank, key in enumerate(keys, start=1):
                    fused[key] = fused.get(key, 0.0) + 1.0 / (RRF_K + rank)
            ranked = sorted(fused, key=lambda key: -fused[key])
        out: list[Chunk] = []
        seen: set[str] = set()
        for key in ranked:
            chunk = self.by_key[key]
            unit = chunk.entry_id or chunk.key
            if unit not in seen:
                seen.add(unit)
                out.append(chunk)
            if len(out) == k:
                break
        return out
