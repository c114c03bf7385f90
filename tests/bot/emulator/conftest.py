"""Fixtures: a started emulator and a tiny real PTB bot wired to it (polling or webhook)."""

from __future__ import annotations

import io
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import openpyxl
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.constants import ChatAction, ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.emulator import TelegramEmulator, tiny_png

CHART_PNG = tiny_png(40, 30)
WEBHOOK_SECRET = "rahasia_Webhook-123"


def workbook_bytes() -> bytes:
    """A small XLSX like the bot's exports."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["desa", "ikk"])
    sheet.append(["Sampanahan", 72.5])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@dataclass
class EchoBot:
    """The PTB application under test plus what its handlers observed."""

    app: Application  # type: ignore[type-arg]
    update_ids: list[int] = field(default_factory=list)
    member_changes: list[tuple[int, str, str]] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def build_echo_bot(emulator: TelegramEmulator) -> EchoBot:
    """A tiny bot: /start with a Ya/Tidak keyboard, button edits, /photo, echo, commands."""
    app = (
        ApplicationBuilder()
        .token(emulator.token)
        .base_url(emulator.base_url)
        .base_file_url(emulator.base_file_url)
        .build()
    )
    bot = EchoBot(app)

    async def record_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        bot.update_ids.append(update.update_id)

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_user is not None and update.effective_message is not None
        payload = " ".join(context.args or []) or "-"
        keyboard = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton("Ya", callback_data="ans:ya"),
                    InlineKeyboardButton("Tidak", callback_data="ans:tidak"),
                ]
            ]
        )
        await update.effective_message.reply_text(
            f"Halo <b>{update.effective_user.first_name}</b>! Kode undangan: {payload}",
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard,
        )

    async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None
        choice = query.data.removeprefix("ans:")
        await query.answer(f"Tersimpan: {choice}")
        await query.edit_message_text(f"Jawaban: {choice.capitalize()}")

    async def photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None
        chat_id = update.effective_chat.id
        await context.bot.send_chat_action(chat_id, ChatAction.UPLOAD_PHOTO)
        await context.bot.send_photo(
            chat_id, CHART_PNG, caption="Grafik IKK", filename="grafik.png"
        )
        await context.bot.send_document(chat_id, workbook_bytes(), filename="laporan.xlsx")

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"Kamu bilang: {update.effective_message.text}")

    async def member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        change = update.my_chat_member
        assert change is not None
        bot.member_changes.append(
            (change.chat.id, change.old_chat_member.status, change.new_chat_member.status)
        )

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if context.error is not None:
            bot.errors.append(context.error)

    async def post_init(application: Application) -> None:  # type: ignore[type-arg]
        await application.bot.set_my_commands(
            [BotCommand("start", "Mulai"), BotCommand("photo", "Kirim grafik")]
        )
        await application.bot.set_my_commands(
            [BotCommand("start", "Mulai pendataan")],
            scope=BotCommandScopeAllPrivateChats(),
            language_code="id",
        )

    app.post_init = post_init
    app.add_handler(TypeHandler(Update, record_update), group=-1)
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("photo", photo))
    app.add_handler(CallbackQueryHandler(button, pattern=r"^ans:"))
    app.add_handler(ChatMemberHandler(member, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_error_handler(on_error)
    return bot


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    """A started emulator with a short quiet period."""
    async with TelegramEmulator(quiet_period=0.05) as emu:
        yield emu


@pytest.fixture
async def polling_bot(emulator: TelegramEmulator) -> AsyncIterator[EchoBot]:
    """The echo bot running the real Updater in long-polling mode."""
    bot = build_echo_bot(emulator)
    app = bot.app
    async with app:
        assert app.updater is not None and app.post_init is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await app.start()
        await app.post_init(app)
        yield bot
        emulator.release_pollers()
        await app.updater.stop()
        await app.stop()


@pytest.fixture
async def webhook_bot(emulator: TelegramEmulator) -> AsyncIterator[tuple[EchoBot, str]]:
    """The echo bot running PTB's webhook server; yields the bot and its webhook URL."""
    bot = build_echo_bot(emulator)
    app = bot.app
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    async with app:
        assert app.updater is not None and app.post_init is not None
        await app.updater.start_webhook(
            listen="127.0.0.1",
            port=port,
            url_path="hook",
            webhook_url=url,
            secret_token=WEBHOOK_SECRET,
        )
        await app.start()
        await app.post_init(app)
        yield bot, url
        await app.updater.stop()
        await app.stop()


@pytest.fixture
async def bot(emulator: TelegramEmulator) -> AsyncIterator[Bot]:
    """A bare PTB ``Bot`` talking to the emulator (no Updater), for single API calls."""
    async with Bot(
        emulator.token, base_url=emulator.base_url, base_file_url=emulator.base_file_url
    ) as client:
        yield client
