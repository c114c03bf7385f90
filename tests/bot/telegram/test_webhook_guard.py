"""The webhook server's guards against clients that never finish: one log line per interval for
failed accepts, other loop errors untouched, and room kept below the open-files limit."""

from __future__ import annotations

import asyncio
import errno
import logging
import resource
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from bot.telegram.webhook_guard import (
    MIN_CONNECTIONS,
    RESERVED_FILES,
    AcceptErrorLog,
    ThrottledLog,
    connection_limit,
)


def accept_failure(code: int = errno.EMFILE) -> dict[str, Any]:
    """The context asyncio's selector loop reports when accept() fails for lack of resources."""
    listener = socket.socket()
    listener.close()
    return {
        "message": "socket.accept() out of system resource",
        "exception": OSError(code, "Too many open files"),
        "socket": listener,
    }


@pytest.fixture
def loop_handler() -> Iterator[tuple[asyncio.AbstractEventLoop, list[dict[str, Any]]]]:
    """A fresh event loop whose own exception handler records what reaches it."""
    loop = asyncio.new_event_loop()
    seen: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: seen.append(context))
    try:
        yield loop, seen
    finally:
        loop.close()


def test_a_thousand_failed_accepts_are_one_log_line_without_traceback(
    loop_handler: tuple[asyncio.AbstractEventLoop, list[dict[str, Any]]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    loop, seen = loop_handler
    guard = AcceptErrorLog(loop)
    guard.install()
    caplog.set_level(logging.DEBUG)
    handler = loop.get_exception_handler()
    assert handler is not None
    for _ in range(1000):
        handler(loop, accept_failure())
    lines = [r for r in caplog.records if "cannot accept" in r.getMessage()]
    assert len(lines) == 1 and lines[0].exc_info is None
    assert "EMFILE" in lines[0].getMessage()
    assert guard.errors.total == 1000 and seen == []


def test_other_loop_errors_still_reach_the_previous_handler(
    loop_handler: tuple[asyncio.AbstractEventLoop, list[dict[str, Any]]],
) -> None:
    loop, seen = loop_handler
    guard = AcceptErrorLog(loop)
    guard.install()
    handler = loop.get_exception_handler()
    assert handler is not None
    other = {"message": "Task exception was never retrieved", "exception": ValueError("x")}
    handler(loop, other)
    handler(loop, {**accept_failure(), "exception": OSError(errno.ECONNABORTED, "aborted")})
    assert [c["message"] for c in seen] == [
        other["message"], "socket.accept() out of system resource"
    ]
    guard.uninstall()
    assert loop.get_exception_handler() is not handler


def test_a_throttled_log_reports_again_after_its_interval_with_the_count(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.WARNING)
    now = [100.0]
    monkeypatch.setattr("bot.telegram.webhook_guard.time.monotonic", lambda: now[0])
    throttled = ThrottledLog("too many", interval=60)
    for _ in range(5):
        throttled.note()
    now[0] += 61
    throttled.note()
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2
    assert "1 time(s)" in messages[0] and "5 time(s)" in messages[1]


@pytest.mark.parametrize("soft", [256, 1024, 4096])
def test_the_connection_limit_keeps_room_below_the_open_files_limit(
    soft: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(resource, "getrlimit", lambda _which: (soft, 1 << 20))
    limit = connection_limit()
    assert limit >= MIN_CONNECTIONS
    assert limit + RESERVED_FILES <= max(soft, MIN_CONNECTIONS + RESERVED_FILES)
