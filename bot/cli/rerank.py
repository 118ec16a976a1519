"""`kynangso rerank`: train and measure the reranker (rag/rerank.py) on judges' scores of tune-split candidates.

A label file (`eval/candidates/*.jsonl`) holds, per tune question, the keys of the units the tutor found first and a
judge's score of each as a reply (2 answers, 1 partly, 0 not; rubric `../shared/eval/judging.md`). The features of
the same candidates are computed again here, with the first ranking left as it is; a pairwise logistic model
learns which of two candidates the judge scored higher. Cross-validation keeps whole source sites apart, so a
figure is always on sites the model was not fitted on. Test-split questions are refused.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from bot.config import Settings
from rag.rerank import hidden_texts

FOLDS = 5
PENALTY = 30.0  # L2 on standardised weights, chosen by the cross-validation below (tune split only)
# Ways of asking that share this share of their content syllables with the question are hidden while its
# candidates are ranked: many were written from these very tune questions, and a question met for the first time
# finds no way of asking so close (see README «Quality on real questions»).
HIDE_NEAR = 0.5


def _questions(paths: list[Path]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                out[str(row["id"])] = row
    return out


def _group(row: dict[str, Any]) -> str:
    return str(row.get("site") or "dev")


def _hider(retriever: Any) -> Any:
    """Wrap the retriever's two channels so that a set of chunk positions can be hidden from both; returns the
    setter."""
    hidden: set[int] = set()
    search, scores = retriever.vectors.search, retriever.lexical.scores
    position = retriever.table.position

    def dense(qvec: list[float], n: int) -> list[tuple[str, float]]:
        return [(k, c) for k, c in search(qvec, n + len(hidden)) if position[k] not in hidden][:n]

    def lexical(query: str) -> np.ndarray:
        out: np.ndarray = scores(query)
        if hidden:
            out = out.copy()
            out[list(hidden)] = 0
        return out

    retriever.vectors.search, retriever.lexical.scores = dense, lexical

    def hide(positions: set[int]) -> None:
        hidden.clear()
        hidden.update(positions)
        retriever.vocabulary.hide(hidden_texts(retriever.table, positions))  # nor may the reranker read them
    return hide


def collect(settings: Settings, labels: list[dict[str, Any]], questions: dict[str, dict[str, Any]],
            hide_near: float = HIDE_NEAR) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Per labelled question: its site, the feature rows of its labelled candidates (first ranking's order) and
    their scores; ways of asking nearly the same as the question are hidden (`hide_near`, 0 hides none)."""
    from bot.answers import Answerer
    from bot.service import load_knowledge
    from rag.rerank import FEATURES, Reranker, content_terms

    settings = settings.model_copy(update={"retrieval": settings.retrieval.model_copy(update={"rerank": False})})
    kb = load_knowledge(settings)
    keep_order = np.zeros(len(FEATURES))
    keep_order[FEATURES.index("inv_rank")] = 1.0  # the first ranking's order, features computed
    kb.retriever.use_reranker(Reranker(keep_order))
    answerer = Answerer(kb, "hybrid")
    asks = [(i, frozenset(content_terms(c.text))) for i, c in enumerate(kb.retriever.chunks)
            if c.entry_id and not c.key.endswith("#ans")]
    hide = _hider(kb.retriever)
    out = []
    for label in labels:
        question = questions[label["id"]]
        terms = frozenset(content_terms(str(question["question"])))
        hide({i for i, ask in asks if hide_near and terms and len(terms & ask) / len(terms | ask) >= hide_near})
        found = answerer.answer(str(question["question"])).retrieval.looked_again
        if found is None:
            continue
        scores = dict(zip(label["keys"], label["scores"], strict=True))
        keys, rows = found
        have = [i for i, key in enumerate(keys) if key in scores]
        if len(have) >= 2:
            out.append((_group(question), rows[have], np.array([scores[keys[i]] for i in have], dtype=float)))
    return out


def fit(data: list[tuple[str, np.ndarray, np.ndarray]], penalty: float = PENALTY) -> np.ndarray:
    """Weights of a pairwise logistic model: for two candidates of one question that the judge scored apart,
    the difference of their features predicts which was scored higher; each question weighs the same."""
    from scipy.optimize import minimize

    diffs, weights = [], []
    for _, rows, scores in data:
        pairs = [(i, j) for i in range(len(scores)) for j in range(len(scores)) if scores[i] > scores[j]]
        for i, j in pairs:
            diffs.append(rows[i] - rows[j])
            weights.append(1.0 / len(pairs))
    if not diffs:
        raise SystemExit("no candidates scored apart: nothing to learn")
    x, w = np.asarray(diffs), np.asarray(weights)
    scale = np.maximum(np.sqrt((x ** 2).mean(axis=0)), 1e-6)
    xs = np.vstack([x / scale, -x / scale])
    y = np.concatenate([np.ones(len(x)), np.zeros(len(x))])
    ww = np.concatenate([w, w])

    def loss(beta: np.ndarray) -> tuple[float, np.ndarray]:
        z = xs @ beta
        p = 1.0 / (1.0 + np.exp(-z))
        value = -(ww * (y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12))).sum() + penalty * beta @ beta
        grad = xs.T @ (ww * (p - y)) + 2 * penalty * beta
        return float(value), grad

    beta = minimize(loss, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B").x
    return np.asarray(beta / scale)


def choose(weights: np.ndarray, rows: np.ndarray) -> int:
    return int(np.argsort(-(rows @ weights), kind="stable")[0])


def summary(chosen: list[float]) -> str:
    n = max(1, len(chosen))
    return (f"fully {sum(s == 2 for s in chosen)}/{len(chosen)} ({sum(s == 2 for s in chosen) / n:.1%}), "
            f"not {sum(s == 0 for s in chosen)}, mean {sum(chosen) / n:.3f}")


def cross_validate(data: list[tuple[str, np.ndarray, np.ndarray]], penalty: float) -> tuple[list[float], int]:
    """The judged score of the candidate the model puts first, each question scored by a model fitted without
    its site's fold; and how many firsts changed."""
    fold = [int(hashlib.sha256(site.encode()).hexdigest(), 16) % FOLDS for site, _, _ in data]
    chosen: list[float] = [0.0] * len(data)
    changed = 0
    for k in range(FOLDS):
        train = [d for d, f in zip(data, fold, strict=True) if f != k]
        weights = fit(train, penalty)
        for i, (d, f) in enumerate(zip(data, fold, strict=True)):
            if f == k:
                pick = choose(weights, d[1])
                chosen[i] = float(d[2][pick])
                changed += pick != 0
    return chosen, changed


def merged(labels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One label per question: the candidates judged in several rounds (other units found as the knowledge grew)
    joined, a later file's score standing for a unit judged twice."""
    joined: dict[str, dict[str, int]] = {}
    for label in labels:
        joined.setdefault(label["id"], {}).update(zip(label["keys"], label["scores"], strict=True))
    return [{"id": qid, "keys": list(scores), "scores": list(scores.values())} for qid, scores in joined.items()]


def cmd_rerank(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    from rag.rerank import FEATURES, RERANK_FILE, Reranker

    questions = _questions(args.questions)
    test_ids = set(_questions([args.test])) if args.test.exists() else set()
    labels = [json.loads(line) for path in args.labels for line in path.read_text(encoding="utf-8").splitlines()
              if line.strip()]
    if any(label["id"] in test_ids for label in labels):
        raise SystemExit("a label file holds test-split questions: the reranker is trained on the tune split only")
    labels = [label for label in merged(labels) if label["id"] in questions]
    data = collect(settings, labels, questions, args.hide_near)
    out.write(f"{len(data)} tune questions with candidates judged apart or alike, "
              f"{len({site for site, _, _ in data})} sites\n")
    out.write(f"first ranking:         {summary([float(d[2][0]) for d in data])}\n")
    out.write(f"best candidate judged: {summary([float(d[2].max()) for d in data])}\n")
    for penalty in args.penalty:
        chosen, changed = cross_validate(data, penalty)
        out.write(f"reranked (cross-validated by site, penalty {penalty}): {summary(chosen)}; "
                  f"first changed on {changed}\n")
    if args.save:
        weights = fit(data, args.penalty[0])
        Reranker(weights).save(RERANK_FILE, {"trained_on": [str(p) for p in args.labels],
                                             "questions": len(data), "penalty": args.penalty[0]})
        out.write("weights saved to rag/rerank.json:\n")
        out.write("".join(f"  {name}: {w:+.3f}\n" for name, w in zip(FEATURES, weights, strict=True)))
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    rr = sub.add_parser("rerank", help="train and measure the reranker on judged tune candidates")
    rr.add_argument("labels", type=Path, nargs="+", help="judged candidate files (eval/candidates/*.jsonl)")
    rr.add_argument("--questions", type=Path, action="append", required=True,
                    help="question files holding the labelled ids (tune split and the shared dev file)")
    rr.add_argument("--test", type=Path, default=Path("eval/questions/test.jsonl"),
                    help="the test split, whose ids a label file must not hold")
    rr.add_argument("--penalty", type=float, action="append", default=None,
                    help=f"L2 penalty (repeat to compare; the first is saved), default {PENALTY}")
    rr.add_argument("--hide-near", type=float, default=HIDE_NEAR,
                    help=f"hide ways of asking sharing this share of the question's syllables (0: none), default "
                         f"{HIDE_NEAR}")
    rr.add_argument("--save", action="store_true", help="fit on all labels and write rag/rerank.json")
    rr.set_defaults(handler=lambda settings, args: cmd_rerank(
        settings, argparse.Namespace(**{**vars(args), "penalty": args.penalty or [PENALTY]}), sys.stdout))
