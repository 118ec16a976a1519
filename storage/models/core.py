"""Learners, deliveries, quizzes, completions, staff and their sign-in, support, questions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, IntPK, Stamp, utcnow


class User(Base):
    """A learner on one channel. Personal fields stay empty until consent is given."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("channel", "channel_user_id"),)

    id: Mapped[IntPK]
    channel: Mapped[str] = mapped_column(String(16))
    # Zalo ids are documented as strings and Telegram ids as integers: one text column serves both.
    channel_user_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[Stamp]
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)  # "active in the period"
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Conversation context (last answer shown, last reply for "nhắc lại"); never personal data.
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Personal fields: written only after consent (consent_at), deleted on request.
    consent_at: Mapped[datetime | None] = mapped_column(default=None, index=True)  # cells by consent day
    consent_version: Mapped[str | None] = mapped_column(String(16), default=None)
    display_name: Mapped[str | None] = mapped_column(String(80), default=None)
    province_code: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    ward_code: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    hamlet: Mapped[str | None] = mapped_column(String(120), default=None)
    target_group: Mapped[str | None] = mapped_column(String(32), default=None)
    age_band: Mapped[str | None] = mapped_column(String(16), default=None)
    vneid_level2: Mapped[bool | None] = mapped_column(Boolean, default=None)
    # The learner asked to hear about classes and events of their commune (a personal preference).
    class_news: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # "Gia đình số": the household the learner joined with a family code (set only after consent).
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id", ondelete="SET NULL"),
                                                     default=None, index=True)
    household_joined_at: Mapped[datetime | None] = mapped_column(default=None)
    # Confirmed on the national platform (binhdanhocvuso.gov.vn with VNeID): when, and who said so
    # ("self": the learner; "volunteer": a volunteer who saw it, `platform_confirmed_staff_id`).
    platform_confirmed_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    platform_confirmed_by: Mapped[str | None] = mapped_column(String(12), default=None)
    platform_confirmed_staff_id: Mapped[int | None] = mapped_column(Integer, default=None)  # no FK: a cycle


class Consent(Base):
    """What a user agreed to and when: the exact text shown, so consent is provable."""

    __tablename__ = "consents"

    id: Mapped[IntPK]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    version: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    given_at: Mapped[Stamp]
    withdrawn_at: Mapped[datetime | None] = mapped_column(default=None)


class InboxItem(Base):
    """A delivery from a channel, stored before it is processed so nothing is lost."""

    __tablename__ = "inbox"
    __table_args__ = (UniqueConstraint("channel", "delivery_id"),)

    id: Mapped[IntPK]
    channel: Mapped[str] = mapped_column(String(16))
    delivery_id: Mapped[str] = mapped_column(String(128))
    channel_user_id: Mapped[str] = mapped_column(String(64))
    # The incoming message with secrets already redacted.
    payload: Mapped[dict[str, Any]] = mapped_column()
    received_at: Mapped[Stamp]
    processed_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(200), default=None)


class OutboxItem(Base):
    """A reply produced while processing an inbox item; sent_at marks delivery."""

    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("inbox_id", "seq"),)

    id: Mapped[IntPK]
    # None for messages the tutor starts itself (reminders), which answer no delivery.
    inbox_id: Mapped[int | None] = mapped_column(ForeignKey("inbox.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(16))
    channel_user_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[Stamp]
    sent_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    # Why a message was given up (e.g. "forbidden": the user blocked the bot); None when delivered.
    error: Mapped[str | None] = mapped_column(String(40), default=None)
    # Whom a message is about when it is not sent to them (a volunteer told "bác Tư needs help"): erasing
    # that person removes it too.
    about_user_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)


class DeliveryLease(Base):
    """Which process sends to one chat right now: one sender per chat across every worker, in order.

    A lease is renewed with every message sent and lapses when its holder dies, so another worker takes over.
    """

    __tablename__ = "delivery_leases"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    channel_user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(80))
    expires_at: Mapped[datetime] = mapped_column()


class QuizAttempt(Base):
    """One run through a lesson's quiz; status is active, finished or abandoned."""

    __tablename__ = "quiz_attempts"

    id: Mapped[IntPK]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    lesson_id: Mapped[str] = mapped_column(String(80), index=True)
    status: Mapped[str] = mapped_column(String(12), default="active")
    n_questions: Mapped[int] = mapped_column(Integer)
    n_correct: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[Stamp]
    finished_at: Mapped[datetime | None] = mapped_column(default=None, index=True)  # statistics by period
    score: Mapped[float | None] = mapped_column(Float, default=None)
    # "lesson" (the lesson's own quiz) or "review" (questions mixed from passed lessons, listed in items).
    kind: Mapped[str] = mapped_column(String(12), default="lesson", server_default="lesson")
    items: Mapped[list[list[Any]] | None] = mapped_column(JSON, default=None)
    # The order the options were shown in, per question: orders[i][k] is the lesson's option index shown
    # at position k. Drawn when the attempt starts, so a restart shows the same order. None: lesson order.
    orders: Mapped[list[list[int]] | None] = mapped_column(JSON, default=None)


class QuizAnswer(Base):
    """One answer in an attempt; unique per question so a replayed answer is not counted twice."""

    __tablename__ = "quiz_answers"
    __table_args__ = (UniqueConstraint("attempt_id", "question_index"),)

    id: Mapped[IntPK]
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempts.id", ondelete="CASCADE"), index=True)
    question_index: Mapped[int] = mapped_column(Integer)
    chosen: Mapped[int] = mapped_column(Integer)
    correct: Mapped[bool] = mapped_column(Boolean)
    answered_at: Mapped[Stamp]


class Completion(Base):
    """A completed programme: the unit and group at that time, and the certificate's verification code.

    When the learner deletes their data the row stays for statistics, without user, name, thôn or code.
    """

    __tablename__ = "completions"

    id: Mapped[IntPK]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    programme: Mapped[str] = mapped_column(String(120))
    completed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    province_code: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    ward_code: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    hamlet: Mapped[str | None] = mapped_column(String(120), default=None)
    target_group: Mapped[str | None] = mapped_column(String(32), default=None)
    age_band: Mapped[str | None] = mapped_column(String(16), default=None)
    display_name: Mapped[str | None] = mapped_column(String(80), default=None)
    code: Mapped[str | None] = mapped_column(String(16), default=None, unique=True)


class Staff(Base):
    """A volunteer or an admin, scoped to a unit: a commune (volunteer, commune admin), a province, or all."""

    __tablename__ = "staff"

    id: Mapped[IntPK]
    # The chat account of the staff member; None for a web-only account created on the command line.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    province_code: Mapped[int | None] = mapped_column(Integer, default=None)
    ward_code: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[Stamp]
    created_by: Mapped[str] = mapped_column(String(80), default="cli")
    # How learners see the volunteer ("Anh Minh"); set by the volunteer.
    display_name: Mapped[str | None] = mapped_column(String(80), default=None)
    # Web admin login (argon2 hash); both None until a password is set.
    username: Mapped[str | None] = mapped_column(String(40), default=None, unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(200), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")


class StaffToken(Base):
    """A one-time code: an invitation to a role over a unit, or a link to set a web password.

    Only a hash of the code is kept; the code itself is shown once to whoever issued it.
    """

    __tablename__ = "staff_tokens"

    id: Mapped[IntPK]
    purpose: Mapped[str] = mapped_column(String(12))  # "invite" | "password"
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str | None] = mapped_column(String(20), default=None)
    province_code: Mapped[int | None] = mapped_column(Integer, default=None)
    ward_code: Mapped[int | None] = mapped_column(Integer, default=None)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), default=None)
    created_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"),
                                                            default=None)
    created_at: Mapped[Stamp]
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class VolunteerLink(Base):
    """A learner who agreed to let a volunteer follow their progress: referred by a link, or helped in person."""

    __tablename__ = "volunteer_links"
    __table_args__ = (UniqueConstraint("user_id", "staff_id"),)

    id: Mapped[IntPK]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # "referred" | "helped"
    created_at: Mapped[Stamp]


class ReferralLink(Base):
    """A volunteer's link into the tutor (their personal code, or one lesson's quiz), as a short code.

    The code goes after /start on Telegram (t.me/<bot>?start=r-<code>) and is typed as is on Zalo.
    """

    __tablename__ = "referral_links"
    __table_args__ = (UniqueConstraint("staff_id", "lesson_id"),)

    id: Mapped[IntPK]
    code: Mapped[str] = mapped_column(String(12), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    lesson_id: Mapped[str] = mapped_column(String(80), default="")  # "" for the personal code
    created_at: Mapped[Stamp]
    opened: Mapped[int] = mapped_column(Integer, default=0)


class SupportSession(Base):
    """An in-person help session recorded by a volunteer: the evidence ("minh chứng") the plans ask for."""

    __tablename__ = "support_sessions"

    id: Mapped[IntPK]
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"), index=True)
    topic: Mapped[str] = mapped_column(String(20))
    people: Mapped[int] = mapped_column(Integer)
    province_code: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    ward_code: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    hamlet: Mapped[str | None] = mapped_column(String(120), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Handoff(Base):
    """A learner asking to meet a person; queued for the volunteers of their commune."""

    __tablename__ = "handoffs"

    id: Mapped[IntPK]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    province_code: Mapped[int | None] = mapped_column(Integer, default=None)
    ward_code: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    topic: Mapped[str | None] = mapped_column(String(120), default=None)  # the lesson's title
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)  # open | claimed | closed
    created_at: Mapped[Stamp]
    claimed_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"),
                                                            default=None)
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    # The claiming volunteer and the learner writing through the tutor: when the last message passed (None: not
    # begun, or the learner went back to the tutor), and when a message could not reach the learner because
    # their channel's window had closed (the volunteer is told when the learner writes again). No text is kept.
    relay_at: Mapped[datetime | None] = mapped_column(default=None)
    relay_blocked_at: Mapped[datetime | None] = mapped_column(default=None)


class AdminSession(Base):
    """A web admin login; the cookie holds the token, the table only its hash."""

    __tablename__ = "admin_sessions"

    id: Mapped[IntPK]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[Stamp]
    expires_at: Mapped[datetime] = mapped_column()


class AuditEvent(Base):
    """Admin logins (and failed attempts), exports, deletions and role changes."""

    __tablename__ = "audit_log"

    id: Mapped[IntPK]
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"), default=None)
    action: Mapped[str] = mapped_column(String(32), index=True)
    subject: Mapped[str | None] = mapped_column(String(120), default=None, index=True)
    detail: Mapped[str | None] = mapped_column(String(400), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class JobRun(Base):
    """One run of a scheduled job for one period: a second scheduler or a restart never repeats it."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "period"),)

    id: Mapped[IntPK]
    job: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[Stamp]


class QuestionLog(Base):
    """A question asked and how it was handled; the text is redacted before it gets here."""

    __tablename__ = "question_log"

    id: Mapped[IntPK]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    lesson_id: Mapped[str | None] = mapped_column(String(80), default=None)
    topic: Mapped[str | None] = mapped_column(String(40), default=None, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # The commune of the asker (not who asked): questions by topic per unit for the statistics.
    province_code: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    ward_code: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    # What the asker thought of the answer ("up" or "down"), without saying who: for content editors.
    feedback: Mapped[str | None] = mapped_column(String(8), default=None, index=True)


class ChannelToken(Base):
    """A channel's OAuth token pair (Zalo OA). The refresh token works once: the new pair is committed here
    before the new access token is used, and the row is locked while a refresh runs."""

    __tablename__ = "channel_tokens"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    access_token: Mapped[str | None] = mapped_column(Text, default=None)
    # None when unknown (a token pasted into the configuration): used until the API refuses it.
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    refresh_token: Mapped[str | None] = mapped_column(Text, default=None)
    # Hash of the configured pair this row started from: new tokens in the configuration replace the row.
    seed: Mapped[str | None] = mapped_column(String(64), default=None)
    refreshed_at: Mapped[datetime | None] = mapped_column(default=None)
    failed_at: Mapped[datetime | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(String(200), default=None)
    # When admins were told about the current failure (once per failure, cleared by a success).
    alerted_at: Mapped[datetime | None] = mapped_column(default=None)
