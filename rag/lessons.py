"""Lesson files: Markdown with YAML front matter, parsed into sections and quizzes, and validated."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SKILL_CODES = frozenset(
    [f"KN5.{i}" for i in range(1, 6)] + [f"TT02.{i}" for i in range(1, 7)] + ["ND.0", "ND.1"]
)
AUDIENCES = frozenset(["nguoi-dan", "hoc-sinh-sinh-vien", "can-bo-cong-chuc", "nguoi-lao-dong"])
LEVELS = frozenset(["co-ban", "nang-cao"])
ID_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
MAX_WORDS = 900
QUIZ_MIN, QUIZ_MAX = 5, 8
_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n(.*)\Z", re.S)
_SENTENCE_END = re.compile(r"[.!?…]+(?:\s|$)|\n+")


@dataclass(frozen=True)
class Source:
    title: str
    url: str
    checked: dt.date


@dataclass(frozen=True)
class QuizQuestion:
    question: str
    options: tuple[str, ...]
    answer: int  # 0-based index into options
    explain: str


@dataclass(frozen=True)
class Section:
    lesson_id: str
    index: int
    heading: str
    body: str

    @property
    def key(self) -> str:
        """Stable id of the chunk: lesson id and section number."""
        return f"{self.lesson_id}#{self.index}"

    def content_hash(self, title: str, topics: tuple[str, ...]) -> str:
        """Hash of everything that is embedded, so unchanged chunks are never re-embedded."""
        raw = "\x1f".join([title, self.heading, self.body, ",".join(topics)])
        return hashlib.sha256(raw.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    summary: str
    topics: tuple[str, ...]
    skills: tuple[str, ...]
    audience: tuple[str, ...]
    level: str
    asks: tuple[str, ...]
    sources: tuple[Source, ...]
    quiz: tuple[QuizQuestion, ...]
    sections: tuple[Section, ...]
    path: Path

    @property
    def main_topic(self) -> str:
        return self.topics[0]

    def section(self, heading_prefix: str) -> Section | None:
        """The first section whose heading starts with the given words."""
        for sec in self.sections:
            if sec.heading.lower().startswith(heading_prefix.lower()):
                return sec
        return None

    @property
    def word_count(self) -> int:
        return sum(len((s.heading + " " + s.body).split()) for s in self.sections)


@dataclass
class Topics:
    """The topic map (knowledge/topics.yaml)."""

    topics: dict[str, dict[str, Any]]
    areas: dict[str, dict[str, Any]]

    @classmethod
    def load(cls, path: Path) -> Topics:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return cls(topics=dict(data["topics"]), areas=dict(data["areas"]))

    def area_of(self, topic: str) -> str:
        return str(self.topics[topic]["area"])

    def skills_of(self, topic: str) -> list[str]:
        return list(self.areas[self.area_of(topic)]["skills"])


class LessonError(ValueError):
    """A lesson file that cannot be used; the message names the file and the field."""


@dataclass
class CheckReport:
    lessons: list[Lesson] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def split_sections(lesson_id: str, body: str) -> tuple[Section, ...]:
    """Split the Markdown body at level-2 headings; text before the first heading is an intro."""
    sections: list[Section] = []
    heading, lines = "", list[str]()

    def flush() -> None:
        text = "\n".join(lines).strip()
        if text:
            sections.append(Section(lesson_id, len(sections), heading, text))

    for line in body.splitlines():
        if line.startswith("## "):
            flush()
            heading, lines = line[3:].strip(), []
        elif line.startswith("# ") and not sections and not lines:
            continue  # an optional H1 repeats the title
        else:
            lines.append(line)
    flush()
    return tuple(sections)


def _need(meta: dict[str, Any], key: str, where: str, kind: type | tuple[type, ...]) -> Any:
    if key not in meta or meta[key] in (None, "", []):
        raise LessonError(f"{where}: thiếu trường '{key}'")
    if not isinstance(meta[key], kind):
        raise LessonError(f"{where}: trường '{key}' sai kiểu")
    return meta[key]


def _as_date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise LessonError(f"{where}: ngày '{value}' không đúng dạng YYYY-MM-DD") from exc


def _source(src: Any, where: str) -> Source:
    if not isinstance(src, dict):
        raise LessonError(f"{where}: cần title, url, checked")
    return Source(str(_need(src, "title", where, str)), str(_need(src, "url", where, str)),
                  _as_date(_need(src, "checked", where, (str, dt.date)), f"{where}.checked"))


def _quiz_question(q: Any, where: str) -> QuizQuestion:
    if not isinstance(q, dict):
        raise LessonError(f"{where}: cần question, options, answer, explain")
    options = _need(q, "options", where, list)
    answer = _need(q, "answer", where, int)
    for k, option in enumerate(options, start=1):
        if not isinstance(option, str):  # "Gọi: 113" unquoted is read as a mapping, not words
            raise LessonError(f"{where}.options[{k}]: phải là một dòng chữ (đặt trong ngoặc kép nếu có dấu ':')")
    if not 1 <= answer <= len(options):
        raise LessonError(f"{where}.answer: {answer} nằm ngoài 1..{len(options)}")
    return QuizQuestion(str(_need(q, "question", where, str)).strip(), tuple(str(o).strip() for o in options),
                        answer - 1, str(_need(q, "explain", where, str)).strip())


def parse_lesson(path: Path) -> Lesson:
    """Parse one lesson file; raise LessonError naming the file and field on any problem."""
    name = path.name
    text = path.read_text(encoding="utf-8").replace("\r\n", "\n")
    match = _FRONT.match(text)
    if not match:
        raise LessonError(f"{name}: thiếu phần đầu YAML giữa hai dòng '---'")
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        raise LessonError(f"{name}: YAML lỗi: {exc}".splitlines()[0]) from exc
    if not isinstance(meta, dict):
        raise LessonError(f"{name}: phần đầu phải là các cặp 'trường: giá trị'")
    lesson_id = str(_need(meta, "id", name, str))
    if not ID_PATTERN.match(lesson_id):
        raise LessonError(f"{name}: id '{lesson_id}' chỉ được gồm chữ thường không dấu, số và gạch ngang")
    if path.stem != lesson_id:
        raise LessonError(f"{name}: id '{lesson_id}' phải trùng tên tệp")

    sources = [_source(src, f"{name}: sources[{i}]")
               for i, src in enumerate(_need(meta, "sources", name, list), start=1)]
    quiz = [_quiz_question(q, f"{name}: quiz[{i}]") for i, q in enumerate(meta.get("quiz") or [], start=1)]

    def str_list(key: str, required: bool = True) -> tuple[str, ...]:
        value = _need(meta, key, name, list) if required else (meta.get(key) or [])
        return tuple(str(v).strip() for v in value)

    return Lesson(
        id=lesson_id,
        title=str(_need(meta, "title", name, str)).strip(),
        summary=str(meta.get("summary") or "").strip(),
        topics=str_list("topics"),
        skills=str_list("skills", required=False),
        audience=str_list("audience", required=False) or ("nguoi-dan",),
        level=str(meta.get("level") or "co-ban"),
        asks=str_list("asks", required=False),
        sources=tuple(sources),
        quiz=tuple(quiz),
        sections=split_sections(lesson_id, match.group(2)),
        path=path,
    )


def sentence_lengths(lesson: Lesson) -> list[int]:
    """Words per sentence over the lesson body (headings excluded)."""
    lengths = []
    for sec in lesson.sections:
        for sentence in _SENTENCE_END.split(sec.body):
            words = [w for w in sentence.replace("-", " ").split() if any(c.isalnum() for c in w)]
            if words:
                lengths.append(len(words))
    return lengths


def validate(lesson: Lesson, topics: Topics) -> tuple[list[str], list[str]]:
    """Errors and warnings for one parsed lesson."""
    name, errors, warnings = lesson.path.name, [], []
    for t in lesson.topics:
        if t not in topics.topics:
            errors.append(f"{name}: topics: mã chủ đề '{t}' không có trong topics.yaml")
    for code in lesson.skills:
        if code not in SKILL_CODES:
            errors.append(f"{name}: skills: mã kỹ năng '{code}' không có trong khung")
    for a in lesson.audience:
        if a not in AUDIENCES:
            errors.append(f"{name}: audience: nhóm '{a}' không hợp lệ")
    if lesson.level not in LEVELS:
        errors.append(f"{name}: level: '{lesson.level}' phải là co-ban hoặc nang-cao")
    if not lesson.sections:
        errors.append(f"{name}: bài chưa có mục nội dung nào (dòng bắt đầu bằng '## ')")
    if not QUIZ_MIN <= len(lesson.quiz) <= QUIZ_MAX:
        errors.append(f"{name}: quiz: cần {QUIZ_MIN}–{QUIZ_MAX} câu hỏi, đang có {len(lesson.quiz)}")
    for i, q in enumerate(lesson.quiz, start=1):
        if not 3 <= len(q.options) <= 4:
            errors.append(f"{name}: quiz[{i}].options: cần 3–4 lựa chọn, đang có {len(q.options)}")
        if len({o.lower() for o in q.options}) != len(q.options):
            errors.append(f"{name}: quiz[{i}].options: có hai lựa chọn giống nhau")
    if lesson.word_count > MAX_WORDS:
        errors.append(f"{name}: bài dài {lesson.word_count} chữ, tối đa {MAX_WORDS}")
    if lesson.section("Cần nhớ") is None:
        warnings.append(f"{name}: nên có mục '## Cần nhớ'")
    for src in lesson.sources:
        if not src.url.startswith(("http://", "https://")):
            errors.append(f"{name}: sources: địa chỉ '{src.url}' phải bắt đầu bằng http:// hoặc https://")
    return errors, warnings


def check_lessons(lessons_dir: Path, topics: Topics) -> CheckReport:
    """Parse and validate every lesson in a folder; collect all problems rather than stop at the first."""
    report = CheckReport()
    seen: dict[str, Path] = {}
    for path in sorted(lessons_dir.glob("*.md")):
        try:
            lesson = parse_lesson(path)
        except LessonError as exc:
            report.errors.append(str(exc))
            continue
        if lesson.id in seen:
            report.errors.append(f"{path.name}: id '{lesson.id}' trùng với {seen[lesson.id].name}")
            continue
        seen[lesson.id] = path
        errors, warnings = validate(lesson, topics)
        report.errors.extend(errors)
        report.warnings.extend(warnings)
        report.lessons.append(lesson)
    if not report.lessons and not report.errors:
        report.errors.append(f"{lessons_dir}: không có bài học nào (*.md)")
    return report


def coverage(lessons: list[Lesson], topics: Topics) -> tuple[Counter[str], Counter[str]]:
    """Lessons per topic id and per framework skill code."""
    by_topic: Counter[str] = Counter({t: 0 for t in topics.topics})
    by_skill: Counter[str] = Counter({c: 0 for c in sorted(SKILL_CODES)})
    for lesson in lessons:
        by_topic.update(set(lesson.topics))
        by_skill.update(set(lesson.skills))
    return by_topic, by_skill


def load_lessons(lessons_dir: Path, topics: Topics) -> list[Lesson]:
    """Load all lessons, raising LessonError listing every problem if any lesson is invalid."""
    report = check_lessons(lessons_dir, topics)
    if not report.ok:
        raise LessonError("\n".join(report.errors))
    return report.lessons


# The quiz bank as a whole must not be passable without reading: limits checked by `lessons check` (and CI).
LONGEST_RIGHT_MAX = 0.30   # share of questions whose right answer is the strictly longest option
POSITION_MAX = 0.40        # share of questions whose right answer sits at any one position (1st, 2nd, …)
STEM_MAX_WORDS = 25        # words in a question's stem
MIN_LESSONS_PER_TOPIC = 2  # lessons whose main topic is the topic


@dataclass(frozen=True)
class QuizBank:
    """Shape statistics of a set of quiz questions (lengths in characters, stems in words)."""

    n: int
    longest_right: int          # right answer strictly longest
    positions: tuple[int, ...]  # right answers at position 1, 2, 3, 4
    long_stems: tuple[str, ...]  # "<lesson id> câu <n>" for stems over STEM_MAX_WORDS
    stem_words: float           # mean words per stem
    longest_strategy: float     # expected score of always picking a longest option (ties split evenly)

    @property
    def longest_share(self) -> float:
        return self.longest_right / self.n if self.n else 0.0

    def position_shares(self) -> tuple[float, ...]:
        return tuple(p / self.n for p in self.positions) if self.n else ()

    def problems(self) -> list[str]:
        """The limits the bank is past, in the editors' language."""
        out = []
        if self.longest_share > LONGEST_RIGHT_MAX:
            out.append(f"đáp án đúng là lựa chọn dài nhất ở {self.longest_share:.0%} số câu hỏi "
                       f"(tối đa {LONGEST_RIGHT_MAX:.0%}): viết các lựa chọn sai dài và cụ thể như đáp án đúng")
        for i, share in enumerate(self.position_shares(), start=1):
            if share > POSITION_MAX:
                out.append(f"đáp án đúng nằm ở vị trí {i} trong {share:.0%} số câu hỏi (tối đa {POSITION_MAX:.0%})")
        if self.long_stems:
            out.append(f"{len(self.long_stems)} câu hỏi dài quá {STEM_MAX_WORDS} chữ: {', '.join(self.long_stems)}")
        return out


def quiz_bank(lessons: list[Lesson]) -> QuizBank:
    """Statistics of every quiz question of `lessons`."""
    n = longest = 0
    positions = [0, 0, 0, 0]
    long_stems: list[str] = []
    words = 0
    strategy = 0.0
    for lesson in lessons:
        for i, q in enumerate(lesson.quiz, start=1):
            n += 1
            lengths = [len(o) for o in q.options]
            top = max(lengths)
            if lengths[q.answer] == top and lengths.count(top) == 1:
                longest += 1
            if lengths[q.answer] == top:
                strategy += 1 / lengths.count(top)
            if q.answer < len(positions):
                positions[q.answer] += 1
            count = len(q.question.split())
            words += count
            if count > STEM_MAX_WORDS:
                long_stems.append(f"{lesson.id} câu {i}")
    return QuizBank(n, longest, tuple(positions), tuple(long_stems), words / n if n else 0.0,
                    strategy / n if n else 0.0)


def thin_topics(lessons: list[Lesson], topics: Topics) -> list[str]:
    """Topics that are the main topic of fewer than MIN_LESSONS_PER_TOPIC lessons."""
    main = Counter(lesson.main_topic for lesson in lessons)
    return [t for t in topics.topics if main[t] < MIN_LESSONS_PER_TOPIC]
