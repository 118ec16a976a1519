"""Errors a person may see. Each carries a kind Vietnamese sentence (`user_text`, from bot/messages.py) to show
instead of a trace; anything else that goes wrong is logged with context and answered with an apology
(bot/service.py)."""

from __future__ import annotations


class BotError(Exception):
    """A problem the person can understand (and often fix): `user_text` is what they are shown."""

    def __init__(self, user_text: str) -> None:
        super().__init__(user_text)
        self.user_text = user_text
