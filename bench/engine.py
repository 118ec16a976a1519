"""Engine benchmark: index build (cold and incremental), per-question latency, throughput, memory.

Usage: .venv/bin/python bench/engine.py [--questions FILE] [--rounds N] [--clients 1,4] [--against REV]
Questions default to ../shared/eval/dev_questions.jsonl, else to the lessons' own "asks".
`--clients 1,4`: throughput with that many questions in flight at once (threads, as the web workers' answer threads).
`--against REV`: the same measurement on the code of commit REV (a temporary git worktree, its own process), printed
beside today's. Prints a Markdown table for README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent


def _import_code(code: Path) -> tuple[Any, Any, Any]:
    sys.path.insert(0, str(code))
    from bot.answers import Answerer
    from bot.config import Settings
    from bot.service import load_knowledge
    return Answerer, Settings, load_knowledge


def _run(answerer: Any, questions: list[str], rounds: int, clients: int) -> tuple[float, float, float]:
    """p50 and p95 latency (ms) and questions per second with `clients` questions in flight."""
    work = [q for _ in range(rounds) for q in questions]
    latencies: list[float] = []
    lock = threading.Lock()
    position = iter(range(len(work)))

    def client() -> None:
        while True:
            with lock:
                i = next(position, None)
            if i is None:
                return
            t = time.perf_counter()
            answerer.answer(work[i])
            with lock:
                latencies.append((time.perf_counter() - t) * 1000)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return statistics.median(latencies), latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))], \
        len(latencies) / elapsed


def measure(code: Path, questions_file: Path, rounds: int, clients: list[int], chroma: Path) -> dict[str, Any]:
    Answerer, Settings, load_knowledge = _import_code(code)
    proc = psutil.Process()
    rss0 = proc.memory_info().rss
    # No query cache: every round pays the model, as a question nobody asked before does. No passage cache either
    # (code that has one): the build from empty embeds every chunk, as on a machine that never indexed.
    embedding: dict[str, Any] = {"query_cache": 0}
    if "passage_cache" in type(Settings.model_fields["embedding"].default).model_fields:
        embedding["passage_cache"] = ""
    settings = Settings(_env_file=None, knowledge_dir=code / "knowledge",
                        chroma={"mode": "embedded", "path": chroma}, embedding=embedding)
    t = time.perf_counter()
    kb = load_knowledge(settings)
    cold = time.perf_counter() - t
    chunks, embedded = kb.sync.total, kb.sync.embedded
    t = time.perf_counter()
    warm_kb = load_knowledge(settings)
    warm = time.perf_counter() - t
    assert warm_kb.sync.embedded == 0
    del warm_kb
    if questions_file.exists():
        lines = questions_file.read_text(encoding="utf-8").splitlines()
        questions = [json.loads(line)["question"] for line in lines if line.strip()]
    else:
        questions = [ask for lesson in kb.lessons for ask in lesson.asks]
    out: dict[str, Any] = {"lessons": len(kb.lessons), "chunks": chunks, "embedded": embedded, "cold": cold,
                           "warm": warm, "questions": len(questions), "runs": {}}
    for mode in ("bm25", "dense", "hybrid"):
        answerer = Answerer(kb, mode)
        answerer.answer("khởi động")  # warm-up
        for n in clients if mode == "hybrid" else clients[:1]:
            out["runs"][f"{mode} × {n}"] = _run(answerer, questions, rounds, n)
    out["rss"], out["rss0"] = proc.memory_info().rss / 2**20, rss0 / 2**20
    return out


def _against(rev: str, args: argparse.Namespace) -> dict[str, Any]:
    """The measurement on another commit's code, in a fresh process, from a temporary worktree."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(tree), rev], check=True)
        try:
            cmd = [sys.executable, str(Path(__file__).resolve()), "--json", "--code", str(tree),
                   "--questions", str(args.questions), "--rounds", str(args.rounds), "--clients", args.clients]
            if args.chroma:
                cmd += ["--chroma", str(args.chroma)]
            done = subprocess.run(cmd, check=True, capture_output=True, text=True)
            return dict(json.loads(done.stdout.strip().splitlines()[-1]))
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)


def _rows(result: dict[str, Any]) -> dict[str, str]:
    rows = {"index build from empty (bundled e5)": f"{result['cold']:.1f} s ({result['embedded']} chunks)",
            "start with an up-to-date index (0 embedded)": f"{result['warm']:.2f} s"}
    for name, (p50, p95, qps) in result["runs"].items():
        mode, n = name.split(" × ")
        label = f"{mode}, {n} question{'s' if n != '1' else ''} in flight: p50 / p95, throughput"
        rows[label] = f"{p50:.1f} ms / {p95:.1f} ms, {qps:.0f} q/s"
    rows["resident memory after loading and answering"] = f"{result['rss']:.0f} MiB (at start {result['rss0']:.0f})"
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--questions", type=Path, default=ROOT.parent / "shared" / "eval" / "dev_questions.jsonl")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--clients", default="1", help="comma-separated numbers of questions in flight (hybrid)")
    ap.add_argument("--against", help="also measure this commit's code, printed beside today's")
    ap.add_argument("--chroma", type=Path, help="an existing vector store to reuse (the build is then not timed)")
    ap.add_argument("--code", type=Path, default=ROOT, help=argparse.SUPPRESS)
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    clients = [int(n) for n in args.clients.split(",")]
    old = _against(args.against, args) if args.against else None
    with tempfile.TemporaryDirectory() as tmp:
        new = measure(args.code, args.questions, args.rounds, clients, args.chroma or Path(tmp) / "chroma")
    if args.json:
        print(json.dumps(new))
        return
    print(f"Machine: {os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}, "
          f"{new['lessons']} lessons, {new['chunks']} chunks; questions: {new['questions']} from "
          f"{args.questions.name} × {args.rounds}\n")
    now = _rows(new)
    if old is None:
        print("| measure | value |\n|---|---|")
        for label, value in now.items():
            print(f"| {label} | {value} |")
        return
    before = _rows(old)
    print(f"| measure | {args.against} | today |\n|---|---|---|")
    for label in dict.fromkeys([*before, *now]):
        print(f"| {label} | {before.get(label, '–')} | {now.get(label, '–')} |")


if __name__ == "__main__":
    main()
