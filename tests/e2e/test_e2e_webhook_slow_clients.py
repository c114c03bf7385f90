"""Slow clients against `ikk-bot run --webhook-url` (issue 11, item 5): 1,100 connections that
send half a request line and never finish must not stop a real update, must not flood the
log, and are closed after the request timeout.

The bot runs as its own process (the real command line) with a low open-files limit, so the
flood would exhaust its file descriptors if nothing held it back; the emulator, in this process,
delivers the real update over the webhook as Telegram does. Loopback only, about 25 s.
The request and body timeouts themselves are checked in this process with a 1-second timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest

from bot.emulator import TelegramEmulator
from bot.telegram import texts
from bot.telegram.webhook import REQUEST_TIMEOUT, SECRET_HEADER, WebhookOptions, WebhookServer
from tests.e2e.webhook_harness import (
    SECRET,
    WebhookHarness,
    free_port,
    webhook_harness_fixture,  # noqa: F401  (the `webhook_harness` fixture)
)

SLOW_CLIENTS = 1100
BOT_OPEN_FILES = 256
"""Far below 1,100: without a guard the bot runs out of file descriptors (EMFILE)."""
IKK_BOT = Path(sys.executable).with_name("ikk-bot")

pytestmark = pytest.mark.parametrize("db_backend", ["sqlite"])  # the database plays no part


def _limit_open_files() -> None:  # runs in the child between fork and exec
    resource.setrlimit(resource.RLIMIT_NOFILE, (BOT_OPEN_FILES, BOT_OPEN_FILES))


@pytest.fixture
def room_for_slow_clients() -> Iterator[None]:
    """This process holds 1,100 client sockets besides the emulator's: raise its own soft
    open-files limit (within the hard limit) for the test."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = SLOW_CLIENTS + 1024
    if hard != resource.RLIM_INFINITY and hard < wanted:
        pytest.skip(f"the hard open-files limit ({hard}) is below {wanted}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


async def _open_slow_clients(port: int, batch: int = 100) -> list[socket.socket]:
    """1,100 connected sockets, each having sent a request line and one header but never the
    blank line that ends the headers. Opened in batches of connections made at once."""
    loop = asyncio.get_running_loop()
    clients: list[socket.socket] = []

    async def connect(client: socket.socket) -> None:
        await asyncio.wait_for(loop.sock_connect(client, ("127.0.0.1", port)), 10)
        with contextlib.suppress(OSError):  # the server may have closed it already
            client.send(b"POST /ikk HTTP/1.1\r\nHost: 127.0.0.1\r\n")

    while len(clients) < SLOW_CLIENTS:
        pending = [socket.socket() for _ in range(min(batch, SLOW_CLIENTS - len(clients)))]
        for client in pending:
            client.setblocking(False)
        clients.extend(pending)
        await asyncio.gather(*(connect(c) for c in pending))
    return clients


def _closed_by_server(client: socket.socket) -> bool:
    try:
        return client.recv(64) == b""
    except BlockingIOError:
        return False  # still open, nothing to read
    except OSError:  # reset or never connected: not open either
        return True


async def _wait_for(condition: object, timeout: float) -> bool:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        await asyncio.sleep(0.1)
    return False


async def test_a_real_update_is_answered_while_1100_clients_never_finish_their_request(
    emulator: TelegramEmulator,
    migrated_database_url: str,
    tmp_path: Path,
    room_for_slow_clients: None,
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": migrated_database_url,
        "TELEGRAM_BOT_TOKEN": emulator.token,
        "TELEGRAM_API_URL": emulator.url,
        "WEBHOOK_SECRET": SECRET,
        "NO_PROXY": "127.0.0.1,localhost",
    }
    log_path = tmp_path / "bot.log"
    with log_path.open("wb") as log_file:
        bot = subprocess.Popen(  # noqa: ASYNC220 (a long-lived child, waited for below)
            [str(IKK_BOT), "run", "--webhook-url", f"http://127.0.0.1:{port}/ikk",
             "--port", str(port)],
            env=env, cwd=tmp_path, stdout=log_file, stderr=subprocess.STDOUT,
            preexec_fn=_limit_open_files,
        )
    clients: list[socket.socket] = []
    try:
        assert await _wait_for(lambda: emulator.webhook.config is not None, 30), (
            log_path.read_text(errors="replace")[-2000:]
        )
        lines_before = log_path.read_bytes().count(b"\n")
        clients = await _open_slow_clients(port)
        flood_started = time.monotonic()

        stranger = emulator.user(5001, "Budi")
        await stranger.send("/start")
        replies = await stranger.wait_reply(timeout=10)
        answered_after = time.monotonic() - flood_started
        assert [m.text for m in replies] == [texts.ACCESS]
        assert answered_after < 10

        # Every slow client is closed once the request timeout has passed.
        all_closed = await _wait_for(
            lambda: all(_closed_by_server(c) for c in clients), REQUEST_TIMEOUT + 8
        )
        still_open = sum(not _closed_by_server(c) for c in clients)
        assert all_closed, f"{still_open} of {SLOW_CLIENTS} slow connections still open"
        assert bot.poll() is None, "the bot died"
        log = log_path.read_bytes()
        flood_lines = log.count(b"\n") - lines_before
        assert flood_lines < 100, log.decode(errors="replace")[-3000:]
        assert b"Traceback" not in log, log.decode(errors="replace")[-3000:]
        assert SECRET.encode() not in log and emulator.token.encode() not in log
    finally:
        for client in clients:
            client.close()
        bot.terminate()
        try:
            bot.wait(15)
        except subprocess.TimeoutExpired:
            bot.kill()
            bot.wait()


# ------------------------------------------------------- the timeouts, in this process


@pytest.fixture
async def quick_timeout_server(
    webhook_harness: WebhookHarness,
) -> AsyncIterator[WebhookServer]:
    """A second server for the running bot, with a 1-second request timeout."""
    assert webhook_harness.app is not None
    port = free_port()
    server = WebhookServer(webhook_harness.app, WebhookOptions(
        url=f"http://127.0.0.1:{port}/ikk", secret_token=SECRET, port=port,
        request_timeout=1.0,
    ))
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def _closed_within(reader: asyncio.StreamReader, seconds: float) -> bytes:
    return await asyncio.wait_for(reader.read(), seconds)  # b"" or a response, then EOF


async def test_a_connection_that_never_finishes_its_headers_is_closed_after_the_timeout(
    quick_timeout_server: WebhookServer,
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", quick_timeout_server.port)
    writer.write(b"POST /ikk HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    await writer.drain()
    started = time.monotonic()
    assert await _closed_within(reader, 5) == b""
    assert 0.5 < time.monotonic() - started < 4
    writer.close()


async def test_a_body_that_trickles_in_gets_408_after_the_timeout(
    quick_timeout_server: WebhookServer,
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", quick_timeout_server.port)
    writer.write(
        b"POST /ikk HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        + f"{SECRET_HEADER}: {SECRET}\r\n".encode()
        + b"Content-Length: 200\r\n\r\n{\"update_id\": "
    )
    await writer.drain()
    status_line = await asyncio.wait_for(reader.readline(), 5)
    assert status_line.startswith(b"HTTP/1.1 408"), status_line
    assert quick_timeout_server.accepted == 0
    writer.close()


async def test_a_real_update_still_goes_through_the_server_with_the_short_timeout(
    quick_timeout_server: WebhookServer,
) -> None:
    """The timeout does not cut a request that arrives at once (Telegram's kind)."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"http://127.0.0.1:{quick_timeout_server.port}/ikk",
            json={"update_id": 77, "message": {
                "message_id": 1, "date": 0, "chat": {"id": 4242, "type": "private"},
                "from": {"id": 4242, "is_bot": False, "first_name": "Tamu"},
                "text": "halo"}},
            headers={SECRET_HEADER: SECRET},
        ) as response,
    ):
        assert response.status == 200
    assert quick_timeout_server.accepted == 1
