"""Diacritic restoration learned from our own lessons, for questions typed without accents.

e5 understands "làm sao cài VNeID" far better than "lam sao cai vneid". No general Vietnamese
restorer ships offline (pyvi's is ~57% word-accurate), but our questions are about our lessons,
so the lessons' own n-grams restore the words that matter: "quen mat khau" -> "quên mật khẩu".
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable

from rag.text import expand_abbreviations, fold, has_diacritics

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_N = 3


class AccentRestorer:
    """Greedy longest-match over accent-folded n-grams (up to trigrams) seen in the corpus."""

    def __init__(self, texts: Iterable[str]) -> None:
        counts: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
        for text in texts:
            words = _WORD.findall(text.lower())
            for n in range(1, MAX_N + 1):
                for i in range(len(words) - n + 1):
                    gram = words[i:i + n]
                    counts[tuple(fold(w) for w in gram)][" ".join(gram)] += 1
        self._table = {key: c.most_common(1)[0][0] for key, c in counts.items()}

    def restore(self, text: str) -> str:
        """The text with diacritics put back where the corpus is clear; text with accents is left alone."""
        if has_diacritics(text):
            return text
        words = _WORD.findall(expand_abbreviations(text).lower())
        out: list[str] = []
        i = 0
        while i < len(words):
            for n in range(min(MAX_N, len(words) - i), 0, -1):
                key = tuple(fold(w) for w in words[i:i + n])
                if key in self._table:
                    out.append(self._table[key])
                    i += n
                    break
            else:
                out.append(words[i])
                i += 1
        return " ".join(out)
