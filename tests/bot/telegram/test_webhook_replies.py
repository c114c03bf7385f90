"""Slots for answering a tap inside the webhook's response: an answer offered while the response
waits leaves with it; anything else (no slot, too late, not plain JSON, another method) is
refused, so the bot makes the call itself and no tap is left unanswered or answered twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.telegram.webhook_replies import WebhookReplies


def answer(query_id: str = "q1", text: str | None = "Tercatat") -> dict[str, object]:
    return {"callback_query_id": query_id, "text": text, "show_alert": None, "url": None,
            "cache_time": None}


async def test_an_answer_offered_while_the_response_waits_leaves_with_it() -> None:
    replies = WebhookReplies()
    slot = replies.open("q1")
    waiting = asyncio.create_task(replies.wait("q1", slot, 1.0))
    await asyncio.sleep(0)

    assert replies.offer("answerCallbackQuery", answer()) is True
    assert await waiting == {
        "method": "answerCallbackQuery", "callback_query_id": "q1", "text": "Tercatat",
    }
    assert len(replies) == 0


async def test_an_answer_given_before_the_response_starts_waiting_still_leaves_with_it() -> None:
    replies = WebhookReplies()
    slot = replies.open("q1")
    assert replies.offer("answerCallbackQuery", answer(text=None)) is True

    assert await replies.wait("q1", slot, 1.0) == {
        "method": "answerCallbackQuery", "callback_query_id": "q1",
    }


async def test_an_answer_after_the_wait_ran_out_is_refused_so_the_bot_makes_the_call() -> None:
    replies = WebhookReplies()
    slot = replies.open("q1")

    assert await replies.wait("q1", slot, 0.01) is None
    assert replies.offer("answerCallbackQuery", answer()) is False
    assert len(replies) == 0


async def test_a_wait_of_zero_closes_the_slot_at_once() -> None:
    replies = WebhookReplies()
    slot = replies.open("q1")

    assert await replies.wait("q1", slot, 0) is None
    assert replies.offer("answerCallbackQuery", answer()) is False


async def test_a_query_without_a_slot_is_answered_by_a_call() -> None:
    replies = WebhookReplies()
    replies.open("q1")

    assert replies.offer("answerCallbackQuery", answer("q2")) is False
    assert replies.offer("answerCallbackQuery", {"text": "tanpa id"}) is False


async def test_the_second_answer_to_one_tap_is_not_carried() -> None:
    replies = WebhookReplies()
    slot = replies.open("q1")

    assert replies.offer("answerCallbackQuery", answer(text="pertama")) is True
    assert replies.offer("answerCallbackQuery", answer(text="kedua")) is False
    assert (await replies.wait("q1", slot, 1.0) or {})["text"] == "pertama"


async def test_other_methods_and_values_that_are_not_plain_json_are_never_carried() -> None:
    replies = WebhookReplies()
    slot = replies.open("q1")

    assert replies.offer("sendMessage", {"callback_query_id": "q1", "text": "x"}) is False
    timed = {**answer(), "cache_time": timedelta(seconds=5)}
    assert replies.offer("answerCallbackQuery", timed) is False
    assert not slot.done()


async def test_a_redelivered_query_replaces_its_old_slot() -> None:
    replies = WebhookReplies()
    first = replies.open("q1")
    second = replies.open("q1")

    assert first.cancelled()
    assert replies.offer("answerCallbackQuery", answer()) is True
    assert second.done()
    assert await replies.wait("q1", first, 0.01) is None
    assert len(replies) == 0
