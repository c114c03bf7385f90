"""Handle each user's updates in order while different users are served in parallel.

PTB either processes every update one after another (a slow database write for one cadre then
delays everyone) or all concurrently (two quick taps of one cadre then race each other). This
processor takes a lock per user: the second tap waits for the first to commit, so it sees the
new version and is answered "Sudah tercatat" instead of racing it (design, known traps). Within
one process only; the optimistic version check in the database is still the real guarantee.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.db.bot_id import NO_BOT, serving_bot

__all__ = ["PerUserSequentialProcessor", "update_key"]


def update_key(update: object) -> int | None:
    """Whose queue an update joins: the user, else the chat; None runs it unserialised."""
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return None


class PerUserSequentialProcessor(BaseUpdateProcessor):
    """At most `max_concurrent_updates` updates at once, one at a time per user, in arrival order.

    PTB creates one task per update in arrival order; each task takes its user's lock before its
    first suspension point, and `asyncio.Lock` wakes waiters first in, first out, so a user's
    updates run in the order Telegram sent them.

    Each update runs as `bot_id`'s (`bot.db.bot_id`): update ids are numbered per bot, so its
    claim is keyed by the bot too.
    """

    def __init__(self, max_concurrent_updates: int = 256, *, bot_id: int = NO_BOT) -> None:
        super().__init__(max_concurrent_updates)
        self.bot_id = bot_id
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}
        self._newest: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        with serving_bot(self.bot_id):
            await self._in_order(update, coroutine)

    async def _in_order(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = update_key(update)
        if key is None:
            await coroutine
            return
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        self._users[key] = self._users.get(key, 0) + 1
        if isinstance(update, Update):
            self._newest[key] = max(self._newest.get(key, 0), update.update_id)
        try:
            async with lock:
                await coroutine
        finally:
            remaining = self._users[key] - 1
            if remaining:
                self._users[key] = remaining
            else:  # nobody else queued for this user: forget the lock (no unbounded growth)
                del self._users[key]
                del self._locks[key]
                self._newest.pop(key, None)

    def newest_waiting(self, key: int) -> int | None:
        """The newest update id of `key` that arrived and is running or waiting (None: none)."""
        return self._newest.get(key)

    @property
    def tracked_users(self) -> int:
        """How many users have an update running or waiting (for tests and diagnostics)."""
        return len(self._locks)

    async def initialize(self) -> None:
        """Nothing to set up: locks are made on demand."""

    async def shutdown(self) -> None:
        """Nothing to free: a lock lives only while its user's updates do."""
