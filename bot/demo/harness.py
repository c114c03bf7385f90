"""The real bot polling the project's Bot API emulator in this process, for the offline demo.

The same start-up the end-to-end tests use (`start_polling`, `start`, `post_init`, then a quick
stop that releases the emulator's long poll), plus "wait until the bot has finished reacting",
which the demo needs after every message and tap. Nothing here talks to api.telegram.org.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import timedelta

from bot.db.database import Database
from bot.db.models import Role
from bot.demo.synthetic import SYNTHETIC_LABEL
from bot.emulator import ChatMessage, TelegramEmulator
from bot.repositories.invites import create_invite
from bot.repositories.scope import Scope
from bot.settings import Settings
from bot.telegram import BotApplication, build_application
from bot.telegram.callback_data import Kind, decode
from conversations.engine import question_at
from ikk_core.instrument import Instrument, Question

__all__ = [
    "DEMO_BOT_USERNAME",
    "DEMO_CHAT_LABEL",
    "DemoBot",
    "DemoTimeout",
    "demo_settings",
    "invite_code_in",
    "question_on",
]

DEMO_BOT_USERNAME = "ikk_demo_bot"
DEMO_CHAT_LABEL = f"🧪 {SYNTHETIC_LABEL}: demo ikk-bot, bukan data nyata"
_INVITE = re.compile(r"start=(inv_[A-Za-z0-9_-]+)")


class DemoTimeout(RuntimeError):
    """The bot did not finish reacting in time (the message is one Indonesian line)."""


def demo_settings(emulator: TelegramEmulator, database_url: str) -> Settings:
    """Settings that point the bot at the emulator and nowhere else.

    Nothing comes from `.env` (it may hold a real token). The weekly schedule is off: the demo
    runs the alert once by hand, and a demo started on a Monday morning must not get a second,
    scheduled one in the middle of the story. Every message the bot sends ends with
    `DEMO_CHAT_LABEL`, so no line of a demo chat passes for real data.
    """
    return Settings(
        _env_file=None,
        database_url=database_url,
        telegram_bot_token=emulator.token,
        telegram_api_url=emulator.url,
        bot_username=DEMO_BOT_USERNAME,
        timezone="Asia/Makassar",
        min_families=10,
        alert_schedule="off",
        invite_ttl_days=7,
        demo_label=DEMO_CHAT_LABEL,
    )


@dataclass
class DemoBot:
    """The emulator, the database and the running bot application."""

    emulator: TelegramEmulator
    database: Database
    settings: Settings
    app: BotApplication | None = None

    async def start(self) -> BotApplication:
        app = build_application(self.settings, self.database, overall_max_rate=0)
        await app.initialize()
        if app.updater is None or app.post_init is None:
            raise RuntimeError("aplikasi bot tanpa updater")
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await app.start()
        await app.post_init(app)
        self.app = app
        return app

    async def stop(self) -> None:
        app, self.app = self.app, None
        if app is None:
            return
        self.emulator.release_pollers()
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()

    def handled(self) -> bool:
        """True when every update the emulator holds was fetched and fully handled."""
        app = self.app
        return (
            app is not None
            and self.emulator.updates.pending == 0
            and app.update_queue.empty()
            and app.update_processor.current_concurrent_updates == 0
        )

    async def settle(self, timeout: float = 30.0, quiet: float = 0.03) -> None:  # noqa: ASYNC109
        """Wait until the bot has handled everything sent so far and has gone quiet."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not (self.handled() and self.emulator.idle_for() >= quiet):
            if loop.time() > deadline:
                raise DemoTimeout(f"bot tidak selesai menjawab dalam {timeout:.0f} detik")
            await asyncio.sleep(0.005)

    async def invite(self, role: Role, area_code: str) -> str:
        """An invite code made the way `ikk-bot invite create` makes it."""
        async with self.database.session_factory() as session, session.begin():
            created = await create_invite(
                session, role=role, area_code=area_code, scope=Scope.everything(),
                ttl=timedelta(days=self.settings.invite_ttl_days),
            )
        return created.code


def invite_code_in(messages: list[ChatMessage]) -> str | None:
    """The invite code of the last t.me link among `messages` (text or buttons)."""
    found: str | None = None
    for message in messages:
        texts = [message.visible_text]
        markup = message.reply_markup or {}
        texts += [str(b.get("url", "")) for row in markup.get("inline_keyboard", []) for b in row]
        for text in texts:
            for match in _INVITE.finditer(text):
                found = match.group(1)
    return found


def question_on(instrument: Instrument, message: ChatMessage | None) -> Question | None:
    """The question a bot message asks, from its buttons' callback data or its bold title."""
    if message is None:
        return None
    for row in message.button_data:
        for data in row:
            decoded = decode(data) if data else None
            if decoded is not None and decoded.kind in (Kind.ANSWER, Kind.BACK, Kind.SKIP):
                return question_at(instrument, decoded.question) if decoded.question else None
    titles = {
        str(q.label.get("id")): q for q in instrument.questions if q.answerable
    }
    for line in message.visible_text.splitlines():
        if line in titles:
            return titles[line]
    return None

