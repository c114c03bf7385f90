"""Webhook mode over real HTTP: the emulator POSTs updates with the secret to the bot's own
server; wrong or missing secrets get 403, only JSON objects are taken, /healthz reports the
database and the queue, and updates sent while the bot was down arrive after it returns."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import aiohttp
import pytest
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cli_run import serve
from bot.db.database import Database
from bot.db.models import Answer, ProcessedUpdate, Response, ResponseStatus
from bot.emulator import SECRET_HEADER, Fault, TelegramEmulator
from bot.telegram import texts
from bot.telegram.webhook import (
    ALLOWED_UPDATES,
    WebhookOptionError,
    WebhookOptions,
    WebhookServer,
)
from tests.e2e.conftest import bot_settings
from tests.e2e.kader_steps import FAMILY_A, act, answer_until, current_question
from tests.e2e.webhook_harness import (
    SECRET,
    WebhookHarness,
    free_port,
    webhook_harness_fixture,  # noqa: F401  (the `webhook_harness` fixture)
)


def bantuan_update(update_id: int, user_id: int = 4242) -> dict[str, Any]:
    user = {"id": user_id, "is_bot": False, "first_name": "Tamu"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": user_id, "type": "private", "first_name": "Tamu"},
            "from": user,
            "text": "/bantuan",
            "entities": [{"type": "bot_command", "offset": 0, "length": 8}],
        },
    }


async def post(
    url: str, body: bytes | str, headers: dict[str, str], method: str = "POST"
) -> int:
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, url, data=body, headers=headers) as response,
    ):
        await response.read()
        return response.status


async def count(database: Database, model: Any) -> int:
    async with database.session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


# ------------------------------------------------------------------------------ the flow


async def test_a_kader_fills_and_submits_a_family_over_the_webhook(
    webhook_harness: WebhookHarness,
) -> None:
    harness, emu = webhook_harness, webhook_harness.emulator
    siti = await harness.kader(1001)
    await act(harness, siti, siti.send("/survei"))
    asked = await answer_until(harness, siti, FAMILY_A)
    await act(harness, siti, siti.tap("✅ Kirim"))

    assert "sudah dikirim" in (siti.last_message().text or "")  # type: ignore[union-attr]
    async with harness.database.session_factory() as session:
        status = await session.scalar(select(Response.status))
    assert status is ResponseStatus.SUBMITTED
    assert await count(harness.database, Answer) == len(asked)
    registered = emu.calls("setWebhook")[-1].params
    assert registered["secret_token"] == SECRET
    assert registered["allowed_updates"] == list(ALLOWED_UPDATES)
    assert registered.get("drop_pending_updates") in (None, False)
    deliveries = emu.webhook_deliveries()
    assert deliveries and all(d.status == 200 for d in deliveries)
    assert emu.calls("getUpdates") == []


# ------------------------------------------------------------------------------ the door


@pytest.mark.parametrize("db_backend", ["sqlite"])
async def test_a_post_without_the_right_secret_gets_403_and_is_never_handled(
    webhook_harness: WebhookHarness,
) -> None:
    harness = webhook_harness
    url = harness.options.url
    body = json.dumps(bantuan_update(900_001))
    attempts = {
        "no secret": {"Content-Type": "application/json"},
        "wrong secret": {"Content-Type": "application/json", SECRET_HEADER: "salah"},
        "other case": {"Content-Type": "application/json", SECRET_HEADER: SECRET.upper()},
        "a prefix": {"Content-Type": "application/json", SECRET_HEADER: SECRET[:-1]},
        "longer": {"Content-Type": "application/json", SECRET_HEADER: SECRET + "x"},
        "non-ascii": {"Content-Type": "application/json", SECRET_HEADER: "rahasia-é"},
    }
    statuses = {name: await post(url, body, headers) for name, headers in attempts.items()}
    await harness.settle()

    assert set(statuses.values()) == {403}, statuses
    assert harness.emulator.calls("sendMessage") == []
    assert await count(harness.database, ProcessedUpdate) == 0
    assert harness.server is not None and harness.server.refused == len(attempts)

    right = {"Content-Type": "application/json", SECRET_HEADER: SECRET}
    assert await post(url, body, right) == 200
    await harness.emulator.wait_for_call("sendMessage", chat_id=4242)


@pytest.mark.parametrize("db_backend", ["sqlite"])
async def test_only_posted_json_objects_are_taken(webhook_harness: WebhookHarness) -> None:
    harness = webhook_harness
    url = harness.options.url
    secret = {SECRET_HEADER: SECRET}
    json_type = {"Content-Type": "application/json", **secret}

    assert await post(url, "/bantuan", {"Content-Type": "text/plain", **secret}) == 415
    assert await post(url, "{not json", json_type) == 400
    assert await post(url, b"\xff\xfe", json_type) == 400
    assert await post(url, "[1, 2]", json_type) == 400
    assert await post(url, "[" * 100_000 + "]" * 100_000, json_type) == 400
    assert await post(url, "", json_type, method="GET") == 405
    assert await post(url, "x" * (1024 * 1024 + 1), json_type) == 413
    with_charset = {"Content-Type": "application/json; charset=utf-8", **secret}
    assert await post(url, json.dumps(bantuan_update(900_002)), with_charset) == 200
    await harness.emulator.wait_for_call("sendMessage", chat_id=4242)
    assert harness.server is not None and harness.server.accepted == 1


async def test_a_port_already_taken_is_one_clear_line() -> None:
    port = free_port()
    options = WebhookOptions(url=f"http://127.0.0.1:{port}/hook", secret_token=SECRET, port=port)
    first = WebhookServer(None, options)  # type: ignore[arg-type]  # never receives a POST
    await first.start()
    try:
        with pytest.raises(WebhookOptionError, match=f"127.0.0.1:{port}"):
            await WebhookServer(None, options).start()  # type: ignore[arg-type]
    finally:
        await first.stop()


# ------------------------------------------------------------------------------ health


class DatabaseOutage:
    """Every new connection is refused by the driver and pooled ones are closed."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.down = False
        event.listen(engine.sync_engine, "do_connect", self._connect)

    def _connect(self, dialect: Any, record: Any, cargs: Any, cparams: Any) -> None:
        if self.down:
            raise dialect.loaded_dbapi.OperationalError("connection refused (outage)")

    async def begin(self) -> None:
        self.down = True
        await self.engine.dispose()

    def end(self) -> None:
        self.down = False


async def health(harness: WebhookHarness) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{harness.base}/healthz") as response,
    ):
        return response.status, await response.json()


async def test_healthz_reports_the_database_and_the_updates_in_hand(
    webhook_harness: WebhookHarness,
) -> None:
    harness, emu = webhook_harness, webhook_harness.emulator
    assert await health(harness) == (200, {"ok": True, "database": "ok", "pending_updates": 0})

    siti = await harness.kader(1001)
    emu.faults.add("sendMessage", Fault.slow(0.6), chat_id=siti.chat_id)
    await siti.send("/bantuan")
    await emu.wait_for(lambda: harness.app is not None and
                       harness.app.update_processor.current_concurrent_updates == 1,
                       what="the update to be in hand")
    status, body = await health(harness)
    assert (status, body["pending_updates"]) == (200, 1)
    await siti.wait_reply()

    outage = DatabaseOutage(harness.database.engine)
    await outage.begin()
    assert await health(harness) == (
        503, {"ok": False, "database": "unreachable", "pending_updates": 0}
    )
    outage.end()
    assert (await health(harness))[0] == 200


# ------------------------------------------------------------------------------ restarts


@pytest.mark.parametrize("db_backend", ["sqlite"])
async def test_messages_sent_while_the_bot_was_down_are_answered_when_it_returns(
    webhook_harness: WebhookHarness,
) -> None:
    harness, emu = webhook_harness, webhook_harness.emulator
    siti = await harness.kader(1001)
    await act(harness, siti, siti.send("/survei"))
    await harness.stop()

    await siti.send("Ahmad Fauzi")
    await emu.wait_for(lambda: any(d.status is None for d in emu.webhook_deliveries()),
                       what="a delivery to fail")
    assert emu.updates.pending == 1

    since = emu.last_seq
    await harness.start()
    await emu.wait_for_call("sendMessage", chat_id=siti.chat_id, since=since)
    await harness.settle()
    assert current_question(siti) == "H_RT"
    async with harness.database.session_factory() as session:
        head = await session.scalar(select(Answer.value).where(Answer.question == "H_KEPALA"))
    assert head == "Ahmad Fauzi"


# ------------------------------------------------------------------------------ ikk-bot run


async def test_ikk_bot_run_in_webhook_mode_answers_and_never_logs_the_secret(
    emulator: TelegramEmulator, migrated_database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for noisy in ("httpx", "httpcore", "telegram", "telegram.ext", "bot", "aiohttp"):
        caplog.set_level(logging.DEBUG, logger=noisy)
    port = free_port()
    options = WebhookOptions(url=f"http://127.0.0.1:{port}/ikk", secret_token=SECRET, port=port)
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(
        serve(bot_settings(emulator, migrated_database_url), stop, ready=ready, webhook=options)
    )
    try:
        await asyncio.wait_for(ready.wait(), 30)
        stranger = emulator.user(5001, "Budi")
        await stranger.send("/start")
        replies = await stranger.wait_reply()
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)

    assert [m.text for m in replies] == [texts.ACCESS]
    assert emulator.webhook.config is not None and emulator.webhook.config.secret_token == SECRET
    logged = caplog.text + "".join(
        f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records
    )
    assert "setWebhook" in logged, "debug logging was captured"
    assert SECRET not in logged
