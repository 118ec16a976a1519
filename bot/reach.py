"""When the tutor may write to a learner first: each channel's window since their last message, and quiet hours.

Shared by the scheduled reminders (bot.scheduler) and the reminders volunteers send (bot.team).
"""

from __future__ import annotations

from datetime import datetime

from bot.capabilities import capability
from storage.models import TZ, as_utc

QUIET_HOURS = range(21, 24), range(0, 7)  # no reminders late at night or early morning (Vietnam time)


def quiet(now: datetime) -> bool:
    """Late at night or early in the morning in Vietnam: no message the learner did not ask for."""
    hour = now.astimezone(TZ).hour
    return any(hour in r for r in QUIET_HOURS)


def window_open(channel: str, last_seen: datetime, now: datetime) -> bool:
    """Whether the channel lets us write first to someone whose last message was at `last_seen`."""
    window = capability(channel).push_window
    return window is not None and now - as_utc(last_seen) <= window
