"""The basic digital-skills programme (knowledge/programme.yaml): core lessons, pass rule, tracks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from rag.lessons import SKILL_CODES

BASIC_SKILLS = ("KN5.1", "KN5.2", "KN5.3", "KN5.4", "KN5.5")


@dataclass(frozen=True)
class Track:
    id: str
    title: str
    lessons: tuple[str, ...]


# The share of a quiz's questions a learner must get right to pass a lesson when no programme file says otherwise.
DEFAULT_PASS_RATIO = 0.8


def pass_ratio(knowledge_dir: Path) -> float:
    """The pass rule of the programme in `knowledge_dir` (knowledge/programme.yaml), else the default: the one place
    every part of the tutor — quizzes, statistics, reports, the web pages — reads it from."""
    path = knowledge_dir / "programme.yaml"
    return Programme.load(path).min_score if path.exists() else DEFAULT_PASS_RATIO


@dataclass(frozen=True)
class Programme:
    title: str
    min_score: float
    core: tuple[tuple[str, str], ...]  # (lesson id, basic skill code)
    tracks: tuple[Track, ...]

    @property
    def core_lessons(self) -> tuple[str, ...]:
        return tuple(lesson for lesson, _ in self.core)

    @classmethod
    def load(cls, path: Path) -> Programme:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return cls(
            title=str(data.get("title", "")),
            min_score=float((data.get("pass_rule") or {}).get("min_score", DEFAULT_PASS_RATIO)),
            core=tuple((str(c["lesson"]), str(c["skill"])) for c in data.get("core") or []),
            tracks=tuple(Track(str(k), str(v.get("title", k)), tuple(str(x) for x in v.get("lessons") or []))
                         for k, v in (data.get("tracks") or {}).items()),
        )

    def problems(self, lesson_ids: set[str]) -> list[str]:
        """Everything wrong with the programme, as messages for a content editor."""
        name = "programme.yaml"
        out = []
        if not 0 < self.min_score <= 1:
            out.append(f"{name}: pass_rule.min_score phải trong khoảng 0–1, đang là {self.min_score}")
        if not self.core:
            out.append(f"{name}: core chưa có bài nào")
        for lesson, skill in self.core:
            if lesson not in lesson_ids:
                out.append(f"{name}: core: không có bài '{lesson}'")
            if skill not in SKILL_CODES:
                out.append(f"{name}: core: mã kỹ năng '{skill}' không có trong khung")
        missing = [s for s in BASIC_SKILLS if s not in {skill for _, skill in self.core}]
        if missing:
            out.append(f"{name}: core chưa có bài cho kỹ năng {', '.join(missing)}")
        for track in self.tracks:
            for lesson in track.lessons:
                if lesson not in lesson_ids:
                    out.append(f"{name}: tracks.{track.id}: không có bài '{lesson}'")
        return out
