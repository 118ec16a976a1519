"""Pure logic: Vietnamese text handling, quiz answer parsing, redaction, scam detection."""

from __future__ import annotations

import pytest

from bot.quiz import parse_choice, pass_mark
from bot.safety import MASK, is_ongoing_scam, redact
from rag.text import fold, lexical_terms, normalize, syllables

OPTIONS = ("Bấm vào link để cài cho nhanh", "Chỉ cài VNeID từ CH Play hoặc App Store", "Nhờ người lạ cài giúp")


def test_fold_and_normalize() -> None:
    assert fold("Đăng nhập VNeID") == "dang nhap vneid"
    decomposed = "lám sao"  # NFD input from some keyboards
    assert normalize(decomposed) == "lám sao"
    assert normalize("  a\u200b  b\n\tc ") == "a b c"


def test_abbreviations_and_bigrams() -> None:
    assert syllables("ko co dt thi lam j") == ["khong", "co", "dien", "thoai", "thi", "lam", "gi"]
    assert "cai_vneid" in lexical_terms("làm sao cài VNeID")
    assert lexical_terms("lam sao cai vneid") == lexical_terms("Làm sao cài VNeID")


@pytest.mark.parametrize("text,expected", [
    ("b", 1), ("B", 1), ("B.", 1), ("2", 1), ("câu B", 1), ("đáp án 2", 1), ("dap an hai", 1),
    ("Chỉ cài VNeID từ CH Play hoặc App Store", 1), ("chi cai vneid tu ch play hoac app store", 1),
    ("nho nguoi la cai giup", 2), ("a", 0), ("4", None), ("e", None), ("không biết", None), ("", None),
])
def test_parse_choice(text: str, expected: int | None) -> None:
    assert parse_choice(text, OPTIONS) == expected


def test_pass_mark() -> None:
    assert pass_mark(5) == 4 and pass_mark(6) == 5 and pass_mark(8) == 7 and pass_mark(10) == 8


@pytest.mark.parametrize("text,secret,kind", [
    ("mã OTP là 482913", "482913", "otp"),
    ("ma otp cua toi 4 8 2 9 1 3", "4 8 2 9 1 3", "otp"),
    ("Mã xác thực: 5521", "5521", "otp"),
    ("thẻ 4111 1111 1111 1111 bị trừ tiền", "4111 1111 1111 1111", "card"),
    ("số thẻ 9704-0512-3456-7891", "9704-0512-3456-7891", "card"),
    ("số căn cước 001234567890 của tôi", "001234567890", "id_number"),
    ("mật khẩu là Abc@12345", "Abc@12345", "password"),
    ("chuyển khoản vào stk 0123456789012 giúp tôi", "0123456789012", "account"),
])
def test_redact_masks_secrets(text: str, secret: str, kind: str) -> None:
    r = redact(text)
    assert secret not in r.text and MASK in r.text and kind in r.kinds


@pytest.mark.parametrize("text", [
    "Năm 2025 có gì mới về VNeID?", "gọi 113 hay 156?", "chuyển 10 triệu có cần sinh trắc học không",
    "mật khẩu thế nào là mạnh", "ngày 1/7/2025 sáp nhập tỉnh", "số điện thoại 0912345678 của con tôi",
    "OTP là gì", "mã QR trên hóa đơn tiền điện",
])
def test_redact_leaves_ordinary_questions(text: str) -> None:
    assert redact(text).text == text


@pytest.mark.parametrize("text,expected", [
    ("công an gọi bảo tôi chuyển tiền vào tài khoản an toàn", True),
    ("tôi lỡ đọc mã OTP cho người ta rồi", True),
    ("nhân viên ngân hàng gọi bảo đọc mã OTP để xử lý lỗi", True),
    ("lo cai ung dung la nguoi ta gui link", True),
    ("mã OTP là gì", False),
    ("làm sao nhận biết cuộc gọi giả danh công an", False),
    ("chuyển khoản bằng mã QR thế nào", False),
])
def test_ongoing_scam_detection(text: str, expected: bool) -> None:
    assert is_ongoing_scam(text) is expected


def test_accent_restorer_learns_from_the_corpus() -> None:
    from rag.accents import AccentRestorer

    restorer = AccentRestorer(["Bác quên mật khẩu VNeID thì bấm \"Quên mật khẩu\".", "Không có điện thoại"])
    assert restorer.restore("quen mat khau vneid") == "quên mật khẩu vneid"
    assert restorer.restore("ko co dt") == "không có điện thoại"
    assert restorer.restore("Quên mật khẩu") == "Quên mật khẩu"  # already accented: untouched
    assert restorer.restore("xyz abc") == "xyz abc"


def test_accent_restorer_takes_the_most_frequent_form_and_on_a_tie_the_first_seen() -> None:
    from rag.accents import AccentRestorer

    restorer = AccentRestorer(["mã số", "ma số", "mà", "mã", "má ơi", "má ơi", "mã ơi"])
    assert restorer.restore("ma") == "mã"  # mã 3 times, ma, mà and má once or twice
    assert restorer.restore("ma oi") == "má ơi"  # the pair as a whole: "má ơi" twice, "mã ơi" once
    assert restorer.restore("ma so") == "mã số"  # one each: the first seen
    assert AccentRestorer([]).restore("ma so") == "ma so"
