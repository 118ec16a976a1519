"""Building blocks of the statistics queries: which column names a unit's children, which rows fall inside a
unit or a period, grouping, and the names of child units. Shared by stats, plans and periods."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_
from sqlalchemy.ext.asyncio import AsyncSession
from vietnam_provinces import Ward

from storage import units
from storage.models import TIMEZONE, TZ, User
from storage.units import Scope

# Learners known to be under 16 ("Dưới 16"); the plans' VNeID indicator counts citizens from 16.
FROM_16 = or_(User.age_band.is_(None), User.age_band != "duoi-16")


def child_column(scope: Scope, model: Any) -> Any:
    """The column that names the unit below `scope` a row belongs to (thôn, xã/phường or tỉnh)."""
    if scope.ward_code is not None:
        return model.hamlet
    if scope.province_code is not None:
        return model.ward_code
    return model.province_code


def in_scope(scope: Scope, model: Any, nationwide: Any = None) -> list[Any]:
    """Rows of `model` inside the unit; for the whole country, those with a province (or `nationwide`: a commune,
    where rows without one belong to nobody's count)."""
    if scope.ward_code is not None:
        return [model.ward_code == scope.ward_code]
    if scope.province_code is not None:
        return [model.province_code == scope.province_code]
    return [(model.province_code if nationwide is None else nationwide).is_not(None)]


def between(column: Any, since: datetime | None, until: datetime | None) -> list[Any]:
    out = []
    if since is not None:
        out.append(column >= since)
    if until is not None:
        out.append(column < until)
    return out


def days_between(column: Any, since: datetime | None, until: datetime | None) -> list[Any]:
    """Days (Vietnam time) that meet [since, until)."""
    out = []
    if since is not None:
        out.append(column >= since.astimezone(TZ).date())
    if until is not None:
        out.append(column <= (until - timedelta(microseconds=1)).astimezone(TZ).date())
    return out


async def grouped(s: AsyncSession, stmt: Any) -> dict[Any, tuple[Any, ...]]:
    """The rows of a query grouped by its first column: {group: (the other columns)}."""
    return {row[0]: tuple(row[1:]) for row in (await s.execute(stmt)).all()}


def key(value: Any) -> str:
    return "" if value is None else str(value)


def week_of(s: AsyncSession, column: Any) -> Any:
    """The Monday (Vietnam time) of the week a timestamp falls in, computed by the database."""
    if s.get_bind().dialect.name == "postgresql":
        return func.date(func.date_trunc("week", func.timezone(TIMEZONE, column)))
    # SQLite keeps UTC text: shift to Vietnam time (+7 h), go back 6 days, then forward to a Monday.
    return func.date(column, "+7 hours", "-6 days", "weekday 1")


def as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def child_keys(scope: Scope) -> list[Any]:
    """Every child unit, so units with no learners still show up (with zeros)."""
    if scope.ward_code is not None:
        return []  # thôn/tổ dân phố are free text: only those with learners exist
    if scope.province_code is not None:
        return [int(w.code.value) for w in Ward.iter_all() if int(w.province_code.value) == scope.province_code]
    return sorted(units.all_province_codes())


def child_code(scope: Scope, key: str) -> str | None:
    if scope.ward_code is not None or not key:
        return None
    return f"X{key}" if scope.province_code is not None else f"P{key}"


def child_name(scope: Scope, key: Any) -> str:
    if key is None:
        return "(chưa rõ)"
    if scope.ward_code is not None:
        return str(key)
    if scope.province_code is not None:
        c = units.commune(int(key))
        return c.name if c else str(key)
    return units.province_name(int(key)) or str(key)
