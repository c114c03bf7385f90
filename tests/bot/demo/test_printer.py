"""The demo's chat printer with edits shown (the interactive mode): an edited message is
printed again marked "(diubah)", and typed numbers refer to the keyboard as printed."""

from __future__ import annotations

import io
import json
from typing import Any

import aiohttp
from rich.console import Console

from bot.demo.printer import ChatPrinter
from bot.emulator import TelegramEmulator

CHAT = 4242


async def bot_api(emu: TelegramEmulator, method: str, **params: Any) -> Any:
    """Call the emulator's Bot API as the bot would (JSON values inside the form)."""
    form = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{emu.url}/bot{emu.token}/{method}", data=form) as response,
    ):
        body = await response.json()
    assert body["ok"], body
    return body["result"]


def keyboard(*labels: str) -> dict[str, Any]:
    return {"inline_keyboard": [[{"text": label, "callback_data": label.lower()}]
                                for label in labels]}


async def test_an_edit_is_printed_marked_diubah_and_numbers_follow_the_printed_keyboard(
) -> None:
    out = io.StringIO()
    async with TelegramEmulator(quiet_period=0.01) as emu:
        await emu.user(CHAT, "Budi").send("halo")
        printer = ChatPrinter(emu, Console(file=out, width=120), numbered=True,
                              show_edits=True)
        sent = await bot_api(emu, "sendMessage", chat_id=CHAT, text="Pilih satu",
                             reply_markup=keyboard("A", "B"))
        printer.flush(CHAT)
        printed = printer.keyboard(CHAT)
        assert printed is not None
        assert printed.buttons == [(1, "A", "a"), (2, "B", "b")]

        # The bot puts a new button first: until it is printed, numbers keep their meaning,
        # and the session can tell that the keyboard on screen is out of date.
        await bot_api(emu, "editMessageText", chat_id=CHAT, message_id=sent["message_id"],
                      text="Pilih lagi", reply_markup=keyboard("C", "A", "B"))
        assert printer.keyboard(CHAT) is printed and printed.changed()
        printer.flush(CHAT)
        assert "Bot (diubah): Pilih lagi" in out.getvalue()
        assert "[1] C  [2] A  [3] B" in out.getvalue()
        renewed = printer.keyboard(CHAT)
        assert renewed is not None and not renewed.changed()
        assert renewed.buttons[0] == (1, "C", "c")

        # The keyboard is taken away: one line says so, and no number taps anything any more.
        await bot_api(emu, "editMessageReplyMarkup", chat_id=CHAT,
                      message_id=sent["message_id"])
        printer.flush(CHAT)
        assert "Bot (diubah): (tombol dihapus) Pilih lagi" in out.getvalue()
        assert printer.keyboard(CHAT) is None


async def test_without_show_edits_the_story_prints_a_message_once() -> None:
    out = io.StringIO()
    async with TelegramEmulator(quiet_period=0.01) as emu:
        await emu.user(CHAT, "Budi").send("halo")
        printer = ChatPrinter(emu, Console(file=out, width=120))
        sent = await bot_api(emu, "sendMessage", chat_id=CHAT, text="Pilih satu",
                             reply_markup=keyboard("A"))
        printer.flush(CHAT)
        await bot_api(emu, "editMessageText", chat_id=CHAT, message_id=sent["message_id"],
                      text="✔️ A")
        printer.flush(CHAT)
    assert "(diubah)" not in out.getvalue()
    assert out.getvalue().count("Pilih satu") == 1
