"""Question entries: specific questions asked several ways, each with a short answer that leads to a lesson section.

The format is described for editors in knowledge/README.md ("Câu hỏi cụ thể").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from rag.lessons import ID_PATTERN, Lesson, LessonError, Section, Source, Topics, _as_date
from rag.text import has_diacritics, syllables

KINDS = ("definition", "howto", "troubleshoot", "rule", "is_safe", "what_now", "where_who")
STAGES = ("any", "before", "during", "after")
MIN_ASKS, MAX_ASKS = 4, 10
MIN_SENTENCES, MAX_SENTENCES = 2, 6
MAX_ANSWER_CHARS = 650  # answer and the question shown above it (shorthand spelled out): one small screen
_BULLET = re.compile(r"^(\d+[.)]|[-•*])\s*")
_SENTENCE_END = re.compile(r"[.!?…]+(?:\s+|$)")
MAX_ID = 40  # "/chon q:<id>" must fit a Telegram button's 64 bytes
# Phone shorthand in a way of asking ("ck nhầm tk r, gọi ai đc ko"), spelled out when that way is shown above the
# answer as the question it answers: an older reader should not meet teencode in the tutor's own words.
_SHORTHAND = {
    "ko": "không", "k": "không", "kh": "không", "hok": "không", "dc": "được", "đc": "được", "ck": "chuyển khoản",
    "tk": "tài khoản", "stk": "số tài khoản", "r": "rồi", "mk": "mật khẩu", "sth": "sinh trắc học", "ng": "người",
    "j": "gì", "ntn": "như thế nào", "dt": "điện thoại", "đt": "điện thoại", "sdt": "số điện thoại",
    "sđt": "số điện thoại", "vs": "với", "sotp": "Smart OTP", "smartotp": "Smart OTP", "ctv": "cộng tác viên",
    "cskh": "chăm sóc khách hàng",
}
# A whole word only, and not "50 k" (fifty thousand).
_SHORT_WORD = re.compile(r"(?<![\w])(?<!\d )(" + "|".join(sorted(_SHORTHAND, key=len, reverse=True)) + r")(?![\w])",
                         re.IGNORECASE)


def shorthand_spelled(text: str) -> str:
    """Phone shorthand in a text written with diacritics spelled out ("ck nhầm tk rồi" → "chuyển khoản nhầm tài
    khoản rồi"): what the embedding model reads, as the accent restorer already does for text typed without marks."""
    return _SHORT_WORD.sub(lambda m: _SHORTHAND[m.group(1).lower()], text.strip())


def spelled_out(text: str) -> str:
    """A way of asking as the tutor shows it: shorthand written in full, the first letter a capital."""
    full = shorthand_spelled(text)
    return full[:1].upper() + full[1:]


@dataclass(frozen=True)
class QuestionEntry:
    id: str
    kind: str
    stage: str
    topics: tuple[str, ...]
    asks: tuple[str, ...]
    answer: str
    lesson_id: str
    section_heading: str
    sources: tuple[Source, ...]
    path: Path

    @property
    def main_topic(self) -> str:
        return self.topics[0]

    @property
    def headline(self) -> str:
        """The question as shown above the answer: the shortest way of asking it written with diacritics, its
        shorthand spelled out."""
        written = [a for a in self.asks if has_diacritics(a)] or list(self.asks)
        return spelled_out(min(written, key=len))

    def content_hash(self) -> str:
        raw = "\x1f".join([self.id, self.kind, self.stage, ",".join(self.topics), *self.asks, self.answer])
        return hashlib.sha256(raw.encode()).hexdigest()[:24]


@dataclass
class QuestionReport:
    entries: list[QuestionEntry] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def sentence_count(text: str) -> int:
    """Sentences of an answer; a numbered step or a line without a full stop counts as one."""
    count = 0
    for line in text.splitlines():
        line = _BULLET.sub("", line.strip())
        if line:
            count += max(1, sum(1 for part in _SENTENCE_END.split(line) if part.strip(' "”’)')))
    return count


def _parse_entry(raw: Any, where: str, path: Path) -> QuestionEntry:
    if not isinstance(raw, dict):
        raise LessonError(f"{where}: mỗi câu hỏi phải là các cặp 'trường: giá trị'")

    def need(key: str, kind: type | tuple[type, ...]) -> Any:
        value = raw.get(key)
        if value in (None, "", []):
            raise LessonError(f"{where}: thiếu trường '{key}'")
        if not isinstance(value, kind):
            raise LessonError(f"{where}: trường '{key}' sai kiểu")
        return value

    entry_id = str(need("id", str)).strip()
    where = f"{where} ({entry_id})"
    sources = []
    for i, src in enumerate(need("sources", list), start=1):
        at = f"{where}: sources[{i}]"
        if not isinstance(src, dict) or not all(src.get(k) for k in ("title", "url", "checked")):
            raise LessonError(f"{at}: cần title, url, checked")
        checked: dt.date = _as_date(src["checked"], f"{at}.checked")
        sources.append(Source(str(src["title"]).strip(), str(src["url"]).strip(), checked))
    return QuestionEntry(
        id=entry_id,
        kind=str(need("kind", str)).strip(),
        stage=str(raw.get("stage") or "any").strip(),
        topics=tuple(str(t).strip() for t in need("topics", list)),
        asks=tuple(str(a).strip() for a in need("asks", list)),
        answer=str(need("answer", str)).strip(),
        lesson_id=str(need("lesson", str)).strip(),
        section_heading=str(need("section", str)).strip(),
        sources=tuple(sources),
        path=path,
    )


def validate_entry(entry: QuestionEntry, topics: Topics, lessons: dict[str, Lesson]) -> list[str]:
    """Problems with one parsed entry, each naming the file and the entry."""
    where = f"{entry.path.name} ({entry.id})"
    errors = []
    if not ID_PATTERN.match(entry.id):
        errors.append(f"{where}: id chỉ được gồm chữ thường không dấu, số và gạch ngang")
    if len(entry.id) > MAX_ID:
        errors.append(f"{where}: id dài quá {MAX_ID} ký tự (nút bấm trên Telegram chỉ chứa được chừng ấy)")
    if entry.kind not in KINDS:
        errors.append(f"{where}: kind '{entry.kind}' phải là một trong {', '.join(KINDS)}")
    if entry.stage not in STAGES:
        errors.append(f"{where}: stage '{entry.stage}' phải là một trong {', '.join(STAGES)}")
    for t in entry.topics:
        if t not in topics.topics:
            errors.append(f"{where}: topics: mã chủ đề '{t}' không có trong topics.yaml")
    if not MIN_ASKS <= len(entry.asks) <= MAX_ASKS:
        errors.append(f"{where}: asks: cần {MIN_ASKS}–{MAX_ASKS} cách hỏi, đang có {len(entry.asks)}")
    folded = [" ".join(syllables(a, expand=False)) for a in entry.asks]
    if len(set(folded)) != len(folded):
        errors.append(f"{where}: asks: có hai cách hỏi chỉ khác nhau ở dấu")
    n = sentence_count(entry.answer)
    if not MIN_SENTENCES <= n <= MAX_SENTENCES:
        errors.append(f"{where}: answer: cần {MIN_SENTENCES}–{MAX_SENTENCES} câu, đang có {n}")
    if len(entry.answer) + len(entry.headline) > MAX_ANSWER_CHARS:
        errors.append(f"{where}: answer: dài {len(entry.answer)} ký tự; cùng câu hỏi ngắn nhất có dấu "
                      f"({len(entry.headline)} ký tự) tối đa {MAX_ANSWER_CHARS}")
    lesson = lessons.get(entry.lesson_id)
    if lesson is None:
        errors.append(f"{where}: lesson: không có bài '{entry.lesson_id}'")
    elif find_section(lesson, entry.section_heading) is None:
        errors.append(f"{where}: section: bài '{entry.lesson_id}' không có mục '{entry.section_heading}'")
    for src in entry.sources:
        if not src.url.startswith(("http://", "https://")):
            errors.append(f"{where}: sources: địa chỉ '{src.url}' phải bắt đầu bằng http:// hoặc https://")
    return errors


def find_section(lesson: Lesson, heading: str) -> Section | None:
    """The lesson's section with exactly this heading (compared without case or surrounding spaces)."""
    wanted = heading.strip().casefold()
    return next((s for s in lesson.sections if s.heading.strip().casefold() == wanted), None)


def check_questions(questions_dir: Path, topics: Topics, lessons: list[Lesson]) -> QuestionReport:
    """Parse and validate every entry of every file; collect all problems rather than stop at the first."""
    report = QuestionReport()
    if not questions_dir.is_dir():
        return report
    by_id = {lesson.id: lesson for lesson in lessons}
    seen_ids: dict[str, str] = {}
    seen_asks: dict[str, str] = {}
    for path in sorted(questions_dir.glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            report.errors.append(f"{path.name}: YAML lỗi: {exc}".splitlines()[0])
            continue
        if data is None:
            continue
        if not isinstance(data, list):
            report.errors.append(f"{path.name}: tệp phải là một danh sách câu hỏi (mỗi câu bắt đầu bằng '- id:')")
            continue
        for i, raw in enumerate(data, start=1):
            try:
                entry = _parse_entry(raw, f"{path.name}[{i}]", path)
            except LessonError as exc:
                report.errors.append(str(exc))
                continue
            errors = validate_entry(entry, topics, by_id)
            if entry.id in seen_ids:
                errors.append(f"{path.name} ({entry.id}): id trùng với một câu trong {seen_ids[entry.id]}")
            for ask in entry.asks:
                key = " ".join(syllables(ask, expand=False))
                other = seen_asks.get(key)
                if other is not None and other != entry.id:
                    errors.append(f"{path.name} ({entry.id}): cách hỏi '{ask}' trùng với câu '{other}'")
                seen_asks.setdefault(key, entry.id)
            seen_ids.setdefault(entry.id, path.name)
            report.errors.extend(errors)
            if not errors:
                report.entries.append(entry)
    return report


def load_questions(questions_dir: Path, topics: Topics, lessons: list[Lesson]) -> list[QuestionEntry]:
    """All valid entries, raising LessonError listing every problem if any entry is invalid."""
    report = check_questions(questions_dir, topics, lessons)
    if not report.ok:
        raise LessonError("\n".join(report.errors))
    return report.entries
