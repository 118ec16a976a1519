"""Statistics as CSV and XLSX files, for the web downloads, `kynangso stats` and the quarterly report.

A text cell that starts with = + - @ (or a tab or carriage return) would run as a formula when a
spreadsheet opens the file, so every text cell is neutralised with a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot import messages as msg
from bot.report_text import age_name, group_name, member_name, period_label, title
from storage import stats, teams

if TYPE_CHECKING:
    from openpyxl import Workbook

    from rag.knowledge import KnowledgeBase

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PERCENT_COLUMNS = stats.RATE_COLUMNS


def neutralise(value: Any) -> Any:
    """A text value that cannot start a spreadsheet formula; other values unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _value(row: stats.Row, column: str) -> Any:
    value = getattr(row, column)
    return round(value, 4) if isinstance(value, float) else value


def unit_rows(report: stats.Report) -> list[tuple[str, str, stats.Row]]:
    """(code, name, row) for each child unit, then the total; code is "" for a thôn."""
    rows = [(child.child_code or "", child.name, child) for child in report.children]
    return [*rows, (report.scope.code, msg.STATS_TOTAL, report.total)]


def to_csv(report: stats.Report, labels: Mapping[str, str]) -> str:
    """The per-unit table (children, then the total) as CSV with Vietnamese headers."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([msg.STATS_UNIT_CODE, msg.STATS_UNIT, *(labels.get(c, c) for c in stats.COLUMNS)])
    for code, name, row in unit_rows(report):
        writer.writerow([neutralise(code), neutralise(name),
                         *("" if (v := _value(row, c)) is None else v for c in stats.COLUMNS)])
    return out.getvalue()


def indicators(row: stats.Row) -> list[tuple[str, int, int | None, float | None, int | None]]:
    """The plans' indicators of a unit: (label, reached, base, rate, target %), in the plans' order."""
    return [
        (msg.INDICATOR_NAMES["completion"], row.completions_to_date, row.target, row.completion_rate,
         row.goal_completion),
        (msg.INDICATOR_NAMES["confirmed"], row.platform_confirmed, row.target, row.confirmed_rate, row.goal_confirmed),
        (msg.INDICATOR_NAMES["vneid"], row.vneid_level2_16, row.population_16, row.vneid_rate, row.goal_vneid),
        (msg.INDICATOR_NAMES["households"], row.households_part, row.households_target, row.households_rate,
         row.goal_households),
        (msg.INDICATOR_NAMES["households_done"], row.households_done, row.households_target,
         row.households_done_rate, None),
    ]


def indicator_status(rate: float | None, goal: int | None) -> str:
    """"Đạt", "Chưa đạt" or "" (no target, or no population to measure against)."""
    if goal is None or rate is None:
        return ""
    return msg.INDICATOR_MET if rate * 100 >= goal - 1e-9 else msg.INDICATOR_NOT_MET


def lesson_title(kb: KnowledgeBase | None, lesson_id: str) -> str:
    """A lesson's title from the knowledge base, or its id when unknown."""
    lesson = kb.lesson(lesson_id) if kb is not None else None
    return lesson.title if lesson is not None else lesson_id


def topic_names(kb: KnowledgeBase | None) -> dict[str, str]:
    """Topic id -> a readable name from the topic map (what the topic covers)."""
    if kb is None:
        return {}
    names = {}
    for topic, info in kb.topics.topics.items():
        about = str(info.get("about") or topic)
        names[topic] = about[:1].upper() + about[1:]
    return names


def _sheet(wb: Workbook, name: str, heading: str, header: list[str], rows: list[list[Any]],
           percent: frozenset[int] = frozenset()) -> None:
    ws = wb.create_sheet(name[:31])
    from openpyxl.styles import Alignment, Font  # imported on the first export, not by every web worker

    ws.append([neutralise(heading)])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([neutralise(h) for h in header])
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        ws.append([neutralise(v) for v in row])
    for col in percent:
        for (cell,) in ws.iter_rows(min_row=3, min_col=col + 1, max_col=col + 1):
            cell.number_format = "0.0%"
    for i, _ in enumerate(header):
        letter = ws.cell(row=2, column=i + 1).column_letter
        ws.column_dimensions[letter].width = 42 if i == 1 else 16
    ws.freeze_panes = "C3" if len(header) > 2 else "A3"


TEAM_UNIT_COLUMNS = ("communes", "communes_with_volunteers", "volunteers", "members", "hamlets_known",
                     "hamlets_covered", "hamlets_uncovered", "sessions", "people", "nudges")


def team_rows(team: teams.TeamReport) -> tuple[list[str], list[list[Any]]]:
    """The team table: a commune's members (then the commune's total), or a province's communes / the country's
    provinces (then the total)."""
    lab = msg.TEAM_LABELS
    if team.scope.ward_code is not None:
        topics = list(msg.SUPPORT_TOPICS)
        header = [lab["member"], lab["role"], lab["hamlets"], lab["linked"], lab["completed"], lab["sessions"],
                  lab["people"], *(f"{lab['people']}: {msg.SUPPORT_TOPICS[t]}" for t in topics), lab["nudges"]]
        rows: list[list[Any]] = [
            [member_name(m), msg.TEAM_ROLE_NAMES.get(m.role, m.role), ", ".join(m.hamlets), m.linked, m.completed,
             m.sessions, m.people, *(m.by_topic.get(t, 0) for t in topics), m.nudges] for m in team.members]
        t = team.total
        rows.append([msg.STATS_TOTAL, "", "", sum(m.linked for m in team.members),
                     sum(m.completed for m in team.members), t.sessions, t.people,
                     *(team.by_topic.get(x, (0, 0))[1] for x in topics), t.nudges])
        return header, rows
    header = [msg.STATS_UNIT_CODE, msg.STATS_UNIT, *(lab[c] for c in TEAM_UNIT_COLUMNS)]
    rows = [[r.child_code or "", r.name, *(getattr(r, c) for c in TEAM_UNIT_COLUMNS)] for r in team.children]
    rows.append([team.scope.code, msg.STATS_TOTAL, *(getattr(team.total, c) for c in TEAM_UNIT_COLUMNS)])
    return header, rows


def uncovered_rows(team: teams.TeamReport) -> tuple[list[str], list[list[Any]]]:
    """Where nobody is on the team: a commune's thôn without a member covering them, or the communes of a
    province or the country without a volunteer."""
    lab = msg.TEAM_LABELS
    if team.scope.ward_code is not None:
        return [lab["hamlet"], lab["learners"]], [[h.name, h.learners] for h in team.hamlets if not h.covered_by]
    return ([lab["commune_code"], lab["commune"], lab["province"]],
            [[f"X{code}", name, province] for code, name, province in team.no_volunteer])


def to_xlsx(report: stats.Report, labels: Mapping[str, str], kb: KnowledgeBase | None = None,
            team: teams.TeamReport | None = None) -> bytes:
    """A workbook with one sheet per table: units (children and total), groups, ages, lessons, topics, and with
    `team` the Tổ công nghệ số (members or units) and the places without a volunteer."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    heading = title(report)
    columns = list(stats.COLUMNS)
    _sheet(wb, msg.XLSX_SHEETS["units"], heading,
           [msg.STATS_UNIT_CODE, msg.STATS_UNIT, *(labels.get(c, c) for c in columns)],
           [[code, name, *(_value(row, c) for c in columns)] for code, name, row in unit_rows(report)],
           frozenset(i + 2 for i, c in enumerate(columns) if c in PERCENT_COLUMNS))
    _sheet(wb, msg.XLSX_SHEETS["indicators"], heading,
           [msg.STATS_UNIT, msg.INDICATOR, msg.INDICATOR_REACHED, msg.INDICATOR_BASE, msg.INDICATOR_RATE,
            msg.INDICATOR_GOAL, msg.INDICATOR_STATUS],
           [[name, label, n, base, rate, goal, indicator_status(rate, goal)]
            for _code, name, row in unit_rows(report) for label, n, base, rate, goal in indicators(row)],
           frozenset({4}))
    breakdown_header = [msg.STATS_GROUP, labels.get("registered", "registered"),
                        labels.get("completions", "completions")]
    _sheet(wb, msg.XLSX_SHEETS["groups"], heading,
           [*breakdown_header, msg.STATS_GROUP_POPULATION, msg.STATS_GROUP_RATE],
           [[group_name(b.key), b.registered, b.completions, b.target, b.completion_rate] for b in report.by_group],
           frozenset({4}))
    _sheet(wb, msg.XLSX_SHEETS["ages"], heading, [msg.STATS_AGE, *breakdown_header[1:]],
           [[age_name(b.key), b.registered, b.completions] for b in report.by_age])
    _sheet(wb, msg.XLSX_SHEETS["lessons"], heading,
           [msg.STATS_LESSON_ID, msg.STATS_LESSON, msg.STATS_LESSON_QUIZZES, msg.STATS_LESSON_AVG,
            msg.STATS_LESSON_PASSED],
           [[ls.lesson_id, lesson_title(kb, ls.lesson_id), ls.quizzes,
             round(ls.avg_score, 4) if ls.avg_score is not None else None, ls.passed] for ls in report.by_lesson],
           frozenset({3}))
    names = topic_names(kb)
    _sheet(wb, msg.XLSX_SHEETS["topics"], heading, [msg.STATS_TOPIC_ID, msg.STATS_TOPIC, msg.STATS_QUESTIONS],
           [[topic, names.get(topic, topic), n]
            for topic, n in sorted(report.questions_by_topic.items(), key=lambda kv: (-kv[1], kv[0]))])
    if team is not None:
        period = period_label(team.since, team.until)
        header, rows = team_rows(team)
        _sheet(wb, msg.XLSX_SHEETS["team"], msg.TEAM_SHEET_TITLE.format(unit=team.scope.name, period=period),
               header, rows)
        header, rows = uncovered_rows(team)
        _sheet(wb, msg.XLSX_SHEETS["uncovered"], msg.TEAM_UNCOVERED_TITLE.format(unit=team.scope.name), header, rows)
    wb.properties.title = neutralise(heading)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
