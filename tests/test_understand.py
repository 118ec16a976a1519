"""Pure logic of reading typed replies and situations (no servers, no model)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import messages as msg
from bot.campaigns import CAMPAIGN_PROMPT
from bot.names import Name, hamlet_place, name_answer
from bot.prompts import read
from bot.quiz import parse_choice
from bot.registration import _ask, commune_answer, consent_reply
from bot.situation import CALM, MISTAKE, PAY_NOW, SCAM_NOW, Situation, classify
from bot.types import Button
from bot.understand import match_button, settle, words, yes_no
from bot.values import day_month, month_point, number


@pytest.mark.parametrize(("typed", "meant"), [
    ("dong y", True), ("Tôi đồng ý", True), ("ok chau", True), ("ừ", True), ("vg", True), ("DDOONGF YS", True),
    ("Dạ, cái này thì tôi đồng ý, cháu cứ ghi lại cho tôi nhé.", True), ("thôi oke", True),
    ("ko", False), ("khong dong y", False), ("ko phai", False), ("hông phải", False), ("khum", False),
    ("nỏ có", False), ("lộn rồi", False), ("chưa", False),
    ("khong biet", None), ("lam sao cai vneid", None), ("co, nhung lam sao cai vneid", None), ("ở đâu?", None),
])
def test_yes_no(typed: str, meant: bool | None) -> None:
    assert yes_no(typed) is meant


@pytest.mark.parametrize(("typed", "value"), [
    ("4", 4), ("bốn người", 4), ("muoi hai", 12), ("hai mươi lăm", 25), ("2 chục", 20), ("sáu tám", 68),
    ("một trăm rưỡi", 150), ("mười lămm", 15), ("Dạ bà bảy mươi lăm ạ", 75), ("năm nay tôi năm mươi tư", 54),
    ("nam dua", 5), ("không có ai", None),
])
def test_numbers_in_words(typed: str, value: int | None) -> None:
    assert number(typed) == value


def test_telex_and_regional_spellings() -> None:
    assert words("TIEENS DOOJ", reply=True) == ["tien", "do"]
    assert words("CHUWA CO", reply=True) == ["chua", "co"]
    assert words("shipper", reply=True) == ["shipper"]  # English stays English
    assert words("app", reply=True)[0] == "app"
    assert words("350k") == ["350", "nghin"]
    assert words("hong bang hai phong", reply=True)[0] == "hong"  # a place, not "không"


def test_hedged_answers_settle_on_the_answer() -> None:
    assert settle("b hả?") == "b"
    assert settle("ờ... đúng hả? ừ đúng") == "ừ đúng"
    assert settle("lam sao cai vneid?").endswith("?")  # a real question stays one


def test_button_words_and_negations() -> None:
    consent = consent_reply().buttons
    assert match_button("toi dong y", consent) == consent[0]
    assert match_button("ko dong y", consent) is None  # never pressed by a "no"
    retry = (Button(msg.BTN_RETRY, "/kiemtra x"), Button(msg.BTN_OTHER_LESSON, "/hoc"))
    assert match_button("lam lai bai nay", retry) == retry[0]
    assert match_button("lam sao lam lai bai", retry) is None


@pytest.mark.parametrize(("typed", "day"), [
    ("1/11", (1, 11)), ("01/11", (1, 11)), ("1-11", (1, 11)), ("01.11.2026", (1, 11)), ("ngay 1 thang 11", (1, 11)),
    ("Ngày 1 tháng 11", (1, 11)), ("mùng một tháng mười một", (1, 11)), ("hẹn ngày 15 tháng 5 nhé", (15, 5)),
    ("31/2", (31, 2)),  # read as typed: the handler says the calendar has no such day
    ("tháng 11", None), ("1/11 và 2/11", None), ("32/1", None), ("thứ sáu tuần thứ 4", None),
])
def test_days_of_the_year_typed(typed: str, day: tuple[int, int] | None) -> None:
    assert day_month(typed) == day


@pytest.mark.parametrize(("typed", "point"), [
    ("thứ Sáu tuần thứ 4", (4, 4)), ("thu 6 tuan 4", (4, 4)), ("T6 tuần thứ tư hằng tháng", (4, 4)),
    ("tuần thứ 4, thứ Sáu", (4, 4)), ("Chủ nhật tuần cuối", (5, 6)), ("thu hai tuan dau", (1, 0)),
    ("tuần 4", None), ("thứ sáu", None), ("1/11", None),
])
def test_monthly_points_typed(typed: str, point: tuple[int, int] | None) -> None:
    assert month_point(typed) == point


def test_campaign_days_read_at_their_prompt() -> None:
    def said(text: str) -> str | None:
        reading = read(CAMPAIGN_PROMPT, text, ())
        return reading.value if reading is not None else None

    assert said("ngay 1 thang 11") == "/ngayhoi nam 1-11"
    assert said("thứ 6 tuần thứ 4") == "/ngayhoi thang 4 4"
    assert said("bỏ ngày 01/11") == "/ngayhoi bo nam 1-11"
    assert said("huỷ thứ sáu tuần 4") == "/ngayhoi bo thang 4 4"
    assert said("thôi") == "/ok"
    assert said("ngày hội là gì?") is None and said("cách cài VNeID") is None


def test_registration_prompts_read_in_words() -> None:
    def value(step: str, typed: str) -> str | None:
        asked = _ask(step)
        assert asked.prompt is not None
        reading = read(asked.prompt, typed, asked.buttons)
        return None if reading is None else reading.value

    assert value("age", "68") == "/dk age 60-69"
    assert value("age", "sinh năm 1958") == "/dk age 60-69"
    assert value("age", "ngoài 70") == "/dk age 70+"
    assert value("group", "hưu trí rồi") == "/dk group nguoi-dan"
    assert value("group", "cách chuyển tiền bằng mã QR cho an toàn") is None  # a question, not a group
    assert value("vneid", "mới mức 1 thôi") == "/dk vneid chua"
    assert value("vneid", "không biết") == "/dk vneid khong-ro"
    assert value("name", "bỏ qua") == "/dk skip"
    assert value("name", "cuu toi, nguoi xung cong an bat chuyen tien") is None  # an emergency is no answer


def test_names_and_places() -> None:
    assert name_answer("toi ten la Nguyen Van Tu") is not None
    assert name_answer("Dạ cháu gọi tôi là ông Khiêm là được rồi.").value == "ông Khiêm"  # type: ignore[union-attr]
    assert name_answer("Dạ tên tôi là Đỗ Thị Xuân, năm nay bảy mươi tuổi").value == "Đỗ Thị Xuân"  # type: ignore[union-attr]
    assert name_answer("Nguyễn Thị Hồng").value == "Nguyễn Thị Hồng"  # type: ignore[union-attr]
    # Where the person lives, a dash, a bracket or "họ" after the name: the name alone is kept.
    for typed, name in (("cô Hạnh ở xóm 3", "cô Hạnh"), ("Đặng Văn Lâm - thôn 4", "Đặng Văn Lâm"),
                        ("Hồ Văn Tám (ông Tám)", "Hồ Văn Tám"), ("tôi họ Trần", "Trần"),
                        ("Tên đầy đủ là Nguyễn Thị Kim Oanh", "Nguyễn Thị Kim Oanh")):
        assert name_answer(typed) == Name(name), typed
    for not_a_name in ("lam sao cai vneid", "quen mat khau vneid", "chao chau", "TOI LA NONG DAN", "khong muon noi"):
        assert name_answer(not_a_name) is None, not_a_name
    assert hamlet_place("Dạ, nhà tôi ở tổ dân phố số 9, ngay gần nhà văn hóa cháu ạ.") == "tổ dân phố số 9"
    assert hamlet_place("xóm Chùa") == "xóm Chùa"
    assert hamlet_place("lam sao cai vneid") is None


def test_communes_typed_loosely() -> None:
    def label(typed: str) -> str | None:
        found = commune_answer(typed)
        return found[0].label if found else None

    assert label("hong bangg hai phong") == "Phường Hồng Bàng, Thành phố Hải Phòng"
    assert label("Dạ, phường Đông Hà, tỉnh Quảng Trị cháu nhé.") == "Phường Đông Hà, Quảng Trị"
    assert label("Tôi ở phường Trường Vinh thành phố Vinh Nghệ An") == "Phường Trường Vinh, Nghệ An"
    assert commune_answer("mệ nỏ biết tên xã mới") is None
    assert commune_answer("lam sao cai vneid") is None


def test_quiz_choices_in_words() -> None:
    options = ("Link người lạ gửi qua tin nhắn", "Trang web bất kỳ trên mạng",
               "CH Play hoặc App Store, nhà phát triển Bộ Công an", "Nhóm Zalo hỗ trợ")
    assert parse_choice("b hả?", options) == 1
    assert parse_choice("Tôi chọn đáp án xê", options) == 2
    assert parse_choice("tai tren ap sto", options) == 2
    assert parse_choice("cái cuối", options) == 3
    assert parse_choice("bo qua", options) is None


@pytest.mark.parametrize(("text", "kind", "act"), [
    ("chet roi toi vua chuyen 50 trieu cho nguoi xung cong an", SCAM_NOW, "money_sent"),
    ("Mẹ em đọc sáu số trong tin nhắn cho một người bảo là bên ngân hàng. Giờ làm gì ạ?", SCAM_NOW, "otp_read"),
    ("Đang bị 'công an' giữ máy", SCAM_NOW, "none_yet"),
    ("ho bao toi trung thuong, phai chuyen truoc 3 trieu phi van chuyen, co nen chuyen k", PAY_NOW, None),
    ("toi chuyen nham so tai khoan roi, lam sao lay lai", MISTAKE, "wrong_transfer"),
    ("Nhập sai mã PIN 3 lần, thẻ ATM bị khóa rồi", CALM, None),
    ("Nếu tôi lỡ bấm vào một đường link lạ trên Facebook thì nên làm gì trước tiên?", CALM, None),
    ("ngân hàng có bao giờ gọi điện hỏi mã OTP không", CALM, None),
    ("Bệnh viện có bắt nộp tiền trước rồi mới cấp cứu không?", CALM, None),
    # A video call of a relative asking for money, the money sent, the relative unreachable or denying it after.
    ("Bố em vừa gọi video thấy đúng mặt anh trai em nhờ chuyển 50 triệu, bố chuyển rồi giờ gọi lại ko được",
     SCAM_NOW, "money_sent"),
    ("Thằng cháu gọi video qua messenger mượn 15 triệu đóng học, tôi gửi xong nó nhắn tin bảo không phải nó",
     SCAM_NOW, "money_sent"),
    ("ong chu goi video bao chuyen gap 200 trieu cho doi tac, ke toan chuyen xong moi thay sep khong biet gi",
     SCAM_NOW, "money_sent"),
    # Photos asked for first, sent later in the message.
    ("Em kết bạn với anh sĩ quan Mỹ trên zalo, anh ấy xin ảnh CCCD 2 mặt để làm thủ tục gửi quà, em gửi rồi có sao ko",
     SCAM_NOW, "card_photos"),
    # A stranger's message about a relative in hospital, told with a what-now question.
    ("Một người nhắn zalo bảo con tôi bị đánh đang nằm viện, cần tiền gấp, tôi nên làm gì", SCAM_NOW, "none_yet"),
    ("Nếu có người gọi báo con bị tai nạn đang cấp cứu thì phải làm sao?", CALM, None),
    # An earlier "có" does not make "có nên chuyển không" a general question; a fake switchboard; a threat call.
    ("Họ bảo nhà tôi nợ tiền nước, phải chuyển vào tài khoản cá nhân, tôi có trả đủ mà, có nên chuyển không",
     PAY_NOW, None),
    ("doc ma otp cho tong dai ngan hang gia roi", SCAM_NOW, "otp_read"),
    ("nhan vien bhxh goi doa bo bi phat vi chua cap nhat", SCAM_NOW, "none_yet"),
    # Paying "thêm" twice into a task scam is no double payment; money that arrives from a stranger, kept aside.
    ("lam nhiem vu bi bao sai tai khoan, phai nap them moi rut duoc, toi nap them 2 lan roi", SCAM_NOW, "money_sent"),
    ("Tự nhiên tài khoản tôi nhận chuyển khoản 30 triệu từ một người lạ, tôi sợ lừa đảo chưa dám động vào", MISTAKE,
     "received"),
    # Found out only afterwards who it was: money sent to a scammer, whatever words the story used; found out it was
    # the wrong account: an honest mistake.
    ("bà chuyển liền 40 triệu cho người ta, về nhà mới biết là kẻ gian, giờ tính sao", SCAM_NOW, "money_sent"),
    ("tôi chuyển 2 triệu, lúc sau mới biết là gõ nhầm số tài khoản, giờ làm sao", MISTAKE, "wrong_transfer"),
    # Money that came in, told as the bank's notice or as "tiền lạ … vào tk"; money sent that has not arrived is not.
    ("sáng ra thấy tài khoản báo cộng 20 triệu mà chẳng biết ai gửi", MISTAKE, "received"),
    ("tien la chuyen vao tk cua toi thi phai lam sao", MISTAKE, "received"),
    ("tự dưng được ai đó chuyển cho mấy chục triệu vào tài khoản, làm gì bây giờ", MISTAKE, "received"),
    ("tôi chuyển cho con 5 triệu mà nó bảo chưa thấy báo cộng tiền", CALM, None),
    # Phone credit taken by the carrier is no theft from a bank account; after a link, it may be one.
    ("sim nhà tôi tháng nào cũng bị trừ tiền dịch vụ gì đó, sao vậy", CALM, None),
    ("tai khoan dien thoai cu bi tru tien hoai la sao", CALM, None),
    ("bấm vào link lạ trong tin nhắn xong thì bị trừ tiền điện thoại liên tục", SCAM_NOW, "money_sent"),
    # "Mối đe dọa" is a worry about a service, not someone threatening.
    ("trợ lý AI đọc tin nhắn có phải mối đe dọa cho quyền riêng tư không", CALM, None),
    # Calm: "ngân hàng" is no "ngàn", "bảo hiểm nhân thọ" no message, an ATM that kept the cash, one's own lock.
    ("Đi gửi tiết kiệm, nhân viên ngân hàng mời mua bảo hiểm nhân thọ, có nên mua không?", CALM, None),
    ("cây ATM chưa nhả tiền mà tài khoản đã bị trừ", CALM, None),
    ("Khóa tài khoản ngân hàng khi mất điện thoại thế nào", CALM, None),
    ("Hợp đồng thuê nhà hết hạn, chủ nhà giữ tiền cọc không trả, tôi phải làm gì", CALM, None),
    # A request for steps, a rumour, Wi-Fi without signal: no alarm.
    ("Hướng dẫn nộp lệ phí cấp đổi căn cước", CALM, None),
    ("trên mạng đang đồn sắp đổi tiền, có nên rút hết tiền ra không", CALM, None),
    ("gọi video zalo cho con mà wifi mất sóng hoài", CALM, None),
    # Asked to pay, not paid: "mọi người" is no "mới", "cho xong chuyện" is no "xong", photos received are not
    # photos given.
    ("Trên nhóm Zalo có người nhờ mọi người chuyển tiền ủng hộ gia đình anh Tư, tôi có nên chuyển không", PAY_NOW,
     None),
    ("Số lạ nhắn kèm ảnh ghép mặt tôi, đòi 20 triệu không thì tung lên mạng, có nên trả cho xong chuyện không",
     PAY_NOW, None),
    # A code not received, a face the own bank app does not recognise, a rumour forwarded in a group: no scam in
    # progress; a card photo only asked for ("có nên cho chụp không") is not given.
    ("ko nhan dc ma otp vietcombank, ck cho chau 3 lan roi deu khong duoc", CALM, None),
    ("Giờ quét khuôn mặt trên ứng dụng ngân hàng mà nó không nhận, chuyển 20 triệu không được", CALM, None),
    ("Nhóm Zalo họ hàng cứ chuyển tin khẩn cấp sắp cắt điện cả tuần, tôi có nên gửi tiếp cho mọi người không?",
     CALM, None),
    ("Có anh đến nhà xin chụp căn cước của bà, bảo chụp xong cho 100 nghìn tiền quà, có nên cho chụp không?",
     CALM, None),
    # Paid already, and the seller or "company" has gone silent, vanished, or never delivered.
    ("Tôi đặt cọc 5 triệu mua xe máy cũ trên Facebook, giờ người bán không trả lời tin nhắn nữa", SCAM_NOW,
     "money_sent"),
    ("Tôi chuyển tiền mua vé máy bay cho một trang trên mạng, đến giờ không nhận được vé", SCAM_NOW, "money_sent"),
    ("Vợ tôi đã nộp 15 triệu để được nhận việc làm thêm, giờ công ty biến mất", SCAM_NOW, "money_sent"),
    ("Tôi lỡ trả tiền cho một người bán vàng qua livestream, họ không giao hàng", SCAM_NOW, "money_sent"),
    # Money taken from one's account by someone else; a code sent to the old phone is no police demand.
    ("Sáng ra thấy tiền trong tài khoản bị rút sạch dù tôi không làm gì", SCAM_NOW, "money_sent"),
    ("Công an phường kích hoạt VNeID giúp bố trên máy của họ, giờ máy mới cứ đòi mã gửi về máy cũ, làm sao vào?",
     CALM, None),
    # Cash withdrawn on a fake investigator's order, the transfer only asked about: not sent yet ("điều tra" is no
    # "trả").
    ("Người xưng cán bộ điều tra bảo rút tiết kiệm chuyển vào tài khoản của cơ quan. Tôi đã rút 100 triệu rồi, có nên "
     "chuyển không?", SCAM_NOW, "none_yet"),
    # Papers sent to the wrong office are no wrong transfer.
    ("Hồ sơ làm trên cổng dịch vụ công bị trả về vì gửi sai nơi tiếp nhận, lệ phí đã nộp có lấy lại được không?", CALM,
     None),
    # Asked whether to do one thing after another thing was done: the first still counts.
    ("tôi lỡ gửi ảnh căn cước cho người lạ rồi, có nên báo công an không", SCAM_NOW, "card_photos"),
    # Everyday questions that share a word with a scam story are no alarm.
    ("làm lại căn cước mất bao nhiêu tiền lệ phí vậy", CALM, None),  # "bao nhiêu" is no one telling to pay
    ("ông hỏi làm tài khoản định danh có mất tiền không", CALM, None),  # a cost asked, no money lost
    ("làm sao biết mình bị người ta chặn zalo", CALM, None),  # blocked by a friend, nothing paid
    ("sim nhà tôi bị chặn một chiều không gọi đi được", CALM, None),  # barred by the carrier
    ("đang gọi video với con thì hình đứng, mất kết nối", CALM, None),  # a family call going wrong
    ("đang gọi zalo mà không nghe rõ tiếng thì bấm gì", CALM, None),  # "mà" (but) is no "mã" (code)
    ("mạng đang đồn clip bắt cóc trẻ con ở chợ, có nên chia sẻ cho hàng xóm", CALM, None),  # kidnapping, no deposit
    ("mua trên sàn giao nhầm món khác, khiếu nại lên sàn được không", CALM, None),  # a shop, no investment floor
    ("con bảo tôi cập nhật ứng dụng mà tôi không biết bấm đâu", CALM, None),  # told by family
    # ...and the same words in a scam story still are.
    ("bên tuyển dụng bắt cọc 500k tiền đồng phục mới cho đi làm", PAY_NOW, None),  # "bắt cọc" is a deposit demanded
    ("ck 500k cho người bán xong thì bị chặn zalo luôn", SCAM_NOW, "money_sent"),
    ("người ta đòi tôi 300 nghìn lệ phí làm căn cước nhanh, có nộp không", PAY_NOW, None),
    ("có người đòi 300 nghìn lệ phí làm căn cước nhanh, nộp không", PAY_NOW, None),  # "có người": someone, now
    ("có người nào bị lừa kiểu này chưa vậy, có không", CALM, None),  # a question about others
    ("người xưng công an đang gọi bảo tôi đọc mã vừa gửi", SCAM_NOW, "otp_read"),
    # "nhắn tin" folds like "nhận tin": a friend's account writing to borrow is no money received by mistake.
    ("zalo ban toi nhan tin muon 5 trieu, anh dai dien dung la ban toi. co nen chuyen khong?", PAY_NOW, None),
    ("tự nhiên nhận được 5 triệu lạ vào tài khoản", MISTAKE, "received"),
    # "đồng" (the currency) folds like "đóng" (to pay); "giấy báo cước" is a bill notice, not someone telling.
    ("vào VNeID nhận quà 100.000 đồng mà ứng dụng cứ báo bảo trì, làm sao", CALM, None),
    ("đã trả hóa đơn qua ví rồi mà vẫn nhận giấy báo cước của nhà mạng", CALM, None),
    ("tôi đã nộp 200.000 đồng cho người xưng cán bộ rồi", SCAM_NOW, "money_sent"),
    # A locked screen that names a number to call and buy an unlock code: a ransom, whoever wrote it.
    ("may tu nhien hien chu da bi khoa, bat goi so nay mua ma mo khoa 100k", PAY_NOW, None),
    ("mua mã mở khóa mạng cho iphone lock ở đâu uy tín", CALM, None),
    # "mã OTP vừa gửi về máy": the code just arrived, nothing done; "bảo tôi đọc mã … và cài ứng dụng": both only asked.
    ("họ bảo tôi đọc mã OTP vừa gửi về máy và cài thêm một ứng dụng theo link, có nên làm không", CALM, None),
    ("tôi vừa đọc mã OTP cho người xưng ngân hàng", SCAM_NOW, "otp_read"),
    # "mất" at a clause's end after a parent or spouse is a death, not a lost account.
    ("Mẹ tôi vừa mất, tài khoản của bà còn tiền. Tôi biết mật khẩu, tôi tự chuyển tiền ra được không?", CALM, None),
    ("tôi vừa mất tài khoản zalo, làm sao lấy lại", CALM, None),
    # A charge that comes every month is a subscription or a fee; "ngân hàng báo tăng phí" is a notice.
    ("tháng nào cũng bị trừ 30 nghìn tiền gói dịch vụ, hủy thế nào", CALM, None),
    ("ngân hàng báo tăng phí tin nhắn, tháng nào cũng bị trừ mấy chục nghìn, có cách nào đỡ không", CALM, None),
    # Fake officials after valuables in person or after silence; someone who means to keep a scammer talking.
    ("nguoi xung cong an bao se cho can bo den nha thu so tiet kiem va vang de niem phong, dan khong duoc ke voi con",
     SCAM_NOW, "none_yet"),
    ("người xưng viện kiểm sát gọi, dặn không được nói với con cháu, có nghe theo không", SCAM_NOW, "none_yet"),
    ("số lạ gọi bảo tôi đọc thông tin, tôi biết là lừa nên định nói chuyện tiếp để vạch mặt", SCAM_NOW, "none_yet"),
    # A transfer the bank would not make is not money sent.
    ("tôi ra quầy định chuyển 200 triệu cho người xưng công an, nhân viên không cho chuyển, giờ làm sao",
     SCAM_NOW, "none_yet"),
    # "bấm link được chưa" asks whether to; "gửi link" is no money sent; "nhắn đóng 1 triệu" is a demand, not money in.
    ("họ gửi link bảo vào nhận quà, tôi bấm link được chưa", SCAM_NOW, "none_yet"),
    ("bên cho vay nhắn đóng 1 triệu phí hồ sơ mới giải ngân, có đóng không", PAY_NOW, None),
    # "bao lâu", "mất bao nhiêu tiền": how long, how much it costs.
    ("chuyen tien lien ngan hang bao lau thi nhan duoc", CALM, None),
    ("làm tài khoản định danh mất bao nhiêu tiền", CALM, None),
    ("người nước ngoài làm tài khoản định danh mất mấy ngày", CALM, None),
    ("cach huy goi tren google play bi tru tien hang thang", CALM, None),
    ("tài khoản tôi tự nhiên mất 5 triệu lúc đêm", SCAM_NOW, "money_sent"),
    # A login prompt the person never started is someone else at the door; one's own new phone is not.
    ("app ngan hang cu hien xac nhan dang nhap tren thiet bi moi, toi co dang nhap gi dau, bam dong y duoc khong",
     SCAM_NOW, "none_yet"),
    ("Zalo báo có người đăng nhập trên thiết bị lạ mà tôi không hề đăng nhập", SCAM_NOW, "none_yet"),
    ("Tôi vừa đổi điện thoại mới, đăng nhập app ngân hàng thì nó bắt xác nhận thiết bị mới, làm sao?", CALM, None),
    # Someone else's QR code that asks to confirm a login hands them the account; one's own login by QR does not.
    ("quét mã QR bạn trên mạng gửi để nhận quà, máy hiện hỏi xác nhận đăng nhập Zalo trên máy khác", SCAM_NOW,
     "none_yet"),
    ("quet ma qr nguoi ta gui xong zalo hoi co xac nhan dang nhap khong", SCAM_NOW, "none_yet"),
    ("Tôi quét mã QR trên trang dịch vụ công để đăng nhập thì VNeID hỏi xác nhận đăng nhập, bấm đồng ý à?", CALM,
     None),
    ("Nếu quét mã QR người lạ gửi mà máy hiện xác nhận đăng nhập thì có sao không?", CALM, None),
    # An app the children put on is no scam; "là" is not "lạ"; a strange or fake app still is.
    ("Con cài cho tôi cái ứng dụng đo huyết áp, đặt ngón tay lên camera là ra số, có tin được không", CALM, None),
    ("tôi lỡ cài ứng dụng lạ rồi, giờ làm sao", SCAM_NOW, "remote_app"),
    ("tôi vừa cài app giả dịch vụ công, máy nóng ran", SCAM_NOW, "remote_app"),
    # One's own factory reset or forgotten password is a slip; the same told by a caller is not.
    ("Tôi lỡ bấm khôi phục cài đặt gốc, giờ máy đòi tài khoản Google cũ mà tôi không nhớ mật khẩu", CALM, None),
    ("người ta gọi bảo tôi quên mật khẩu thì đọc mã OTP cho họ", SCAM_NOW, "otp_read"),
    # Papers one uploads to the public services portal or VNeID are no handover; sent to a caller they are.
    ("Lần trước tôi đã chụp tải căn cước lên Cổng dịch vụ công rồi, lần này có phải tải lại không?", CALM, None),
    ("tôi đã chụp ảnh căn cước gửi qua zalo cho người xưng công an rồi", SCAM_NOW, "card_photos"),
    # "lưu sẵn" and "sân bay" are no trading floor ("sàn"); "người ta bảo mật khẩu kiểu đó dễ đoán" gives nothing away.
    ("Tôi đã chụp tải căn cước lên cổng dịch vụ công rồi, nghe nói có kho dữ liệu lưu sẵn, nó là gì?", CALM, None),
    ("Người ta bảo mật khẩu đặt bằng tên cháu dễ bị đoán, vậy đặt thế nào cho an toàn?", CALM, None),
    ("tôi lỡ báo mật khẩu cho người xưng nhân viên ngân hàng rồi", SCAM_NOW, "password_typed"),
    ("tôi nạp tiền vào sàn đầu tư, giờ không rút được, họ đòi đóng phí", SCAM_NOW, "money_sent"),
    # Money "được trả / được chuyển" came to the person: asked to pay now, nothing sent yet.
    ("tôi làm nhiệm vụ được trả 270 nghìn rồi, hôm sau họ bảo phải chuyển tiền mới rút được thưởng, có nên chuyển",
     PAY_NOW, None),
    # A lost signal with a bank-named text and a link: a scam now, but no money gone yet.
    ("điện thoại tự nhiên mất sóng, rồi có tin nhắn tên Vietcombank báo đổi điểm thưởng kèm link, bấm được không",
     SCAM_NOW, "none_yet"),
    # Money sent to "them", and "what now": someone who has just lost it; a mistyped account stays a mistake.
    ("tôi đã chuyển 5 triệu cho họ rồi, giờ làm sao", SCAM_NOW, "money_sent"),
    ("tôi chuyển nhầm 5 triệu cho người ta rồi, giờ làm sao", MISTAKE, "wrong_transfer"),
    ("tôi đã gửi tiền cho họ rồi, bao lâu thì họ nhận được", CALM, None),
    # Savings or cards "for the investigation", or fetched at the house by a stranger posing as someone: a scam now.
    ("có người đến nhà bảo đưa sổ tiết kiệm để niêm phong phục vụ điều tra", SCAM_NOW, "none_yet"),
    ("người tự xưng nhân viên bưu điện đến nhà đòi lấy thẻ ngân hàng để kích hoạt", SCAM_NOW, "none_yet"),
    ("con trai đến nhà lấy sổ tiết kiệm của tôi đi gửi ngân hàng", CALM, None),
    # "tin nhắn trừ tiền" is money taken out ("nhắn" folds like "nhận"); "nói chuyện" is talking, not a transfer.
    ("Thẻ ATM của tôi tự nhiên có 3 tin nhắn trừ gần 3 triệu, trả cho quảng cáo gì đó, tôi phải làm gì?", CALM, None),
    ("tự nhiên có 5 triệu vào tài khoản, không biết của ai", MISTAKE, "received"),
    ("Con biểu cài WhatsApp để nói chuyện. Giờ tôi cứ bị người lạ thêm vô nhóm quảng cáo, chặn sao?", CALM, None),
    # "phục vụ điều tra, xong sẽ trả lại" is no "trả xong" (paid): nothing sent yet, on the way to the bank.
    ("Có người xưng công an bắt chuyển hết 260 triệu vào tài khoản họ để phục vụ điều tra, xong sẽ trả lại. Tôi đang "
     "ra ngân hàng rút tiền, có nên chuyển không?", SCAM_NOW, "none_yet"),
    # Money that "bốc hơi" from the account is money gone; a few thousand taken every month is a fee to ask about.
    ("sáng nay tiền trong tài khoản của tôi bốc hơi hết 50 triệu, tôi không làm gì cả", SCAM_NOW, "money_sent"),
    ("Tài khoản nhận lương tháng nào cũng bị trừ mấy nghìn đồng mà tôi có làm gì đâu. Gọi tổng đài thì họ trả lời "
     "chung chung. Sao lại bị trừ vậy?", CALM, None),
    # Money "họ" sent the person is the bait of a task scam, not money the person sent: asked to deposit, not paid.
    ("co nguoi goi bao toi xem video tha tim, moi lan duoc 6 nghin, ho chuyen tien that. gio ho keo vao nhom bat nap "
     "tien. toi co lam tiep khong", PAY_NOW, None),
    ("nguoi ta chuyen 2 trieu cho toi roi doi toi nap 10 trieu de rut", PAY_NOW, None),
    # The person's own Zalo or Facebook taken over and asking their contacts for money; "tự động" is no "đóng" (pay).
    ("Quét mã QR bình chọn giúp bạn xong thì Zalo của tôi tự nhắn vay tiền khắp danh bạ. Giờ tôi phải làm gì?",
     SCAM_NOW, "account_taken"),
    ("facebook cua toi tu dong nhan tin muon tien nguoi quen", SCAM_NOW, "account_taken"),
    ("Bạn bè gọi báo tài khoản của tôi đang hỏi mượn 10 triệu, tôi không hề nhắn", SCAM_NOW, "account_taken"),
    ("zalo cua toi bi hack, toi da chuyen 5 trieu cho no roi", SCAM_NOW, "money_sent"),
    ("nick cua ban toi bi hack nhan tin vay tien toi, toi co nen chuyen khong", SCAM_NOW, "none_yet"),
    # Money moved away by someone else, told with them as the subject: money gone. Two months of pension paid together
    # before Tết is no stranger's money received by mistake.
    ("ho chuyen het tien cua toi di roi, gio lam sao", SCAM_NOW, "money_sent"),
    ("tai khoan toi bi ho chuyen het tien di roi", SCAM_NOW, "money_sent"),
    ("Tháng này lương hưu của mẹ tôi về gấp đôi, có phải bị chuyển nhầm không, có phải trả lại không?", CALM, None),
    # The phone's own update prompt, blocking a nuisance caller oneself, the bill collector one no longer waits for and
    # "người già" (old people, folded like "giả"): everyday questions, no scam.
    ("may toi cu hien bao cap nhat phien ban android moi, bam cap nhat co sao khong", CALM, None),
    ("Có số lạ gọi đêm nào cũng im lặng rồi tắt, làm sao chặn số đó?", CALM, None),
    ("Tôi muốn trả tiền nước trên điện thoại cho khỏi chờ người ta tới thu, làm sao?", CALM, None),
    ("Ngân hàng người già hay dùng là ngân hàng nào, mở tài khoản có khó không?", CALM, None),
    ("chuyen 3 trieu coc mua hang xong no chan so toi luon roi", SCAM_NOW, "money_sent"),
    ("nguoi ta goi bao cap nhat vneid, gui link bat cai, toi cai roi", SCAM_NOW, "remote_app"),
    # Savings about to be drawn for whoever called, the family unable to stop it: a scam now, before any transfer.
    ("Ông nhà tôi nghe máy xong nhất quyết ra quầy tất toán sổ tiết kiệm để chuyển cho họ, con cháu can không được",
     SCAM_NOW, "none_yet"),
    ("bo toi rut so tiet kiem de chuyen cho ho hang xay nha, lam tren app duoc khong", CALM, None),
    # An app the youngest son put on the phone: no act of the person's, nobody posing.
    ("Thằng út cài cho tôi ứng dụng đo nhịp tim, đo ra khác máy ở trạm y tế, tin cái nào?", CALM, None),
])
def test_situations(text: str, kind: str, act: str | None) -> None:
    found = classify(text)
    assert (found.kind, found.act) == (kind, act)


@pytest.mark.parametrize("text", [
    "Vừa nhập số tài khoản người nhận thì ứng dụng ngân hàng hiện cảnh báo",  # "tài khoản" is no "tải"
    "tôi vừa điền số tài khoản người bán vào app ngân hàng của tôi",  # one's own bank app: no link, nothing given
])
def test_typing_a_payees_account_number_is_no_act(text: str) -> None:
    from bot.scam_signs import act_of, words

    assert act_of(words(text)) is None


def test_the_model_never_alarms_with_no_trace_of_a_scam() -> None:
    """With nobody else in the story and nothing done, the model's second opinion is not asked."""
    from bot.config import Settings
    from bot.situation import SituationModel, route

    model = SituationModel.load(Settings().knowledge_dir / "situations" / "tune.jsonl")
    assert model is not None
    question = "Bố tôi mất năm ngoái, đang hưởng lương hưu 5 triệu, gia đình được nhận trợ cấp mai táng bao nhiêu?"
    assert route(question, model).kind == CALM
    assert route("Có người xưng công an gọi bảo bố tôi chuyển tiền để xác minh, bố đang nghe máy", model).alarming
    # Nobody asks for the money and nothing is paid into a scheme: a savings question, not a payment demand.
    assert route("Nhà có 50 triệu, nên gửi tiết kiệm hay mua vàng thì lãi cao hơn?", model).kind == CALM
    # An app the family put on the phone, nobody posing and nothing lost: the model is not asked either.
    assert route("Thằng út cài cho tôi cái app đo huyết áp bằng camera, đo ra khác máy đo bắp tay, tin cái nào?",
                 model).kind == CALM
    assert route("Con tôi cài cho tôi app ngân hàng, giờ có người gọi xưng công an bảo mở app chuyển tiền",
                 model).alarming
    # An app one installed oneself that asks for permissions: no emergency; put on at a "police" order: the emergency.
    assert route("Tôi cài cái ứng dụng đèn pin, nó hiện bảng đòi cho phép truy cập danh bạ với vị trí. Mấy cái đã lỡ "
                 "bấm Cho phép rồi thì tắt ở đâu?", model).kind == CALM
    assert route("cai app an ninh tai chinh theo lenh 'cong an Ha Noi' roi, gio lam sao", model).alarming
    # Something found in one's name that one never opened, told afterwards: what to do now, not "hang up".
    assert route("Hồi tháng 6 có người xưng cộng tác viên nhà mạng đến nhà lấy số căn cước, chụp khuôn mặt. Giờ "
                 "tôi thấy có tài khoản ngân hàng đứng tên mình mà tôi chưa từng mở, làm sao?", model).kind == CALM
    assert route("Có người đang gọi bảo có khoản vay đứng tên tôi mà tôi chưa từng vay, bắt chuyển tiền để hủy",
                 model).alarming
    # "có phải bị lừa không" is the asker's doubt, no sign of a scam: one's own transfer to one's child that the bank
    # app asks to confirm with a face scan is calm; a poser's demand asked about the same way is not.
    assert route("Tôi chuyển 12 triệu cho con gái mà app ngân hàng bắt quét khuôn mặt, có phải bị lừa không?",
                 model).kind == CALM
    assert route("Người xưng công an bắt tôi chuyển 15 triệu vào tài khoản tạm giữ, có phải bị lừa không?",
                 model).alarming
    # The bank app's own check ("app đòi quét khuôn mặt") on a transfer one makes is nobody demanding money.
    assert route("Tôi chuyển 12 triệu cho cháu, app đòi quét khuôn mặt, vậy có bình thường không?", model).kind == CALM
    assert route("Người xưng ngân hàng gọi bảo app đòi quét khuôn mặt, bắt tôi chuyển 12 triệu vào tài khoản an toàn",
                 model).alarming
    # Nor is such a question kept from the scope judge: money words alone are no trace of a scam.
    from bot.situation import never_decline

    # "cứu" a plant or a field is no cry for help; "cứu tôi" is
    assert not never_decline("Cách cứu cây ớt bị xoăn ngọn và lụi tàn sớm", model)
    assert never_decline("cứu tôi với, người ta đang đòi chuyển tiền", model)
    # "bệnh gì vậy" folds to "vay", a loan: a symptom told is no money word, so the scope judge may decline it.
    assert not never_decline("Hai đầu gối tôi đau nhức nhiều năm, đi khám bác sĩ uống thuốc hoài không hết, giờ "
                             "chân tê. Tôi bị bệnh gì vậy?", model)

    assert not never_decline("Ông bà để dành được ít tiền, lãi gửi tiết kiệm thấp quá, có nên rút ra mua vàng?", model)
    assert never_decline("Người xưng cán bộ ngân hàng gọi bảo mẹ rút tiết kiệm chuyển sang tài khoản an toàn", model)
    # An offer of returns asked to be checked is a scam check, not investment advice (purpose-written examples).
    assert never_decline("Có trang mạng mời góp vốn xây khu nghỉ dưỡng, góp 10 triệu sau 1 giờ lãi 1%, có thật "
                         "không?", model)
    assert never_decline("web cong ty lon moi gop von du an, loi nhuan 5% moi ngay, co uy tin khong", model)
    assert never_decline("Họ mời mua cổ phần dự án, lợi nhuận 3% mỗi tuần, có dấu đỏ hẳn hoi, tin được không?", model)
    assert not never_decline("Gửi tiết kiệm 6 tháng hay 12 tháng thì lãi nhiều hơn, nên chọn kỳ hạn nào?", model)
    # Where one's own savings earn most is investment advice, declined; someone's offer asked about the same way is not.
    assert not never_decline("Tôi có 400 triệu để dành, nên gửi ngân hàng hay mua chứng khoán thì lời nhiều "
                             "nhất?", model)
    assert not never_decline("Bán nhà được 2 tỷ, nên mua cổ phiếu hay gửi ngân hàng thì lãi cao hơn?", model)
    assert never_decline("Có người rủ bỏ 300 triệu vào sàn vàng, nên gửi ngân hàng hay theo họ thì lời hơn?", model)


def test_a_code_sent_to_ones_phone_is_no_money_sent() -> None:
    """"mã vừa gửi về điện thoại" is a code arriving, not money going out (the two sentences fold together)."""
    from bot.scam_signs import act_of, words

    text = words("Có người gọi nhờ tôi đọc giúp mã vừa gửi về điện thoại. Đọc cho họ có sao không?")
    assert act_of(text) is None and act_of(text, asking=True) is None



def test_the_situation_model_is_trained_once_and_then_read_without_scikit_learn(tmp_path: Path) -> None:
    """The kept arrays give scikit-learn's own probabilities, and a new process reads them without importing it."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    from bot.situation import SituationModel, fold_words

    tune = Path(__file__).resolve().parent.parent / "knowledge" / "situations" / "tune.jsonl"
    model = SituationModel.load(tune, tmp_path)
    assert model is not None and len(list(tmp_path.glob("situations-*.npz"))) == 1
    rows = [json.loads(line) for line in tune.read_text(encoding="utf-8").splitlines() if line.strip()]
    reference = Pipeline([
        ("grams", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)),
        ("model", LogisticRegression(C=5.0, class_weight="balanced", max_iter=2000)),
    ]).fit([fold_words(r["text"]) for r in rows], [r["situation"] for r in rows])
    for text in ["Có người xưng công an gọi bảo tôi chuyển tiền", "lam sao cai vneid", "", "ck   nhầm 5tr r",
                 "Ôi giời ơi!!! mất sạch tiền rồi"]:
        assert np.allclose(model.model.proba(fold_words(text)), reference.predict_proba([fold_words(text)])[0])
    code = ("import sys; from pathlib import Path; from bot.situation import SituationModel; "
            f"m = SituationModel.load(Path({str(tune)!r}), Path({str(tmp_path)!r})); "
            "print(m.predict('người xưng công an bảo chuyển tiền')[0], 'sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parent.parent).stdout.split()
    assert out == [model.predict("người xưng công an bảo chuyển tiền")[0], "False"]


@pytest.mark.parametrize(("text", "written"), [
    ("tôi nhận tin nhắn báo tài khoản bị khóa, bảo bấm vào link để mở lại", True),
    ("nick zalo của con gái nhắn mượn 10 triệu gấp", True),
    ("trang facebook quảng cáo bảo tôi trúng thưởng xe máy", True),
    ("có người gọi điện báo tài khoản bị khóa, bảo bấm vào link", False),  # a call: "cúp máy" fits
    ("họ nhắn zalo rồi gọi video cho tôi", False),
    ("người xưng công an đến nhà đòi lấy sổ tiết kiệm", False),  # neither: the call's wording, as before
])
def test_how_the_scam_came(text: str, written: bool) -> None:
    from bot.scam_signs import words
    from bot.visit_signs import written_only
    assert written_only(words(text)) is written


@pytest.mark.parametrize(("text", "relative"), [
    ("Mẹ tôi 87 tuổi bị gọi xưng công an bắt chuyển tiền", True),
    ("bo em bi nguoi la goi dien du cai ung dung dieu khien may", True),
    ("bà cụ hàng xóm nhờ em xem điện thoại, bà bị gọi bảo đọc mã", True),
    ("ông nội em nhận cuộc gọi xưng luật sư đòi tiền bảo lãnh", True),
    ("mà tôi không biết, có người gọi bảo chuyển tiền", False),  # "mà", not "má"
    ("họ bỏ tôi vào nhóm zalo bảo nạp tiền", False),  # "bỏ", not "bố"
    ("ba tối liền có người gọi bảo tôi cài ứng dụng", False),  # "ba tối": three nights
    ("mẹ tôi bị gọi, tôi đã chuyển 5 triệu cho họ", False),  # the writer acted: the steps are the writer's own
    ("con tôi bị gọi bảo chuyển tiền", False),  # an older person telling of a child is still the one asking
])
def test_a_story_about_an_older_relative(text: str, relative: bool) -> None:
    from bot.relatives import about_relative
    from bot.scam_signs import words
    assert about_relative(text, words(text)) is relative


@pytest.mark.parametrize("text", [
    # "mã số bảo hiểm" is no code told ("bảo" folds like "báo"); "kẻo mất quyền lợi" grants no permission.
    "người xưng bảo hiểm xã hội bảo gửi số căn cước, mã số bảo hiểm với mã OTP gửi về máy, có đúng không",
    "họ bảo phải tích hợp thẻ cho tôi kẻo mất quyền lợi, có đúng không",
])
def test_words_that_fold_like_an_act_are_no_act(text: str) -> None:
    from bot.scam_signs import act_of, words
    assert act_of(words(text), asking=True) is None



@pytest.mark.parametrize(("text", "kind"), [
    # "mới" (new) folds like "mời" (to invite): a new card's or passport's fee asked about is nobody asking to pay.
    ("le phi ho chieu cap moi het bao nhieu tien", "calm"),
    ("Làm thẻ ATM mới mất phí bao nhiêu?", "calm"),
    ("Có người mời tôi nộp 2 triệu phí hồ sơ để nhận việc, có nên nộp không?", "pay_now"),
    ("mới quen trên mạng đã hỏi vay 5 triệu, có nên cho không", "pay_now"),
    # "người nhận" (the recipient of one's transfer) folds like "người nhắn" (someone who wrote).
    ("chuyen khoan cho chau roi, nguoi nhan noi chua nhan duoc, lam sao", "calm"),
    ("Người nhắn bảo tôi chuyển 5 triệu phí hồ sơ để nhận việc, có nên chuyển không?", "pay_now"),
    # One's own transfer to family that has not arrived is a delay to trace, not money lost to a scammer; the same
    # words after a message "from the child" that the child never sent are a scam.
    ("chuyen tien cho chau 2 trieu tu sang ma no bao chua nhan duoc", "calm"),
    ("Tôi chuyển tiền cho con theo tin nhắn Zalo của nó, giờ nó bảo không hề nhắn, tiền không thấy về", "scam_now"),
])
def test_new_is_no_invitation_and_a_recipient_no_writer(text: str, kind: str) -> None:
    from bot.situation import classify
    assert classify(text).kind == kind


@pytest.mark.parametrize("text, kind, act", [
    # A parcel paid for on delivery is the purchase, and "kẻo nó bị trừ lương" is the caller's wage: nothing was sent
    # to the "shipper" who now begs for more; a caller asking for money, not money gone.
    ("Mấy hôm trước tôi nhận hàng trả tiền rồi, nay có người gọi xưng là shipper hôm đó, nói lỗi hệ thống chưa cập "
     "nhật, nài tôi chuyển lại 20 nghìn kẻo nó bị trừ lương. Ít tiền thôi, chuyển cho xong có sao không?",
     "scam_now", "none_yet"),
    ("shipper gọi bảo bị trừ lương, nài tôi chuyển 20 nghìn, có nên chuyển không", "pay_now", None),
])
def test_a_parcel_paid_on_delivery_and_a_callers_wage_are_no_money_sent(text: str, kind: str, act: str | None) -> None:
    from bot.situation import Situation, route
    assert route(text, None) == Situation(kind, act)


def test_a_parcel_found_fake_after_paying_is_still_money_paid() -> None:
    from bot.mistake_signs import paid_for_goods
    assert paid_for_goods("toi nhan hang ", "toi nhan hang tra tien roi")
    assert not paid_for_goods("toi nhan hang ", "toi nhan hang tra tien roi mo ra toan gach")


@pytest.mark.parametrize("text", [
    "hoi nay toi gui nham tin nhan messenger cho ba con trong xom, gio muon thu hoi lai co duoc khong",
    "Tôi lỡ tay gửi nhầm tấm ảnh vào Messenger của ông thông gia, giờ xóa đi được không?",
])
def test_a_message_or_photo_sent_by_mistake_is_no_money_astray(text: str) -> None:
    from bot.situation import CALM, route
    assert route(text, None).kind == CALM


@pytest.mark.parametrize("text", [
    # "không gọi đi được" is the person's own SIM that cannot call out, not a scammer who cannot be called back
    "điện thoại tôi mấy hôm nay không gọi đi được, nhà mạng nhắn tin bảo chưa chuẩn hóa thuê bao, giờ mở lại thế nào",
    # "không trả lời được" is the person unable to reply, not a seller gone silent
    "zalo báo danh bạ đầy rồi, người lạ nhắn tôi cũng không trả lời được, có phải trả tiền không",
    # "bị bắt cóc" is a kidnapping told (a fake post), not a deposit ("cọc") demanded
    "Có người lấy ảnh cháu tôi đăng tin cháu bị bắt cóc kèm số điện thoại nhà tôi, giờ tôi phải làm gì?",
    # a fee asked about, with a polite particle after "không"
    "Làm căn cước cho người già có mất phí không ạ?",
    # tuition paid to the school as it instructed: the school's bill, no stranger's fee
    "đóng học phí cho cháu qua app ngân hàng theo cách nhà trường hướng dẫn mà không thấy số tiền, sao vậy",
])
def test_ones_own_trouble_a_story_told_and_a_fee_asked_about_are_no_alarm(text: str) -> None:
    from bot.situation import CALM, route
    assert route(text, None).kind == CALM


def test_tuition_demanded_by_a_stranger_still_alarms() -> None:
    from bot.situation import PAY_NOW, route
    assert route("có người gọi xưng nhà trường bảo đóng học phí gấp qua link", None).kind == PAY_NOW
    assert route("người lạ gọi bảo cháu nợ học phí, bắt chuyển 5 triệu vào tài khoản cá nhân", None).kind == PAY_NOW


def test_steps_listed_after_an_instruction_are_told_not_done() -> None:
    from bot.situation import Situation, route
    told = ("Người xưng cán bộ xã bảo muốn nhận tiền hỗ trợ thì cài ứng dụng theo link, nhập số tài khoản rồi nộp phí "
            "200 nghìn. Có nên làm không?")
    assert route(told, None) == Situation("pay_now")
    done = "Người xưng cán bộ xã bảo cài ứng dụng theo link, tôi cài rồi nhập số tài khoản, giờ làm sao?"
    assert route(done, None) == Situation("scam_now", "remote_app")


@pytest.mark.parametrize("text, kind, act", [
    # a weak signal where one lives is coverage, not a SIM taken over
    ("Cả năm nay sóng điện thoại ở nhà tôi yếu lắm, chỉ còn một vạch, nhiều khi mất sóng, báo nhà mạng mãi không sửa, "
     "giờ làm sao", "calm", None),
    # a rumour going round among friends asks nothing of the person
    ("Trên Facebook mọi người rủ nhau đổi mật khẩu, bảo đang có đợt hack lớn, tôi có nên làm theo không?",
     "calm", None),
    # asking whether the one who asks is genuine: what they asked for is not done, unless a marker says so; the
    # question is answered by its verdict, not with the emergency steps
    ("Người xưng cán bộ phường nhắn Zalo bảo gửi ảnh căn cước và số tài khoản để làm hồ sơ. Có đúng là cán bộ phường "
     "không?", "calm", None),
    ("Người xưng cán bộ phường nhắn Zalo bảo gửi ảnh căn cước, tôi đã gửi rồi. Có đúng là cán bộ phường không?",
     "scam_now", "card_photos"),
    # money demanded under a threat
    ("Có người nhắn dọa không chuyển tiền thì tung ảnh ghép của tôi lên mạng, có nên chuyển không", "pay_now", None),
    # "kiểm tra rồi" is no payment, "sim mới" is no "just", and "rồi mua… cài…" goes on with what was told
    ("Họ gọi video xưng công an, bảo phải chuyển tiền để kiểm tra rồi mua sim mới cài ứng dụng của họ. Tôi có phải làm "
     "theo không?", "scam_now", "none_yet"),
])
def test_coverage_rumours_and_what_was_only_asked_for(text: str, kind: str, act: str | None) -> None:
    from bot.situation import Situation, route
    assert route(text, None) == Situation(kind, act)


@pytest.mark.parametrize("text, kind, act", [
    # a seller shown a buyer's receipt sent no money: no emergency about their own transfer, no "đừng chuyển tiền"
    ("Tôi bán rau trên mạng, khách gửi hình hóa đơn chuyển khoản 3 triệu, tôi đã giao hàng mà tối vẫn chưa thấy tiền "
     "vào. Giờ làm sao?", "calm", None),
    ("khach dat mua 2 bao gao, gui anh chuyen khoan thanh cong roi, toi co nen giao hang khong", "calm", None),
    # ...unless the seller was also led to give a code away
    ("Khách gửi ảnh chuyển khoản rồi nhắn link bảo tôi nhập mã OTP để nhận tiền, tôi lỡ đọc mã OTP cho họ rồi",
     "scam_now", "otp_read"),
    # signal lost with nothing else around it is a fault to report; with an "upgrade" call it is a SIM taken over
    ("Sim Viettel của tôi mất sóng cả buổi sáng, không gọi được cho ai, tôi hỏi ở đâu?", "calm", None),
    ("Có người xưng nhà mạng gọi bảo nâng cấp sim 4G, tôi làm theo xong thì máy mất sóng luôn", "scam_now", "none_yet"),
    # "mất tiền mới…", "có mất tiền không": a cost asked about, not money gone
    ("Quên mật khẩu Zalo, nó bắt nhắn tin tới tổng đài, mất tiền mới lấy được mã, có phải lừa không", "calm", None),
    # "tôi già rồi" is the speaker's age, not a transfer done
    ("Người xưng công an gọi bảo tôi nợ tiền, phải chuyển tiền ngay không thì bị bắt. Tôi già rồi có vay ai đâu, "
     "làm sao đây", "scam_now", "none_yet"),
    # "khoản tiền lớn" is a big sum, not "chuyển lộn"; money come in from nobody one knows is money received
    ("Tài khoản của tôi tự nhiên được chuyển vào một khoản tiền lớn, không biết ai chuyển. Giờ làm gì?",
     "honest_mistake", "received"),
    ("ck lộn số tài khoản rồi, làm sao lấy lại", "honest_mistake", "wrong_transfer"),
    # "cháu mới sinh" is a newborn, not "just"; "bắt tải app … rồi nộp phí" is a demand told, nothing installed
    ("Người xưng công an xã gọi bảo phải đăng ký thường trú cho cháu mới sinh, bắt tải ứng dụng dịch vụ công của bộ "
     "công an rồi nộp phí qua đó. Có phải lừa không?", "scam_now", "none_yet"),
    # one's own text to check the SIM's services is no message from someone: the carrier's charges, no emergency
    ("Thuê bao Vina của tôi tháng này bị trừ tiền nhiều, nhắn tin kiểm tra thì thấy dịch vụ lạ tôi không đăng ký, hủy "
     "thế nào", "calm", None),
    # "... gửi qua Zalo là xong. Có nên nhờ không?": asks whether to comply; "là xong" marks nothing done
    ("Trên Facebook có người nhận làm giấy tờ giùm, bảo tôi chụp hai mặt căn cước gửi qua Zalo là xong. Có nên nhờ "
     "không?", "calm", None),
    # what other people did is no act of the asker's; "đa khoa" is no "đã"
    ("Trang mang tên Bệnh viện Đa khoa tỉnh kêu gọi quyên góp cho bé bị bệnh, nhiều người đã chuyển khoản. Tôi muốn "
     "giúp, có nên chuyển vào tài khoản cá nhân ghi trong bài không?", "pay_now", None),
    # "không chịu trả" is unpaid, not money sent; "thừa kế" is an inheritance, not money sent "thừa"
    ("Tôi đã trả hết khoản vay trên app, vậy mà người ta gọi điện bảo tôi đang nợ không chịu trả, lúc thì 2 triệu",
     "pay_now", None),
    ("Ai được hưởng chuyển giao quyền thừa kế sổ tiết kiệm?", "calm", None),
    # a carrier's charges for services never asked for are the carrier's matter; a bank account emptied is not
    ("Tôi dùng sim Vina, soạn thử tin kiểm tra mới biết bị trừ tiền mấy năm nay cho dịch vụ gì đó tôi không đăng ký. "
     "Hủy thế nào?", "calm", None),
    ("Sim Viettel của tôi bị mất sóng rồi tài khoản ngân hàng bị trừ 30 triệu, dịch vụ gì tôi cũng không đăng ký",
     "scam_now", "money_sent"),
    # credit put on one's own phone and used up by services never asked for: the carrier's charges
    ("tôi nạp 100k vào đt hôm qua, sáng nay đã bị trừ hết, ko đăng ký gì cả", "calm", None),
    # the bank's own text-message fee is a price to ask about; with a link, a code or a big sum it is not
    ("tháng nào ngân hàng cũng trừ phí tin nhắn báo số dư 11 nghìn, hủy được không", "calm", None),
    ("con bảo hủy sms ngân hàng cho đỡ tốn phí, hủy rồi sao biết tiền về", "calm", None),
    ("Tin nhắn ngân hàng báo tháng này bị trừ phí duy trì, kèm link bấm vào để hủy, tôi bấm rồi nhập mã OTP",
     "scam_now", "otp_read"),
    ("Tài khoản bị trừ 20 triệu, tin nhắn ngân hàng báo về mà tôi không làm gì, hàng tháng vẫn dùng bình thường",
     "scam_now", "money_sent"),
    # a bill handed over at the counter is paid in person; the same asked by a caller is a demand
    ("ra bưu điện đóng tiền điện, nhân viên đưa hóa đơn bảo quét mã, có an toàn không", "calm", None),
    ("đóng viện phí ở quầy thu ngân bệnh viện, họ đưa phiếu bảo quét mã QR, tôi không có app thì sao", "calm", None),
    ("Có người gọi xưng bệnh viện bảo quét mã QR đóng viện phí cho con đang cấp cứu", "pay_now", None),
    # "đổi thẻ" (exchange) folds like "đòi" (demand): the cost of a procedure is asked about, nobody demands it
    ("thủ tục và chi phí đổi thẻ từ sang thẻ chip ra sao", "calm", None),
    ("người bán đòi phí ship 30k chuyển trước mới giao hàng, có nên chuyển", "pay_now", None),
])
def test_a_buyers_receipt_a_signal_lost_a_cost_and_an_age(text: str, kind: str, act: str | None) -> None:
    from bot.situation import Situation, classify
    assert classify(text) == Situation(kind, act)


def test_a_seller_who_handed_the_goods_over_is_after_the_act() -> None:
    from bot.story_acts import goods_handed
    assert goods_handed("Khách đưa điện thoại cho tôi xem hóa đơn chuyển khoản, tôi đưa hàng rồi mà không thấy tiền")
    assert not goods_handed("Khách gửi ảnh chuyển khoản thành công, tôi có nên gửi hàng không?")
    assert not goods_handed("Khách gửi ảnh chuyển khoản rồi giục gửi hàng gấp")


def test_a_fee_to_get_a_password_back_is_no_promise_to_recover_lost_money() -> None:
    from bot.mistake_signs import RECOVERY_FEE
    from bot.scam_signs import words
    assert RECOVERY_FEE.search(words("có người nhận lấy lại tiền bị lừa nhưng phải nộp phí trước"))
    assert RECOVERY_FEE.search(words("bi lua 100 trieu, trang facebook nhan lay lai, bao dong truoc 20% phi"))
    assert not RECOVERY_FEE.search(words("kênh TikTok nhận lấy lại mật khẩu VssID, có thu phí, có nên nhờ"))


@pytest.mark.parametrize(("text", "kind", "act"), [
    # a message just received, with its link in hand: a story happening now, not a question about scams in general
    ("điện thoại vừa nhận tin nhắn mang tên điện lực có mã OTP kèm đường link, bấm vào link đó có sao không",
     "scam_now", "none_yet"),
    # someone posing who tells the person what to do is a story going on, whatever question ends it
    ("Người tự xưng công an gọi bảo tôi cài ứng dụng để xác minh tài khoản, tôi có làm theo không",
     "scam_now", "none_yet"),
    ("Người xưng cán bộ phường kết bạn Zalo, bảo cập nhật VNeID qua link này không thì bị phạt, có bấm không",
     "scam_now", "none_yet"),
    ("Kẻ gian giả danh công an thường bảo người ta cài ứng dụng gì?", "calm", None),
    # paid twice because a caller demanded it is no slip of one's own; paying a known seller twice is
    ("Quen một người trên mạng hứa gửi quà, rồi người xưng bên vận chuyển gọi bắt đóng thuế 10 triệu, tôi lỡ chuyển 2 "
     "lần rồi", "scam_now", "money_sent"),
    ("Tôi lỡ chuyển 2 lần tiền hàng cho người bán quen, làm sao lấy lại một lần", "honest_mistake", "wrong_transfer"),
    # a code waited for that never came is no code given ("chờ … không thấy mã OTP": "chờ" folds like "cho", give)
    ("đăng nhập VssID lần đầu cho bố, chờ mãi không thấy mã OTP gửi về, phải làm sao", "calm", None),
    # pressing "gửi lại mã" (resend) is a button, not a code given; "gửi lại mã cho nó" is
    ("bấm gửi lại mã OTP mấy lần mà không thấy tin nhắn, giờ nó khóa không cho đăng nhập", "calm", None),
    ("tôi gửi lại mã OTP cho nó rồi", "scam_now", "otp_read"),
    # a short-code service charged to the phone is the carrier's matter; an allowance paid in is money received, and
    # "mở tài khoản có mất tiền không" asks a cost
    ("dt cua me toi tu dung bi tru tien dich vu dau so 9029, huy the nao", "calm", None),
    ("bố tôi là thương binh, xã mới báo từ tháng sau trợ cấp chuyển vào tài khoản ngân hàng, bố không có thẻ ATM. mở "
     "tài khoản có mất tiền không, nhận qua tài khoản của mẹ được không?", "calm", None),
])
def test_a_message_just_received_a_posers_instruction_and_fees_demanded_by_a_caller(
        text: str, kind: str, act: str | None) -> None:
    from bot.situation import Situation, classify
    assert classify(text) == Situation(kind, act)


def test_ones_own_payment_still_shown_unpaid_is_a_record_to_ask_about_not_a_scam() -> None:
    from bot.scam_signs import words
    from bot.story_acts import own_payment_lagging
    assert own_payment_lagging(words("đóng tiền điện xong 3 hôm rồi mà vào app kiểm tra vẫn báo chưa thanh toán"))
    assert not own_payment_lagging(words("nộp phạt xong rồi mà có người gọi bảo vẫn còn nợ, bắt nộp thêm"))
    assert not own_payment_lagging(words("nộp phạt nguội qua link người ta gửi rồi, tra lại vẫn hiện chưa nộp"))


@pytest.mark.parametrize("text", [
    "can ck 150 trieu tien dat coc mua nha tren app ngan hang ma no bao vuot han muc, tang han muc o dau",
    "chuyển tiền cọc cho chủ nhà trên app mà app báo giao dịch không thành công, giờ sao",
])
def test_the_apps_own_status_on_ones_own_payment_is_no_demand(text: str) -> None:
    assert classify(text).kind == CALM


def test_a_stranger_demanding_the_deposit_still_alarms_when_the_app_refuses() -> None:
    assert classify("họ bảo phải đặt cọc 150 triệu, tôi chuyển mà app báo vượt hạn mức").kind == PAY_NOW


def test_an_sms_code_is_no_message_from_a_stranger() -> None:
    assert classify("Vì sao ngân hàng bắt đổi từ OTP tin nhắn sang Smart OTP khi chuyển tiền lớn?").kind == CALM
    assert classify("nhận được tin nhắn bảo phải chuyển tiền phí 2 triệu để nhận quà").kind == PAY_NOW


def test_a_rumour_heard_and_asked_about_is_no_loss_of_ones_own() -> None:
    assert classify("nghe hàng xóm nói bắt máy cuộc gọi số lạ là bị trừ hết tiền trong tài khoản, có thật không").kind \
        == CALM
    assert classify("tôi vừa bắt máy số lạ xong bị trừ hết tiền, nghe người ta nói vậy có thật không").kind == SCAM_NOW


@pytest.mark.parametrize("text", [
    "bố tôi bị người xưng cán bộ bảo hiểm gọi, gửi link tải app về làm theo, 1 tiếng sau tài khoản mất sạch tiền",
    "họ gửi link bảo cài ứng dụng dịch vụ công, sáng nay tài khoản bị rút hết tiền",
])
def test_an_app_from_a_link_then_the_account_emptied_is_the_phone_taken(text: str) -> None:
    assert classify(text) == Situation(SCAM_NOW, "remote_app")


def test_a_phone_lost_with_nobody_in_the_story_is_no_scam_call() -> None:
    from pathlib import Path

    from bot.situation import SituationModel, route
    model = SituationModel.load(Path(__file__).parents[1] / "knowledge" / "situations" / "tune.jsonl")
    assert route("bố tôi bị mất điện thoại, trong máy vẫn đăng nhập sẵn app ngân hàng, giờ làm gì trước", model).kind \
        == CALM
    assert route("mất điện thoại rồi có người gọi bảo nhặt được, đòi 2 triệu mới trả lại máy", model).alarming


def test_changing_ones_own_password_after_logging_in_is_no_password_given() -> None:
    # "đăng nhập, đổi mật khẩu": "nhập … mật khẩu" across the comma is one's own login, the password changed, not
    # typed into someone's page ("đòi" and "đổi" both fold to "doi").
    assert classify("vao app benh vien dat lich tai kham, quen ten dang nhap, doi mat khau 3 lan roi van ko vao dc") \
        .kind == CALM
    assert classify("bam link doi diem thuong iphone, dang nhap ten voi mat khau vao roi, chua nhap otp") \
        == Situation(SCAM_NOW, "password_typed")


def test_vay_typed_without_accents_after_lam_is_so_not_a_loan() -> None:
    from bot.story_acts import money_named
    assert not money_named("con bảo chụp kết quả xét nghiệm đưa cho AI đọc, lam vay co an toan ko")
    assert not money_named("mo no len kieu gi vay")
    assert money_named("nó rủ làm vay tiền online lãi thấp")
    assert money_named("app vay tien nhanh co an toan ko")


def test_news_passed_along_is_no_transfer() -> None:
    # "chuyền" (passed from hand to hand) folds to "chuyen" like "chuyển" (a transfer); with its marks it is news
    # going round a group, and a question whether to pass it on gets no "don't transfer money" (invented examples).
    from bot.story_acts import money_named
    assert not money_named("Cả xóm đang chuyền nhau tin một ông giáo sư cảnh báo mất điện, có nên chia sẻ không?")
    assert money_named("Họ bảo tôi chuyển 5 triệu vào tài khoản này")
    from bot.config import Settings
    from bot.situation import SituationModel, route
    model = SituationModel.load(Settings().knowledge_dir / "situations" / "tune.jsonl")
    assert route("Nhóm Zalo hưu trí đang chuyền tay tin một ông tiến sĩ dặn mọi người ở nhà vì sắp có dịch, tôi có nên "
                 "gửi cho con cháu không?", model).kind == CALM


def test_money_sent_at_once_is_money_sent() -> None:
    # "tôi chuyển liền": done at once, told by the one who paid; found out that evening the sender was hacked.
    assert classify("Em họ nhắn Messenger mượn tiền gấp, xưng hô như mọi khi nên tôi chuyển liền, tối mới biết "
                    "Facebook nó bị hack. Giờ tôi phải làm gì?") == Situation(SCAM_NOW, "money_sent")
    assert classify("bạn nhắn mượn tiền, tôi chuyển liền 5 triệu, tối mới biết nick bị hack") \
        == Situation(SCAM_NOW, "money_sent")
    # "liên ngân hàng" (interbank) folds alike and is no "liền"; "nó bảo chuyển liền" is only asked.
    assert classify("tôi chuyển liên ngân hàng mà chưa thấy tiền tới").kind == CALM
    assert classify("nó bảo chuyển liền không thì bị khóa tài khoản, có nên chuyển không").act is None


def test_con_at_the_close_asks_whether_it_still_holds() -> None:
    # "SIM hết hạn thì còn nhận mã … không": whether codes still arrive, asked; no code given to anyone.
    from bot.understand import asks
    assert asks("sim hết hạn thì còn nhận mã xác nhận ngân hàng không")
    assert classify("sim hết hạn thì còn nhận mã xác nhận ngân hàng không").kind == CALM
    assert classify("nó gọi xin mã, tôi nhắn mã xác nhận ngân hàng cho nó rồi") == Situation(SCAM_NOW, "otp_read")


def test_a_card_locked_by_the_bank_is_no_money_lost() -> None:
    # The bank's own text that the card is locked for an unusual payment: trouble to sort with the bank, no loss; a
    # threat that the card is about to be locked stays a scam being played.
    assert classify("Vợ chồng tôi đi chơi xa, quẹt thẻ đổ xăng thì bị từ chối, ngân hàng nhắn thẻ bị khóa vì nghi giao "
                    "dịch bất thường. Ở xa thế này làm sao mở lại thẻ?").kind == CALM
    assert classify("ngan hang goi noi the sap bi khoa").kind == SCAM_NOW


def test_moved_buttons_and_each_day_are_no_demand_nor_invitation() -> None:
    # "nút chuyển tiền đổi chỗ hết" (moved) is no "đòi" (demand); "mỗi ngày" (each day) is no "mời" (invitation).
    assert classify("Tôi vừa cập nhật ứng dụng ngân hàng, mở ra thấy nút chuyển tiền đổi chỗ hết, làm sao bây giờ?") \
        .kind == CALM
    assert classify("Hạ hạn mức chuyển tiền mỗi ngày cho bố mẹ già để lỡ bị lừa cũng không mất nhiều, làm thế nào?") \
        .kind == CALM
    assert classify("nó đòi cho vay 5 triệu, tôi có nên chuyển không").kind == PAY_NOW


@pytest.mark.parametrize("text", [
    # Data moved to a new phone is no money sent ("chuyển dữ liệu").
    "Con trai mua cho tôi điện thoại mới, đã chuyển hết dữ liệu từ máy cũ sang rồi mà máy mới cứ báo 'Không có SIM'",
    "chuyển hết ảnh sang máy mới rồi mà không thấy đâu",
    "cháu đã chuyển hết ảnh với danh bạ sang rồi, nhưng góc màn hình cứ hiện chữ No SIM, tôi có bị mất số không?",
    # The family's own Zoom meeting is no "phòng Zoom" a fake officer sends one into.
    "Con làm chủ phòng Zoom, thấy bà ngoại tắt mic mà bà không biết bấm, con bật hộ được không?",
    # "còn gọi nhầm cả số cấp cứu": a slip of the finger, not a call going on.
    "Bố tôi mới dùng smartphone, bấm giữ lâu nên mở nhầm lung tung, có lần còn gọi nhầm cả số cấp cứu, chỉnh máy sao",
    # The bank app's own face check on a transfer one makes is nobody demanding money.
    "Giờ chuyển tiền về cho mẹ trên 10 triệu thì app đòi sinh trắc học, tôi phải làm sao?",
])
def test_everyday_phone_stories_are_no_scam(text: str) -> None:
    from bot.situation import CALM, classify
    assert classify(text).kind == CALM


def test_photos_of_papers_sent_to_someone_are_still_sent() -> None:
    from bot.scam_signs import words
    assert "chuyen anh can cuoc cho ho" in words("chuyển ảnh căn cước cho họ")
    assert "chuyen tin nhan ma otp" in words("chuyển tin nhắn mã OTP cho họ")


@pytest.mark.parametrize(("text", "kind", "act"), [
    # The bank's notice of a transfer one never made: someone else has the account; lock it now, no "don't pay".
    ("ngân hàng nhắn tin báo có lệnh chuyển tiền 5 triệu mà tôi không hề làm, giờ sao", "scam_now", "money_sent"),
    ("ngan hang bao co lenh chuyen tien ma toi khong he lam, vao app thi bao sai mat khau", "scam_now", "money_sent"),
    # Money gone after one's own face update, the owner sure she sent nothing: someone else has the account.
    ("hôm sau tôi cập nhật lại khuôn mặt giúp mẹ, vào thì tài khoản mất hơn 24 triệu, mẹ khẳng định không chuyển "
     "cho ai, không đưa mã OTP, giờ phải làm gì", "scam_now", "money_sent"),
    # One's own fee paid on the portal, still shown unpaid: a record to ask about, not a scam.
    ("Tôi nộp hồ sơ trên cổng dịch vụ công, đã thanh toán lệ phí, tài khoản bị trừ tiền rồi mà hệ thống vẫn hiện nút "
     "đòi thanh toán. Có nên trả thêm lần nữa không?", "calm", None),
    # One's own login whose code ran out ("đăng nhập", not "đang"), locked after tries: no scam by the rules.
    ("Mẹ tôi đăng nhập app thì nó gửi mã OTP về tin nhắn, lúc cầm lên nhập thì báo mã hết hạn, thử lại mấy lần thì bị "
     "khóa luôn, giờ làm sao?", "calm", None),
])
def test_notices_and_records_of_ones_own_account(text: str, kind: str, act: str | None) -> None:
    from bot.situation import classify
    found = classify(text)
    assert (found.kind, found.act) == (kind, act)


def test_a_zoom_room_a_caller_sends_one_into_is_still_a_scam() -> None:
    from bot.situation import SCAM_NOW, classify
    assert classify("có người xưng công an bảo tôi vào phòng zoom để làm việc, không được tắt máy").kind == SCAM_NOW


@pytest.mark.parametrize("text", [
    "Nộp lệ phí hồ sơ trên cổng dịch vụ công, tài khoản ngân hàng đã trừ tiền mà hồ sơ vẫn báo chờ thanh toán. Có nên "
    "trả lại lần nữa không?",
    "Chồng tôi đau khớp, phòng khám hẹn khám online qua video, bảo sẽ gửi đường link mới qua email. Sắp đến giờ mà "
    "chưa thấy link đâu, rồi mạng nhà lại mất. Xoay xở thế nào bây giờ?",
    "Lần đầu bố tôi đặt mua đồ trên mạng bằng thẻ ngân hàng thì bị báo giao dịch bị từ chối vì nghi ngờ, bố hoảng quá. "
    "Giờ xử lý sao?",
])
def test_ones_own_fee_appointment_and_declined_payment_are_no_scam(text: str) -> None:
    # Neither the rules nor the model's second opinion raise the alarm (the model is trained on the tune situations).
    from bot.config import Settings
    from bot.situation import SituationModel, route

    model = SituationModel.load(Settings().knowledge_dir / "situations" / "tune.jsonl")
    assert model is not None
    assert route(text, model).kind == CALM


def test_a_stranger_posing_around_an_appointment_still_alarms() -> None:
    from bot.situation import CALM, classify
    assert classify("có người xưng bệnh viện hẹn khám, bảo chuyển tiền đặt cọc rồi gửi mã OTP").kind != CALM


def test_money_apps_own_checks_are_no_scam() -> None:
    """Real stories of money on the phone that nobody is scamming (invented examples of each shape)."""
    # One's own bank app installed again on a new phone; the money went to a grandchild, not the app to anyone.
    assert classify("Mới đổi điện thoại, tôi tải lại app Agribank, chuyển 300 nghìn cho con gái thì nó đòi quét "
                    "mặt, sao vậy?").kind == CALM
    # Someone telling the person to install it is still a scam.
    assert classify("Người xưng nhân viên ngân hàng bảo tôi cài lại app Agribank theo đường link họ gửi, tôi cài "
                    "rồi").alarming
    # A meter read wrong ("ghi sai số") is no account number typed wrong.
    assert classify("Hóa đơn nước hai tháng bằng nhau, chắc người ta ghi sai số, xem lượng nước dùng ở đâu?").kind \
        == CALM
    # "Làm sao nhận ra" a fake video is a general question, whoever the video shows posing.
    assert classify("Trên mạng có clip người tự xưng công an nói chuyện lạ lắm, làm sao nhận ra clip làm bằng AI?")\
        .kind == CALM


def test_charged_twice_is_its_own_honest_mistake() -> None:
    # Charged twice for one payment: the bank's check of a duplicate charge, not the wrong-account steps.
    assert classify("mua hàng trên sàn trả bằng thẻ, tài khoản bị trừ tiền 2 lần cho một đơn, làm sao lấy lại") \
        == Situation(MISTAKE, "charged_twice")
    assert classify("tôi chuyển nhầm 2 lần vào số tài khoản lạ").act == "wrong_transfer"


def test_own_apps_checks_offices_and_fee_questions_are_calm() -> None:
    """The app's own check, a visit to the commune's one-stop desk and a question whether something costs money are
    no scam in progress (invented examples of each shape); the same with someone posing or demanding still is."""
    from bot.config import Settings
    from bot.situation import SituationModel, route

    model = SituationModel.load(Settings().knowledge_dir / "situations" / "tune.jsonl")
    assert route("Mới bật Smart OTP trên app ngân hàng mà lúc chuyển tiền cho con nó vẫn bắt nhập mã gửi qua tin "
                 "nhắn, có sao không?", model).kind == CALM
    assert route("App ngân hàng bắt tôi đặt mật khẩu mới dài hơn rồi đòi mã OTP, có phải lừa không?", model).kind \
        == CALM
    assert route("Người xưng nhân viên ngân hàng gọi bảo tôi nhập mã OTP vào app để nhận hoàn tiền", model).alarming
    assert route("Tôi mang giấy tờ ra bộ phận một cửa phường làm thủ tục, cán bộ xin số điện thoại để nhắn kết quả, "
                 "tin nhắn đó có mất tiền không?", model).kind == CALM
    assert route("Người xưng cán bộ một cửa phường gọi bảo tôi chuyển khoản 2 triệu phí hồ sơ", model).alarming
    assert route("Đổi căn cước trên VNeID có mất tiền không? Hàng xóm bảo làm trên mạng không được giảm phí nữa",
                 model).kind == CALM
    assert route("Họ bảo tôi nộp 3 triệu phí mở khóa tài khoản, có mất tiền không?", model).kind != CALM


def test_asking_whether_to_do_what_a_stranger_asks_is_no_rule_question() -> None:
    # "…bán cho họ được không" after a stranger's link and steps: a scam check, however it is worded (invented).
    from bot.config import Settings
    from bot.situation import SituationModel, route

    model = SituationModel.load(Settings().knowledge_dir / "situations" / "tune.jsonl")
    assert route("co nguoi tren mang tra gia cao gap 10 lan de mua dong coin cua toi, ho gui link bao lam theo cac "
                 "buoc, con doi goi video chi cho. ban cho ho dc ko", model).alarming
    assert route("Nhà mạng bắt chuẩn hóa thuê bao, tôi tự ra cửa hàng làm được không?", model).kind == CALM


def test_a_death_in_the_family_is_no_demand() -> None:
    # "mới qua đời" is not "mời" (inviting); "qua đời, số điện thoại…" is not "đòi … điền"; "mai táng phí" is an
    # allowance paid to the family, not a fee (invented examples).
    from bot.config import Settings
    from bot.situation import SituationModel, route

    model = SituationModel.load(Settings().knowledge_dir / "situations" / "tune.jsonl")
    assert route("Mẹ tôi mới qua đời, tôi muốn hỏi thủ tục nhận mai táng phí cho người hưởng trợ cấp", model).kind \
        == CALM
    assert route("Ông nhà tôi qua đời, số điện thoại của ông để làm gì, có nên cắt số không?", model).kind == CALM
    assert route("Người xưng cán bộ xã gọi bảo nộp 2 triệu phí hồ sơ thì mới nhận được mai táng phí", model).alarming
