"""Diacritic restoration learned from our own lessons, for questions typed without accents.

e5 understands "làm sao cài VNeID" far better than "lam sao cai vneid". No general Vietnamese
restorer ships offline (pyvi's is ~57% word-accurate), but our questions are about our lessons,
so the lessons' own n-grams restore the words that matter: "quen mat khau" -> "quên mật khẩu".
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left
from collections.abc import Iterable

import numpy as np

from rag.text import expand_abbreviations, fold, has_diacritics

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_N = 3
_BITS = 21  # bits per word number in a packed n-gram: up to 2 million distinct words, three to a 64-bit number


def _pack(ids: list[int]) -> int:
    """Word numbers (from 1) of an n-gram as one number; n-grams of different lengths never collide."""
    packed = 0
    for i in ids:
        packed = packed << _BITS | i
    return packed


def _most_frequent(keys: np.ndarray, forms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per distinct key (sorted), its most frequent form; on a tie the one seen first (as Counter.most_common
    gives)."""
    if not len(keys):
        return keys.copy(), forms.copy()
    order = np.lexsort((forms, keys))  # stable: equal pairs keep their reading order
    k, f = keys[order], forms[order]
    starts = np.flatnonzero(np.r_[True, (k[1:] != k[:-1]) | (f[1:] != f[:-1])])  # one group per (key, form)
    count = np.diff(np.r_[starts, len(k)])
    first = order[starts]  # where each pair was first seen (the group's first, as the sort is stable)
    gk, gf = k[starts], f[starts]
    best = np.lexsort((first, -count, gk))  # per key: most frequent, then first seen
    take = best[np.r_[True, gk[best][1:] != gk[best][:-1]]]
    return gk[take], gf[take]


class AccentRestorer:
    """Greedy longest-match over accent-folded n-grams (up to trigrams) seen in the corpus.

    Every serving worker keeps one, so the table is two sorted arrays of packed word numbers (folded n-gram → its
    most frequent written form) over two word lists, about a tenth of a dictionary of strings (40 → 4 MiB at 222,000
    n-grams)."""

    def __init__(self, texts: Iterable[str]) -> None:
        self._folded: dict[str, int] = {}  # folded word -> its number (from 1)
        numbers: dict[str, int] = {}  # written word -> its number (from 1)
        # Every n-gram occurrence, in reading order, as packed numbers in flat arrays: counting them with numpy leaves
        # no million small objects behind (a dictionary of counts per n-gram kept about 60 MiB of a worker's heap).
        seen_keys, seen_forms = array("q"), array("q")
        for text in texts:
            words = _WORD.findall(text.lower())
            keys = [self._folded.setdefault(fold(w), len(self._folded) + 1) for w in words]
            forms = [numbers.setdefault(w, len(numbers) + 1) for w in words]
            for n in range(1, MAX_N + 1):
                for i in range(len(words) - n + 1):
                    seen_keys.append(_pack(keys[i:i + n]))
                    seen_forms.append(_pack(forms[i:i + n]))
        if max(len(numbers), len(self._folded)) >= 1 << _BITS:
            raise ValueError("too many distinct words for the accent table")
        self._words = ["", *numbers]  # numbered in order of first appearance, from 1
        keys_, forms_ = _most_frequent(np.frombuffer(seen_keys, dtype=np.int64),
                                       np.frombuffer(seen_forms, dtype=np.int64))
        self._keys, self._forms = array("q", keys_.tobytes()), array("q", forms_.tobytes())  # bisect reads these fast

    def _written(self, key: int, n: int) -> str | None:
        at = bisect_left(self._keys, key)
        if at == len(self._keys) or self._keys[at] != key:
            return None
        form, mask = self._forms[at], (1 << _BITS) - 1
        return " ".join(self._words[form >> (_BITS * (n - 1 - j)) & mask] for j in range(n))

    def restore(self, text: str) -> str:
        """The text with diacritics put back where the corpus is clear; text with accents is left alone."""
        if has_diacritics(text):
            return text
        words = _WORD.findall(expand_abbreviations(text).lower())
        ids = [self._folded.get(fold(w), 0) for w in words]
        out: list[str] = []
        i = 0
        while i < len(words):
            for n in range(min(MAX_N, len(words) - i), 0, -1):
                part = ids[i:i + n]
                written = None if 0 in part else self._written(_pack(part), n)
                if written is not None:
                    out.append(written)
                    i += n
                    break
            else:
                out.append(words[i])
                i += 1
        return " ".join(out)
