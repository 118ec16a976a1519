"""`kynangso stats`: a unit's completion statistics as a terminal table, JSON, CSV or XLSX."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import textwrap
from pathlib import Path
from typing import Any, TextIO

from bot.config import Settings


async def stats_report(settings: Settings, unit: str, since: str | None, until: str | None,
                       with_team: bool = False) -> Any:
    """The statistics report for a unit code and an optional period (dates as YYYY-MM-DD, Vietnam time); with
    `with_team`, the pair (report, the unit's Tổ công nghệ số report)."""
    from datetime import datetime

    from rag.programme import pass_ratio
    from storage.db import Database
    from storage.models import TZ as tz
    from storage.stats import report
    from storage.units import Scope

    def day(value: str | None) -> datetime | None:
        return datetime.fromisoformat(value).replace(tzinfo=tz) if value else None

    ratio = pass_ratio(settings.knowledge_dir)
    db = Database(settings.database_url)
    try:
        async with db.transaction() as s:
            rep = await report(s, Scope.parse(unit), day(since), day(until), ratio)
            if not with_team:
                return rep
            from storage import teams

            return rep, await teams.report(s, rep.scope, day(since), day(until))
    finally:
        await db.dispose()


def stats_json(rep: Any) -> dict[str, Any]:
    """A report as plain JSON data (the `--format json` output)."""
    return {"unit": rep.scope.name, "code": rep.scope.code,
            "since": rep.since.isoformat() if rep.since else None,
            "until": rep.until.isoformat() if rep.until else None,
            "total": rep.total.as_dict(), "children": [r.as_dict() for r in rep.children],
            "by_group": [vars(b) for b in rep.by_group], "by_age": [vars(b) for b in rep.by_age],
            "by_lesson": [vars(ls) for ls in rep.by_lesson], "questions_by_topic": rep.questions_by_topic,
            "declined_questions": [list(q) for q in rep.declined_questions],
            "timeline": [[d.isoformat(), n] for d, n in rep.timeline]}


def stats_table(rep: Any) -> str:
    """A report as two narrow text tables (learning, then plans and support): a line per child unit, then the
    total, with Vietnamese headings short enough for a terminal (the legend below spells them out)."""
    from bot import messages as msg
    from bot.report_text import percent
    from storage.stats import GOAL_COLUMNS, RATE_COLUMNS

    def show(value: Any, column: str) -> str:
        if value is None:
            return "–"
        if column in RATE_COLUMNS:
            return percent(value)
        return f"{value}%" if column in GOAL_COLUMNS else str(value)

    name_width = 26
    rows = [*rep.children, rep.total]
    out = [f"{rep.scope.name} ({rep.scope.code})"]
    for block in msg.STATS_TABLE_BLOCKS:
        widths = [max(len(msg.STATS_SHORT[c]), *(len(show(getattr(r, c), c)) for r in rows)) for c in block]
        out += ["", f"{msg.STATS_UNIT:{name_width}} " + " ".join(
            f"{msg.STATS_SHORT[c]:>{w}}" for c, w in zip(block, widths, strict=True))]
        for r in rows:
            name = msg.STATS_TOTAL if r is rep.total else r.name
            out.append(f"{name[:name_width]:{name_width}} " + " ".join(
                f"{show(getattr(r, c), c):>{w}}" for c, w in zip(block, widths, strict=True)))
    legend = msg.STATS_LEGEND + " " + "; ".join(
        f"{msg.STATS_SHORT[c]} = {msg.STATS_LABELS[c].lower()}" for block in msg.STATS_TABLE_BLOCKS for c in block)
    out += ["", *textwrap.wrap(legend, 100)]
    return "\n".join(out) + "\n"


def cmd_stats(settings: Settings, unit: str, since: str | None, until: str | None, fmt: str, out: TextIO,
              output: Path | None = None) -> int:
    """Print or save a unit's statistics as a table, JSON, CSV or XLSX (XLSX needs a file or a binary stdout)."""
    from bot import messages as msg
    from bot.admin import exports

    binary = getattr(out, "buffer", None)
    if fmt == "xlsx" and output is None and binary is None:
        out.write("xlsx needs --output FILE\n")
        return 2
    try:
        rep, team = asyncio.run(stats_report(settings, unit, since, until, with_team=True))
    except ValueError as exc:
        out.write(f"{exc}\n")
        return 2
    if fmt == "xlsx":
        from bot.service import load_knowledge

        # For lesson titles and topic names: the lexical index only, no embedding model.
        data = exports.to_xlsx(rep, msg.STATS_LABELS, load_knowledge(settings, with_dense=False), team)
        if output is not None:
            output.write_bytes(data)
        else:
            assert binary is not None
            binary.write(data)
            binary.flush()
        return 0
    if fmt == "json":
        text = json.dumps(stats_json(rep), ensure_ascii=False, indent=2) + "\n"
    elif fmt == "csv":
        text = exports.to_csv(rep, msg.STATS_LABELS)
    else:
        text = stats_table(rep)
    if output is None:
        out.write(text)
    else:
        # A file is usually opened in Excel: the byte-order mark makes it read the CSV as UTF-8.
        output.write_text(("\ufeff" if fmt == "csv" else "") + text, encoding="utf-8", newline="")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    st = sub.add_parser("stats", help="completion statistics for a unit (VN, P<tỉnh>, X<xã/phường>)")
    st.add_argument("--unit", default="VN")
    st.add_argument("--since", default=None, help="YYYY-MM-DD")
    st.add_argument("--until", default=None, help="YYYY-MM-DD (exclusive)")
    st.add_argument("--format", choices=["table", "json", "csv", "xlsx"], default="table")
    st.add_argument("--output", type=Path, default=None, help="write to this file (xlsx: or to a binary stdout)")
    st.set_defaults(handler=lambda settings, args: cmd_stats(settings, args.unit, args.since, args.until,
                                                             args.format, sys.stdout, args.output))
    ce = sub.add_parser("cells", help="the maintained statistics: rebuild them from the raw rows, or check a unit")
    ce.add_argument("action", choices=["rebuild", "check"])
    ce.add_argument("--unit", default="VN")
    ce.set_defaults(handler=lambda settings, args: asyncio.run(cells_command(settings, args.action, args.unit)))


async def cells_command(settings: Settings, action: str, unit: str) -> int:
    """`kynangso cells rebuild`: count every maintained cell again from the raw rows; `check`: compare a unit's
    report from the cells with the raw count for the last 30 days, this year and since the start."""
    from datetime import UTC, datetime, timedelta

    from rag.programme import pass_ratio
    from storage import cells
    from storage.db import Database
    from storage.models import TZ as tz
    from storage.stats import report
    from storage.units import Scope

    ratio = pass_ratio(settings.knowledge_dir)
    db = Database(settings.database_url)
    try:
        if action == "rebuild":
            async with db.transaction() as s:
                await cells.rebuild(s, ratio)
            print("cells rebuilt")
            return 0
        today = datetime.now(tz).replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)
        bad = 0
        year = datetime.now(tz).replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)
        for since in (today - timedelta(days=29), year, None):
            async with db.transaction() as s:
                kept = (await report(s, Scope.parse(unit), since, None, ratio)).total.as_dict()
                counted = (await report(s, Scope.parse(unit), since, None, ratio, from_raw=True)).total.as_dict()
            differ = {k: (kept[k], v) for k, v in counted.items() if kept[k] != v and not isinstance(v, float)}
            bad += bool(differ)
            print(f"{since.astimezone(tz).date() if since else 'start'}: {differ or 'equal'}")
        return 1 if bad else 0
    finally:
        await db.dispose()
