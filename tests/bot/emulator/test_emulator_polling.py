"""The real PTB Application in long-polling mode against the emulator, over real HTTP."""

from __future__ import annotations

import io
import time

import openpyxl
from conftest import CHART_PNG, EchoBot, build_echo_bot
from telegram import BotCommandScopeAllPrivateChats, BotCommandScopeChat

from bot.emulator import TelegramEmulator


async def test_start_with_payload_gets_a_reply_with_a_yes_no_keyboard(
    emulator: TelegramEmulator, polling_bot: EchoBot
) -> None:
    siti = emulator.user(1001)
    await siti.send("/start inv_abc")
    replies = await siti.wait_reply()

    assert [m.text for m in replies] == ["Halo Siti! Kode undangan: inv_abc"]
    assert replies[0].entities == [{"type": "bold", "offset": 5, "length": 4}]
    assert siti.keyboard() == [["Ya", "Tidak"]]


async def test_tapping_a_button_edits_the_message_and_answers_the_query(
    emulator: TelegramEmulator, polling_bot: EchoBot
) -> None:
    siti = emulator.user(1001)
    await siti.send("/start inv_abc")
    await siti.wait_reply()

    await siti.tap("ya")
    edited = await siti.wait_reply()

    assert [m.text for m in edited] == ["Jawaban: Ya"]
    assert siti.keyboard() == []
    answer = siti.last_callback_answer()
    assert answer is not None and answer.text == "Tersimpan: ya" and not answer.show_alert
    assert siti.transcript() == (
        "Siti: /start inv_abc\n"
        "Bot: Jawaban: Ya (diedit)\n"
        "Siti: (ketuk) [Ya]\n"
        "Bot: (notifikasi) Tersimpan: ya"
    )


async def test_plain_text_is_echoed_and_message_ids_increase_per_chat(
    emulator: TelegramEmulator, polling_bot: EchoBot
) -> None:
    siti = emulator.user(1001)
    budi = emulator.user(1002, first_name="Budi")
    first = await siti.send("satu")
    await siti.wait_reply()
    await budi.send("dua")
    await budi.wait_reply()
    second = await siti.send("tiga")
    await siti.wait_reply()

    assert [m.text for m in siti.messages()] == ["Kamu bilang: satu", "Kamu bilang: tiga"]
    ids = [m.message_id for m in emulator.chat(siti.chat_id).messages]
    assert ids == sorted(ids) and len(set(ids)) == 4
    assert first.message_id < second.message_id
    assert [m.message_id for m in emulator.chat(budi.chat_id).messages] == [1, 2]


async def test_photo_command_uploads_the_png_and_the_xlsx_bytes(
    emulator: TelegramEmulator, polling_bot: EchoBot
) -> None:
    siti = emulator.user(1001)
    await siti.send("/photo")
    # Two uploads: on a loaded machine the gap between them can exceed the quiet period.
    replies = await siti.wait_reply(min_messages=2)

    photo, document = replies
    assert photo.photo is not None and photo.photo.data == CHART_PNG
    assert photo.photo.image_size() == (40, 30)
    assert photo.caption == "Grafik IKK"
    assert document.document is not None and document.document.filename == "laporan.xlsx"
    sheet = openpyxl.load_workbook(io.BytesIO(document.document.data)).active
    assert sheet["A2"].value == "Sampanahan" and sheet["B2"].value == 72.5
    assert siti.chat_actions() == ["upload_photo"]
    lines = siti.transcript().splitlines()
    assert lines[1] == f"Bot: [foto grafik.png, {len(CHART_PNG)} B] Grafik IKK"
    assert lines[2].startswith("Bot: [dokumen laporan.xlsx, ") and lines[2].endswith(" KB]")


async def test_the_bot_downloads_a_photo_the_user_sent(
    emulator: TelegramEmulator, polling_bot: EchoBot
) -> None:
    siti = emulator.user(1001)
    sent = await siti.send_photo(caption="rumah")
    assert sent.photo is not None

    telegram_file = await polling_bot.app.bot.get_file(sent.photo.file_id)
    downloaded = await telegram_file.download_as_bytearray()

    assert bytes(downloaded) == sent.photo.data


async def test_commands_set_at_post_init_are_stored_per_scope_and_language(
    emulator: TelegramEmulator, polling_bot: EchoBot
) -> None:
    bot = polling_bot.app.bot
    assert emulator.commands() == [("start", "Mulai"), ("photo", "Kirim grafik")]
    assert emulator.commands({"type": "all_private_chats"}, "id") == [("start", "Mulai pendataan")]
    assert emulator.commands({"type": "all_private_chats"}) == []

    private = await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats(), language_code="id")
    assert [(c.command, c.description) for c in private] == [("start", "Mulai pendataan")]

    siti = emulator.user(1001)
    await siti.send("halo")
    await siti.wait_reply()
    await bot.set_my_commands([("ikk", "Lihat IKK")], scope=BotCommandScopeChat(siti.chat_id))
    assert emulator.commands({"type": "chat", "chat_id": siti.chat_id}) == [("ikk", "Lihat IKK")]
    await bot.delete_my_commands(scope=BotCommandScopeChat(siti.chat_id))
    assert await bot.get_my_commands(scope=BotCommandScopeChat(siti.chat_id)) == ()


async def test_a_redelivered_update_reaches_the_bot_again_with_the_same_id(
    emulator: TelegramEmulator, polling_bot: EchoBot
) -> None:
    siti = emulator.user(1001)
    await siti.send("halo")
    await siti.wait_reply()
    first_id = polling_bot.update_ids[-1]

    emulator.redeliver(first_id)
    await siti.send("lagi")
    await emulator.wait_for(lambda: len(polling_bot.update_ids) >= 3, what="three updates")

    assert polling_bot.update_ids.count(first_id) == 2
    later = await siti.send("sekali lagi")
    await siti.wait_reply()
    assert later.text == "sekali lagi"
    assert len(polling_bot.update_ids) == len(set(polling_bot.update_ids)) + 1


async def test_blocking_sends_my_chat_member_and_unblocking_restores_delivery(
    emulator: TelegramEmulator, polling_bot: EchoBot
) -> None:
    siti = emulator.user(1001)
    await siti.send("halo")
    await siti.wait_reply()

    await siti.block()
    await emulator.wait_for(lambda: len(polling_bot.member_changes) == 1, what="my_chat_member")
    await siti.unblock()
    await emulator.wait_for(lambda: len(polling_bot.member_changes) == 2, what="my_chat_member")

    assert polling_bot.member_changes == [
        (siti.chat_id, "member", "kicked"),
        (siti.chat_id, "kicked", "member"),
    ]


async def test_an_update_without_sender_or_text_is_ignored_and_the_bot_keeps_replying(
    emulator: TelegramEmulator, polling_bot: EchoBot
) -> None:
    emulator.inject_raw_update(
        {"message": {"message_id": 7, "date": 0, "chat": {"id": 55, "type": "private"}}}
    )
    siti = emulator.user(1001)
    await siti.send("masih hidup?")
    replies = await siti.wait_reply()

    assert [m.text for m in replies] == ["Kamu bilang: masih hidup?"]


async def test_stopping_a_polling_application_is_fast(emulator: TelegramEmulator) -> None:
    bot = build_echo_bot(emulator)
    app = bot.app
    async with app:
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=5)
        await app.start()
        await emulator.wait_for(
            lambda: any(not c.done for c in emulator.calls("getUpdates")), what="a long poll"
        )
        began = time.monotonic()
        emulator.release_pollers()
        await app.updater.stop()
        await app.stop()
        elapsed = time.monotonic() - began

    assert elapsed < 1.0
