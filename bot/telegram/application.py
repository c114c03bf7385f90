"""The composition root: the one place that assembles the Telegram bot.

`build_application` wires settings, database and instrument into the handlers and returns a
PTB `Application` ready for `run_polling()` (or for a test's `start_polling`). Nothing else
creates bots, requests or handlers, so what runs in production is what the tests run.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults
from telegram.request import HTTPXRequest

from bot.alerts.jobs import register_alert_jobs
from bot.db.bot_id import bot_id_of
from bot.db.database import Database
from bot.instrument_source import configured_instrument
from bot.settings import Settings
from bot.telegram.deps import Deps
from bot.telegram.errors import on_error
from bot.telegram.ext_bot import IkkBot
from bot.telegram.handlers.admin import admin_handlers
from bot.telegram.handlers.alerts import alert_handlers
from bot.telegram.handlers.merah import merah_handlers
from bot.telegram.handlers.officials import official_handlers
from bot.telegram.handlers.onboarding import onboarding_handlers
from bot.telegram.handlers.review import review_handlers
from bot.telegram.handlers.robustness import fallback_handlers, gate_handler
from bot.telegram.handlers.survey import survey_handlers
from bot.telegram.idempotency import prune_processed_updates
from bot.telegram.logging import install_log_masking
from bot.telegram.menus import set_default_menu
from bot.telegram.processor import PerUserSequentialProcessor
from bot.telegram.rate_limiter import ReplyRateLimiter
from bot.telegram.retrying_request import RetryingRequest
from ikk_core.instrument import Instrument

__all__ = [
    "BotApplication",
    "MissingToken",
    "build_application",
    "build_shell",
    "require_token",
]

log = logging.getLogger(__name__)

BotApplication = Application[Any, Any, Any, Any, Any, Any]
DEPS_KEY: Final = "deps"
PRUNE_EVERY: Final = timedelta(hours=6)
MAX_CONCURRENT_UPDATES: Final = 64
"""Updates handled at once (different users; one user's are always in order). More only queue
up inside the database pool (15 connections; SQLite writes one at a time anyway) and the HTTP
pool, where they run into timeouts: measured with 200 simultaneous cadres, an unbounded bot
lost replies to "Pool timeout" and database pool timeouts, while a bounded one just queues."""


class MissingToken(ValueError):
    """No bot token configured (message is one Indonesian line)."""


def require_token(settings: Settings) -> str:
    """The configured bot token; `MissingToken` (one Indonesian line) when there is none."""
    secret = settings.telegram_bot_token
    token = secret.get_secret_value().strip() if secret is not None else ""
    if not token:
        raise MissingToken(
            "TELEGRAM_BOT_TOKEN belum diisi: buat bot lewat @BotFather lalu simpan tokennya "
            "di variabel lingkungan TELEGRAM_BOT_TOKEN (atau di berkas .env)."
        )
    return token


def _bot(settings: Settings, token: str, overall_max_rate: float) -> IkkBot:
    api = settings.telegram_api_url.rstrip("/")
    return IkkBot(
        token,
        base_url=f"{api}/bot",
        base_file_url=f"{api}/file/bot",
        defaults=Defaults(tzinfo=ZoneInfo(settings.timezone), parse_mode=ParseMode.HTML),
        request=RetryingRequest(connection_pool_size=256),  # 5xx and unsent calls retried
        # A spare polling connection: a long poll torn down uncleanly on a weak network can keep
        # one checked out, and with a single one every later getUpdates (and the last one at
        # shutdown) would fail with "Pool timeout" until a restart.
        get_updates_request=HTTPXRequest(connection_pool_size=2),
        # Interactive replies: a 429 waits for its own chat only and is resent up to twice.
        # Broadcasts pace themselves elsewhere.
        rate_limiter=ReplyRateLimiter(overall_max_rate=overall_max_rate, max_retries=2),
        label=settings.demo_label,  # only `ikk-bot demo` sets it
    )


def build_shell(
    settings: Settings, *, overall_max_rate: float = 30.0, token: str | None = None
) -> BotApplication:
    """The application without any handler: bot, requests, rate limiter, defaults, per-user
    processor and log masking. `build_application` adds the IKK handlers; the chat benchmark
    adds a trivial echo to the very same shell for its baseline. `token` (one of several bots,
    `bot.bot_tokens`) overrides TELEGRAM_BOT_TOKEN."""
    token = token or require_token(settings)
    install_log_masking([token])
    processor = PerUserSequentialProcessor(MAX_CONCURRENT_UPDATES, bot_id=bot_id_of(token))
    application: BotApplication = (
        ApplicationBuilder()
        .bot(_bot(settings, token, overall_max_rate))
        .concurrent_updates(processor)
        .build()
    )
    return application


def build_application(
    settings: Settings,
    database: Database,
    *,
    instrument: Instrument | None = None,
    overall_max_rate: float = 30.0,
    token: str | None = None,
    alerts: bool = True,
) -> BotApplication:
    """The bot for `settings` on `database`, asking new families with `instrument`
    (default: the instrument shipped with ikk-bot).

    `overall_max_rate` is the bot-wide cap on messages per second (Telegram's published
    guidance is about 30; 0 switches the cap off, e.g. against the emulator in benchmarks).
    Raises `MissingToken` when no token is configured. Does not touch the network or the
    database: `initialize()`/`post_init` do.
    """
    deps = Deps(
        settings=settings,
        database=database,
        instrument=instrument or configured_instrument(settings),
    )
    application = build_shell(settings, overall_max_rate=overall_max_rate, token=token)
    application.post_init = _post_init
    application.bot_data[DEPS_KEY] = deps
    application.add_handler(gate_handler(deps), group=-1)
    application.add_handlers(onboarding_handlers(deps))
    application.add_handlers(official_handlers(deps))  # before the survey's catch-all buttons
    application.add_handlers(merah_handlers(deps))  # before the survey's catch-all buttons
    application.add_handlers(alert_handlers(deps))  # before the survey's catch-all buttons
    application.add_handlers(admin_handlers(deps))  # before the survey's catch-all buttons
    application.add_handlers(review_handlers(deps))  # before the survey's catch-all text
    application.add_handlers(survey_handlers(deps))
    application.add_handlers(fallback_handlers(deps))
    application.add_error_handler(on_error)
    if application.job_queue is not None:
        application.job_queue.run_repeating(
            _prune,
            interval=PRUNE_EVERY,
            first=timedelta(minutes=1),
            name="prune-processed-updates",
            job_kwargs={"misfire_grace_time": 3600, "coalesce": True},
        )
    if alerts:  # several bots in one process: one of them sends every bot's alerts
        register_alert_jobs(application, deps)
    return application


async def _post_init(application: BotApplication) -> None:
    """Startup work that needs the network: the default command menu."""
    await set_default_menu(application.bot)
    log.info("bot @%s ready", application.bot.username)


async def _prune(context: ContextTypes.DEFAULT_TYPE) -> None:
    deps: Deps = context.application.bot_data[DEPS_KEY]
    removed = await prune_processed_updates(deps.session_factory)
    if removed:
        log.info("forgot %d handled update ids older than two days", removed)


def deps_of(application: BotApplication) -> Deps:
    """The dependencies an application was built with (for tests and the CLI)."""
    deps: Deps = application.bot_data[DEPS_KEY]
    return deps


