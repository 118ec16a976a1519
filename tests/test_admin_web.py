"""The web admin over real HTTP (uvicorn on loopback, httpx), on SQLite and PostgreSQL.

Sign-in, sessions, CSRF, the login rate limit, unit scoping of every page, chart and download, drill-down,
targets, password links and the audit log.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import re
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import openpyxl
import pytest
from PIL import Image
from sqlalchemy import func, insert, select, update

from bot import messages as msg
from bot.admin import auth
from bot.service import Tutor
from bot.web import build_app
from storage import stats, units, volunteers
from storage.models import (
    AdminSession,
    AuditEvent,
    Completion,
    QuestionLog,
    QuizAttempt,
    Staff,
    StaffToken,
    SupportSession,
    UnitTarget,
    User,
    utcnow,
)

PASSWORD = "mat-khau-dai-du-10"
ATTEMPTS = 3
FORMULA_HAMLET = '=HYPERLINK("http://x.example","bấm")'
PHONE_HAMLET = "+84 912 345 678"


@dataclass
class Data:
    a: units.Commune  # the commune with most data
    a2: units.Commune  # another commune of a's province
    b: units.Commune  # a commune of another province


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def populate(tutor: Tutor) -> Data:
    a = units.find_communes("hong bang")[0]
    a2 = next(c for c in units.find_communes("an") if c.province_code == a.province_code and c.code != a.code)
    b = next(c for c in units.find_communes("an binh") if c.province_code != a.province_code)
    now = utcnow()
    people = [(a, "Thôn 1", "nguoi-dan", "60-69")] * 4 + [(a, FORMULA_HAMLET, "nguoi-dan", "70+")] * 2 + [
        (a, PHONE_HAMLET, "hoc-sinh-sinh-vien", "duoi-30")] + [(a2, "Tổ 5", None, None)] * 3 + [
        (b, "Thôn Đông", "nguoi-dan", "45-59")] * 5
    users = [dict(id=i + 1, channel="zalo", channel_user_id=f"z{i}", context={}, active=True,
                  consent_at=now - timedelta(days=40), last_seen_at=now - timedelta(days=i % 3),
                  province_code=c.province_code, ward_code=c.code, hamlet=h, target_group=g, age_band=age,
                  vneid_level2=i % 2 == 0) for i, (c, h, g, age) in enumerate(people)]
    attempts = [dict(user_id=u["id"], lesson_id="vneid-cai-dat", status="finished", kind="lesson", n_questions=5,
                     n_correct=4 + u["id"] % 2, score=(4 + u["id"] % 2) / 5, started_at=now - timedelta(days=5),
                     finished_at=now - timedelta(days=5)) for u in users]
    completions = [dict(user_id=u["id"], programme="P", province_code=u["province_code"], ward_code=u["ward_code"],
                        hamlet=u["hamlet"], target_group=u["target_group"], age_band=u["age_band"],
                        completed_at=now - timedelta(days=3 + 7 * (u["id"] % 3))) for u in users[:5] + users[10:12]]
    questions = [dict(user_id=1, channel="zalo", text=text, kind=kind, topic=topic, created_at=now - timedelta(days=2),
                      province_code=a.province_code, ward_code=a.code)
                 for text, kind, topic in [("giá vàng hôm nay", "out_of_scope", None),
                                           ("giá vàng hôm nay", "out_of_scope", None),
                                           ("cài vneid thế nào", "answer", "vneid.install"),
                                           ("mã otp là gì", "answer", "payment.otp")]]
    async with tutor.db.transaction() as s:
        await s.execute(insert(User), users)
        await s.execute(insert(QuizAttempt), attempts)
        await s.execute(insert(Completion), completions)
        await s.execute(insert(QuestionLog), questions)
        s.add(SupportSession(topic="vneid", people=6, province_code=a.province_code, ward_code=a.code,
                             created_at=now - timedelta(days=1)))
    return Data(a, a2, b)


async def add_staff(tutor: Tutor, username: str, role: str, scope: units.Scope, password: str = PASSWORD,
                    display_name: str | None = None) -> Staff:
    async with tutor.db.transaction() as s:
        staff = Staff(user_id=None, role=role, province_code=scope.province_code, ward_code=scope.ward_code,
                      display_name=display_name)
        s.add(staff)
        await s.flush()
        await auth.set_credentials(s, staff, username, password, password)
        return staff


@dataclass
class Site:
    url: str
    tutor: Tutor
    data: Data

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, follow_redirects=False, timeout=60)


@pytest.fixture
async def site(tutor: Tutor) -> AsyncIterator[Site]:
    import uvicorn

    data = await populate(tutor)
    await add_staff(tutor, "xa.a", "commune_admin", units.Scope(data.a.province_code, data.a.code),
                    display_name='=HYPERLINK("x")')
    await add_staff(tutor, "tinh.a", "province_admin", units.Scope(province_code=data.a.province_code))
    await add_staff(tutor, "tinh.b", "province_admin", units.Scope(province_code=data.b.province_code))
    await add_staff(tutor, "ca.nuoc", "national_admin", units.Scope())
    web = tutor.settings.web.model_copy(update={"secure_cookies": False, "login_attempts": ATTEMPTS})
    settings = tutor.settings.model_copy(update={"web": web})
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(build_app(tutor, settings), host="127.0.0.1", port=port,
                                           log_level="warning"))
    serving = asyncio.create_task(server.serve())
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the web server did not start"
        await asyncio.sleep(0.05)
    try:
        yield Site(f"http://127.0.0.1:{port}", tutor, data)
    finally:
        server.should_exit = True
        await serving


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


async def login(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> httpx.Response:
    page = await client.get("/admin/login")
    assert page.status_code == 200
    return await client.post("/admin/login", data={"csrf": csrf_of(page.text), "username": username,
                                                   "password": password})


@asynccontextmanager
async def signed_in(site: Site, username: str) -> AsyncIterator[httpx.AsyncClient]:
    async with site.client() as client:
        assert (await login(client, username)).status_code == 303
        yield client


async def audit_rows(tutor: Tutor, action: str) -> list[AuditEvent]:
    async with tutor.db.transaction() as s:
        return list((await s.execute(select(AuditEvent).where(AuditEvent.action == action)
                                     .order_by(AuditEvent.id))).scalars())


# ---------------------------------------------------------------- sign-in


async def test_login_lands_on_the_home_unit_and_logout_ends_the_session(site: Site) -> None:
    a = site.data.a
    async with site.client() as client:
        done = await login(client, "XA.A ")  # usernames are case- and space-insensitive
        assert done.status_code == 303 and done.headers["location"] == "/admin/"
        cookie = done.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "max-age=43200" in cookie
        home = await client.get("/admin/")
        assert home.status_code == 303 and home.headers["location"] == f"/admin/unit/X{a.code}"
        page = await client.get(f"/admin/unit/X{a.code}")
        assert page.status_code == 200 and a.label in page.text
        assert page.headers["cache-control"] == "no-store" and "frame-ancestors 'none'" in page.headers[
            "content-security-policy"]
        # The display name is shown as text, never as markup.
        assert "=HYPERLINK(&#34;x&#34;)" in page.text or "=HYPERLINK(&quot;x&quot;)" in page.text
        token = client.cookies.get("kns_admin")
        assert token
        async with site.tutor.db.transaction() as s:
            stored = (await s.execute(select(AdminSession.token_hash))).scalars().all()
        assert stored == [auth.digest(token)]  # only the hash of the cookie is kept

        # Logout needs the session's CSRF token.
        assert (await client.post("/admin/logout", data={})).status_code == 403
        out = await client.post("/admin/logout", data={"csrf": csrf_of(page.text)})
        assert out.status_code == 303 and out.headers["location"] == "/admin/login?out=1"
        assert msg.ADMIN_LOGGED_OUT in (await client.get("/admin/login?out=1")).text
    async with site.client() as replay:  # the old cookie is worthless now
        replay.cookies.set("kns_admin", token)
        again = await replay.get(f"/admin/unit/X{a.code}")
        assert again.status_code == 303 and again.headers["location"].startswith("/admin/login")
    async with site.tutor.db.transaction() as s:
        assert (await s.execute(select(func.count()).select_from(AdminSession))).scalar_one() == 0
    assert [e.subject for e in await audit_rows(site.tutor, "login")] == ["xa.a"]
    assert [e.subject for e in await audit_rows(site.tutor, "logout")] == ["xa.a"]


async def test_parallel_wrong_logins_check_no_more_passwords_than_the_limit(site: Site) -> None:
    """30 wrong passwords at once for one username, each on its own connection and transaction: only the
    limit's worth are checked, the rest are refused unchecked (on PostgreSQL and SQLite alike)."""
    from bot.admin import auth

    async def attempt(i: int) -> auth.Login:
        async with site.tutor.db.transaction() as s:
            return await auth.login(s, "tinh.a", f"sai-mat-khau-{i}", f"10.0.0.{i}", ATTEMPTS, 12)

    results = await asyncio.gather(*(attempt(i) for i in range(30)))
    checked = await audit_rows(site.tutor, "login_failed")
    assert len([e for e in checked if e.subject == "tinh.a"]) == ATTEMPTS
    assert sum(r.throttled for r in results) == 30 - ATTEMPTS and not any(r.token for r in results)


async def test_wrong_password_unknown_user_and_the_rate_limit(site: Site) -> None:
    async with site.client() as client:
        for _ in range(ATTEMPTS):
            bad = await login(client, "tinh.a", "sai-mat-khau-roi")
            assert bad.status_code == 401 and msg.ADMIN_LOGIN_FAILED in bad.text
            assert "kns_admin" not in client.cookies
        # The limit is reached for this username: even the right password is refused now.
        refused = await login(client, "tinh.a")
        assert refused.status_code == 429 and msg.ADMIN_LOGIN_THROTTLED in refused.text
    failed = await audit_rows(site.tutor, "login_failed")
    assert len(failed) == 2 * ATTEMPTS  # one row per username, one per address
    assert {e.subject for e in failed} == {"tinh.a", "ip:127.0.0.1"}
    assert len(await audit_rows(site.tutor, "login_throttled")) == 1
    assert await audit_rows(site.tutor, "login") == []

    # The address is throttled too: another account from the same address must wait.
    async with site.client() as client:
        assert (await login(client, "ca.nuoc")).status_code == 429
    # Fifteen minutes later both are free again.
    async with site.tutor.db.transaction() as s:
        await s.execute(update(AuditEvent).values(created_at=utcnow() - timedelta(minutes=16)))
    async with site.client() as client:
        assert (await login(client, "tinh.a")).status_code == 303


async def test_unknown_user_fails_like_a_wrong_password(site: Site) -> None:
    async with site.client() as client:
        bad = await login(client, "khong.co.ai")
        assert bad.status_code == 401 and msg.ADMIN_LOGIN_FAILED in bad.text
    assert {e.subject for e in await audit_rows(site.tutor, "login_failed")} == {"khong.co.ai", "ip:127.0.0.1"}


async def test_login_form_needs_its_csrf_cookie(site: Site) -> None:
    async with site.client() as client:
        page = await client.get("/admin/login")
        token = csrf_of(page.text)
        assert client.cookies.get("kns_form") == token
        wrong = await client.post("/admin/login", data={"csrf": token[:-2] + "xx", "username": "xa.a",
                                                        "password": PASSWORD})
        assert wrong.status_code == 403 and msg.ADMIN_FORM_EXPIRED in wrong.text
    async with site.client() as other:  # a forged form from another site: right field, no cookie
        forged = await other.post("/admin/login", data={"csrf": token, "username": "xa.a", "password": PASSWORD})
        assert forged.status_code == 403
        # A self-made token that matches its own cookie but is not signed by the server.
        other.cookies.set("kns_form", "abc.def")
        assert (await other.post("/admin/login", data={"csrf": "abc.def", "username": "xa.a",
                                                       "password": PASSWORD})).status_code == 403
    assert await audit_rows(site.tutor, "login") == []


async def test_expired_session_sends_back_to_login(site: Site) -> None:
    async with signed_in(site, "tinh.a") as client:
        async with site.tutor.db.transaction() as s:
            await s.execute(update(AdminSession).values(expires_at=utcnow() - timedelta(seconds=1)))
        page = await client.get(f"/admin/unit/P{site.data.a.province_code}")
        assert page.status_code == 303 and page.headers["location"] == "/admin/login?expired=1"
        assert msg.ADMIN_SESSION_ENDED in (await client.get(page.headers["location"])).text
        chart = await client.get(f"/admin/unit/P{site.data.a.province_code}/chart/timeline.png")
        assert chart.status_code == 303


async def test_disabled_account_loses_its_session(site: Site) -> None:
    async with signed_in(site, "xa.a") as client:
        async with site.tutor.db.transaction() as s:
            await s.execute(update(Staff).where(Staff.username == "xa.a").values(active=False))
        assert (await client.get(f"/admin/unit/X{site.data.a.code}")).status_code == 303
        assert (await login(client, "xa.a")).status_code == 401


# ---------------------------------------------------------------- scoping


def unit_urls(code: str) -> list[str]:
    return [f"/admin/unit/{code}", f"/admin/unit/{code}?preset=30d", f"/admin/unit/{code}/chart/timeline.png",
            f"/admin/unit/{code}/chart/groups.png", f"/admin/unit/{code}/chart/topics.png",
            f"/admin/unit/{code}/export.csv", f"/admin/unit/{code}/export.xlsx", f"/admin/questions/{code}",
            f"/admin/targets/{code}"]


async def test_a_commune_admin_sees_nothing_of_other_units(site: Site) -> None:
    d = site.data
    async with signed_in(site, "xa.a") as client:
        page = await client.get(f"/admin/unit/X{d.a.code}")
        csrf = csrf_of(page.text)
        for code in (f"X{d.b.code}", f"X{d.a2.code}", f"P{d.a.province_code}", f"P{d.b.province_code}", "VN"):
            for url in unit_urls(code):
                got = await client.get(url)
                assert got.status_code == 403, url
                assert msg.ADMIN_FORBIDDEN in got.text and d.b.name not in got.text
            post = await client.post(f"/admin/targets/{code}", data={"csrf": csrf, f"t_{code}": "5"})
            assert post.status_code == 403
        for url in unit_urls(f"X{d.a.code}"):
            assert (await client.get(url)).status_code == 200, url
        for bad in ("/admin/unit/X0", "/admin/unit/abc", "/admin/unit/P999/export.csv",
                    f"/admin/unit/X{d.a.code}/chart/other.png", f"/admin/unit/X{d.a.code}/export.pdf"):
            assert (await client.get(bad)).status_code == 404, bad
    async with site.tutor.db.transaction() as s:
        assert (await s.execute(select(func.count()).select_from(UnitTarget))).scalar_one() == 0
    # Only the two allowed downloads were recorded.
    assert [e.subject for e in await audit_rows(site.tutor, "export")] == [f"X{d.a.code}"] * 2


async def test_a_province_admin_sees_only_their_province(site: Site) -> None:
    d = site.data
    async with signed_in(site, "tinh.b") as client:
        for code in (f"X{d.a.code}", f"P{d.a.province_code}", "VN"):
            for url in unit_urls(code):
                assert (await client.get(url)).status_code == 403, url
        for code in (f"P{d.b.province_code}", f"X{d.b.code}"):
            for url in unit_urls(code):
                assert (await client.get(url)).status_code == 200, url


async def test_national_admin_drills_down_from_the_country_to_a_thon(site: Site) -> None:
    d = site.data
    async with signed_in(site, "ca.nuoc") as client:
        home = await client.get("/admin/")
        assert home.headers["location"] == "/admin/unit/VN"
        country = await client.get("/admin/unit/VN")
        assert country.status_code == 200 and len(re.findall(r'href="/admin/unit/P\d+"', country.text)) == 34
        province = await client.get(f"/admin/unit/P{d.a.province_code}")
        assert f'href="/admin/unit/X{d.a.code}"' in province.text
        assert 'href="/admin/unit/VN"' in province.text  # the breadcrumb goes back up
        commune = await client.get(f"/admin/unit/X{d.a.code}?preset=quarter")
        assert "Thôn 1" in commune.text and "+84 912 345 678" in commune.text
        assert "/admin/unit/X" not in commune.text.split('id="children"')[1].split("</table>")[0]
        assert f'href="/admin/unit/P{d.a.province_code}?preset=quarter"' in commune.text
        for url in unit_urls(f"X{d.b.code}") + unit_urls("VN"):
            assert (await client.get(url)).status_code == 200, url


async def test_the_dashboard_shows_the_report_numbers(site: Site) -> None:
    d = site.data
    async with site.tutor.db.transaction() as s:
        want = await stats.report(s, units.Scope.parse(f"P{d.a.province_code}"))
    async with signed_in(site, "tinh.a") as client:
        page = (await client.get(f"/admin/unit/P{d.a.province_code}")).text
    cards = dict(re.findall(r'data-metric="(\w+)">([^<]+)<', page))
    assert cards["registered"] == str(want.total.registered) == "10"
    assert cards["completions"] == str(want.total.completions) == "5"
    assert cards["support_sessions"] == "1" and cards["questions"] == "4"
    row = page.split(f'href="/admin/unit/X{d.a.code}"')[1].split("</tr>")[0]
    assert re.findall(r"<td>([^<]*)</td>", row)[0] == "7"  # registered in commune a
    assert "Người dân" in page and "60–69" in page  # groups and ages in words
    assert "giá vàng hôm nay" not in page  # declined questions are on their own page
    async with signed_in(site, "tinh.a") as client:
        questions = (await client.get(f"/admin/questions/P{d.a.province_code}")).text
    assert "giá vàng hôm nay" in questions and "(2 lần)" in questions


async def test_period_filter(site: Site) -> None:
    d = site.data
    async with signed_in(site, "xa.a") as client:
        today = utcnow().date()
        narrow = await client.get(f"/admin/unit/X{d.a.code}?since={today}&until={today}")
        assert re.search(r'data-metric="completions">0<', narrow.text)
        wide = await client.get(f"/admin/unit/X{d.a.code}?since={today - timedelta(days=60)}&until={today}")
        assert re.search(r'data-metric="completions">5<', wide.text)
        bad = await client.get(f"/admin/unit/X{d.a.code}?since=hôm-qua")
        assert bad.status_code == 200 and "Ngày chưa đúng dạng" in bad.text
        assert re.search(r'data-metric="completions">5<', bad.text)


# ---------------------------------------------------------------- charts and downloads


async def test_charts_are_pngs(site: Site) -> None:
    async with signed_in(site, "xa.a") as client:
        for name in ("timeline", "groups", "topics"):
            got = await client.get(f"/admin/unit/X{site.data.a.code}/chart/{name}.png")
            assert got.status_code == 200 and got.headers["content-type"] == "image/png"
            image = Image.open(io.BytesIO(got.content)).convert("L")
            colours = image.getcolors(maxcolors=1 << 16)
            assert image.width >= 600 and colours is not None and len(colours) > 20  # drawn, not blank


async def test_csv_and_xlsx_match_the_report_and_are_neutralised(site: Site) -> None:
    d = site.data
    async with site.tutor.db.transaction() as s:
        want = await stats.report(s, units.Scope.parse(f"X{d.a.code}"))
        province = await stats.report(s, units.Scope.parse(f"P{d.a.province_code}"))
    async with signed_in(site, "tinh.a") as client:
        got = await client.get(f"/admin/unit/X{d.a.code}/export.csv")
        assert got.headers["content-disposition"].startswith('attachment; filename="thong-ke-X')
        text = got.content.decode("utf-8")
        assert text.startswith("\ufeff")
        rows = list(csv.reader(io.StringIO(text[1:])))
        xlsx = await client.get(f"/admin/unit/P{d.a.province_code}/export.xlsx")
        commune_xlsx = await client.get(f"/admin/unit/X{d.a.code}/export.xlsx")
    header = rows[0]
    assert header[:3] == [msg.STATS_UNIT_CODE, msg.STATS_UNIT, msg.STATS_LABELS["registered"]]
    by_name = {r[1]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    assert "'" + FORMULA_HAMLET in by_name and "'" + PHONE_HAMLET in by_name
    assert not any(name.startswith(("=", "+", "-", "@")) for name in by_name)
    assert by_name["Thôn 1"][msg.STATS_LABELS["registered"]] == "4"
    assert by_name[msg.STATS_TOTAL][msg.STATS_LABELS["completions"]] == str(want.total.completions)

    wb = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert wb.sheetnames == list(msg.XLSX_SHEETS.values())
    sheet = wb[msg.XLSX_SHEETS["units"]]
    head = [c.value for c in sheet[2]]
    table = {r[0]: dict(zip(head, r, strict=True)) for r in sheet.iter_rows(min_row=3, values_only=True)}
    for child in province.children:
        got_row = table[child.child_code]
        for column in ("registered", "completions", "quizzes", "questions"):
            assert got_row[msg.STATS_LABELS[column]] == getattr(child, column), (child.name, column)
    assert table[f"P{d.a.province_code}"][msg.STATS_LABELS["registered"]] == province.total.registered == 10
    groups = {r[0]: r[1:3] for r in wb[msg.XLSX_SHEETS["groups"]].iter_rows(min_row=3, values_only=True)}
    assert groups["Người dân"] == (6, 5) and groups[msg.STATS_UNKNOWN] == (3, 0)
    indicators = list(wb[msg.XLSX_SHEETS["indicators"]].iter_rows(min_row=3, values_only=True))
    assert [r[1] for r in indicators[:5]] == list(msg.INDICATOR_NAMES.values())
    lessons = list(wb[msg.XLSX_SHEETS["lessons"]].iter_rows(min_row=3, values_only=True))
    lesson = site.tutor.kb.lesson("vneid-cai-dat")
    assert lesson is not None and lessons[0][:3] == ("vneid-cai-dat", lesson.title, 10)
    topics = {r[0]: r[2] for r in wb[msg.XLSX_SHEETS["topics"]].iter_rows(min_row=3, values_only=True)}
    assert topics == {"vneid.install": 1, "payment.otp": 1}

    commune_sheet = openpyxl.load_workbook(io.BytesIO(commune_xlsx.content))[msg.XLSX_SHEETS["units"]]
    cells = [c for row in commune_sheet.iter_rows(min_row=3) for c in row[:2]]
    names = [c.value for c in cells]
    assert "'" + FORMULA_HAMLET in names and "'" + PHONE_HAMLET in names
    assert all(c.data_type != "f" for c in cells)  # no formula anywhere
    assert [e.detail for e in await audit_rows(site.tutor, "export")] == ["csv all", "xlsx all", "xlsx all"]


VN = ZoneInfo("Asia/Ho_Chi_Minh")


# ---------------------------------------------------------------- targets and password links


async def test_targets_form_sets_the_completion_rate(site: Site) -> None:
    d = site.data
    async with signed_in(site, "tinh.a") as client:
        form = await client.get(f"/admin/targets/P{d.a.province_code}")
        csrf = csrf_of(form.text)
        assert f'name="t_X{d.a.code}"' in form.text
        missing = await client.post(f"/admin/targets/P{d.a.province_code}", data={f"t_X{d.a.code}": "50"})
        wrong = await client.post(f"/admin/targets/P{d.a.province_code}",
                                  data={"csrf": "x" * 43, f"t_X{d.a.code}": "50"})
        assert missing.status_code == wrong.status_code == 403
        bad = await client.post(f"/admin/targets/P{d.a.province_code}", data={"csrf": csrf, f"t_X{d.a.code}": "ba"})
        assert bad.status_code == 400 and msg.ADMIN_BAD_TARGET.format(unit=d.a.name) in bad.text
        saved = await client.post(f"/admin/targets/P{d.a.province_code}",
                                  data={"csrf": csrf, f"t_X{d.a.code}": "1.000", f"t_X{d.b.code}": "9"})
        assert saved.status_code == 200 and msg.ADMIN_TARGETS_SAVED.format(year=datetime.now(VN).year) in saved.text
        page = await client.get(f"/admin/unit/X{d.a.code}")
        assert re.search(r'data-metric="completion_rate">0,5%<', page.text)  # 5 of 1,000
    async with site.tutor.db.transaction() as s:
        rows = {t.unit: t.population for t in (await s.execute(select(UnitTarget))).scalars()}
    assert rows == {f"X{d.a.code}": 1000}  # another province's commune is ignored
    assert [e.subject for e in await audit_rows(site.tutor, "targets_set")] == [f"P{d.a.province_code}"]


async def test_a_password_link_works_once(site: Site) -> None:
    d = site.data
    async with site.tutor.db.transaction() as s:
        staff = Staff(user_id=None, role="commune_admin", province_code=d.b.province_code, ward_code=d.b.code)
        s.add(staff)
        await s.flush()
        code = await volunteers.password_link(s, staff)
        stored = (await s.execute(select(StaffToken.code_hash))).scalar_one()
    assert stored == auth.digest(code) and code not in stored
    async with site.client() as client:
        form = await client.get(f"/admin/setup?token={code}")
        assert form.status_code == 200 and form.headers["referrer-policy"] == "no-referrer"
        csrf = csrf_of(form.text)
        fields = {"csrf": csrf, "token": code, "username": "CanBo.AnBinh", "password": "mot-cau-de-nho",
                  "repeat": "mot-cau-khac"}
        differ = await client.post("/admin/setup", data=fields)
        assert differ.status_code == 400 and msg.ADMIN_PASSWORDS_DIFFER in differ.text
        taken = await client.post("/admin/setup", data={**fields, "username": "xa.a", "repeat": fields["password"]})
        assert taken.status_code == 400 and msg.ADMIN_USERNAME_TAKEN in taken.text
        short = await client.post("/admin/setup", data={**fields, "password": "ngan", "repeat": "ngan"})
        assert short.status_code == 400
        done = await client.post("/admin/setup", data={**fields, "repeat": fields["password"]})
        assert done.status_code == 200 and "canbo.anbinh" in done.text
        again = await client.get(f"/admin/setup?token={code}")
        assert again.status_code == 404 and msg.ADMIN_LINK_INVALID in again.text
        assert (await client.get("/admin/setup?token=khong-co")).status_code == 404
        assert (await login(client, "canbo.anbinh", "mot-cau-de-nho")).status_code == 303
        assert (await client.get(f"/admin/unit/X{d.b.code}")).status_code == 200
    assert [e.subject for e in await audit_rows(site.tutor, "password_set")][-1] == "canbo.anbinh"


# ---------------------------------------------------------------- a real browser at phone width

CHROMIUM = "/usr/bin/chromium"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium is not installed (apt-get install chromium)")
async def test_dashboard_renders_in_headless_chromium_at_phone_width(site: Site, tmp_path: Path) -> None:
    from playwright.async_api import async_playwright

    d = site.data
    async with site.tutor.db.transaction() as s:
        want = await stats.report(s, units.Scope.parse(f"X{d.a.code}"))
    async with site.client() as client:
        assert (await login(client, "xa.a")).status_code == 303
        token = client.cookies.get("kns_admin")
    assert token
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        try:
            context = await browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                                is_mobile=True, has_touch=True, locale="vi-VN")
            await context.add_cookies([{"name": "kns_admin", "value": token, "url": site.url, "httpOnly": True,
                                        "sameSite": "Lax"}])
            page = await context.new_page()
            response = await page.goto(f"{site.url}/admin/", wait_until="load")
            assert response is not None and response.ok and page.url.endswith(f"/admin/unit/X{d.a.code}")
            cards = await page.inner_text("#key-numbers")
            assert f"{want.total.registered}\n{msg.STATS_LABELS['registered']}" in cards
            assert f"{want.total.completions}\n{msg.STATS_LABELS['completions']}" in cards
            assert "Thôn 1" in await page.inner_text("#children")
            images = await page.evaluate(
                "Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.getBoundingClientRect().width])")
            assert len(images) == 3
            assert all(done and natural > 300 and 0 < shown <= 390 for done, natural, shown in images)
            # Nothing wider than the phone except inside the scrollable tables.
            assert await page.evaluate("document.documentElement.scrollWidth") <= 390
            shot = await page.screenshot(full_page=True)
        finally:
            await browser.close()
    (tmp_path / "dashboard.png").write_bytes(shot)
    image = Image.open(io.BytesIO(shot)).convert("RGB")
    assert image.width == 780 and image.height > 1688  # 390 CSS px at 2x, longer than one screen
    colours = image.getcolors(maxcolors=1 << 18)
    assert colours is not None and len(colours) > 200
    # The green header band is drawn at the top: the page is styled, not raw text.
    assert image.getpixel((20, 10)) == (22, 110, 60)
