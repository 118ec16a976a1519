"""The voice read-back ("Cháu nghe bác hỏi «…». Có phải vậy không ạ?"): what people say to it, as a speech engine
writes it down. Pure logic: no engine, no recordings (those are in test_voice.py)."""

from __future__ import annotations

import pytest

from bot import messages as msg
from bot.dialogue import VOICE_CHECK
from bot.prompts import read
from bot.types import Button
from bot.values import heard_right

BUTTONS = (Button(msg.BTN_VOICE_YES, "/nghedung"), Button(msg.BTN_VOICE_AGAIN, "/noilai"),
           Button(msg.BTN_VOICE_TYPE, "/gochu"))


@pytest.mark.parametrize("said", [
    "đúng", "Đúng rồi", "dung roi", "dạ đúng rồi ạ", "đúng rồi cháu", "đúng đó", "ừ", "ừ đúng", "vâng", "vâng ạ",
    "phải", "phải rồi", "dạ", "đồng ý", "chính xác",
    # The engine's tone errors: the same letters, another tone.
    "dùng", "đứng", "dụng rồi", "vàng", "phái", "ư",
    # One letter off a longer word.
    "đún", "vân", "phai rồi",
])
def test_a_confirmation_is_understood_as_heard_right(said: str) -> None:
    assert heard_right(said) is True


@pytest.mark.parametrize("said", [
    "không", "ko", "không phải", "không phải đâu cháu", "không đúng", "chưa đúng", "sai", "sai rồi", "nhầm rồi",
    "khống", "khôn",  # tone error, one letter off
    # A verb + "lại" (again), whichever verb the engine heard.
    "nói lại", "trở lại", "làm lại", "đọc lại", "nhắc lại", "nói lại đi cháu", "để tôi nói lại", "dạ trở lại",
    "chạy lại", "để lại", "trả lại", "trở lai", "lại",
])
def test_a_refusal_or_retry_is_understood_as_say_it_again(said: str) -> None:
    assert heard_right(said) is False


@pytest.mark.parametrize("said", [
    "tôi không nhận được mã otp",  # a negation inside a question is not a "no"
    "không phải lừa đảo đúng không", "mã otp là gì", "làm sao cài vneid", "chuyển tiền cho con qua zalo",
    "đúng rồi nhưng cho tôi hỏi cách cài vneid", "có phải không", "đúng không?", "không biết", "không hiểu",
    "làm lại mật khẩu vneid thế nào", "trời hôm nay nóng quá", "",
])
def test_anything_else_is_a_new_question(said: str) -> None:
    assert heard_right(said) is None


def test_a_negation_is_read_before_any_near_miss() -> None:
    assert heard_right("phải") is True
    assert heard_right("không phải") is False
    assert heard_right("hông phải") is False
    assert heard_right("chẳng phải") is False


@pytest.mark.parametrize(("typed", "command"), [
    ("dung roi", "/nghedung"), ("ừ", "/nghedung"), ("Đúng", "/nghedung"),
    ("tro lai", "/noilai"), ("nói lại", "/noilai"), ("làm lại", "/noilai"), ("không phải", "/noilai"),
    ("gõ chữ", "/gochu"),
])
def test_typed_replies_at_the_readback_press_its_buttons(typed: str, command: str) -> None:
    reading = read(VOICE_CHECK, typed, BUTTONS)
    assert reading is not None and reading.kind == "command" and reading.value == command


def test_a_typed_question_at_the_readback_is_not_an_answer() -> None:
    assert read(VOICE_CHECK, "tôi không nhận được mã otp", BUTTONS) is None
    assert read(VOICE_CHECK, "làm sao cài vneid", BUTTONS) is None
