"""Maintained statistics: counts per unit and day, kept by storage/cells.py from the raw rows.

A cell's unit is a thôn (`level` 0: province, commune, thôn) or a whole commune (`level` 1, the sum of its thôn
cells, so a province or the country reads one row per commune and day). Unknown parts are stored as 0 or "" (a
key column cannot be NULL); questions, kept per commune only, sit in the thôn "*". A `StatMark` says which
cells changed; refreshing recomputes just those from the raw rows. Each unit also has a row on `ALL_DAYS`, the sum
of its days, so a figure "to date" is that row less the days after the period (no scan of every day).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Float, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from storage.models.base import Base, IntPK, Stamp

ALL_DAYS = date(9999, 12, 31)  # the day of a unit's running total: the sum of all its other days
THON_LEVEL = 0
COMMUNE_LEVEL = 1
QUESTIONS_THON = "*"  # the thôn key of a commune's questions (they are not kept per thôn)


class StatMark(Base):
    """A thôn's cells to compute again: one day's, or every day's (`day` NULL) after a move or an erasure."""

    __tablename__ = "stat_marks"

    id: Mapped[IntPK]
    province_code: Mapped[int] = mapped_column(Integer)
    ward_code: Mapped[int] = mapped_column(Integer)
    hamlet: Mapped[str] = mapped_column(String(120))
    day: Mapped[date | None] = mapped_column(Date, default=None)


class StatState(Base):
    """One row: the pass mark the cells were counted with (another one means counting them again)."""

    __tablename__ = "stat_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pass_ratio: Mapped[float] = mapped_column(Float)
    built_at: Mapped[Stamp]


class StatCell(Base):
    """Counts of one unit and day. "As of" metrics are kept by the day they began (a registration by its consent
    day, a confirmation by the later of consent and confirmation, a household by the day it first counted), so a
    running sum gives them at the end of any period."""

    __tablename__ = "stat_cells"
    __table_args__ = (Index("ix_stat_cells_level_province_day", "level", "province_code", "day"),
                      Index("ix_stat_cells_level_day", "level", "day"))

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    province_code: Mapped[int] = mapped_column(Integer, primary_key=True)
    ward_code: Mapped[int] = mapped_column(Integer, primary_key=True)
    hamlet: Mapped[str] = mapped_column(String(120), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    registered: Mapped[int] = mapped_column(Integer, default=0)
    vneid_level2: Mapped[int] = mapped_column(Integer, default=0)
    vneid_level2_16: Mapped[int] = mapped_column(Integer, default=0)
    platform_confirmed: Mapped[int] = mapped_column(Integer, default=0)
    quizzes: Mapped[int] = mapped_column(Integer, default=0)
    score_sum: Mapped[float] = mapped_column(Float, default=0.0)
    passes_first: Mapped[int] = mapped_column(Integer, default=0)  # a (learner, lesson) pair's first pass
    completions: Mapped[int] = mapped_column(Integer, default=0)
    support_sessions: Mapped[int] = mapped_column(Integer, default=0)
    people_helped: Mapped[int] = mapped_column(Integer, default=0)
    households_done: Mapped[int] = mapped_column(Integer, default=0)
    households_part: Mapped[int] = mapped_column(Integer, default=0)
    questions: Mapped[int] = mapped_column(Integer, default=0)
    declined: Mapped[int] = mapped_column(Integer, default=0)
    scam_alerts: Mapped[int] = mapped_column(Integer, default=0)


class StatRepass(Base):
    """A pair passed again: `n` passes of `lesson_id` on `day` whose pair had passed before, last on `prev_day`.

    A pair counts in [a, b] once: by its first pass ever if that is inside, else by a pass inside whose previous
    one was before a. Thôn level only."""

    __tablename__ = "stat_repasses"

    province_code: Mapped[int] = mapped_column(Integer, primary_key=True)
    ward_code: Mapped[int] = mapped_column(Integer, primary_key=True)
    hamlet: Mapped[str] = mapped_column(String(120), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    lesson_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    prev_day: Mapped[date] = mapped_column(Date, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class CommuneDay:
    """The key every commune table begins with, and its indexes by province and day (a province's or the
    country's period reads one index range)."""

    province_code: Mapped[int] = mapped_column(Integer, primary_key=True)
    ward_code: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Index, ...]:  # noqa: N805  (a class attribute made per table)
        name = cls.__tablename__  # type: ignore[attr-defined]
        return (Index(f"ix_{name}_province_day", "province_code", "day"), Index(f"ix_{name}_day", "day"))


class StatLesson(CommuneDay, Base):
    """Lesson quizzes of a commune's learners on a day, their summed score and first passes."""

    __tablename__ = "stat_lessons"

    lesson_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    quizzes: Mapped[int] = mapped_column(Integer, default=0)
    score_sum: Mapped[float] = mapped_column(Float, default=0.0)
    passes_first: Mapped[int] = mapped_column(Integer, default=0)


class StatGroup(CommuneDay, Base):
    """Registrations (by consent day) and completions of a commune on a day, by target group or age band."""

    __tablename__ = "stat_groups"

    dim: Mapped[str] = mapped_column(String(8), primary_key=True)  # "group" | "age"
    value: Mapped[str] = mapped_column(String(32), primary_key=True)
    registered: Mapped[int] = mapped_column(Integer, default=0)
    completions: Mapped[int] = mapped_column(Integer, default=0)


class StatTopic(CommuneDay, Base):
    """Questions of a commune on a day by topic ("" for none), with the 👍 and 👎 they got."""

    __tablename__ = "stat_topics"

    topic: Mapped[str] = mapped_column(String(40), primary_key=True)
    questions: Mapped[int] = mapped_column(Integer, default=0)
    up: Mapped[int] = mapped_column(Integer, default=0)
    down: Mapped[int] = mapped_column(Integer, default=0)


class StatText(Base):
    """How often a declined question (`kind` "declined") or an answer marked 👎 (`kind` "down", with its topic and
    lesson) was asked in a commune on a day — the words as logged (already masked)."""

    __tablename__ = "stat_texts"
    __table_args__ = (Index("ix_stat_texts_unit_day", "province_code", "ward_code", "day"),
                      Index("ix_stat_texts_province_day", "province_code", "day"), Index("ix_stat_texts_day", "day"))

    id: Mapped[IntPK]
    province_code: Mapped[int] = mapped_column(Integer)
    ward_code: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(8))
    topic: Mapped[str] = mapped_column(String(40))
    lesson_id: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text)
    n: Mapped[int] = mapped_column(Integer)
