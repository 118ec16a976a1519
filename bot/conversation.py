"""What the tutor remembers of one conversation between messages, kept in the learner's row (`User.context`, JSON).

Typed here, in one place, so every module that reads or writes it is checked: a key misspelt or a value of the
wrong kind is a type error, not a lost prompt. Nothing else of a conversation is kept anywhere (the dialogue and
its features are shared by every chat).
"""

from __future__ import annotations

from typing import Any, TypedDict, cast


class LessonPlace(TypedDict):
    """Where the learner is reading: lesson, section index, characters of the section already shown."""

    id: str
    section: int
    offset: int


class AnsweredRef(TypedDict):
    """A recent answer that 👍/👎 may still be pressed on: the logged question's id, the other lessons found."""

    q: int
    others: list[str]


class Conversation(TypedDict, total=False):
    greeted: bool  # the greeting was shown once
    pending: dict[str, Any]  # what the last reply asked (bot.prompts.Pending.dump)
    last_replies: list[dict[str, Any]]  # the last replies sent, for "nhắc lại" (Reply.to_payload)
    buttons: list[list[str]]  # the last message's buttons, [label, value], for typed presses
    reg: str  # the registration step under way
    reg_seen: list[str]  # registration steps already asked
    consent_declined: bool
    lesson: LessonPlace
    answered: list[AnsweredRef]
    later_question: str  # the second question of a message, offered as a button
    heard: str  # a voice note's words, read back until confirmed (already masked)
    referral: dict[str, Any]  # the volunteer link the learner opened: staff id, name, asked
    reviewed: dict[str, str]  # lesson id -> the day its review set was last taken (ISO date)
    review_offered: str  # the day a review was last offered (ISO date)
    review_looked: str  # the last day a look for a due review found none (ISO date)
    no_reminders: bool
    class_draft: dict[str, Any]  # a class being announced, step by step
    cover: dict[str, Any]  # a team member's thôn coverage being set: staff id, offer
    support_hamlet: str  # the thôn of the support session being logged
    support_last: int  # the support session just logged (to add its number of people)


def load(stored: dict[str, Any] | None) -> Conversation:
    """The conversation kept in a learner's row (a fresh copy: changes are stored with `dump`)."""
    return cast(Conversation, dict(stored or {}))


def dump(conversation: Conversation) -> dict[str, Any]:
    """The conversation as the JSON the learner's row keeps."""
    return dict(conversation)


def reading(conversation: Conversation) -> str:
    """The id of the lesson being read ("" when none)."""
    place = conversation.get("lesson")
    return place["id"] if place else ""
