"""The command line of the admin side: stats formats and files, web accounts, and `run` serving the web app."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import socket
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import openpyxl
from sqlalchemy import insert, select

from bot import messages as msg
from bot import report_text
from bot.admin import auth, exports
from bot.cli.stats import cmd_stats
from bot.config import ROOT, Settings
from rag.knowledge import KnowledgeBase
from storage import units
from storage.db import Database, upgrade
from storage.models import TZ, Completion, Staff, User

NOW = datetime(2026, 11, 20, tzinfo=UTC)


async def _database(tmp_path: Path) -> tuple[str, units.Commune]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    await asyncio.to_thread(upgrade, url)
    a = units.find_communes("hong bang")[0]
    db = Database(url)
    try:
        async with db.transaction() as s:
            await s.execute(insert(User), [dict(channel="zalo", channel_user_id=str(i), context={}, active=True,
                                                consent_at=NOW, province_code=a.province_code, ward_code=a.code,
                                                hamlet=hamlet, target_group="nguoi-dan", age_band="70+")
                                           for i, hamlet in enumerate(["Thôn 1", "@SUM(A1)", "-1+2"])])
            await s.execute(insert(Completion), [dict(programme="P", province_code=a.province_code, ward_code=a.code,
                                                      hamlet="Thôn 1", target_group="nguoi-dan", completed_at=NOW)])
    finally:
        await db.dispose()
    return url, a


async def test_stats_files_xlsx_csv_and_json(tmp_path: Path) -> None:
    url, a = await _database(tmp_path)
    settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]

    def run(unit: str, fmt: str, output: Path | None = None, since: str | None = None) -> str:
        out = io.StringIO()
        assert cmd_stats(settings, unit, since, None, fmt, out, output) == 0
        return out.getvalue()

    xlsx = tmp_path / "tinh.xlsx"
    assert await asyncio.to_thread(run, f"P{a.province_code}", "xlsx", xlsx) == ""
    sheet = openpyxl.load_workbook(xlsx)[msg.XLSX_SHEETS["units"]]
    assert sheet["A1"].value == msg.STATS_PERIOD.format(unit=units.province_name(a.province_code),
                                                        period=msg.STATS_PERIOD_ALL)
    rows = {r[0]: r for r in sheet.iter_rows(min_row=3, values_only=True)}
    head = [c.value for c in sheet[2]]
    assert rows[f"X{a.code}"][head.index(msg.STATS_LABELS["registered"])] == 3
    assert rows[f"P{a.province_code}"][head.index(msg.STATS_LABELS["completions"])] == 1

    csv_file = tmp_path / "xa.csv"
    await asyncio.to_thread(run, f"X{a.code}", "csv", csv_file)
    text = csv_file.read_text(encoding="utf-8")
    assert text.startswith("\ufeff")  # for Excel
    names = [r[1] for r in csv.reader(io.StringIO(text[1:]))]
    assert "'@SUM(A1)" in names and "'-1+2" in names and "Thôn 1" in names

    data = json.loads(await asyncio.to_thread(run, f"X{a.code}", "json", None, "2026-11-01"))
    assert data["code"] == f"X{a.code}" and data["since"].startswith("2026-11-01T00:00:00+07")
    assert data["total"]["completions"] == 1 and {b["key"]: b["registered"] for b in data["by_age"]}["70+"] == 3
    assert data["timeline"] == [["2026-11-16", 1]]
    table = await asyncio.to_thread(run, f"X{a.code}", "table")
    assert "Thôn 1" in table and "Đăng ký" in table and "Tỷ lệ HT" in table and "registered" not in table
    assert max(len(line) for line in table.splitlines()) <= 130  # fits a terminal, not 340 characters

    # xlsx to a text-only stream is refused kindly; to a binary stdout it is written as is.
    out = io.StringIO()
    assert cmd_stats(settings, "VN", None, None, "xlsx", out) == 2 and "--output" in out.getvalue()
    wrapped = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    assert await asyncio.to_thread(cmd_stats, settings, "VN", None, None, "xlsx", wrapped) == 0
    assert wrapped.buffer.getvalue().startswith(b"PK")  # type: ignore[attr-defined]
    bad = io.StringIO()
    assert await asyncio.to_thread(cmd_stats, settings, "X0", None, None, "csv", bad) == 2


def test_neutralise() -> None:
    for text in ("=1+1", "+84", "-x", "@a", "\tx", "\rx"):
        assert exports.neutralise(text) == "'" + text
    assert exports.neutralise("Thôn 1") == "Thôn 1" and exports.neutralise(-3) == -3
    assert report_text.period_label(datetime(2026, 7, 1, tzinfo=TZ),
                                datetime(2026, 10, 1, tzinfo=TZ)) == "từ 01/07/2026 đến 30/09/2026"
    assert date(2026, 1, 1).isoformat() == "2026-01-01"


def _env(tmp_path: Path, chroma_dir: Path, **extra: str) -> dict[str, str]:
    return dict(os.environ, KYNANGSO_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'run.db'}",
                KYNANGSO_CHROMA__PATH=str(chroma_dir), KYNANGSO_LOG_LEVEL="WARNING", **extra)


def _cli(args: list[str], stdin: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=600, check=False)


async def test_admin_accounts_from_the_command_line(tmp_path: Path, chroma_dir: Path) -> None:
    env = _env(tmp_path, chroma_dir)
    a = units.find_communes("hong bang")[0]
    web = await asyncio.to_thread(_cli, ["admin", "add-web", "--username", "Tinh.HP", "--role", "province_admin",
                                         "--unit", f"P{a.province_code}", "--password-stdin"],
                                  "mot-mat-khau-dai\n", env)
    assert web.returncode == 0 and "web account tinh.hp created" in web.stdout, web.stderr
    chat = await asyncio.to_thread(_cli, ["admin", "add", "--channel", "telegram", "--user", "42", "--role",
                                          "commune_admin", "--unit", f"X{a.code}", "--username", "xa.hb",
                                          "--password-stdin"], "mat-khau-cua-xa\n", env)
    assert chat.returncode == 0 and "web login: xa.hb" in chat.stdout, chat.stderr
    short = await asyncio.to_thread(_cli, ["admin", "add-web", "--username", "x.y", "--role", "national_admin",
                                           "--password-stdin"], "ngan\n", env)
    assert short.returncode == 2 and "10" in short.stdout
    wrong_unit = await asyncio.to_thread(_cli, ["admin", "add-web", "--username", "x.y", "--role", "commune_admin",
                                                "--unit", "VN", "--password-stdin"], "mot-mat-khau-dai\n", env)
    assert wrong_unit.returncode == 2
    db = Database(env["KYNANGSO_DATABASE_URL"])
    try:
        async with db.transaction() as s:
            staff = {st.username: st for st in (await s.execute(select(Staff))).scalars()}
            assert set(staff) == {"tinh.hp", "xa.hb"}
            assert staff["tinh.hp"].user_id is None and staff["xa.hb"].user_id is not None
            assert staff["tinh.hp"].password_hash and staff["tinh.hp"].password_hash.startswith("$argon2id$")
            ok = await auth.login(s, "tinh.hp", "mot-mat-khau-dai", "127.0.0.1", 5, 12)
            assert ok.token is not None
    finally:
        await db.dispose()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_run_serves_the_web_pages_beside_the_console(tmp_path: Path, chroma_dir: Path, kb: KnowledgeBase) -> None:
    port = _free_port()
    env = _env(tmp_path, chroma_dir, KYNANGSO_WEB__LISTEN_PORT=str(port))
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        deadline = time.monotonic() + 300
        while True:
            assert proc.poll() is None, proc.communicate()
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the web app never answered"
                time.sleep(0.2)
        assert health.json() == {"ok": True}
        page = httpx.get(f"http://127.0.0.1:{port}/admin/login", timeout=30)
        assert page.status_code == 200 and "Đăng nhập" in page.text
        assert "__Host-kns_form" in page.headers["set-cookie"] and "Secure" in page.headers["set-cookie"]
        out, err = proc.communicate("lam sao cai vneid\n", timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    lesson = kb.lesson("vneid-cai-dat")
    assert lesson is not None and f"«{lesson.title}»" in out


def test_run_goes_on_when_the_port_is_taken(tmp_path: Path, chroma_dir: Path, kb: KnowledgeBase) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env = _env(tmp_path, chroma_dir, KYNANGSO_WEB__LISTEN_PORT=str(taken.getsockname()[1]))
        done = _cli(["run"], "lam sao cai vneid\n", env)
    assert done.returncode == 0, done.stderr
    assert "web pages are off: cannot listen" in done.stderr
    lesson = kb.lesson("vneid-cai-dat")
    assert lesson is not None and f"«{lesson.title}»" in done.stdout
