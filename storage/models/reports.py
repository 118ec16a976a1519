"""Plans, dated activity, officers' notes and reports pushed from below."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import TZ, Base, IntPK, Stamp


def local_year() -> int:
    """This year in Vietnam time (plans and targets are set per calendar year)."""
    return datetime.now(TZ).year


class UnitTarget(Base):
    """A unit's plan for one year: its population and the plan's target percentages.

    `population` is the adult population the completion rate is measured against ("X10105" -> 3200 adults);
    the other numbers are optional. A year without its own row uses the latest earlier year's (else the
    earliest), so a population entered once keeps working until a new one is entered. Percentages with no row
    of their own come from the nearest unit above that has them (a province's plan applies to its communes).
    """

    __tablename__ = "unit_plans"

    unit: Mapped[str] = mapped_column(String(160), primary_key=True)  # "X11311", "P31" or "X11311:Thôn 3"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, default=local_year)
    population: Mapped[int | None] = mapped_column(Integer, default=None)  # adults (the completion target base)
    population_16: Mapped[int | None] = mapped_column(Integer, default=None)  # citizens aged 16 and over
    households: Mapped[int | None] = mapped_column(Integer, default=None)
    # Population per target group where the unit has it: {"nguoi-dan": 2500, "hoc-sinh-sinh-vien": 400}.
    groups: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    # The plan's target percentages (0-100): completion, level-2 VNeID among 16+, confirmed on the national
    # platform, households taking part.
    goal_completion: Mapped[int | None] = mapped_column(Integer, default=None)
    goal_vneid: Mapped[int | None] = mapped_column(Integer, default=None)
    goal_confirmed: Mapped[int | None] = mapped_column(Integer, default=None)
    goal_households: Mapped[int | None] = mapped_column(Integer, default=None)
    updated_at: Mapped[Stamp]


class ActivityDay(Base):
    """A day on which a learner wrote to the tutor (one row per learner and day, Vietnam time).

    Active learners of any past period are counted from these dated rows, not from `last_seen_at`."""

    __tablename__ = "activity_days"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True, index=True)


class ReportNote(Base):
    """What a commune officer adds to a period's report: difficulties, problems and proposals."""

    __tablename__ = "report_notes"
    __table_args__ = (UniqueConstraint("unit", "period"),)

    id: Mapped[IntPK]
    unit: Mapped[str] = mapped_column(String(40))  # "X11311", "P31"
    period: Mapped[str] = mapped_column(String(20))  # "2026-Q4" or "2026"
    text: Mapped[str] = mapped_column(Text)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"), default=None)
    updated_at: Mapped[Stamp]


class UpstreamReport(Base):
    """Aggregates pushed by a child instance (counts per commune only), one row per source and period."""

    __tablename__ = "upstream_reports"
    __table_args__ = (UniqueConstraint("source", "period"),)

    id: Mapped[IntPK]
    source: Mapped[str] = mapped_column(String(80))
    period: Mapped[str] = mapped_column(String(20))
    payload: Mapped[dict[str, Any]] = mapped_column()
    received_at: Mapped[Stamp]
