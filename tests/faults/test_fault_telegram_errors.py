"""Telegram failing the bot's calls: 5xx answers, dropped connections, a short outage and a
reply that times out. Calls that certainly had no effect are retried, so the kader sees her next
question exactly once; nothing is stored twice; and when Telegram stays down longer than the
retries, her next message brings the question back."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.db.models import Answer, ProcessedUpdate
from bot.emulator import EmulatedUser, Fault
from bot.telegram import texts
from tests.e2e.conftest import BotHarness
from tests.e2e.kader_steps import FAMILY_A, act, answer_until, current_question, question_on


async def at_p_pasangan(harness: BotHarness) -> EmulatedUser:
    siti = await harness.kader(1001)
    await act(harness, siti, siti.send("/survei"))
    await answer_until(harness, siti, FAMILY_A, stop_before="P_PASANGAN")
    return siti


async def answers_by_question(harness: BotHarness) -> dict[str, int]:
    async with harness.database.session_factory() as session:
        rows = await session.execute(
            select(Answer.question, func.count()).group_by(Answer.question)
        )
        return {question: count for question, count in rows.all()}


def times_shown(siti: EmulatedUser, question: str) -> int:
    return sum(1 for m in siti.messages() if question_on(m) == question)


async def test_a_5xx_on_the_next_question_is_retried_and_it_arrives_once(
    harness: BotHarness,
) -> None:
    emu = harness.emulator
    siti = await at_p_pasangan(harness)
    # A tap's next question is its card edited in place.
    emu.faults.add("editMessageText", Fault.server_error(500), chat_id=siti.chat_id)
    emu.faults.add("editMessageText", Fault.server_error(502, "Bad Gateway"),
                   chat_id=siti.chat_id)

    await act(harness, siti, siti.tap("Ya"))

    assert current_question(siti) == "P_ANAK"
    assert times_shown(siti, "P_ANAK") == 1
    statuses = [c.status for c in emu.calls("editMessageText", chat_id=siti.chat_id)]
    assert statuses[-3:] == [500, 502, 200]
    assert set((await answers_by_question(harness)).values()) == {1}


@pytest.mark.parametrize("db_backend", ["sqlite"])
async def test_the_button_is_answered_through_a_5xx_and_a_dropped_connection(
    harness: BotHarness,
) -> None:
    emu = harness.emulator
    siti = await at_p_pasangan(harness)
    emu.faults.add("answerCallbackQuery", Fault.server_error(503, "Service Unavailable"))
    emu.faults.add("answerCallbackQuery", Fault.drop_connection())
    emu.faults.add("editMessageText", Fault.drop_connection())

    tap = await siti.tap("Ya")
    await emu.wait_for(lambda: tap.answered, timeout=10, what="the button to be answered")
    await harness.settle(10)

    answering = [c.status or "dropped" for c in emu.calls("answerCallbackQuery")]
    assert answering[-3:] == [503, "dropped", 200]
    assert current_question(siti) == "P_ANAK" and times_shown(siti, "P_ANAK") == 1
    assert not [m for m in siti.messages() if m.buttons and question_on(m) == "P_PASANGAN"]
    assert set((await answers_by_question(harness)).values()) == {1}


@pytest.mark.parametrize("db_backend", ["sqlite"])
async def test_a_one_second_telegram_outage_is_ridden_out(harness: BotHarness) -> None:
    emu = harness.emulator
    siti = await at_p_pasangan(harness)
    emu.faults.outage(1.0, status=502, description="Bad Gateway",
                      methods=["sendMessage", "editMessageText", "answerCallbackQuery"])

    tap = await siti.tap("Ya")
    await harness.settle(10)

    assert tap.answered
    assert current_question(siti) == "P_ANAK" and times_shown(siti, "P_ANAK") == 1
    assert 502 in [c.status for c in emu.calls()], "the outage was met"
    assert set((await answers_by_question(harness)).values()) == {1}


@pytest.mark.parametrize("db_backend", ["sqlite"])
async def test_a_question_whose_sending_timed_out_is_not_sent_twice(harness: BotHarness) -> None:
    """The call may have arrived (here it does, late): a retry would show the question twice."""
    emu = harness.emulator
    siti = await at_p_pasangan(harness)
    tapped, shown_before = emu.last_seq, len(siti.messages())
    # PTB waits 5 s; a tap's next question is its card edited in place.
    emu.faults.add("editMessageText", Fault.slow(5.6), chat_id=siti.chat_id)

    await siti.tap("Ya")
    await emu.wait_for(lambda: times_shown(siti, "P_ANAK") == 1, timeout=10,
                       what="the late question")
    await harness.settle(10)

    assert times_shown(siti, "P_ANAK") == 1
    # No new message: a timed-out edit may be repeated (it is idempotent), a send may not.
    assert not emu.calls("sendMessage", chat_id=siti.chat_id, since=tapped)
    assert len(siti.messages()) == shown_before
    assert set((await answers_by_question(harness)).values()) == {1}


@pytest.mark.parametrize("db_backend", ["sqlite"])
async def test_after_an_outage_longer_than_the_retries_her_next_message_shows_the_question(
    harness: BotHarness,
) -> None:
    emu = harness.emulator
    siti = await at_p_pasangan(harness)
    emu.faults.outage(2.5, status=502, description="Bad Gateway",
                      methods=["sendMessage", "editMessageText"])

    await siti.tap("Ya")  # stored; the card cannot be moved on to the next question
    await harness.settle(10)
    assert current_question(siti) == "P_PASANGAN"
    await emu.wait_for(lambda: emu.faults.take("sendMessage", None) is None, timeout=5,
                       what="the outage to end")

    await act(harness, siti, siti.send_sticker())  # anything but text: nothing is stored

    assert current_question(siti) == "P_ANAK" and times_shown(siti, "P_ANAK") == 1
    assert texts.TEXT_ONLY in (siti.last_message().text or "")  # type: ignore[union-attr]
    assert set((await answers_by_question(harness)).values()) == {1}
    async with harness.database.session_factory() as session:
        handled = await session.scalar(select(func.count()).select_from(ProcessedUpdate))
    assert handled is not None and handled > 0
