"""Engine benchmark: index build (cold and incremental), per-question latency, throughput, memory.

Usage: .venv/bin/python bench/engine.py [--questions FILE] [--rounds N]
Questions default to ../shared/eval/dev_questions.jsonl, else to the lessons' own "asks".
Prints a Markdown table for README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.measure import pct  # noqa: E402
from bot.answers import Answerer  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.service import load_knowledge  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--questions", type=Path, default=ROOT.parent / "shared" / "eval" / "dev_questions.jsonl")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    proc = psutil.Process()
    rss0 = proc.memory_info().rss

    with tempfile.TemporaryDirectory() as tmp:
        # No query cache: every round pays the model, as a question nobody asked before does.
        settings = Settings(_env_file=None, chroma={"mode": "embedded", "path": Path(tmp) / "chroma"},  # type: ignore[call-arg]
                            embedding={"query_cache": 0})
        t = time.perf_counter()
        kb = load_knowledge(settings)
        cold = time.perf_counter() - t
        assert kb.sync is not None
        chunks, embedded = kb.sync.total, kb.sync.embedded
        t = time.perf_counter()
        warm_kb = load_knowledge(settings)
        warm = time.perf_counter() - t
        assert warm_kb.sync is not None and warm_kb.sync.embedded == 0

        if args.questions.exists():
            lines = args.questions.read_text(encoding="utf-8").splitlines()
            questions = [json.loads(line)["question"] for line in lines if line.strip()]
            source = str(args.questions.name)
        else:
            questions = [ask for lesson in kb.lessons for ask in lesson.asks]
            source = "lesson asks"
        results = {}
        for mode in ("bm25", "dense", "hybrid"):
            answerer = Answerer(kb, mode)  # type: ignore[arg-type]
            answerer.answer("khởi động")  # warm-up
            latencies = []
            started = time.perf_counter()
            for _ in range(args.rounds):
                for q in questions:
                    t = time.perf_counter()
                    answerer.answer(q)
                    latencies.append((time.perf_counter() - t) * 1000)
            elapsed = time.perf_counter() - started
            results[mode] = (statistics.median(latencies), pct(latencies, 0.95), len(latencies) / elapsed)
        rss = proc.memory_info().rss

    print(f"Machine: {os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}, "
          f"{len(kb.lessons)} lessons, {chunks} chunks; questions: {len(questions)} from {source} × {args.rounds}\n")
    print("| measure | value |\n|---|---|")
    print(f"| index build from empty ({embedded} chunks embedded, bundled e5) | {cold:.1f} s |")
    print(f"| start with an up-to-date index (0 embedded) | {warm:.2f} s |")
    for mode, (p50, p95, qps) in results.items():
        print(f"| {mode}: latency p50 / p95 per question, throughput (1 process) | "
              f"{p50:.1f} ms / {p95:.1f} ms, {qps:.0f} q/s |")
    print(f"| resident memory after loading and answering | {rss / 2**20:.0f} MiB (at start {rss0 / 2**20:.0f} MiB) |")


if __name__ == "__main__":
    main()
