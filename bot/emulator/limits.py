"""Telegram's flood limits, so a benchmark shows what production will (design, turn 2).

The model, from Telegram's Bot FAQ ("My bot is hitting limits, how do I avoid this?",
core.telegram.org/bots/faq, copied in field notes §4): in one chat "avoid sending more than one
message per second. We may allow short bursts that go over this limit, but eventually you'll
begin receiving 429 errors"; to many users "not more than 30 messages per second or so". The
real limits are undocumented and adaptive; this is a deliberately plain reading of them:

- **What counts** (:data:`CAPPED_METHODS`): every call that puts a message into a chat or
  changes one: ``send*``, ``copyMessage(s)``, ``forwardMessage(s)``, ``edit*``. Calls that show
  nothing new in a chat are free: ``answerCallbackQuery``, ``sendChatAction``,
  ``deleteMessage(s)``, ``get*``, commands and webhook settings, ``getUpdates``. (Whether Telegram
  also counts deletions and chat actions is not published; leaving them free flatters the bot a
  little, but the bot's answer path never depends on them.)
- **Per token**: a token bucket of ``per_token_burst`` (30) refilled at ``per_token_rate``
  (30/s): 30 calls at once, then 30 a second, the same shape as PTB's own pacer
  (`aiolimiter`), so a bot that paces itself at 30/s is refused only at timing edges.
- **Per chat**: a token bucket of ``per_chat_burst`` (3) refilled at ``per_chat_rate`` (1/s).
  A burst of 3 is the "short burst" the FAQ tolerates: today a tapped answer costs two capped
  calls (tick the answered question, send the next) and one spare covers a notice; a cadre
  answering faster than one answer a second is refused, as she would be by Telegram.
- A refused call takes no effect and uses no capacity; the answer is HTTP 429
  ``{"ok": false, "error_code": 429, "description": "Too Many Requests: retry after N",
  "parameters": {"retry_after": N}}`` with N the whole seconds (at least 1, as Telegram's
  integer field) until the refusing bucket holds a token again. There is no extra penalty for
  retrying too early (Telegram may lengthen the wait; a bot that honours N never sees that).

Limits are off unless the emulator is given a :class:`RateLimits` (``TelegramEmulator(
rate_limits=RateLimits())``): the e2e suite's quick cadres would otherwise spend their time
waiting on the per-chat bucket. Benchmarks and the tests of flood behaviour switch them on.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.emulator.errors import ApiError

CAPPED_METHODS = frozenset(
    name.lower()
    for name in (
        "sendMessage", "sendPhoto", "sendDocument", "sendAudio", "sendVideo", "sendAnimation",
        "sendVoice", "sendVideoNote", "sendMediaGroup", "sendLocation", "sendVenue",
        "sendContact", "sendPoll", "sendDice", "sendSticker", "sendInvoice", "sendPaidMedia",
        "copyMessage", "copyMessages", "forwardMessage", "forwardMessages",
        "editMessageText", "editMessageCaption", "editMessageReplyMarkup", "editMessageMedia",
        "editMessageLiveLocation", "stopMessageLiveLocation", "stopPoll",
    )
)
"""Lower-cased Bot API methods that count against the flood limits (see the module)."""
_EPSILON = 1e-9


def is_capped(method: str) -> bool:
    """True for a call that counts against Telegram's message limits."""
    return method.lower() in CAPPED_METHODS


@dataclass(frozen=True)
class RateLimits:
    """The limits one bot token gets (defaults: Telegram's published guidance)."""

    per_token_rate: float = 30.0
    per_token_burst: float = 30.0
    per_chat_rate: float = 1.0
    per_chat_burst: float = 3.0


@dataclass
class _Bucket:
    rate: float
    capacity: float
    tokens: float
    updated: float

    def refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def wait(self) -> float:
        """Seconds until one token is there (0 if it is there now, rounding error forgiven)."""
        return 0.0 if self.tokens >= 1 - _EPSILON else (1 - self.tokens) / self.rate


def too_many_requests(seconds: float) -> ApiError:
    """Telegram's 429 answer with ``retry_after`` as whole seconds, at least 1."""
    retry_after = max(1, math.ceil(seconds - _EPSILON))
    return ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


@dataclass
class FloodControl:
    """Admits or refuses capped calls of one token; counts both per chat."""

    limits: RateLimits
    clock: Callable[[], float] = time.monotonic
    admitted: Counter[int | None] = field(default_factory=Counter)
    """Capped calls let through, per chat id (None: a call without a chat)."""
    refused: Counter[int | None] = field(default_factory=Counter)
    """Capped calls answered with 429, per chat id."""
    _token: _Bucket | None = None
    _chats: dict[int | None, _Bucket] = field(default_factory=dict)

    def admit(self, method: str, chat_id: int | None) -> None:
        """Take one token from the bot's and the chat's bucket, or raise the 429."""
        if not is_capped(method):
            return
        now = self.clock()
        limits = self.limits
        if self._token is None:
            self._token = _Bucket(
                limits.per_token_rate, limits.per_token_burst, limits.per_token_burst, now
            )
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = _Bucket(
                limits.per_chat_rate, limits.per_chat_burst, limits.per_chat_burst, now
            )
        self._token.refill(now)
        chat.refill(now)
        wait = max(self._token.wait(), chat.wait())
        if wait > 0:
            self.refused[chat_id] += 1
            raise too_many_requests(wait)
        self._token.tokens = max(0.0, self._token.tokens - 1)
        chat.tokens = max(0.0, chat.tokens - 1)
        self.admitted[chat_id] += 1
