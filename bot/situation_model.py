"""The second opinion on a message's situation: a small model beside the rules of `bot.situation`."""

from __future__ import annotations

import json
import logging
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from bot.grams_model import LinearGrams, cache_path
from rag.text import fold

_ALARMS = ("scam_now", "pay_now")  # bot.situation's SCAM_NOW and PAY_NOW


def fold_words(text: str) -> str:
    """Folded words of a message (for the classifier's features and the evaluation)."""
    return " ".join(re.findall(r"[0-9a-z]+", fold(text)))


class SituationModel:
    """A second opinion beside the rules: logistic regression over character n-grams of the folded text, trained
    on the tune split of real-case messages (knowledge/situations/tune.jsonl). It only ever raises the alarm on a
    message the rules found calm; it never calms one the rules found alarming, and never overrides a mistake.

    Trained with scikit-learn once per training file (the first process that needs it) and kept as plain arrays
    in `var/models`; every later process applies it with numpy alone (`bot.grams_model`)."""

    ESCALATE_AT = 0.5  # the model's probability of scam_now or pay_now needed to override "calm"
    SETTINGS = "char_wb 2-5 sublinear min_df=2; C=5 balanced"  # part of the cache key: change it with the below

    def __init__(self, model: LinearGrams) -> None:
        self.model = model
        self.classes = model.classes

    @staticmethod
    def train(rows: list[dict[str, str]]) -> LinearGrams:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import Pipeline

        pipeline = Pipeline([
            ("grams", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)),
            ("model", LogisticRegression(C=5.0, class_weight="balanced", max_iter=2000)),
        ])
        pipeline.fit([fold_words(r["text"]) for r in rows], [r["situation"] for r in rows])
        return LinearGrams.from_pipeline(pipeline)

    @classmethod
    def load(cls, path: Path, cache_dir: Path | None = None) -> SituationModel | None:
        """Trained from a JSON-lines file of {"text", "situation"}; None when the file is missing.

        Once per process and file version: every dialogue of the process shares it (read-only)."""
        if not path.exists():
            return None
        stat = path.stat()
        return _trained(str(path), stat.st_mtime_ns, stat.st_size, str(cache_dir or MODEL_CACHE))

    def alarm_probability(self, text: str) -> float:
        """How likely the model finds it that the writer is in a scam or asked to pay now."""
        probs = self.model.proba(fold_words(text))
        return float(sum(p for c, p in zip(self.classes, probs, strict=True) if c in _ALARMS))

    def predict(self, text: str) -> tuple[str, float]:
        """The most likely situation and its probability."""
        probs = self.model.proba(fold_words(text))
        best = int(np.argmax(probs))
        return self.classes[best], float(probs[best])


log = logging.getLogger(__name__)
MODEL_CACHE = Path(__file__).resolve().parent.parent / "var" / "models"  # as settings.embedding.model_cache


@lru_cache(maxsize=4)
def _trained(path: str, mtime_ns: int, size: int, cache_dir: str) -> SituationModel | None:
    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    if len({r["situation"] for r in rows}) < 2:
        return None
    kept = cache_path(Path(path), Path(cache_dir), SituationModel.SETTINGS)
    if kept.exists():
        return SituationModel(LinearGrams.read(kept))
    model = SituationModel.train(rows)
    try:
        model.save(kept)
    except OSError as exc:  # a read-only disk: train again next time
        log.warning("situation model not kept in %s: %s", cache_dir, exc)
    return SituationModel(model)
