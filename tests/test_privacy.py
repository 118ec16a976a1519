"""Erasure and the data copy: after /xoadulieu nothing in any table or file identifies the person."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from sqlalchemy import func, select, update

from bot import messages as msg
from bot.service import Tutor
from bot.types import Reply
from storage import repo, roles, units
from storage.models import Base, Household, User, utcnow
from storage.units import Scope
from tests.chat import ScriptedChat

HONG_BANG = units.find_communes("hong bang")[0]
NAME, HAMLET, CHAT_ID = "Tư Hoà Bình", "Xóm Đình Bảy", "bac-tu-hoa-binh"


async def _everything(tutor: Tutor) -> str:
    """Every value of every table, as text."""
    out = []
    async with tutor.db.transaction() as s:
        for table in Base.metadata.sorted_tables:
            for row in (await s.execute(select(table))).all():
                out.append(json.dumps([str(v) for v in row], ensure_ascii=False))
    return "\n".join(out)


def _files(folder: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8", errors="ignore") for p in folder.rglob("*")
                     if p.is_file() and p.suffix in (".json", ".txt", ".csv"))


async def test_erasure_leaves_nothing_that_identifies_the_person(tutor: Tutor) -> None:
    room: dict[str, list[Reply]] = {}
    vol, learner = ScriptedChat(tutor, "tnv-1", room=room), ScriptedChat(tutor, CHAT_ID, room=room)
    await vol.say("xin chào")
    await learner.say("xin chào", delivery="before-erasure")
    async with tutor.db.transaction() as s:
        await roles.grant(s, "console", "tnv-1", "volunteer", Scope(HONG_BANG.province_code, HONG_BANG.code))
        await s.execute(update(User).where(User.channel_user_id == CHAT_ID).values(
            consent_at=utcnow(), display_name=NAME, province_code=HONG_BANG.province_code, ward_code=HONG_BANG.code,
            hamlet=HAMLET, age_band="70+"))
    made = (await learner.say("/giadinh tao"))[-1]
    code = made.text.split(": ")[1].split("\n")[0]
    # A question naming themselves, a request for help (the volunteer is told their name and thôn).
    await learner.say(f"tôi là {NAME} ở {HAMLET}, cài vneid thế nào")
    await learner.say("/gapnguoi dongy vneid")
    assert any(NAME in r.text for r in vol.take())
    exported = (await learner.say("/taidulieu"))[-1]
    path = Path(exported.file_path or "")
    assert exported.file_once and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text(encoding="utf-8"))["display_name"] == NAME
    # A message the tutor queued for them that was not sent yet.
    async with tutor.db.transaction() as s:
        await repo.outbox_push(s, "console", CHAT_ID, Reply(f"Chào bác {NAME}, đến giờ ôn bài").to_payload())

    before = len(learner.sent)
    done = await learner.say("/xoadulieu xacnhan")
    assert done[-1].text == msg.DELETED
    assert not any("đến giờ ôn bài" in r.text for r in learner.sent[before:])  # the queued push never went

    stored = await _everything(tutor)
    for needle in (NAME, HAMLET, CHAT_ID, code):
        assert needle not in stored, needle
    assert not path.exists()
    left = _files(tutor.settings.data_dir)
    assert NAME not in left and HAMLET not in left
    async with tutor.db.transaction() as s:
        assert (await s.execute(select(func.count()).select_from(Household))).scalar_one() == 0
        asked = (await s.execute(select(func.count()).select_from(Base.metadata.tables["question_log"]))).scalar_one()
    assert asked >= 1  # still counted for the commune, without the words

    # The channel redelivers a message from before the erasure: it was already handled, nobody comes back.
    assert await learner.say("xin chào", delivery="before-erasure") == []
    async with tutor.db.transaction() as s:
        assert (await s.execute(select(User).where(User.channel_user_id == CHAT_ID))).first() is None


async def test_a_household_others_still_use_is_kept(tutor: Tutor) -> None:
    room: dict[str, list[Reply]] = {}
    grandma, grandson = ScriptedChat(tutor, "ba-x", room=room), ScriptedChat(tutor, "chau-x", room=room)
    for chat, name in ((grandma, "Bà Xuân"), (grandson, "Cháu Khoa")):
        await chat.say("xin chào")
        async with tutor.db.transaction() as s:
            await s.execute(update(User).where(User.channel_user_id == chat.user).values(
                consent_at=utcnow(), display_name=name, province_code=HONG_BANG.province_code,
                ward_code=HONG_BANG.code, hamlet="Thôn 5"))
    made = (await grandma.say("/giadinh tao"))[-1]
    code = made.text.split(": ")[1].split("\n")[0]
    await grandson.say(code)
    await grandma.say("/xoadulieu xacnhan")
    async with tutor.db.transaction() as s:
        household = (await s.execute(select(Household))).scalar_one()
        assert household.code == code
        assert (await s.execute(select(User.display_name))).scalars().all() == ["Cháu Khoa"]


async def test_an_export_is_sent_once_and_removed(tutor: Tutor) -> None:
    from bot import privacy

    folder = tutor.settings.data_dir / "exports"
    chat = ScriptedChat(tutor, "bac-export")
    await chat.say("xin chào")
    path = Path((await chat.say("/taidulieu"))[-1].file_path or "")
    assert path.exists()
    # Retention removes an export never sent, once it is a day old; a fresh one stays.
    assert privacy.remove_exports(folder, older_than=utcnow().replace(year=2000)) == 0 and path.exists()
    import os
    import time

    os.utime(path, (time.time() - 2 * 86400, time.time() - 2 * 86400))
    from datetime import timedelta

    assert privacy.remove_exports(folder, older_than=utcnow() - timedelta(days=1)) == 1 and not path.exists()


async def test_concurrent_chats_with_erasures_touch_only_their_own_rows(tutor: Tutor) -> None:
    """Twelve people at once, half of them erasing themselves while the others ask: each erasure empties only
    its own deliveries (on PostgreSQL the turns really run in parallel transactions)."""
    import asyncio

    from storage.models import InboxItem

    room: dict[str, list[Reply]] = {}
    chats = [ScriptedChat(tutor, f"song-song-{i}", room=room) for i in range(12)]
    await asyncio.gather(*(c.say("xin chào") for c in chats))

    async def turn(i: int, chat: ScriptedChat) -> None:
        if i % 2:
            await chat.say("/xoadulieu xacnhan")
        else:
            await chat.say("mã OTP là gì vậy cháu")

    for _ in range(2):
        await asyncio.gather(*(turn(i, c) for i, c in enumerate(chats)))
    async with tutor.db.transaction() as s:
        rows = (await s.execute(select(InboxItem))).scalars().all()
        users = set((await s.execute(select(User.channel_user_id))).scalars())
    for i, chat in enumerate(chats):
        if i % 2 == 0:
            mine = [r for r in rows if r.channel_user_id == chat.user]
            assert len(mine) == 3 and all(r.payload["text"] for r in mine), chat.user  # untouched
            assert chat.user in users
    assert not any(r.payload.get("text") == "" and r.channel_user_id.startswith("song-song-")
                   and int(r.channel_user_id.rsplit("-", 1)[1]) % 2 == 0 for r in rows)
