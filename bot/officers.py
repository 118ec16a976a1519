"""The officers' side of the chat: `/thongke` (a unit's figures, with a chart to forward) and `/ghichu` (the
"khó khăn, vướng mắc, đề xuất" note of the report being prepared)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot import messages as msg
from bot.answers import main_menu
from bot.charts import timeline_png
from bot.commands import Call, Commands
from bot.config import ReportSettings
from bot.report_text import children_lines, indicator_lines, note_period, percent, rate_text
from bot.team import TeamDesk
from bot.types import Button, Prompt, Reply
from storage import periods, plans, roles, stats, teams, units
from storage.models import User, utcnow


class OfficerDesk:
    """Shared by every chat: the pass rule, the report settings and where charts are drawn."""

    def __init__(self, data_dir: Path, pass_ratio: float, reports: ReportSettings) -> None:
        self.data_dir = data_dir
        self.pass_ratio = pass_ratio
        self.reports = reports

    def register(self, commands: Commands) -> None:
        commands.add("/thongke", self._stats_command)
        commands.add("/ghichu", self._note_command)

    async def _stats_command(self, c: Call) -> list[Reply]:
        return [await self.stats(c.s, c.user, c.arg)]

    async def _note_command(self, c: Call) -> list[Reply]:
        return [await self.note(c.s, c.user, " ".join(c.args))]

    async def stats(self, s: AsyncSession, user: User, unit: str | None) -> Reply:
        """Statistics for an admin's unit (or a unit below it); everyone else is told kindly it is not for them."""
        staff = await roles.staff_of(s, user.id)
        if staff is None or staff.role not in roles.STATS_ROLES:
            return Reply(msg.STATS_FORBIDDEN, main_menu())
        try:
            scope = units.Scope.parse(unit) if unit else roles.home_scope(staff)
        except ValueError:
            return Reply(msg.STATS_BAD_UNIT.format(unit=(unit or "")[:20]))
        now = utcnow()
        try:  # the statistics module checks the unit itself
            overall = await stats.report_for(s, staff, scope, None, now, self.pass_ratio, declined_limit=0)
            recent = await stats.report_for(s, staff, scope, now - timedelta(days=30), now, self.pass_ratio,
                                            declined_limit=0)
        except roles.ScopeError:
            return Reply(msg.STATS_FORBIDDEN)
        t, r = overall.total, recent.total
        lines = [msg.STATS_TEXT.format(unit=scope.name, registered=t.registered, vneid=t.vneid_level2,
                                       active=r.active, quizzes=r.quizzes, avg=percent(r.avg_score),
                                       passed=t.lessons_passed, completions=t.completions, rate=rate_text(t),
                                       sessions=t.support_sessions, people=t.people_helped,
                                       confirmed=t.platform_confirmed)]
        team = await teams.report(s, scope, now - timedelta(days=30), now)
        lines.append(TeamDesk.stats_line(team))
        lines += ["", *indicator_lines(t, plans.plan_year(now))]
        below = children_lines([c for c in overall.children if c.key != stats.WHOLE_COMMUNE])
        if below:
            lines += ["", *below]
        # The same numbers as a picture: completions week by week, to forward in a report group.
        chart = self.data_dir / "images" / f"thong-ke-{scope.code}-{now:%Y%m%d%H%M%S%f}.png"
        chart.parent.mkdir(parents=True, exist_ok=True)
        chart.write_bytes(await asyncio.to_thread(timeline_png, overall))
        return Reply("\n".join(lines), (Button(msg.BTN_STAFF_TEAM, f"/tocongnghe {scope.code}"),),
                     image_path=str(chart))

    async def note(self, s: AsyncSession, user: User, text: str) -> Reply:
        """A commune or province officer's "khó khăn, vướng mắc, đề xuất" for the report being prepared."""
        staff = await roles.staff_of(s, user.id)
        if staff is None or not staff.active or staff.role not in ("commune_admin", "province_admin"):
            return Reply(msg.STATS_FORBIDDEN, main_menu())
        unit = roles.home_scope(staff).code
        period = note_period(utcnow(), self.reports.period_cutoff_day, self.reports.report_days)
        label = msg.REPORT_NOTE_PERIOD.format(quarter=period.number, year=period.year)
        if not text.strip():
            current = await periods.report_note(s, unit, period.label)
            return Reply(msg.REPORT_NOTE_ASK.format(period=label, current=current or msg.REPORT_NOTE_EMPTY),
                         prompt=Prompt("report.note", "note", msg.REPORT_NOTE_AGAIN))
        await periods.save_report_note(s, unit, period.label, text.strip()[:2000], staff.id)
        return Reply(msg.REPORT_NOTE_SAVED.format(period=label))
