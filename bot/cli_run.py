"""`ikk-bot run`: the bot itself, by long polling (no public address needed), or in webhook mode
with `--webhook-url` (Telegram posts to a public HTTPS address; see `bot.telegram.webhook`).

Before polling it makes sure the database can be used: a brand-new database (no tables, or a
SQLite file that does not exist yet) is migrated on the spot, so `ikk-bot run` works on a fresh
machine; a database at an older or unknown revision is refused with one line saying what to do,
because migrating an existing database is an operator's decision (back it up first).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.error import InvalidToken, NetworkError

from bot.bot_tokens import (
    BotConfigError,
    BotDirectory,
    check_areas,
    configured_bots,
    select_bots,
)
from bot.db.database import Database
from bot.db.engine import create_engine
from bot.db.migrate import DatabaseNotReady, MigrationError, ensure_database_ready, upgrade
from bot.settings import Settings, get_settings
from bot.telegram.application import BotApplication
from bot.telegram.bot_set import build_bot_set, fetch_usernames
from bot.telegram.logging import install_log_masking
from bot.telegram.webhook import (
    WebhookOptionError,
    WebhookOptions,
    WebhookServer,
    check_secret_token,
    database_reachable,
    new_secret_token,
)

__all__ = ["prepare_database", "run_command", "serve", "webhook_options"]

log = logging.getLogger("bot.run")

EXIT_UNUSABLE = 2


def _missing_sqlite_file(engine: AsyncEngine) -> bool | None:
    """For a SQLite file: True when it does not exist yet but can be created, False when its
    folder is missing; None when it exists (or the database is not a SQLite file)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database.startswith(("file:", ":")):
        return None
    path = Path(database)
    return None if path.exists() else path.parent.is_dir()


async def _is_new(engine: AsyncEngine) -> bool:
    """True for a database with no tables at all (or a SQLite file not created yet)."""
    missing = _missing_sqlite_file(engine)
    if missing is not None:
        return missing
    try:
        async with engine.connect() as connection:
            names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    except Exception:  # unreachable: ensure_database_ready has already said why
        return False
    return not names


async def prepare_database(settings: Settings) -> bool:
    """Migrate a brand-new database; refuse (`DatabaseNotReady`) one that is not at the newest
    revision. Returns True when it migrated."""
    engine = create_engine(settings.database_url)
    try:
        try:
            await ensure_database_ready(engine)
        except DatabaseNotReady:
            if not await _is_new(engine):
                raise
            log.info("new database: creating the schema")
            await upgrade(engine)
            await ensure_database_ready(engine)
            return True
        return False
    finally:
        await engine.dispose()


async def serve(
    settings: Settings,
    stop: asyncio.Event,
    *,
    ready: asyncio.Event | None = None,
    poll_timeout: int = 10,
    webhook: WebhookOptions | None = None,
    wilayah: str | None = None,
) -> None:
    """Prepare the database, then poll Telegram with every configured bot (or those of
    `wilayah`, e.g. "63.02,63.03"), or with `webhook` receive one bot's POSTs, until `stop`
    is set; shut down cleanly. `BotConfigError` for wrongly configured tokens."""
    every_bot = configured_bots(settings)
    served = select_bots(every_bot, wilayah)
    if webhook is not None and len(served) > 1:
        raise BotConfigError(
            "Mode webhook hanya untuk satu bot: pakai long polling (tanpa --webhook-url) untuk "
            "beberapa token, atau pilih satu dengan --wilayah."
        )
    await prepare_database(settings)
    engine = create_engine(settings.database_url)
    try:
        async with Database.serving(engine) as database:
            await check_areas(database.session_factory, every_bot)
            directory = BotDirectory(every_bot)
            if len(every_bot) > 1:
                directory.usernames.update(await fetch_usernames(settings, every_bot))
            apps = build_bot_set(settings, database, served, directory)
            async with contextlib.AsyncExitStack() as stack:
                for app in apps:
                    await stack.enter_async_context(app)
                if webhook is not None:
                    await _serve_webhook(apps[0], webhook, engine, stop, ready)
                else:
                    await _serve_polling(settings, apps, stop, ready, poll_timeout)
    finally:
        await engine.dispose()


async def _serve_polling(
    settings: Settings,
    apps: list[BotApplication],
    stop: asyncio.Event,
    ready: asyncio.Event | None,
    poll_timeout: int,
) -> None:
    try:
        for app in apps:
            assert app.updater is not None and app.post_init is not None
            await app.updater.start_polling(poll_interval=0, timeout=poll_timeout)
            await app.start()
            await app.post_init(app)
        log.info("polling %s with %d bot(s); stop with Ctrl+C", settings.telegram_api_url,
                 len(apps))
        if ready is not None:
            ready.set()
        await stop.wait()
        log.info("stopping")
    finally:  # also after a failed start, so the error is not hidden by PTB's shutdown
        for app in apps:
            if app.updater is not None and app.updater.running:
                await app.updater.stop()
        for app in apps:
            if app.running:
                await app.stop()


async def _serve_webhook(
    app: BotApplication,
    webhook: WebhookOptions,
    engine: AsyncEngine,
    stop: asyncio.Event,
    ready: asyncio.Event | None,
) -> None:
    assert app.updater is not None and app.post_init is not None
    # The Updater stays idle: the server feeds the update queue.
    server = WebhookServer(app, webhook, database_check=lambda: database_reachable(engine))
    await server.start()
    try:
        await app.start()
        await server.register()
        await app.post_init(app)
        if ready is not None:
            ready.set()
        await stop.wait()
        log.info("stopping")
    finally:
        await server.stop()
        if app.running:
            await app.stop()


def webhook_options(
    settings: Settings, url: str, listen: str, port: int, secret_token: str | None
) -> WebhookOptions:
    """The webhook settings for one start: the secret from the option, else WEBHOOK_SECRET,
    else a new random one (Telegram learns it from setWebhook; nobody else needs it)."""
    configured = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
    secret = secret_token or configured.strip() or new_secret_token()
    return WebhookOptions(url=url, secret_token=check_secret_token(secret), listen=listen,
                          port=port)


def run_command(
    debug: Annotated[bool, typer.Option("--debug", help="Catat log sampai tingkat DEBUG.")] = False,
    webhook_url: Annotated[
        str | None,
        typer.Option(
            "--webhook-url",
            help="Mode webhook: alamat https:// publik yang diteruskan ke bot ini "
            "(tanpa opsi ini: long polling).",
        ),
    ] = None,
    listen: Annotated[
        str, typer.Option("--listen", help="Mode webhook: alamat yang didengarkan.")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", help="Mode webhook: port yang didengarkan.")
    ] = 8443,
    secret_token: Annotated[
        str | None,
        typer.Option(
            "--secret-token",
            help="Mode webhook: rahasia yang dikirim Telegram; lebih baik lewat WEBHOOK_SECRET "
            "(opsi baris perintah terlihat oleh pengguna lain). Tanpa keduanya: acak tiap start.",
        ),
    ] = None,
    wilayah: Annotated[
        str | None,
        typer.Option(
            "--wilayah",
            help="Hanya bot wilayah ini (kode dipisah koma, mis. 63.02,63.03; 'utama' = bot "
            "TELEGRAM_BOT_TOKEN), agar dua proses dapat berbagi token. Tanpa opsi: semua bot.",
        ),
    ] = None,
) -> None:
    """Jalankan bot (long polling, atau webhook dengan --webhook-url) sampai dihentikan."""
    install_log_masking()
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    install_log_masking()  # basicConfig may have touched the httpx logger's handlers
    settings = get_settings()
    try:  # before touching the database
        every_bot = configured_bots(settings)
        select_bots(every_bot, wilayah)
    except BotConfigError as error:
        raise _fail(str(error)) from None
    install_log_masking([b.token for b in every_bot])
    webhook: WebhookOptions | None = None
    if webhook_url is not None:
        try:
            webhook = webhook_options(settings, webhook_url, listen, port, secret_token)
        except WebhookOptionError as error:
            raise _fail(str(error)) from None

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(settings, stop, webhook=webhook, wilayah=wilayah)

    try:
        asyncio.run(main())
    except (DatabaseNotReady, MigrationError, BotConfigError) as error:
        raise _fail(str(error)) from None
    except InvalidToken:
        raise _fail(
            "Telegram menolak token bot: periksa TELEGRAM_BOT_TOKEN / TELEGRAM_BOT_TOKENS "
            "(salin ulang dari @BotFather)."
        ) from None
    except WebhookOptionError as error:  # e.g. the webhook port is taken
        raise _fail(str(error)) from None
    except NetworkError as error:
        raise _fail(
            f"Tidak dapat menghubungi Telegram di {settings.telegram_api_url} ({error.message}); "
            "periksa koneksi internet atau TELEGRAM_API_URL."
        ) from None


def _fail(message: str) -> typer.Exit:
    typer.echo(f"Galat: {message}", err=True)
    return typer.Exit(EXIT_UNUSABLE)
