"""What each channel can do, declared once: the dialogue, the scheduler and the staff desk ask here instead of
comparing channel names, and the composition root (`bot.app`) builds the channels listed here.

A new channel is one module under `bot/channels/` (a class following `bot.channels.base.Channel`) plus one
line in `CHANNELS` below. Pure data: importing this module loads no channel library.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class Capabilities:
    name: str  # the channel's id, as stored with every user, delivery and queued message
    label: str  # as people call it ("Zalo")
    text_limit: int  # longest text of one message; longer replies are split at line or sentence boundaries
    max_buttons: int  # buttons shown under one message; more become numbered lines
    # How long after the person's last message we may write first (reminders, a volunteer's relay);
    # None: never (nobody is there to read it).
    push_window: timedelta | None
    # How long after the person's last message a reply to them is still delivered (None: no limit).
    reply_window: timedelta | None = None
    voice_in: bool = False  # voice notes arrive and are transcribed
    voice_out: bool = False  # the tutor may answer with a voice note ("Nghe đọc")
    # A link a volunteer can open to write to the person directly ({id}: the channel's user id), if any.
    contact_link: str | None = None
    # Where the implementation lives ("module:Class"), built by bot.app when the channel is configured;
    # None for the console, which bot.app runs itself.
    implementation: str | None = None

    @property
    def can_push(self) -> bool:
        return self.push_window is not None

    @property
    def window_hours(self) -> int:
        return int(self.push_window.total_seconds() // 3600) if self.push_window is not None else 0


CHANNELS: dict[str, Capabilities] = {c.name: c for c in (
    Capabilities("console", "máy tính", text_limit=100_000, max_buttons=12, push_window=None),
    Capabilities("telegram", "Telegram", text_limit=4096, max_buttons=12, push_window=timedelta(days=3650),
                 voice_in=True, voice_out=True, contact_link="tg://user?id={id}",
                 implementation="bot.channels.telegram:TelegramChannel"),
    # Zalo OA: consultation messages we start within 48 h of the person's last message, replies within 7 days.
    Capabilities("zalo", "Zalo", text_limit=2000, max_buttons=5, push_window=timedelta(hours=48),
                 reply_window=timedelta(days=7), voice_in=True,
                 implementation="bot.channels.zalo:ZaloChannel"),
)}

# A channel name found in old data but no longer served: nothing is pushed to it.
_UNKNOWN = Capabilities("?", "?", text_limit=2000, max_buttons=5, push_window=None)


def capability(channel: str) -> Capabilities:
    """The capabilities of a channel by name (an unknown name can receive nothing it did not ask for)."""
    return CHANNELS.get(channel, _UNKNOWN)


def pushable() -> list[str]:
    """The channels on which the tutor may write first."""
    return [name for name, c in CHANNELS.items() if c.can_push]
