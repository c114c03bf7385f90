"""The bot's HTTP requests, retried when Telegram failed or the request never left.

PTB retries nothing by itself: one 502 from Telegram (or a proxy) on the sendMessage that carries
the next question, and the kader sees her answer ticked but no question; she then types
something, which is taken as the answer to a question she never saw. Retrying is safe when the
call certainly had no effect:

- Telegram answered 5xx: its own failure, the call was not carried out;
- the connection could not be made (connect error, connect or pool timeout): nothing was sent.

When the request was sent but no answer came (read timeout, connection dropped) the call may
have been carried out, so only calls that are harmless twice are retried (answering a button,
edits, chat actions, reads, settings); a sendMessage/sendPhoto/sendDocument is not, because the
kader would see the message twice, and the alert sender counts such uncertain attempts itself.
The rate limiter (429) sits above this layer: `bot.telegram.rate_limiter`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Final

import httpx
from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.error import NetworkError
from telegram.request import HTTPXRequest, RequestData

__all__ = ["IDEMPOTENT_METHODS", "RetryingRequest"]

log = logging.getLogger(__name__)

RETRY_DELAYS: Final = (0.5, 1.5)
"""Pauses before the second and third attempt: a short Telegram hiccup is ridden out within
about two seconds, well inside a kader's patience."""
IDEMPOTENT_METHODS: Final = frozenset(
    name.lower()
    for name in (
        "answerCallbackQuery",  # a second answer is refused as "query is too old": harmless
        "editMessageText", "editMessageReplyMarkup", "editMessageCaption",  # "not modified"
        "deleteMessage", "sendChatAction", "getMe", "getFile", "getChat", "getWebhookInfo",
        "setWebhook", "deleteWebhook", "setMyCommands", "deleteMyCommands", "getMyCommands",
    )
)
_NEVER_SENT: Final = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def _method(url: str) -> str:
    return url.rsplit("/", 1)[-1].lower()


def _never_sent(error: NetworkError) -> bool:
    return isinstance(error.__cause__, _NEVER_SENT)


class RetryingRequest(HTTPXRequest):
    """`HTTPXRequest` that retries a call which certainly had no effect (see the module)."""

    def __init__(
        self, *args: object, retry_delays: Sequence[float] = RETRY_DELAYS, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._retry_delays = tuple(retry_delays)

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        name = _method(url)
        for attempt, delay in enumerate((*self._retry_delays, None), start=1):
            try:
                status, payload = await super().do_request(
                    url, method, request_data, read_timeout, write_timeout, connect_timeout,
                    pool_timeout,
                )
            except NetworkError as error:  # TimedOut included
                retry = _never_sent(error) or name in IDEMPOTENT_METHODS
                if delay is None or not retry:
                    raise
                reason = f"{type(error).__name__} ({type(error.__cause__).__name__})"
            else:
                if status < 500 or delay is None:
                    return status, payload
                reason = f"HTTP {status}"
            log.warning("%s failed with %s; attempt %d again in %.1f s",
                        name, reason, attempt + 1, delay)
            await asyncio.sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")
