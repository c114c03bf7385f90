"""The bot's pacing and its answer to Telegram's 429: a kader's reply waits, it is never lost.

Every answer is committed before the bot replies (design decision 1), so when Telegram refuses
the reply with 429 "retry after N" the only thing at stake is the reply itself: the call waits N
seconds (plus a margin) and is sent again, at most `max_retries` times. A 429 is a refusal, not
a maybe: the refused call took no effect, so resending it never shows a message twice.

Why not PTB's `AIORateLimiter` (which this replaces):

- its 429 halt stops *every* request of the bot, callback answers included, for N + 0.1 s. On
  the answer path most 429s are the per-chat limit (about 1 message/s in one chat, short bursts
  tolerated: one cadre tapping fast), so one quick cadre made every other cadre's button spin;
- in PTB 22.8 that halt is also released early by any other request that finishes meanwhile
  (python-telegram-bot issue #5338, fixed after 22.8), so under load the halt was leaky;
- its pacer lets a full second's worth (30) through at once, the whole of Telegram's
  tolerance, so the smallest timing jitter between here and Telegram gives a 429.

Here a 429 halts only the chat it came from (calls without a chat: only those), as a deadline
that nothing but time releases; other chats and callback answers go on. When the halt ends, the
chat's waiting calls go out one per `retry_after` rather than all at once (a tapped answer
edits the old question and sends the next one together): released together they would meet an
almost empty per-chat allowance, be refused again, and use up their retries. Calls that carry a
`chat_id` share one pacer at `overall_max_rate` a second with bursts of at most `PACER_BURST`.
Broadcasts do not come through here: the alert sender has its own paced outbox.
"""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any, Final

from aiolimiter import AsyncLimiter
from telegram._utils.types import JSONDict
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

__all__ = ["PACER_BURST", "RETRY_MARGIN", "ReplyRateLimiter"]

log = logging.getLogger(__name__)

PACER_BURST: Final = 20
"""Calls let through at once before the pacer spaces them out; 10 below Telegram's tolerance
of about 30, so a burst that arrives a little bunched up is not refused."""
RETRY_MARGIN: Final = 0.1
"""Seconds added to Telegram's `retry_after` (whole seconds) before trying again."""
_PRUNE_AT: Final = 256

ChatKey = int | str | None
Callback = Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]]


def retry_after_seconds(error: RetryAfter) -> float:
    """The wait Telegram asked for, in seconds (PTB 22 warns `retry_after` becomes a
    timedelta; take either)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value: float | timedelta = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _chat_key(data: JSONDict) -> ChatKey:
    chat = data.get("chat_id")
    if isinstance(chat, bool) or chat is None:
        return None
    if isinstance(chat, int):
        return chat
    text = str(chat).strip()
    try:
        return int(text)
    except ValueError:
        return text  # "@channelname"


class ReplyRateLimiter(BaseRateLimiter[int]):
    """Paces chat calls at `overall_max_rate`/s (0: no pacing) and resends a call refused with
    429 after the wait Telegram asked for, at most `max_retries` times (per call:
    `rate_limit_args`)."""

    def __init__(
        self,
        overall_max_rate: float = 30.0,
        max_retries: int = 2,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._pacer: AsyncLimiter | None = None
        if overall_max_rate > 0:
            burst = min(PACER_BURST, max(1.0, overall_max_rate))
            self._pacer = AsyncLimiter(burst, burst / overall_max_rate)
        self._max_retries = max_retries
        self._clock = clock
        self._halted_until: dict[ChatKey, float] = {}
        self._spacing: dict[ChatKey, float] = {}

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    def halted_for(self, chat: ChatKey) -> float:
        """Seconds this chat's calls still wait because of a 429 (0: none)."""
        return max(0.0, self._halted_until.get(chat, 0.0) - self._clock())

    def _halt(self, chat: ChatKey, seconds: float) -> None:
        now = self._clock()
        if len(self._halted_until) >= _PRUNE_AT:
            for key, until in list(self._halted_until.items()):
                if until <= now:
                    del self._halted_until[key]
                    self._spacing.pop(key, None)
        self._spacing[chat] = seconds
        self._halted_until[chat] = max(now + seconds, self._halted_until.get(chat, 0.0))

    async def _wait_for(self, chat: ChatKey) -> None:
        waited = False
        while (wait := self.halted_for(chat)) > 0:
            waited = True
            await asyncio.sleep(wait)  # a later 429 or call may have moved the deadline
        if waited:  # the chat is backed up: the next waiting call goes one `retry_after` later
            self._halted_until[chat] = self._clock() + self._spacing.get(chat, 0.0)

    async def _send(self, chat: ChatKey, callback: Callback, args: Any,
                    kwargs: dict[str, Any]) -> bool | JSONDict | list[JSONDict]:
        await self._wait_for(chat)
        if chat is None or self._pacer is None:
            return await callback(*args, **kwargs)
        async with self._pacer:
            return await callback(*args, **kwargs)

    async def process_request(
        self,
        callback: Callback,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        """Send the call (paced); after a 429 wait `retry_after` + margin and send it again."""
        retries = self._max_retries if rate_limit_args is None else rate_limit_args
        chat = _chat_key(data)
        attempt = 0
        while True:
            try:
                return await self._send(chat, callback, args, kwargs)
            except RetryAfter as error:
                wait = retry_after_seconds(error) + RETRY_MARGIN
                self._halt(chat, wait)
                if attempt >= retries:
                    log.warning("%s refused by flood control %d times; giving up",
                                endpoint, attempt + 1)
                    raise
                attempt += 1
                log.info("%s refused by flood control; again in %.1f s", endpoint, wait)
