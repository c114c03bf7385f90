"""Bad input for every handler, faults, and secrets: the bot stays polite, correct and quiet.

Every test also checks (in the `harness` fixture) that no callback query was left unanswered.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.models import Answer, AppUser, Role
from bot.emulator import EmulatedUser, Fault
from bot.telegram import texts
from bot.telegram.callback_data import CallbackData, Kind, decode
from tests.e2e.conftest import KECAMATAN_SAMPANAHAN, BotHarness, stored_answers
from tests.e2e.kader_steps import FAMILY_A, act, answer_until, current_question, give


async def started(harness: BotHarness, stop_before: str = "P_PASANGAN") -> EmulatedUser:
    siti = await harness.kader(1001)
    await act(harness, siti, siti.send("/survei"))
    await answer_until(harness, siti, FAMILY_A, stop_before=stop_before)
    return siti


async def settle(harness: BotHarness) -> None:
    await harness.settle()


# ------------------------------------------------------------------------------ buttons


def live_data(siti: EmulatedUser) -> CallbackData:
    message = siti.last_message()
    assert message is not None
    decoded = decode(message.button_data[0][0])
    assert decoded is not None
    return decoded


@pytest.mark.parametrize("db_backend", ["sqlite"])
async def test_garbage_button_data_is_answered_and_changes_nothing(harness: BotHarness) -> None:
    siti = await started(harness)
    live = live_data(siti)
    message_id = siti.last_message().message_id  # type: ignore[union-attr]
    before = await stored_answers(harness)
    garbage = [
        "garbage",
        "",
        "1a",
        "2a1.4.3.0",  # a future format version
        "1z1.4.3.0",  # an unknown kind
        "1a01.4.3.0",  # not canonical (leading zero)
        CallbackData(Kind.ANSWER, live.response_id, 9999, live.version).encode(),
        CallbackData(Kind.ANSWER, live.response_id, live.question, live.version, 7).encode(),
        CallbackData(Kind.EDIT, live.response_id, 1, live.version + 5).encode(),
        CallbackData(Kind.OPEN_DRAFT, 987654).encode(),  # not her family
        CallbackData(Kind.VILLAGE, value=5).encode(),  # she has one village
    ]
    for data in garbage:
        await siti.tap_data(message_id, data)
        await settle(harness)

    assert await stored_answers(harness) == before
    assert [a.data for a in siti.callback_answers()] == garbage
    assert current_question(siti) == "P_PASANGAN"


@pytest.mark.parametrize("db_backend", ["sqlite"])
async def test_a_tap_on_a_deleted_message_is_still_answered(harness: BotHarness) -> None:
    siti = await started(harness)
    data = live_data(siti).encode()
    await siti.tap_data(424242, data)  # the message no longer exists: inaccessible
    await settle(harness)

    assert siti.last_callback_answer() is not None


async def test_a_stranger_tapping_a_button_is_answered_and_told_how_to_get_access(
    harness: BotHarness,
) -> None:
    budi = harness.emulator.user(5005, "Budi")
    await budi.tap_data(1, CallbackData(Kind.NEXT_FAMILY).encode())
    await settle(harness)

    assert budi.last_callback_answer() is not None
    assert [m.text for m in budi.messages()] == [texts.ACCESS]


# ------------------------------------------------------------------------------ messages


@pytest.mark.parametrize("db_backend", ["sqlite"])
async def test_text_over_a_thousand_characters_is_refused_politely(harness: BotHarness) -> None:
    siti = await started(harness, stop_before="H_KEPALA")
    await siti.send("A" * 1001)
    replies = await siti.wait_reply()

    assert [(m.text or "").split("\n\n")[0] for m in replies] == [texts.TOO_LONG]
    assert current_question(siti) == "H_KEPALA", "the question is shown again"
    assert await stored_answers(harness) == {}
    await give(harness, siti, "H_KEPALA", "Ahmad Fauzi")  # and she carries on


@pytest.mark.parametrize("db_backend", ["sqlite"])
async def test_photos_stickers_voice_locations_and_documents_get_a_polite_reply(
    harness: BotHarness,
) -> None:
    siti = await started(harness)
    sends = [
        siti.send_photo(caption="ini rumahnya"),
        siti.send_sticker(),
        siti.send_voice(),
        siti.send_location(-3.1, 116.2),
        siti.send_document(b"%PDF-1.4", "kk.pdf", mime_type="application/pdf"),
        siti.send_contact("+628123456789"),
    ]
    for sending in sends:
        await act(harness, siti, sending)
        reply = siti.last_message()
        assert reply is not None and (reply.text or "").startswith(texts.TEXT_ONLY)
        assert current_question(siti) == "P_PASANGAN"
    assert [m for m in siti.messages() if m.buttons] == [siti.last_message()]


@pytest.mark.parametrize("db_backend", ["sqlite"])
async def test_an_edited_answer_gets_a_note_and_changes_nothing(harness: BotHarness) -> None:
    siti = await started(harness, stop_before="H_KEPALA")
    typed = await siti.send("Ahmad Fauzi")
    await siti.wait_reply()

    await siti.edit(typed, "Budi Santoso")
    replies = await siti.wait_reply()

    assert [m.text for m in replies] == [texts.EDITED_IGNORED]
    assert (await stored_answers(harness))["H_KEPALA"] == "Ahmad Fauzi"


@pytest.mark.parametrize("db_backend", ["sqlite"])
async def test_an_edited_message_that_was_no_answer_is_ignored(harness: BotHarness) -> None:
    siti = await harness.kader(1001)
    command = await siti.send("/bantuan")
    await siti.wait_reply()
    shown = len(siti.messages())

    await siti.edit(command, "/bantuan lagi")
    await settle(harness)

    assert len(siti.messages()) == shown


async def test_messages_in_groups_are_ignored_and_commands_to_the_bot_get_one_hint(
    harness: BotHarness,
) -> None:
    siti = await harness.kader(1001)
    group = -100123
    await siti.send_in_group("halo semua", group)
    await siti.send_in_group("/survei", group)
    await siti.send_in_group("/survei@ikk_test_bot", group)
    await siti.send_in_group("/lanjut@ikk_test_bot", group)
    await settle(harness)

    said = harness.emulator.messages(group)
    assert [m.text for m in said] == [texts.PRIVATE_ONLY]
    async with harness.database.session_factory() as session:
        assert (await session.scalars(select(Answer))).all() == []


@pytest.mark.parametrize("db_backend", ["sqlite"])
async def test_an_unknown_command_points_to_bantuan(harness: BotHarness) -> None:
    siti = await harness.kader(1001)
    await siti.send("/hapus_semua")
    assert [m.text for m in await siti.wait_reply()] == [texts.UNKNOWN_COMMAND]


@pytest.mark.parametrize("db_backend", ["sqlite"])
async def test_a_malformed_update_is_logged_and_skipped_and_the_bot_goes_on(
    harness: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.telegram")
    emu = harness.emulator
    unreadable = emu.inject_raw_update({"message": "bukan pesan"})
    emu.inject_raw_update(
        {"message": {"message_id": 7, "date": 0, "chat": {"id": 55, "type": "private"}}}
    )
    emu.inject_raw_update({"poll": {"id": "1", "question": "?", "options": []}})
    siti = await started(harness, stop_before="H_KEPALA")

    await give(harness, siti, "H_KEPALA", "Ahmad Fauzi")
    assert f"update {unreadable['update_id']} could not be read" in caplog.text


@pytest.mark.parametrize("db_backend", ["sqlite"])
async def test_a_redelivered_command_is_not_answered_twice(harness: BotHarness) -> None:
    emu = harness.emulator
    siti = await harness.kader(1001)
    await siti.send("/bantuan")
    await siti.wait_reply()
    shown = len(siti.messages())

    emu.redeliver(max(emu.updates.issued))
    await settle(harness)

    assert len(siti.messages()) == shown


async def test_blocking_the_bot_marks_the_user_unreachable_and_unblocking_reachable(
    harness: BotHarness,
) -> None:
    siti = await harness.kader(1001)

    async def reachable() -> bool:
        async with harness.database.session_factory() as session:
            user = (await session.scalars(select(AppUser))).one()
            return user.reachable

    await siti.block()
    await settle(harness)
    assert await reachable() is False
    await siti.unblock()
    await settle(harness)
    assert await reachable() is True


# ------------------------------------------------------------------------------ faults


class Outage:
    """Makes the database unreachable: pooled connections are closed and every new connection
    is refused by the driver, as when the server is down or the disk is gone."""

    def __init__(self, engines: tuple[AsyncEngine, ...]) -> None:
        self.engines = engines
        self.down = False
        for engine in engines:  # the pool's connect event: the inline engine has its own creator
            event.listen(engine.sync_engine, "connect", self._connected)

    def _connected(self, dbapi_connection: Any, record: Any) -> None:
        if self.down:
            raise self.engines[0].dialect.loaded_dbapi.OperationalError(
                "connection refused (outage)"
            )

    async def begin(self) -> None:
        self.down = True
        for engine in self.engines:
            await engine.dispose()

    def end(self) -> None:
        self.down = False


async def test_a_database_failure_says_coba_lagi_and_keeps_the_draft(
    harness: BotHarness,
) -> None:
    siti = await started(harness)
    question = siti.last_message()
    assert question is not None
    before = await stored_answers(harness)
    outage = Outage(harness.database.engines)

    await outage.begin()
    await siti.tap("Ya")
    await settle(harness)
    assert siti.last_callback_answer().text == texts.TROUBLE  # type: ignore[union-attr]
    assert siti.last_message().text == texts.TROUBLE  # type: ignore[union-attr]
    await siti.send("ya")
    await settle(harness)
    assert siti.last_message().text == texts.TROUBLE  # type: ignore[union-attr]

    outage.end()
    assert await stored_answers(harness) == before
    await act(harness, siti, siti.tap("Ya", message=question))  # the same button now works
    assert current_question(siti) == "P_ANAK"


@pytest.mark.parametrize("db_backend", ["sqlite"])
async def test_flood_control_on_a_reply_is_retried_and_the_question_arrives(
    harness: BotHarness,
) -> None:
    emu = harness.emulator
    siti = await started(harness)
    # The reply to a tap is the live card edited in place.
    emu.faults.add("editMessageText", Fault.too_many_requests(retry_after=1),
                   chat_id=siti.chat_id)

    await give(harness, siti, "P_PASANGAN", "Ya")

    assert current_question(siti) == "P_ANAK"
    edits = emu.calls("editMessageText", chat_id=siti.chat_id)
    assert [c.status for c in edits][-2:] == [429, 200]


@pytest.mark.parametrize("db_backend", ["sqlite"])
async def test_a_user_who_blocked_the_bot_does_not_break_it(harness: BotHarness) -> None:
    emu = harness.emulator
    siti = await started(harness)
    budi = await harness.kader(1002)
    emu.set_blocked(siti.id, True)
    await siti.tap("Ya")  # the bot's reply is refused with 403
    await settle(harness)
    emu.set_blocked(siti.id, False)

    await act(harness, budi, budi.send("/survei"))
    assert current_question(budi) == "H_KEPALA"


# ------------------------------------------------------------------------------ secrets


async def test_the_token_never_appears_in_the_logs_even_at_debug(
    harness: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for noisy in ("httpx", "httpcore", "telegram", "telegram.ext", "bot"):
        caplog.set_level(logging.DEBUG, logger=noisy)
    token = harness.emulator.token
    await harness.restart()  # startup logs too
    siti = await started(harness)
    await give(harness, siti, "P_PASANGAN", "Ya")
    logging.getLogger("bot.test").error("a bot object: %r", harness.app.bot)  # type: ignore[union-attr]

    secret = token.split(":", 1)[1]
    logged = caplog.text + "".join(
        f"{r.getMessage()} {r.exc_text or ''} {r.stack_info or ''}" for r in caplog.records
    )
    assert "HTTP Request" in logged or "getUpdates" in logged, "debug logging was captured"
    assert "<token>" in logged
    assert token not in logged and secret not in logged


@pytest.mark.parametrize("db_backend", ["sqlite"])
async def test_commands_with_stray_words_still_do_their_job(harness: BotHarness) -> None:
    siti = await started(harness)
    for command in ("/lanjut 99", "/keluarga semua <b>", "/bantuan tolong", "/batal sekarang"):
        await siti.send(command)
        replies = await siti.wait_reply()
        assert replies and texts.TROUBLE not in [m.text for m in replies], command
    await act(harness, siti, siti.send("/survei keluarga baru"))
    assert current_question(siti) == "H_KEPALA"


async def test_officials_get_a_clear_answer_to_kader_commands_and_text(
    harness: BotHarness,
) -> None:
    pejabat = await harness.register(2001, Role.PEJABAT, KECAMATAN_SAMPANAHAN, first_name="Ahmad")
    await pejabat.send("/survei")
    assert [m.text for m in await pejabat.wait_reply()] == [texts.KADER_ONLY]
    await pejabat.send("berapa IKK desa Sepapah?")
    assert [m.text for m in await pejabat.wait_reply()] == [texts.OFFICIAL_IDLE]
