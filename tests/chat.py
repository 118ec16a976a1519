"""A scripted learner talking to a Tutor, recording what the channel would have sent."""

from __future__ import annotations

import uuid

from bot.quiz import LETTERS
from bot.service import Tutor
from bot.types import Incoming, Reply
from rag.lessons import QuizQuestion


def shown_in(text: str, q: QuizQuestion, option: int | None = None) -> int:
    """The place (0-based, as lettered on screen) of option `option` (default the right one) in a question's text."""
    wanted = q.options[q.answer if option is None else option]
    for line in text.splitlines():
        letter, _, rest = line.partition(". ")
        if len(letter) == 1 and letter in LETTERS and rest == wanted:
            return LETTERS.index(letter)
    raise AssertionError(f"option {wanted!r} not in {text!r}")


class ScriptedChat:
    """One person in a chat; several people share a `room` so messages the tutor sends to others
    (a volunteer told that someone needs help) reach the right one."""

    def __init__(self, tutor: Tutor, user: str = "u1", channel: str = "console",
                 room: dict[str, list[Reply]] | None = None) -> None:
        self.tutor, self.user, self.channel = tutor, user, channel
        self.room = room if room is not None else {}
        self.sent: list[Reply] = self.room.setdefault(user, [])

    async def _send(self, user: str, reply: Reply) -> None:
        assert user in self.room, f"a message for {user}, who is not in this chat"
        self.room[user].append(reply)

    def take(self) -> list[Reply]:
        """Messages that reached this person since the last take() (including ones sent to others' turns)."""
        start = getattr(self, "_taken", 0)
        self._taken = len(self.sent)
        return self.sent[start:]

    async def say(self, text: str = "", button: str | None = None, delivery: str | None = None,
                  start: str | None = None) -> list[Reply]:
        before = len(self.sent)
        incoming = Incoming(self.channel, self.user, delivery or uuid.uuid4().hex, text=text, button=button,
                            start_payload=start)
        await self.tutor.handle(incoming, self._send)
        return self.sent[before:]

    def shown(self, q: QuizQuestion, option: int | None = None) -> int:
        """Where the learner sees option `option` (the lesson's index; default the right answer) of quiz
        question `q`, read from the last question shown: options are shuffled per attempt."""
        for reply in reversed(self.sent):
            if q.question in reply.text:
                return shown_in(reply.text, q, option)
        raise AssertionError(f"question not shown: {q.question!r}")

    def wrong(self, q: QuizQuestion) -> int:
        """A wrong option's place as shown."""
        return (self.shown(q) + 1) % len(q.options)

    async def press(self, reply: Reply, label: str) -> list[Reply]:
        """Press the button whose label contains `label` on a reply."""
        matches = [b for b in reply.buttons if label in b.label]
        assert matches, f"no button {label!r} in {[b.label for b in reply.buttons]}"
        return await self.say(button=matches[0].value)
