"""Scheduled reports for admins and the signed push of quarterly totals to a parent instance.

- Weekly digest: Monday morning (Vietnam time), a short message to every commune and province admin
  who has a chat account, about the last 7 days of their unit.
- Quarterly report: in the days after a report period ends (periods.Quarter: by default from the 15th of
  the month before a quarter to the 14th of its last month, so it is made from the 15th, before the plans'
  20th), an XLSX file and a short message to the same admins, covering the whole period.
- Upstream push: when `reports.upstream_url` is set, this instance's quarterly report per commune (totals as
  counts, no personal data; the volunteer team's figures; the officer's note written for the report) and the
  province officers' notes are POSTed as signed JSON to the parent, which adds the totals to its roll-up and
  shows the teams and notes in its own quarterly report.

Every send is claimed in `job_runs` per (period, admin) in the transaction that queues it, so two
schedulers or a restart never send a report twice, and a crash never loses one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy.exc import IntegrityError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot import messages as msg
from bot.admin.exports import to_xlsx
from bot.report_text import indicator_lines, percent, rate_text
from bot.safety import redact
from bot.types import Reply
from storage import periods, plans, repo, roles, stats, teams, units, upstream
from storage.models import (
    TZ,
    Staff,
    utcnow,
)
from storage.periods import Quarter

if TYPE_CHECKING:
    from bot.config import ReportSettings
    from rag.knowledge import KnowledgeBase
    from storage.db import Database

log = logging.getLogger(__name__)

PERIOD = re.compile(r"\d{4}-Q[1-4]")
MAX_BODY = 2_000_000
SIGNATURE_HEADER, TIMESTAMP_HEADER, SOURCE_HEADER = "X-Kynangso-Signature", "X-Kynangso-Timestamp", "X-Kynangso-Source"
REPORT_ROLES = ("commune_admin", "province_admin", "national_admin")
# The volunteer team's figures a push carries per commune (storage.teams.UnitRow), by their name in the payload.
UPSTREAM_TEAM = {"members": "members", "volunteers": "volunteers", "hamlets_known": "hamlets_known",
                 "hamlets_covered": "hamlets_covered", "hamlets_uncovered": "hamlets_uncovered",
                 "sessions": "sessions", "people_helped": "people", "nudges": "nudges"}
MAX_NOTE = 2000  # characters of one officer's note, as the chat keeps it


@dataclass(frozen=True)
class ReportDeps:
    """What the period reports and the upstream push use (wired in bot.app)."""

    db: Database
    cfg: ReportSettings  # settings.reports: periods, due days, the parent's address and key
    data_dir: Path  # the XLSX files go under data_dir/reports
    kb: KnowledgeBase  # its pass ratio, and lesson and topic names in the XLSX


# ---------------------------------------------------------------- periods


def due_period(cfg: ReportSettings, now: datetime, force: bool = False) -> Quarter | None:
    """The report period to report on now: the one that ended last, while its report is due (the first
    `reports.report_days` days after it ended, by the plans' 20th); None outside that time unless forced.

    Periods tile time (periods.Quarter), and each is reported whole after it ended: no activity falls between
    two reports or into both."""
    period = Quarter.last_closed(now, cfg.period_cutoff_day)
    if force or now < period.end + timedelta(days=cfg.report_days):
        return period
    return None




async def _admins(db: Database) -> list[tuple[int, int, str, str]]:
    """(staff id, user id, channel, channel user id) of admins who can be reached in a chat."""
    async with db.transaction() as s:
        return await upstream.report_admins(s, REPORT_ROLES)


# ---------------------------------------------------------------- weekly digest


async def weekly_digest(db: Database, kb: KnowledgeBase, now: datetime | None = None) -> int:
    """Queue this week's digest for every admin who has not had it; return how many were queued."""
    now = now or utcnow()
    iso = now.astimezone(TZ).isocalendar()
    period = f"{iso.year}-W{iso.week:02d}"
    queued = 0
    for staff_id, _user_id, channel, chat in await _admins(db):
        async with db.transaction() as s:
            staff = await s.get(Staff, staff_id)
            if staff is None or not await repo.job_claim(s, "weekly-digest", f"{period}:{staff_id}"):
                continue
            text = await digest_text(s, roles.home_scope(staff), now, kb.pass_ratio, kb)
            await repo.outbox_push(s, channel, chat, Reply(text).to_payload())
            queued += 1
    log.info("weekly digest %s: %d queued", period, queued)
    return queued


async def digest_text(s: Any, scope: units.Scope, now: datetime, pass_ratio: float,
                      kb: KnowledgeBase | None = None) -> str:
    since = now - timedelta(days=7)
    week = await stats.report(s, scope, since, now, pass_ratio, declined_limit=5)
    t = week.total
    lines = [msg.WEEKLY_DIGEST.format(
        unit=scope.name, new=await stats.new_learners(s, scope, since, now), active=t.active, quizzes=t.quizzes,
        avg=percent(t.avg_score), completions=t.completions, to_date=t.completions_to_date, rate=rate_text(t),
        sessions=t.support_sessions, people=t.people_helped, questions=t.questions, declined=t.declined)]
    if week.declined_questions:
        lines += ["", msg.WEEKLY_TOP_DECLINED]
        lines += [msg.WEEKLY_DECLINED_LINE.format(text=q[:80], n=n) for q, n in week.declined_questions]
    up = sum(u for u, _ in week.feedback_by_topic.values())
    down = sum(d for _, d in week.feedback_by_topic.values())
    if up or down:
        lines += ["", msg.WEEKLY_FEEDBACK.format(up=up, down=down)]
    if week.disliked:
        lines.append(msg.WEEKLY_TOP_DISLIKED)
        lines += [msg.WEEKLY_DISLIKED_LINE.format(text=d.text[:80], lesson=_lesson_title(kb, d.lesson_id), n=d.n)
                  for d in week.disliked]
    return "\n".join(lines)


def _lesson_title(kb: KnowledgeBase | None, lesson_id: str) -> str:
    lesson = kb.lesson(lesson_id) if kb is not None and lesson_id else None
    return lesson.title if lesson else lesson_id or "–"


# ---------------------------------------------------------------- quarterly report


async def quarterly_report(deps: ReportDeps, now: datetime | None = None, force: bool = False) -> int:
    """Queue the quarter's XLSX report for every admin who has not had it; return how many were queued."""
    now = now or utcnow()
    quarter = due_period(deps.cfg, now, force)
    if quarter is None:
        return 0
    title = msg.QUARTERLY_TITLE.format(quarter=quarter.number, year=quarter.year)
    return await _period_report(deps, "quarterly-report", quarter.label, title, quarter.start, quarter.end)


async def annual_report(deps: ReportDeps, now: datetime | None = None, force: bool = False) -> int:
    """The year's report, on the same periods (its four quarters: by default 15 December to 14 December), in
    the days after its last quarter ended; return how many were queued."""
    now = now or utcnow()
    quarter = due_period(deps.cfg, now, force)
    if quarter is None or quarter.number != 4:
        return 0
    first = Quarter(quarter.year, 1, quarter.cutoff)
    title = msg.ANNUAL_TITLE.format(year=quarter.year)
    # The officer's note written in those days (filed under the fourth quarter) goes with both reports.
    return await _period_report(deps, "annual-report", str(quarter.year), title, first.start, quarter.end,
                                note_label=quarter.label)


async def _period_report(deps: ReportDeps, job: str, label: str, title: str, start: datetime, end: datetime,
                         note_label: str | None = None) -> int:
    queued = 0
    folder = deps.data_dir / "reports" / label
    last_day = (end - timedelta(days=1)).astimezone(TZ)
    for staff_id, _user_id, channel, chat in await _admins(deps.db):
        async with deps.db.transaction() as s:
            staff = await s.get(Staff, staff_id)
            if staff is None or not await repo.job_claim(s, job, f"{label}:{staff_id}"):
                continue
            scope = roles.home_scope(staff)
            rep = await stats.report(s, scope, start, end, deps.kb.pass_ratio)
            team = await teams.report(s, scope, start, end)
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"bao-cao-{label}-{scope.code}.xlsx"
            path.write_bytes(to_xlsx(rep, msg.STATS_LABELS, deps.kb, team))
            t = rep.total
            note = await periods.report_note(s, scope.code, note_label or label)
            text = msg.QUARTERLY_TEXT.format(
                title=title, unit=scope.name,
                start=start.astimezone(TZ).strftime("%d/%m/%Y"), end=last_day.strftime("%d/%m/%Y"),
                registered=t.registered, completions=t.completions, to_date=t.completions_to_date, rate=rate_text(t),
                sessions=t.support_sessions, people=t.people_helped,
                indicators="\n".join(indicator_lines(t, plans.plan_year(end))))
            if note:
                text += "\n" + msg.REPORT_NOTE_IN_REPORT.format(note=note)
            if note_label is None:  # a quarter: what the communes of instances below pushed for it
                text += "".join("\n" + line for line in pushed_lines(await periods.pushed(s, scope, label)))
            await repo.outbox_push(s, channel, chat, Reply(text, file_path=str(path)).to_payload())
            queued += 1
    log.info("%s %s: %d queued", job, label, queued)
    return queued


def pushed_lines(rows: list[periods.Pushed], limit: int = 30) -> list[str]:
    """What instances below pushed for a quarter beside their counts: each commune's team and note, each
    province's note (the counts themselves are in the totals)."""
    if not rows:
        return []
    lines = ["", msg.PUSHED_HEAD]
    for p in rows[:limit]:
        note = msg.PUSHED_NOTE.format(note=p.note) if p.note else ""
        if p.ward_code is None:
            lines.append(msg.PUSHED_PROVINCE.format(name=p.name, note=note))
            continue
        t = p.team
        lines.append(msg.PUSHED_COMMUNE.format(
            name=p.name, members=t.get("members", 0), covered=t.get("hamlets_covered", 0),
            known=t.get("hamlets_known", 0), uncovered=t.get("hamlets_uncovered", 0),
            people=t.get("people_helped", 0), note=note))
    if len(rows) > limit:
        lines.append(msg.IND_MORE.format(n=len(rows) - limit))
    return lines


# ---------------------------------------------------------------- upstream push (child side)


def sign(key: str, timestamp: str, body: bytes) -> str:
    return hmac.new(key.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


async def upstream_payload(deps: ReportDeps, quarter: Quarter, now: datetime) -> dict[str, Any]:
    """This instance's report for a quarter, per commune: the totals (counts only, never a name or a person), the
    volunteer team's figures (members, thôn covered and not, people helped), and the officer's note for the period
    ("khó khăn, vướng mắc, đề xuất", written for the report); the province officers' notes beside them."""
    until = quarter.end
    async with deps.db.transaction() as s:
        provinces = await upstream.provinces_with_data(s)
        out, province_notes = [], []
        for province in provinces:
            scope = units.Scope(province_code=province)
            rep = await stats.report(s, scope, quarter.start, until, deps.kb.pass_ratio, declined_limit=0)
            team = {row.key: row for row in (await teams.report(s, scope, quarter.start, until)).children}
            for row in rep.children:
                if not row.key:
                    continue
                counts = {m: int(getattr(row, m)) for m in stats.UPSTREAM_CUMULATIVE + stats.UPSTREAM_PERIODIC}
                figures = {field: int(getattr(team[row.key], attr)) for field, attr in UPSTREAM_TEAM.items()} \
                    if row.key in team else {}
                note = await periods.report_note(s, f"X{row.key}", quarter.label)
                if any(counts.values()) or any(figures.values()) or note:
                    unit: dict[str, Any] = {"province_code": province, "ward_code": int(row.key), **counts,
                                            "team": figures or dict.fromkeys(UPSTREAM_TEAM, 0)}
                    if note:
                        unit["note"] = note
                    out.append(unit)
            note = await periods.report_note(s, scope.code, quarter.label)
            if note:
                province_notes.append({"province_code": province, "note": note})
    # The period it covers, first and last day inclusive (Vietnam dates), beside its label.
    return {"source": deps.cfg.source, "period": quarter.label,
            "period_from": quarter.start.date().isoformat(), "period_to": quarter.last_day.isoformat(),
            "generated_at": now.isoformat(), "units": out, "notes": province_notes}


async def push_upstream(deps: ReportDeps, now: datetime | None = None, force: bool = False,
                        client: httpx.AsyncClient | None = None) -> bool:
    """Send this quarter's totals to the parent once; False if not configured, not due, or already sent.

    The period is marked done only after the parent accepted it, so a failed push is tried again next run.
    """
    cfg = deps.cfg
    if not cfg.upstream_url or cfg.upstream_key is None or not cfg.source:
        return False
    now = now or utcnow()
    quarter = due_period(cfg, now, force)
    if quarter is None:
        return False
    async with deps.db.transaction() as s:
        if await upstream.job_done(s, "upstream-push", quarter.label):
            return False
    payload = await upstream_payload(deps, quarter, now)
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    ts = str(int(time.time()))
    headers = {"Content-Type": "application/json", SOURCE_HEADER: cfg.source, TIMESTAMP_HEADER: ts,
               SIGNATURE_HEADER: sign(cfg.upstream_key.get_secret_value(), ts, body)}
    http = client or httpx.AsyncClient(timeout=30)
    try:
        response = await http.post(cfg.upstream_url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        log.error("upstream push %s failed: %s", quarter.label, type(exc).__name__)
        return False  # not claimed: tried again on the next run
    finally:
        if client is None:
            await http.aclose()
    if response.status_code != 200:
        log.error("upstream push %s refused: HTTP %s", quarter.label, response.status_code)
        return False
    # Claimed only once the parent has it; a second scheduler racing here is harmless, since the
    # parent keeps one report per (source, period).
    async with deps.db.transaction() as s:
        await repo.job_claim(s, "upstream-push", quarter.label)
    log.info("upstream push %s: %d communes sent (%s)", quarter.label, len(payload["units"]),
             response.json().get("status"))
    return True


# ---------------------------------------------------------------- upstream receive (parent side)


def upstream_routes(db: Database, cfg: ReportSettings) -> list[Route]:
    """POST /api/upstream: signed quarterly reports from child instances (see push_upstream)."""

    async def receive(request: Request) -> Response:
        source = request.headers.get(SOURCE_HEADER, "")
        key = cfg.downstream_keys.get(source)
        if key is None:
            return JSONResponse({"error": "unknown source"}, status_code=401)
        body = await request.body()
        if len(body) > MAX_BODY:
            return JSONResponse({"error": "too large"}, status_code=413)
        ts = request.headers.get(TIMESTAMP_HEADER, "")
        if not ts.isdigit() or abs(time.time() - int(ts)) > cfg.max_clock_skew:
            return JSONResponse({"error": "stale or missing timestamp"}, status_code=401)
        given = request.headers.get(SIGNATURE_HEADER, "")
        if not hmac.compare_digest(given.encode(), sign(key.get_secret_value(), ts, body).encode()):
            return JSONResponse({"error": "bad signature"}, status_code=401)
        try:
            payload = parse_payload(json.loads(body), source)
        except (ValueError, TypeError, KeyError) as exc:
            return JSONResponse({"error": f"bad payload: {exc}"[:200]}, status_code=400)
        try:
            async with db.transaction() as s:
                stored = await upstream.store_received(s, source, payload["period"], payload,
                                                       f"{payload['period']}: {len(payload['units'])} communes")
                if not stored:
                    return JSONResponse({"status": "duplicate"})  # a replay or a retry: counted once
        except IntegrityError:
            return JSONResponse({"status": "duplicate"})
        log.info("upstream report from %s for %s stored", source, payload["period"])
        return JSONResponse({"status": "stored"})

    return [Route("/api/upstream", receive, methods=["POST"])]


def parse_payload(data: Any, source: str) -> dict[str, Any]:
    """Check a pushed report's shape; keep only known counts, team figures and notes of real communes and
    provinces."""
    from storage import units

    if not isinstance(data, dict) or data.get("source") != source:
        raise ValueError("source does not match")
    period = data.get("period")
    if not isinstance(period, str) or not PERIOD.fullmatch(period):
        raise ValueError("period must look like 2026-Q4")
    rows = data.get("units")
    if not isinstance(rows, list) or len(rows) > 5000:
        raise ValueError("units must be a list")
    clean = []
    for row in rows:
        if not isinstance(row, dict):
            raise ValueError("a unit must be an object")
        ward = row.get("ward_code")
        commune = units.commune(ward) if isinstance(ward, int) else None
        if commune is None or row.get("province_code") != commune.province_code:
            raise ValueError(f"unknown commune {ward!r}")
        unit: dict[str, Any] = {"province_code": commune.province_code, "ward_code": commune.code,
                                **_counts(row, stats.UPSTREAM_CUMULATIVE + stats.UPSTREAM_PERIODIC)}
        if row.get("team") is not None:
            if not isinstance(row["team"], dict):
                raise ValueError("team must be an object")
            unit["team"] = _counts(row["team"], tuple(UPSTREAM_TEAM))
        if row.get("note") is not None:
            unit["note"] = _note(row["note"])
        clean.append(unit)
    notes = data.get("notes") or []
    if not isinstance(notes, list) or len(notes) > 100:
        raise ValueError("notes must be a list")
    province_notes = []
    for item in notes:
        if not isinstance(item, dict) or not isinstance(item.get("province_code"), int) \
                or units.province_name(item["province_code"]) is None:
            raise ValueError("a note must name a province")
        province_notes.append({"province_code": item["province_code"], "note": _note(item.get("note"))})
    covered = {k: data[k] for k in ("period_from", "period_to")
               if isinstance(data.get(k), str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", data[k])}
    return {"source": source, "period": period, **covered, "units": clean, "notes": province_notes}


def _counts(row: dict[str, Any], names: tuple[str, ...]) -> dict[str, int]:
    counts = {}
    for m in names:
        v = row.get(m, 0)
        if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= 100_000_000:
            raise ValueError(f"{m} must be a count")
        counts[m] = v
    return counts


def _note(value: Any) -> str:
    """An officer's note as pushed: text, cut to what the chat keeps, secrets masked as everywhere else."""
    if not isinstance(value, str):
        raise ValueError("a note must be text")
    return redact(" ".join(value.split())[:MAX_NOTE]).text
