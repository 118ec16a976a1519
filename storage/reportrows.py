"""What a report holds: a row per unit with its counts and the plan's figures, and the tables beside them.
Filled by storage/stats.py from the raw rows or from the maintained cells (storage/cellread.py)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from storage.units import Scope


@dataclass
class Row:
    key: str
    name: str
    registered: int = 0
    active: int = 0
    quizzes: int = 0
    avg_score: float | None = None
    lessons_passed: int = 0
    completions: int = 0  # in the period
    completions_to_date: int = 0  # since the start, up to the end of the period (for the completion rate)
    # "Gia đình số": households (counted in the unit where they were made) with a member who completed, to date.
    households_done: int = 0
    households_part: int = 0  # households with at least one registered member, to date
    vneid_level2: int = 0
    vneid_level2_16: int = 0  # of them, learners not known to be under 16 (the plans' "from 16")
    platform_confirmed: int = 0  # confirmed on binhdanhocvuso.gov.vn (self-reported or seen by a volunteer)
    support_sessions: int = 0
    people_helped: int = 0
    questions: int = 0
    declined: int = 0
    scam_alerts: int = 0  # messages describing a scam in progress (counted, never kept)
    target: int | None = None  # adult population (the plan of the period's year)
    population_16: int | None = None
    households_target: int | None = None  # households in the unit
    goal_completion: int | None = None  # the plan's target percentages
    goal_confirmed: int | None = None
    goal_vneid: int | None = None
    goal_households: int | None = None
    child_code: str | None = None  # the unit code to drill into; None for thôn rows

    @property
    def completion_rate(self) -> float | None:
        """Programme completions to date over the unit's target population."""
        return _rate(self.completions_to_date, self.target)

    @property
    def confirmed_rate(self) -> float | None:
        """Confirmed on the national platform over the adult population."""
        return _rate(self.platform_confirmed, self.target)

    @property
    def vneid_rate(self) -> float | None:
        """Learners from 16 with a level-2 VNeID over the population from 16."""
        return _rate(self.vneid_level2_16, self.population_16)

    @property
    def households_rate(self) -> float | None:
        """Households taking part over the number of households."""
        return _rate(self.households_part, self.households_target)

    @property
    def households_done_rate(self) -> float | None:
        return _rate(self.households_done, self.households_target)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for name in ("completion_rate", "confirmed_rate", "vneid_rate", "households_rate", "households_done_rate"):
            out[name] = getattr(self, name)
        return out


def _rate(n: int, base: int | None) -> float | None:
    """A share of a population; None where the unit has none set."""
    return n / base if base else None


@dataclass
class Breakdown:
    key: str
    name: str
    registered: int = 0
    completions: int = 0
    target: int | None = None  # the group's population, where the unit's plan has it

    @property
    def completion_rate(self) -> float | None:
        return self.completions / self.target if self.target else None


@dataclass
class LessonStat:
    lesson_id: str
    quizzes: int = 0
    avg_score: float | None = None
    passed: int = 0


@dataclass
class ReviewItem:
    """A question to look at again: answered but marked 👎 (or declined), counted, never with who asked."""

    topic: str  # "" for declined questions, which have no topic
    lesson_id: str
    text: str
    n: int


@dataclass
class Report:
    scope: Scope
    since: datetime | None
    until: datetime | None
    total: Row
    children: list[Row] = field(default_factory=list)
    by_group: list[Breakdown] = field(default_factory=list)
    by_age: list[Breakdown] = field(default_factory=list)
    by_lesson: list[LessonStat] = field(default_factory=list)
    questions_by_topic: dict[str, int] = field(default_factory=dict)
    declined_questions: list[tuple[str, int]] = field(default_factory=list)
    feedback_by_topic: dict[str, tuple[int, int]] = field(default_factory=dict)  # topic -> (👍, 👎)
    disliked: list[ReviewItem] = field(default_factory=list)  # 👎 answers, most frequent first
    timeline: list[tuple[date, int]] = field(default_factory=list)  # completions per week (its Monday)
    upstream_sources: list[str] = field(default_factory=list)
