"""Keep the webhook server answering when clients open connections and never finish them.

A public webhook port meets scanners and slowloris clients: connections that send half a
request and wait. Unchecked, 1,100 of them used up the process's file descriptors, so the real
Telegram POST could not be accepted, the database file could not be opened, and asyncio logged
a traceback for every failed accept() (76 MB in 40 s). Three guards, each cheap:

- `ConnectionGuard` wraps the aiohttp protocol factory: when the open connections reach a limit
  below the open-files limit, the oldest connection that is not in the middle of a handled
  request is closed to make room. The file descriptors are never exhausted, so a new
  connection (Telegram's) is always accepted at once, and the database and the Bot API
  client keep theirs.
- The request timeout itself is aiohttp's keep-alive timer, which runs from the moment a
  connection is made until a request is complete (see `WebhookServer.start`).
- `AcceptErrorLog` replaces asyncio's one-traceback-per-attempt report of a failed accept()
  (possible when something else uses up the descriptors) with one line per interval.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import resource
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

__all__ = [
    "BACKLOG",
    "MIN_CONNECTIONS",
    "RESERVED_FILES",
    "AcceptErrorLog",
    "ConnectionGuard",
    "ThrottledLog",
    "connection_limit",
]

log = logging.getLogger("bot.telegram.webhook")

BACKLOG: Final = 64
"""Connections the kernel queues for accept(); asyncio accepts up to this many in one go
(Telegram opens at most 100 connections, 40 by default)."""
RESERVED_FILES: Final = 128 + 2 * BACKLOG
"""File descriptors never given to webhook connections: the database, the Bot API client,
logs, imports (128); one burst of `BACKLOG` connections accepted before the guard sees them,
and as many evicted ones that close only on the next turn of the event loop."""
MAX_CONNECTIONS: Final = 4096
MIN_CONNECTIONS: Final = 16
REPORT_INTERVAL: Final = 60.0
_ACCEPT_ERRNOS: Final = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def connection_limit() -> int:
    """How many webhook connections may be open at once: the open-files limit minus a reserve
    (Telegram itself uses at most 100; the rest is room for clients we must survive)."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return MAX_CONNECTIONS
    return max(MIN_CONNECTIONS, min(MAX_CONNECTIONS, soft - RESERVED_FILES))


class ThrottledLog:
    """Counts an event and logs it at most once per `interval` seconds, with the count."""

    def __init__(self, message: str, interval: float = REPORT_INTERVAL) -> None:
        self.message = message
        self.interval = interval
        self.total = 0
        self._unreported = 0
        self._last: float | None = None

    def note(self, detail: str = "") -> None:
        """Count one event; log a line when the last one is `interval` seconds old."""
        self.total += 1
        self._unreported += 1
        now = time.monotonic()
        if self._last is None or now - self._last >= self.interval:
            log.warning(
                "%s%s: %d time(s) since the last report (reported at most every %ds)",
                self.message, f" ({detail})" if detail else "", self._unreported,
                int(self.interval),
            )
            self._unreported = 0
            self._last = now


class ConnectionGuard:
    """The protocol factory for `loop.create_server`: aiohttp's, with an upper bound on open
    connections (the oldest idle or unfinished one is closed to admit a new one)."""

    def __init__(self, limit: int) -> None:
        self._server: web.Server | None = None
        self.limit = limit
        self._busy: set[RequestHandler] = set()
        self.evictions = ThrottledLog(
            f"webhook server: {limit} connections open already, the oldest idle one closed"
        )

    def bind(self, server: web.Server) -> None:
        """The aiohttp server (exists once the runner is set up) whose connections to bound."""
        self._server = server

    def __call__(self) -> RequestHandler:
        if self._server is None:
            raise RuntimeError("ConnectionGuard.bind() was not called")
        open_connections = [h for h in self._server.connections if not _closing(h)]
        excess = len(open_connections) + 1 - self.limit
        if excess > 0:
            for handler in open_connections:  # oldest first (insertion order)
                if handler not in self._busy:
                    handler.force_close()
                    self.evictions.note()
                    excess -= 1
                    if excess <= 0:
                        break
        return self._server()

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Marks the connection as serving a request, so it is never closed to make room."""
        protocol = request.protocol
        self._busy.add(protocol)
        try:
            return await handler(request)
        finally:
            self._busy.discard(protocol)


def _closing(handler: RequestHandler) -> bool:
    transport = handler.transport
    return transport is None or transport.is_closing()


class AcceptErrorLog:
    """An event-loop exception handler: a failed accept() for lack of file descriptors is one
    line per interval instead of a traceback per attempt; everything else goes on as before."""

    def __init__(self, loop: asyncio.AbstractEventLoop, interval: float = REPORT_INTERVAL) -> None:
        self._loop = loop
        self._previous = loop.get_exception_handler()
        self.errors = ThrottledLog(
            "webhook server cannot accept connections (no free file descriptors)", interval
        )

    def install(self) -> None:
        self._loop.set_exception_handler(self)

    def uninstall(self) -> None:
        if self._loop.get_exception_handler() is self:
            self._loop.set_exception_handler(self._previous)

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        error = context.get("exception")
        if isinstance(error, OSError) and error.errno in _ACCEPT_ERRNOS and "accept" in str(
            context.get("message", "")
        ):
            self.errors.note(errno.errorcode.get(error.errno or 0, "?"))
            return
        if self._previous is not None:
            self._previous(loop, context)
        else:
            loop.default_exception_handler(context)
