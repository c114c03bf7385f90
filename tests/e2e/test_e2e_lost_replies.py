"""A reply the kader never got must not strand her, and must not misfile what she types next.

Issue 11: (1) the bot stored an answer but its next question never arrived; the kader tapped
the old button again and again and got only "Sudah tercatat." (2) a reply arrived late or not
at all; the kader typed "Ya" again and it was stored as the answer to the NEXT question.
The emulator's fault injection makes Telegram fail or stall; both databases.
"""

from __future__ import annotations

import asyncio

from bot.emulator import ChatMessage, EmulatedUser, Fault
from bot.services import messages
from bot.telegram import texts
from tests.e2e.conftest import BotHarness, stored_answers
from tests.e2e.kader_steps import FAMILY_A, act, answer_until, current_question, question_on

TELEGRAM_DOWN = ["sendMessage", "editMessageText", "editMessageReplyMarkup"]


async def at_pasangan(harness: BotHarness) -> tuple[EmulatedUser, ChatMessage]:
    siti = await harness.kader(1001)
    await act(harness, siti, siti.send("/survei"))
    await answer_until(harness, siti, FAMILY_A, stop_before="P_PASANGAN")
    question = siti.last_message()
    assert question is not None and question_on(question) == "P_PASANGAN"
    return siti, question


def data_of(message: ChatMessage, label: str) -> str:
    for row, data_row in zip(message.buttons, message.button_data, strict=True):
        for text, data in zip(row, data_row, strict=True):
            if text == label and data is not None:
                return data
    raise AssertionError(f"no [{label}] on {message.visible_text!r}")


def showing(siti: EmulatedUser, question: str) -> list[ChatMessage]:
    return [m for m in siti.messages() if question_on(m) == question]


async def answer_while_telegram_is_down(harness: BotHarness, siti: EmulatedUser) -> None:
    """Tap "Ya" on P_PASANGAN while every message and edit fails (after the bot's retries)."""
    harness.emulator.faults.outage(30, methods=TELEGRAM_DOWN)
    await siti.tap("Ya")
    await harness.settle(timeout=10)
    harness.emulator.faults.end_outage()


async def test_a_tap_on_a_recorded_answer_whose_reply_was_lost_brings_the_next_question(
    harness: BotHarness,
) -> None:
    siti, pasangan = await at_pasangan(harness)
    ya = data_of(pasangan, "Ya")
    await answer_while_telegram_is_down(harness, siti)
    assert (await stored_answers(harness))["P_PASANGAN"] == "ya"
    assert not showing(siti, "P_ANAK"), "the next question was lost"

    for _ in range(8):  # she taps the old button again, and again
        await siti.tap_data(pasangan.message_id, ya)
        await harness.settle()

    answers = [a.text for a in siti.callback_answers()[-8:]]
    assert answers == [texts.ALREADY_RECORDED] * 8
    assert len(showing(siti, "P_ANAK")) == 1, "one copy of the next question, not eight"
    assert current_question(siti) == "P_ANAK"
    card = siti.last_message()  # the live card, redrawn in place: it shows what was stored
    assert card is not None and card.message_id == pasangan.message_id
    assert card.visible_text.startswith("✔️ Ada pasangan: Ya"), card.visible_text
    assert (await stored_answers(harness))["P_PASANGAN"] == "ya"


async def test_a_repeated_tap_on_the_last_answer_brings_the_lost_review_card(
    harness: BotHarness,
) -> None:
    siti = await harness.kader(1001)
    await act(harness, siti, siti.send("/survei"))
    await answer_until(harness, siti, FAMILY_A, stop_before="KSB5")  # the last question
    last = siti.last_message()
    assert last is not None
    harness.emulator.faults.outage(30, methods=TELEGRAM_DOWN)
    await siti.tap("Tidak")
    await harness.settle(timeout=10)
    harness.emulator.faults.end_outage()
    assert not [m for m in siti.messages() if "Ringkasan jawaban" in (m.text or "")]

    await siti.tap_data(last.message_id, data_of(last, "Tidak"))
    await harness.settle()

    card = siti.last_message()
    assert card is not None and "Ringkasan jawaban" in (card.text or "")
    assert ["⬅️ Kembali", "✅ Kirim"] in card.buttons


async def test_a_repeated_tap_after_a_restart_still_brings_the_lost_question(
    harness: BotHarness,
) -> None:
    siti, pasangan = await at_pasangan(harness)
    ya = data_of(pasangan, "Ya")
    await answer_while_telegram_is_down(harness, siti)
    await harness.restart()  # the bot's memory is gone; the database still knows

    await siti.tap_data(pasangan.message_id, ya)
    await harness.settle()

    assert siti.last_callback_answer().text == texts.ALREADY_RECORDED  # type: ignore[union-attr]
    assert current_question(siti) == "P_ANAK"


async def test_a_double_tap_on_a_question_already_answered_sends_nothing_new(
    harness: BotHarness,
) -> None:
    siti, pasangan = await at_pasangan(harness)
    ya = data_of(pasangan, "Ya")
    await act(harness, siti, siti.tap("Ya"))
    count = len(siti.messages())

    for _ in range(3):
        await siti.tap_data(pasangan.message_id, ya)
        await harness.settle()

    assert len(siti.messages()) == count
    assert current_question(siti) == "P_ANAK"


async def test_ya_typed_while_the_next_question_is_late_is_not_stored_as_its_answer(
    harness: BotHarness,
) -> None:
    # A typed answer's next question comes as a new card (a tap's: the next test).
    siti = await harness.kader(1001)
    await act(harness, siti, siti.send("/survei"))
    await answer_until(harness, siti, FAMILY_A, stop_before="H_ANGGOTA")
    harness.emulator.faults.add("sendMessage", Fault.slow(1.0), chat_id=siti.chat_id)
    await siti.send("2")  # H_ANGGOTA; the next question (P_PASANGAN) is on its way, slowly
    await asyncio.sleep(0.3)
    typed = await siti.send("Ya")  # she thinks her answer was lost and types "Ya" ahead
    await harness.settle(timeout=10)

    question = showing(siti, "P_PASANGAN")[0]
    assert typed.message_id < question.message_id, "the text was typed before P_PASANGAN came"
    stored = await stored_answers(harness)
    assert stored["H_ANGGOTA"] == "2"
    assert "P_PASANGAN" not in stored, "a text typed before P_PASANGAN was shown answered it"
    last = siti.last_message()
    assert last is not None and question_on(last) == "P_PASANGAN"
    assert messages.UNSEEN in last.visible_text

    await act(harness, siti, siti.send("Tidak"))  # typed after seeing it: that is her answer
    assert (await stored_answers(harness))["P_PASANGAN"] == "tidak"


async def test_ya_typed_while_the_card_is_being_moved_on_is_not_stored_as_the_next_answer(
    harness: BotHarness,
) -> None:
    siti, card = await at_pasangan(harness)
    harness.emulator.faults.add("editMessageText", Fault.slow(1.0), chat_id=siti.chat_id)
    await siti.tap("Ya")  # P_PASANGAN; the card turns into P_ANAK, slowly
    await asyncio.sleep(0.3)
    await siti.send("Ya")  # she thinks her tap was lost and types it again
    await harness.settle(timeout=10)

    stored = await stored_answers(harness)
    assert stored["P_PASANGAN"] == "ya"
    assert "P_ANAK" not in stored, "a text typed before P_ANAK was shown answered it"
    last = siti.last_message()
    assert last is not None and question_on(last) == "P_ANAK"
    assert messages.UNSEEN in last.visible_text
    assert last.message_id > card.message_id, "asked again below her text"

    await act(harness, siti, siti.send("Tidak"))  # typed after seeing it: that is her answer
    assert (await stored_answers(harness))["P_ANAK"] == "tidak"


async def test_ya_typed_after_a_lost_question_is_not_stored_and_the_question_is_sent(
    harness: BotHarness,
) -> None:
    siti, _ = await at_pasangan(harness)
    await answer_while_telegram_is_down(harness, siti)
    await harness.restart()

    await act(harness, siti, siti.send("Ya"))

    assert "P_ANAK" not in await stored_answers(harness)
    last = siti.last_message()
    assert last is not None and question_on(last) == "P_ANAK"
    assert messages.UNSEEN in last.visible_text
    await act(harness, siti, siti.send("Ya"))
    assert (await stored_answers(harness))["P_ANAK"] == "ya"


async def test_a_command_is_never_taken_for_a_stale_answer(harness: BotHarness) -> None:
    siti, _ = await at_pasangan(harness)
    await answer_while_telegram_is_down(harness, siti)

    await act(harness, siti, siti.send("/lanjut"))

    assert "P_ANAK" not in await stored_answers(harness)
    assert messages.UNSEEN not in (siti.last_message().visible_text or "")  # type: ignore[union-attr]
