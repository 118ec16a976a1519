"""The only contract between channels and the dialogue: Incoming in, Reply out."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Incoming:
    """One delivery from a channel, already normalised; `button` is the value of a pressed button."""

    channel: str
    user_id: str
    delivery_id: str
    text: str = ""
    button: str | None = None
    start_payload: str | None = None  # deep-link parameter of /start, if any
    redacted: bool = False  # secrets were masked out of `text` before it was stored
    non_text: bool = False  # a sticker, photo or file (or a voice note we cannot hear): nothing to read
    # A voice note: {"ref": where to fetch it, "seconds": declared length} until it is transcribed, then
    # {"outcome": bot.voice outcome, "seconds": length} with the (redacted) words in `text`.
    voice: dict[str, Any] | None = None

    def to_payload(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> Incoming:
        return cls(channel=str(data["channel"]), user_id=str(data["user_id"]),
                   delivery_id=str(data["delivery_id"]), text=str(data.get("text") or ""),
                   button=data.get("button"), start_payload=data.get("start_payload"),
                   redacted=bool(data.get("redacted", False)), non_text=bool(data.get("non_text", False)),
                   voice=data.get("voice") if isinstance(data.get("voice"), dict) else None)


@dataclass(frozen=True)
class Button:
    label: str
    value: str


@dataclass(frozen=True)
class Prompt:
    """What a message waits for: `accepts` says which typed answers count (bot.prompts reads them).

    accepts: "yes_no" (yes -> `yes`, no -> `no`), "heard" (a voice read-back: "đúng" -> `yes`, "nói lại" or
    "không" -> `no`, with the speech engine's near misses), "options" (a button, or its meaning in other words,
    -> `value` with the option's key), "number" (`low`..`high` -> `value` with the number), "campaign_day" (a day of
    the year or a monthly "thứ Sáu tuần thứ 4" -> `value` with "nam 1-11" or "thang 4 4"), or free text checked by the
    prompt's own handler: "name", "place", "commune", "code", "quiz", "note", "relay" (any words, as they are, to pass
    on to another person). `no` is also how a free-text step is skipped.
    `again` is the one short line that offers the prompt again after a message that was not an answer.
    """

    name: str
    accepts: str
    again: str = ""
    yes: str = ""
    no: str = ""
    value: str = ""
    low: int = 1
    high: int = 500


@dataclass(frozen=True)
class Reply:
    """One message to send: text, optional buttons, cited lesson ids, optional image file."""

    text: str
    buttons: tuple[Button, ...] = ()
    sources: tuple[str, ...] = ()
    image_path: str | None = None
    file_path: str | None = None  # a document to send (e.g. the learner's data export)
    file_once: bool = False  # the document is deleted as soon as it is sent (a personal data export)
    voice_path: str | None = None  # a voice note to send (an answer read aloud), deleted once sent
    prompt: Prompt | None = None  # what this message waits for (kept by the dialogue, never sent)

    def to_payload(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "buttons": [[b.label, b.value] for b in self.buttons],
            "sources": list(self.sources),
            "image_path": self.image_path,
            "file_path": self.file_path,
            "file_once": self.file_once,
            "voice_path": self.voice_path,
        }

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> Reply:
        return cls(text=data["text"], buttons=tuple(Button(lbl, val) for lbl, val in data.get("buttons", [])),
                   sources=tuple(data.get("sources", [])), image_path=data.get("image_path"),
                   file_path=data.get("file_path"), file_once=bool(data.get("file_once")),
                   voice_path=data.get("voice_path"))
