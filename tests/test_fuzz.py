"""Fuzzing with Hypothesis: the dialogue and the webhook parsers take anything without crashing.

Random Unicode, decomposed diacritics, zero-width and control characters, 10,000-character messages,
JSON of the wrong shape: a kind reply or a clean 4xx, never a 500, and nothing stored half-way
(every stored delivery processed on its first attempt).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import unicodedata
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from sqlalchemy import select

from bot.channels.telegram import TelegramChannel
from bot.channels.zalo import ZaloChannel
from bot.channels.zalo_api import signature
from bot.config import TelegramSettings, ZaloSettings
from bot.service import Tutor
from bot.types import Incoming, Reply
from storage.models import InboxItem
from tests.telegram_standin import TelegramStandIn
from tests.zalo_standin import ZaloStandIn

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::PendingDeprecationWarning")
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
COUNTER = itertools.count()

PHRASES = ["làm sao cài VNeID", "mã OTP là gì", "chuyển khoản nhầm thì làm sao", "Tôi muốn học bài",
           "gặp người hướng dẫn", "/traloi 1 0 2", "/kiemtra khong-co-bai", "/thongke X1", "/thamgia ABC"]
ODD = "\u200b\u200c\u200d\ufeff\u202e\x00\x07\x1b\r\t\u0301\u0303\u0309\U0001f600"

messages = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.sampled_from(ODD + "aăâbcdđeêghikl mnoôơpqrstuưvxy0123456789/"), max_size=200),
    st.sampled_from(PHRASES).map(lambda s: unicodedata.normalize("NFD", s)),  # decomposed diacritics
    st.tuples(st.sampled_from(PHRASES), st.sampled_from(ODD)).map(lambda t: t[1].join(t[0])),  # between letters
    st.text(min_size=1, max_size=40).map(lambda s: (s * 10000)[:10000]),  # 10,000 characters
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=15,
)


async def _all_processed_once(tutor: Tutor) -> None:
    async with tutor.db.transaction() as s:
        rows = (await s.execute(select(InboxItem))).scalars().all()
    bad = [(r.id, r.attempts, r.error) for r in rows if r.processed_at is None or r.attempts or r.error]
    assert bad == []


@FUZZ
@given(text=messages, button=st.none() | st.text(max_size=80), start=st.none() | st.text(max_size=70))
async def test_dialogue_takes_anything(tutor: Tutor, text: str, button: str | None, start: str | None) -> None:
    sent: list[Reply] = []

    async def send(_user: str, reply: Reply) -> None:
        sent.append(reply)

    n = next(COUNTER)
    await tutor.handle(Incoming("console", f"fuzz{n % 3}", f"d{n}", text=text, button=button, start_payload=start),
                       send)
    assert sent and all(r.text.strip() and len(r.text) <= 4000 for r in sent)
    await _all_processed_once(tutor)  # a crash would have been retried and apologised for: it must not happen


@pytest.fixture
async def telegram_app(tutor: Tutor) -> AsyncIterator[tuple[httpx.AsyncClient, TelegramChannel]]:
    async with TelegramStandIn() as standin:
        cfg = TelegramSettings(token=SecretStr(standin.token), base_url=standin.base_url,
                               base_file_url=standin.base_file_url, mode="webhook", chat_interval=0.0,
                               secret_token=SecretStr("fuzz-secret"))
        channel = TelegramChannel(tutor, cfg)
        await channel.start()
        transport = httpx.ASGITransport(app=channel.webhook_app())
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://telegram") as client:
                yield client, channel
        finally:
            await asyncio.gather(*channel._tasks, return_exceptions=True)
            await channel.stop()


def _telegram_shaped(values: Any) -> Any:
    return st.fixed_dictionaries({
        "update_id": values,
        "message": st.fixed_dictionaries({"message_id": values, "date": values, "text": values,
                                          "chat": st.fixed_dictionaries({"id": values, "type": values}),
                                          "from": st.fixed_dictionaries({"id": values, "is_bot": values,
                                                                         "first_name": values})}),
    })


@FUZZ
@given(body=st.one_of(json_values, _telegram_shaped(json_values),
                      _telegram_shaped(st.integers(-2**63, 2**63) | st.text(max_size=30))))
async def test_telegram_webhook_takes_anything(telegram_app: tuple[httpx.AsyncClient, TelegramChannel],
                                               body: Any) -> None:
    client, channel = telegram_app
    response = await client.post("/telegram/webhook", content=json.dumps(body),
                                 headers={"X-Telegram-Bot-Api-Secret-Token": "fuzz-secret"})
    assert response.status_code in (200, 400)
    await asyncio.gather(*channel._tasks, return_exceptions=True)
    await _all_processed_once(channel.tutor)


@pytest.fixture
async def zalo_app(tutor: Tutor) -> AsyncIterator[tuple[httpx.AsyncClient, ZaloChannel, ZaloStandIn]]:
    async with ZaloStandIn() as standin:
        cfg = ZaloSettings(app_id=standin.APP_ID, secret_key=SecretStr(standin.APP_SECRET),
                           oa_secret_key=SecretStr(standin.OA_SECRET), access_token=SecretStr(standin.access_token),
                           refresh_token=SecretStr(standin.refresh_token), api_base=standin.base,
                           oauth_base=standin.base, per_second=1000.0)
        channel = ZaloChannel(tutor, cfg)
        await channel.start()
        from bot.web import build_app

        transport = httpx.ASGITransport(app=build_app(tutor, tutor.settings, [channel]))
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://zalo") as client:
                yield client, channel, standin
        finally:
            await asyncio.gather(*channel._tasks, return_exceptions=True)
            await channel.stop()


def _zalo_shaped(values: Any) -> Any:
    return st.fixed_dictionaries({
        "app_id": values, "event_name": st.sampled_from(["user_send_text", "user_send_image", "follow",
                                                         "unfollow", "user_send_audio", "oa_send_text"]) | values,
        "sender": st.fixed_dictionaries({"id": values}), "recipient": st.fixed_dictionaries({"id": values}),
        "message": st.fixed_dictionaries({"msg_id": values, "text": values, "attachments": values}),
        "follower": st.fixed_dictionaries({"id": values}),
    })


@FUZZ
@given(event=st.one_of(json_values, _zalo_shaped(json_values), _zalo_shaped(st.text(max_size=40))),
       signed=st.booleans())
async def test_zalo_webhook_takes_anything(zalo_app: tuple[httpx.AsyncClient, ZaloChannel, ZaloStandIn],
                                           event: Any, signed: bool) -> None:
    client, channel, standin = zalo_app
    if isinstance(event, dict):
        event["timestamp"] = str(int(time.time() * 1000))  # fresh, so the parser behind the check is reached
    body = json.dumps(event, ensure_ascii=False).encode()
    stamp = str(event.get("timestamp", "0")) if isinstance(event, dict) else "0"
    mac = signature(standin.APP_ID, body, stamp, standin.OA_SECRET) if signed else "mac=forged"
    response = await client.post("/zalo/webhook", content=body, headers={"X-ZEvent-Signature": mac})
    assert response.status_code in ((200,) if signed and isinstance(event, dict) else (400, 403))
    await asyncio.gather(*channel._tasks, return_exceptions=True)
    await _all_processed_once(channel.tutor)
