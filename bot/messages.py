"""Every Vietnamese sentence the tutor says, in one place so the voice stays consistent.

The tutor speaks as "cháu" and calls the learner "bác". Keep messages short: one idea each.
"""

from __future__ import annotations

# ---------------------------------------------------------------- greeting and help

GREETING = (
    "Cháu chào bác! Cháu là trợ lý tự động \"Kỹ năng số\", là máy trả lời, không phải người thật, "
    "không phải công an hay ngân hàng.\n"
    "Cháu giúp bác: dùng VNeID, làm dịch vụ công trực tuyến, chuyển tiền an toàn "
    "và nhận biết lừa đảo qua mạng.\n"
    "Bác cứ gõ câu hỏi, có dấu hay không dấu đều được."
)
HELP = (
    "Bác có thể:\n"
    "• Gõ câu hỏi, ví dụ: \"lam sao cai vneid\".\n"
    "• Bấm \"Học bài\" để xem các bài học.\n"
    "• Bấm \"Tiến độ\" để xem bác đã học được bao nhiêu.\n"
    "Cháu không bao giờ hỏi mã OTP, mật khẩu hay số tài khoản của bác."
)
HELLO = "Cháu chào bác! Bác cần hỏi gì ạ? Bác cứ gõ câu hỏi, hoặc bấm một nút dưới đây."
THANKS = "Dạ, không có gì ạ. Bác cần hỏi gì thêm cứ nhắn cháu nhé."
ACK = "Dạ. Bác cần hỏi gì thêm cứ gõ, hoặc bấm một nút dưới đây ạ."
AUTOMATED = "Cháu là trợ lý tự động (máy trả lời), không phải người thật. Cháu trả lời theo các bài học đã soạn sẵn."

BTN_LEARN = "📚 Học bài"
BTN_PROGRESS = "📊 Tiến độ"
BTN_HELP = "❓ Hướng dẫn"
BTN_MORE = "➡️ Xem tiếp"
BTN_FULL_LESSON = "📖 Xem bài đầy đủ"
BTN_QUIZ = "📝 Làm bài kiểm tra"
BTN_RETRY = "🔁 Làm lại bài này"
BTN_OTHER_LESSON = "📚 Học bài khác"
BTN_STOP_QUIZ = "⏹ Dừng bài kiểm tra"
BTN_BACK = "⬅️ Quay lại"
BTN_SHARE = "📤 Gửi cho người thân"
BTN_FEEDBACK_UP = "👍 Đúng ý tôi"
BTN_FEEDBACK_DOWN = "👎 Chưa đúng ý tôi"

# ---------------------------------------------------------------- answers

SOURCE_LINE = "📖 Theo bài: «{title}»"
ENTRY_QUESTION = "❓ {question}"
ASK_OTHER = "Bác cứ gõ câu hỏi tiếp theo, cháu nghe đây."
SECOND_QUESTION = "Bác còn hỏi: «{question}»\nBác bấm nút dưới đây (hoặc gõ «hỏi tiếp») để cháu trả lời tiếp nhé."
BTN_SECOND_QUESTION = "❓ Hỏi tiếp câu này"
END_OF_LESSON = "Bác đã xem hết bài «{title}». Bác làm bài kiểm tra ngắn để nhớ lâu hơn nhé."
NOTHING_TO_CONTINUE = "Bác chưa mở bài nào. Bác gõ câu hỏi hoặc bấm \"Học bài\" nhé."
OUT_OF_SCOPE = (
    "Dạ, câu này cháu chưa trả lời được. Cháu chỉ biết về kỹ năng số: VNeID, dịch vụ công trực tuyến, "
    "chuyển tiền an toàn, nhận biết lừa đảo, dùng điện thoại và Zalo.\n"
    "Việc về sức khỏe, pháp luật hay tiền bạc đầu tư, bác hỏi người có chuyên môn hoặc cơ quan chức năng nhé."
)
UNSURE_CHOICES = ("Cháu chưa chắc câu này thuộc việc cháu biết. Cháu chỉ trả lời về kỹ năng số: VNeID, dịch vụ công, "
                  "chuyển tiền an toàn, lừa đảo, điện thoại và Zalo.\n"
                  "Nếu bác hỏi một trong các việc dưới đây thì bác bấm vào nhé. Việc về sức khỏe, pháp luật hay đầu tư "
                  "thì bác hỏi người có chuyên môn hoặc cơ quan chức năng ạ.")
CLARIFY_CHOICES = "Bác muốn hỏi việc nào ạ? Bác bấm một dòng dưới đây nhé."
CLARIFY = "Bác muốn hỏi việc nào ạ? Bác bấm một mục dưới đây, hoặc gõ rõ hơn một chút."
EMPTY_TEXT = "Cháu chưa thấy chữ nào. Bác gõ câu hỏi giúp cháu nhé."
NON_TEXT = "Cháu mới đọc được chữ thôi ạ. Bác gõ chữ giúp cháu nhé."
SHARE_INTRO = "Bác bấm giữ tin nhắn dưới đây rồi chọn «Chuyển tiếp» để gửi cho con cháu nhé."
SHARE_HEAD = "📖 {title}"
SHARE_LINK = "Hỏi thêm trợ lý Kỹ năng số (miễn phí): {url}"
SHARE_NO_LINK = "Hỏi thêm trợ lý Kỹ năng số trên Telegram hoặc Zalo của xã, phường."
HANDOUT_BAND = "Bình dân học vụ số — Kỹ năng số"
HANDOUT_STEPS = "Các bước chính"
HANDOUT_QR = "Quét mã để hỏi trợ lý Kỹ năng số"
HANDOUT_NO_QR = "Hỏi thêm trợ lý Kỹ năng số trên Telegram hoặc Zalo của xã, phường."
HANDOUT_SOURCE = "Nguồn: {title} (kiểm tra ngày {date})"
HANDOUT_SOURCE_NONE = "Nguồn: bài học của trợ lý Kỹ năng số"
FEEDBACK_THANKS = "Cảm ơn bác đã cho cháu biết ạ."
FEEDBACK_SORRY = (
    "Cháu xin lỗi bác. Cháu đã ghi lại để người soạn bài sửa cho tốt hơn.\n"
    "Bác thử gõ câu hỏi theo cách khác, hoặc chọn một bài gần với điều bác hỏi:"
)
FEEDBACK_SORRY_ALONE = (
    "Cháu xin lỗi bác. Cháu đã ghi lại để người soạn bài sửa cho tốt hơn.\n"
    "Bác thử gõ câu hỏi theo cách khác, hoặc nhờ người hướng dẫn nhé."
)
FEEDBACK_ALREADY = "Dạ, cháu đã ghi nhận ý kiến của bác về câu trả lời này rồi ạ."
TOO_LONG = "Tin nhắn hơi dài, cháu chỉ đọc phần đầu. Bác hỏi từng việc một thì cháu trả lời rõ hơn."

# ---------------------------------------------------------------- safety

# The first lines of the emergency reply, by what the person already did (then the general steps follow).
SCAM_ACT_FIRST = {
    "money_sent": "⚠️ Bác gọi ngay tổng đài ngân hàng (số in ở mặt sau thẻ, hoặc trong ứng dụng ngân hàng) "
                  "để khóa tài khoản và đề nghị tra soát, chặn giữ khoản tiền vừa chuyển. Càng sớm càng tốt.",
    "remote_app": "⚠️ Bác bật chế độ máy bay hoặc tắt mạng, tắt Wi-Fi trên máy này ngay. Rồi mượn máy khác gọi "
                  "tổng đài ngân hàng để khóa tài khoản. Đừng mở ứng dụng ngân hàng trên máy vừa cài ứng dụng lạ.",
    "otp_read": "⚠️ Bác gọi ngay tổng đài ngân hàng (số in ở mặt sau thẻ) để khóa tài khoản và thẻ, "
                "rồi đổi mật khẩu ứng dụng ngân hàng. Mã OTP là mã dùng một lần để xác nhận giao dịch: "
                "người có mã có thể lấy tiền của bác.",
    "password_typed": "⚠️ Bác đổi mật khẩu đó ngay trên máy của mình. Nếu là mật khẩu ngân hàng, "
                      "gọi tổng đài ngân hàng (số in ở mặt sau thẻ) để khóa tài khoản trước.",
    "card_photos": "⚠️ Bác gọi ngay tổng đài ngân hàng để khóa thẻ. Ảnh căn cước đã gửi đi thì báo công an "
                   "xã, phường, và đừng tin ai gọi đến nói đã có thông tin của bác.",
    "link_clicked": "⚠️ Bác đừng nhập thêm gì vào trang đó. Nếu đã nhập mật khẩu hay mã OTP, gọi ngay tổng đài "
                    "ngân hàng để khóa tài khoản và đổi mật khẩu. Nếu trang đó bảo cài ứng dụng, bật chế độ máy bay.",
    # The person's own Zalo or Facebook taken over (questions entry q-gd-zl-zalo-minh-bi-chiem and its sources).
    "account_taken": "⚠️ Zalo, Facebook của bác đang bị kẻ gian dùng. Bác gọi điện ngay cho người thân, bạn bè: đừng "
                     "chuyển tiền theo tin nhắn từ tài khoản đó. Nhờ con cháu lấy lại tài khoản, đổi mật khẩu, "
                     "đăng xuất các máy lạ.",
    "none_yet": "⚠️ Bác cúp máy ngay, không chuyển tiền, không đọc mã. Công an, ngân hàng thật không bao giờ "
                "bắt chuyển tiền hay đọc mã OTP qua điện thoại.",
}
# Someone promising to recover lost money for a fee paid first: the second scam (lessons lua-dao-dau-tu-lai-cao).
RECOVERY_FEE_FIRST = (
    "⚠️ Bác đừng nộp phí cho ai hứa lấy lại tiền bị lừa: đó là lừa lần hai. Khoản đã mất thì bác gọi tổng đài ngân "
    "hàng (số in ở mặt sau thẻ) để đề nghị tra soát, chặn giữ."
)
# Charges on one's card or account that one did not make: lock the card before the next one.
CARD_CHARGED_FIRST = (
    "⚠️ Bác gọi ngay tổng đài ngân hàng (số in ở mặt sau thẻ, hoặc trong ứng dụng ngân hàng) để khóa thẻ, báo các "
    "khoản bị trừ mà bác không làm và đề nghị tra soát. Bác đừng bấm link hay gọi số ghi trong tin nhắn lạ, không đọc "
    "mã OTP cho ai."
)
# Under a scam lesson's answer, when the message may come from someone in it: the verdict and who to call.
SCAM_FOOTER = (
    "⚠️ Nếu bác đang gặp đúng chuyện này: dừng lại, không chuyển tiền, không đọc mã OTP cho ai. Đã lỡ làm thì gọi "
    "ngay tổng đài in ở mặt sau thẻ ngân hàng để khóa tài khoản, rồi báo công an xã, phường (hoặc gọi 113)."
)
# Under an answer on another subject to a message that speaks of a scam (a loss, a call, someone posing).
STRANGER_FOOTER = (
    "⚠️ Nếu có người lạ đang bảo bác chuyển tiền, đọc mã OTP hay cài ứng dụng: dừng lại, đó là lừa đảo. Đã lỡ làm thì "
    "gọi ngay tổng đài in ở mặt sau thẻ ngân hàng để khóa tài khoản, rồi báo công an xã, phường (hoặc gọi 113)."
)
# Under an answer to a message about a caller telling the person to do something (change papers, update, pay).
CALLER_FOOTER = (
    "⚠️ Ai gọi điện tự xưng cơ quan, ngân hàng bảo bác làm việc gì (đổi giấy tờ, cập nhật thông tin, chuyển tiền, cài "
    "ứng dụng), bác đừng làm theo ngay: cúp máy, tự tìm số chính thức của nơi đó để hỏi lại, hoặc hỏi công an xã, "
    "phường. Không chuyển tiền, không đọc mã OTP cho ai."
)
SCAM_REPORT = "Rồi bác báo công an xã, phường (hoặc gọi 113), và báo số lừa đảo qua 156 hoặc nhắn 5656."
PAY_NOW_ALERT = (
    "⚠️ Bác đừng chuyển tiền. Người lạ đòi nộp phí, đặt cọc hay chuyển tiền trước để nhận quà, nhận việc, "
    "vay tiền hay \"mở khóa tài khoản\" là dấu hiệu lừa đảo.\n"
    "Muốn kiểm tra: bác tự gọi số chính thức của nơi đó (số trên trang web hay hóa đơn, không dùng số họ đưa), "
    "hoặc gọi cho người thân. Người thân báo cấp cứu thì gọi thẳng cho người thân hoặc bệnh viện.\n"
    "Báo số lừa đảo: gọi 156 hoặc nhắn 5656 (miễn phí)."
)
MISTAKE_WRONG_TRANSFER = (
    "Nếu bác tự gõ nhầm số tài khoản thì bác bình tĩnh làm thế này:\n"
    "1. Gọi tổng đài hoặc ra quầy ngân hàng của bác, đề nghị tra soát giao dịch chuyển nhầm. Mang theo căn cước "
    "và giữ lại màn hình giao dịch.\n"
    "2. Ngân hàng sẽ liên hệ ngân hàng bên nhận để xin hoàn lại. Bác không nhờ người lạ trên mạng \"lấy lại tiền\" "
    "giúp, kể cả người tự xưng công an hay luật sư.\n"
    "⚠️ Nếu có người lạ bảo bác chuyển, đòi đọc mã OTP hay bắt nộp thêm tiền thì đó là lừa đảo: bác dừng lại và gọi "
    "ngay số tổng đài in ở mặt sau thẻ ngân hàng."
)
MISTAKE_CHARGED_TWICE = (
    "Bị trừ tiền hai lần cho một lần trả thì thường lấy lại được, bác bình tĩnh làm thế này:\n"
    "1. Xem lại lịch sử giao dịch trong ứng dụng ngân hàng hoặc tin nhắn báo số dư: có khi một khoản chỉ bị tạm giữ, "
    "vài ngày sau tự trả lại.\n"
    "2. Vẫn bị trừ hai lần thì gọi tổng đài in ở mặt sau thẻ hoặc ra quầy, đề nghị tra soát giao dịch bị trừ trùng. "
    "Giữ hóa đơn, ảnh chụp màn hình.\n"
    "3. Mua ở cửa hàng hay trên sàn thì báo luôn bên bán để họ kiểm tra.\n"
    "⚠️ Ai gọi tới xưng ngân hàng hay sàn, đòi mã OTP hoặc bảo chuyển tiền \"để hoàn lại\" là lừa đảo: bác không làm "
    "theo."
)
MISTAKE_RECEIVED = (
    "Tiền lạ chuyển nhầm vào tài khoản thì bác đừng tiêu và đừng tự chuyển trả cho ai gọi đến đòi.\n"
    "1. Ra quầy hoặc gọi tổng đài ngân hàng của bác, báo có khoản tiền lạ, để ngân hàng hoàn trả đúng người gửi.\n"
    "2. Ai gọi giục chuyển trả vào số tài khoản khác là dấu hiệu lừa đảo: bác không làm theo."
)
_SCAM_STEPS = (
    "1. Không chuyển tiền, không đọc mã OTP, không bấm link, không cài ứng dụng người lạ gửi. Không đưa tiền mặt, "
    "vàng, sổ tiết kiệm hay thẻ cho ai đến lấy.\n"
    "2. Nếu đã lỡ chuyển tiền hay đọc mã: gọi ngay số tổng đài in ở mặt sau thẻ ngân hàng để khóa tài khoản.\n"
    "3. Kể ngay cho con cháu. Báo công an xã, phường nơi bác ở, hoặc gọi 113.\n"
    "4. Báo số điện thoại lừa đảo qua tổng đài 156 hoặc nhắn tin 5656.\n"
    "Công an và ngân hàng thật không bao giờ bảo bác chuyển tiền, đọc mã OTP hay giao tài sản qua điện thoại, "
    "cũng không bao giờ bắt giấu con cháu."
)
SCAM_ALERT = "⚠️ Bác dừng lại ngay, có thể đây là lừa đảo. Đang nghe máy thì bác cúp máy, đừng nói chuyện tiếp.\n" + \
    _SCAM_STEPS
# The same steps when the scam came as a message, a post or a link, with no call in the story.
SCAM_ALERT_WRITTEN = "⚠️ Bác dừng lại ngay, có thể đây là lừa đảo. Bác đừng nhắn lại, đừng làm theo lời trong " \
    "tin nhắn hay bài đăng đó.\n" + _SCAM_STEPS
# The same emergency, for someone asking about an older relative or neighbour (bot/relatives.py): the writer is not
# on the call; what they can do is reach that person, stop them and go with them to the bank and the police.
_RELATIVE_STEPS = (
    "1. Dặn người đó: không chuyển tiền, không đọc mã OTP, không bấm link, không cài ứng dụng người lạ gửi, không đưa "
    "tiền mặt, vàng, sổ tiết kiệm hay thẻ cho ai đến lấy.\n"
    "2. Nếu người đó đã lỡ chuyển tiền hay đọc mã: cùng người đó gọi ngay số tổng đài in ở mặt sau thẻ ngân hàng để "
    "khóa tài khoản. Chủ tài khoản nên tự nói với ngân hàng, hoặc cùng bác ra quầy, mang theo căn cước.\n"
    "3. Cùng người đó báo công an xã, phường, hoặc gọi 113. Báo số lừa đảo qua 156 hoặc nhắn 5656.\n"
    "4. Nói với người đó nhẹ nhàng: bị lừa không phải lỗi của họ. Công an, ngân hàng thật không bao giờ bảo chuyển "
    "tiền, đọc mã OTP hay giấu con cháu."
)
RELATIVE_ALERT = "⚠️ Có thể người nhà của bác đang bị lừa đảo. Nếu người đó còn đang nghe máy, bác bảo họ cúp máy " \
    "ngay; ở xa thì gọi, nhắn cho họ hoặc nhờ người ở gần đến bên họ.\n" + _RELATIVE_STEPS
RELATIVE_ALERT_WRITTEN = "⚠️ Có thể người nhà của bác đang bị lừa đảo. Bác dặn người đó đừng nhắn lại, đừng làm " \
    "theo lời trong tin nhắn hay bài đăng đó.\n" + _RELATIVE_STEPS
# Under the steps for what was already done, when they were done by the relative.
RELATIVE_NOTE = (
    "Bác làm các bước trên cùng người nhà: chủ tài khoản nên tự gọi ngân hàng hoặc cùng bác ra quầy, mang theo căn "
    "cước. Nói với người đó nhẹ nhàng, bị lừa không phải lỗi của họ."
)
REDACTED_WARNING = (
    "🔒 Cháu đã che mã số bác vừa gửi và không lưu lại. Bác đừng gửi mã OTP, mật khẩu, số thẻ "
    "hay số căn cước cho ai qua tin nhắn, kể cả cháu."
)

# ---------------------------------------------------------------- lessons and quizzes

LEARN_MENU = "Bác muốn học về chủ đề nào? Bác bấm một mục nhé."
AREA_LESSONS = "Các bài về «{area}». Bác bấm vào bài muốn học:"
UNKNOWN_LESSON = "Cháu không tìm thấy bài này. Bác bấm \"Học bài\" để chọn lại nhé."
QUIZ_NONE = "Bài này chưa có câu hỏi kiểm tra."
QUIZ_START = "📝 Bài kiểm tra: «{title}» — {n} câu. Bác chọn một đáp án cho mỗi câu."
QUIZ_QUESTION = "Câu {i}/{n}: {question}"
QUIZ_RIGHT = "✅ Đúng rồi!"
QUIZ_WRONG = "❌ Chưa đúng. Đáp án đúng là {letter}: {option}"
QUIZ_RESULT_PASS = "🎉 Bác trả lời đúng {right}/{n} câu. Bác đã đạt bài «{title}»!"
QUIZ_RESULT_FAIL = (
    "Bác trả lời đúng {right}/{n} câu. Cần đúng từ {need} câu để đạt. "
    "Bác xem lại bài rồi làm lại nhé, không sao đâu ạ."
)
QUIZ_UNCLEAR = "Cháu chưa rõ bác chọn đáp án nào. Bác bấm một nút, hoặc gõ chữ A, B, C (hay số 1, 2, 3) nhé."
QUIZ_STALE = "Câu đó bác đã trả lời rồi. Đây là câu đang làm:"
QUIZ_STOPPED = "Cháu đã dừng bài kiểm tra. Kết quả các câu đã làm vẫn được giữ."

PROGRESS_EMPTY = "Bác chưa làm bài kiểm tra nào. Bác bấm \"Học bài\" để bắt đầu nhé."
PROGRESS_HEAD = "📊 Chương trình cơ bản: bác đã đạt {passed}/{total} bài."
PROGRESS_EXTRA = "Bác còn đạt thêm {n} bài ngoài chương trình cơ bản."
PROGRESS_LINE_PASS = "✅ {title} ({score}%)"
PROGRESS_LINE_FAIL = "🔁 {title} ({score}%, chưa đạt)"
PROGRESS_MORE = "…và {n} bài khác."

# ---------------------------------------------------------------- Telegram menu (setMyCommands)

CMD_START = "Bắt đầu, lời chào"
CMD_LEARN = "Chọn bài học"
CMD_CONTINUE = "Học tiếp bài đang học"
CMD_QUIZ = "Làm bài kiểm tra"
CMD_PROGRESS = "Xem tiến độ"
CMD_REGISTER = "Đăng ký, sửa thông tin"
CMD_DATA = "Xem, tải về, xóa dữ liệu của tôi"
CMD_HELP = "Hướng dẫn dùng"
CMD_PERSON = "Gặp người hướng dẫn"

# ---------------------------------------------------------------- errors

APOLOGY = "Xin lỗi bác, cháu đang gặp trục trặc. Bác thử lại sau ít phút nhé."

# ---------------------------------------------------------------- console

CONSOLE_INTRO = "Trò chuyện với trợ lý Kỹ năng số. Gõ số để bấm nút, gõ \"thoát\" để dừng."
CONSOLE_BYE = "Cháu chào bác, hẹn gặp lại!"
CONSOLE_PROMPT = "Bác: "

# ---------------------------------------------------------------- consent and registration

CONSENT_VERSION = "2026-11"
CONSENT_ASK = (
    "Để ghi nhận việc học và cấp giấy chứng nhận, cháu xin lưu: tên bác muốn được gọi, xã/phường, "
    "thôn/tổ dân phố, nhóm người học, khoảng tuổi và bác đã có tài khoản VNeID mức 2 chưa.\n"
    "Cháu chỉ dùng để theo dõi việc học và làm số liệu thống kê cho xã, phường. "
    "Bác xem, tải về hoặc xóa lúc nào cũng được (gõ /dulieu).\n"
    "Bác có đồng ý không ạ? Không đồng ý thì bác vẫn hỏi và học bình thường."
)
BTN_AGREE = "✅ Tôi đồng ý"
BTN_DISAGREE = "Không, cảm ơn"
BTN_SKIP = "⏭ Bỏ qua"
BTN_YES = "Đúng"
BTN_NO = "Không phải"
CONSENT_AGAIN = "bác có đồng ý cho cháu lưu thông tin học tập không ạ?"
PROMPT_AGAIN = "Mình quay lại câu hỏi lúc nãy nhé:"
QUIZ_AGAIN = "Bác đang làm bài kiểm tra. Gõ A, B, C… để trả lời tiếp câu này, hoặc bấm «Dừng bài kiểm tra»:"
NAME_AGAIN = "cháu nên gọi bác là gì ạ? (gõ tên, hoặc «bỏ qua»)"
COMMUNE_AGAIN = "bác ở xã, phường nào ạ? (gõ tên xã, hoặc «bỏ qua»)"
HAMLET_AGAIN = "bác ở thôn, tổ dân phố nào ạ? (gõ tên thôn, hoặc «bỏ qua»)"
GROUP_AGAIN = "bác thuộc nhóm nào ạ?"
AGE_AGAIN = "bác bao nhiêu tuổi ạ? (gõ số tuổi cũng được)"
VNEID_AGAIN = "bác đã có tài khoản VNeID mức 2 chưa ạ?"
CONFIRM_AGAIN = "có đúng nơi bác ở không ạ?"
COUNT_AGAIN = "anh/chị đã giúp bao nhiêu người? (gõ số)"
HOUSEHOLD_AGAIN = "bác gõ mã gia đình (6 chữ và số) nhé."
REFERRAL_AGAIN = "bác có đồng ý cho người hướng dẫn theo dõi việc học của bác không ạ?"
VOICE_AGAIN = "cháu nghe có đúng câu bác hỏi không ạ?"
CLASS_AGAIN = "anh/chị gõ nơi học (hoặc bấm «Thôi, không mở lớp»)."
CONSENT_THANKS = "Cảm ơn bác. Cháu hỏi vài câu ngắn. Câu nào không muốn trả lời, bác bấm \"Bỏ qua\"."
CONSENT_DECLINED = "Dạ, cháu không lưu thông tin gì thêm. Bác vẫn hỏi và học bình thường nhé."
ASK_NAME = "Cháu nên gọi bác là gì ạ? Ví dụ: bác Tư, cô Lan."
ASK_COMMUNE = "Bác ở xã, phường nào ạ? Bác gõ tên, có thể kèm tên tỉnh. Ví dụ: \"Hồng Bàng Hải Phòng\"."
COMMUNE_PICK = "Cháu thấy mấy nơi trùng tên. Bác bấm đúng nơi của bác, hoặc gõ thêm tên tỉnh:"
COMMUNE_NOT_FOUND = (
    "Cháu chưa tìm thấy xã, phường \"{query}\". Bác gõ lại tên theo địa giới mới từ 1/7/2025, "
    "hoặc bấm \"Bỏ qua\"."
)
COMMUNE_CONFIRM = "Bác ở {label} phải không ạ?"
ASK_HAMLET = "Bác ở thôn, tổ dân phố nào ạ? Ví dụ: Thôn 3, Tổ dân phố 5."
ASK_GROUP = "Bác thuộc nhóm nào ạ?"
ASK_AGE = "Bác bấm khoảng tuổi của bác ạ:"
ASK_VNEID = "Bác đã có tài khoản định danh điện tử VNeID mức 2 chưa ạ?"
REG_DONE = "Cảm ơn {name}! Cháu đã ghi nhận. Muốn sửa lại, bác gõ /dangky."
REG_OFFER = "Bác có muốn cháu báo trước khi xã, phường có lớp học không ạ?"
REG_DEFAULT_NAME = "bác"
GROUPS = {
    "nguoi-dan": "Người dân",
    "hoc-sinh-sinh-vien": "Học sinh, sinh viên",
    "can-bo-cong-chuc": "Cán bộ, công chức, viên chức",
    "nguoi-lao-dong": "Người lao động trong doanh nghiệp",
}
# "duoi-30" keeps its key but now means 16–29 (the plans count citizens from 16); before December 2026 it
# also held the few learners under 16, who now answer "Dưới 16".
AGE_BANDS = {"duoi-16": "Dưới 16", "duoi-30": "16–29", "30-44": "30–44", "45-59": "45–59", "60-69": "60–69",
             "70+": "70 trở lên"}
VNEID_CHOICES = {"co": "Đã có", "chua": "Chưa có", "khong-ro": "Không rõ"}

# ---------------------------------------------------------------- the learner's data

DATA_NONE = (
    "Cháu chưa lưu thông tin cá nhân nào của bác. Cháu chỉ giữ kết quả các bài kiểm tra, "
    "để bác học tiếp lần sau."
)
DATA_HEAD = "Thông tin cháu đang lưu về bác (đồng ý từ ngày {date}):"
DATA_FIELDS = {
    "display_name": "Tên gọi", "commune": "Xã/phường", "hamlet": "Thôn/tổ dân phố", "target_group": "Nhóm",
    "age_band": "Khoảng tuổi", "vneid_level2": "VNeID mức 2", "quizzes": "Số bài kiểm tra đã làm",
    "household": "Gia đình số (mã)", "class_news": "Nhận tin lớp học",
}
DATA_ACTIONS = "Bác muốn tải về hay xóa thì bấm nút dưới đây."
BTN_EXPORT = "📥 Tải dữ liệu về"
BTN_DELETE = "🗑 Xóa dữ liệu"
BTN_DELETE_CONFIRM = "🗑 Xóa hết"
BTN_KEEP = "Không xóa"
DELETE_CONFIRM = (
    "Bác chắc chắn muốn xóa hết dữ liệu của bác không? Xóa rồi thì kết quả học cũng mất, "
    "không lấy lại được."
)
DELETED = "Cháu đã xóa hết dữ liệu của bác. Bác vẫn hỏi cháu được bất cứ lúc nào."
KEPT = "Dạ, cháu giữ nguyên dữ liệu của bác."
EXPORT_READY = "Đây là tệp dữ liệu của bác: {path}"
YES = "Có"
NO = "Không"
UNKNOWN = "Chưa trả lời"

# ---------------------------------------------------------------- programme, review, completion

BTN_PROGRAMME = "🎯 Chương trình cơ bản"
BTN_TRACKS = "➕ Bài thêm theo nhóm"
BTN_CONTINUE = "▶️ Học tiếp"
BTN_REVIEW = "🔄 Ôn tập"
PROGRAMME_HEAD = "🎯 {title}: bác đã đạt {passed}/{total} bài. Bác bấm vào bài muốn học:"
TRACKS_HEAD = "Bài thêm cho từng nhóm. Bác chọn nhóm của mình:"
TRACK_HEAD = "«{title}». Bác bấm vào bài muốn học:"
CONTINUE_NONE = "Bác đã đạt hết các bài của chương trình cơ bản rồi! Bác có thể ôn tập hoặc học thêm bài khác."
REVIEW_NONE = "Bác cần đạt ít nhất một bài kiểm tra thì mới có câu ôn tập ạ."
REVIEW_START = "🔄 Ôn tập {n} câu từ những bài bác đã học. Làm lại để nhớ lâu hơn ạ."
REVIEW_RESULT = "Bác ôn đúng {right}/{n} câu. Giỏi lắm ạ!"
REVIEW_DUE = "🔄 Đã một tuần từ khi bác học bài «{title}». Bác ôn lại 3 câu ngắn để nhớ lâu hơn nhé?"
REMINDERS_OFF = "Dạ, cháu sẽ không nhắn nhắc bác học nữa. Muốn bật lại, bác gõ /batnhac."
REMINDERS_ON = "Dạ, cháu sẽ nhắc bác ôn bài, mỗi ngày nhiều nhất một lần."
BTN_REVIEW_NOW = "🔄 Ôn ngay"
BTN_LATER = "Để sau"
REVIEW_LATER = "Dạ, lần sau cháu nhắc bác ạ."
COMPLETED = (
    "🎉 Chúc mừng {name}! Bác đã hoàn thành chương trình «{programme}».\n"
    "Cháu gửi bác giấy chứng nhận học tập của cháu. Mã tra cứu: {code}."
)
# The hand-over to the official course and confirmation on the national platform.
PLATFORM_NEXT = (
    "Bước tiếp theo: được xác nhận chính thức trên nền tảng Bình dân học vụ số.\n"
    "Giấy của cháu chỉ là ghi nhận học tập của trợ lý. Xã, phường tính người đã được xác nhận trên "
    "binhdanhocvuso.gov.vn.\n"
    "1. Mở trình duyệt, vào binhdanhocvuso.gov.vn.\n"
    "2. Đăng nhập bằng tài khoản VNeID của bác.\n"
    "3. Học các bài theo thứ tự: bài sau chỉ mở khi học xong bài trước.\n"
    "Bác cần người ngồi làm cùng thì bấm «Nhờ người giúp», Tổ công nghệ số sẽ liên hệ bác."
)
PLATFORM_ASK = "Bác đã được xác nhận trên binhdanhocvuso.gov.vn chưa ạ?"
BTN_PLATFORM_DONE = "✅ Tôi đã được xác nhận"
BTN_PLATFORM_HELP = "🙋 Nhờ người giúp"
PLATFORM_SAVED = ("Cảm ơn bác! Cháu đã ghi: bác đã được xác nhận trên nền tảng Bình dân học vụ số. "
                  "Xã, phường sẽ tính bác vào số người đã được xác nhận.")
PLATFORM_ALREADY = "Cháu đã ghi bác được xác nhận trên nền tảng từ ngày {date} rồi ạ."
PLATFORM_NEED_CONSENT = ("Để cháu ghi việc xác nhận vào số liệu của xã, phường, bác cần đăng ký học với cháu trước. "
                         "Bác bấm «Đăng ký» nhé.")
PLATFORM_LATER = "Dạ, lúc nào bác làm xong thì gõ «đã xác nhận» để cháu ghi lại nhé."
# A volunteer who saw the confirmation records it for a learner they follow.
BTN_PLATFORM_SEEN = "✅ {name} đã xác nhận"
PLATFORM_SEEN_SAVED = "Đã ghi: {name} đã được xác nhận trên nền tảng (anh/chị đã xem). Cảm ơn anh/chị!"
PLATFORM_SEEN_NOT_YOURS = "Người này không nằm trong danh sách anh/chị theo dõi, nên cháu chưa ghi được."
CERT_NONE = "Bác chưa hoàn thành chương trình cơ bản. Bác bấm \"Học tiếp\" để học bài còn lại nhé."
CERT_TITLE = "GIẤY CHỨNG NHẬN HỌC TẬP"
CERT_LINE = "Hoàn thành chương trình"
# Said plainly on the certificate: the tutor's own record, not the official confirmation.
CERT_NOT_OFFICIAL = ("Đây là ghi nhận học tập của trợ lý Kỹ năng số, không phải xác nhận chính thức. "
                     "Xác nhận chính thức làm trên binhdanhocvuso.gov.vn bằng tài khoản VNeID.")
CERT_NAME_DEFAULT = "Người học"
CERT_PLACE = "Nơi ở: {place}"
CERT_DATE = "Ngày hoàn thành: {date}"
CERT_CODE = "Mã tra cứu: {code}"
CERT_FOOTER = "Trợ lý Kỹ năng số — phong trào Bình dân học vụ số"
PROGRESS_IMAGE_TITLE = "Tiến độ học của {name}"
PROGRESS_IMAGE_CORE = "Chương trình cơ bản: {passed}/{total} bài"
VERIFY_OK = "Mã {code} hợp lệ: {name} hoàn thành «{programme}» ngày {date}{place}."
VERIFY_BAD = "Không tìm thấy mã {code}."

# ---------------------------------------------------------------- statistics for admins

STATS_FORBIDDEN = "Mục thống kê chỉ dành cho cán bộ quản lý của đơn vị. Bác cần hỏi gì về kỹ năng số cứ gõ nhé."
STATS_BAD_UNIT = "Cháu không tìm thấy đơn vị \"{unit}\". Mã đơn vị có dạng P31 (tỉnh) hoặc X11311 (xã, phường)."
STATS_TEXT = (
    "📊 Thống kê {unit}\n"
    "• Người học đã đăng ký: {registered} (có VNeID mức 2: {vneid}; đã xác nhận trên nền tảng: {confirmed})\n"
    "• Hoạt động 30 ngày qua: {active}\n"
    "• Bài kiểm tra 30 ngày qua: {quizzes} (điểm trung bình {avg})\n"
    "• Lượt đạt bài: {passed}\n"
    "• Hoàn thành chương trình: {completions}{rate}\n"
    "• Buổi hỗ trợ trực tiếp: {sessions}, giúp {people} lượt người"
)
STATS_TEAM_COMMUNE = (
    "• Tổ công nghệ số: {volunteers} tình nguyện viên, {uncovered} thôn chưa có người phụ trách, "
    "{nudges} tin nhắc học 30 ngày qua"
)
STATS_TEAM_AREA = (
    "• Tổ công nghệ số: {with_volunteers}/{communes} xã, phường có tình nguyện viên, {nudges} tin nhắc học 30 ngày qua"
)

# ---------------------------------------------------------------- volunteers and admins in the chat
# Staff are addressed as "anh/chị"; learners stay "bác".

ROLE_NAMES = {
    "volunteer": "tình nguyện viên",
    "commune_admin": "cán bộ quản lý xã, phường",
    "province_admin": "cán bộ quản lý tỉnh",
    "national_admin": "quản trị toàn quốc",
}
STATS_LABELS = {
    "registered": "Đã đăng ký", "active": "Hoạt động", "quizzes": "Bài kiểm tra đã làm",
    "avg_score": "Điểm trung bình", "lessons_passed": "Lượt đạt bài", "completions": "Hoàn thành trong kỳ",
    "completions_to_date": "Hoàn thành đến nay", "target": "Dân số mục tiêu", "completion_rate": "Tỷ lệ hoàn thành",
    "goal_completion": "Mục tiêu hoàn thành (%)",
    "platform_confirmed": "Đã xác nhận trên nền tảng", "confirmed_rate": "Tỷ lệ đã xác nhận",
    "goal_confirmed": "Mục tiêu xác nhận (%)",
    "households_done": "Hộ có ít nhất một người hoàn thành", "households_part": "Hộ tham gia",
    "households_target": "Số hộ", "households_rate": "Tỷ lệ hộ tham gia", "goal_households": "Mục tiêu hộ (%)",
    "vneid_level2": "Có VNeID mức 2", "vneid_level2_16": "Có VNeID mức 2, từ 16 tuổi",
    "population_16": "Dân số từ 16 tuổi", "vneid_rate": "Tỷ lệ VNeID mức 2 (từ 16 tuổi)",
    "goal_vneid": "Mục tiêu VNeID mức 2 (%)", "support_sessions": "Buổi hỗ trợ trực tiếp",
    "people_helped": "Lượt người được hỗ trợ",
    "questions": "Câu hỏi", "declined": "Câu hỏi chưa trả lời được",
    "scam_alerts": "Báo có lừa đảo đang xảy ra",
}
STAFF_MENU = "Anh/chị là {role} của {unit}. Anh/chị muốn làm gì?"
NOT_STAFF = (
    "Phần này dành cho tình nguyện viên và cán bộ. Nếu anh/chị được mời, hãy nhắn: /thamgia và mã mời."
)
BTN_STAFF_STATS = "📊 Thống kê"
BTN_STAFF_INVITE = "✉️ Mời người tham gia"
BTN_STAFF_LOG = "📝 Ghi buổi hỗ trợ"
BTN_STAFF_QUEUE = "🙋 Người cần giúp"
BTN_STAFF_LINK = "🔗 Link và mã QR"
BTN_STAFF_MINE = "👥 Người tôi theo dõi"
BTN_STAFF_WEB = "🔑 Vào trang quản trị"
BTN_STAFF_TEAM = "🤝 Tổ công nghệ số"
BTN_STAFF_NUDGE = "📣 Đôn đốc người học"
BTN_STAFF_COVER = "🏘 Thôn phụ trách"

INVITE_ROLES = {"tnv": "volunteer", "xa": "commune_admin", "tinh": "province_admin"}
INVITE_PICK = "Anh/chị muốn mời ai?"
INVITE_BUTTONS = {"tnv": "Tình nguyện viên", "xa": "Cán bộ xã, phường", "tinh": "Cán bộ tỉnh"}
INVITE_UNIT_ASK = "Anh/chị gõ tên đơn vị cần mời, ví dụ: /moi {role} Hồng Bàng"
INVITE_UNIT_NONE = (
    "Cháu không tìm thấy «{query}» trong đơn vị của anh/chị. Anh/chị gõ lại tên theo địa giới từ 1/7/2025."
)
INVITE_UNIT_PICK = "Anh/chị chọn đúng đơn vị:"
INVITE_NOT_ALLOWED = "Anh/chị chưa có quyền mời vai trò này ở đơn vị đó."
INVITE_DONE = (
    "Mã mời {role} của {unit}: {code}\n"
    "Mã chỉ dùng một lần, hết hạn sau {days} ngày.\n"
    "Người được mời nhắn cho cháu: /thamgia {code}{link}"
)
INVITE_LINK = "\nHoặc mở link: {url}"
JOIN_ASK = "Anh/chị nhắn mã mời sau chữ /thamgia, ví dụ: /thamgia K7Q2XM4P"
JOIN_OK = "Chào mừng anh/chị! Từ nay anh/chị là {role} của {unit}."
JOIN_NAME = "Người học sẽ thấy anh/chị là «{name}». Muốn đổi, gõ: /ten Chị Lan"
JOIN_BAD = "Mã mời không đúng hoặc đã hết hạn. Anh/chị xin người mời một mã mới nhé."
JOIN_USED = "Mã mời này đã được dùng rồi. Mỗi mã chỉ dùng được một lần."
NAME_ASK = "Anh/chị gõ tên để người học thấy, ví dụ: /ten Chị Lan"
NAME_SET = "Đã lưu. Người học sẽ thấy anh/chị là «{name}»."
STAFF_DEFAULT_NAME = "Tình nguyện viên {unit}"
# A team member who has not set a name, by role (bot.admin.exports.member_name).
MEMBER_DEFAULT_NAMES = {"volunteer": STAFF_DEFAULT_NAME, "commune_admin": "Cán bộ {unit}"}

LINK_PICK = (
    "Anh/chị chọn link để gửi. Link cá nhân mở lời chào; link một bài mở thẳng bài kiểm tra của bài đó."
)
BTN_LINK_PERSONAL = "👤 Link cá nhân"
BTN_LINK_MORE_LESSONS = "📚 Bài khác"
LINK_PICK_LESSON = "Anh/chị chọn bài:"
LINK_DONE = (
    "Link {what}:\n{url}\n\nAi dùng Zalo thì nhắn mã {code} cho trang Zalo của chương trình.\n"
    "Ảnh mã QR ở dưới, in ra hoặc cho người học quét."
)
LINK_DONE_NO_TELEGRAM = "Mã {what}: {code}\nNgười học nhắn mã này cho cháu là vào được."
LINK_WHAT_PERSONAL = "cá nhân của anh/chị"
LINK_WHAT_LESSON = "bài «{title}»"
QR_CARD_HEAD = "Học kỹ năng số cùng trợ lý tự động"
QR_CARD_PERSONAL = "Bình dân học vụ số"
QR_CARD_SCAN = "Mở camera điện thoại, quét mã này"
QR_CARD_BY = "Người giới thiệu: {name}"
QR_CARD_ZALO = "Trên Zalo: nhắn mã {code}"

REFERRAL_HELLO = "Bác được {name} giới thiệu đến đây. Cháu là trợ lý tự động, giúp bác học kỹ năng số."
REFERRAL_ASK = (
    "Bác có đồng ý để {name} xem kết quả học của bác không? {name} chỉ thấy tên gọi bác tự đặt, "
    "số bài bác đã đạt và bác đã học xong chương trình hay chưa."
)
REFERRAL_CONSENT_TEXT = (
    "Đồng ý cho tình nguyện viên đã giới thiệu xem tên gọi, số bài đã đạt và việc hoàn thành chương trình."
)
BTN_REF_YES = "✅ Đồng ý"
BTN_REF_NO = "Không"
REFERRAL_YES = "Cảm ơn bác. {name} sẽ thấy kết quả học của bác để giúp bác khi cần."
REFERRAL_NO = "Dạ, cháu không chia sẻ gì. Bác vẫn học bình thường."

MINE_NONE = (
    "Chưa có ai đồng ý cho anh/chị theo dõi. Người học được hỏi khi mở link của anh/chị "
    "hoặc khi anh/chị nhận giúp họ."
)
MINE_HEAD = "Người anh/chị giới thiệu hoặc đã giúp ({n} người):"
MINE_LINE = "• {name}: đạt {passed} bài{done}"
MINE_DONE = ", đã học xong chương trình ✅"
MINE_CONFIRMED = ", đã xác nhận trên nền tảng"
MINE_NONAME = "(chưa đặt tên)"
MINE_MORE = "… và {n} người nữa."

SUPPORT_TOPICS = {
    "vneid": "Cài VNeID", "muc2": "Kích hoạt mức 2", "dvc": "Dịch vụ công", "thanhtoan": "Thanh toán",
    "luadao": "Nhận diện lừa đảo", "xacnhan": "Xác nhận trên nền tảng", "khac": "Việc khác",
}
LOG_TOPIC = "Ghi buổi hỗ trợ. Anh/chị đã giúp việc gì?"
LOG_PEOPLE = "{topic}: đã giúp bao nhiêu người?"
BTN_LOG_MORE = "Nhiều hơn"
LOG_MORE = "Anh/chị gõ số người đã giúp, ví dụ: 25"
LOG_BAD_NUMBER = "Số người phải từ 1 đến 500. Anh/chị gõ lại, ví dụ: /nhatky {topic} 12"
LOG_DONE = "Đã ghi: {topic}, {people} người, {hamlet}. Cảm ơn anh/chị!"
LOG_NO_HAMLET = "chưa ghi thôn"
BTN_LOG_HAMLET = "🏠 Đổi thôn"
BTN_LOG_AGAIN = "📝 Ghi buổi khác"
LOG_HAMLET_ASK = "Anh/chị gõ tên thôn, tổ dân phố sau chữ /thon, ví dụ: /thon Thôn 3"
LOG_HAMLET_SET = "Đã đổi thành {hamlet}. Các lần ghi sau cũng dùng thôn này."

HANDOFF_ASK = (
    "Cháu sẽ nhờ một tình nguyện viên ở xã, phường của bác liên hệ. Họ sẽ biết tên gọi, thôn của bác "
    "và việc bác cần giúp. Bác đồng ý không?"
)
BTN_HANDOFF = "🙋 Gặp người hướng dẫn"
BTN_HANDOFF_YES = "✅ Đồng ý, nhờ người giúp"
BTN_HANDOFF_NO = "Thôi, để sau"
HANDOFF_NEED_PLACE = (
    "Để báo đúng tình nguyện viên ở gần bác, cháu cần biết bác ở xã, phường nào. Bác bấm «Đăng ký» giúp cháu nhé."
)
BTN_REGISTER = "📝 Đăng ký"
HANDOFF_SENT = "Cháu đã báo các tình nguyện viên của {unit}. Khi có người nhận, cháu sẽ nhắn bác tên người đó."
HANDOFF_NOBODY = (
    "Cháu đã ghi lại yêu cầu của bác. Hiện {unit} chưa có tình nguyện viên dùng hệ thống này; "
    "bác có thể đến Ủy ban nhân dân xã, phường nơi bác ở để được hướng dẫn trực tiếp."
)
HANDOFF_WAITING = "Yêu cầu của bác đã gửi rồi ạ. Tình nguyện viên sẽ nhận sớm, bác chờ một chút nhé."
HANDOFF_CLAIMED_ALREADY = "{name} đã nhận giúp bác rồi ạ. Bác để ý tin nhắn hoặc điện thoại nhé."
HANDOFF_CLAIMED = (
    "{name}, tình nguyện viên của {unit}, sẽ liên hệ giúp bác. "
    "Nhớ: người hướng dẫn thật không bao giờ hỏi mã OTP, mật khẩu hay bảo bác chuyển tiền."
)
HANDOFF_NOTIFY = "🙋 Có người cần giúp ở {unit}: {name}, {hamlet}. Việc: {topic}."
HANDOFF_TOPIC_UNKNOWN = "chưa nói rõ"
HANDOFF_ASK_TOPIC = "Bác cần giúp việc gì ạ? Bác bấm một nút để tình nguyện viên chuẩn bị trước."
HANDOFF_TOPIC_AGAIN = "bác cần tình nguyện viên giúp việc gì ạ?"
HANDOFF_QUEUE_HEAD = "Người đang chờ giúp ở {unit} ({n} người):"
HANDOFF_QUEUE_LINE = "{i}. {name}, {hamlet} — {topic}"
HANDOFF_QUEUE_EMPTY = "Hiện không có ai đang chờ. Cảm ơn anh/chị!"
BTN_HANDOFF_CLAIM = "Nhận giúp {name}"
BTN_HANDOFF_DONE = "✅ Đã giúp xong"
HANDOFF_CLAIM_OK = (
    "Anh/chị đã nhận giúp {name} ({hamlet}). Việc: {topic}.{contact}\n"
    "Anh/chị có thể nhắn cho {name} ngay qua trợ lý: bấm «Nhắn cho {name}». Xong việc, bấm «Đã giúp xong»."
)
HANDOFF_CONTACT = "\nNhắn tin cho bác ấy: {link}"
HANDOFF_CLAIM_GONE = "Yêu cầu này đã có người nhận hoặc không còn nữa."
HANDOFF_CLOSED = "Đã xong. Anh/chị nhớ ghi buổi hỗ trợ vào nhật ký nhé."
HANDOFF_NOT_YOURS = "Yêu cầu này không phải anh/chị đang nhận."
# A volunteer and a learner writing to each other through the tutor (the learner's own channel).
BTN_RELAY_WRITE = "✉️ Nhắn cho {name}"
BTN_RELAY_REPLY = "↩️ Trả lời {name}"
BTN_RELAY_CANCEL = "Thôi, không nhắn"
BTN_RELAY_BACK = "🤖 Thôi nhắn, hỏi trợ lý"
RELAY_ASK = (
    "Anh/chị gõ lời nhắn cho {name} (một tin). Cháu chuyển ngay, ghi rõ là của anh/chị ở Tổ công nghệ số cộng đồng. "
    "Mã OTP, số thẻ, số căn cước, mật khẩu trong tin sẽ được che."
)
RELAY_AGAIN = "anh/chị gõ lời nhắn, cháu chuyển cho {name}."
RELAY_CANCELLED = "Dạ, cháu không gửi gì ạ."
RELAY_SENT = "✅ Đã chuyển cho {name}. Khi bác trả lời, cháu chuyển lại ngay. Anh/chị gõ tiếp nếu muốn nhắn thêm."
RELAY_CLOSED = (
    "Cháu chưa gửi được: {name} nhắn trợ lý lần cuối lúc {last}, đã quá {hours} giờ nên {channel} không cho "
    "trợ lý nhắn trước. Anh/chị gọi điện hoặc đến nhà giúp bác nhé. Khi bác nhắn lại trợ lý, cháu sẽ báo anh/chị ngay."
)
RELAY_NEVER = (
    "Cháu không gửi tin được cho {name} qua kênh bác đang dùng. Anh/chị gọi điện hoặc đến nhà giúp bác nhé."
)
RELAY_TO_LEARNER_FIRST = (
    "💬 {name}, Tổ công nghệ số cộng đồng {unit}, là người thật, đang nhắn cho bác qua trợ lý:\n«{text}»\n\n"
    "Bác cứ gõ trả lời ngay tại đây, cháu sẽ chuyển cho {name}. Nhớ: người giúp thật không bao giờ hỏi "
    "mã OTP, mật khẩu hay bảo bác chuyển tiền."
)
RELAY_TO_LEARNER = "💬 {name} (Tổ công nghệ số cộng đồng) nhắn:\n«{text}»"
RELAY_FROM_LEARNER = "💬 {name} trả lời (qua trợ lý):\n«{text}»"
RELAY_PASSED = "✅ Cháu đã chuyển lời bác tới {name}. {name} sẽ trả lời bác ngay tại đây."
RELAY_REACHABLE = "🔔 {name} vừa nhắn lại trợ lý. Giờ anh/chị nhắn được cho bác qua trợ lý (trong {hours} giờ tới)."
RELAY_LEARNER_LEFT = "{name} đã quay lại học với trợ lý. Anh/chị nhắn tiếp thì bác vẫn nhận được."
RELAY_BACK = "Dạ, giờ bác hỏi gì cháu trả lời ạ. Bác vẫn có thể nhắn {name}: cứ trả lời khi {name} nhắn tới."
RELAY_ENDED = (
    "{name} đã xong việc giúp bác. Từ giờ bác nhắn gì, cháu (trợ lý) trả lời như trước. "
    "Cần người giúp nữa, bác bấm «Gặp người hướng dẫn» nhé."
)
NO_HAMLET = "chưa rõ thôn"

# ---------------------------------------------------------------- the team register (Tổ công nghệ số cộng đồng)

TEAM_ONLY_ADMINS = (
    "Danh sách Tổ công nghệ số dành cho cán bộ quản lý xã, phường và tỉnh. "
    "Anh/chị xem thôn mình phụ trách bằng lệnh /phutrach nhé."
)
TEAM_COMMUNE = (
    "👥 Tổ công nghệ số cộng đồng {unit}\n"
    "• Thành viên: {members} ({volunteers} tình nguyện viên)\n"
    "• Thôn, tổ dân phố có người phụ trách: {covered}/{known}\n"
    "• Lượt người được hỗ trợ 30 ngày qua: {people}{topics}\n"
    "• Tin nhắc học đã gửi 30 ngày qua: {nudges}"
)
TEAM_TOPICS = " ({items})"
TEAM_UNCOVERED = "Thôn chưa có tình nguyện viên: {names}"
TEAM_ALL_COVERED = "Thôn nào cũng đã có người phụ trách."
TEAM_MEMBERS_HEAD = "Từng người (30 ngày qua):"
TEAM_MEMBER = (
    "• {name}{hamlets}: theo dõi {linked} người, {completed} người học xong, giúp {people} lượt, "
    "nhắc học {nudges} người"
)
TEAM_MEMBER_HAMLETS = " ({names})"
TEAM_NO_MEMBERS = "{unit} chưa có ai trong tổ. Anh/chị mời tình nguyện viên bằng lệnh /moi tnv nhé."
TEAM_AREA = (
    "👥 Tổ công nghệ số cộng đồng — {unit}\n"
    "• Xã, phường có tình nguyện viên: {with_volunteers}/{communes}\n"
    "• Tình nguyện viên: {volunteers}\n"
    "• Thôn, tổ dân phố chưa có tình nguyện viên: {uncovered}\n"
    "• Lượt người được hỗ trợ 30 ngày qua: {people}\n"
    "• Tin nhắc học đã gửi 30 ngày qua: {nudges}"
)
TEAM_NO_VOLUNTEER = "Xã, phường chưa có tình nguyện viên ({n}): {names}"
TEAM_MORE = "… và {n} nơi nữa"

COVER_ONLY_TEAM = "Phần thôn phụ trách dành cho tình nguyện viên và cán bộ xã, phường."
COVER_PICK = "Anh/chị giao thôn cho ai? Bấm tên một người trong tổ:"
COVER_YOU = "Anh/chị"
BTN_COVER_ME = "🙋 Tôi"
COVER_SHOW = "{name} đang phụ trách: {hamlets}."
COVER_SHOW_NONE = "{name} chưa phụ trách thôn nào."
COVER_ASK = "Gõ tên các thôn, tổ dân phố, cách nhau dấu phẩy. Ví dụ: Thôn 3, Thôn 5"
COVER_ASK_BUTTONS = "Hoặc bấm một thôn chưa có ai phụ trách để thêm vào."
COVER_AGAIN = "anh/chị gõ tên thôn phụ trách, ví dụ: Thôn 3, Thôn 5."
COVER_SAVED = "Đã lưu. {name} phụ trách: {hamlets}."
COVER_CLEARED = "Đã bỏ hết. {name} chưa phụ trách thôn nào."
COVER_KEPT = "Dạ, giữ nguyên như cũ."
COVER_NOT_MEMBER = "Người này không có trong tổ của xã, phường mình."
BTN_COVER_ADD = "➕ {hamlet}"
BTN_COVER_CLEAR = "Bỏ hết"
BTN_COVER_KEEP = "Giữ nguyên"

# ---------------------------------------------------------------- đôn đốc: a kind reminder to keep learning

NUDGE_ONLY_TEAM = "Phần đôn đốc dành cho tình nguyện viên và cán bộ xã, phường."
NUDGE_NONE_VOLUNTEER = "Trong những người anh/chị theo dõi, không ai bỏ dở quá {days} ngày. Cảm ơn anh/chị!"
NUDGE_NONE_COMMUNE = "Ở {unit}, không ai bắt đầu học rồi bỏ dở quá {days} ngày. Cảm ơn anh/chị!"
NUDGE_HEAD_VOLUNTEER = "Người anh/chị theo dõi đã bắt đầu học nhưng {days} ngày nay chưa học tiếp ({n} người):"
NUDGE_HEAD_COMMUNE = "Người học ở {unit} đã bắt đầu nhưng {days} ngày nay chưa học tiếp ({n} người):"
NUDGE_LINE = "{i}. {name}{hamlet}: đạt {passed}/{total} bài{note}"
NUDGE_NOTE_RECENT = " — đã nhắc ngày {date}"
NUDGE_NOTE_WINDOW = " — dùng Zalo, quá 48 giờ chưa nhắn nên chưa gửi được"
NUDGE_NOTE_OFF = " — đã tắt tin nhắc"
NUDGE_NOTE_UNREACHABLE = " — chưa nhắn được qua ứng dụng"
NUDGE_MORE = "… và {n} người nữa."
NUDGE_FOOT = (
    "Bấm nút để gửi một tin nhắc nhẹ nhàng, có ghi tên anh/chị. Mỗi người nhận nhiều nhất một tin nhắc mỗi tuần."
)
NUDGE_FOOT_NONE = "Lúc này chưa gửi tin nhắc được cho ai trong danh sách. Anh/chị gọi điện hoặc ghé nhà hỏi thăm nhé."
BTN_NUDGE_ONE = "📨 Nhắc {name}"
BTN_NUDGE_ALL = "📨 Nhắc cả {n} người"
NUDGE_SENT = "Đã gửi tin nhắc cho {name}. Cảm ơn anh/chị đã đôn đốc!"
NUDGE_SENT_MANY = "Đã gửi tin nhắc cho {n} người. Cảm ơn anh/chị đã đôn đốc!"
NUDGE_SENT_NONE = "Lúc này chưa gửi được tin nhắc cho ai."
NUDGE_SKIPPED_HEAD = "Chưa gửi:"
NUDGE_SKIPPED_RECENT = "• {n} người đã được nhắc trong 7 ngày qua."
NUDGE_SKIPPED_WINDOW = (
    "• {n} người dùng Zalo đã quá 48 giờ chưa nhắn, Zalo không cho gửi: anh/chị gọi điện hoặc ghé nhà nhé."
)
NUDGE_SKIPPED_OFF = "• {n} người đã tắt tin nhắc."
NUDGE_SKIPPED_UNREACHABLE = "• {n} người chưa nhắn được qua ứng dụng: anh/chị gọi điện hoặc ghé nhà nhé."
NUDGE_TOO_SOON = (
    "{name} đã được nhắc ngày {date}. Để bác ấy không thấy phiền, mỗi người chỉ nhận một tin nhắc mỗi tuần. "
    "Từ ngày {next}, anh/chị nhắc lại được."
)
NUDGE_WINDOW = (
    "{name} dùng Zalo và đã hơn 48 giờ chưa nhắn cho trang, nên Zalo không cho gửi tin lúc này. "
    "Anh/chị gọi điện hoặc ghé nhà hỏi thăm bác ấy nhé."
)
NUDGE_OFF = "{name} đã tắt tin nhắc, nên cháu không gửi. Anh/chị hỏi thăm trực tiếp được ạ."
NUDGE_UNREACHABLE = "Cháu chưa nhắn được cho {name} qua ứng dụng. Anh/chị gọi điện hoặc ghé nhà hỏi thăm bác ấy nhé."
NUDGE_QUIET = (
    "Bây giờ đã muộn. Cháu chỉ gửi tin nhắc từ 7 giờ sáng đến 9 giờ tối, để người học được nghỉ ngơi. "
    "Anh/chị gửi lại sau nhé."
)
NUDGE_GONE = "Người này không còn trong danh sách cần đôn đốc: có thể bác ấy đã học tiếp hoặc đã học xong."
# To the learner: who asked, and one step to take.
NUDGE_TEXT = (
    "Cháu chào {name} ạ! {sender} nhờ cháu hỏi thăm bác.\n{progress} Bác bấm «Học tiếp» để học bài «{title}» nhé."
)
NUDGE_TEXT_ANY = "Cháu chào {name} ạ! {sender} nhờ cháu hỏi thăm bác.\n{progress} Bác bấm «Học tiếp» để học tiếp nhé."
NUDGE_PROGRESS = "Bác đã đạt {passed}/{total} bài rồi."
NUDGE_STARTED = "Bác đã bắt đầu học rồi."
NUDGE_SENDER = "{name}, {role} ở {unit},"
NUDGE_ROLES = {"volunteer": "tình nguyện viên", "commune_admin": "cán bộ"}
BTN_NUDGE_STOP = "🔕 Đừng nhắc nữa"

WEB_LINK = (
    "Mở link này trong {minutes} phút để đặt tên đăng nhập và mật khẩu trang quản trị "
    "(link chỉ dùng một lần):\n{url}"
)
WEB_ONLY_ADMINS = "Trang quản trị dành cho cán bộ quản lý xã, phường và tỉnh."

# ---------------------------------------------------------------- households ("Gia đình số")

HOUSEHOLD_MENU = (
    "👪 Gia đình số: mỗi nhà có ít nhất một người học xong để giúp cả nhà.\n"
    "Bác tạo mã cho gia đình rồi gửi mã cho người nhà, hoặc nhập mã người nhà đã gửi cho bác."
)
BTN_HOUSEHOLD = "👪 Gia đình số"
BTN_HOUSEHOLD_NEW = "➕ Tạo mã gia đình"
BTN_HOUSEHOLD_JOIN = "🔑 Tôi có mã của người nhà"
BTN_HOUSEHOLD_STAFF = "🏠 Tạo mã cho một hộ"
BTN_HOUSEHOLD_LEAVE = "Rời gia đình này"
HOUSEHOLD_NEED_PLACE = "Để ghi gia đình vào đúng xã, phường, bác cần đăng ký trước. Bác bấm «Đăng ký» nhé."
HOUSEHOLD_MADE = (
    "Mã gia đình của bác là: {code}\n"
    "Bác gửi mã này cho con cháu, vợ chồng. Người nhà nhắn mã đó cho cháu là vào cùng một gia đình."
)
HOUSEHOLD_MADE_BY_STAFF = (
    "Mã của hộ mới: {code}\n"
    "Anh/chị viết mã ra giấy đưa cho gia đình. Từng người nhắn mã này cho cháu là vào cùng một hộ."
)
HOUSEHOLD_ASK_CODE = "Bác gõ mã gia đình người nhà đã gửi (6 chữ và số), ví dụ: K7Q2XM"
HOUSEHOLD_BAD_CODE = "Cháu không tìm thấy mã này. Bác xem lại mã người nhà gửi, hoặc tạo mã mới cho gia đình."
HOUSEHOLD_JOINED = "Bác đã vào gia đình. Gia đình bác giờ có {n} người học cùng nhau."
HOUSEHOLD_MINE = "Bác đang ở trong gia đình mã {code}, có {n} người. Người nhà nhắn mã này cho cháu để vào cùng."
HOUSEHOLD_LEFT = "Dạ, cháu đã bỏ bác ra khỏi gia đình đó."

# ---------------------------------------------------------------- classes and events

WEEKDAY_NAMES = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")
NTH_NAMES = {1: "Tuần thứ nhất", 2: "Tuần thứ hai", 3: "Tuần thứ ba", 4: "Tuần thứ tư", 5: "Tuần cuối"}
RULE_ONCE = "một buổi"
RULE_WEEKLY = "{weekday} hằng tuần"
RULE_MONTHLY = "{weekday}, {nth} hằng tháng"
RULE_YEARLY = "ngày {day} hằng năm"
BTN_CLASS_ON = "🔔 Báo tôi khi có lớp học"
BTN_CLASS_OFF = "🔕 Thôi nhận tin lớp học"
BTN_GOING = "✅ Tôi sẽ đến"
BTN_GOING_ON = "✅ Tôi sẽ đến {day}"
CLASS_NEED_PLACE = "Để báo lớp học gần nhà, cháu cần biết bác ở xã, phường nào. Bác bấm «Đăng ký» nhé."
CLASS_NEWS_ON = "Dạ, khi xã, phường có lớp học, cháu sẽ nhắn bác trước một ngày."
CLASS_NEWS_OFF = "Dạ, cháu sẽ không nhắn tin lớp học nữa. Muốn nhận lại, bác gõ «lớp học»."
CLASS_NONE = "Trong ba tuần tới xã, phường của bác chưa có lớp học nào. Có lớp, cháu sẽ báo nếu bác bật nhận tin."
CLASS_LIST_HEAD = "📅 Lớp học sắp tới ở xã, phường của bác:"
CLASS_LIST_LINE = "• {when}: «{topic}» tại {place}"
CLASS_GONE = "Buổi học này không còn nữa hoặc đã qua rồi ạ."
CLASS_GOING_OK = "Cháu đã ghi bác sẽ đến lúc {when} tại {place}. Hẹn gặp bác ở lớp!"
CLASS_REMINDER = (
    "📅 Ngày mai có lớp học «{topic}».\n"
    "Lúc {when}, tại {place}{hamlet}. Người hướng dẫn: {organiser}.\n"
    "Bác mang theo điện thoại đã sạc pin. Bác đến được thì bấm «Tôi sẽ đến» nhé."
)
CAMPAIGN_REMINDER = (
    "🎉 Ngày mai, {day}, là «Ngày hội toàn dân học tập số».\n"
    "Bác học thêm một bài hôm nay, rồi rủ người nhà cùng học nhé."
)
CAMPAIGN_REMINDER_PROVINCE = (
    "🎉 Ngày mai, {day}, là ngày hội học tập số của {province}.\n"
    "Bác học thêm một bài hôm nay, rồi rủ người nhà cùng học nhé."
)
CAMPAIGN_REMINDER_MONTHLY = (
    "📅 Ngày mai, {weekday} {day}, là ngày học tập số hằng tháng của {province} ({rule}).\n"
    "Bác học thêm một bài, rủ người nhà cùng học; cần người chỉ tận tay thì hỏi tình nguyện viên ở xã, phường nhé."
)
CLASS_ONLY_STAFF = "Phần mở lớp dành cho tình nguyện viên và cán bộ xã, phường."
CLASS_ASK_TOPIC = "Mở lớp học. Lớp học về việc gì?"
CLASS_ASK_TOPIC_AGAIN = "Cháu chưa có đủ thông tin lớp học. Anh/chị bấm «Mở lớp học» để làm lại nhé."
BTN_CLASS_NEW = "📅 Mở lớp học"
BTN_CLASS_ATTEND = "🧮 Ghi số người đến lớp"
BTN_REPEAT_ONCE = "Một buổi"
BTN_REPEAT_WEEKLY = "Hằng tuần"
BTN_REPEAT_MONTHLY = "Hằng tháng"
CLASS_ASK_REPEAT = "Lớp học một buổi, hay lặp lại?"
CLASS_ASK_DAY = "Ngày nào?"
CLASS_ASK_WEEKDAY = "Vào thứ mấy?"
CLASS_ASK_NTH = "Tuần thứ mấy trong tháng?"
CLASS_ASK_TIME = "Mấy giờ bắt đầu?"
CLASS_ASK_PLACE = "Học ở đâu? Anh/chị gõ nơi học, ví dụ: Nhà văn hóa thôn 3."
CLASS_ASK_HAMLET = "Lớp cho thôn, tổ dân phố nào? Anh/chị gõ tên thôn, hoặc bấm «Cả xã»."
BTN_CLASS_WHOLE_COMMUNE = "Cả xã, phường"
BTN_CLASS_CANCEL = "Thôi, không mở lớp"
CLASS_CANCELLED = "Dạ, cháu đã bỏ lớp học đang soạn."
CLASS_SAVED = (
    "Đã mở lớp «{topic}», {rule}, tại {place}{hamlet}.\n"
    "Buổi đầu: {first}. Người học đã bật nhận tin sẽ được nhắc trước một ngày.\n"
    "Học xong, anh/chị gõ «điểm danh» để ghi số người đến."
)
ATTEND_PICK = "Anh/chị ghi số người đến buổi nào?"
ATTEND_NONE = "Trong 7 ngày qua anh/chị chưa có buổi học nào."
ATTEND_ASK = "Buổi {when}: có bao nhiêu người đến? ({going} người đã báo sẽ đến.) Số khác, anh/chị gõ số."
ATTEND_BAD_NUMBER = "Số người phải từ 1 đến 500. Anh/chị gõ lại, ví dụ: /diemdanh {id} {day} 25"
ATTEND_DONE = "Đã ghi {people} người đến buổi {when}. Số này được tính vào nhật ký hỗ trợ. Cảm ơn anh/chị!"
ATTEND_PROMPT = "Buổi học «{topic}» lúc {when} đã xong. Có bao nhiêu người đến ạ?"
CAMPAIGN_ONLY_PROVINCE = "Hẹn tin ngày hội học tập số dành cho cán bộ quản lý tỉnh."
CAMPAIGN_MENU = (
    "🎉 Ngày hội học tập số của {province}.\n{current}\n\n"
    "Một ngày trước mỗi ngày hội, cháu nhắn người học trong tỉnh đã bật nhận tin lớp học. "
    "Anh/chị bấm để thêm một ngày, hoặc gõ ngày, ví dụ «01/11» hay «thứ Sáu tuần thứ 4»."
)
CAMPAIGN_NONE = "Tỉnh chưa hẹn ngày nào."
CAMPAIGN_LIST_HEAD = "Đang hẹn:"
CAMPAIGN_LIST_LINE = "• {rule}"
CAMPAIGN_RULE_NATIONAL = "ngày {day} hằng năm («Ngày hội toàn dân học tập số»)"
CAMPAIGN_RULE_YEARLY = "ngày {day} hằng năm (ngày hội của tỉnh)"
CAMPAIGN_RULE_MONTHLY = "{weekday} {nth} hằng tháng"
CAMPAIGN_AGAIN = "anh/chị chọn ngày hội, hoặc gõ ngày, ví dụ «01/11» hay «thứ Sáu tuần thứ 4»."
CAMPAIGN_ASK_DAY = ("Ngày hội của tỉnh là ngày nào hằng năm? Anh/chị gõ ngày và tháng, ví dụ «01/11» "
                    "hoặc «ngày 1 tháng 11».")
CAMPAIGN_BAD_DAY = "Lịch không có ngày {day} ạ. Anh/chị gõ lại ngày và tháng, ví dụ «01/11»."
CAMPAIGN_ASK_NTH = "Ngày hội hằng tháng vào tuần thứ mấy?"
BTN_CAMPAIGN = "🎉 Ngày hội học tập số"
BTN_CAMPAIGN_NATIONAL = "🎉 Ngày {day} toàn quốc"
BTN_CAMPAIGN_YEARLY = "📅 Ngày riêng của tỉnh"
BTN_CAMPAIGN_FRIDAY = "🗓 Thứ Sáu tuần thứ 4 hằng tháng"
BTN_CAMPAIGN_MONTHLY = "🗓 Ngày khác hằng tháng"
BTN_CAMPAIGN_CANCEL = "🗑 Bỏ {rule}"
CAMPAIGN_SAVED = "Đã hẹn: {rule}. Tin đầu tiên gửi ngày {eve}; mỗi người học nhận một tin trước mỗi ngày hội."
CAMPAIGN_EXISTS = "Tỉnh đã hẹn {rule} rồi ạ."
CAMPAIGN_CANCELLED = "Đã bỏ {rule}. Người học sẽ không được nhắc ngày này nữa."
CAMPAIGN_CANCEL_NONE = "Tỉnh không hẹn ngày này ạ."

# ---------------------------------------------------------------- scheduled reports for admins

REPORT_RATE = ", đạt {rate} của {target} người mục tiêu"
REPORT_NOTE_PERIOD = "quý {quarter}/{year}"
REPORT_NOTE_ASK = ("Khó khăn, vướng mắc, đề xuất cho báo cáo {period}.\nĐang ghi: {current}\n"
                   "Anh/chị gõ nội dung (một tin nhắn). Nội dung mới thay nội dung cũ và đi kèm báo cáo.")
REPORT_NOTE_EMPTY = "(chưa có)"
REPORT_NOTE_AGAIN = "Anh/chị gõ khó khăn, vướng mắc, đề xuất cho báo cáo nhé."
REPORT_NOTE_SAVED = "Đã ghi khó khăn, vướng mắc, đề xuất vào báo cáo {period}. Gõ «ghi chú báo cáo» để xem hoặc sửa."
REPORT_NOTE_IN_REPORT = "📝 Khó khăn, vướng mắc, đề xuất: {note}"
# Indicators of the plans against their targets (/thongke, the quarterly report).
INDICATORS_HEAD = "🎯 Chỉ tiêu năm {year}:"
INDICATORS_NONE = ("🎯 Chưa có số dân và mục tiêu năm {year}. Cán bộ nhập ở trang quản trị, mục «Đặt chỉ tiêu», "
                   "để xem tỷ lệ so với kế hoạch.")
IND_COMPLETION = "• Hoàn thành chương trình: {n}{of} người{rate}{goal}"
IND_CONFIRMED = "• Đã xác nhận trên nền tảng Bình dân học vụ số: {n}{of} người{rate}{goal}"
IND_VNEID = "• Có VNeID mức 2 (từ 16 tuổi): {n}{of} người{rate}{goal}"
IND_HOUSEHOLDS = "• Hộ tham gia: {n}{of} hộ{rate}, hộ có người hoàn thành: {done}{goal}"
IND_OF = "/{base}"
IND_RATE = " ({rate})"
IND_GOAL = " — mục tiêu {goal}%"
IND_GOAL_MET = " — đạt mục tiêu {goal}% ✅"
IND_CHILDREN = "Đơn vị trực thuộc (tỷ lệ thấp nhất trước):"
IND_CHILD = "• {name}: hoàn thành {completion}, xác nhận {confirmed}, VNeID mức 2 {vneid}, hộ {households}"
IND_MORE = "… và {n} đơn vị khác: xem đủ ở trang quản trị hoặc file Excel."
WEEKLY_DIGEST = (
    "📬 Tin tuần của {unit} (7 ngày qua)\n"
    "• Người học mới đăng ký: {new}\n"
    "• Người học có hoạt động: {active}\n"
    "• Bài kiểm tra đã làm: {quizzes} (điểm trung bình {avg})\n"
    "• Hoàn thành chương trình: {completions} (đến nay {to_date}{rate})\n"
    "• Buổi hỗ trợ trực tiếp: {sessions}, giúp {people} lượt người\n"
    "• Câu hỏi: {questions}, trong đó chưa trả lời được: {declined}"
)
WEEKLY_TOP_DECLINED = "Câu hỏi chưa trả lời được nhiều nhất (để bổ sung bài học):"
WEEKLY_DECLINED_LINE = "• «{text}» ({n} lần)"
WEEKLY_FEEDBACK = "Người học bấm 👍 {up} lần, 👎 «chưa đúng ý» {down} lần."
WEEKLY_TOP_DISLIKED = "Câu trả lời bị chê nhiều nhất (để sửa bài):"
WEEKLY_DISLIKED_LINE = "• «{text}» — bài «{lesson}» ({n} lần)"
QUARTERLY_TITLE = "quý {quarter}/{year}"
ANNUAL_TITLE = "năm {year}"
QUARTERLY_TEXT = (
    "📑 Báo cáo {title} của {unit}, từ {start} đến {end}.\n"
    "• Người học đã đăng ký: {registered}\n"
    "• Hoàn thành chương trình trong kỳ: {completions} (đến nay {to_date}{rate})\n"
    "• Buổi hỗ trợ trực tiếp: {sessions}, giúp {people} lượt người\n"
    "{indicators}\n"
    "File Excel đính kèm có số liệu theo từng đơn vị, nhóm đối tượng, độ tuổi, bài học và chủ đề câu hỏi."
)
# What instances below pushed with their quarter's totals (shown in the report of the level that received it).
PUSHED_HEAD = "📨 Các đơn vị cấp dưới gửi lên cùng số liệu:"
PUSHED_COMMUNE = ("• {name}: tổ công nghệ số {members} người, {covered}/{known} thôn có người phụ trách "
                  "({uncovered} thôn chưa có), giúp {people} lượt người.{note}")
PUSHED_PROVINCE = "• {name} (cấp tỉnh).{note}"
PUSHED_NOTE = " Khó khăn, vướng mắc, đề xuất: {note}"

# ---------------------------------------------------------------- Zalo

# More choices than Zalo shows as buttons: the choices become numbered lines (the dialogue maps a bare
# number to the last message's buttons).
ZALO_CHOOSE_NUMBER = "Bác gõ số {numbers}… để chọn ạ."
ZALO_FILE_UNSUPPORTED = (
    "Zalo chưa cho cháu gửi loại tệp này. Bác nhờ cán bộ xã hoặc con cháu tải giúp, "
    "hoặc nhắn cháu qua Telegram để nhận tệp nhé."
)
# To national and province admins on Telegram when the Zalo token cannot be renewed.
ZALO_TOKEN_ALERT = (
    "⚠️ Kênh Zalo của Kỹ năng số không gia hạn được mã truy cập (access token) của Zalo OA.\n"
    "Tin nhắn gửi người học qua Zalo đang được giữ lại, chưa mất.\n"
    "Người quản trị kỹ thuật cần cấp lại quyền cho ứng dụng Zalo, đặt refresh token mới "
    "(KYNANGSO_ZALO__REFRESH_TOKEN) rồi khởi động lại."
)

# ---------------------------------------------------------------- the web admin, charts and exports

# Labels of the statistics columns are STATS_LABELS (with the chat's staff texts below).
STATS_UNIT = "Đơn vị"
STATS_UNIT_CODE = "Mã đơn vị"
STATS_TOTAL = "Tổng cộng"
STATS_UNKNOWN = "Chưa rõ"
# `kynangso stats --format table`: two narrow tables and a legend.
STATS_TABLE_BLOCKS = (
    ("registered", "active", "quizzes", "avg_score", "lessons_passed", "completions", "completions_to_date",
     "target", "completion_rate", "goal_completion"),
    ("platform_confirmed", "confirmed_rate", "vneid_level2_16", "vneid_rate", "households_part", "households_rate",
     "households_done", "support_sessions", "people_helped", "questions", "declined", "scam_alerts"),
)
STATS_SHORT = {
    "registered": "Đăng ký", "active": "Hoạt động", "quizzes": "Bài KT", "avg_score": "Điểm",
    "lessons_passed": "Đạt bài",
    "completions": "HT kỳ", "completions_to_date": "HT lũy kế", "target": "Dân số", "completion_rate": "Tỷ lệ HT",
    "goal_completion": "MT HT", "platform_confirmed": "Xác nhận", "confirmed_rate": "Tỷ lệ XN",
    "vneid_level2_16": "VNeID2", "vneid_rate": "Tỷ lệ VNeID2", "households_part": "Hộ TG",
    "households_rate": "Tỷ lệ hộ", "households_done": "Hộ HT", "support_sessions": "Buổi giúp",
    "people_helped": "Lượt giúp", "questions": "Câu hỏi", "declined": "Chưa TL", "scam_alerts": "Lừa đảo",
}
STATS_LEGEND = "Chú thích:"
STATS_GROUP = "Nhóm đối tượng"
STATS_GROUP_POPULATION = "Số người của nhóm (kế hoạch)"
STATS_GROUP_RATE = "Tỷ lệ hoàn thành của nhóm"
STATS_AGE = "Độ tuổi"
STATS_LESSON = "Bài học"
STATS_LESSON_ID = "Mã bài"
STATS_LESSON_QUIZZES = "Lượt làm bài kiểm tra"
STATS_LESSON_AVG = "Điểm trung bình"
STATS_LESSON_PASSED = "Lượt đạt"
STATS_TOPIC = "Chủ đề"
STATS_TOPIC_ID = "Mã chủ đề"
STATS_QUESTIONS = "Số câu hỏi"
STATS_PERIOD = "Thống kê {unit}, {period}"
STATS_PERIOD_ALL = "từ đầu đến nay"
STATS_PERIOD_RANGE = "từ {since} đến {until}"
STATS_PERIOD_SINCE = "từ {since} đến nay"
STATS_PERIOD_UNTIL = "từ đầu đến {until}"
XLSX_SHEETS = {"units": "Đơn vị", "indicators": "Chỉ tiêu", "groups": "Nhóm đối tượng", "ages": "Độ tuổi",
               "lessons": "Bài học", "topics": "Chủ đề câu hỏi", "team": "Tổ công nghệ số",
               "uncovered": "Chưa có tình nguyện viên"}
INDICATOR_NAMES = {
    "completion": "Hoàn thành chương trình (trên dân số trưởng thành)",
    "confirmed": "Đã xác nhận trên nền tảng Bình dân học vụ số (trên dân số trưởng thành)",
    "vneid": "Có VNeID mức 2 (trên dân số từ 16 tuổi)",
    "households": "Hộ tham gia (trên số hộ)",
    "households_done": "Hộ có người hoàn thành (trên số hộ)",
}
INDICATOR = "Chỉ tiêu"
INDICATOR_REACHED = "Đã đạt"
INDICATOR_BASE = "Trên số"
INDICATOR_RATE = "Tỷ lệ"
INDICATOR_GOAL = "Mục tiêu (%)"
INDICATOR_STATUS = "Đánh giá"
INDICATOR_MET = "Đạt"
INDICATOR_NOT_MET = "Chưa đạt"
# The team sheets of the XLSX (and the headings of the web page's tables).
TEAM_LABELS = {
    "member": "Thành viên", "role": "Vai trò", "hamlets": "Thôn phụ trách", "linked": "Người theo dõi",
    "completed": "Người theo dõi hoàn thành trong kỳ", "sessions": "Buổi hỗ trợ trực tiếp",
    "people": "Lượt người được hỗ trợ", "nudges": "Tin nhắc học đã gửi", "communes": "Số xã, phường",
    "communes_with_volunteers": "Xã, phường có tình nguyện viên", "volunteers": "Tình nguyện viên",
    "members": "Thành viên của tổ", "hamlets_known": "Thôn, tổ dân phố đã biết",
    "hamlets_covered": "Thôn có người phụ trách", "hamlets_uncovered": "Thôn chưa có tình nguyện viên",
    "hamlet": "Thôn, tổ dân phố", "learners": "Người học đã đăng ký", "commune": "Xã, phường",
    "commune_code": "Mã xã, phường", "province": "Tỉnh, thành phố",
}
TEAM_ROLE_NAMES = {"volunteer": "Tình nguyện viên", "commune_admin": "Cán bộ xã, phường"}
TEAM_SHEET_TITLE = "Tổ công nghệ số cộng đồng {unit}, {period}"
TEAM_UNCOVERED_TITLE = "Chưa có tình nguyện viên — {unit}"
ADMIN_COVERAGE_SAVED = "Đã lưu thôn phụ trách."
CHART_TIMELINE = "Số người hoàn thành chương trình mỗi tuần"
CHART_WEEK = "Tuần bắt đầu"
CHART_GROUPS = "Người học theo nhóm đối tượng"
CHART_TOPICS = "Câu hỏi theo chủ đề"
CHART_REGISTERED = "Đã đăng ký"
CHART_COMPLETED = "Hoàn thành"
CHART_EMPTY = "Chưa có số liệu trong thời gian này"
ADMIN_LOGIN_FAILED = "Tên đăng nhập hoặc mật khẩu chưa đúng. Anh/chị kiểm tra lại rồi thử lần nữa."
ADMIN_LOGIN_THROTTLED = (
    "Đã nhập sai nhiều lần nên trang tạm khóa đăng nhập trong 15 phút để bảo vệ tài khoản. "
    "Anh/chị chờ một lát rồi thử lại; nếu quên mật khẩu, hãy nhờ cán bộ cấp trên gửi đường dẫn đặt lại."
)
ADMIN_FORM_EXPIRED = "Trang đã mở quá lâu nên cần tải lại. Anh/chị bấm quay lại, tải lại trang rồi làm lại nhé."
ADMIN_FORBIDDEN = "Tài khoản của anh/chị không được xem số liệu của đơn vị này."
ADMIN_NOT_FOUND = "Không tìm thấy trang hoặc đơn vị này."
ADMIN_SESSION_ENDED = "Phiên làm việc đã hết hạn. Anh/chị đăng nhập lại nhé."
ADMIN_LOGGED_OUT = "Anh/chị đã đăng xuất."
ADMIN_BAD_USERNAME = (
    "Tên đăng nhập cần từ 3 đến 40 ký tự, chỉ gồm chữ không dấu, số và các dấu . _ - (ví dụ: canbo.xahongbang)."
)
ADMIN_SHORT_PASSWORD = "Mật khẩu cần ít nhất {n} ký tự. Một câu ngắn dễ nhớ là mật khẩu tốt."
ADMIN_PASSWORDS_DIFFER = "Hai lần nhập mật khẩu chưa giống nhau."
ADMIN_USERNAME_TAKEN = "Tên đăng nhập này đã có người dùng. Anh/chị chọn tên khác nhé."
ADMIN_LINK_INVALID = (
    "Đường dẫn này đã được dùng hoặc đã hết hạn. Anh/chị nhờ cán bộ cấp trên gửi đường dẫn mới nhé."
)
ADMIN_PASSWORD_SET = "Đã lưu mật khẩu. Anh/chị đăng nhập bằng tên «{username}» nhé."
ADMIN_TARGETS_SAVED = "Đã lưu chỉ tiêu năm {year}."
ADMIN_BAD_TARGET = "Chỉ tiêu của {unit} cần là một số nguyên không âm (ví dụ 3200)."
ADMIN_BAD_GOAL = "Mục tiêu cần là một số phần trăm từ 0 đến 100 (ví dụ 80)."
ADMIN_BAD_DATE = "Ngày chưa đúng dạng hoặc ngày kết thúc trước ngày bắt đầu; trang đang hiện số liệu từ đầu đến nay."
ADMIN_ERROR = "Trang đang gặp trục trặc. Anh/chị thử lại sau ít phút nhé."
ADMIN_PRESETS = {"30d": "30 ngày qua", "quarter": "Quý này", "all": "Từ đầu"}

# ---------------------------------------------------------------- voice notes
# A transcript is never trusted word for word: the learner confirms what was heard.
VOICE_READBACK = "🎤 Cháu nghe bác hỏi:\n«{heard}»\nCó phải vậy không ạ?"
VOICE_HEARD_HEAD = "🎤 Cháu nghe bác hỏi: «{heard}»"
BTN_VOICE_YES = "✅ Đúng"
BTN_VOICE_AGAIN = "🎤 Không, tôi nói lại"
BTN_VOICE_TYPE = "⌨️ Gõ chữ"
VOICE_SAY_AGAIN = ("Bác bấm giữ nút micro 🎤 và nói lại câu hỏi nhé. Bác nói chậm, rõ từng chữ, "
                   "để điện thoại gần miệng và ở chỗ yên tĩnh thì cháu nghe rõ hơn.")
VOICE_TYPE = "Bác gõ câu hỏi vào ô nhắn tin nhé. Gõ không dấu cũng được ạ, ví dụ: lam sao cai vneid"
VOICE_FORGOT = "Cháu không còn giữ câu bác vừa nói. Bác nói lại hoặc gõ câu hỏi giúp cháu nhé."
VOICE_TOO_LONG = ("Tin nhắn thoại của bác dài quá {limit} giây, cháu chưa nghe được. "
                  "Bác hỏi ngắn gọn từng câu một, mỗi lần dưới {limit} giây, giúp cháu nhé.")
VOICE_UNCLEAR = ("Cháu chưa nghe rõ ạ. Bác nói lại gần điện thoại hơn, chỗ yên tĩnh hơn, "
                 "hoặc gõ chữ giúp cháu nhé.")
VOICE_UNREADABLE = "Cháu chưa mở được tin nhắn thoại này. Bác gửi lại, hoặc gõ chữ giúp cháu nhé."
VOICE_BUSY = ("Lúc này nhiều người gửi tin nhắn thoại quá, cháu chưa nghe kịp. "
              "Bác đợi một lát rồi gửi lại, hoặc gõ chữ giúp cháu nhé.")
VOICE_UNAVAILABLE = "Cháu chưa nghe được tin nhắn thoại ạ. Bác gõ chữ giúp cháu nhé, gõ không dấu cũng được."
VOICE_CHOSE = "🎤 Cháu nghe bác chọn: {letter}."
VOICE_QUIZ_UNSURE = ("🎤 Cháu nghe được: «{heard}», nhưng chưa rõ bác chọn đáp án nào. "
                     "Bác bấm một nút, hoặc nói «câu A», «câu B»… nhé.")
BTN_LISTEN = "🔊 Nghe đọc"
LISTEN_NONE = "Chưa có câu trả lời nào để cháu đọc ạ. Bác hỏi cháu một câu trước nhé."
LISTEN_FAILED = "Cháu chưa đọc to được lúc này. Bác đọc chữ ở trên giúp cháu nhé."
LISTEN_CAPTION = "🔊 Cháu đọc to câu trả lời ở trên (giọng máy đọc)."
