"""Webhook mode answers a button tap inside the webhook's HTTP response: a tapped answer makes
one outgoing Bot API call (the edit of its card), and every tap is still answered exactly once,
by a call of its own when the response could not wait for it."""

from __future__ import annotations

import pytest

from bot.emulator import EmulatedUser
from tests.e2e.kader_steps import FAMILY_A, act, current_question, give, is_choice
from tests.e2e.webhook_harness import (
    WebhookHarness,
    webhook_harness_fixture,  # noqa: F401  (the `webhook_harness` fixture)
)


async def on_a_button_question(harness: WebhookHarness, siti: EmulatedUser) -> str:
    """Start a family and type its opening answers until a question is asked with buttons."""
    await act(harness, siti, siti.send("/survei"))
    while not is_choice(question := current_question(siti) or ""):
        await give(harness, siti, question, FAMILY_A[question])
    return question


async def test_a_tapped_answer_makes_one_outgoing_call_and_its_tap_is_answered_in_the_response(
    webhook_harness: WebhookHarness,
) -> None:
    harness, emu = webhook_harness, webhook_harness.emulator
    siti = await harness.kader(1001)
    question = await on_a_button_question(harness, siti)
    since = emu.last_seq

    await give(harness, siti, question, FAMILY_A[question])
    await harness.settle()

    made = emu.calls(since=since)
    # The response and the edit travel at the same time: their order is not fixed.
    assert sorted((c.method, c.in_webhook_reply) for c in made) == [
        ("answerCallbackQuery", True),
        ("editMessageText", False),
    ]
    assert all(c.ok for c in made)
    [answered] = [a for a in emu.callback_answers(siti.id) if a.query_id in {
        c.params["callback_query_id"] for c in made if c.method == "answerCallbackQuery"}]
    assert answered.text is None  # the card changing is the answer; no toast
    assert current_question(siti) not in (None, question)
    assert harness.server is not None and harness.server.replied == 1


@pytest.mark.parametrize("db_backend", ["sqlite"])
async def test_with_no_wait_every_tap_is_answered_once_by_a_call_of_its_own(
    webhook_harness: WebhookHarness,
) -> None:
    harness, emu = webhook_harness, webhook_harness.emulator
    await harness.stop()
    harness.reply_wait = 0.0
    await harness.start()
    siti = await harness.kader(1001)
    question = await on_a_button_question(harness, siti)
    since = emu.last_seq

    await give(harness, siti, question, FAMILY_A[question])
    await harness.settle()

    made = emu.calls(since=since)
    assert sorted((c.method, c.in_webhook_reply) for c in made) == [
        ("answerCallbackQuery", False),
        ("editMessageText", False),
    ]
    assert all(c.ok for c in made)
    assert harness.server is not None and harness.server.replied == 0
    assert all(query.answered for query in emu.state.queries.values())
