"""Fault injection: make chosen Bot API calls fail or stall the way Telegram sometimes does.

Faults are queued per method (optionally per chat) and consumed one per matching call, so a test
says exactly which call fails: "the second sendMessage to chat 42 gets a 429".
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.emulator.errors import ApiError

FaultKind = Literal["error", "delay", "drop"]
ANY_METHOD = "*"


@dataclass(frozen=True)
class Fault:
    """One injected failure. Build it with the named constructors."""

    kind: FaultKind
    status: int = 0
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @classmethod
    def too_many_requests(cls, retry_after: int = 1) -> Fault:
        """429 flood control; PTB raises ``RetryAfter(retry_after)``."""
        return cls(
            "error",
            429,
            f"Too Many Requests: retry after {retry_after}",
            {"retry_after": retry_after},
        )

    @classmethod
    def forbidden(cls, description: str = "Forbidden: bot was blocked by the user") -> Fault:
        """403; PTB raises ``Forbidden``."""
        return cls("error", 403, description)

    @classmethod
    def bad_request(cls, text: str) -> Fault:
        """400 with ``Bad Request: <text>``; PTB raises ``BadRequest``."""
        return cls("error", 400, text if text.startswith("Bad Request") else f"Bad Request: {text}")

    @classmethod
    def server_error(cls, status: int = 500, description: str = "Internal Server Error") -> Fault:
        """A 5xx; PTB raises ``NetworkError``."""
        return cls("error", status, description)

    @classmethod
    def migrated(cls, new_chat_id: int) -> Fault:
        """400 with ``migrate_to_chat_id``; PTB raises ``ChatMigrated``."""
        return cls(
            "error",
            400,
            "Bad Request: group chat was upgraded to a supergroup chat",
            {"migrate_to_chat_id": new_chat_id},
        )

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """Wait this long, then handle the call normally (it still takes effect)."""
        return cls("delay", seconds=seconds)

    @classmethod
    def drop_connection(cls) -> Fault:
        """Close the connection without answering; PTB raises ``NetworkError``."""
        return cls("drop")

    def error(self) -> ApiError:
        """The error envelope of an ``error`` fault."""
        return ApiError(self.status, self.description, dict(self.parameters))


@dataclass
class _Outage:
    until: float
    status: int
    description: str
    methods: frozenset[str] | None


@dataclass
class FaultPlan:
    """The queued faults and the optional global outage."""

    _queues: dict[tuple[str, int | None], deque[Fault]] = field(default_factory=dict)
    _outage: _Outage | None = None

    def add(self, method: str, fault: Fault, *, chat_id: int | None = None, times: int = 1) -> None:
        """Queue ``fault`` for the next ``times`` calls of ``method`` ("*" = any method)."""
        key = (_normalize(method), chat_id)
        queue = self._queues.setdefault(key, deque())
        queue.extend([fault] * times)

    def outage(
        self,
        seconds: float,
        *,
        status: int = 502,
        description: str = "Bad Gateway",
        methods: list[str] | None = None,
    ) -> None:
        """Every call (or every call of ``methods``) fails with ``status`` for ``seconds``."""
        names = frozenset(_normalize(m) for m in methods) if methods else None
        self._outage = _Outage(time.monotonic() + seconds, status, description, names)

    def end_outage(self) -> None:
        """Stop a running outage early."""
        self._outage = None

    def clear(self) -> None:
        """Drop every queued fault and the outage."""
        self._queues.clear()
        self._outage = None

    def pending(self) -> int:
        """How many queued faults are still unconsumed."""
        return sum(len(queue) for queue in self._queues.values())

    def take(self, method: str, chat_id: int | None) -> Fault | None:
        """The fault for this call, consuming it; chat-specific faults go first."""
        outage = self._outage
        name = _normalize(method)
        if outage is not None:
            if time.monotonic() >= outage.until:
                self._outage = None
            elif outage.methods is None or name in outage.methods:
                return Fault("error", outage.status, outage.description)
        keys: list[tuple[str, int | None]] = []
        if chat_id is not None:
            keys += [(name, chat_id), (ANY_METHOD, chat_id)]
        keys += [(name, None), (ANY_METHOD, None)]
        for key in keys:
            queue = self._queues.get(key)
            if queue:
                return queue.popleft()
        return None


def _normalize(method: str) -> str:
    return method if method == ANY_METHOD else method.lower()
