"""The registry of counted metrics: each names the row fields it fills, what it counts, how it adds up and its
query grouped by the unit below. storage/stats.py runs them for a report; a new count is one entry here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, distinct, func, literal, select

from storage import query as q
from storage.models import ActivityDay, Completion, Household, QuestionLog, QuizAttempt, SupportSession, User
from storage.units import Scope

WHOLE_COMMUNE = "*"  # the row of questions asked in a commune (they are not kept per thôn)
WHOLE_COMMUNE_NAME = "Cả xã (câu hỏi không chia theo thôn)"


@dataclass(frozen=True)
class Ask:
    """What every metric query of one report shares: the unit, the period and the pass mark."""

    scope: Scope
    since: datetime | None
    until: datetime | None
    pass_ratio: float

    @property
    def registered(self) -> Any:
        """Learners of the unit who agreed to be registered by the end of the period."""
        return and_(User.consent_at.is_not(None), *q.in_scope(self.scope, User),
                    *q.between(User.consent_at, None, self.until))

    @property
    def learners(self) -> Any:
        """Registered learners of the unit, whose quizzes count (by the day they finished them)."""
        return and_(User.consent_at.is_not(None), *q.in_scope(self.scope, User))

    @property
    def attempts(self) -> Any:
        """Lesson quizzes finished in the period."""
        return and_(QuizAttempt.status == "finished", QuizAttempt.kind == "lesson",
                    *q.between(QuizAttempt.finished_at, self.since, self.until))


@dataclass(frozen=True)
class Metric:
    """Row fields counted by one query grouped by the unit below (`query` returns (unit, *values) rows).

    How a metric adds up to the parent: every field in stats.ADDITIVE is summed; `avg_score` is weighted by quizzes.
    `commune_level`: kept per commune, not per thôn (a commune's report shows it once, as its own row)."""

    fields: tuple[str, ...]
    about: str
    query: Callable[[Ask], Any]
    commune_level: bool = False


def _registered(a: Ask) -> Any:
    uc = q.child_column(a.scope, User)
    confirmed = and_(User.platform_confirmed_at.is_not(None), *q.between(User.platform_confirmed_at, None, a.until))
    return (select(uc, func.count(), func.count().filter(User.vneid_level2.is_(True)),
                   func.count().filter(User.vneid_level2.is_(True), q.FROM_16), func.count().filter(confirmed))
            .where(a.registered).group_by(uc))


def _active(a: Ask) -> Any:
    uc = q.child_column(a.scope, User)
    # Dated rows, so a past period is counted as it was.
    return (select(uc, func.count(distinct(ActivityDay.user_id))).join(User, User.id == ActivityDay.user_id)
            .where(a.registered, *q.days_between(ActivityDay.day, a.since, a.until)).group_by(uc))


def _quizzes(a: Ask) -> Any:
    uc = q.child_column(a.scope, User)
    return (select(uc, func.count(), func.avg(QuizAttempt.score)).join(User, User.id == QuizAttempt.user_id)
            .where(a.learners, a.attempts).group_by(uc))


def _passed(a: Ask) -> Any:
    uc = q.child_column(a.scope, User)
    pairs = (select(uc.label("unit"), QuizAttempt.user_id, QuizAttempt.lesson_id)
             .join(User, User.id == QuizAttempt.user_id)
             .where(a.learners, a.attempts, QuizAttempt.score >= a.pass_ratio - 1e-9)
             .group_by(uc, QuizAttempt.user_id, QuizAttempt.lesson_id).subquery())
    return select(pairs.c.unit, func.count()).group_by(pairs.c.unit)


def _completed(to_date: bool) -> Callable[[Ask], Any]:
    def query(a: Ask) -> Any:
        cc = q.child_column(a.scope, Completion)
        return (select(cc, func.count()).where(*q.in_scope(a.scope, Completion), *q.between(
            Completion.completed_at, None if to_date else a.since, a.until)).group_by(cc))
    return query


def _support(a: Ask) -> Any:
    sc = q.child_column(a.scope, SupportSession)
    return (select(sc, func.count(), func.sum(SupportSession.people))
            .where(*q.in_scope(a.scope, SupportSession), *q.between(SupportSession.created_at, a.since, a.until))
            .group_by(sc))


def _households_done(a: Ask) -> Any:
    hc = q.child_column(a.scope, Household)
    member_done = (select(User.household_id).join(Completion, Completion.user_id == User.id)
                   .where(User.household_id.is_not(None), *q.between(Completion.completed_at, None, a.until)))
    return (select(hc, func.count()).where(*q.in_scope(a.scope, Household), Household.id.in_(member_done))
            .group_by(hc))


def _households_part(a: Ask) -> Any:
    hc = q.child_column(a.scope, Household)
    member_registered = select(User.household_id).where(User.household_id.is_not(None),
                                                        User.consent_at.is_not(None),
                                                        *q.between(User.consent_at, None, a.until))
    return (select(hc, func.count()).where(*q.in_scope(a.scope, Household), Household.id.in_(member_registered),
                                           *q.between(Household.created_at, None, a.until)).group_by(hc))


def _questions(a: Ask) -> Any:
    # In a commune's report questions are one row of their own (not kept per thôn): grouped by nothing.
    qc = q.child_column(a.scope, QuestionLog) if a.scope.ward_code is None else literal(WHOLE_COMMUNE)
    return (select(qc, func.count(), func.count().filter(QuestionLog.kind == "out_of_scope"),
                   func.count().filter(QuestionLog.kind == "safety"))
            .where(*q.in_scope(a.scope, QuestionLog), *q.between(QuestionLog.created_at, a.since, a.until))
            .group_by(qc))


# The registry: stats.report() loops over it. A new count is one entry here and its column in stats.COLUMNS (and
# stats.ADDITIVE when it adds up), with its Vietnamese label in bot.messages.STATS_LABELS.
METRIC_QUERIES: tuple[Metric, ...] = (
    Metric(("registered", "vneid_level2", "vneid_level2_16", "platform_confirmed"),
           "registered learners (as of the end), with a level-2 VNeID, from 16 with one, confirmed on the "
           "national platform", _registered),
    Metric(("active",), "learners who wrote on a day of the period", _active),
    Metric(("quizzes", "avg_score"), "lesson quizzes finished, and their average score", _quizzes),
    Metric(("lessons_passed",), "(learner, lesson) pairs passed in the period", _passed),
    Metric(("completions",), "programme completions in the period", _completed(to_date=False)),
    Metric(("completions_to_date",), "programme completions up to the end", _completed(to_date=True)),
    Metric(("support_sessions", "people_helped"), "in-person support sessions and the people helped", _support),
    Metric(("households_done",), "households with a member who completed", _households_done),
    Metric(("households_part",), "households with a registered member", _households_part),
    Metric(("questions", "declined", "scam_alerts"), "questions asked, declined, answered with the scam steps",
           _questions, commune_level=True),
)
