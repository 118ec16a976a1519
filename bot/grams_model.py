"""The trained situation model applied with numpy alone, so serving processes never import scikit-learn.

Training (bot/situation.py) uses scikit-learn's TfidfVectorizer (character n-grams inside word boundaries, sublinear
tf, l2 norm) and a multinomial LogisticRegression. What prediction needs of them — the n-gram vocabulary, the idf
weights, the coefficients and intercepts — is written once to a small file beside the compiled question encoder
(`embedding.model_cache`), keyed by the training file's content; a process that finds the file reads it and answers
with the same probabilities (tests/test_understand.py checks them against scikit-learn's) without loading
scikit-learn, which weighs about 68 MB in every serving worker.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

FORMAT = 1  # bump when what is saved changes
_SPACES = re.compile(r"\s\s+")  # as scikit-learn's vectorizer folds white space


class LinearGrams:
    """TF-IDF over character n-grams, then a multinomial linear model: `proba(text)` as scikit-learn's predict_proba."""

    def __init__(self, grams: list[str], idf: np.ndarray, coef: np.ndarray, intercept: np.ndarray,
                 classes: list[str], ngram_range: tuple[int, int]) -> None:
        self.index = {g: i for i, g in enumerate(grams)}
        self.idf, self.coef, self.intercept = idf, coef, intercept
        self.classes = classes
        self.min_n, self.max_n = ngram_range

    @classmethod
    def from_pipeline(cls, pipeline: Any) -> LinearGrams:
        grams, model = pipeline.named_steps["grams"], pipeline.named_steps["model"]
        vocabulary = sorted(grams.vocabulary_.items(), key=lambda kv: kv[1])
        coef, intercept = np.asarray(model.coef_, float), np.asarray(model.intercept_, float)
        if coef.shape[0] == 1:  # two classes: scikit-learn keeps one row, for the second class
            coef, intercept = np.vstack([-coef / 2, coef / 2]), np.array([-intercept[0] / 2, intercept[0] / 2])
        return cls([g for g, _ in vocabulary], np.asarray(grams.idf_, float), coef, intercept,
                   [str(c) for c in model.classes_], tuple(grams.ngram_range))

    def _grams(self, text: str) -> list[str]:
        out: list[str] = []
        for word in _SPACES.sub(" ", text.lower()).split():
            w = f" {word} "
            for n in range(self.min_n, self.max_n + 1):
                out += [w[i:i + n] for i in range(max(1, len(w) - n + 1))]
                if len(w) <= n:
                    break  # a short word counts once
        return out

    def proba(self, text: str) -> np.ndarray:
        counts = Counter(i for g in self._grams(text) if (i := self.index.get(g)) is not None)
        logits = self.intercept.copy()
        if counts:
            cols = np.fromiter(counts, dtype=np.int64)
            x = np.array([1.0 + math.log(counts[i]) for i in counts]) * self.idf[cols]
            logits += self.coef[:, cols] @ (x / np.linalg.norm(x))
        e = np.exp(logits - logits.max())
        return np.asarray(e / e.sum(), dtype=float)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        grams = sorted(self.index, key=self.index.__getitem__)
        partial = path.with_name(f".{path.stem}.{os.getpid()}.npz")
        np.savez(partial, grams=np.array(grams), idf=self.idf, coef=self.coef, intercept=self.intercept,
                 classes=np.array(self.classes), ngram_range=np.array([self.min_n, self.max_n]))
        partial.replace(path)  # whole or not at all, for a process reading it at the same time

    @classmethod
    def read(cls, path: Path) -> LinearGrams:
        with np.load(path, allow_pickle=False) as f:
            low, high = (int(v) for v in f["ngram_range"])
            return cls([str(g) for g in f["grams"]], f["idf"], f["coef"], f["intercept"],
                       [str(c) for c in f["classes"]], (low, high))


def cache_path(training_file: Path, cache_dir: Path, settings: str) -> Path:
    """Where the model trained from this file's content with these settings is kept."""
    digest = hashlib.sha256(training_file.read_bytes() + f"{FORMAT}:{settings}".encode()).hexdigest()[:16]
    return cache_dir / f"situations-{digest}.npz"
