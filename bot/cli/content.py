"""Content commands: `lessons check`, `ingest` / `index build`, `hear` (voice files), `handouts`."""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from typing import Any, TextIO

from bot.config import Settings


def _write_coverage(out: TextIO, lessons: list[Any], by_topic: dict[str, int], by_skill: dict[str, int]) -> None:
    """Lessons per topic and per framework code, and each lesson's sentence length, words and quiz size."""
    from rag.lessons import sentence_lengths

    out.write(f"\n{len(lessons)} bài học.\nSố bài theo chủ đề:\n")
    for topic, n in by_topic.items():
        out.write(f"  {topic:24} {n}{'  <- chưa có bài' if n == 0 else ''}\n")
    out.write("Số bài theo mã kỹ năng:\n")
    for code, n in by_skill.items():
        out.write(f"  {code:8} {n}\n")
    out.write("Độ dài câu trung bình (chữ) và số chữ mỗi bài:\n")
    for lesson in lessons:
        lengths = sentence_lengths(lesson)
        avg = statistics.mean(lengths) if lengths else 0.0
        out.write(f"  {lesson.id:40} {avg:5.1f}  {lesson.word_count:4d} chữ  {len(lesson.quiz)} câu hỏi\n")


def held_out_citations(knowledge_dir: Path) -> list[str]:
    """Sources of lessons and entries on a site of the held-out test split (its questions' `site` fields, the
    situation and typed-reply test files, and the outlets listed in eval/questions/held_out_outlets.txt): content
    must never be written from them. Empty where the evaluation files are not shipped."""
    import json
    import re

    root = knowledge_dir.parent
    sites: set[str] = set()
    for name in ("eval/questions/test.jsonl", "tests/data/situations/test.jsonl",
                 "tests/data/prompt_replies/test.jsonl"):
        path = root / name
        if path.exists():
            sites |= {row["site"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
                      and (row := json.loads(line)).get("site")}
    outlets = root / "eval/questions/held_out_outlets.txt"
    if outlets.exists():
        sites |= {w for line in outlets.read_text(encoding="utf-8").splitlines()
                  if (w := line.split("#")[0].strip())}
    found = []
    for path in sorted([*knowledge_dir.rglob("*.yaml"), *knowledge_dir.rglob("*.md")]):
        if "review" in path.parts:
            continue  # review notes name the sites they replaced
        for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for host in re.findall(r"https?://([^/\s]+)", line):
                host = host.lower()
                if any(host == s or host.endswith("." + s) for s in sites):
                    found.append(f"{path.relative_to(knowledge_dir)}:{no}: nguồn thuộc trang của tập kiểm tra ({host})")
    return found


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
    report.errors.extend(held_out_citations(settings.knowledge_dir))
    for err in report.errors:
        out.write(f"LỖI  {err}\n")
    for warn in report.warnings:
        out.write(f"NHẮC {warn}\n")
    by_topic, by_skill = coverage(report.lessons, topics)
    _write_coverage(out, report.lessons, by_topic, by_skill)
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
    if kb.situations_file is not None:
        # Trained here, once, so that serving workers only read its arrays and never import scikit-learn.
        from bot.situation import SituationModel

        SituationModel.load(kb.situations_file, kb.model_cache)
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



def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    lessons = sub.add_parser("lessons", help="lesson tools")
    lessons.add_argument("action", choices=["check"])
    lessons.set_defaults(handler=lambda settings, args: cmd_lessons_check(settings, sys.stdout))
    sub.add_parser("ingest", help="build or update the vector index (only changed chunks are embedded)").set_defaults(
        handler=lambda settings, args: cmd_ingest(settings, sys.stdout))
    index = sub.add_parser("index", help="vector index tools (`index build` = `ingest`)")
    index.add_argument("action", choices=["build"])
    index.set_defaults(handler=lambda settings, args: cmd_ingest(settings, sys.stdout))
    ho = sub.add_parser("handouts", help="draw a printable one-page PNG handout per lesson (A4, 150 dpi)")
    ho.add_argument("--output", type=Path, required=True, help="folder for the PNG files")
    ho.set_defaults(handler=lambda settings, args: cmd_handouts(settings, args.output, sys.stdout))
    hear = sub.add_parser("hear", help="transcribe audio files as the tutor hears voice notes (masked, as read back)")
    hear.add_argument("files", type=Path, nargs="+")
    hear.set_defaults(handler=lambda settings, args: cmd_hear(settings, args.files, sys.stdout))
