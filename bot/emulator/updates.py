"""The pending-update queue with Telegram's ``getUpdates`` semantics.

Updates stay queued until the bot confirms them by asking for a higher ``offset``; a long poll
waits up to ``timeout`` seconds; a newer ``getUpdates`` terminates an older one with 409. A
redelivered update keeps its old ``update_id`` and bypasses the offset once, the way Telegram
resends an update a crashed bot never confirmed.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.emulator.errors import ApiError

JsonDict = dict[str, Any]

MAX_LIMIT = 100
CONFLICT_TERMINATED = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
    "is running"
)


@dataclass
class QueuedUpdate:
    """One pending update; ``forced`` marks a redelivery that ignores the offset."""

    update_id: int
    payload: JsonDict
    forced: bool = False

    @property
    def kind(self) -> str:
        """The update type ("message", "callback_query" ...)."""
        return next((key for key in self.payload if key != "update_id"), "")


class UpdateQueue:
    """Pending updates, issued ids and the long-poll wake-up machinery."""

    def __init__(self, first_update_id: int = 1) -> None:
        self._items: list[QueuedUpdate] = []
        self._ids = itertools.count(first_update_id)
        self._changed = asyncio.Event()
        self._generation = 0
        self._release_epoch = 0
        self._closed = False
        self.issued: dict[int, JsonDict] = {}
        self.allowed_updates: frozenset[str] | None = None

    # -- producing -------------------------------------------------------------------------

    def push(self, payload: JsonDict) -> JsonDict:
        """Queue an update, giving it the next ``update_id`` unless it already has one."""
        body = dict(payload)
        if "update_id" not in body:
            body["update_id"] = next(self._ids)
        update_id = body["update_id"]
        if isinstance(update_id, int):
            self.issued[update_id] = copy.deepcopy(body)
            self._items.append(QueuedUpdate(update_id, body))
        else:
            self._items.append(QueuedUpdate(-1, body, forced=True))
        self.notify()
        return body

    def redeliver(self, update_id: int) -> JsonDict:
        """Queue an exact copy of an update issued before (same ``update_id``)."""
        if update_id not in self.issued:
            raise KeyError(f"update {update_id} was never issued")
        body = copy.deepcopy(self.issued[update_id])
        self._items.append(QueuedUpdate(update_id, body, forced=True))
        self.notify()
        return body

    def clear(self) -> None:
        """``drop_pending_updates``."""
        self._items.clear()
        self.notify()

    @property
    def pending(self) -> int:
        """How many updates wait for delivery or confirmation."""
        return len(self._items)

    def pending_updates(self) -> list[JsonDict]:
        """Copies of the queued updates, in delivery order."""
        return [copy.deepcopy(item.payload) for item in self._items]

    # -- waking ----------------------------------------------------------------------------

    def notify(self) -> None:
        """Wake every waiter (long polls, the webhook sender)."""
        self._changed.set()
        self._changed = asyncio.Event()

    def release(self) -> None:
        """Make every pending long poll return at once (an empty or partial batch)."""
        self._release_epoch += 1
        self.notify()

    def close(self) -> None:
        """From now on long polls never wait (used while the emulator stops)."""
        self._closed = True
        self.release()

    async def wait_changed(self, seconds: float) -> bool:
        """Wait until something is pushed or released; False after ``seconds``."""
        event = self._changed
        # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancellation that
        # arrives in the same tick as the event, and then the webhook sender never stops.
        try:
            async with asyncio.timeout(max(0.0, seconds)):
                await event.wait()
        except TimeoutError:
            return False
        return True

    # -- consuming: getUpdates -------------------------------------------------------------

    def set_allowed(self, allowed: list[str] | None) -> None:
        """Remember ``allowed_updates`` like Telegram does (an empty list means all)."""
        if allowed is None:
            return
        self.allowed_updates = frozenset(allowed) if allowed else None

    async def get_updates(
        self, offset: int | None, limit: int, poll_seconds: float
    ) -> list[JsonDict]:
        """``getUpdates``: confirm below ``offset``, then long-poll up to ``poll_seconds``."""
        self._generation += 1
        generation = self._generation
        epoch = self._release_epoch
        self.notify()  # an older poll still waiting must end with 409
        self._confirm(offset)
        limit = max(1, min(limit, MAX_LIMIT))
        deadline = time.monotonic() + max(0.0, poll_seconds)
        while True:
            if generation != self._generation:
                raise ApiError(409, CONFLICT_TERMINATED)
            batch = self._take_batch(limit)
            if batch:
                return batch
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._closed or epoch != self._release_epoch:
                return []
            await self.wait_changed(remaining)

    def _confirm(self, offset: int | None) -> None:
        if not offset:
            return
        if offset < 0:
            keep = -offset
            self._items = self._items[-keep:] if keep else []
            return
        self._items = [item for item in self._items if item.forced or item.update_id >= offset]

    def _take_batch(self, limit: int) -> list[JsonDict]:
        self._drop_disallowed()
        forced = [item for item in self._items if item.forced][:limit]
        normal = [item for item in self._items if not item.forced][: limit - len(forced)]
        # Redeliveries go first: PTB confirms with the id of the *last* update in a batch.
        taken = {id(item) for item in forced}
        self._items = [item for item in self._items if id(item) not in taken]
        return [copy.deepcopy(item.payload) for item in forced + normal]

    # -- consuming: webhook ----------------------------------------------------------------

    def next_for_webhook(
        self, can_send: Callable[[QueuedUpdate], bool] | None = None
    ) -> QueuedUpdate | None:
        """The oldest pending update (that ``can_send`` allows, asked in queue order), left in
        the queue until :meth:`ack`."""
        self._drop_disallowed()
        return next((item for item in self._items if can_send is None or can_send(item)), None)

    def ack(self, item: QueuedUpdate) -> None:
        """The webhook answered 2xx (or delivery was given up): forget the update."""
        self._items = [queued for queued in self._items if queued is not item]

    def _drop_disallowed(self) -> None:
        allowed = self.allowed_updates
        if allowed is not None:
            self._items = [item for item in self._items if item.kind in allowed]
