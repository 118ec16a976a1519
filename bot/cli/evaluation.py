"""Measuring the tutor: `ask --jsonl`, `eval` (topic hit@k against the plain peers, judged usefulness) and
`understand` (typed replies and situations)."""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, TextIO

from bot.config import Settings


def ask_rows(settings: Settings, rows: list[dict[str, Any]], retriever: str,
             candidates: int = 0) -> list[dict[str, Any]]:
    """Answer each question row with no user state; the stable output format of `kynangso ask`. With
    `candidates`, each row also carries the reply the first `candidates` units found would give, best first (to
    judge how often a unit found but not chosen would have answered: ranking against missing knowledge)."""
    from bot.answers import Answerer, unit_reply
    from bot.service import load_knowledge

    kb = load_knowledge(settings, with_dense=retriever not in ("bm25", "plain-bm25"))
    if retriever.startswith("plain-"):
        return _plain_rows(kb, rows, retriever)
    answerer = Answerer(kb, retriever)  # type: ignore[arg-type]
    results = []
    for row in rows:
        started = time.perf_counter()
        answer = answerer.answer(str(row["question"]))
        latency = (time.perf_counter() - started) * 1000
        # What was answered (or, for a clarification, every choice offered) first, then the other lessons found.
        sources = [{"lesson_id": u.lesson.id, "section": u.section.heading, "entry": u.entry.id if u.entry else None,
                    "topics": list(u.topics), "score": round(u.score, 5)} for u in answer.units]
        sources += [{"lesson_id": h.lesson.id, "section": h.section.heading, "entry": None,
                     "topics": list(h.lesson.topics), "score": round(h.score, 5)}
                    for h in answer.hits if h.lesson.id not in {u.lesson.id for u in answer.units}]
        if answer.kind == "out_of_scope":
            sources = []
        text = "\n\n".join(r.text for r in answer.replies)
        if answer.kind == "clarify":  # the choices are what the person sees: the judge must see them too
            text += "\n[Nút bấm] " + " | ".join(b.label for r in answer.replies for b in r.buttons)
        results.append({"id": row["id"], "kind": answer.kind, "text": text,
                        "sources": sources[:5], "offered": len(answer.units) if answer.kind == "clarify" else 0,
                        "latency_ms": round(latency, 2)})
        if candidates:
            results[-1]["candidates"] = [{"key": u.key, "text": unit_reply(u)[0].text}
                                         for u in answer.retrieval.units[:candidates]]
    return results


def _plain_rows(kb: Any, rows: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    """Answers of a plain peer retriever (rag.peers), in the same format: the top chunk answers, nothing is
    declined."""
    from rag.peers import PlainPeers

    peers = PlainPeers(kb)
    results = []
    for row in rows:
        started = time.perf_counter()
        chunks = peers.search(name, str(row["question"]))
        latency = (time.perf_counter() - started) * 1000
        sources = [{"lesson_id": c.lesson_id, "section": c.heading, "entry": c.entry_id or None,
                    "topics": list(c.topics), "score": 0.0} for c in chunks]
        results.append({"id": row["id"], "kind": "answer" if chunks else "out_of_scope", "text": "",
                        "sources": sources, "offered": 0, "latency_ms": round(latency, 2)})
    return results


_URL = re.compile(r"https?://[^\s)>\]\"']+")


def page_key(url: str) -> str:
    """A page's address without scheme, `www.`/`m.`, trailing slash or case: how two citations are compared."""
    return re.sub(r"^https?://(www\.|m\.)?", "", url.strip()).rstrip("/").lower()


def cited_pages(knowledge_dir: Path) -> set[str]:
    """Every page the lessons and question entries cite now or cited at any commit (git history, when there is
    one): a question taken from such a page may have shaped the content, so its split is not truly unseen."""
    texts = [p.read_text(encoding="utf-8") for p in knowledge_dir.rglob("*") if p.suffix in (".md", ".yaml")]
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        done = subprocess.run(["git", "-C", str(knowledge_dir), "log", "-p", "--format=", "--", "."],
                              capture_output=True, text=True, timeout=120, check=False)
        if done.returncode == 0:
            texts.append(done.stdout)
    return {page_key(u) for text in texts for u in _URL.findall(text)}


def source_cited(question: dict[str, Any], cited: set[str]) -> bool:
    found = _URL.search(str(question.get("source") or ""))
    return bool(found and page_key(found.group(0)) in cited)


def judged_summary(path: Path, questions: dict[str, dict[str, Any]] | None = None,
                   cited: set[str] | None = None) -> str:
    """Judged usefulness from a verdict file ({"id", "score": 0|1|2, "harm": "yes"|"no", "why"}): counts only;
    with the questions and the cited pages, also the share fully answered apart for questions whose source page
    the content cites."""
    verdicts = _read_verdicts(path)
    n = len(verdicts)
    if not n:
        return f"{path}: no verdicts"
    scores = [int(v["score"]) for v in verdicts]
    harm = sum(str(v.get("harm", "no")).lower() == "yes" for v in verdicts)
    return (f"Judged ({path}, n={n}): fully answered {scores.count(2)} ({scores.count(2) / n:.0%}), partly "
            f"{scores.count(1)} ({scores.count(1) / n:.0%}), not {scores.count(0)} ({scores.count(0) / n:.0%}), "
            f"mean {sum(scores) / n:.2f}, harmful {harm}" + _cited_split(verdicts, questions, cited))


def _cited_split(verdicts: list[dict[str, Any]], questions: dict[str, dict[str, Any]] | None,
                 cited: set[str] | None) -> str:
    if not questions or cited is None:
        return ""
    parts = {True: [0, 0], False: [0, 0]}
    for v in verdicts:
        q = questions.get(str(v["id"]))
        if q is not None:
            part = parts[source_cited(q, cited)]
            part[0] += int(v["score"]) == 2
            part[1] += 1
    if not parts[True][1]:
        return ""
    (full_c, n_c), (full_u, n_u) = parts[True], parts[False]
    return (f"; source page cited by the content: {full_c}/{n_c} fully answered, "
            f"never cited: {full_u}/{n_u} ({full_u / max(1, n_u):.0%})")


def _read_verdicts(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _read_jsonl(src: TextIO) -> list[dict[str, Any]]:
    rows = []
    for n, line in enumerate(src, start=1):
        line = line.strip()
        if not line:
            continue
        row = json.loads(line)
        if not isinstance(row, dict) or "id" not in row or "question" not in row:
            raise SystemExit(f"line {n}: each object needs 'id' and 'question'")
        rows.append(row)
    return rows


def cmd_ask(settings: Settings, retriever: str, src: TextIO, out: TextIO, candidates: int = 0) -> int:
    for result in ask_rows(settings, _read_jsonl(src), retriever, candidates):
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
    return 0


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def evaluate(questions: list[dict[str, Any]], answers: list[dict[str, Any]]) -> dict[str, Any]:
    """Topic hit@1/@3 overall and per origin, decline rates and latency for one retriever's answers."""
    by_id = {a["id"]: a for a in answers}
    groups: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    oos_total = oos_declined = in_total = in_declined = clarified = 0
    for q in questions:
        a = by_id[q["id"]]
        if q.get("topic") == "out_of_scope":
            oos_total += 1
            oos_declined += a["kind"] == "out_of_scope"
            continue
        in_total += 1
        in_declined += a["kind"] == "out_of_scope"
        wanted = {q.get("topic"), q.get("topic2")} - {None}
        hits = [bool(wanted & set(s["topics"])) for s in a["sources"]]
        # A clarification is right only when the right choice is among its buttons.
        first = max(1, int(a.get("offered") or 0))
        clarified += a["kind"] == "clarify"
        result = (any(hits[:first]), any(hits[:max(3, first)]))
        groups["all"].append(result)
        groups[str(q.get("origin", "?"))].append(result)
        if q.get("kind"):
            groups[f"kind:{q['kind']}"].append(result)
        groups[f"area:{str(q.get('topic')).split('.')[0]}"].append(result)
        if "_cited" in q:
            groups[f"source:{'cited' if q['_cited'] else 'never cited'}"].append(result)
    latencies = [float(a["latency_ms"]) for a in answers]
    return {
        "groups": {g: {"n": len(v), "hit@1": sum(h1 for h1, _ in v) / len(v), "hit@3": sum(h3 for _, h3 in v) / len(v)}
                   for g, v in groups.items()},
        "oos_decline_rate": oos_declined / oos_total if oos_total else None,
        "oos_n": oos_total,
        "false_decline_rate": in_declined / in_total if in_total else None,
        "clarify_rate": clarified / in_total if in_total else None,
        "p50_ms": _pct(latencies, 0.5),
        "p95_ms": _pct(latencies, 0.95),
    }


def _share(got: list[tuple[str, str]], label: str, kind: str) -> str:
    n = sum(1 for want, _ in got if want == label)
    k = sum(1 for want, answered in got if want == label and answered == kind)
    return f"{k}/{n} ({k / max(1, n):.0%})"


def cmd_understand(settings: Settings, errors: bool) -> int:
    """Typed replies to prompts and situation routing, measured on both splits (README «Hiểu người gõ chữ»)."""
    from bot.situation import SituationModel
    from bot.typed_eval import report, situations_report

    root = settings.knowledge_dir.parent
    replies = root / "tests" / "data" / "prompt_replies"
    print("Typed replies understood\n")
    print(report({"tune": replies / "tune.jsonl", "tune2": replies / "tune2.jsonl", "test": replies / "test.jsonl"},
                 errors))
    tune = settings.knowledge_dir / "situations" / "tune.jsonl"
    model = SituationModel.load(tune)
    print("\nSituation routing (the model is trained on the tune split; tune figures are on its own training data)\n")
    paths = {"tune": tune, "test": root / "tests" / "data" / "situations" / "test.jsonl"}
    print(situations_report(paths, model))
    # The same messages through the tutor's answerer (retrieval and scope included): what the person gets first.
    print("\nWhat the answerer sends first (kynangso ask, hybrid)\n")
    print("| split | scam now → emergency first | scam now declined | asked to pay → warning first | "
          "calm → alarm | honest mistake → counted as scam alert |")
    print("|---|---|---|---|---|---|")
    for name, path in paths.items():
        rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
        kinds = [a["kind"] for a in ask_rows(settings, [{"id": i, "question": r["text"]} for i, r in enumerate(rows)],
                                              "hybrid")]
        got = list(zip([r["situation"] for r in rows], kinds, strict=True))
        cells = [_share(got, label, kind) for label, kind in (("scam_now", "safety"), ("scam_now", "out_of_scope"),
                                                               ("pay_now", "safety"), ("calm", "safety"),
                                                               ("honest_mistake", "safety"))]
        print(f"| {name} | " + " | ".join(cells) + " |")
    return 0


def cmd_eval(settings: Settings, questions_path: Path, retrievers: list[str], out: TextIO,
             misses: bool, breakdown: bool = False) -> int:
    questions = _read_jsonl(questions_path.open(encoding="utf-8"))
    cited = cited_pages(settings.knowledge_dir)
    for q in questions:
        q["_cited"] = source_cited(q, cited)
    table = []
    for retriever in retrievers:
        answers = ask_rows(settings, questions, retriever)
        metrics = evaluate(questions, answers)
        table.append((retriever, metrics))
        if misses:
            by_id = {a["id"]: a for a in answers}
            for q in questions:
                a = by_id[q["id"]]
                wanted = {str(t) for t in (q.get("topic"), q.get("topic2")) if t}
                top = a["sources"][0] if a["sources"] else None
                ok = (a["kind"] == "out_of_scope") if q["topic"] == "out_of_scope" else bool(
                    top and wanted & set(top["topics"]))
                if not ok:
                    out.write(f"MISS[{retriever}] {q['id']} want={sorted(wanted)} kind={a['kind']} "
                              f"got={top['lesson_id'] if top else None} | {q['question'][:80]}\n")
    origins = sorted({g for _, m in table for g in m["groups"] if ":" not in g} - {"all"})
    out.write("| retriever | hit@1 | hit@3 | " + " | ".join(f"{o} hit@1/@3" for o in origins)
              + " | out-of-scope declined | in-scope falsely declined | asked back | p50 ms | p95 ms |\n")
    out.write("|---" * (8 + len(origins)) + "|\n")
    for retriever, m in table:
        g = m["groups"]
        per_origin = " | ".join(
            f"{g[o]['hit@1']:.0%} / {g[o]['hit@3']:.0%} (n={g[o]['n']})" if o in g else "–" for o in origins)
        oos = f"{m['oos_decline_rate']:.0%} (n={m['oos_n']})" if m["oos_decline_rate"] is not None else "–"
        fd = f"{m['false_decline_rate']:.1%}" if m["false_decline_rate"] is not None else "–"
        cr = f"{m['clarify_rate']:.1%}" if m["clarify_rate"] is not None else "–"
        out.write(f"| {retriever} | {g['all']['hit@1']:.1%} | {g['all']['hit@3']:.1%} | {per_origin} | {oos} | "
                  f"{fd} | {cr} | {m['p50_ms']:.0f} | {m['p95_ms']:.0f} |\n")
    if table and "source:cited" in table[-1][1]["groups"]:
        # A question from a page the content cites (or cited) may have shaped that content: shown apart.
        g = table[-1][1]["groups"]
        out.write(f"\n{table[-1][0]}: questions whose source page the content cites or cited: hit@1 "
                  + " · ".join(f"{k.removeprefix('source:')} {g[k]['hit@1']:.1%} (n={g[k]['n']})"
                               for k in ("source:cited", "source:never cited") if k in g) + "\n")
    if breakdown and table:
        # What still fails, as counts by the question's kind and area (never the questions themselves).
        retriever, m = table[-1]
        out.write(f"\n{retriever}: hit@1 by question kind and by area (misses / n)\n\n")
        for prefix in ("kind:", "area:"):
            cells = [f"{g.removeprefix(prefix)} {v['hit@1']:.0%} ({round(v['n'] * (1 - v['hit@1']))}/{v['n']})"
                     for g, v in sorted(m["groups"].items()) if g.startswith(prefix)]
            out.write(" · ".join(cells) + "\n\n")
    return 0


# ---------------------------------------------------------------- runtime



def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    ask = sub.add_parser("ask", help="answer questions from JSON lines on stdin")
    ask.add_argument("--jsonl", action="store_true", required=True)
    ask.add_argument("--retriever", choices=["bm25", "dense", "hybrid"], default=None)
    ask.add_argument("--candidates", type=int, default=0, metavar="N",
                     help="also give the reply of each of the first N units retrieval found, best first")
    ask.set_defaults(handler=lambda settings, args: cmd_ask(settings, args.retriever or settings.retrieval.retriever,
                                                            sys.stdin, sys.stdout, args.candidates))
    ev = sub.add_parser("eval", help="topic hit@k, decline rates and latency on a question file")
    ev.add_argument("--questions", type=Path, required=True, action="append",
                    help="a question file (repeat for several: each gets its own table)")
    ev.add_argument("--retriever", choices=["bm25", "dense", "hybrid", "plain-bm25", "plain-dense", "plain-rrf",
                                            "all", "peers"], default="all",
                    help="all: ours and the plain peers; peers: only the plain peers")
    ev.add_argument("--misses", action="store_true", help="list the questions each retriever got wrong")
    ev.add_argument("--verdicts", type=Path, action="append", default=[],
                    help="a judges' verdict file (rubric: ../shared/eval/judging.md) to sum up beside the tables")
    ev.add_argument("--breakdown", action="store_true",
                    help="hit@1 of the last retriever by question kind and area (counts only: safe on a test split)")
    ev.set_defaults(handler=_run_eval)
    und = sub.add_parser("understand", help="how well typed replies and situations are understood (tune and test)")
    und.add_argument("--errors", action="store_true", help="also list error categories (counts only)")
    und.set_defaults(handler=lambda settings, args: cmd_understand(settings, args.errors))


def _run_eval(settings: Settings, args: argparse.Namespace) -> int:
    from rag.peers import PEERS

    chosen = {"all": [*PEERS, "bm25", "dense", "hybrid"], "peers": list(PEERS)}.get(args.retriever, [args.retriever])
    status = 0
    for path in args.questions:
        if len(args.questions) > 1:
            sys.stdout.write(f"\n### {path}\n\n")
        status |= cmd_eval(settings, path, chosen, sys.stdout, args.misses, args.breakdown)
    questions = {str(q["id"]): q for path in args.questions for q in _read_jsonl(path.open(encoding="utf-8"))}
    cited = cited_pages(settings.knowledge_dir)
    for path in args.verdicts:
        sys.stdout.write(judged_summary(path, questions, cited) + "\n")
    return status
