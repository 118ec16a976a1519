"""Completion statistics: read-only SQL aggregates that roll up thôn → xã/phường → tỉnh → cả nước.

One module for every view (CLI now; web pages, Telegram /thongke and scheduled reports later).
Units are the post-1/7/2025 ones; a unit with no data is listed with zeros.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from vietnam_provinces import Ward

from storage import units
from storage.models import Completion, QuizAttempt, User

METRICS = ("registered", "active", "quizzes", "avg_score", "lessons_passed", "completions", "vneid_level2")


@dataclass(frozen=True)
class Scope:
    """Cả nước (both None), one tỉnh, or one xã/phường."""

    province_code: int | None = None
    ward_code: int | None = None

    @classmethod
    def parse(cls, code: str) -> Scope:
        """"VN" for the whole country, "P31" for a province, "X11311" for a commune."""
        code = code.strip().upper()
        if code in ("", "VN"):
            return cls()
        if code[0] == "P" and code[1:].isdigit() and units.province_name(int(code[1:])):
            return cls(province_code=int(code[1:]))
        if code[0] == "X" and code[1:].isdigit() and (c := units.commune(int(code[1:]))) is not None:
            return cls(province_code=c.province_code, ward_code=c.code)
        raise ValueError(f"unknown unit code {code!r} (use VN, P<province code> or X<commune code>)")

    @property
    def name(self) -> str:
        if self.ward_code is not None:
            c = units.commune(self.ward_code)
            return c.label if c else str(self.ward_code)
        if self.province_code is not None:
            return units.province_name(self.province_code) or str(self.province_code)
        return "Cả nước"


@dataclass
class Row:
    key: str
    name: str
    registered: int = 0
    active: int = 0
    quizzes: int = 0
    avg_score: float | None = None
    lessons_passed: int = 0
    completions: int = 0
    vneid_level2: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Report:
    scope: Scope
    since: datetime | None
    until: datetime | None
    total: Row
    children: list[Row] = field(default_factory=list)
    by_group: dict[str, int] = field(default_factory=dict)


def _child_column(scope: Scope, model: Any) -> Any:
    if scope.ward_code is not None:
        return model.hamlet
    if scope.province_code is not None:
        return model.ward_code
    return model.province_code


def _in_scope(scope: Scope, model: Any) -> list[Any]:
    if scope.ward_code is not None:
        return [model.ward_code == scope.ward_code]
    if scope.province_code is not None:
        return [model.province_code == scope.province_code]
    return [model.province_code.is_not(None)]


def _between(column: Any, since: datetime | None, until: datetime | None) -> list[Any]:
    out = []
    if since is not None:
        out.append(column >= since)
    if until is not None:
        out.append(column < until)
    return out


async def _grouped(s: AsyncSession, stmt: Any) -> dict[Any, tuple[Any, ...]]:
    return {row[0]: tuple(row[1:]) for row in (await s.execute(stmt)).all()}


async def report(s: AsyncSession, scope: Scope, since: datetime | None = None, until: datetime | None = None,
                 pass_ratio: float = 0.8) -> Report:
    """Counts for a unit and each of its child units over a period (registered and VNeID: as of `until`)."""
    uc = _child_column(scope, User)
    registered_users = and_(User.consent_at.is_not(None), *_in_scope(scope, User),
                            *_between(User.consent_at, None, until))
    reg = await _grouped(s, select(uc, func.count(), func.count().filter(User.vneid_level2.is_(True)))
                         .where(registered_users).group_by(uc))
    active = await _grouped(s, select(uc, func.count()).where(registered_users,
                                                              *_between(User.last_seen_at, since, until)).group_by(uc))
    attempts = and_(QuizAttempt.status == "finished", QuizAttempt.kind == "lesson",
                    *_between(QuizAttempt.finished_at, since, until))
    quiz = await _grouped(s, select(uc, func.count(), func.avg(QuizAttempt.score))
                          .join(User, User.id == QuizAttempt.user_id).where(registered_users, attempts).group_by(uc))
    passed_pairs = (select(uc.label("unit"), QuizAttempt.user_id, QuizAttempt.lesson_id)
                    .join(User, User.id == QuizAttempt.user_id)
                    .where(registered_users, attempts, QuizAttempt.score >= pass_ratio - 1e-9)
                    .group_by(uc, QuizAttempt.user_id, QuizAttempt.lesson_id).subquery())
    passed = await _grouped(s, select(passed_pairs.c.unit, func.count()).group_by(passed_pairs.c.unit))
    cc = _child_column(scope, Completion)
    done = await _grouped(s, select(cc, func.count()).where(*_in_scope(scope, Completion),
                                                            *_between(Completion.completed_at, since, until))
                          .group_by(cc))
    groups = await _grouped(s, select(User.target_group, func.count(distinct(User.id)))
                            .where(registered_users).group_by(User.target_group))

    keys = _child_keys(scope) + [k for k in {*reg, *active, *quiz, *passed, *done} if k not in _child_keys(scope)]
    children = []
    for key in keys:
        row = Row(str(key) if key is not None else "", _child_name(scope, key))
        row.registered, row.vneid_level2 = (int(v) for v in reg.get(key, (0, 0)))
        row.active = int(active.get(key, (0,))[0])
        n, avg = quiz.get(key, (0, None))
        row.quizzes, row.avg_score = int(n), (float(avg) if avg is not None else None)
        row.lessons_passed = int(passed.get(key, (0,))[0])
        row.completions = int(done.get(key, (0,))[0])
        children.append(row)
    total = Row(scope.name, scope.name)
    for r in children:
        for m in ("registered", "active", "quizzes", "lessons_passed", "completions", "vneid_level2"):
            setattr(total, m, getattr(total, m) + getattr(r, m))
    scored = [(r.quizzes, r.avg_score) for r in children if r.avg_score is not None]
    if scored:
        total.avg_score = sum(n * a for n, a in scored) / sum(n for n, _ in scored)
    return Report(scope, since, until, total, children,
                  {str(k or ""): int(v[0]) for k, v in groups.items()})


def _child_keys(scope: Scope) -> list[Any]:
    """Every child unit, so units with no learners still show up (with zeros)."""
    if scope.ward_code is not None:
        return []  # thôn/tổ dân phố are free text: only those with learners exist
    if scope.province_code is not None:
        return [int(w.code.value) for w in Ward.iter_all() if int(w.province_code.value) == scope.province_code]
    return sorted(units.all_province_codes())


def _child_name(scope: Scope, key: Any) -> str:
    if key is None:
        return "(chưa rõ)"
    if scope.ward_code is not None:
        return str(key)
    if scope.province_code is not None:
        c = units.commune(int(key))
        return c.name if c else str(key)
    return units.province_name(int(key)) or str(key)
