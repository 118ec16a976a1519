"""The command registry and the composition root: every command a person can reach is registered by a feature,
and build_services builds what the settings configure."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from bot import messages as msg
from bot.answers import Answerer
from bot.app import build_services, configured_channels
from bot.capabilities import CHANNELS, capability, pushable
from bot.channels.telegram import COMMANDS as TELEGRAM_MENU
from bot.commands import WORD_COMMANDS, Call, Commands, parse_command
from bot.config import Settings, TelegramSettings
from bot.dialogue import Dialogue
from bot.errors import BotError
from bot.service import Tutor
from bot.types import Incoming, Reply
from rag.knowledge import KnowledgeBase


def test_every_reachable_command_is_registered(kb: KnowledgeBase, tmp_path: Path) -> None:
    dialogue = Dialogue(kb, Answerer(kb), tmp_path)
    names = dialogue.commands.names()
    # Plain words people type, and Telegram's menu, only ever lead to commands some feature handles.
    assert {value.split()[0] for value in WORD_COMMANDS.values()} <= names
    assert {f"/{name}" for name, _ in TELEGRAM_MENU} <= names
    # The buttons the learning and help menus show are registered too.
    for reply in (dialogue.learning.menu(None),):
        for button in reply.buttons:
            assert button.value.split()[0] in names, button.value
    assert len(names) >= 70


def test_registry_refuses_a_name_twice_and_answers_none_for_unknown() -> None:
    commands = Commands()
    commands.add("/a", lambda c: [])
    with pytest.raises(ValueError):
        commands.add("/a", lambda c: [])
    assert commands.get("/b") is None
    assert not commands.aside("/a")


def test_parse_command_reads_words_slashes_and_bot_names() -> None:
    assert parse_command("/kiemtra vneid-cai-dat") == ("/kiemtra", ["vneid-cai-dat"])
    assert parse_command("/start@KyNangSoBot") == ("/start", [])
    assert parse_command("Dạ cho bà học tiếp ạ") == ("/hoctiep", [])
    assert parse_command("xem tien do") == ("/tiendo", [])
    assert parse_command("công an gọi bảo tôi chuyển tiền") is None


def test_capabilities_are_asked_not_names() -> None:
    assert capability("zalo").max_buttons == 5 and capability("zalo").window_hours == 48
    assert capability("telegram").voice_out and not capability("zalo").voice_out
    assert not capability("console").can_push and not capability("nowhere").can_push
    assert set(pushable()) == {"telegram", "zalo"}
    assert all(c.implementation for name, c in CHANNELS.items() if name != "console")


async def test_build_services_builds_what_is_configured(settings: Settings, kb: KnowledgeBase, tmp_path: Path) -> None:
    bare = settings.model_copy(update={"database_url": f"sqlite+aiosqlite:///{tmp_path / 'a.db'}"})
    assert configured_channels(bare) == []
    services = build_services(bare, kb=kb, scheduler=True)
    try:
        assert services.channels == {} and services.scheduler is not None
        assert {job.id for job in services.scheduler.get_jobs()} >= {"review-reminders", "retention-purge"}
    finally:
        await services.aclose()
    with_telegram = bare.model_copy(update={"telegram": TelegramSettings(token=SecretStr("1:x"))})
    assert configured_channels(with_telegram) == ["telegram"]
    services = build_services(with_telegram, kb=kb, scheduler=False)
    try:
        channel = services.channels["telegram"]
        assert channel.caps is capability("telegram")
        assert [job.id for job in channel.jobs()] == ["telegram-deliver"]
        assert services.scheduler is None and services.routes()
    finally:
        await services.aclose()


async def test_a_bot_error_is_said_kindly_once_not_retried(tutor: Tutor) -> None:
    """A feature that raises BotError: the person gets its sentence (not the apology), and the delivery is done."""
    calls: list[str] = []

    def refuse(call: Call) -> list[Reply]:
        calls.append(call.user.channel_user_id)
        raise BotError("Mã này đã hết hạn, bác xin mã mới nhé.")

    tutor.dialogue.commands.add("/thuloi", refuse)
    sent: list[Reply] = []

    async def send(_user: str, reply: Reply) -> None:
        sent.append(reply)

    await tutor.handle(Incoming("console", "u-err", "d1", text="/thuloi"), send)
    assert calls == ["u-err"]  # not retried
    assert [r.text for r in sent][-1] == "Mã này đã hết hạn, bác xin mã mới nhé."
    assert all(r.text != msg.APOLOGY for r in sent)
    assert await tutor.process_pending("console") == 0
