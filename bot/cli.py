"""Command line: `kynangso run|serve|scheduler|ingest|chat|ask|eval|lessons check|db upgrade` and admin tools."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import statistics
import sys
import textwrap
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, TextIO

from bot.config import Settings, get_settings

log = logging.getLogger(__name__)


def _setup_logging(settings: Settings) -> None:
    from bot.observability import setup_logging

    setup_logging(settings)


# ---------------------------------------------------------------- lessons


def cmd_lessons_check(settings: Settings, out: TextIO) -> int:
    """Validate every lesson; print problems, coverage per topic and framework code, sentence lengths."""
    from collections import Counter

    from rag.lessons import Topics, check_lessons, coverage, quiz_bank, sentence_lengths, thin_topics
    from rag.programme import Programme
    from rag.questions import check_questions

    topics = Topics.load(settings.knowledge_dir / "topics.yaml")
    report = check_lessons(settings.knowledge_dir / "lessons", topics)
    questions = check_questions(settings.knowledge_dir / "questions", topics, report.lessons)
    report.errors.extend(questions.errors)
    for err in report.errors:
        out.write(f"LỖI  {err}\n")
    for warn in report.warnings:
        out.write(f"NHẮC {warn}\n")
    by_topic, by_skill = coverage(report.lessons, topics)
    out.write(f"\n{len(report.lessons)} bài học.\nSố bài theo chủ đề:\n")
    for topic, n in by_topic.items():
        out.write(f"  {topic:24} {n}{'  <- chưa có bài' if n == 0 else ''}\n")
    out.write("Số bài theo mã kỹ năng:\n")
    for code, n in by_skill.items():
        out.write(f"  {code:8} {n}\n")
    out.write("Độ dài câu trung bình (chữ) và số chữ mỗi bài:\n")
    for lesson in report.lessons:
        lengths = sentence_lengths(lesson)
        avg = statistics.mean(lengths) if lengths else 0.0
        out.write(f"  {lesson.id:40} {avg:5.1f}  {lesson.word_count:4d} chữ  {len(lesson.quiz)} câu hỏi\n")
    # Every topic of the map must be taught somewhere, and the programme must name real lessons.
    errors = list(report.errors)
    programme_file = settings.knowledge_dir / "programme.yaml"
    if programme_file.exists():
        programme = Programme.load(programme_file)
        for problem in programme.problems({lesson.id for lesson in report.lessons}):
            errors.append(problem)
            out.write(f"LỖI  {problem}\n")
        out.write(f"Chương trình «{programme.title}»: {len(programme.core)} bài bắt buộc, đạt từ "
                  f"{programme.min_score:.0%} mỗi bài; {len(programme.tracks)} nhánh tự chọn.\n")
    if questions.entries:
        per_topic = Counter(e.main_topic for e in questions.entries)
        per_kind = Counter(e.kind for e in questions.entries)
        out.write(f"{len(questions.entries)} câu hỏi cụ thể. Theo chủ đề: "
                  + ", ".join(f"{t} {per_topic.get(t, 0)}" for t in topics.topics)
                  + ".\nTheo loại: " + ", ".join(f"{k} {n}" for k, n in sorted(per_kind.items())) + ".\n")
    missing = [t for t, n in by_topic.items() if n == 0]
    if missing:
        errors.append(f"chưa có bài cho {len(missing)} chủ đề: {', '.join(missing)}")
        out.write(f"LỖI  {errors[-1]}\n")
    thin = [t for t in thin_topics(report.lessons, topics) if t not in missing]
    if thin:
        errors.append(f"{len(thin)} chủ đề chưa đủ 2 bài lấy nó làm chủ đề chính: {', '.join(thin)}")
        out.write(f"LỖI  {errors[-1]}\n")
    bank = quiz_bank(report.lessons)
    if bank.n:
        lengths = [x for lesson in report.lessons for x in sentence_lengths(lesson)]
        out.write(f"Ngân hàng câu hỏi: {bank.n} câu. Đáp án đúng dài nhất: {bank.longest_share:.0%}; "
                  f"vị trí đáp án đúng: " + ", ".join(f"{i} {p:.0%}" for i, p in
                                                     enumerate(bank.position_shares(), start=1))
                  + f"; câu hỏi trung bình {bank.stem_words:.1f} chữ (câu trong bài {statistics.mean(lengths):.1f}); "
                  f"luôn chọn lựa chọn dài nhất thì đúng {bank.longest_strategy:.0%}.\n")
    for problem in bank.problems():
        errors.append(problem)
        out.write(f"LỖI  {problem}\n")
    out.write("OK\n" if not errors else f"\n{len(errors)} lỗi.\n")
    return 0 if not errors else 1


# ---------------------------------------------------------------- ask / eval


def ask_rows(settings: Settings, rows: list[dict[str, Any]], retriever: str) -> list[dict[str, Any]]:
    """Answer each question row with no user state; the stable output format of `kynangso ask`."""
    from bot.answers import Answerer
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


def judged_summary(path: Path) -> str:
    """Judged usefulness from a verdict file ({"id", "score": 0|1|2, "harm": "yes"|"no", "why"}): counts only."""
    verdicts = _read_verdicts(path)
    n = len(verdicts)
    if not n:
        return f"{path}: no verdicts"
    scores = [int(v["score"]) for v in verdicts]
    harm = sum(str(v.get("harm", "no")).lower() == "yes" for v in verdicts)
    return (f"Judged ({path}, n={n}): fully answered {scores.count(2)} ({scores.count(2) / n:.0%}), partly "
            f"{scores.count(1)} ({scores.count(1) / n:.0%}), not {scores.count(0)} ({scores.count(0) / n:.0%}), "
            f"mean {sum(scores) / n:.2f}, harmful {harm}")


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


def cmd_ask(settings: Settings, retriever: str, src: TextIO, out: TextIO) -> int:
    for result in ask_rows(settings, _read_jsonl(src), retriever):
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


def cmd_db_upgrade(settings: Settings) -> int:
    from storage.db import upgrade

    upgrade(settings.database_url)
    return 0


def cmd_ingest(settings: Settings, out: TextIO) -> int:
    """Build or update the vector index (embedded directory or Chroma server): only changed chunks are embedded."""
    from bot.service import load_knowledge

    kb = load_knowledge(settings)
    s = kb.sync
    assert s is not None
    where = f"{settings.chroma.host}:{settings.chroma.port}" if settings.chroma.mode == "server" else str(
        settings.chroma.path) if settings.chroma.mode == "embedded" else "memory"
    out.write(f"{len(kb.lessons)} lessons, {s.total} chunks: {s.embedded} embedded, {s.deleted} deleted, "
              f"{s.seconds:.1f}s{' (store rebuilt)' if s.rebuilt else ''} [chroma {settings.chroma.mode} {where}]\n")
    return 0



def _multiproc_dir(settings: Settings) -> str:
    """A fresh folder for the workers' metric files (prometheus-client multiprocess mode)."""
    import os
    import shutil

    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or str(settings.data_dir / "prometheus")
    # Files of an earlier run would be summed into this one's counters: start empty, as the library asks.
    shutil.rmtree(folder, ignore_errors=True)
    Path(folder).mkdir(parents=True, exist_ok=True)
    return folder


async def _register_webhook(settings: Settings) -> None:
    """Tell Telegram where to post updates and which commands to show (once, before the workers start)."""
    from telegram import Bot, BotCommand

    from bot.channels.telegram import COMMANDS

    cfg = settings.telegram
    assert cfg.token is not None
    async with Bot(cfg.token.get_secret_value(), base_url=cfg.base_url, base_file_url=cfg.base_file_url) as bot:
        await bot.set_my_commands([BotCommand(c, d) for c, d in COMMANDS])
        if cfg.webhook_url:
            await bot.set_webhook(cfg.webhook_url,
                                  secret_token=cfg.secret_token.get_secret_value() if cfg.secret_token else None,
                                  allowed_updates=["message", "callback_query"])


def cmd_serve(settings: Settings, workers: int | None, host: str | None, port: int | None) -> int:
    """N uvicorn workers of bot.web:create_app (webhooks, admin pages, /healthz, /readyz, /metrics)."""
    import os

    import uvicorn

    n = workers or settings.serve.workers
    cmd_db_upgrade(settings)
    if n > 1 and settings.web.secret_key is None and not os.environ.get("KYNANGSO_WEB__SECRET_KEY"):
        # The admin sign-in form is signed before login; every worker must check what another signed. Without
        # a configured key, one is made for this run and handed to the workers (forms open across a restart
        # are simply shown again).
        import secrets

        os.environ["KYNANGSO_WEB__SECRET_KEY"] = secrets.token_urlsafe(32)
        log.warning("web.secret_key is not set: one key was made for this run's %d workers", n)
    if n > 1:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = _multiproc_dir(settings)
        # Telegram's and Zalo's overall send limits are shared by the workers: each takes its part.
        os.environ["KYNANGSO_TELEGRAM__PER_SECOND"] = str(max(1, settings.telegram.per_second // n))
        os.environ["KYNANGSO_ZALO__PER_SECOND"] = str(settings.zalo.per_second / n)
        # The workers are the parallelism: one embedding thread each spends 17.6 ms of CPU per question where
        # two spend 21.7 (measured here), so more questions fit on the same cores. An explicit setting wins.
        os.environ.setdefault("OMP_NUM_THREADS", "1")
    if settings.telegram.token is not None:
        asyncio.run(_register_webhook(settings))
    log.info("serving %d worker(s) on %s:%s", n, host or settings.web.listen_host, port or settings.web.listen_port)
    uvicorn.run("bot.web:create_app", factory=True, host=host or settings.web.listen_host,
                port=port or settings.web.listen_port, workers=n, proxy_headers=True,
                forwarded_allow_ips=settings.serve.forwarded_allow_ips, log_level="warning",
                timeout_graceful_shutdown=10)
    return 0


async def _chat(settings: Settings, user: str, with_scheduler: bool, with_web: bool = False) -> None:
    from bot.channels.console import chat
    from bot.scheduler import build_scheduler
    from bot.service import Tutor
    from bot.web import start_web

    tutor = Tutor.open(settings)
    scheduler = build_scheduler(tutor) if with_scheduler else None
    web = start_web(tutor, settings) if with_web else None
    try:
        if scheduler is not None:
            scheduler.start()
        await chat(tutor, user)
    finally:
        if web is not None:
            await web.stop()
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        await tutor.close()


def cmd_chat(settings: Settings, user: str, with_scheduler: bool = False, with_web: bool = False) -> int:
    cmd_db_upgrade(settings)
    asyncio.run(_chat(settings, user, with_scheduler, with_web))
    return 0


async def _telegram(settings: Settings) -> None:
    """Run the Telegram channel (polling or webhook) with the scheduler, until interrupted."""
    import uvicorn

    from bot.channels.telegram import TelegramChannel
    from bot.scheduler import build_scheduler
    from bot.service import Tutor
    from bot.web import start_web

    tutor = Tutor.open(settings)
    channel = TelegramChannel(tutor, settings.telegram)
    scheduler = build_scheduler(tutor)
    # Reminders queued by the scheduler are picked up by this delivery loop.
    scheduler.add_job(channel.deliver, "interval", seconds=30, id="telegram-deliver", max_instances=1,
                      coalesce=True)
    await channel.start()
    scheduler.start()
    webhook = settings.telegram.mode == "webhook"
    # The web app (admin pages) also carries the webhook route, so one address can serve both.
    web = start_web(tutor, settings, channel if webhook else None)
    try:
        if webhook:
            await channel.set_webhook()
            cfg = settings.telegram
            if web is not None and web.address == (cfg.listen_host, cfg.listen_port):
                await web.wait()
            else:
                server = uvicorn.Server(uvicorn.Config(channel.webhook_app(), host=cfg.listen_host,
                                                       port=cfg.listen_port, log_level="warning"))
                await server.serve()
        else:
            await channel.poll()
    finally:
        if web is not None:
            await web.stop()
        scheduler.shutdown(wait=False)
        await channel.stop()
        await tutor.close()


async def _web_channels(settings: Settings) -> None:
    """Zalo on the one web app (with Telegram too when it has a token) and the scheduler, until interrupted."""
    import uvicorn

    from bot.channels.telegram import TelegramChannel
    from bot.channels.zalo import ZaloChannel
    from bot.scheduler import build_scheduler
    from bot.service import Tutor
    from bot.web import build_app

    tutor = Tutor.open(settings)
    zalo = ZaloChannel(tutor, settings.zalo)
    telegram = TelegramChannel(tutor, settings.telegram) if settings.telegram.token is not None else None
    scheduler = build_scheduler(tutor)
    # Reminders queued by the scheduler (and replies left by a failed send) go out through these loops.
    scheduler.add_job(zalo.deliver, "interval", seconds=30, id="zalo-deliver", max_instances=1, coalesce=True)
    scheduler.add_job(zalo.tokens.refresh_if_due, "interval", minutes=10, id="zalo-token", max_instances=1,
                      coalesce=True)
    polling: asyncio.Task[None] | None = None
    try:
        await zalo.start()
        if telegram is not None:
            await telegram.start()
            scheduler.add_job(telegram.deliver, "interval", seconds=30, id="telegram-deliver", max_instances=1,
                              coalesce=True)
            if settings.telegram.mode == "webhook":
                await telegram.set_webhook()
            else:
                polling = asyncio.create_task(telegram.poll())
        scheduler.start()
        app = build_app(tutor, settings, telegram=telegram if polling is None else None, zalo=zalo)
        server = uvicorn.Server(uvicorn.Config(app, host=settings.web.listen_host, port=settings.web.listen_port,
                                               log_level="warning"))
        await server.serve()
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=False)
        if polling is not None:
            polling.cancel()
        if telegram is not None:
            await telegram.stop()
        await zalo.stop()
        await tutor.close()


def cmd_run(settings: Settings) -> int:
    """Zalo (and Telegram) on the web app when Zalo is configured; else Telegram with a token; else the console."""
    if settings.zalo.configured:
        cmd_db_upgrade(settings)
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_web_channels(settings))
        return 0
    if settings.telegram.token is None:
        return cmd_chat(settings, "local", with_scheduler=True, with_web=settings.web.enabled)
    cmd_db_upgrade(settings)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_telegram(settings))
    return 0


async def _scheduler_forever(settings: Settings) -> None:
    from bot.scheduler import build_scheduler
    from bot.service import Tutor

    tutor = Tutor.open(settings)
    scheduler = build_scheduler(tutor)
    scheduler.start()
    try:
        await asyncio.Event().wait()
    finally:
        scheduler.shutdown(wait=False)
        await tutor.close()


def cmd_scheduler(settings: Settings) -> int:
    cmd_db_upgrade(settings)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_scheduler_forever(settings))
    return 0


async def verify_code(settings: Settings, code: str) -> tuple[bool, str]:
    """Check a certificate's verification code; the sentence to show and whether it is valid."""
    from bot import messages as msg
    from storage import repo, units
    from storage.db import Database

    db = Database(settings.database_url)
    try:
        async with db.transaction() as s:
            c = await repo.completion_by_code(s, code)
    finally:
        await db.dispose()
    if c is None:
        return False, msg.VERIFY_BAD.format(code=code)
    commune = units.commune(c.ward_code) if c.ward_code is not None else None
    return True, msg.VERIFY_OK.format(code=c.code, name=c.display_name or msg.CERT_NAME_DEFAULT,
                                      programme=c.programme, date=c.completed_at.strftime("%d/%m/%Y"),
                                      place=f", {commune.label}" if commune else "")


def cmd_verify(settings: Settings, code: str, out: TextIO) -> int:
    ok, text = asyncio.run(verify_code(settings, code))
    out.write(text + "\n")
    return 0 if ok else 1


async def stats_report(settings: Settings, unit: str, since: str | None, until: str | None,
                       with_team: bool = False) -> Any:
    """The statistics report for a unit code and an optional period (dates as YYYY-MM-DD, Vietnam time); with
    `with_team`, the pair (report, the unit's Tổ công nghệ số report)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from rag.programme import Programme
    from storage.db import Database
    from storage.stats import Scope, report

    tz = ZoneInfo("Asia/Ho_Chi_Minh")

    def day(value: str | None) -> datetime | None:
        return datetime.fromisoformat(value).replace(tzinfo=tz) if value else None

    programme_file = settings.knowledge_dir / "programme.yaml"
    ratio = Programme.load(programme_file).min_score if programme_file.exists() else 0.8
    db = Database(settings.database_url)
    try:
        async with db.transaction() as s:
            rep = await report(s, Scope.parse(unit), day(since), day(until), ratio)
            if not with_team:
                return rep
            from storage import teams

            return rep, await teams.report(s, rep.scope, day(since), day(until))
    finally:
        await db.dispose()


def stats_json(rep: Any) -> dict[str, Any]:
    """A report as plain JSON data (the `--format json` output)."""
    return {"unit": rep.scope.name, "code": rep.scope.code,
            "since": rep.since.isoformat() if rep.since else None,
            "until": rep.until.isoformat() if rep.until else None,
            "total": rep.total.as_dict(), "children": [r.as_dict() for r in rep.children],
            "by_group": [vars(b) for b in rep.by_group], "by_age": [vars(b) for b in rep.by_age],
            "by_lesson": [vars(ls) for ls in rep.by_lesson], "questions_by_topic": rep.questions_by_topic,
            "declined_questions": [list(q) for q in rep.declined_questions],
            "timeline": [[d.isoformat(), n] for d, n in rep.timeline]}


def stats_table(rep: Any) -> str:
    """A report as two narrow text tables (learning, then plans and support): a line per child unit, then the
    total, with Vietnamese headings short enough for a terminal (the legend below spells them out)."""
    from bot import messages as msg
    from bot.admin.exports import percent
    from storage.stats import GOAL_COLUMNS, RATE_COLUMNS

    def show(value: Any, column: str) -> str:
        if value is None:
            return "–"
        if column in RATE_COLUMNS:
            return percent(value)
        return f"{value}%" if column in GOAL_COLUMNS else str(value)

    name_width = 26
    rows = [*rep.children, rep.total]
    out = [f"{rep.scope.name} ({rep.scope.code})"]
    for block in msg.STATS_TABLE_BLOCKS:
        widths = [max(len(msg.STATS_SHORT[c]), *(len(show(getattr(r, c), c)) for r in rows)) for c in block]
        out += ["", f"{msg.STATS_UNIT:{name_width}} " + " ".join(
            f"{msg.STATS_SHORT[c]:>{w}}" for c, w in zip(block, widths, strict=True))]
        for r in rows:
            name = msg.STATS_TOTAL if r is rep.total else r.name
            out.append(f"{name[:name_width]:{name_width}} " + " ".join(
                f"{show(getattr(r, c), c):>{w}}" for c, w in zip(block, widths, strict=True)))
    legend = msg.STATS_LEGEND + " " + "; ".join(
        f"{msg.STATS_SHORT[c]} = {msg.STATS_LABELS[c].lower()}" for block in msg.STATS_TABLE_BLOCKS for c in block)
    out += ["", *textwrap.wrap(legend, 100)]
    return "\n".join(out) + "\n"


def cmd_stats(settings: Settings, unit: str, since: str | None, until: str | None, fmt: str, out: TextIO,
              output: Path | None = None) -> int:
    """Print or save a unit's statistics as a table, JSON, CSV or XLSX (XLSX needs a file or a binary stdout)."""
    from bot import messages as msg
    from bot.admin import exports

    binary = getattr(out, "buffer", None)
    if fmt == "xlsx" and output is None and binary is None:
        out.write("xlsx needs --output FILE\n")
        return 2
    try:
        rep, team = asyncio.run(stats_report(settings, unit, since, until, with_team=True))
    except ValueError as exc:
        out.write(f"{exc}\n")
        return 2
    if fmt == "xlsx":
        from bot.service import load_knowledge

        # For lesson titles and topic names: the lexical index only, no embedding model.
        data = exports.to_xlsx(rep, msg.STATS_LABELS, load_knowledge(settings, with_dense=False), team)
        if output is not None:
            output.write_bytes(data)
        else:
            assert binary is not None
            binary.write(data)
            binary.flush()
        return 0
    if fmt == "json":
        text = json.dumps(stats_json(rep), ensure_ascii=False, indent=2) + "\n"
    elif fmt == "csv":
        text = exports.to_csv(rep, msg.STATS_LABELS)
    else:
        text = stats_table(rep)
    if output is None:
        out.write(text)
    else:
        # A file is usually opened in Excel: the byte-order mark makes it read the CSV as UTF-8.
        output.write_text(("\ufeff" if fmt == "csv" else "") + text, encoding="utf-8", newline="")
    return 0


def _new_password(password_stdin: bool) -> str:
    """A password read from the first line of stdin, or typed twice at a hidden prompt."""
    import getpass

    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Mật khẩu (ít nhất 10 ký tự): ")
    if getpass.getpass("Nhập lại mật khẩu: ") != first:
        raise ValueError("the two passwords differ")
    return first


async def admin_add(settings: Settings, channel: str, user: str, role: str, unit: str,
                    username: str | None = None, password: str | None = None) -> str:
    """Give a channel user a staff role over a unit (and optionally a web login); a one-line confirmation."""
    from bot.admin import auth
    from storage import roles
    from storage.db import Database
    from storage.stats import Scope

    scope = Scope.parse(unit)
    db = Database(settings.database_url)
    try:
        async with db.transaction() as s:
            staff = await roles.grant(s, channel, user, role, scope)
            line = f"{channel}:{user} is now {staff.role} of {scope.name}"
            if username is not None:
                try:
                    await auth.set_credentials(s, staff, username, password or "", password or "")
                except auth.AuthError as exc:
                    raise ValueError(str(exc)) from None
                line += f"; web login: {staff.username}"
            return line
    finally:
        await db.dispose()


async def admin_add_web(settings: Settings, username: str, password: str, role: str, unit: str,
                        display_name: str | None = None) -> str:
    """Create (or update) a web-only staff account with a role over a unit; a one-line confirmation."""
    from sqlalchemy import select

    from bot.admin import auth
    from storage import roles
    from storage.db import Database
    from storage.models import Staff
    from storage.stats import Scope

    scope = Scope.parse(unit)
    roles.check_role_unit(role, scope)
    name = auth.normalise_username(username)
    db = Database(settings.database_url)
    try:
        async with db.transaction() as s:
            staff = (await s.execute(select(Staff).where(Staff.username == name))).scalar_one_or_none()
            verb = "updated"
            if staff is None:
                staff, verb = Staff(user_id=None, role=role, created_by="cli"), "created"
                s.add(staff)
            staff.role, staff.province_code, staff.ward_code = role, scope.province_code, scope.ward_code
            staff.active = True
            if display_name:
                staff.display_name = display_name
            await s.flush()
            try:
                await auth.set_credentials(s, staff, name, password, password)
            except auth.AuthError as exc:
                raise ValueError(str(exc)) from None
            await auth.audit(s, "staff_set", None, name, f"{role} {scope.code} by cli")
            return f"web account {name} {verb}: {role} of {scope.name}"
    finally:
        await db.dispose()


def cmd_admin(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    """`admin add` (a chat user, optionally with a web login) and `admin add-web` (a web-only account)."""
    cmd_db_upgrade(settings)
    try:
        if args.admin_action == "add-web":
            line = asyncio.run(admin_add_web(settings, args.username, _new_password(args.password_stdin),
                                             args.role, args.unit, args.name))
        else:
            password = _new_password(args.password_stdin) if args.username else None
            line = asyncio.run(admin_add(settings, args.channel, args.user, args.role, args.unit, args.username,
                                         password))
    except ValueError as exc:
        out.write(f"{exc}\n")
        return 2
    out.write(line + "\n")
    return 0


def cmd_admin_add(settings: Settings, channel: str, user: str, role: str, unit: str, out: TextIO) -> int:
    cmd_db_upgrade(settings)
    try:
        out.write(asyncio.run(admin_add(settings, channel, user, role, unit)) + "\n")
    except ValueError as exc:
        out.write(f"{exc}\n")
        return 2
    return 0


async def admin_invite(settings: Settings, role: str, unit: str) -> str:
    """A one-time invitation code for a role over a unit (the first admins of a new instance)."""
    from storage import volunteers
    from storage.db import Database
    from storage.stats import Scope

    scope = Scope.parse(unit)
    db = Database(settings.database_url)
    try:
        async with db.transaction() as s:
            code = await volunteers.create_invite(s, None, role, scope)
    finally:
        await db.dispose()
    return (f"invitation for {role} of {scope.name}: {code} (one use, {volunteers.INVITE_DAYS} days)\n"
            f"the person sends: /thamgia {code}")


def cmd_admin_invite(settings: Settings, role: str, unit: str, out: TextIO) -> int:
    cmd_db_upgrade(settings)
    try:
        out.write(asyncio.run(admin_invite(settings, role, unit)) + "\n")
    except ValueError as exc:
        out.write(f"{exc}\n")
        return 2
    return 0


def cmd_backup(settings: Settings, action: str, file: Path, force: bool, out: TextIO) -> int:
    """`kynangso backup FILE` / `kynangso restore FILE [--force]` for SQLite; PostgreSQL uses pg_dump."""
    from storage import backup

    try:
        if action == "backup":
            path = backup.backup(settings.database_url, file)
            out.write(f"backup written to {path}\n")
            return 0
        path = backup.restore(settings.database_url, file, force)
    except backup.BackupError as exc:
        out.write(f"{exc}\n")
        return 2
    cmd_db_upgrade(settings)  # a backup from an older version gets the newer schema
    out.write(f"restored {file} into {path}\n")
    return 0


def cmd_hear(settings: Settings, files: list[Path], out: TextIO) -> int:
    """What the tutor would read back for each audio file (the same decoding, limits and redaction)."""
    import asyncio

    from bot import voice
    from bot.service import clean_text

    listener = voice.Listener(voice.make_transcriber(settings.voice.engine), settings.voice.max_seconds)
    if not listener.available:
        out.write("voice notes are off: install the voice extra (pip install '.[voice]')\n")
        return 1
    status = 0
    for path in files:
        if not path.is_file():
            out.write(f"{path}: no such file\n")
            status = 1
            continue
        data = path.read_bytes()

        async def fetch(data: bytes = data) -> bytes:
            return data

        heard = asyncio.run(listener.hear(fetch))
        text = clean_text(heard.text).text
        out.write(f"{path.name}\t{heard.outcome}\t{heard.seconds:.1f}s\t{text}\n")
        status = status or int(heard.outcome != voice.HEARD)
    listener.close()
    return status


def cmd_handouts(settings: Settings, output: Path, out: TextIO) -> int:
    """Draw the printable one-page handout of every lesson into `output`."""
    from bot.handouts import render_all
    from rag.lessons import Topics, check_lessons

    topics = Topics.load(settings.knowledge_dir / "topics.yaml")
    report = check_lessons(settings.knowledge_dir / "lessons", topics)
    made = render_all(output, report.lessons, settings.telegram.bot_username)
    for handout in made:
        out.write(f"{handout.path}\n")
    out.write(f"{len(made)} handouts in {output}\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kynangso", description="Kỹ năng số — digital-skills tutor")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="migrate, build the index and start the tutor (console without credentials)")
    sub.add_parser("scheduler", help="run the scheduled jobs alone (when several web workers serve channels)")
    serve = sub.add_parser("serve", help="N stateless web workers: Telegram and Zalo webhooks, admin pages, "
                                         "/healthz, /readyz, /metrics (PostgreSQL, Chroma server)")
    serve.add_argument("--workers", type=int, default=None, help="uvicorn worker processes (default: serve.workers)")
    serve.add_argument("--host", default=None, help="default: web.listen_host")
    serve.add_argument("--port", type=int, default=None, help="default: web.listen_port")
    sub.add_parser("ingest", help="build or update the vector index (only changed chunks are embedded)")
    chat = sub.add_parser("chat", help="chat in the terminal (works when piped)")
    chat.add_argument("--user", default="local", help="console user id (default: local)")
    ask = sub.add_parser("ask", help="answer questions from JSON lines on stdin")
    ask.add_argument("--jsonl", action="store_true", required=True)
    ask.add_argument("--retriever", choices=["bm25", "dense", "hybrid"], default=None)
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
    lessons = sub.add_parser("lessons", help="lesson tools")
    lessons.add_argument("action", choices=["check"])
    index = sub.add_parser("index", help="vector index tools (`index build` = `ingest`)")
    index.add_argument("action", choices=["build"])
    st = sub.add_parser("stats", help="completion statistics for a unit (VN, P<tỉnh>, X<xã/phường>)")
    st.add_argument("--unit", default="VN")
    st.add_argument("--since", default=None, help="YYYY-MM-DD")
    st.add_argument("--until", default=None, help="YYYY-MM-DD (exclusive)")
    st.add_argument("--format", choices=["table", "json", "csv", "xlsx"], default="table")
    st.add_argument("--output", type=Path, default=None, help="write to this file (xlsx: or to a binary stdout)")
    admin = sub.add_parser("admin", help="staff roles")
    admin_sub = admin.add_subparsers(dest="admin_action", required=True)
    add = admin_sub.add_parser("add", help="give a channel user a role over a unit")
    add.add_argument("--channel", required=True, choices=["telegram", "zalo", "console"])
    add.add_argument("--user", required=True, help="the channel's user id (Telegram chat id, Zalo user id)")
    add.add_argument("--role", required=True,
                     choices=["volunteer", "commune_admin", "province_admin", "national_admin"])
    add.add_argument("--unit", default="VN", help="VN, P<province code> or X<commune code>")
    add.add_argument("--username", default=None, help="also give a web admin login with this username")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin, not a prompt")
    web = admin_sub.add_parser("add-web", help="create a web-only admin account (no chat account)")
    web.add_argument("--username", required=True)
    web.add_argument("--role", required=True, choices=["commune_admin", "province_admin", "national_admin"])
    web.add_argument("--unit", default="VN", help="VN, P<province code> or X<commune code>")
    web.add_argument("--name", default=None, help="the name shown on the pages, e.g. \"Chị Lan, xã Hồng Bàng\"")
    web.add_argument("--password-stdin", action="store_true", help="read the password from stdin, not a prompt")
    invite = admin_sub.add_parser("invite", help="print a one-time invitation code for a role over a unit")
    invite.add_argument("--role", required=True, choices=["volunteer", "commune_admin", "province_admin"])
    invite.add_argument("--unit", required=True, help="P<province code> or X<commune code>")
    ho = sub.add_parser("handouts", help="draw a printable one-page PNG handout per lesson (A4, 150 dpi)")
    ho.add_argument("--output", type=Path, required=True, help="folder for the PNG files")
    und = sub.add_parser("understand", help="how well typed replies and situations are understood (tune and test)")
    und.add_argument("--errors", action="store_true", help="also list error categories (counts only)")
    hear = sub.add_parser("hear", help="transcribe audio files as the tutor hears voice notes (masked, as read back)")
    hear.add_argument("files", type=Path, nargs="+")
    verify = sub.add_parser("verify", help="check a certificate's verification code")
    verify.add_argument("code")
    db = sub.add_parser("db", help="database tools")
    db.add_argument("action", choices=["upgrade"])
    bk = sub.add_parser("backup", help="copy the SQLite database to a new file (online, consistent)")
    bk.add_argument("file", type=Path)
    rs = sub.add_parser("restore", help="replace the SQLite database with a backup (stop the tutor first)")
    rs.add_argument("file", type=Path)
    rs.add_argument("--force", action="store_true", help="overwrite a database that holds learners")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = get_settings()
    _setup_logging(settings)
    if args.command == "lessons":
        return cmd_lessons_check(settings, sys.stdout)
    if args.command == "db":
        return cmd_db_upgrade(settings)
    if args.command in ("backup", "restore"):
        return cmd_backup(settings, args.command, args.file, getattr(args, "force", False), sys.stdout)
    if args.command in ("index", "ingest"):
        return cmd_ingest(settings, sys.stdout)
    if args.command == "serve":
        return cmd_serve(settings, args.workers, args.host, args.port)
    if args.command == "ask":
        return cmd_ask(settings, args.retriever or settings.retrieval.retriever, sys.stdin, sys.stdout)
    if args.command == "eval":
        from rag.peers import PEERS

        chosen = {"all": [*PEERS, "bm25", "dense", "hybrid"], "peers": list(PEERS)}.get(args.retriever,
                                                                                        [args.retriever])
        status = 0
        for path in args.questions:
            if len(args.questions) > 1:
                sys.stdout.write(f"\n### {path}\n\n")
            status |= cmd_eval(settings, path, chosen, sys.stdout, args.misses, args.breakdown)
        for path in args.verdicts:
            sys.stdout.write(judged_summary(path) + "\n")
        return status
    if args.command == "admin" and args.admin_action == "invite":
        return cmd_admin_invite(settings, args.role, args.unit, sys.stdout)
    if args.command == "admin":
        return cmd_admin(settings, args, sys.stdout)
    if args.command == "stats":
        return cmd_stats(settings, args.unit, args.since, args.until, args.format, sys.stdout, args.output)
    if args.command == "handouts":
        return cmd_handouts(settings, args.output, sys.stdout)
    if args.command == "verify":
        return cmd_verify(settings, args.code, sys.stdout)
    if args.command == "hear":
        return cmd_hear(settings, args.files, sys.stdout)
    if args.command == "understand":
        return cmd_understand(settings, args.errors)
    if args.command == "chat":
        return cmd_chat(settings, args.user)
    if args.command == "run":
        return cmd_run(settings)
    if args.command == "scheduler":
        return cmd_scheduler(settings)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
