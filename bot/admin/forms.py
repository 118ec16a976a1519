"""What the admin pages read from a request: the period filter, a unit's yearly plan typed into the targets
form, and how numbers are shown in the tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from bot import messages as msg
from bot import report_text
from bot.admin import exports
from storage import stats
from storage.models import TZ


@dataclass
class Period:
    """The period a page shows: [since, until) in Vietnam time, as chosen in the filter form."""

    since: datetime | None = None
    until: datetime | None = None
    preset: str = "all"
    since_text: str = ""
    until_text: str = ""
    error: bool = False

    def query(self) -> str:
        """The period as a query string for links (charts, downloads, drill-down)."""
        if self.preset in ("30d", "quarter"):
            return urlencode({"preset": self.preset})
        params = {k: v for k, v in (("since", self.since_text), ("until", self.until_text)) if v}
        return urlencode(params)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=TZ)


def parse_period(params: dict[str, str], today: date) -> Period:
    """A period from query parameters: a preset (30 ngày, quý này, từ đầu) or from/to dates (both inclusive)."""
    preset = params.get("preset", "")
    if preset == "30d":
        start = today - timedelta(days=29)
        return Period(_midnight(start), None, preset, start.isoformat())
    if preset == "quarter":
        start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        return Period(_midnight(start), None, preset, start.isoformat())
    since_text, until_text = params.get("since", "").strip(), params.get("until", "").strip()
    if preset == "all" or not (since_text or until_text):
        return Period()
    try:
        since = date.fromisoformat(since_text) if since_text else None
        until = date.fromisoformat(until_text) if until_text else None
    except ValueError:
        return Period(error=True)
    if since and until and until < since:
        return Period(error=True)
    return Period(_midnight(since) if since else None, _midnight(until + timedelta(days=1)) if until else None,
                  "custom", since_text, until_text)


def num(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return f"{int(value):,}".replace(",", ".")


def cell(value: Any, column: str) -> str:
    if column in stats.GOAL_COLUMNS:
        return "–" if value is None else f"{value}%"
    return report_text.percent(value) if column in exports.PERCENT_COLUMNS else num(value)


UNIT_FIELDS = (("t", "population"), ("p16", "population_16"), ("h", "households"))
GOAL_FIELDS = (("goal_completion", "Hoàn thành chương trình (% dân số trưởng thành)"),
               ("goal_confirmed", "Xác nhận trên nền tảng Bình dân học vụ số (% dân số trưởng thành)"),
               ("goal_vneid", "Có VNeID mức 2 (% dân số từ 16 tuổi)"),
               ("goal_households", "Hộ tham gia (% số hộ)"))


def plan_fields(plan: Any) -> dict[str, Any]:
    """The form's values of a stored plan."""
    out: dict[str, Any] = {name: getattr(plan, name) for _, name in UNIT_FIELDS}
    out.update({goal: getattr(plan, goal) for goal, _ in GOAL_FIELDS})
    out["groups"] = dict(plan.groups or {})
    return out


def _whole(raw: str, limit: int) -> int | None | str:
    """A typed whole number ("1.000" -> 1000), None when empty, "bad" otherwise."""
    raw = raw.strip().replace(".", "").replace(" ", "").replace(",", "")
    if not raw:
        return None
    return int(raw) if raw.isdigit() and int(raw) <= limit else "bad"


def read_plan_form(form: dict[str, str], units: list[tuple[str, str]], own: str) -> tuple[
        dict[str, dict[str, Any]], str]:
    """The plans typed in the form, per unit code; or an error naming the first unit with a wrong number."""
    values: dict[str, dict[str, Any]] = {}
    for code, name in units:
        plan: dict[str, Any] = {}
        for prefix, field_name in UNIT_FIELDS:
            value = _whole(form.get(f"{prefix}_{code}", ""), 10**9)
            if value == "bad":
                return {}, msg.ADMIN_BAD_TARGET.format(unit=name)
            plan[field_name] = value
        for goal, _ in GOAL_FIELDS:
            value = _whole(form.get(goal, ""), 100) if code == own else None
            if value == "bad":
                return {}, msg.ADMIN_BAD_GOAL
            plan[goal] = value
        groups = {}
        if code == own:
            for key, label in msg.GROUPS.items():
                value = _whole(form.get(f"g_{key}", ""), 10**9)
                if value == "bad":
                    return {}, msg.ADMIN_BAD_TARGET.format(unit=label)
                if value:
                    groups[key] = value
        plan["groups"] = groups or None
        values[code] = plan
    return values, ""
