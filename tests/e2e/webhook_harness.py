"""The real bot in webhook mode for tests: `build_application` behind `WebhookServer`, with the
emulator POSTing each update to it (with the secret), as Telegram does.

`WebhookHarness` is a `BotHarness` (same `kader`, `settle`, `restart`, `handled`), so the kader
steps of the polling e2e tests drive it unchanged. The port is chosen once and kept across
restarts, as a deployed webhook URL is.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from bot.db.database import Database
from bot.emulator import TelegramEmulator
from bot.telegram import BotApplication, build_application
from bot.telegram.webhook import WebhookOptions, WebhookServer, database_reachable
from bot.telegram.webhook_replies import REPLY_WAIT
from tests.e2e.conftest import BotHarness, bot_settings

SECRET = "rahasia_Uji-webhook-42"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class WebhookHarness(BotHarness):
    """The emulator, the database and the bot receiving updates over its webhook."""

    port: int = field(default_factory=free_port)
    secret: str = SECRET
    reply_wait: float = REPLY_WAIT
    server: WebhookServer | None = None

    @property
    def options(self) -> WebhookOptions:
        return WebhookOptions(
            url=f"http://127.0.0.1:{self.port}/telegram/webhook",
            secret_token=self.secret,
            port=self.port,
            reply_wait=self.reply_wait,
        )

    @property
    def base(self) -> str:
        """http://127.0.0.1:PORT (for the test's own requests)."""
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> BotApplication:
        app = build_application(self.settings, self.database, overall_max_rate=0)
        await app.initialize()
        engine = self.database.engine
        server = WebhookServer(app, self.options, database_check=lambda: database_reachable(engine))
        await server.start()
        await app.start()
        await server.register()
        assert app.post_init is not None
        await app.post_init(app)
        self.app, self.server = app, server
        self.started.append(app)
        return app

    async def stop(self) -> None:
        app, self.app = self.app, None
        server, self.server = self.server, None
        if server is not None:
            await server.stop()
        if app is None:
            return
        if app.running:
            await app.stop()
        await app.shutdown()


@pytest.fixture(name="webhook_harness")
async def webhook_harness_fixture(
    emulator: TelegramEmulator, e2e_database: Database, migrated_database_url: str
) -> AsyncIterator[WebhookHarness]:
    """The bot in webhook mode against the emulator; stopped after the test (import this
    fixture into a test module or conftest that also has the e2e fixtures)."""
    harness = WebhookHarness(emulator, e2e_database, bot_settings(emulator, migrated_database_url))
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()
    assert not emulator.state.internal_errors, emulator.state.internal_errors
    unanswered = [q for q in emulator.state.queries.values() if not q.answered]
    assert not unanswered, f"callback queries left spinning: {unanswered}"
