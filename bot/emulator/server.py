"""The Telegram Bot API emulator: a real HTTP server on 127.0.0.1 that PTB talks to unchanged.

Point the bot at it with ``.base_url(emulator.base_url)`` and
``.base_file_url(emulator.base_file_url)``; drive users with :meth:`TelegramEmulator.user`.
Everything runs in the test's event loop, so there is no thread and no sleep to tune.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import socket
import time
import traceback
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from bot.emulator.bot_api import BotApi, scope_key
from bot.emulator.errors import ApiError, bad_request, not_found
from bot.emulator.faults import FaultPlan
from bot.emulator.files import UploadedFile
from bot.emulator.limits import FloodControl, RateLimits, is_capped
from bot.emulator.params import ApiParams
from bot.emulator.state import (
    ApiCall,
    CallbackAnswer,
    ChatMessage,
    ChatState,
    EmulatorState,
    JsonDict,
)
from bot.emulator.transcript import render_transcript
from bot.emulator.updates import UpdateQueue
from bot.emulator.webhook import WebhookDelivery, WebhookSender

if TYPE_CHECKING:
    from bot.emulator.client import EmulatedUser

_LOG = logging.getLogger(__name__)

DEFAULT_TOKEN = "123456:TEST-emulator-token-AAAAAAAAAAAAAAAAAAAAAA"
TOKEN_SHAPE = re.compile(r"(\d+):([A-Za-z0-9_-]+)")
TRANSPORT_METHODS = frozenset(
    {"getupdates", "getme", "setwebhook", "deletewebhook", "getwebhookinfo", "logout", "close"}
)
"""Calls PTB makes by itself to run; left out of "what did the bot do" unless asked for."""


class ActivitySignal:
    """Wakes waiters whenever a call starts or ends or a user acts."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        """Wake everyone waiting now."""
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, seconds: float) -> None:
        """Return on the next notification or after ``seconds``."""
        event = self._event
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(0.0, seconds)):
                await event.wait()


class TelegramEmulator:
    """A fake ``api.telegram.org`` for one bot token (more with :meth:`add_bot`).

    Use as ``async with TelegramEmulator() as emu:``; ``emu.base_url`` is the bot's base URL.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "ikk_test_bot",
        bot_first_name: str = "IKK Bot",
        host: str = "127.0.0.1",
        port: int = 0,
        quiet_period: float = 0.1,
        webhook_retry_delays: Sequence[float] = (0.05, 0.2, 0.5),
        shutdown_timeout: float = 0.5,
        webhook_connections: int = 1,
        rate_limits: RateLimits | None = None,
    ) -> None:
        shape = TOKEN_SHAPE.fullmatch(token)
        if shape is None:
            raise ValueError("token must look like '<bot_id>:<secret>'")
        self.token = token
        self.bot_id = int(shape.group(1))
        self.host = host
        self.quiet_period = quiet_period
        self._requested_port = port
        self._shutdown_timeout = shutdown_timeout
        self.state = EmulatorState(
            bot_user={
                "id": self.bot_id,
                "is_bot": True,
                "first_name": bot_first_name,
                "username": bot_username,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
                "can_connect_to_business": False,
                "has_main_web_app": False,
            }
        )
        self.faults = FaultPlan()
        self.flood: FloodControl | None = None
        self.set_rate_limits(rate_limits)
        self.updates = UpdateQueue()
        self.webhook = WebhookSender(
            self.updates, webhook_retry_delays, connections=webhook_connections,
            on_reply=self._webhook_reply,
        )
        self.api = BotApi(self.state, self.updates, self.webhook)
        self.activity = ActivitySignal()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._users: dict[int, EmulatedUser] = {}
        self._in_flight = 0
        self._last_finished: float | None = None
        self._server: TelegramEmulator | None = None
        """The emulator whose HTTP server answers for this bot (None: this one's own)."""
        self._bots: dict[str, TelegramEmulator] = {}

    def add_bot(
        self, token: str, *, bot_username: str, bot_first_name: str = "IKK Bot"
    ) -> TelegramEmulator:
        """Another bot token on this server, as at api.telegram.org: its own updates, chats,
        users and flood limits (Telegram's limits are per token). Returns its emulator, whose
        ``url`` is this one's; it needs no start or stop of its own."""
        if token == self.token or token in self._bots:
            raise ValueError("this token is already served")
        other = TelegramEmulator(
            token, bot_username=bot_username, bot_first_name=bot_first_name, host=self.host,
            quiet_period=self.quiet_period, shutdown_timeout=self._shutdown_timeout,
        )
        other._server = self
        self._bots[token] = other
        return other

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on ``host``:``port`` (0 picks a free port)."""
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_route("*", "/file/bot{token}/{path:.+}", self._handle_file)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=self._shutdown_timeout)
        await runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self._requested_port))
        site = web.SockSite(runner, sock)
        await site.start()
        self._runner = runner
        self._port = int(sock.getsockname()[1])

    async def stop(self) -> None:
        """Release long polls, stop webhook delivery and close the server, quickly."""
        for other in self._bots.values():
            other.updates.close()
            await other.webhook.close()
        self.updates.close()
        await self.webhook.close()
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> TelegramEmulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        """The TCP port (after :meth:`start`)."""
        if self._server is not None:
            return self._server.port
        if self._port is None:
            raise RuntimeError("the emulator is not started")
        return self._port

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url(...)`` (PTB appends the token)."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``ApplicationBuilder().base_file_url(...)``."""
        return f"{self.url}/file/bot"

    @property
    def bot_user(self) -> JsonDict:
        """The bot's ``User`` as ``getMe`` returns it."""
        return dict(self.state.bot_user)

    # -- users and updates -----------------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str = "Siti",
        language_code: str | None = "id",
        username: str | None = None,
        last_name: str | None = None,
    ) -> EmulatedUser:
        """The test-side handle of a Telegram user (the same object for the same id)."""
        from bot.emulator.client import EmulatedUser

        existing = self._users.get(user_id)
        if existing is not None:
            return existing
        profile: JsonDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            profile["last_name"] = last_name
        if username:
            profile["username"] = username
        if language_code:
            profile["language_code"] = language_code
        self.state.users[user_id] = profile
        handle = EmulatedUser(self, profile)
        self._users[user_id] = handle
        return handle

    def enqueue_update(self, payload: JsonDict) -> JsonDict:
        """Queue an update coming from users; the chats in it count as having started the bot.

        An ``update_id`` is assigned unless the payload has one. Returns the queued update.
        """
        self._register_chats(payload)
        queued = self.updates.push(payload)
        self.activity.notify()
        return queued

    def inject_raw_update(self, payload: Any) -> Any:
        """Queue anything, even a malformed update, with no side effects on the state."""
        if isinstance(payload, dict):
            queued = self.updates.push(payload)
        else:
            queued = self.updates.push({"update_id": None, "raw": payload})
        self.activity.notify()
        return queued

    def redeliver(self, update_id: int) -> JsonDict:
        """Send an already delivered update again with the same ``update_id``."""
        queued = self.updates.redeliver(update_id)
        self.activity.notify()
        return queued

    def release_pollers(self) -> None:
        """Make pending ``getUpdates`` long polls return now (fast Updater shutdown)."""
        self.updates.release()

    def register_chat(self, chat: JsonDict) -> ChatState:
        """Mark a chat as known without an update (a user who started the bot earlier)."""
        return self.state.ensure_chat(chat)

    def set_blocked(self, user_id: int, blocked: bool = True) -> None:
        """Mark a user as having blocked the bot (403 on sends), without an update."""
        if blocked:
            self.state.blocked.add(user_id)
        else:
            self.state.blocked.discard(user_id)

    def set_rate_limits(self, limits: RateLimits | None) -> None:
        """Enforce Telegram's flood limits from now on (None: no limits, the default).

        Fresh buckets each time, so a test can register its users unlimited, then switch on.
        """
        self.flood = FloodControl(limits) if limits is not None else None

    def expire_callback_queries(self) -> None:
        """Every open callback query becomes too old to answer (as after a long stall)."""
        for record in self.state.queries.values():
            record.expired = True

    def _register_chats(self, payload: JsonDict) -> None:
        for key in ("message", "edited_message", "my_chat_member"):
            body = payload.get(key)
            if isinstance(body, dict):
                self._register_body(body)
        query = payload.get("callback_query")
        if isinstance(query, dict):
            sender = query.get("from")
            if isinstance(sender, dict) and isinstance(sender.get("id"), int):
                self.state.users.setdefault(sender["id"], dict(sender))
            message = query.get("message")
            if isinstance(message, dict):
                self._register_body(message)

    def _register_body(self, body: JsonDict) -> None:
        chat = body.get("chat")
        if isinstance(chat, dict) and isinstance(chat.get("id"), int):
            self.state.ensure_chat(chat)
        sender = body.get("from")
        if isinstance(sender, dict) and isinstance(sender.get("id"), int):
            self.state.users.setdefault(sender["id"], dict(sender))

    # -- reading the state -----------------------------------------------------------------

    def calls(
        self,
        method: str | None = None,
        *,
        chat_id: int | None = None,
        include_transport: bool = False,
        since: int = 0,
    ) -> list[ApiCall]:
        """Bot API calls in order; transport calls (getUpdates, setWebhook ...) only if asked.

        ``since`` is a call ``seq``: only later calls are returned.
        """
        wanted = method.lower() if method else None
        # seq n is stored at index n - 1 (calls are only appended), so slicing skips old ones.
        return [
            call
            for call in self.state.calls[max(0, since) :]
            if (wanted is None or call.method.lower() == wanted)
            and (chat_id is None or call.chat_id == chat_id)
            and (include_transport or wanted is not None or not is_transport(call.method))
        ]

    def capped_calls(self, chat_id: int | None = None, *, since: int = 0) -> int:
        """Calls that count against the flood limits and were not refused with 429, in one chat
        or all; counted with the limits off too, so calls per answer can always be measured."""
        return sum(
            1
            for call in self.state.calls[max(0, since) :]
            if is_capped(call.method)
            and call.status != 429
            and (chat_id is None or call.chat_id == chat_id)
        )

    def flood_refusals(self, chat_id: int | None = None, *, since: int = 0) -> int:
        """Calls answered with 429 (by the limits or by an injected fault)."""
        return sum(
            1
            for call in self.state.calls[max(0, since) :]
            if call.status == 429 and (chat_id is None or call.chat_id == chat_id)
        )

    def chat(self, chat_id: int) -> ChatState:
        """The state of a known chat (KeyError if no user ever wrote in it)."""
        return self.state.chats[chat_id]

    def messages(self, chat_id: int, *, include_deleted: bool = False) -> list[ChatMessage]:
        """The bot's messages in a chat, in order, in their current state."""
        chat = self.state.chats.get(chat_id)
        if chat is None:
            return []
        return [m for m in chat.messages if m.from_bot and (include_deleted or not m.deleted)]

    def transcript(self, chat_id: int) -> str:
        """A chat as readable lines ("Bot: ..." / "Siti: ..."); "" for an unknown chat."""
        chat = self.state.chats.get(chat_id)
        if chat is None:
            return ""
        names = {uid: str(p.get("first_name", uid)) for uid, p in self.state.users.items()}
        return render_transcript(chat, names)

    def commands(
        self, scope: JsonDict | None = None, language_code: str = ""
    ) -> list[tuple[str, str]]:
        """The command menu stored for a scope (default scope) and language."""
        stored = self.state.commands.get((scope_key(scope), language_code), [])
        return [(c["command"], c["description"]) for c in stored]

    def callback_answers(self, user_id: int | None = None) -> list[CallbackAnswer]:
        """Every ``answerCallbackQuery``, optionally for one user."""
        return [a for a in self.state.answers if user_id is None or a.user_id == user_id]

    def file(self, file_id: str) -> UploadedFile:
        """A stored file (KeyError if the emulator never issued this id)."""
        stored = self.state.files.get(file_id)
        if stored is None:
            raise KeyError(file_id)
        return stored

    def webhook_deliveries(self) -> list[WebhookDelivery]:
        """Every webhook POST attempt with its HTTP status."""
        return list(self.webhook.deliveries)

    # -- waiting ---------------------------------------------------------------------------

    async def wait_for(
        self,
        predicate: Callable[[], bool],
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 - an assertion deadline, not an I/O timeout
        what: str = "a condition",
    ) -> None:
        """Wait until ``predicate()`` holds; AssertionError after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}")
            await self.activity.wait(min(remaining, 0.05))

    async def wait_for_call(
        self,
        method: str,
        *,
        chat_id: int | None = None,
        since: int = 0,
        timeout: float = 5.0,  # noqa: ASYNC109 - an assertion deadline, not an I/O timeout
    ) -> ApiCall:
        """The first finished call of ``method`` after ``since`` (a call seq)."""
        found: list[ApiCall] = []

        def finished() -> bool:
            found[:] = [c for c in self.calls(method, chat_id=chat_id, since=since) if c.done]
            return bool(found)

        await self.wait_for(finished, timeout=timeout, what=f"a {method} call")
        return found[0]

    async def wait_idle(
        self,
        *,
        quiet: float | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - an assertion deadline, not an I/O timeout
    ) -> None:
        """Wait until no bot call is running and none happened for ``quiet`` seconds."""
        window = self.quiet_period if quiet is None else quiet
        await self.wait_for(
            lambda: self.idle_for() >= window, timeout=timeout, what="the bot to go quiet"
        )

    def idle_for(self) -> float:
        """Seconds since the last non-transport call ended (0 while one is running)."""
        if self._in_flight:
            return 0.0
        if self._last_finished is None:
            return float("inf")
        return time.monotonic() - self._last_finished

    @property
    def last_seq(self) -> int:
        """The ``seq`` of the latest call (a marker for ``since=``)."""
        return self.state.calls[-1].seq if self.state.calls else 0

    # -- HTTP ------------------------------------------------------------------------------

    def _served_by(self, request: web.Request) -> TelegramEmulator | None:
        """The emulator of another bot on this server that the request is for."""
        return self._bots.get(request.match_info["token"])

    def _check_token(self, token: str) -> web.Response | None:
        if TOKEN_SHAPE.fullmatch(token) is None:
            return _json_response(not_found().envelope(), 404)
        if token != self.token:
            return _json_response(ApiError(401, "Unauthorized").envelope(), 401)
        return None

    async def _handle_method(self, request: web.Request) -> web.StreamResponse:
        other = self._served_by(request)
        if other is not None:
            return await other._handle_method(request)
        rejected = self._check_token(request.match_info["token"])
        if rejected is not None:
            return rejected
        method = request.match_info["method"]
        try:
            params = await _read_params(request)
        except ApiError as error:
            return _json_response(error.envelope(), error.status)
        return await self._carry_out(method, params, request)

    async def _webhook_reply(self, body: dict[str, Any]) -> None:
        """A method the bot returned in a webhook response: carried out as if called and
        logged with ``in_webhook_reply``; its result goes nowhere, as with Telegram."""
        values = {name: value for name, value in body.items() if name != "method"}
        await self._carry_out(str(body["method"]), ApiParams(values), None)

    async def _carry_out(
        self, method: str, params: ApiParams, request: web.Request | None
    ) -> web.StreamResponse:
        call = ApiCall(
            seq=self.last_seq + 1,
            method=method,
            params=params.decoded(),
            chat_id=self._chat_hint(method, params),
            started=time.monotonic(),
            files=dict(params.files),
            in_webhook_reply=request is None,
        )
        self.state.calls.append(call)
        counted = not is_transport(method)
        self._in_flight += counted
        self.activity.notify()
        try:
            return await self._answer(request, call, params)
        finally:
            call.finished = time.monotonic()
            if counted:
                self._in_flight -= 1
                self._last_finished = call.finished
            self.activity.notify()

    async def _answer(
        self, request: web.Request | None, call: ApiCall, params: ApiParams
    ) -> web.StreamResponse:
        try:
            fault = self.faults.take(call.method, call.chat_id)
            if fault is not None and fault.kind == "delay":
                await asyncio.sleep(fault.seconds)
            elif fault is not None and fault.kind == "drop":
                call.description = "connection dropped by a fault"
                if request is not None and request.transport is not None:
                    request.transport.close()
                return web.Response(status=499)
            elif fault is not None:
                raise fault.error()
            if self.flood is not None:
                self.flood.admit(call.method, call.chat_id)
            result = await self.api.call(call.method, params)
        except ApiError as error:
            call.status, call.description = error.status, error.description
            return _json_response(error.envelope(), error.status)
        except Exception:
            detail = traceback.format_exc()
            self.state.internal_errors.append(detail)
            _LOG.error("emulator failure in %s:\n%s", call.method, detail)
            call.status, call.description = 500, "Internal Server Error"
            return _json_response(ApiError(500, "Internal Server Error").envelope(), 500)
        call.status, call.result = 200, result
        return _json_response({"ok": True, "result": result}, 200)

    def _chat_hint(self, method: str, params: ApiParams) -> int | None:
        if method.lower() == "answercallbackquery":
            record = self.state.queries.get(params.text("callback_query_id") or "")
            return record.chat_id if record else None
        value = params.raw("chat_id")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                return int(value.strip())
        return None

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        other = self._served_by(request)
        if other is not None:
            return await other._handle_file(request)
        rejected = self._check_token(request.match_info["token"])
        if rejected is not None:
            return rejected
        stored = self.state.files.by_path(request.match_info["path"])
        if stored is None:
            return _json_response(not_found().envelope(), 404)
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )


def is_transport(method: str) -> bool:
    """True for the calls PTB makes to run the Updater rather than to talk to users."""
    return method.lower() in TRANSPORT_METHODS


def _json_response(body: Any, status: int) -> web.Response:
    return web.Response(
        text=json.dumps(body, ensure_ascii=False),
        status=status,
        content_type="application/json",
    )


async def _read_params(request: web.Request) -> ApiParams:
    """Query string plus a urlencoded, multipart or JSON body."""
    values: dict[str, Any] = dict(request.query)
    files: dict[str, UploadedFile] = {}
    if not request.can_read_body:
        return ApiParams(values, files)
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise bad_request("can't parse JSON object") from None
        if not isinstance(body, dict):
            raise bad_request("can't parse JSON object")
        values.update(body)
    elif request.content_type.startswith("multipart/"):
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            if part.filename is not None:
                files[part.name] = UploadedFile(
                    data=bytes(await part.read(decode=False)),
                    filename=part.filename,
                    mime_type=part.headers.get("Content-Type"),
                )
            else:
                values[part.name] = await part.text()
    else:
        form = await request.post()
        values.update({key: value for key, value in form.items() if isinstance(value, str)})
    return ApiParams(values, files)
