"""Answering a button tap inside the webhook's HTTP response instead of with a call of its own.

Telegram lets a webhook's response carry one Bot API method ("method" plus its parameters as the
JSON body); it is carried out as if called, but nothing tells the bot whether it worked. That
suits `answerCallbackQuery` (stopping the button's spinner, perhaps with a toast): its result is
never read and a failure is harmless. A tapped answer then makes one outgoing call, the edit of
its card, instead of two: less CPU per answer and one round trip less to Telegram.

The webhook server opens a slot for each callback query before queueing its update and holds
the response up to `REPLY_WAIT` seconds. The handler answers the tap right after its commit (a
few milliseconds); `IkkBot` offers that answer to the slot, and it leaves with the response. A
slot that is closed (the wait ran out, the update came by polling, a second answer) refuses the
offer, and the bot makes the call as usual, so nothing depends on the slot being there.
"""

from __future__ import annotations

import asyncio
from typing import Any, Final

__all__ = ["REPLY_WAIT", "WebhookReplies"]

REPLY_WAIT: Final = 0.5
"""Seconds the webhook response waits for the tap's answer. Telegram keeps the connection (one
of the webhook's `max_connections`) busy meanwhile, so the hold is short; a handler that is
slower than this (a queue behind the kader's previous update) answers with a call instead."""

_JSON_TYPES: Final = (str, int, float, bool)


class WebhookReplies:
    """Open slots, one per callback query being delivered over the webhook."""

    def __init__(self) -> None:
        self._slots: dict[str, asyncio.Future[dict[str, Any]]] = {}

    def __len__(self) -> int:
        return len(self._slots)

    def open(self, query_id: str) -> asyncio.Future[dict[str, Any]]:
        """A slot for the answer to `query_id` (a redelivered query replaces its old slot)."""
        slot: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        old = self._slots.pop(query_id, None)
        if old is not None and not old.done():
            old.cancel()
        self._slots[query_id] = slot
        return slot

    def offer(self, method: str, params: dict[str, Any]) -> bool:
        """Put `method(params)` into the response of the slot it answers; False (make the
        call) when there is no open slot or a parameter is not plain JSON."""
        query_id = params.get("callback_query_id")
        if method != "answerCallbackQuery" or not isinstance(query_id, str):
            return False
        body = {name: value for name, value in params.items() if value is not None}
        if not all(isinstance(value, _JSON_TYPES) for value in body.values()):
            return False  # e.g. a timedelta cache_time: PTB's request layer converts those
        slot = self._slots.pop(query_id, None)
        if slot is None or slot.done():
            return False
        slot.set_result({"method": method, **body})
        return True

    async def wait(
        self, query_id: str, slot: asyncio.Future[dict[str, Any]], seconds: float = REPLY_WAIT
    ) -> dict[str, Any] | None:
        """The body the response should carry, or None when no answer came within `seconds`
        (the slot is closed then, so a later answer is made as a call)."""
        try:
            await asyncio.wait({slot}, timeout=seconds)
        finally:
            # No await between the wait and closing the slot: an offer either came before
            # (and is returned here) or finds the slot gone and makes the call.
            if self._slots.get(query_id) is slot:
                del self._slots[query_id]
        if slot.done() and not slot.cancelled():
            return slot.result()
        slot.cancel()
        return None
