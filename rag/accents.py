"""Diacritic restoration learned from our own lessons, for questions typed without accents.

e5 understands "làm sao cài VNeID" far better than "lam sao cai vneid". No general Vietnamese
restorer ships offline (pyvi's is ~57% word-accurate), but our questions are about our lessons,
so the lessons' own n-grams restore the words that matter: "quen mat khau" -> "quên mật khẩu".
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from rag.text import expand_abbreviations, fold, has_diacritics

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_N = 3


class AccentRestorer:
    """Greedy longest-match over accent-folded n-grams (up to trigrams) seen in the corpus."""

    def __init__(self, texts: Iterable[str]) -> None:
        # Folded n-gram -> {written form: count}, keys joined by spaces (a tuple of strings per n-gram would hold
        # several objects each, and this table has hundreds of thousands of n-grams).
        counts: dict[str, dict[str, int]] = defaultdict(dict)
        folded: dict[str, str] = {}
        for text in texts:
            words = _WORD.findall(text.lower())
            keys = [folded.setdefault(w, fold(w)) for w in words]
            for n in range(1, MAX_N + 1):
                for i in range(len(words) - n + 1):
                    forms = counts[" ".join(keys[i:i + n])]
                    form = " ".join(words[i:i + n])
                    forms[form] = forms.get(form, 0) + 1
        # The most frequent form; on a tie the one seen first (as Counter.most_common gives).
        self._table = {key: max(forms, key=forms.__getitem__) for key, forms in counts.items()}

    def restore(self, text: str) -> str:
        """The text with diacritics put back where the corpus is clear; text with accents is left alone."""
        if has_diacritics(text):
            return text
        words = _WORD.findall(expand_abbreviations(text).lower())
        out: list[str] = []
        i = 0
        while i < len(words):
            for n in range(min(MAX_N, len(words) - i), 0, -1):
                key = " ".join(fold(w) for w in words[i:i + n])
                if key in self._table:
                    out.append(self._table[key])
                    i += n
                    break
            else:
                out.append(words[i])
                i += 1
        return " ".join(out)
