"""The words of a report: rates, periods, groups and names as people read them, a unit's indicators, the units
behind it, the period an officer's note belongs to.

Pure text from statistics rows, shared by the chat (`/thongke`) and the scheduled reports; nothing here reads
the database or sends anything.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot import messages as msg
from storage import plans, stats, teams, units
from storage.models import TZ, Staff
from storage.periods import Quarter


def percent(value: float | None) -> str:
    """A rate as people read it ("12%"); small rates keep a decimal ("0,5%") so a start does not read as 0%."""
    if value is None:
        return "–"
    return f"{value * 100:.1f}%".replace(".", ",") if 0 < value < 0.1 else f"{value * 100:.0f}%"


def _day(value: datetime) -> str:
    return value.astimezone(TZ).strftime("%d/%m/%Y")


def period_label(since: datetime | None, until: datetime | None) -> str:
    """The period in words: "từ 01/07/2026 đến 30/09/2026" (`until` is exclusive, the last day is shown)."""
    last = until - timedelta(microseconds=1) if until is not None else None
    if since is not None and last is not None:
        return msg.STATS_PERIOD_RANGE.format(since=_day(since), until=_day(last))
    if since is not None:
        return msg.STATS_PERIOD_SINCE.format(since=_day(since))
    if last is not None:
        return msg.STATS_PERIOD_UNTIL.format(until=_day(last))
    return msg.STATS_PERIOD_ALL


def title(report: stats.Report) -> str:
    """"Thống kê Phường Hồng Bàng, Thành phố Hải Phòng, từ đầu đến nay"."""
    return msg.STATS_PERIOD.format(unit=report.scope.name, period=period_label(report.since, report.until))


def group_name(key: str) -> str:
    """A target group in words ("Người dân"); unknown when the learner skipped the question."""
    return msg.GROUPS.get(key, key) if key else msg.STATS_UNKNOWN


def age_name(key: str) -> str:
    """An age band in words ("60–69")."""
    return msg.AGE_BANDS.get(key, key) if key else msg.STATS_UNKNOWN


def member_name(member: teams.Member | Staff) -> str:
    """How a team member is shown: their chosen name, else by role and commune ("Cán bộ Phường Hồng Bàng")."""
    if member.display_name:
        return member.display_name
    commune = units.commune(member.ward_code) if member.ward_code is not None else None
    default = msg.MEMBER_DEFAULT_NAMES.get(member.role, msg.STAFF_DEFAULT_NAME)
    return default.format(unit=commune.name if commune else "")


def note_period(now: datetime, cutoff: int, report_days: int) -> Quarter:
    """The period an officer's note belongs to: the one being reported now (in the days after it ended), else
    the one going on."""
    ended = Quarter.last_closed(now, cutoff)
    return ended if now < ended.end + timedelta(days=report_days) else Quarter.of(now, cutoff)


def rate_text(row: stats.Row) -> str:
    """", đạt 12% của 3200 người mục tiêu" when the unit has a target, else nothing."""
    return msg.REPORT_RATE.format(rate=percent(row.completion_rate), target=row.target) if row.target else ""


def _goal(rate: float | None, goal: int | None) -> str:
    if goal is None:
        return ""
    return (msg.IND_GOAL_MET if rate is not None and rate * 100 >= goal - 1e-9 else msg.IND_GOAL).format(goal=goal)


def _indicator(template: str, n: int, base: int | None, rate: float | None, goal: int | None, **extra: Any) -> str:
    return template.format(n=n, of=msg.IND_OF.format(base=base) if base else "",
                           rate=msg.IND_RATE.format(rate=percent(rate)) if rate is not None else "",
                           goal=_goal(rate, goal), **extra)


def indicator_lines(row: stats.Row, year: int) -> list[str]:
    """The plans' indicators of one unit against its population and targets, a line each."""
    if not any((row.target, row.population_16, row.households_target,
                *(getattr(row, g) for g in plans.GOALS))):
        return [msg.INDICATORS_NONE.format(year=year)]
    return [msg.INDICATORS_HEAD.format(year=year),
            _indicator(msg.IND_COMPLETION, row.completions_to_date, row.target, row.completion_rate,
                       row.goal_completion),
            _indicator(msg.IND_CONFIRMED, row.platform_confirmed, row.target, row.confirmed_rate, row.goal_confirmed),
            _indicator(msg.IND_VNEID, row.vneid_level2_16, row.population_16, row.vneid_rate, row.goal_vneid),
            _indicator(msg.IND_HOUSEHOLDS, row.households_part, row.households_target, row.households_rate,
                       row.goal_households, done=row.households_done)]


def children_lines(rows: list[stats.Row], limit: int = 30) -> list[str]:
    """Units below, the furthest behind first (completion rate, then count), at most `limit` lines."""
    shown = [r for r in rows if r.registered or r.target or r.completions_to_date]
    shown.sort(key=lambda r: (r.completion_rate if r.completion_rate is not None else 2.0, r.completions_to_date,
                              r.name))
    if not shown:
        return []
    lines = [msg.IND_CHILDREN]
    for r in shown[:limit]:
        lines.append(msg.IND_CHILD.format(
            name=r.name[:40],
            completion=percent(r.completion_rate) if r.completion_rate is not None else r.completions_to_date,
            confirmed=percent(r.confirmed_rate) if r.confirmed_rate is not None else r.platform_confirmed,
            vneid=percent(r.vneid_rate) if r.vneid_rate is not None else r.vneid_level2_16,
            households=percent(r.households_rate) if r.households_rate is not None else r.households_part))
    if len(shown) > limit:
        lines.append(msg.IND_MORE.format(n=len(shown) - limit))
    return lines
