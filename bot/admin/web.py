"""The admin pages under /admin: server-rendered, scoped to the admin's unit, CSRF-checked on every POST.

Every page, chart and download of a unit asks `roles.may_see` first; another unit's data gets 403.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.templating import Jinja2Templates

from bot import charts, handouts, report_text
from bot import messages as msg
from bot.admin import auth, exports
from bot.admin.forms import GOAL_FIELDS, Period, cell, num, parse_period, plan_fields, read_plan_form
from storage import plans, roles, stats, teams, units
from storage.models import TZ, AdminSession, Staff, utcnow

if TYPE_CHECKING:
    from bot.config import Settings
    from rag.knowledge import KnowledgeBase
    from storage.db import Database

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent / "templates"

SESSION_COOKIE = "kns_admin"
FORM_COOKIE = "kns_form"
FORM_COOKIE_SECONDS = 2 * 3600
CHARTS = ("timeline", "groups", "topics")
HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # The password link carries its code in the address: never send it on as a referrer.
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}
_UNIT_CODE = re.compile(r"^(VN|[PX]\d{1,6})$", re.I)


class Refused(Exception):
    """Stop handling a request and answer with this response (login redirect, 403, 404)."""

    def __init__(self, response: Response) -> None:
        self.response = response


class AdminSite:
    """The admin pages of one tutor instance."""

    def __init__(self, db: Database, kb: KnowledgeBase, settings: Settings) -> None:
        self.db = db
        self.kb = kb
        self.data_dir = settings.data_dir
        self.bot_username = settings.telegram.bot_username
        self.web = settings.web
        key = settings.web.secret_key.get_secret_value().encode() if settings.web.secret_key else None
        self.signer = auth.FormSigner(key)
        self.templates = Jinja2Templates(directory=str(TEMPLATES))
        env = self.templates.env
        env.filters.update(num=num, pct=report_text.percent, cell=cell)
        env.globals.update(labels=msg.STATS_LABELS, presets=msg.ADMIN_PRESETS, bad_date_text=msg.ADMIN_BAD_DATE)
        self.pass_ratio = kb.pass_ratio
        secure = settings.web.secure_cookies
        # __Host- cookies are only sent back over https, to this host, for the whole site.
        self.session_cookie = f"__Host-{SESSION_COOKIE}" if secure else SESSION_COOKIE
        self.form_cookie = f"__Host-{FORM_COOKIE}" if secure else FORM_COOKIE

    # ------------------------------------------------------------ plumbing

    def routes(self) -> list[BaseRoute]:
        """The /admin mount."""
        p = self._page
        return [Mount("/admin", routes=[
            Route("/", p(self.home)),
            Route("/login", p(self.login), methods=["GET", "POST"]),
            Route("/logout", p(self.logout), methods=["POST"]),
            Route("/setup", p(self.setup), methods=["GET", "POST"]),
            Route("/unit/{code}", p(self.unit)),
            Route("/unit/{code}/chart/{name}.png", p(self.chart)),
            Route("/unit/{code}/export.{fmt}", p(self.export)),
            Route("/targets/{code}", p(self.targets), methods=["GET", "POST"]),
            Route("/questions/{code}", p(self.questions)),
            Route("/team/{code}", p(self.team), methods=["GET", "POST"]),
            Route("/handouts", p(self.handouts)),
            Route("/handouts/{lesson}.png", p(self.handout)),
        ])]

    def _page(self, handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            try:
                response = await handler(request)
            except Refused as refused:
                response = refused.response
            except Exception:  # noqa: BLE001 - logged with context, answered with a kind page
                log.exception("admin page %s failed", request.url.path)
                response = self._message(request, msg.ADMIN_ERROR, 500)
            response.headers.update(HEADERS)
            return response

        return run

    def _render(self, request: Request, name: str, status: int = 200, **context: Any) -> Response:
        return self.templates.TemplateResponse(request, name, context, status_code=status)

    def _message(self, request: Request, text: str, status: int, staff: Staff | None = None,
                 csrf: str = "") -> Response:
        return self._render(request, "message.html", status, text=text, staff=staff, csrf=csrf)

    def _set_cookie(self, response: Response, name: str, value: str, max_age: int) -> None:
        response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="lax",
                            secure=self.web.secure_cookies)

    def _form_token(self, request: Request) -> tuple[str, bool]:
        """The pre-session CSRF token of this browser (reused when still valid) and whether it is new."""
        current = request.cookies.get(self.form_cookie)
        if current and self.signer.valid(current, current):
            return current, False
        return self.signer.new(), True

    def _with_form_cookie(self, response: Response, token: str, new: bool) -> Response:
        if new:
            self._set_cookie(response, self.form_cookie, token, FORM_COOKIE_SECONDS)
        return response

    async def _form(self, request: Request) -> dict[str, str]:
        form = await request.form()
        return {k: v for k, v in form.items() if isinstance(v, str)}

    def _check_form_token(self, request: Request, form: dict[str, str]) -> None:
        if not self.signer.valid(request.cookies.get(self.form_cookie), form.get("csrf")):
            raise Refused(self._message(request, msg.ADMIN_FORM_EXPIRED, 403))

    async def _signed_in(self, s: AsyncSession, request: Request) -> tuple[AdminSession, Staff]:
        found = await auth.session_of(s, request.cookies.get(self.session_cookie))
        if found is None:
            expired = self.session_cookie in request.cookies
            response = RedirectResponse("/admin/login" + ("?expired=1" if expired else ""), status_code=303)
            if expired:
                response.delete_cookie(self.session_cookie, path="/")
            raise Refused(response)
        return found

    def _check_csrf(self, request: Request, session: AdminSession, form: dict[str, str]) -> None:
        if not auth.same(form.get("csrf", ""), session.csrf):
            raise Refused(self._message(request, msg.ADMIN_FORM_EXPIRED, 403))

    def _scope(self, request: Request, staff: Staff, csrf: str) -> units.Scope:
        """The unit of the address, if this staff member may see it (else 404 / 403)."""
        code = str(request.path_params.get("code", ""))
        try:
            if not _UNIT_CODE.match(code):
                raise ValueError(code)
            scope = units.Scope.parse(code)
        except ValueError:
            raise Refused(self._message(request, msg.ADMIN_NOT_FOUND, 404, staff, csrf)) from None
        if not roles.may_see(staff, scope):
            raise Refused(self._message(request, msg.ADMIN_FORBIDDEN, 403, staff, csrf))
        return scope

    def _period(self, request: Request) -> Period:
        return parse_period(dict(request.query_params), datetime.now(TZ).date())

    async def _report(self, s: AsyncSession, staff: Staff, scope: units.Scope, period: Period) -> stats.Report:
        return await stats.report_for(s, staff, scope, period.since, period.until, self.pass_ratio)

    async def _unit_report(self, request: Request) -> tuple[AdminSession, Staff, units.Scope, Period, stats.Report]:
        """The signed-in person, the unit asked for (checked), the period and the unit's report."""
        period = self._period(request)
        async with self.db.transaction() as s:
            session, staff = await self._signed_in(s, request)
            scope = self._scope(request, staff, session.csrf)
            report = await self._report(s, staff, scope, period)
        return session, staff, scope, period, report

    def _trail(self, staff: Staff, scope: units.Scope) -> list[tuple[str, str, bool]]:
        """Breadcrumbs from the country down to the unit: (code, name, linkable)."""
        chain = [units.Scope()]
        if scope.province_code is not None:
            chain.append(units.Scope(province_code=scope.province_code))
        if scope.ward_code is not None:
            chain.append(scope)
        return [(u.code, u.name, roles.may_see(staff, u)) for u in chain]

    # ------------------------------------------------------------ sign-in

    async def home(self, request: Request) -> Response:
        async with self.db.transaction() as s:
            _, staff = await self._signed_in(s, request)
            return RedirectResponse(f"/admin/unit/{roles.home_scope(staff).code}", status_code=303)

    async def login(self, request: Request) -> Response:
        token, new = self._form_token(request)
        notice = (msg.ADMIN_SESSION_ENDED if "expired" in request.query_params
                  else msg.ADMIN_LOGGED_OUT if "out" in request.query_params else "")
        if request.method == "GET":
            async with self.db.transaction() as s:
                if await auth.session_of(s, request.cookies.get(self.session_cookie)) is not None:
                    return RedirectResponse("/admin/", status_code=303)
            return self._with_form_cookie(self._render(request, "login.html", csrf=token, notice=notice), token, new)
        form = await self._form(request)
        self._check_form_token(request, form)
        address = request.client.host if request.client else "unknown"
        async with self.db.transaction() as s:
            result = await auth.login(s, form.get("username", ""), form.get("password", ""), address,
                                      self.web.login_attempts, self.web.session_hours)
        if result.token is None:
            error, status = ((msg.ADMIN_LOGIN_THROTTLED, 429) if result.throttled else (msg.ADMIN_LOGIN_FAILED, 401))
            return self._render(request, "login.html", status, csrf=token, error=error,
                                username=form.get("username", "")[:40])
        response = RedirectResponse("/admin/", status_code=303)
        self._set_cookie(response, self.session_cookie, result.token, self.web.session_hours * 3600)
        return response

    async def logout(self, request: Request) -> Response:
        form = await self._form(request)
        async with self.db.transaction() as s:
            session, _ = await self._signed_in(s, request)
            self._check_csrf(request, session, form)
            await auth.logout(s, request.cookies.get(self.session_cookie))
        response = RedirectResponse("/admin/login?out=1", status_code=303)
        response.delete_cookie(self.session_cookie, path="/")
        return response

    async def setup(self, request: Request) -> Response:
        token, new = self._form_token(request)
        form = await self._form(request) if request.method == "POST" else {}
        code = form.get("token") or request.query_params.get("token", "")
        if request.method == "POST":
            self._check_form_token(request, form)
        async with self.db.transaction() as s:
            found = await auth.password_token(s, code)
            if found is None:
                return self._message(request, msg.ADMIN_LINK_INVALID, 404)
            link, staff = found
            if request.method == "GET":
                return self._with_form_cookie(self._render(request, "setup.html", csrf=token, code=code,
                                                           username=staff.username or "", staff_role=staff.role),
                                              token, new)
            try:
                await auth.set_credentials(s, staff, form.get("username", ""), form.get("password", ""),
                                           form.get("repeat", ""))
            except auth.AuthError as exc:
                return self._render(request, "setup.html", 400, csrf=token, code=code, error=exc.user_text,
                                    username=form.get("username", "")[:40], staff_role=staff.role)
            link.used_at = utcnow()
            username = staff.username or ""
        return self._render(request, "message.html", text=msg.ADMIN_PASSWORD_SET.format(username=username),
                            login_link=True)

    # ------------------------------------------------------------ statistics

    async def unit(self, request: Request) -> Response:
        session, staff, scope, period, report = await self._unit_report(request)
        children = [(c, c.child_code if c.child_code and roles.may_see(staff, units.Scope.parse(c.child_code))
                     else None) for c in report.children]
        lessons = [(exports.lesson_title(self.kb, ls.lesson_id), ls) for ls in report.by_lesson]
        groups = [(report_text.group_name(b.key), b) for b in report.by_group]
        ages = [(report_text.age_name(b.key), b) for b in report.by_age]
        return self._render(request, "unit.html", staff=staff, csrf=session.csrf, report=report, scope=scope,
                            children=children, lessons=lessons, groups=groups, ages=ages, columns=stats.COLUMNS,
                            indicators=[(*i, exports.indicator_status(i[3], i[4]))
                                        for i in exports.indicators(report.total)],
                            plan_year=plans.plan_year(report.until),
                            period=period,
                            query=period.query(), trail=self._trail(staff, scope), charts=CHARTS,
                            period_label=report_text.period_label(report.since, report.until),
                            home=roles.home_scope(staff).code, bad_date=period.error)

    async def chart(self, request: Request) -> Response:
        name = str(request.path_params["name"])
        session, staff, _scope, _period, report = await self._unit_report(request)
        if name not in CHARTS:
            return self._message(request, msg.ADMIN_NOT_FOUND, 404, staff, session.csrf)
        if name == "timeline":
            png = await asyncio.to_thread(charts.timeline_png, report)
        elif name == "groups":
            png = await asyncio.to_thread(charts.groups_png, report)
        else:
            png = await asyncio.to_thread(charts.topics_png, report, exports.topic_names(self.kb))
        return Response(png, media_type="image/png")

    async def export(self, request: Request) -> Response:
        fmt = str(request.path_params["fmt"])
        period = self._period(request)
        async with self.db.transaction() as s:
            session, staff = await self._signed_in(s, request)
            scope = self._scope(request, staff, session.csrf)
            if fmt not in ("csv", "xlsx"):
                return self._message(request, msg.ADMIN_NOT_FOUND, 404, staff, session.csrf)
            report = await self._report(s, staff, scope, period)
            team = await teams.report_for(s, staff, scope, period.since, period.until) if fmt == "xlsx" else None
            await auth.audit(s, "export", staff.id, scope.code, f"{fmt} {period.query() or 'all'}")
        stamp = datetime.now(TZ).strftime("%Y%m%d")
        filename = f"thong-ke-{scope.code}-{stamp}.{fmt}"
        disposition = {"Content-Disposition": f'attachment; filename="{filename}"'}
        if fmt == "csv":
            # The byte-order mark lets Excel read the Vietnamese as UTF-8.
            body = "\ufeff" + exports.to_csv(report, msg.STATS_LABELS)
            return Response(body.encode("utf-8"), media_type="text/csv; charset=utf-8", headers=disposition)
        data = await asyncio.to_thread(exports.to_xlsx, report, msg.STATS_LABELS, self.kb, team)
        return Response(data, headers=disposition,
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    async def questions(self, request: Request) -> Response:
        session, staff, scope, period, report = await self._unit_report(request)
        names = exports.topic_names(self.kb)
        feedback = report.feedback_by_topic
        topics = sorted(((names.get(t, t), n, *feedback.get(t, (0, 0))) for t, n in report.questions_by_topic.items()),
                        key=lambda p: (-p[3], -p[1]))
        # The review queue: answers marked 👎, grouped by topic, the most disliked topic first.
        queue: dict[str, list[tuple[str, str, int]]] = {}
        for item in report.disliked:
            queue.setdefault(item.topic, []).append(
                (item.text, exports.lesson_title(self.kb, item.lesson_id), item.n))
        review = sorted(((names.get(t, t) or msg.STATS_UNKNOWN, sum(n for *_, n in items), items)
                         for t, items in queue.items()), key=lambda g: (-g[1], g[0]))
        return self._render(request, "questions.html", staff=staff, csrf=session.csrf, scope=scope, report=report,
                            topics=topics, declined=report.declined_questions, review=review, period=period,
                            query=period.query(), period_label=report_text.period_label(report.since, report.until))

    async def team(self, request: Request) -> Response:
        """The Tổ công nghệ số of a commune (members, thôn covered, help by topic and member, reminders), with a
        form to set the thôn each member covers; of a province or the country, the communes with and without
        volunteers."""
        period = self._period(request)
        form = await self._form(request) if request.method == "POST" else {}
        notice = ""
        async with self.db.transaction() as s:
            session, staff = await self._signed_in(s, request)
            scope = self._scope(request, staff, session.csrf)
            if request.method == "POST":
                self._check_csrf(request, session, form)
                if scope.ward_code is None:
                    return self._message(request, msg.ADMIN_NOT_FOUND, 404, staff, session.csrf)
                changed = []
                for member in await teams.members(s, scope.ward_code):
                    field = f"h_{member.id}"
                    if field not in form:
                        continue
                    wanted = teams.parse_hamlets(form[field])
                    if set(wanted) != set(await teams.coverage(s, member.id)):
                        stored = await teams.set_coverage(s, member, wanted)
                        changed.append(f"{member.id}={len(stored)}")
                if changed:
                    await auth.audit(s, "team_coverage_set", staff.id, scope.code, ", ".join(changed)[:400])
                notice = msg.ADMIN_COVERAGE_SAVED
            rep = await teams.report_for(s, staff, scope, period.since, period.until)
        names = {m.staff_id: report_text.member_name(m) for m in rep.members}
        children = [(c, c.child_code if c.child_code and roles.may_see(staff, units.Scope.parse(c.child_code))
                     else None) for c in rep.children]
        topics = [(key, label, *rep.by_topic.get(key, (0, 0))) for key, label in msg.SUPPORT_TOPICS.items()]
        return self._render(request, "team.html", staff=staff, csrf=session.csrf, scope=scope, team=rep,
                            names=names, children=children, topics=topics, topic_labels=msg.SUPPORT_TOPICS,
                            roles_vi=msg.TEAM_ROLE_NAMES, tl=msg.TEAM_LABELS, period=period, query=period.query(),
                            trail=self._trail(staff, scope), notice=notice, bad_date=period.error,
                            period_label=report_text.period_label(rep.since, rep.until))

    async def handouts(self, request: Request) -> Response:
        async with self.db.transaction() as s:
            session, staff = await self._signed_in(s, request)
        lessons = [(x.id, x.title) for x in self.kb.lessons]
        return self._render(request, "handouts.html", staff=staff, csrf=session.csrf, lessons=lessons)

    async def handout(self, request: Request) -> Response:
        async with self.db.transaction() as s:
            session, staff = await self._signed_in(s, request)
        lesson = self.kb.lesson(str(request.path_params["lesson"]))
        if lesson is None:
            return self._message(request, msg.ADMIN_NOT_FOUND, 404, staff, session.csrf)
        path = self.data_dir / "handouts" / f"{lesson.id}.png"
        await asyncio.to_thread(handouts.render, path, lesson, self.bot_username)
        disposition = {"Content-Disposition": f'attachment; filename="to-huong-dan-{lesson.id}.png"'}
        return Response(path.read_bytes(), media_type="image/png", headers=disposition)

    async def targets(self, request: Request) -> Response:
        """A unit's plan for one year: population, from-16 population and households of it and each unit below,
        its population per target group, and the plan's target percentages (which apply to the units below)."""
        form = await self._form(request) if request.method == "POST" else {}
        this_year = datetime.now(TZ).year
        raw_year = (form.get("nam") or request.query_params.get("nam") or "").strip()
        year = int(raw_year) if raw_year.isdigit() and 2024 <= int(raw_year) <= this_year + 5 else this_year
        async with self.db.transaction() as s:
            session, staff = await self._signed_in(s, request)
            scope = self._scope(request, staff, session.csrf)
            if request.method == "POST":
                self._check_csrf(request, session, form)
            report = await stats.report_for(s, staff, scope, None, None, self.pass_ratio)
            shown = [(scope.code, scope.name)] + [(c.child_code, c.name) for c in report.children if c.child_code]
            stored = await plans.plans_of(s, [code for code, _ in shown], year)
            current = {code: plan_fields(plan) for code, plan in stored.items()}
            error, saved = "", False
            if request.method == "POST":
                values, error = read_plan_form(form, shown, scope.code)
                if not error:
                    changed = await plans.save_plans(s, values, year)
                    current = {code: v for code, v in values.items() if any(x is not None for x in v.values())}
                    saved = True
                    if changed:
                        await auth.audit(s, "targets_set", staff.id, scope.code, f"{year}: " + ", ".join(changed)[:400])
        return self._render(request, "targets.html", 400 if error else 200, staff=staff, csrf=session.csrf,
                            scope=scope, units=shown, current=current, error=error, year=year,
                            years=list(range(this_year - 1, this_year + 2)), groups=msg.GROUPS, goals=GOAL_FIELDS,
                            notice=msg.ADMIN_TARGETS_SAVED.format(year=year) if saved else "",
                            typed=form if error else {})


# Form fields of a plan: per unit (prefix + unit code), and the unit's own goals and group populations.
def admin_routes(db: Database, kb: KnowledgeBase, settings: Settings) -> list[BaseRoute]:
    """The /admin routes of the one web app."""
    return AdminSite(db, kb, settings).routes()
