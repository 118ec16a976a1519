"""Scheduled reports (weekly digest, quarterly XLSX) and the signed push of totals between two instances."""

from __future__ import annotations

import asyncio
import io
import json
import socket
import time
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import uvicorn
from pydantic import SecretStr
from sqlalchemy import func, insert, select

from bot import messages as msg
from bot import report_text, reports
from bot.app import report_deps
from bot.config import ReportSettings
from bot.service import Tutor
from bot.types import Reply
from bot.web import build_app
from rag.knowledge import KnowledgeBase
from storage import periods, roles, stats, teams, units
from storage.db import Database, upgrade
from storage.models import Completion, JobRun, OutboxItem, SupportSession, UpstreamReport, User
from storage.units import Scope

HONG_BANG = units.find_communes("hong bang")[0]
NOW = datetime(2026, 12, 16, 3, tzinfo=UTC)  # 10:00 in Vietnam, inside the quarterly window
KEY = "khoa-bi-mat-chung"


async def _population(tutor: Tutor, n: int = 12) -> None:
    rows = [dict(channel="zalo", channel_user_id=f"z{i}", context={}, active=True,
                 consent_at=NOW - timedelta(days=3 if i % 3 else 40), last_seen_at=NOW - timedelta(days=1),
                 province_code=HONG_BANG.province_code, ward_code=HONG_BANG.code, hamlet="Thôn 1")
            for i in range(n)]
    async with tutor.db.transaction() as s:
        await s.execute(insert(User), rows)
        await s.execute(insert(Completion), [dict(programme="P", province_code=HONG_BANG.province_code,
                                                  ward_code=HONG_BANG.code, completed_at=NOW - timedelta(days=2))
                                             for _ in range(3)])
        await s.execute(insert(SupportSession), [dict(topic="vneid", people=6, province_code=HONG_BANG.province_code,
                                                      ward_code=HONG_BANG.code, created_at=NOW - timedelta(days=2))])


async def _admins(tutor: Tutor) -> None:
    async with tutor.db.transaction() as s:
        await roles.grant(s, "console", "xa", "commune_admin", Scope(HONG_BANG.province_code, HONG_BANG.code))
        await roles.grant(s, "console", "tinh", "province_admin", Scope(HONG_BANG.province_code))
        await roles.grant(s, "console", "tnv", "volunteer", Scope(HONG_BANG.province_code, HONG_BANG.code))


async def _outbox(tutor: Tutor) -> dict[str, list[Reply]]:
    async with tutor.db.transaction() as s:
        rows = (await s.execute(select(OutboxItem).order_by(OutboxItem.id))).scalars().all()
        out: dict[str, list[Reply]] = {}
        for o in rows:
            out.setdefault(o.channel_user_id, []).append(Reply.from_payload(o.payload))
        return out


async def test_weekly_digest_once_per_admin_across_two_schedulers(tutor: Tutor, db_url: str) -> None:
    await _population(tutor)
    await _admins(tutor)
    second = Tutor(tutor.settings, Database(db_url), tutor.kb)  # another scheduler process on the same database
    try:
        counts = await asyncio.gather(reports.weekly_digest(tutor.db, tutor.kb, NOW),
                                      reports.weekly_digest(second.db, second.kb, NOW))
        assert sum(counts) == 2
        later = NOW + timedelta(hours=3)
        assert await reports.weekly_digest(second.db, second.kb, later) == 0  # same week: nothing more
    finally:
        await second.db.dispose()
    sent = await _outbox(tutor)
    assert set(sent) == {"xa", "tinh"}  # admins only, one each; volunteers get no digest
    digest = sent["xa"][0].text
    assert digest.startswith(msg.WEEKLY_DIGEST.split("{")[0] + HONG_BANG.label)
    assert "Người học mới đăng ký: 8" in digest  # 8 of the 12 agreed in the last 7 days
    assert "Hoàn thành chương trình: 3" in digest and "Buổi hỗ trợ trực tiếp: 1, giúp 6 lượt người" in digest
    assert await reports.weekly_digest(tutor.db, tutor.kb, NOW + timedelta(days=7)) == 2  # next week, again once each


async def test_quarterly_report_xlsx_once_per_period(tutor: Tutor, db_url: str, tmp_path: Path) -> None:
    import openpyxl

    tutor.settings = tutor.settings.model_copy(update={"data_dir": tmp_path})
    await _population(tutor)
    await _admins(tutor)
    assert await reports.quarterly_report(report_deps(tutor), NOW - timedelta(days=10)) == 0  # 6 December: not yet due
    second = Tutor(tutor.settings, Database(db_url), tutor.kb)
    try:
        counts = await asyncio.gather(reports.quarterly_report(report_deps(tutor), NOW),
                                      reports.quarterly_report(report_deps(second), NOW))
    finally:
        await second.db.dispose()
    assert sum(counts) == 2
    assert await reports.quarterly_report(report_deps(tutor), NOW + timedelta(days=2)) == 0
    sent = await _outbox(tutor)
    report = sent["xa"][0]
    assert report.text.startswith("📑 Báo cáo quý 4/2026") and report.file_path
    book = openpyxl.load_workbook(io.BytesIO(Path(report.file_path).read_bytes()))
    cells = [str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert HONG_BANG.name in " ".join(cells) or HONG_BANG.label in " ".join(cells)
    assert "Thôn 1" in cells  # the commune's report goes down to thôn
    async with tutor.db.transaction() as s:
        runs = (await s.execute(select(func.count()).select_from(JobRun).where(
            JobRun.job == "quarterly-report"))).scalar_one()
    assert runs == 2


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def parent(tmp_path: Path, kb: KnowledgeBase, settings: object) -> AsyncIterator[tuple[Tutor, str]]:
    """A second instance (the national level) on its own database, serving its web app on loopback."""
    from bot.config import Settings

    assert isinstance(settings, Settings)
    url = f"sqlite+aiosqlite:///{tmp_path / 'parent.db'}"
    await asyncio.to_thread(upgrade, url)
    cfg = settings.model_copy(update={"database_url": url, "reports": ReportSettings(
        downstream_keys={"tinh-hai-phong": SecretStr(KEY)})})
    tutor = Tutor(cfg, Database(url), kb)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(build_app(tutor, cfg), host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        yield tutor, f"http://127.0.0.1:{port}/api/upstream"
    finally:
        server.should_exit = True
        await task
        await tutor.db.dispose()


async def test_signed_push_between_two_instances(tutor: Tutor, parent: tuple[Tutor, str]) -> None:
    home, url = parent
    await _population(tutor)
    async with tutor.db.transaction() as s:
        # The commune's team (one volunteer covering its only thôn) and the officers' notes for the quarter.
        vol = await roles.grant(s, "console", "tnv", "volunteer", Scope(HONG_BANG.province_code, HONG_BANG.code))
        vol.created_at = NOW - timedelta(days=60)
        await teams.set_coverage(s, vol, ["thôn 1"])
        await periods.save_report_note(s, f"X{HONG_BANG.code}", "2026-Q4",
                                     "Thiếu điện thoại thông minh; đề xuất mượn máy của trường.", None)
        await periods.save_report_note(s, f"P{HONG_BANG.province_code}", "2026-Q4", "Đề xuất tập huấn thêm.", None)
    tutor.settings = tutor.settings.model_copy(update={"reports": ReportSettings(
        upstream_url=url, upstream_key=SecretStr(KEY), source="tinh-hai-phong")})

    # Sent once the quarter is due, and only once.
    assert await reports.push_upstream(report_deps(tutor), NOW - timedelta(days=10)) is False
    assert await reports.push_upstream(report_deps(tutor), NOW) is True
    assert await reports.push_upstream(report_deps(tutor), NOW + timedelta(hours=1)) is False
    async with home.db.transaction() as s:
        stored = (await s.execute(select(UpstreamReport))).scalars().all()
        q4 = periods.Quarter.parse("2026-Q4")
        assert q4 is not None  # 15/09/2026 to 14/12/2026: the parent reads by the same periods
        rolled = await stats.report(s, Scope(province_code=HONG_BANG.province_code), q4.start, NOW)
    assert [(r.source, r.period, r.payload.get("period_from"), r.payload.get("period_to")) for r in stored] == [
        ("tinh-hai-phong", "2026-Q4", "2026-09-15", "2026-12-14")]
    units_sent = stored[0].payload["units"]
    assert all(set(u) - {"note"} == {"province_code", "ward_code", "team", *stats.UPSTREAM_CUMULATIVE,
                                     *stats.UPSTREAM_PERIODIC} for u in units_sent)  # no names, no people
    row = next(r for r in rolled.children if r.key == str(HONG_BANG.code))
    assert (row.registered, row.completions, row.support_sessions, row.people_helped) == (12, 3, 1, 6)
    assert rolled.upstream_sources == ["tinh-hai-phong"]
    # With the totals: the commune's team figures and its officer's note, and the province's own note.
    mine = next(u for u in units_sent if u["ward_code"] == HONG_BANG.code)
    assert mine["team"] == {"members": 1, "volunteers": 1, "hamlets_known": 1, "hamlets_covered": 1,
                            "hamlets_uncovered": 0, "sessions": 1, "people_helped": 6, "nudges": 0}
    assert mine["note"] == "Thiếu điện thoại thông minh; đề xuất mượn máy của trường."
    assert stored[0].payload["notes"] == [{"province_code": HONG_BANG.province_code, "note": "Đề xuất tập huấn thêm."}]
    # What reached the level above is in its own quarterly report: each commune's team and note.
    async with home.db.transaction() as s:
        await roles.grant(s, "console", "quoc-gia", "national_admin", Scope())
    assert await reports.quarterly_report(report_deps(home), NOW) == 1
    text = (await _outbox(home))["quoc-gia"][0].text
    assert msg.PUSHED_HEAD in text
    assert msg.PUSHED_COMMUNE.format(name=HONG_BANG.name, members=1, covered=1, known=1, uncovered=0, people=6,
                                     note=msg.PUSHED_NOTE.format(note=mine["note"])) in text
    assert msg.PUSHED_PROVINCE.format(name=units.province_name(HONG_BANG.province_code),
                                      note=msg.PUSHED_NOTE.format(note="Đề xuất tập huấn thêm.")) in text

    # A replayed request is ignored; forged, stale, unknown or malformed ones are refused and store nothing.
    body = json.dumps({"source": "tinh-hai-phong", "period": "2026-Q4", "units": units_sent}).encode()

    def headers(key: str = KEY, ts: int | None = None, source: str = "tinh-hai-phong") -> dict[str, str]:
        stamp = str(ts if ts is not None else int(time.time()))
        return {reports.SOURCE_HEADER: source, reports.TIMESTAMP_HEADER: stamp,
                reports.SIGNATURE_HEADER: reports.sign(key, stamp, body)}

    async with httpx.AsyncClient() as http:
        replay = await http.post(url, content=body, headers=headers())
        assert replay.status_code == 200 and replay.json() == {"status": "duplicate"}
        assert (await http.post(url, content=body, headers=headers(key="sai"))).status_code == 401
        assert (await http.post(url, content=body, headers=headers(ts=int(time.time()) - 3600))).status_code == 401
        assert (await http.post(url, content=body, headers=headers(source="la"))).status_code == 401
        unsigned = {k: v for k, v in headers().items() if k != reports.SIGNATURE_HEADER}
        assert (await http.post(url, content=body, headers=unsigned)).status_code == 401
        other = next(c for c in units.find_communes("an binh") if c.province_code != HONG_BANG.province_code)
        body = json.dumps({"source": "tinh-hai-phong", "period": "2026-Q3", "units": [
            {"province_code": HONG_BANG.province_code, "ward_code": other.code, "registered": 5}]}).encode()
        assert (await http.post(url, content=body, headers=headers())).status_code == 400
        body = b"[1, 2"
        assert (await http.post(url, content=body, headers=headers())).status_code == 400
        for bad in ({"team": {"members": -1}}, {"note": 5}, {"team": [1]}):
            body = json.dumps({"source": "tinh-hai-phong", "period": "2026-Q3", "units": [
                {"province_code": HONG_BANG.province_code, "ward_code": HONG_BANG.code, **bad}]}).encode()
            assert (await http.post(url, content=body, headers=headers())).status_code == 400
        # A note is kept as text, with any secret masked as everywhere else.
        body = json.dumps({"source": "tinh-hai-phong", "period": "2026-Q3", "units": [
            {"province_code": HONG_BANG.province_code, "ward_code": HONG_BANG.code,
             "note": "Tài khoản chung: mật khẩu là Xa@2026 nhé"}]}).encode()
        assert (await http.post(url, content=body, headers=headers())).status_code == 200
    async with home.db.transaction() as s:
        kept = (await s.execute(select(UpstreamReport.payload).where(UpstreamReport.period == "2026-Q3"))).scalar_one()
        assert (await s.execute(select(func.count()).select_from(UpstreamReport))).scalar_one() == 2
    assert "Xa@2026" not in kept["units"][0]["note"] and "[đã che]" in kept["units"][0]["note"]


async def test_failed_push_is_tried_again(tutor: Tutor) -> None:
    await _population(tutor, n=2)
    tutor.settings = tutor.settings.model_copy(update={"reports": ReportSettings(
        upstream_url=f"http://127.0.0.1:{_free_port()}/api/upstream", upstream_key=SecretStr(KEY), source="x")})
    assert await reports.push_upstream(report_deps(tutor), NOW) is False  # nobody listening
    async with tutor.db.transaction() as s:
        assert (await s.execute(select(func.count()).select_from(JobRun))).scalar_one() == 0  # not marked done


# ---------------------------------------------------------------- report periods


def test_report_periods_tile_time_with_the_decree_cutoff_and_with_calendar_quarters() -> None:
    from storage.periods import Quarter

    q1 = Quarter.parse("2027-Q1")
    assert q1 is not None
    assert (q1.start.date(), q1.last_day) == (date(2026, 12, 15), date(2027, 3, 14))  # NĐ 09/2019, Điều 12
    vn = ZoneInfo("Asia/Ho_Chi_Minh")
    assert Quarter.of(datetime(2027, 3, 14, 23, 59, 59, tzinfo=vn)).label == "2027-Q1"
    assert Quarter.of(datetime(2027, 3, 15, 0, 0, 0, tzinfo=vn)).label == "2027-Q2"
    assert Quarter.of(datetime(2026, 12, 20, tzinfo=vn)).label == "2027-Q1"  # the year's first period starts 15/12
    assert Quarter.last_closed(datetime(2027, 3, 16, tzinfo=vn)).label == "2027-Q1"
    calendar = Quarter(2027, 1, cutoff=0)
    assert (calendar.start.date(), calendar.last_day) == (date(2027, 1, 1), date(2027, 3, 31))
    for cutoff in (15, 0, 1, 28):
        q = Quarter(2025, 1, cutoff)
        for _ in range(12):  # three years: each period begins where the previous one ended
            assert q.next().start == q.end and q.start < q.end
            q = q.next()


@pytest.mark.parametrize("cutoff", [15, 0])
async def test_a_year_of_activity_is_in_exactly_one_quarterly_report_and_push(tutor: Tutor, cutoff: int) -> None:
    import random

    from storage.periods import Quarter

    vn = ZoneInfo("Asia/Ho_Chi_Minh")
    tutor.settings = tutor.settings.model_copy(update={"reports": tutor.settings.reports.model_copy(
        update={"period_cutoff_day": cutoff})})
    rng = random.Random(cutoff)
    first = Quarter.of(datetime(2026, 1, 10, tzinfo=vn), cutoff)
    periods = [first]
    for _ in range(4):
        periods.append(periods[-1].next())
    span = (periods[0].start, periods[-1].end)
    # Random moments across the five periods, plus every boundary and the instant just before it.
    moments = [span[0] + (span[1] - span[0]) * rng.random() for _ in range(120)]
    for p in periods[1:]:
        moments += [p.start, p.start - timedelta(seconds=1)]
    async with tutor.db.transaction() as s:
        await s.execute(insert(Completion), [dict(programme="P", province_code=HONG_BANG.province_code,
                                                  ward_code=HONG_BANG.code, completed_at=m) for m in moments])
        await s.execute(insert(SupportSession), [dict(topic="vneid", people=2, province_code=HONG_BANG.province_code,
                                                      ward_code=HONG_BANG.code, created_at=m) for m in moments])
    scope = Scope(HONG_BANG.province_code, HONG_BANG.code)
    reported, pushed = [], []
    for p in periods:
        async with tutor.db.transaction() as s:
            rep = await stats.report(s, scope, p.start, p.end, 0.8)
        expected = sum(p.start <= m < p.end for m in moments)
        assert rep.total.completions == expected and rep.total.people_helped == 2 * expected, p.label
        reported.append(rep.total.completions)
        # Run when the report is due: the push covers the period just ended, and says which days it covers.
        due = reports.due_period(tutor.settings.reports, p.end + timedelta(hours=10))
        assert due == p
        payload = await reports.upstream_payload(report_deps(tutor), p, p.end + timedelta(hours=10))
        assert (payload["period_from"], payload["period_to"]) == (p.start.date().isoformat(), p.last_day.isoformat())
        pushed.append(sum(u["completions"] for u in payload["units"]))
    assert sum(reported) == sum(pushed) == len(moments)  # nothing missing, nothing counted twice
    cfg = tutor.settings.reports
    assert reports.due_period(cfg, periods[2].end + timedelta(days=10)) is None  # long after: not due


async def test_an_officers_note_goes_with_the_quarterly_report(tutor: Tutor, tmp_path: Path) -> None:
    """"Khó khăn, vướng mắc, đề xuất": typed in the chat for the period being reported, sent with the report."""
    from storage.models import utcnow
    from tests.chat import ScriptedChat

    tutor.settings = tutor.settings.model_copy(update={"data_dir": tmp_path})
    await _population(tutor)
    await _admins(tutor)

    async def say(user: str, text: str) -> list[Reply]:
        return await ScriptedChat(tutor, user).say(text)

    asked = await say("xa", "ghi chu bao cao")
    assert msg.REPORT_NOTE_EMPTY in asked[-1].text
    saved = await say("xa", "Thiếu điện thoại thông minh cho người cao tuổi ở thôn 1; đề xuất mượn máy của trường.")
    period = report_text.note_period(utcnow(), 15, 5)
    assert saved[-1].text == msg.REPORT_NOTE_SAVED.format(period=msg.REPORT_NOTE_PERIOD.format(
        quarter=period.number, year=period.year))
    assert (await say("tnv", "/ghichu không được"))[-1].text == msg.STATS_FORBIDDEN  # volunteers cannot
    async with tutor.db.transaction() as s:
        assert "mượn máy" in (await periods.report_note(s, f"X{HONG_BANG.code}", period.label) or "")
        await periods.save_report_note(s, f"X{HONG_BANG.code}", "2026-Q4", "Đề xuất thêm lớp buổi tối.", None)
    assert await reports.quarterly_report(report_deps(tutor), NOW) == 2
    sent = {user: [r for r in replies if r.text.startswith("📑")] for user, replies in (await _outbox(tutor)).items()}
    assert msg.REPORT_NOTE_IN_REPORT.format(note="Đề xuất thêm lớp buổi tối.") in sent["xa"][0].text
    assert "Đề xuất" not in sent["tinh"][0].text  # the province's report carries the province's own note


async def test_the_annual_report_covers_its_four_quarters_once(tutor: Tutor, tmp_path: Path) -> None:
    """After the fourth quarter: a report of the whole year on the same periods (15/12/2025 to 14/12/2026),
    once per admin; not after the other quarters."""
    tutor.settings = tutor.settings.model_copy(update={"data_dir": tmp_path})
    await _population(tutor)
    await _admins(tutor)
    async with tutor.db.transaction() as s:  # a completion just before the year began: not in it
        await s.execute(insert(Completion), [dict(programme="P", province_code=HONG_BANG.province_code,
                                                  ward_code=HONG_BANG.code,
                                                  completed_at=datetime(2025, 12, 14, 16, 59, tzinfo=UTC))])
    deps = report_deps(tutor)
    assert await reports.annual_report(deps, NOW - timedelta(days=90)) == 0  # after the third quarter: none
    assert await reports.annual_report(deps, NOW) == 2
    assert await reports.annual_report(deps, NOW + timedelta(days=1)) == 0
    sent = {u: [r for r in rs if r.text.startswith("📑")] for u, rs in (await _outbox(tutor)).items()}
    text = sent["xa"][0].text
    assert text.startswith("📑 Báo cáo năm 2026") and "từ 15/12/2025 đến 14/12/2026" in text
    assert "trong kỳ: 3 " in text  # the three of this year, not the one of 14/12/2025
