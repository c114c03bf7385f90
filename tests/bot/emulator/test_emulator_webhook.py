"""The real PTB Application in webhook mode: the emulator POSTs updates to PTB's server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from conftest import WEBHOOK_SECRET, EchoBot, free_port
from telegram import Bot
from telegram.error import Conflict

from bot.emulator import SECRET_HEADER, TelegramEmulator


async def test_webhook_round_trip_delivers_updates_with_the_secret(
    emulator: TelegramEmulator, webhook_bot: tuple[EchoBot, str]
) -> None:
    echo, url = webhook_bot
    siti = emulator.user(1001)
    await siti.send("/start inv_web")
    assert [m.text for m in await siti.wait_reply()] == ["Halo Siti! Kode undangan: inv_web"]
    await siti.tap("Tidak")
    assert [m.text for m in await siti.wait_reply()] == ["Jawaban: Tidak"]

    await emulator.wait_for(lambda: len(emulator.webhook_deliveries()) == 2, what="2 deliveries")
    assert [d.status for d in emulator.webhook_deliveries()] == [200, 200]
    assert emulator.webhook.config is not None
    assert emulator.webhook.config.url == url
    assert emulator.webhook.config.secret_token == WEBHOOK_SECRET
    info = await echo.app.bot.get_webhook_info()
    assert (info.url, info.pending_update_count) == (url, 0)


async def test_ptb_rejects_a_post_with_a_wrong_or_missing_secret(
    webhook_bot: tuple[EchoBot, str],
) -> None:
    _, url = webhook_bot
    update = json.dumps({"update_id": 1}).encode()
    attempts = {
        "wrong secret": {"Content-Type": "application/json", SECRET_HEADER: "salah"},
        "no secret": {"Content-Type": "application/json"},
        "charset suffix": {
            "Content-Type": "application/json; charset=utf-8",
            SECRET_HEADER: WEBHOOK_SECRET,
        },
        "right secret": {"Content-Type": "application/json", SECRET_HEADER: WEBHOOK_SECRET},
    }
    statuses = {}
    async with aiohttp.ClientSession() as session:
        for name, headers in attempts.items():
            async with session.post(url, data=update, headers=headers) as response:
                statuses[name] = response.status

    assert statuses == {
        "wrong secret": 403,
        "no secret": 403,
        "charset suffix": 403,
        "right secret": 200,
    }


async def test_get_updates_conflicts_while_a_webhook_is_set(
    webhook_bot: tuple[EchoBot, str],
) -> None:
    echo, _ = webhook_bot

    with pytest.raises(Conflict, match="webhook is active"):
        await echo.app.bot.get_updates()


async def test_an_update_ptb_cannot_parse_is_retried_then_given_up_and_the_bot_goes_on(
    emulator: TelegramEmulator, webhook_bot: tuple[EchoBot, str]
) -> None:
    bad = emulator.inject_raw_update({"message": "bukan pesan"})
    siti = emulator.user(1001)
    await siti.send("halo")
    replies = await siti.wait_reply()

    assert [m.text for m in replies] == ["Kamu bilang: halo"]
    bad_attempts = [
        d.status for d in emulator.webhook_deliveries() if d.update_id == bad["update_id"]
    ]
    assert bad_attempts == [400, 400, 400, 400]
    assert emulator.webhook.given_up == [bad["update_id"]]


class FlakyReceiver:
    """A webhook endpoint that fails a given number of times before accepting."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.received: list[tuple[str, str | None, dict[str, Any]]] = []

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append(
            (request.headers["Content-Type"], request.headers.get(SECRET_HEADER), body)
        )
        if self.failures > 0:
            self.failures -= 1
            return web.Response(status=500)
        return web.Response(status=200)


@pytest.fixture
async def flaky_receiver() -> AsyncIterator[tuple[FlakyReceiver, str]]:
    receiver = FlakyReceiver(failures=2)
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield receiver, f"http://127.0.0.1:{port}/hook"
    await runner.cleanup()


async def test_a_failing_webhook_is_retried_with_backoff_as_exact_json(
    emulator: TelegramEmulator, bot: Bot, flaky_receiver: tuple[FlakyReceiver, str]
) -> None:
    receiver, url = flaky_receiver
    await bot.set_webhook(url, secret_token="s3cret")
    siti = emulator.user(1001)
    await siti.send("halo")
    await emulator.wait_for(lambda: len(emulator.webhook_deliveries()) == 3, what="three attempts")

    deliveries = emulator.webhook_deliveries()
    assert [(d.attempt, d.status) for d in deliveries] == [(1, 500), (2, 500), (3, 200)]
    assert deliveries[2].at - deliveries[0].at >= 0.25
    content_type, secret, body = receiver.received[-1]
    assert (content_type, secret) == ("application/json", "s3cret")
    message = body["message"]
    assert message["text"] == "halo"
    assert message["from"]["id"] == siti.id
    info = await bot.get_webhook_info()
    assert info.last_error_message == "Wrong response from the webhook: 500"


async def test_deleting_the_webhook_keeps_pending_updates_for_polling_unless_dropped(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    await bot.set_webhook("http://127.0.0.1:9/nowhere")
    await bot.delete_webhook()
    siti = emulator.user(1001)
    await siti.send("satu")
    await siti.send("dua")

    updates = await bot.get_updates(timeout=0)
    assert [u.message.text for u in updates if u.message] == ["satu", "dua"]
    await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates(timeout=0) == ()


async def test_updates_wait_while_the_webhook_is_unreachable_and_arrive_once_it_is_up(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    port = free_port()
    await bot.set_webhook(f"http://127.0.0.1:{port}/hook")
    siti = emulator.user(1001)
    await siti.send("halo")
    await emulator.wait_for(
        lambda: len(emulator.webhook_deliveries()) >= 2, what="two failed attempts"
    )
    assert all(d.status is None for d in emulator.webhook_deliveries())
    assert (await bot.get_webhook_info()).pending_update_count == 1

    receiver = FlakyReceiver(failures=0)
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        await emulator.wait_for(lambda: emulator.updates.pending == 0, what="the delivery")
    finally:
        await runner.cleanup()

    assert emulator.webhook_deliveries()[-1].ok
    assert [body["message"]["text"] for _, _, body in receiver.received] == ["halo"]
    assert emulator.webhook.given_up == []
    assert (await bot.get_webhook_info()).pending_update_count == 0


async def serve_hook(handle: Any) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_post("/hook", handle)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}/hook"


async def test_a_method_in_the_webhook_response_is_carried_out_and_logged_as_such(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    async def handle(request: web.Request) -> web.Response:
        update = await request.json()
        chat = update["message"]["chat"]["id"]
        return web.json_response({"method": "sendMessage", "chat_id": chat, "text": "dibalas"})

    runner, url = await serve_hook(handle)
    try:
        await bot.set_webhook(url)
        siti = emulator.user(1001)
        await siti.send("halo")
        assert [m.text for m in await siti.wait_reply()] == ["dibalas"]
    finally:
        await runner.cleanup()

    [call] = emulator.calls("sendMessage")
    assert call.in_webhook_reply and call.ok
    assert call.chat_id == siti.chat_id


async def test_a_response_body_that_is_not_a_method_is_ignored(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    bodies = [
        web.Response(text="ok"),
        web.json_response(["sendMessage"]),
        web.json_response({"chat_id": 1, "text": "tanpa method"}),
        web.Response(body=b"{bukan json", content_type="application/json"),
    ]

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        return bodies.pop(0)

    runner, url = await serve_hook(handle)
    try:
        await bot.set_webhook(url)
        siti = emulator.user(1001)
        for n in range(4):
            await siti.send(f"pesan {n}")
        await emulator.wait_for(lambda: emulator.updates.pending == 0, what="four deliveries")
    finally:
        await runner.cleanup()

    assert bodies == []
    assert all(d.ok for d in emulator.webhook_deliveries())
    assert emulator.calls() == []
    assert not emulator.state.internal_errors
