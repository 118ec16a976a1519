"""Report periods (quarters with the Vietnamese cut-off day), the officers' notes for a period, and what child
instances pushed for a period beside their counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import units
from storage.models import TZ, ReportNote, UpstreamReport, utcnow
from storage.units import Scope

# Vietnamese periodic reports (Nghị định 09/2019/NĐ-CP, Điều 12) count a quarter from the 15th of the month
# before it to the 14th of its last month (a year from 15 December to 14 December), so the report can be made
# by the 20th. 0 means calendar quarters. Either way consecutive periods tile time: no gap, no overlap.
PERIOD_CUTOFF_DAY = 15


@dataclass(frozen=True)
class Quarter:
    """A report period in Vietnam time: the period of the quarterly report and of upstream pushes.

    With the default cut-off, 2027-Q1 runs from 15/12/2026 to 14/03/2027 inclusive ([start, end) below)."""

    year: int
    number: int
    cutoff: int = PERIOD_CUTOFF_DAY

    @classmethod
    def of(cls, when: datetime, cutoff: int = PERIOD_CUTOFF_DAY) -> Quarter:
        """The period that contains `when`."""
        local = when.astimezone(TZ)
        quarter = cls(local.year, (local.month - 1) // 3 + 1, cutoff)
        return quarter.next() if local >= quarter.end else quarter

    @classmethod
    def last_closed(cls, when: datetime, cutoff: int = PERIOD_CUTOFF_DAY) -> Quarter:
        """The most recent period that has ended by `when` (the one a report made now covers)."""
        return cls.of(when, cutoff).previous()

    @classmethod
    def parse(cls, label: str, cutoff: int = PERIOD_CUTOFF_DAY) -> Quarter | None:
        """"2026-Q4" -> Quarter(2026, 4); None for anything else."""
        year, sep, number = label.partition("-Q")
        if not (sep and year.isdigit() and number in ("1", "2", "3", "4")):
            return None
        return cls(int(year), int(number), cutoff)

    def next(self) -> Quarter:
        return Quarter(self.year + (self.number == 4), self.number % 4 + 1, self.cutoff)

    def previous(self) -> Quarter:
        return Quarter(self.year - (self.number == 1), (self.number - 2) % 4 + 1, self.cutoff)

    @property
    def label(self) -> str:
        return f"{self.year}-Q{self.number}"

    @property
    def end(self) -> datetime:
        """The first moment after the period."""
        if self.cutoff:
            return datetime(self.year, 3 * self.number, self.cutoff, tzinfo=TZ)
        return datetime(self.year + (self.number == 4), (3 * self.number) % 12 + 1, 1, tzinfo=TZ)

    @property
    def start(self) -> datetime:
        """The first moment of the period (the previous period's end)."""
        return self.previous().end

    @property
    def last_day(self) -> date:
        return (self.end - timedelta(days=1)).date()


async def report_note(s: AsyncSession, unit: str, period: str) -> str | None:
    """What the unit's officer added to the period's report ("khó khăn, vướng mắc, đề xuất")."""
    row = (await s.execute(select(ReportNote).where(ReportNote.unit == unit, ReportNote.period == period)))
    note = row.scalar_one_or_none()
    return note.text if note is not None else None


async def save_report_note(s: AsyncSession, unit: str, period: str, text: str, staff_id: int | None) -> None:
    note = (await s.execute(select(ReportNote).where(ReportNote.unit == unit, ReportNote.period == period)
                            .with_for_update())).scalar_one_or_none()
    if note is None:
        s.add(ReportNote(unit=unit, period=period, text=text, staff_id=staff_id, updated_at=utcnow()))
    else:
        note.text, note.staff_id, note.updated_at = text, staff_id, utcnow()


@dataclass
class Pushed:
    """What a child instance pushed for one unit and period beside its counts: the volunteer team's figures and the
    officer's note (a province's own note has no commune and no team)."""

    province_code: int
    ward_code: int | None
    name: str
    team: dict[str, int]
    note: str | None


async def pushed(s: AsyncSession, scope: Scope, period: str) -> list[Pushed]:
    """Notes and team figures child instances pushed for `period`, for the communes and provinces inside `scope`:
    provinces' notes first, then communes by name."""
    out: list[Pushed] = []
    rows = (await s.execute(select(UpstreamReport).where(UpstreamReport.period == period)
                            .order_by(UpstreamReport.source))).scalars()
    for rep in rows:
        for item in rep.payload.get("notes") or []:
            province = item.get("province_code")
            if scope.ward_code is None and scope.contains(province, None):
                out.append(Pushed(int(province), None, units.province_name(int(province)) or str(province), {},
                                  str(item.get("note") or "")))
        for unit in rep.payload.get("units") or []:
            province, ward = unit.get("province_code"), unit.get("ward_code")
            if not scope.contains(province, ward) or not (unit.get("note") or any((unit.get("team") or {}).values())):
                continue
            c = units.commune(int(ward))
            out.append(Pushed(int(province), int(ward), c.name if c else str(ward), dict(unit.get("team") or {}),
                              unit.get("note")))
    return sorted(out, key=lambda p: (p.ward_code is not None, p.name))
