"""Webhook mode answers a button tap inside the webhook's HTTP response: a tapped answer makes
one outgoing Bot API call (the edit of its card), and every tap is still answered exactly once,
by a call of its own when the response could not wait for it."""

from __future__ import annotations

import pytest

from bot.emulator import ApiCall, EmulatedUser
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


async def tap_one_answer(harness: WebhookHarness, siti: EmulatedUser) -> list[ApiCall]:
    """Tap the answer to the first button question; the calls the bot made for it, sorted (the
    response and the edit travel at the same time: their order is not fixed)."""
    emu = harness.emulator
    question = await on_a_button_question(harness, siti)
    since = emu.last_seq
    await give(harness, siti, question, FAMILY_A[question])
    await harness.settle()
    assert current_question(siti) not in (None, question)
    made = emu.calls(since=since)
    assert all(c.ok for c in made)
    return sorted(made, key=lambda c: (c.method, c.in_webhook_reply))


async def test_a_tapped_answer_makes_one_outgoing_call_and_its_tap_is_answered_in_the_response(
    webhook_harness: WebhookHarness,
) -> None:
    harness = webhook_harness
    siti = await harness.kader(1001)

    made = await tap_one_answer(harness, siti)

    assert [(c.method, c.in_webhook_reply) for c in made] == [
        ("answerCallbackQuery", True),
        ("editMessageText", False),
    ]
    query_id = made[0].params["callback_query_id"]
    [answered] = [a for a in harness.emulator.callback_answers(siti.id) if a.query_id == query_id]
    assert answered.text is None  # the card changing is the answer; no toast
    assert harness.server is not None and harness.server.replied == 1


@pytest.mark.parametrize("db_backend", ["sqlite"])
async def test_with_no_wait_every_tap_is_answered_once_by_a_call_of_its_own(
    webhook_harness: WebhookHarness,
) -> None:
    harness = webhook_harness
    await harness.stop()
    harness.reply_wait = 0.0
    await harness.start()
    siti = await harness.kader(1001)

    made = await tap_one_answer(harness, siti)

    assert [(c.method, c.in_webhook_reply) for c in made] == [
        ("answerCallbackQuery", False),
        ("editMessageText", False),
    ]
    assert harness.server is not None and harness.server.replied == 0
    assert all(query.answered for query in harness.emulator.state.queries.values())
