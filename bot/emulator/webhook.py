"""Webhook delivery: POST each pending update to the bot's URL, as Telegram does.

Telegram sends ``Content-Type: application/json`` exactly (PTB's tornado server rejects
anything else) and the ``X-Telegram-Bot-Api-Secret-Token`` header when a secret was set; it
retries a non-2xx answer. Updates are sent one at a time so their order is deterministic;
with ``connections`` > 1 (load tests) up to that many POSTs run at once, as Telegram opens up
to ``max_connections``, but never two for one user, so each user's updates still arrive in order.

A 2xx response may carry one Bot API method as its JSON body (``{"method": ..., params}``), as
Telegram allows; it is handed to ``on_reply`` (the emulator carries it out and logs it as a call
made in a webhook reply). Whether it worked is not reported back, as with Telegram.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.emulator.updates import QueuedUpdate, UpdateQueue

_LOG = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
UNREACHABLE_RETRY_DELAY = 0.5

ReplyHandler = Callable[[dict[str, Any]], Awaitable[None]]
"""Carries out a method returned in a webhook response."""


@dataclass(frozen=True)
class WebhookConfig:
    """What ``setWebhook`` stored."""

    url: str
    secret_token: str | None
    max_connections: int
    allowed_updates: tuple[str, ...] | None
    ip_address: str | None


@dataclass(frozen=True)
class WebhookDelivery:
    """One POST attempt: the HTTP status, or the connection error when there was none."""

    update_id: int
    attempt: int
    status: int | None
    error: str | None
    at: float

    @property
    def ok(self) -> bool:
        """True for a 2xx answer."""
        return self.status is not None and 200 <= self.status < 300


class WebhookSender:
    """Runs the delivery loop while a webhook is set."""

    def __init__(
        self,
        queue: UpdateQueue,
        retry_delays: Sequence[float] = (0.05, 0.2, 0.5),
        request_timeout: float = 10.0,
        connections: int = 1,
        on_reply: ReplyHandler | None = None,
    ) -> None:
        self._queue = queue
        self._on_reply = on_reply
        self._connections = max(1, connections)
        self._retry_delays = tuple(retry_delays)
        self._request_timeout = request_timeout
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.config: WebhookConfig | None = None
        self.deliveries: list[WebhookDelivery] = []
        self.given_up: list[int] = []
        self.last_error_date: int | None = None
        self.last_error_message: str | None = None

    def set(self, config: WebhookConfig) -> None:
        """Store the webhook and make sure the sender runs."""
        self.config = config
        self._closing = False
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="emulator-webhook-sender")
        self._queue.notify()

    async def delete(self) -> None:
        """Forget the webhook; pending updates stay for ``getUpdates``."""
        self.config = None
        await self.close()

    async def close(self) -> None:
        """Stop the delivery loop at once."""
        self._closing = True
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=self._request_timeout)
        # No keep-alive: PTB's tornado server waits for open connections when it shuts down.
        connector = aiohttp.TCPConnector(force_close=True)
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
            if self._connections > 1:
                await self._run_parallel(session)
                return
            while self.config is not None and not self._closing:
                item = self._queue.next_for_webhook()
                if item is None:
                    await self._queue.wait_changed(1.0)
                    continue
                config = self.config
                delivered = await self._deliver(session, config, item)
                if delivered or (self.config == config and not self._closing):
                    self._queue.ack(item)

    async def _run_parallel(self, session: aiohttp.ClientSession) -> None:
        """Up to ``connections`` (and the webhook's ``max_connections``) POSTs at once; an
        update waits while an earlier one of the same user is pending or in flight."""
        running: dict[asyncio.Task[None], QueuedUpdate] = {}

        def finished(task: asyncio.Task[None]) -> None:
            running.pop(task, None)
            self._queue.notify()

        try:
            while self.config is not None and not self._closing:
                config = self.config
                item = None
                if len(running) < min(self._connections, config.max_connections):
                    item = self._queue.next_for_webhook(_first_per_user(running.values()))
                if item is None:
                    await self._queue.wait_changed(1.0)
                    continue
                task = asyncio.create_task(self._deliver_and_ack(session, config, item))
                running[task] = item
                task.add_done_callback(finished)
        finally:
            for task in list(running):
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)

    async def _deliver_and_ack(
        self, session: aiohttp.ClientSession, config: WebhookConfig, item: QueuedUpdate
    ) -> None:
        delivered = await self._deliver(session, config, item)
        if delivered or (self.config == config and not self._closing):
            self._queue.ack(item)

    async def _deliver(
        self, session: aiohttp.ClientSession, config: WebhookConfig, item: QueuedUpdate
    ) -> bool:
        """POST one update until it is accepted, refused too often, or the webhook changes.

        An HTTP error answer counts towards giving up (Telegram drops the update after a few
        attempts); an unreachable server does not, so updates wait while the bot is down.
        """
        headers = {"Content-Type": "application/json"}
        if config.secret_token:
            headers[SECRET_HEADER] = config.secret_token
        body = json.dumps(item.payload, ensure_ascii=False).encode("utf-8")
        refusals = unreachable = 0
        attempt = 0
        while True:
            attempt += 1
            status, error, reply = await self._post(session, config.url, body, headers)
            self.deliveries.append(
                WebhookDelivery(item.update_id, attempt, status, error, time.monotonic())
            )
            if status is not None and 200 <= status < 300:
                if reply is not None and self._on_reply is not None:
                    await self._on_reply(reply)
                return True
            self.last_error_date = int(time.time())
            self.last_error_message = error or f"Wrong response from the webhook: {status}"
            if self.config != config or self._closing:
                return False
            if status is None:
                unreachable += 1
                delay = self._delay(unreachable)
            else:
                refusals += 1
                if refusals > len(self._retry_delays):
                    self.given_up.append(item.update_id)
                    _LOG.warning("webhook delivery of update %s given up", item.update_id)
                    return False
                delay = self._delay(refusals)
            await asyncio.sleep(delay)

    def _delay(self, failures: int) -> float:
        if not self._retry_delays:
            return UNREACHABLE_RETRY_DELAY
        return self._retry_delays[min(failures, len(self._retry_delays)) - 1]

    @staticmethod
    async def _post(
        session: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int | None, str | None, dict[str, Any] | None]:
        """The status (None when unreachable), the error, and a method the response carries."""
        try:
            async with session.post(url, data=body, headers=headers) as response:
                answer = await response.read()
                return response.status, None, _carried_method(response.content_type, answer)
        except (aiohttp.ClientError, TimeoutError) as exc:
            return None, f"Connection failed: {type(exc).__name__}", None


def _carried_method(content_type: str, body: bytes) -> dict[str, Any] | None:
    """The ``{"method": ..., ...}`` object of a JSON response body, else None (ignored)."""
    if content_type != "application/json" or not body:
        return None
    try:
        value = json.loads(body)
    except ValueError:
        return None
    if isinstance(value, dict) and isinstance(value.get("method"), str):
        return value
    return None


def _user_of(item: QueuedUpdate) -> object:
    """Whose update this is (the sender, else the chat); updates without either share one key."""
    for body in item.payload.values():
        if not isinstance(body, dict):
            continue
        sender = body.get("from")
        if isinstance(sender, dict) and "id" in sender:
            return sender["id"]
        chat = body.get("chat")
        if isinstance(chat, dict) and "id" in chat:
            return chat["id"]
    return None


def _first_per_user(in_flight: Iterable[QueuedUpdate]) -> Callable[[QueuedUpdate], bool]:
    """A filter for `next_for_webhook`, asked in queue order: True for an update that is not in
    flight and is the oldest pending one of a user with nothing in flight."""
    sending = {id(item) for item in in_flight}
    blocked = {_user_of(item) for item in in_flight}

    def can_send(item: QueuedUpdate) -> bool:
        user = _user_of(item)
        if id(item) in sending or user in blocked:
            return False
        blocked.add(user)  # later updates of this user wait for this one
        return True

    return can_send
