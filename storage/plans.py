"""Each unit's yearly plan (Kế hoạch): its population, population from 16 and households, and the target
percentages; the statistics compare progress with them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import TZ, UnitTarget, utcnow
from storage.units import Scope

GOALS = ("goal_completion", "goal_confirmed", "goal_vneid", "goal_households")


def plan_year(until: datetime | None) -> int:
    """The plan year of a period: the year its last moment falls in (this year for a period up to now)."""
    when = (until - timedelta(microseconds=1)) if until is not None else datetime.now(TZ)
    return when.astimezone(TZ).year


def codes_above(scope: Scope) -> list[str]:
    """Plan keys of the units above `scope`, from the top: ["VN", "P31"] for a commune."""
    if scope.ward_code is not None:
        return ["VN", f"P{scope.province_code}"]
    if scope.province_code is not None:
        return ["VN"]
    return []


async def effective(s: AsyncSession, codes: list[str], year: int) -> dict[str, UnitTarget]:
    """Each unit's plan for `year`: its own row for the year, else the latest earlier year's, else the earliest.
    """
    if not codes:
        return {}
    rows = (await s.execute(select(UnitTarget).where(UnitTarget.unit.in_(set(codes)))
                            .order_by(UnitTarget.unit, UnitTarget.year))).scalars().all()
    out: dict[str, UnitTarget] = {}
    for row in rows:  # by year, ascending: keep the latest not after `year`, or the first one
        if row.unit not in out or row.year <= year:
            out[row.unit] = row
    return out


async def plans_of(s: AsyncSession, codes: list[str], year: int) -> dict[str, UnitTarget]:
    """The plans stored for exactly `year` (what the targets form shows and edits)."""
    if not codes:
        return {}
    rows = await s.execute(select(UnitTarget).where(UnitTarget.unit.in_(codes), UnitTarget.year == year))
    return {row.unit: row for row in rows.scalars()}


async def save_plans(s: AsyncSession, values: dict[str, dict[str, Any]], year: int) -> list[str]:
    """Store each unit's plan for `year` (a unit with nothing typed loses its row); the units that changed."""
    stored = await plans_of(s, list(values), year)
    changed = []
    for code, fields in values.items():
        row = stored.get(code)
        empty = all(v is None for v in fields.values())
        if row is None and empty:
            continue
        if row is not None and all(getattr(row, k) == v for k, v in fields.items()):
            continue
        changed.append(code)
        if empty:
            await s.delete(row)
        elif row is None:
            s.add(UnitTarget(unit=code, year=year, updated_at=utcnow(), **fields))
        else:
            for k, v in fields.items():
                setattr(row, k, v)
            row.updated_at = utcnow()
    return changed
