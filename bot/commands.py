"""Chat commands: each feature registers the commands it owns; the dialogue looks them up by name.

A command arrives as a button's value ("/kiemtra vneid-cai-dat"), typed with a slash, or in plain words
("học tiếp", "cho tôi xem tiến độ"): `parse_command` finds which. `Commands` maps names to handlers; the modules
that own them add them in their `register(commands)`: learning, quizzes, reading and questions, registration,
personal data, community, the staff desk, the Tổ công nghệ số desk and the admin's chat side.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot import understand
from bot.conversation import Conversation
from bot.types import Reply
from rag.text import fold
from storage.models import User


@dataclass
class Call:
    """One command as received: built per message and never kept (the registry is shared by every chat)."""

    s: AsyncSession
    user: User
    ctx: Conversation
    args: list[str]
    inbox_id: int | None = None

    @property
    def arg(self) -> str | None:
        """The first argument, if any."""
        return self.args[0] if self.args else None


Handler = Callable[[Call], "Awaitable[list[Reply]] | list[Reply]"]


@dataclass(frozen=True)
class Command:
    name: str
    run: Handler
    # Answered on the side (a greeting, thanks, help): a prompt waiting before it is offered again afterwards.
    aside: bool = False


class Commands:
    """The registry: filled once at start-up, then only read (safe to share between chats)."""

    def __init__(self) -> None:
        self._by_name: dict[str, Command] = {}

    def add(self, name: str, run: Handler, aside: bool = False) -> None:
        if name in self._by_name:
            raise ValueError(f"command {name} is registered twice")
        self._by_name[name] = Command(name, run, aside)

    def get(self, name: str) -> Command | None:
        return self._by_name.get(name)

    def names(self) -> frozenset[str]:
        return frozenset(self._by_name)

    def aside(self, name: str) -> bool:
        found = self._by_name.get(name)
        return found is not None and found.aside

    async def run(self, name: str, call: Call) -> list[Reply] | None:
        """The command's replies, or None when no feature registered it."""
        found = self._by_name.get(name)
        if found is None:
            return None
        result = found.run(call)
        return await result if inspect.isawaitable(result) else result


# Plain words people type instead of commands (accent-folded, whole message).
WORD_COMMANDS = {
    "start": "/start", "bat dau": "/start", "menu": "/start",
    "xin chao": "/chao", "chao": "/chao", "chao chau": "/chao", "hello": "/chao", "hi": "/chao", "alo": "/chao",
    "chao ban": "/chao", "chao em": "/chao",
    "cam on": "/camon", "cam on chau": "/camon", "cam on nhe": "/camon", "thanks": "/camon",
    "thank you": "/camon", "cam on nhieu": "/camon", "cam on ban": "/camon", "cam on em": "/camon",
    "ok": "/ok", "oke": "/ok", "okay": "/ok", "vang": "/ok", "da": "/ok", "u": "/ok", "uh": "/ok",
    "duoc": "/ok", "duoc roi": "/ok", "biet roi": "/ok", "hieu roi": "/ok", "roi": "/ok",
    "huong dan": "/trogiup", "tro giup": "/trogiup", "giup": "/trogiup", "help": "/trogiup",
    "hoc": "/hoc", "hoc bai": "/hoc", "bai hoc": "/hoc", "cac bai hoc": "/hoc", "danh sach bai": "/hoc",
    "hoc tiep": "/hoctiep", "on tap": "/ontap", "on bai": "/ontap", "tat nhac": "/tatnhac",
    "bat nhac": "/batnhac", "chung nhan": "/chungnhan", "giay chung nhan": "/chungnhan",
    "chuong trinh": "/chuongtrinh", "thong ke": "/thongke", "chuong trinh co ban": "/chuongtrinh",
    "tien do": "/tiendo", "ket qua": "/tiendo", "xem tien do": "/tiendo", "diem": "/tiendo",
    "xem tiep": "/xemtiep", "tiep": "/xemtiep", "tiep tuc": "/xemtiep", "doc tiep": "/xemtiep",
    "kiem tra": "/kiemtra", "lam bai kiem tra": "/kiemtra", "lam kiem tra": "/kiemtra",
    "nhac lai": "/nhaclai", "noi lai": "/nhaclai", "lap lai": "/nhaclai",
    "dung lai": "/dungkiemtra", "dung kiem tra": "/dungkiemtra", "thoi": "/dungkiemtra",
    "hoi cau khac": "/hoikhac", "hoi tiep": "/hoitiep", "cau thu hai": "/hoitiep", "tra loi tiep": "/hoitiep",
    "dang ky": "/dangky", "dang ki": "/dangky", "sua thong tin": "/dangky", "tiep tuc dang ky": "/dangky",
    "du lieu": "/dulieu", "du lieu cua toi": "/dulieu", "xem du lieu": "/dulieu",
    "xoa du lieu": "/xoadulieu", "xoa du lieu cua toi": "/xoadulieu", "tai du lieu": "/taidulieu",
    "gap nguoi huong dan": "/gapnguoi", "gap nguoi": "/gapnguoi", "nguoi huong dan": "/gapnguoi",
    "can nguoi giup": "/gapnguoi", "can nguoi huong dan": "/gapnguoi", "gap tinh nguyen vien": "/gapnguoi",
    "toi muon gap nguoi huong dan": "/gapnguoi", "noi chuyen voi nguoi": "/gapnguoi", "gap can bo": "/gapnguoi",
    "can bo": "/canbo", "tinh nguyen vien": "/canbo", "nhat ky": "/nhatky", "nhat ky ho tro": "/nhatky",
    "hang doi": "/hangdoi", "nguoi can giup": "/hangdoi",
    "lop hoc": "/lophoc", "lop hoc o xa": "/lophoc", "co lop hoc khong": "/lophoc", "gia dinh": "/giadinh",
    "gia dinh so": "/giadinh", "ma gia dinh": "/giadinh", "mo lop": "/molop", "mo lop hoc": "/molop",
    "diem danh": "/diemdanh", "ngay hoi": "/ngayhoi", "gui cho nguoi than": "/guinguoithan",
    "ghi chu bao cao": "/ghichu", "kho khan vuong mac": "/ghichu", "kho khan vuong mac de xuat": "/ghichu",
    "xac nhan": "/xacnhan", "xac nhan tren nen tang": "/xacnhan", "binh dan hoc vu so": "/xacnhan",
    "da xac nhan": "/xacnhan roi", "da duoc xac nhan": "/xacnhan roi", "toi da duoc xac nhan": "/xacnhan roi",
    "toi da xac nhan": "/xacnhan roi", "da xac nhan roi": "/xacnhan roi", "xac nhan roi": "/xacnhan roi",
    "to cong nghe": "/tocongnghe", "to cong nghe so": "/tocongnghe", "to cong nghe so cong dong": "/tocongnghe",
    "don doc": "/dondoc", "don doc nguoi hoc": "/dondoc", "thon phu trach": "/phutrach",
    "phu trach thon": "/phutrach",
    # The quiz result's buttons in words: retake the last quiz, or pick another lesson.
    "lam lai": "/lamlai", "thi lai": "/lamlai", "kiem tra lai": "/lamlai", "lam lai bai": "/lamlai",
    "lam lai lan nua": "/lamlai", "thi lai lan nua": "/lamlai", "lam bai lai": "/lamlai",
    "bai khac": "/hoc", "hoc bai khac": "/hoc", "sang bai khac": "/hoc", "qua bai khac": "/hoc", "doi bai": "/hoc",
    "doi bai khac": "/hoc", "vao hoc": "/hoc", "hoc thoi": "/hoc",
    "hoc den dau": "/tiendo", "hoc den dau roi": "/tiendo", "diem cua toi": "/tiendo", "xem diem": "/tiendo",
    "hoc duoc bao nhieu": "/tiendo", "hoc duoc may bai": "/tiendo", "cach dung": "/trogiup",
    "huong dan su dung": "/trogiup", "chi cach dung": "/trogiup", "huong dan dung": "/trogiup",
    "tien do hoc": "/tiendo", "hoc duoc may bai roi": "/tiendo", "chi xai": "/trogiup", "cach xai": "/trogiup",
}


def parse_command(text: str) -> tuple[str, list[str]] | None:
    """A command and its arguments: typed with a slash, a button's value, or plain words asking for one."""
    if text.startswith("/"):
        parts = text.split()
        return parts[0].lower().split("@")[0], parts[1:]
    key = " ".join(re.findall(r"[0-9a-z]+", fold(text)))
    if key in WORD_COMMANDS:
        return WORD_COMMANDS[key], []
    # The same words inside a polite frame: "Dạ cho bà học tiếp ạ", "tôi muốn học", "học bài thôi".
    inner = understand.words(understand.core(text), reply=True)
    if len(inner) > 20:
        return None
    for candidate in (inner, [w for w in inner if w not in _FRAME_WORDS]):
        if " ".join(candidate) in WORD_COMMANDS:
            return WORD_COMMANDS[" ".join(candidate)], []
    wanted = understand.intent(text)
    if wanted is not None:
        learn = "/hoctiep" if "tiep" in inner else "/hoc"
        return {"retry": "/lamlai", "other_lesson": "/hoc", "progress": "/tiendo", "help": "/trogiup",
                "learn": learn}[wanted], []
    return None


# Words around a request that change nothing: "cho tôi xem tiến độ", "coi tiến độ", "hướng dẫn cho tôi".
_FRAME_WORDS = frozenset("toi cho ba ong bac minh em con chau xem coi check muon voi giup di".split())
