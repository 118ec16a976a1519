"""The command line as a user runs it: piped chat, the stable `ask --jsonl` format, eval."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli.evaluation import evaluate
from bot.config import ROOT, shared_dir
from rag.knowledge import KnowledgeBase


def run(args: list[str], stdin: str, tmp: Path, chroma_dir: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, KYNANGSO_DATABASE_URL=f"sqlite+aiosqlite:///{tmp / 'cli.db'}",
               KYNANGSO_CHROMA__PATH=str(chroma_dir), KYNANGSO_LOG_LEVEL="WARNING")
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=600, check=False)


def test_piped_chat_gives_a_grounded_answer(tmp_path: Path, chroma_dir: Path, kb: KnowledgeBase) -> None:
    done = run(["chat"], "lam sao cai vneid\n", tmp_path, chroma_dir)
    assert done.returncode == 0, done.stderr
    lesson = kb.lesson("vneid-cai-dat")
    assert lesson is not None
    assert f"«{lesson.title}»" in done.stdout
    assert "CH Play" in done.stdout or "App Store" in done.stdout
    assert (tmp_path / "cli.db").exists()


def test_ask_jsonl_format_and_no_user_data(tmp_path: Path, chroma_dir: Path, kb: KnowledgeBase) -> None:
    rows = [{"id": "q1", "question": "quen mat khau vneid thi lam sao"},
            {"id": "q2", "question": "Giá vàng hôm nay bao nhiêu?", "extra": 1},
            {"id": "q3", "question": "công an gọi bảo tôi chuyển tiền vào tài khoản tạm giữ"}]
    stdin = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n"
    done = run(["ask", "--jsonl", "--retriever", "hybrid"], stdin, tmp_path, chroma_dir)
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert [o["id"] for o in out] == ["q1", "q2", "q3"]
    for o in out:
        assert set(o) == {"id", "kind", "text", "sources", "offered", "latency_ms"}
        assert o["kind"] in {"answer", "out_of_scope", "safety", "clarify"}
        assert len(o["sources"]) <= 5 and len({s["lesson_id"] for s in o["sources"]}) == len(o["sources"])
        for s in o["sources"]:
            assert set(s) == {"lesson_id", "section", "entry", "topics", "score"}
    assert out[0]["kind"] == "answer" and "vneid.login" in out[0]["sources"][0]["topics"]
    assert out[1]["kind"] == "out_of_scope"
    assert out[2]["kind"] == "safety"
    assert not (tmp_path / "cli.db").exists()


def test_evaluate_metrics() -> None:
    questions = [
        {"id": "a", "question": "?", "topic": "vneid.login", "topic2": None, "origin": "x"},
        {"id": "b", "question": "?", "topic": "payment.otp", "topic2": "scam.report", "origin": "y"},
        {"id": "c", "question": "?", "topic": "out_of_scope", "origin": "x"},
    ]
    src = lambda *t: {"lesson_id": "l", "section": "s", "topics": list(t), "score": 1.0}  # noqa: E731
    answers = [
        {"id": "a", "kind": "answer", "sources": [src("vneid.login")], "latency_ms": 10},
        {"id": "b", "kind": "answer", "sources": [src("device"), src("x"), src("scam.report")], "latency_ms": 30},
        {"id": "c", "kind": "out_of_scope", "sources": [], "latency_ms": 20},
    ]
    m = evaluate(questions, answers)
    assert m["groups"]["all"] == {"n": 2, "hit@1": 0.5, "hit@3": 1.0}
    assert m["oos_decline_rate"] == 1.0 and m["false_decline_rate"] == 0.0
    assert m["p50_ms"] == 20


@pytest.mark.skipif(not (shared_dir() / "eval" / "dev_questions.jsonl").exists(),
                    reason="the shared folder was not found (set KYNANGSO_SHARED_DIR)")
def test_eval_command_prints_the_table(tmp_path: Path, chroma_dir: Path, kb: KnowledgeBase) -> None:
    done = run(["eval", "--questions", str(shared_dir() / "eval" / "dev_questions.jsonl"),
                "--retriever", "bm25"], "", tmp_path, chroma_dir)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("| retriever | hit@1 | hit@3 |") and "| bm25 |" in done.stdout
