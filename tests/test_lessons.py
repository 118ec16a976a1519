"""The lesson format and `kynangso lessons check`."""

from __future__ import annotations

import io
from pathlib import Path

from bot.cli.content import cmd_lessons_check
from bot.config import ROOT, Settings
from rag.lessons import Topics, check_lessons, parse_lesson

TOPICS = Topics.load(ROOT / "knowledge" / "topics.yaml")

GOOD = """---
id: {id}
title: Bài thử
summary: Một bài để thử.
topics: [{topic}]
skills: [KN5.1]
audience: [nguoi-dan]
level: co-ban
sources:
  - title: Nguồn thử
    url: https://example.vn/a
    checked: 2026-11-22
quiz:
{quiz}
---

## Mục một
1. Bấm "Đăng nhập".
2. Nhập mật khẩu.

## Cần nhớ
- Không đưa mã OTP cho ai.
"""
QUESTION = """  - question: Câu {n}?
    options: [Một, Hai, Ba]
    answer: {answer}
    explain: Vì thế.
"""


def write(tmp: Path, lesson_id: str, topic: str = "vneid.install", answer: int = 2, n: int = 5) -> Path:
    quiz = "".join(QUESTION.format(n=i, answer=answer) for i in range(n))
    path = tmp / f"{lesson_id}.md"
    path.write_text(GOOD.format(id=lesson_id, topic=topic, quiz=quiz), encoding="utf-8")
    return path


def test_parse_good_lesson(tmp_path: Path) -> None:
    lesson = parse_lesson(write(tmp_path, "bai-thu"))
    assert lesson.id == "bai-thu" and lesson.topics == ("vneid.install",)
    assert [s.heading for s in lesson.sections] == ["Mục một", "Cần nhớ"]
    assert lesson.quiz[0].answer == 1 and len(lesson.quiz) == 5
    assert check_lessons(tmp_path, TOPICS).ok


def test_problems_name_file_and_field(tmp_path: Path) -> None:
    write(tmp_path, "a-topic", topic="vneid.nothing")
    write(tmp_path, "b-answer", answer=4)
    write(tmp_path, "c-short", n=2)
    dup = write(tmp_path, "d-dup")
    (tmp_path / "e-dup.md").write_text(dup.read_text(encoding="utf-8"), encoding="utf-8")
    nosrc = write(tmp_path, "f-nosrc")
    text = nosrc.read_text(encoding="utf-8")
    nosrc.write_text(text.replace(text[text.index("sources:"):text.index("quiz:")], ""), encoding="utf-8")
    errors = "\n".join(check_lessons(tmp_path, TOPICS).errors)
    assert "a-topic.md: topics: mã chủ đề 'vneid.nothing'" in errors
    assert "b-answer.md: quiz[1].answer: 4 nằm ngoài 1..3" in errors
    assert "c-short.md: quiz: cần 5–8 câu hỏi" in errors
    assert "e-dup.md: id 'd-dup' phải trùng tên tệp" in errors
    assert "f-nosrc.md: thiếu trường 'sources'" in errors


def test_duplicate_ids(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    write(tmp_path, "bai-a")
    other = tmp_path / "bai-b.md"
    other.write_text((tmp_path / "bai-a.md").read_text(encoding="utf-8").replace("id: bai-a", "id: bai-b"),
                     encoding="utf-8")
    report = check_lessons(tmp_path, TOPICS)
    assert report.ok and len(report.lessons) == 2


def test_check_command_on_real_knowledge() -> None:
    out = io.StringIO()
    assert cmd_lessons_check(Settings(_env_file=None), out) == 0  # type: ignore[call-arg]
    text = out.getvalue()
    assert text.rstrip().endswith("OK")
    assert "vneid.install" in text and "KN5.1" in text


def test_check_command_fails_on_bad_lesson(tmp_path: Path) -> None:
    (tmp_path / "lessons").mkdir()
    (tmp_path / "topics.yaml").write_text((ROOT / "knowledge" / "topics.yaml").read_text(encoding="utf-8"),
                                          encoding="utf-8")
    write(tmp_path / "lessons", "bai-loi", answer=9)
    out = io.StringIO()
    settings = Settings(_env_file=None, knowledge_dir=tmp_path)  # type: ignore[call-arg]
    assert cmd_lessons_check(settings, out) == 1
    assert "bai-loi.md: quiz[1].answer" in out.getvalue()


def test_check_command_requires_every_topic(tmp_path: Path) -> None:
    (tmp_path / "lessons").mkdir()
    (tmp_path / "topics.yaml").write_text((ROOT / "knowledge" / "topics.yaml").read_text(encoding="utf-8"),
                                          encoding="utf-8")
    write(tmp_path / "lessons", "bai-mot")
    out = io.StringIO()
    assert cmd_lessons_check(Settings(_env_file=None, knowledge_dir=tmp_path), out) == 1  # type: ignore[call-arg]
    assert "chưa có bài cho" in out.getvalue() and "scam.report" in out.getvalue()


def test_programme_names_real_lessons_and_covers_the_five_skills(tmp_path: Path) -> None:
    from rag.programme import Programme

    real = Programme.load(ROOT / "knowledge" / "programme.yaml")
    ids = {p.stem for p in (ROOT / "knowledge" / "lessons").glob("*.md")}
    assert real.problems(ids) == [] and 10 <= len(real.core) <= 14 and real.min_score == 0.8
    broken = tmp_path / "programme.yaml"
    broken.write_text("title: T\npass_rule: {min_score: 1.5}\ncore:\n  - {lesson: khong-co, skill: KN5.1}\n"
                      "tracks:\n  x: {title: X, lessons: [cung-khong-co]}\n", encoding="utf-8")
    problems = "\n".join(Programme.load(broken).problems(ids))
    assert "min_score" in problems and "'khong-co'" in problems and "KN5.2" in problems
    assert "tracks.x: không có bài 'cung-khong-co'" in problems


def test_option_orders_move_the_answer_with_its_option() -> None:
    import random

    from bot.quiz import in_order, option_orders
    from rag.lessons import QuizQuestion

    q = QuizQuestion("Câu?", ("một", "hai", "ba", "bốn"), 2, "Vì thế.")
    rng = random.Random(7)
    seen = set()
    for _ in range(50):
        (order,) = option_orders([q], rng)
        shown = in_order(q, order)
        assert order != [0, 1, 2, 3] and sorted(order) == [0, 1, 2, 3]
        assert shown.options[shown.answer] == "ba" and sorted(shown.options) == sorted(q.options)
        seen.add(shown.answer)
    assert seen == {0, 1, 2, 3}  # the right answer lands anywhere
    assert in_order(q, None) == q and in_order(q, [0, 1]) == q  # no order, or one that no longer fits


def test_quiz_bank_statistics_and_limits() -> None:
    from rag.lessons import LONGEST_RIGHT_MAX, QuizBank

    bank = QuizBank(n=10, longest_right=4, positions=(5, 3, 2, 0), long_stems=("bai-a câu 2",),
                    stem_words=14.0, longest_strategy=0.45)
    problems = bank.problems()
    assert bank.longest_share > LONGEST_RIGHT_MAX and any("dài nhất" in p for p in problems)
    assert any("vị trí 1" in p for p in problems) and any("bai-a câu 2" in p for p in problems)
    assert QuizBank(10, 3, (3, 3, 2, 2), (), 12.0, 0.3).problems() == []



def test_the_bank_cannot_be_passed_by_picking_the_longest_option() -> None:
    """A learner who never reads, and always picks the longest option, fails the core programme."""
    from rag.lessons import load_lessons, quiz_bank
    from rag.programme import Programme

    lessons = {x.id: x for x in load_lessons(ROOT / "knowledge" / "lessons", TOPICS)}
    programme = Programme.load(ROOT / "knowledge" / "programme.yaml")
    core = [lessons[c] for c in programme.core_lessons]
    assert quiz_bank(core).longest_strategy < 0.5
    whole = quiz_bank(list(lessons.values()))
    assert whole.problems() == [], whole.problems()


def test_sources_on_held_out_sites_are_errors(tmp_path: Path) -> None:
    from bot.cli.content import held_out_citations

    (tmp_path / "eval/questions").mkdir(parents=True)
    (tmp_path / "eval/questions/test.jsonl").write_text('{"id": "rq1", "site": "baomau.vn"}\n', encoding="utf-8")
    (tmp_path / "eval/questions/held_out_outlets.txt").write_text("tinmau.vn  # same outlet\n", encoding="utf-8")
    knowledge = tmp_path / "knowledge"
    (knowledge / "questions").mkdir(parents=True)
    entry = knowledge / "questions/a.yaml"
    entry.write_text("sources:\n  - url: https://www.trangkhac.gov.vn/x\n", encoding="utf-8")
    assert held_out_citations(knowledge) == []
    entry.write_text("sources:\n  - url: https://www.trangkhac.gov.vn/x\n  - url: https://m.baomau.vn/bai-1\n"
                     "  - url: https://tinmau.vn/bai-2\n", encoding="utf-8")
    found = held_out_citations(knowledge)
    assert len(found) == 2 and "questions/a.yaml:3" in found[0] and "tinmau.vn" in found[1]
