"""Webhook mode: a small aiohttp server in front of the Application, with a health endpoint.

Why not PTB's built-in tornado server (`run_webhook`): it has no health route for a monitor or a
reverse proxy, compares the secret with `!=`, and refuses `application/json; charset=utf-8`.
This one is the `customwebhookbot` design (field notes §5): the Application's Updater stays idle
and each accepted update is put on `application.update_queue`, where the per-user processor and
the handlers take it exactly as in polling mode.

    POST <path of the webhook URL>  Telegram's updates.
        403  the X-Telegram-Bot-Api-Secret-Token header is missing or wrong (constant-time
             comparison; checked before anything else is read);
        415  the body is not declared as JSON;  400  it is not one JSON object;  413  over 1 MB;
        408  the body took longer than `REQUEST_TIMEOUT` to arrive;
        200  the update is on the queue. Like PTB's server this acknowledges before the handlers
             run: a crash loses at most the updates queued but not yet handled (the user sees no
             reply and sends again); nothing acknowledged to the user is lost, because answers
             are committed before the reply. An update PTB cannot read is logged and
             acknowledged too (skipped), as in polling, so Telegram does not resend it.
             A button tap's response waits up to `reply_wait` (0.5 s) for the handler to answer
             the tap, and carries that answerCallbackQuery as its JSON body
             (`bot.telegram.webhook_replies`): one outgoing call per tapped answer, not two.
    GET /healthz  {"ok": true, "database": "ok", "pending_updates": 0}; 503 with
        "database": "unreachable" when a `SELECT 1` fails or takes over 2 s, so a monitor can
        alert on the status alone. The bot itself stays up and recovers when the database returns.

Slow or abandoned clients (`bot.telegram.webhook_guard`): a connection must complete its request
headers within `REQUEST_TIMEOUT` seconds of connecting (or of its previous request) and its body
within `REQUEST_TIMEOUT` more, or it is closed; open connections are bounded below the
open-files limit; a failed accept() is one log line per minute, never a traceback per attempt.

The secret is never logged: it is registered with the log masking like the bot token.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import secrets
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlsplit

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Update

from bot.telegram.application import BotApplication
from bot.telegram.logging import install_log_masking
from bot.telegram.webhook_guard import BACKLOG, AcceptErrorLog, ConnectionGuard, connection_limit
from bot.telegram.webhook_replies import REPLY_WAIT, WebhookReplies

__all__ = [
    "ALLOWED_UPDATES",
    "HEALTH_PATH",
    "REQUEST_TIMEOUT",
    "SECRET_HEADER",
    "WebhookOptionError",
    "WebhookOptions",
    "WebhookServer",
    "check_secret_token",
    "check_webhook_url",
    "database_reachable",
    "new_secret_token",
]

log = logging.getLogger(__name__)

SECRET_HEADER: Final = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_PATH: Final = "/healthz"
ALLOWED_UPDATES: Final = (
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,
)
"""The update types some handler uses; Telegram sends no others (less traffic, less surface)."""
MAX_BODY: Final = 1024 * 1024
"""An update is a few kilobytes; anything larger is refused (413) before it is read."""
HEALTH_TIMEOUT: Final = 2.0
REQUEST_TIMEOUT: Final = 10.0
"""Seconds a client has for its request headers, and again for its body. Telegram sends a whole
update at once; only a broken or hostile client is slower."""
SHUTDOWN_TIMEOUT: Final = 1.0
_SECRET_SHAPE: Final = re.compile(r"[A-Za-z0-9_-]{1,256}")
_LOOPBACK: Final = frozenset({"127.0.0.1", "localhost", "::1"})

DatabaseCheck = Callable[[], Awaitable[bool]]


class WebhookOptionError(ValueError):
    """A webhook option Telegram would refuse (the message is one Indonesian line)."""


def new_secret_token() -> str:
    """A fresh secret for one start: 43 characters of Telegram's allowed alphabet."""
    return secrets.token_urlsafe(32)


def check_secret_token(token: str) -> str:
    """`token` if Telegram accepts it as a secret (1–256 of A-Z a-z 0-9 _ -)."""
    if not _SECRET_SHAPE.fullmatch(token):
        raise WebhookOptionError(
            "WEBHOOK_SECRET harus 1–256 karakter dari A-Z, a-z, 0-9, _ dan - saja."
        )
    return token


def check_webhook_url(url: str) -> str:
    """`url` if Telegram can post to it: HTTPS (plain HTTP only to this machine, for tests and
    the emulator), with a host and no query or fragment."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    secure = parts.scheme == "https" or (parts.scheme == "http" and host in _LOOPBACK)
    if not secure or not host or parts.query or parts.fragment:
        raise WebhookOptionError(
            f"--webhook-url harus alamat https:// yang dapat dijangkau Telegram, tanpa ?query "
            f"(diberikan: {url!r})."
        )
    return url


@dataclass(frozen=True)
class WebhookOptions:
    """Where Telegram posts (`url`), where this process listens, and the shared secret.

    The local route is the URL's path, so a reverse proxy forwards the path unchanged.
    """

    url: str
    secret_token: str = field(repr=False)  # never in a log line or a traceback's locals
    listen: str = "127.0.0.1"
    port: int = 8443
    request_timeout: float = REQUEST_TIMEOUT
    reply_wait: float = REPLY_WAIT
    """Seconds the response to a button tap waits to carry its answer (`webhook_replies`);
    0 answers every tap with a call of its own."""

    def __post_init__(self) -> None:
        check_webhook_url(self.url)
        check_secret_token(self.secret_token)
        if self.path == HEALTH_PATH:
            raise WebhookOptionError(f"jalur webhook tidak boleh {HEALTH_PATH}.")
        if not 1 <= self.port <= 65535:
            raise WebhookOptionError(f"--port harus 1–65535 (diberikan: {self.port}).")
        if not self.request_timeout > 0:
            raise WebhookOptionError("batas waktu permintaan webhook harus lebih dari 0 detik.")
        if not 0 <= self.reply_wait < SHUTDOWN_TIMEOUT:
            raise WebhookOptionError(
                f"waktu tunggu jawaban tombol harus 0 sampai di bawah {SHUTDOWN_TIMEOUT:g} detik."
            )

    @property
    def path(self) -> str:
        """The route Telegram's POSTs arrive on ("/" when the URL has no path)."""
        return urlsplit(self.url).path or "/"


async def database_reachable(engine: AsyncEngine, timeout: float = HEALTH_TIMEOUT) -> bool:  # noqa: ASYNC109
    """True when `SELECT 1` succeeds within `timeout` seconds."""
    try:
        async with asyncio.timeout(timeout), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as error:  # any failure means "not usable now"; say which kind
        log.info("health check: database unreachable (%s)", type(error).__name__)
        return False
    return True


class WebhookServer:
    """Receives Telegram's POSTs for `application` and answers health checks.

    `start()` listens (on `options.port`; see `port`), `register()` calls setWebhook,
    `stop()` stops listening; the Application itself is started and stopped by the caller.
    """

    def __init__(
        self,
        application: BotApplication,
        options: WebhookOptions,
        *,
        database_check: DatabaseCheck | None = None,
    ) -> None:
        self.application = application
        self.options = options
        self._secret = options.secret_token.encode("ascii")
        self._database_check = database_check
        self._runner: web.AppRunner | None = None
        self._listener: asyncio.Server | None = None
        self._accept_errors: AcceptErrorLog | None = None
        self.guard: ConnectionGuard | None = None
        self._port: int | None = None
        self.accepted = 0
        self.refused = 0
        self.replied = 0  # taps answered inside the response (`webhook_replies`)
        install_log_masking([options.secret_token])

    @property
    def port(self) -> int:
        """The TCP port listened on (after `start`)."""
        if self._port is None:
            raise RuntimeError("the webhook server is not started")
        return self._port

    async def start(self) -> None:
        """Listen on `options.listen`:`options.port`."""
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post(self.options.path, self._receive)
        app.router.add_get(HEALTH_PATH, self._health)
        guard = ConnectionGuard(connection_limit())
        app.middlewares.append(guard.middleware)
        # aiohttp's keep-alive timer starts when a connection is made and is reset only by a
        # completed request: it is the header timeout for the first request and the next.
        runner = web.AppRunner(
            app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT,
            keepalive_timeout=self.options.request_timeout,
        )
        await runner.setup()
        assert runner.server is not None
        guard.bind(runner.server)
        family = socket.AF_INET6 if ":" in self.options.listen else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.options.listen, self.options.port))
        except OSError as error:
            sock.close()
            await runner.cleanup()
            raise WebhookOptionError(
                f"tidak dapat mendengarkan di {self.options.listen}:{self.options.port} "
                f"({error.strerror})."
            ) from error
        loop = asyncio.get_running_loop()
        accept_errors = AcceptErrorLog(loop)
        accept_errors.install()
        # The guard is the protocol factory, so it sees every accepted connection first.
        self._listener = await loop.create_server(guard, sock=sock, backlog=BACKLOG)
        self._runner, self.guard, self._accept_errors = runner, guard, accept_errors
        self._port = int(sock.getsockname()[1])
        log.info(
            "webhook server on %s:%d%s (health: %s; at most %d connections, %gs per request)",
            self.options.listen, self._port, self.options.path, HEALTH_PATH, guard.limit,
            self.options.request_timeout,
        )

    async def register(self) -> None:
        """setWebhook: Telegram posts to `options.url` with the secret from now on.

        Pending updates are kept (delivered now), so nothing sent while the bot was down is lost.
        """
        await self.application.bot.set_webhook(
            url=self.options.url,
            secret_token=self.options.secret_token,
            allowed_updates=list(ALLOWED_UPDATES),
            drop_pending_updates=False,
        )
        log.info("webhook registered at %s", self.options.url)

    async def stop(self) -> None:
        """Stop listening (the webhook stays registered: Telegram keeps the updates meanwhile)."""
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        accept_errors, self._accept_errors = self._accept_errors, None
        if accept_errors is not None:
            accept_errors.uninstall()

    # -- routes --------------------------------------------------------------------------

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(given, self._secret):
            self.refused += 1
            log.info("webhook request from %s refused: missing or wrong secret", request.remote)
            return web.Response(status=403, text="forbidden")
        if request.content_type != "application/json":
            return web.Response(status=415, text="expected application/json")
        try:
            async with asyncio.timeout(self.options.request_timeout):
                body = await request.read()
        except TimeoutError:  # a body trickled in byte by byte: same treatment as slow headers
            return web.Response(status=408, text="request body too slow")
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
            return web.Response(status=400, text="body is not JSON")
        if not isinstance(payload, dict):
            return web.Response(status=400, text="body is not a JSON object")
        update = self._read(payload)
        if update is None:
            return web.Response(status=200)
        reply = await self._enqueue(update)
        if reply is None:
            return web.Response(status=200)
        self.replied += 1
        return web.json_response(reply)

    async def _enqueue(self, update: Update) -> dict[str, Any] | None:
        """Put `update` on the queue; for a tap, the answer to carry in the response (None:
        not a tap, or not answered within `reply_wait`)."""
        query = update.callback_query
        replies = getattr(self.application.bot, "webhook_replies", None)  # an `IkkBot` has them
        if query is None or not isinstance(replies, WebhookReplies):
            await self._put(update)
            return None
        slot = replies.open(query.id)  # before the handlers can see the update
        await self._put(update)
        return await replies.wait(query.id, slot, self.options.reply_wait)

    async def _put(self, update: Update) -> None:
        await self.application.update_queue.put(update)
        self.accepted += 1

    def _read(self, payload: dict[str, Any]) -> Update | None:
        """The update, or None (logged) when PTB cannot read it."""
        update_id = payload.get("update_id")
        try:
            if not isinstance(update_id, int) or isinstance(update_id, bool):
                raise ValueError("no integer update_id")
            return Update.de_json(payload, self.application.bot)
        except Exception as error:
            log.warning(
                "update %s could not be read (%s); skipped",
                str(update_id)[:40],
                type(error).__name__,
            )
            return None

    async def _health(self, request: web.Request) -> web.Response:
        database_ok = True if self._database_check is None else await self._database_check()
        pending = (
            self.application.update_queue.qsize()
            + self.application.update_processor.current_concurrent_updates
        )
        body = {
            "ok": database_ok,
            "database": "ok" if database_ok else "unreachable",
            "pending_updates": pending,
        }
        return web.json_response(body, status=200 if database_ok else 503)
