"""The test-side user: the updates it builds parse in PTB, and its helpers read what users see."""

from __future__ import annotations

import asyncio
import datetime as dtm
import time

import pytest
from conftest import EchoBot
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram import Message as TgMessage
from telegram.constants import MessageEntityType

from bot.emulator import TelegramEmulator


async def test_every_kind_of_user_message_parses_as_the_matching_ptb_object(
    emulator: TelegramEmulator, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    siti = emulator.user(1001, username="siti_kader")
    await siti.send("/start inv_XYZ")
    await siti.send_photo(caption="rumah")
    await siti.send_sticker("🙏")
    await siti.send_location(-3.32, 114.59)
    await siti.send_voice(duration=4)
    await siti.send_contact("+6281234567890")
    await siti.send_document(b"a;b\n1;2\n", "data.csv", mime_type="text/csv")
    await siti.send_in_group("/ikk Sampanahan", group_id=-4001)

    updates = await bot.get_updates(timeout=0)
    messages = [u.message for u in updates if isinstance(u.message, TgMessage)]
    assert len(messages) == len(updates) == 8
    start, photo, sticker, location, voice, contact, document, group = messages
    assert start.text == "/start inv_XYZ" and start.chat.username == "siti_kader"
    assert start.parse_entities([MessageEntityType.BOT_COMMAND]) != {}
    assert photo.photo[-1].width == 2 and photo.caption == "rumah"
    assert sticker.sticker is not None and sticker.sticker.emoji == "🙏"
    assert location.location is not None and location.location.latitude == -3.32
    assert voice.voice is not None and voice.voice.duration == dtm.timedelta(seconds=4)
    assert contact.contact is not None and contact.contact.user_id == siti.id
    assert document.document is not None and document.document.file_name == "data.csv"
    assert group.chat.type == "group" and group.chat.id == -4001
    assert group.text == "/ikk Sampanahan"


async def test_a_user_edit_reaches_the_bot_as_an_edited_message(
    emulator: TelegramEmulator, polling_bot: EchoBot
) -> None:
    siti = emulator.user(1001)
    original = await siti.send("desa Sampanahn")
    await siti.wait_reply()

    await siti.edit(original, "desa Sampanahan")
    replies = await siti.wait_reply()

    assert [m.text for m in replies] == ["Kamu bilang: desa Sampanahan"]
    assert "Siti: desa Sampanahan (diedit)" in siti.transcript().splitlines()


async def test_tapping_a_missing_button_lists_the_buttons_that_exist(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    siti = emulator.user(1001)
    await siti.send("/start")
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Ya", callback_data="y"),
                InlineKeyboardButton("Tidak", callback_data="n"),
            ],
            [InlineKeyboardButton("Panduan", url="https://bkkbn.go.id")],
        ]
    )
    await bot.send_message(siti.chat_id, "Punya anak?", reply_markup=keyboard)

    with pytest.raises(AssertionError, match=r"\[Ya\] \[Tidak\] / \[Panduan\]"):
        await siti.tap("Mungkin")
    with pytest.raises(AssertionError, match="no callback_data"):
        await siti.tap("Panduan")
    assert (await siti.tap("n")).data == "n"
    assert siti.keyboard() == [["Ya", "Tidak"], ["Panduan"]]


async def test_tapping_with_no_keyboard_anywhere_says_so(emulator: TelegramEmulator) -> None:
    siti = emulator.user(1001)
    await siti.send("halo")

    with pytest.raises(AssertionError, match="no bot message has an inline keyboard"):
        await siti.tap("Ya")


async def test_tap_data_on_a_deleted_or_unknown_message_arrives_as_inaccessible(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    siti = emulator.user(1001)
    await siti.send("/start")
    sent = await bot.send_message(siti.chat_id, "lama")
    await bot.delete_message(siti.chat_id, sent.message_id)

    await siti.tap_data(sent.message_id, "q:old")
    await siti.tap_data(999, "sampah")
    updates = await bot.get_updates(timeout=0)

    queries = [u.callback_query for u in updates if u.callback_query]
    assert [q.data for q in queries] == ["q:old", "sampah"]
    assert all(q.message is not None and not q.message.is_accessible for q in queries)


async def test_the_reply_keyboard_is_tracked_and_pressing_sends_its_text(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    siti = emulator.user(1001)
    await siti.send("/start")
    await bot.send_message(
        siti.chat_id, "Pilih peran", reply_markup=ReplyKeyboardMarkup([["Kader", "Pejabat"]])
    )
    assert siti.reply_keyboard() == [["Kader", "Pejabat"]]

    pressed = await siti.press("kader")
    await bot.send_message(siti.chat_id, "Oke", reply_markup=ReplyKeyboardRemove())

    assert pressed.text == "Kader"
    assert siti.reply_keyboard() == []
    with pytest.raises(AssertionError, match="not shown"):
        await siti.press("Kader")


async def test_wait_reply_waits_past_a_chat_action_for_the_real_answer(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    siti = emulator.user(1001)
    await siti.send("/chart")

    async def slow_bot() -> None:
        await bot.send_chat_action(siti.chat_id, "upload_photo")
        await emulator.activity.wait(0.3)
        await bot.send_message(siti.chat_id, "Grafik siap")

    task = asyncio.create_task(slow_bot())
    replies = await siti.wait_reply(timeout=3)
    await task

    assert [m.text for m in replies] == ["Grafik siap"]


async def test_wait_reply_fails_with_the_calls_and_transcript_when_the_bot_is_silent(
    emulator: TelegramEmulator,
) -> None:
    siti = emulator.user(1001)
    await siti.send("halo?")

    began = time.monotonic()
    with pytest.raises(
        AssertionError, match=r"did not reply to Siti within 0\.2s[\s\S]*Siti: halo\?"
    ):
        await siti.wait_reply(timeout=0.2)
    assert time.monotonic() - began < 1


async def test_the_transcript_shows_buttons_edits_deletions_and_answers_in_order(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    siti = emulator.user(1001)
    await siti.send("/start")
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Ya", callback_data="y"),
                InlineKeyboardButton("Tidak", callback_data="n"),
            ]
        ]
    )
    question = await bot.send_message(
        siti.chat_id, "Apakah ada balita?\n(usia 0-5)", reply_markup=keyboard
    )
    query = await siti.tap("Ya")
    await bot.answer_callback_query(query.query_id, "Dicatat", show_alert=True)
    await bot.edit_message_text("Apakah ada balita? Ya", siti.chat_id, question.message_id)
    notice = await bot.send_message(siti.chat_id, "sementara")
    await bot.delete_message(siti.chat_id, notice.message_id)

    assert siti.transcript() == (
        "Siti: /start\n"
        "Bot: Apakah ada balita? Ya (diedit)\n"
        "Siti: (ketuk) [Ya]\n"
        "Bot: (peringatan) Dicatat\n"
        "Bot: sementara (dihapus)"
    )


async def test_a_multiline_message_with_buttons_is_indented_under_the_speaker(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    siti = emulator.user(1001)
    await siti.send("/start")
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Ya", callback_data="y"),
                InlineKeyboardButton("Tidak", callback_data="n"),
            ],
            [InlineKeyboardButton("« Kembali", callback_data="back")],
        ]
    )
    await bot.send_message(siti.chat_id, "Pertanyaan 3 dari 40\nAda balita?", reply_markup=keyboard)

    assert siti.transcript().splitlines()[1:] == [
        "Bot: Pertanyaan 3 dari 40",
        "     Ada balita?",
        "     [Ya] [Tidak]",
        "     [« Kembali]",
    ]


async def test_wait_reply_can_insist_on_a_message_after_an_early_callback_answer(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    siti = emulator.user(1001)
    await siti.send("/start")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Kirim", callback_data="submit")]])
    question = await bot.send_message(siti.chat_id, "Kirim data?", reply_markup=keyboard)
    query = await siti.tap("Kirim")

    async def answer_then_work() -> None:
        await bot.answer_callback_query(query.query_id)
        await asyncio.sleep(0.2)  # the slow database commit the handler does before editing
        await bot.edit_message_text("Terkirim", siti.chat_id, question.message_id)

    task = asyncio.create_task(answer_then_work())
    replies = await siti.wait_reply(quiet=0.05, min_messages=1)
    await task

    assert [m.text for m in replies] == ["Terkirim"]
