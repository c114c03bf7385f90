"""Telegram's rules, enforced by the emulator, surface in PTB as the same exceptions."""

from __future__ import annotations

import aiohttp
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, EndPointNotFound, Forbidden, InvalidToken

from bot.emulator import EmulatedUser, TelegramEmulator


async def started_user(emulator: TelegramEmulator, user_id: int = 1001) -> EmulatedUser:
    """A user who has written to the bot (so the bot may write back)."""
    user = emulator.user(user_id)
    await user.send("/start")
    return user


def one_button(data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("Pilih", callback_data=data)]])


async def test_callback_data_over_64_bytes_is_button_data_invalid_even_under_64_characters(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    siti = await started_user(emulator)
    await bot.send_message(siti.chat_id, "boleh", reply_markup=one_button("é" * 32))

    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(siti.chat_id, "terlalu", reply_markup=one_button("é" * 33))
    assert [m.text for m in siti.messages()] == ["boleh"]


async def test_editing_to_the_same_text_and_keyboard_is_message_is_not_modified(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    siti = await started_user(emulator)
    sent = await bot.send_message(siti.chat_id, "Halo", reply_markup=one_button("a"))

    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text(
            "Halo", siti.chat_id, sent.message_id, reply_markup=one_button("a")
        )
    await bot.edit_message_text("Halo", siti.chat_id, sent.message_id)

    current = siti.last_message()
    assert current is not None and current.buttons == [] and current.edit_count == 1
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_reply_markup(siti.chat_id, sent.message_id)


async def test_editing_or_deleting_an_unknown_message_is_not_found(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    siti = await started_user(emulator)
    sent = await bot.send_message(siti.chat_id, "sebentar")
    assert await bot.delete_message(siti.chat_id, sent.message_id)

    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("baru", siti.chat_id, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(siti.chat_id, 999)
    assert siti.messages() == [] and siti.messages(include_deleted=True)[0].deleted


async def test_a_callback_query_can_be_answered_only_once(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    siti = await started_user(emulator)
    await bot.send_message(siti.chat_id, "Pilih:", reply_markup=one_button("x"))
    query = await siti.tap("Pilih")

    assert await bot.answer_callback_query(query.query_id, "Oke", show_alert=True)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query.query_id)
    with pytest.raises(BadRequest, match=r"(?i)query id is invalid"):
        await bot.answer_callback_query("123")
    answer = siti.last_callback_answer()
    assert answer is not None and (answer.text, answer.show_alert, answer.data) == (
        "Oke",
        True,
        "x",
    )


async def test_an_expired_callback_query_cannot_be_answered(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    siti = await started_user(emulator)
    await bot.send_message(siti.chat_id, "Pilih:", reply_markup=one_button("x"))
    query = await siti.tap("x")
    emulator.expire_callback_queries()

    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query.query_id)


async def test_a_chat_that_never_started_the_bot_is_chat_not_found(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    emulator.user(2002, first_name="Pejabat")

    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(2002, "Laporan mingguan")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message("@pejabat", "Laporan mingguan")


async def test_a_user_who_blocked_the_bot_is_forbidden(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    siti = await started_user(emulator)
    await siti.block()

    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(siti.chat_id, "Halo?")
    await siti.unblock()
    await bot.send_message(siti.chat_id, "Selamat datang kembali")
    assert [m.text for m in siti.messages()] == ["Selamat datang kembali"]


async def test_text_and_caption_limits_are_enforced_after_parsing(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    siti = await started_user(emulator)
    await bot.send_message(siti.chat_id, "<b>" + "a" * 4096 + "</b>", parse_mode=ParseMode.HTML)

    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(siti.chat_id, "a" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(siti.chat_id, "  ")
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await bot.send_document(siti.chat_id, b"isi", filename="a.txt", caption="c" * 1025)


async def test_malformed_html_is_cant_parse_entities(emulator: TelegramEmulator, bot: Bot) -> None:
    siti = await started_user(emulator)

    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(siti.chat_id, "<b>tebal", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities.*unsupported start tag"):
        await bot.send_message(siti.chat_id, "baris<br>baru", parse_mode=ParseMode.HTML)
    sent = await bot.send_message(
        siti.chat_id, "Desa <i>A &amp; B</i> &lt;75%", parse_mode=ParseMode.HTML
    )
    assert sent.text == "Desa A & B <75%"
    assert sent.text_html == "Desa <i>A &amp; B</i> &lt;75%"


async def test_inline_buttons_need_text_and_exactly_one_action(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    siti = await started_user(emulator)
    both = InlineKeyboardButton("x", callback_data="a", url="https://bkkbn.go.id")
    neither = InlineKeyboardButton("x")
    no_text = InlineKeyboardButton("", callback_data="a")

    for button in (both, neither, no_text):
        with pytest.raises(BadRequest, match=r"(?i)inline keyboard"):
            await bot.send_message(siti.chat_id, "t", reply_markup=InlineKeyboardMarkup([[button]]))
    assert siti.messages() == []


async def test_an_unknown_token_is_rejected_like_telegram(emulator: TelegramEmulator) -> None:
    for token in ("999:someone-else", "not-a-token"):
        stranger = Bot(token, base_url=emulator.base_url)
        with pytest.raises(InvalidToken):
            await stranger.initialize()


async def test_get_me_returns_a_complete_bot_user(emulator: TelegramEmulator, bot: Bot) -> None:
    me = await bot.get_me()

    assert (me.id, me.is_bot, me.username) == (emulator.bot_id, True, "ikk_test_bot")
    assert me.can_join_groups is True and me.supports_inline_queries is False


async def test_unknown_methods_and_files_are_404(emulator: TelegramEmulator, bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendHologram", api_kwargs={"chat_id": 1})
    url = f"{emulator.base_file_url}{emulator.token}/x/y.png"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        body = await response.json()

    assert (response.status, body["ok"], body["description"]) == (404, False, "Not Found")
