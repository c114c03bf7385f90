"""Which bot an update came through: Telegram numbers updates per bot, so a claimed update is
keyed by (bot id, update id).

The bot id is the number before ':' in the token (public: it is the bot's user id). It travels
as a context variable set by each Application's update processor for the update it runs, so the
many services that claim an update inside their own transaction need no extra argument; code
outside an update (CLI, jobs, tests calling services directly) gets `NO_BOT` (0), the key every
claim had before several bots existed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Final

__all__ = ["NO_BOT", "bot_id_of", "current_bot_id", "serving_bot"]

NO_BOT: Final = 0

_current: ContextVar[int] = ContextVar("ikk_bot_id", default=NO_BOT)


def bot_id_of(token: str) -> int:
    """The bot's numeric id from its token; `NO_BOT` for a token without one (Telegram refuses
    such a token at start anyway, with a clear message from `ikk-bot run`)."""
    prefix, sep, _ = token.strip().partition(":")
    return int(prefix) if sep and prefix.isdigit() else NO_BOT


def current_bot_id() -> int:
    """The bot of the update being handled now (`NO_BOT` outside an update)."""
    return _current.get()


@contextmanager
def serving_bot(bot_id: int) -> Iterator[None]:
    """Within this block, updates are claimed as `bot_id`'s."""
    reset = _current.set(bot_id)
    try:
        yield
    finally:
        _current.reset(reset)
