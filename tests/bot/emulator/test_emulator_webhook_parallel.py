"""Webhook delivery over several connections (load tests): POSTs overlap as with Telegram's
max_connections, but one user's updates still arrive one at a time and in order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot

from bot.emulator import DEFAULT_TOKEN, TelegramEmulator


class SlowReceiver:
    """A webhook that takes 0.1 s per update and notes how many POSTs overlap."""

    def __init__(self) -> None:
        self.in_flight: dict[int, int] = {}
        self.most_at_once = 0
        self.overlap_per_user = 0
        self.texts: dict[int, list[str]] = {}

    async def handle(self, request: web.Request) -> web.Response:
        body: dict[str, Any] = await request.json()
        user = int(body["message"]["from"]["id"])
        self.in_flight[user] = self.in_flight.get(user, 0) + 1
        self.overlap_per_user = max(self.overlap_per_user, self.in_flight[user])
        self.most_at_once = max(self.most_at_once, sum(self.in_flight.values()))
        await asyncio.sleep(0.1)
        self.texts.setdefault(user, []).append(body["message"]["text"])
        self.in_flight[user] -= 1
        return web.Response(status=200)


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[SlowReceiver, str]]:
    slow = SlowReceiver()
    app = web.Application()
    app.router.add_post("/hook", slow.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield slow, f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    await runner.cleanup()


@pytest.mark.parametrize(("connections", "most"), [(1, 1), (8, 4)])
async def test_updates_of_different_users_overlap_and_each_users_stay_in_order(
    receiver: tuple[SlowReceiver, str], connections: int, most: int
) -> None:
    slow, url = receiver
    async with (
        TelegramEmulator(webhook_connections=connections) as emu,
        Bot(DEFAULT_TOKEN, base_url=emu.base_url) as bot,
    ):
        await bot.set_webhook(url, max_connections=40)
        users = [emu.user(1000 + n, f"U{n}") for n in range(4)]
        for i in range(3):
            for user in users:
                await user.send(f"{user.id}-{i}")
        await emu.wait_for(lambda: emu.updates.pending == 0, timeout=10, what="deliveries")

    assert slow.most_at_once == most
    assert slow.overlap_per_user == 1
    assert slow.texts == {u.id: [f"{u.id}-{i}" for i in range(3)] for u in users}
