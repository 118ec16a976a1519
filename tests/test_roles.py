"""Staff roles and scoped statistics in the chat: admins see their unit (and below), nobody sees another's."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import insert

from bot import messages as msg
from bot.cli.admin import admin_add
from bot.service import Tutor
from storage import roles, units
from storage.models import Completion, User, utcnow
from storage.units import Scope
from tests.chat import ScriptedChat


async def _population(tutor: Tutor) -> tuple[units.Commune, units.Commune]:
    a = units.find_communes("hong bang")[0]
    b = next(c for c in units.find_communes("an binh") if c.province_code != a.province_code)
    now = utcnow()
    rows = [dict(channel="zalo", channel_user_id=f"z{i}", context={}, active=True, consent_at=now - timedelta(days=3),
                 last_seen_at=now, province_code=c.province_code, ward_code=c.code, vneid_level2=i % 2 == 0)
            for i, c in enumerate([a, a, a, b, b])]
    async with tutor.db.transaction() as s:
        await s.execute(insert(User), rows)
        await s.execute(insert(Completion), [dict(programme="P", province_code=a.province_code, ward_code=a.code,
                                                  completed_at=now - timedelta(days=1))])
    return a, b


async def _grant(tutor: Tutor, user: str, role: str, unit: str) -> None:
    settings = tutor.settings
    await asyncio.to_thread(lambda: asyncio.run(admin_add(settings, "console", user, role, unit)))


async def test_commune_admin_sees_only_their_commune(tutor: Tutor) -> None:
    a, b = await _population(tutor)
    await _grant(tutor, "cb-xa", "commune_admin", f"X{a.code}")
    chat = ScriptedChat(tutor, user="cb-xa")
    reply = (await chat.say("/thongke"))[-1]
    text = reply.text
    assert a.label in text and "đã đăng ký: 3 " in text and "Hoàn thành chương trình: 1" in text
    from PIL import Image

    assert Image.open(reply.image_path or "").size[0] >= 600  # the same numbers as a chart
    assert (await chat.say(f"/thongke X{b.code}"))[-1].text == msg.STATS_FORBIDDEN
    assert (await chat.say(f"/thongke P{a.province_code}"))[-1].text == msg.STATS_FORBIDDEN
    assert (await chat.say("/thongke VN"))[-1].text == msg.STATS_FORBIDDEN
    assert (await chat.say("/thongke X0"))[-1].text.startswith("Cháu không tìm thấy đơn vị")


async def test_province_admin_sees_province_and_its_communes(tutor: Tutor) -> None:
    a, b = await _population(tutor)
    await _grant(tutor, "cb-tinh", "province_admin", f"P{a.province_code}")
    chat = ScriptedChat(tutor, user="cb-tinh")
    text = (await chat.say("thống kê"))[-1].text
    assert units.province_name(a.province_code) in text and a.name in text  # top communes listed
    assert "đã đăng ký: 3 " in (await chat.say(f"/thongke X{a.code}"))[-1].text
    assert (await chat.say(f"/thongke X{b.code}"))[-1].text == msg.STATS_FORBIDDEN


async def test_learners_and_volunteers_get_no_statistics(tutor: Tutor) -> None:
    a, _ = await _population(tutor)
    assert (await ScriptedChat(tutor, user="hoc-vien").say("/thongke"))[-1].text == msg.STATS_FORBIDDEN
    await _grant(tutor, "tnv", "volunteer", f"X{a.code}")
    assert (await ScriptedChat(tutor, user="tnv").say("/thongke"))[-1].text == msg.STATS_FORBIDDEN


async def test_grant_validates_role_and_unit(tutor: Tutor) -> None:
    async with tutor.db.transaction() as s:
        with pytest.raises(ValueError):
            await roles.grant(s, "console", "x", "commune_admin", Scope())
        with pytest.raises(ValueError):
            await roles.grant(s, "console", "x", "king", Scope())
        staff = await roles.grant(s, "console", "x", "national_admin", Scope())
        assert roles.may_see(staff, Scope.parse("P1")) and roles.home_scope(staff) == Scope()


async def test_the_statistics_module_itself_refuses_another_unit(tutor: Tutor) -> None:
    """The rule is enforced by storage.stats.report_for, which every person-facing view calls."""
    from storage import stats

    a, b = await _population(tutor)
    async with tutor.db.transaction() as s:
        commune = await roles.grant(s, "console", "xa", "commune_admin", Scope(a.province_code, a.code))
        province = await roles.grant(s, "console", "tinh", "province_admin", Scope(a.province_code))
        volunteer = await roles.grant(s, "console", "tnv", "volunteer", Scope(a.province_code, a.code))
        assert (await stats.report_for(s, commune, Scope(a.province_code, a.code))).total.registered == 3
        assert (await stats.report_for(s, province, Scope(a.province_code, a.code))).total.registered == 3
        for staff, scope in ((commune, Scope(b.province_code, b.code)), (commune, Scope(a.province_code)),
                             (commune, Scope()), (province, Scope(b.province_code)), (province, Scope()),
                             (province, Scope(b.province_code, b.code)), (volunteer, Scope(a.province_code, a.code)),
                             (None, Scope())):
            with pytest.raises(roles.ScopeError):
                await stats.report_for(s, staff, scope)
        commune.active = False  # a disabled account sees nothing, even of its own unit
        with pytest.raises(roles.ScopeError):
            await stats.report_for(s, commune, Scope(a.province_code, a.code))
