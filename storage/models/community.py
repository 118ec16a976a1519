"""Households, classes and campaign days, their reminders and attendance, thôn coverage and đôn đốc."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from storage.models.base import Base, IntPK, Stamp, utcnow


class Household(Base):
    """A family ("Gia đình số") joined with a short code; its unit is where it was made, so it counts once.

    The row holds no person: members point at it from users.household_id and leave with their data.
    """

    __tablename__ = "households"

    id: Mapped[IntPK]
    code: Mapped[str] = mapped_column(String(12), unique=True)
    province_code: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    ward_code: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    hamlet: Mapped[str | None] = mapped_column(String(120), default=None)
    made_by: Mapped[str] = mapped_column(String(12), default="learner")  # "learner" | "volunteer"
    created_at: Mapped[Stamp]


class ClassEvent(Base):
    """A class or event of a commune (or one of a province's campaign days: yearly or monthly), once or by a rule.

    repeat: "once" (on starts_at), "weekly" (starts_at's weekday), "monthly" (the nth `weekday` of each
    month; nth 5 means the last), "yearly" (starts_at's day and month). The time of day is starts_at's.
    """

    __tablename__ = "class_events"

    id: Mapped[IntPK]
    kind: Mapped[str] = mapped_column(String(12), default="class")  # "class" | "campaign"
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"), index=True)
    province_code: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    ward_code: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    hamlet: Mapped[str | None] = mapped_column(String(120), default=None)
    place: Mapped[str] = mapped_column(String(200), default="")
    topic: Mapped[str] = mapped_column(String(20))  # a support topic (volunteers.SUPPORT_TOPICS)
    lesson_id: Mapped[str | None] = mapped_column(String(80), default=None)
    organiser: Mapped[str] = mapped_column(String(80), default="")
    starts_at: Mapped[datetime] = mapped_column()
    repeat: Mapped[str] = mapped_column(String(12), default="once")
    weekday: Mapped[int | None] = mapped_column(Integer, default=None)  # 0 = Monday
    nth: Mapped[int | None] = mapped_column(Integer, default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[Stamp]


class _LearnerAtOccurrence:
    """One learner and one occurrence of a class (the class and its day), at most one row of each: the key that a
    reminder and a reply share."""

    @declared_attr.directive
    def __table_args__(cls) -> tuple[UniqueConstraint]:
        return (UniqueConstraint("class_id", "day", "user_id"),)

    id: Mapped[IntPK]
    class_id: Mapped[int] = mapped_column(ForeignKey("class_events.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)


class ClassReminder(_LearnerAtOccurrence, Base):
    """One reminder sent for one occurrence to one learner: the unique row makes it once."""

    __tablename__ = "class_reminders"

    sent_at: Mapped[Stamp]


class ClassReply(_LearnerAtOccurrence, Base):
    """A learner's "Tôi sẽ đến" for one occurrence."""

    __tablename__ = "class_replies"

    created_at: Mapped[Stamp]


class ClassAttendance(Base):
    """How many came to one occurrence, as recorded by the organiser; its support-log row is the evidence."""

    __tablename__ = "class_attendance"
    __table_args__ = (UniqueConstraint("class_id", "day"),)

    id: Mapped[IntPK]
    class_id: Mapped[int] = mapped_column(ForeignKey("class_events.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    people: Mapped[int] = mapped_column(Integer)
    support_session_id: Mapped[int | None] = mapped_column(ForeignKey("support_sessions.id", ondelete="SET NULL"),
                                                           default=None)
    recorded_at: Mapped[Stamp]


class StaffHamlet(Base):
    """A thôn / tổ dân phố that a member of the commune's Tổ công nghệ số cộng đồng covers (one row a pair).

    The name is normalised (units.normalise_hamlet); the commune is the member's own.
    """

    __tablename__ = "staff_hamlets"
    __table_args__ = (UniqueConstraint("staff_id", "hamlet"),)

    id: Mapped[IntPK]
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    hamlet: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[Stamp]


class Nudge(Base):
    """One kind reminder to keep learning ("đôn đốc") that a volunteer or commune officer sent a learner.

    At most one per learner in any 7 days (storage.teams). When the learner erases their data the row stays
    as an anonymous count for the commune, like a support session.
    """

    __tablename__ = "nudges"

    id: Mapped[IntPK]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"), index=True)
    province_code: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    ward_code: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
