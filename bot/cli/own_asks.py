"""`kynangso own-asks`: every way of asking a question entry, with its own chunk hidden, asked of the tutor.

A check on our own content, not on anyone's real question: a way of asking that reaches its entry only through its
own words says little about the next person who asks it differently. With that chunk hidden (from both channels),
does the tutor still answer with the entry, or at least with its topic, and does an everyday question (an entry with
no scam topic and no stage of a scam) get the emergency reply first? Nothing here reads the test split.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any, TextIO

import numpy as np

from bot.config import Settings
from rag.rerank import hidden_texts


def _hiding(retriever: Any) -> Callable[[str | None], None]:
    """Wrap the retriever's two channels so that one chunk can be hidden from both; returns the setter."""
    hidden: dict[str, Any] = {"key": None, "pos": None}
    search, scores = retriever.vectors.search, retriever.lexical.scores

    def dense(qvec: list[float], n: int) -> list[tuple[str, float]]:
        return [(k, c) for k, c in search(qvec, n + 1) if k != hidden["key"]][:n]

    def lexical(query: str) -> np.ndarray:
        out: np.ndarray = scores(query)
        if hidden["pos"] is not None:
            out = out.copy()
            out[hidden["pos"]] = 0
        return out

    retriever.vectors.search, retriever.lexical.scores = dense, lexical

    def hide(key: str | None) -> None:
        hidden["key"], hidden["pos"] = key, retriever.table.position.get(key) if key else None
        if retriever.vocabulary is not None:  # the reranker must not read the hidden words either
            pos = hidden["pos"]
            retriever.vocabulary.hide(hidden_texts(retriever.table, {pos}) if pos is not None else {})
    return hide


def cmd_own_asks(settings: Settings, out: TextIO, list_alarms: bool = False) -> int:
    from bot.answers import Answerer
    from bot.service import load_knowledge

    kb = load_knowledge(settings)
    answerer = Answerer(kb, "hybrid")
    hide = _hiding(kb.retriever)
    n = entry_first = topic_first = everyday = alarmed = 0
    alarms: list[str] = []
    for entry in kb.entries:
        calm = entry.stage == "any" and not any(t.startswith("scam") for t in entry.topics)
        for i, ask in enumerate(entry.asks):
            hide(f"q:{entry.id}#a{i}")
            answer = answerer.answer(ask)
            top = answer.units[0] if answer.units else None
            n += 1
            entry_first += top is not None and top.entry is entry
            topic_first += top is not None and bool(set(top.topics) & set(entry.topics))
            everyday += calm
            alarmed += calm and answer.kind == "safety"
            if calm and answer.kind == "safety":
                alarms.append(f"  {entry.id}: {ask}")
    hide(None)
    out.write(f"{n} ways of asking of {len(kb.entries)} entries, each with its own chunk hidden:\n"
              f"- answered with its own entry: {entry_first / n:.1%}\n"
              f"- answered with a unit of its topic: {topic_first / n:.1%}\n"
              f"- everyday questions answered with the emergency reply first: {alarmed}/{everyday} "
              f"({alarmed / max(1, everyday):.1%})\n")
    if list_alarms:
        out.write("".join(line + "\n" for line in alarms))
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    own = sub.add_parser("own-asks", help="each entry's ways of asking, own chunk hidden: what the tutor answers")
    own.add_argument("--alarms", action="store_true",
                     help="list the everyday ways of asking that get the emergency reply first (our own content)")
    own.set_defaults(handler=lambda settings, args: cmd_own_asks(settings, sys.stdout, args.alarms))
