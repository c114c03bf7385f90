"""The paced outbox sender: one `alert_delivery` row at a time per worker, every outcome
committed before the next, at most `rate` messages a second and one a second per chat.

Telegram's guidance is about 30 messages/s to different chats and 1/s in one chat (field notes
§4); the bot's `AIORateLimiter` has no per-chat limit for private chats and retries nothing we
could count, so broadcasts go through their own `Pacer` and a plain `telegram.Bot`.

What each Telegram answer does to a row:

- success: the part is recorded (`parts_sent`); after the last part the row is `sent` with the
  message id (that message carries the "✅ Sudah dibaca" button).
- `RetryAfter`: everyone pauses for `retry_after` (Telegram refuses every call meanwhile), then
  the same row is tried again.
- `Forbidden` (blocked, deactivated): `blocked`, the user becomes unreachable; never retried.
- `BadRequest` ("chat not found", a malformed message): `failed`; a retry would fail the same.
- `TimedOut` (or a connection dropped while waiting for the answer): the message may have been
  delivered. Retried once; a second uncertain attempt makes the row `failed` rather than risk
  a third copy.
- other network errors and 5xx: the whole sender backs off (0.5 s doubling to 30 s) and the row
  is tried again, at most `max_attempts` times.

A row is leased (`lease_owner`, `lease_until`) before it is sent, in the same transaction that
records the previous attempt's outcome. Once its send slot is granted, `sending_since` is
committed on its own, right before the HTTP request, and cleared with the outcome. A lease of a
dead sender (found expired, or released at start-up: `runs.release_dead_leases`) counts as an
uncertain attempt, like a timeout, ONLY when `sending_since` is set; a row merely leased ahead
(waiting for its slot, e.g. in a 429 pause) goes back to pending as if never touched, so
repeated crashes cannot fail officials who were never sent anything. Cancelling the sender (a
graceful stop) lets an attempt already on the wire finish and record its outcome, and never
cuts a transaction short, so only a hard crash can cause the one permitted duplicate.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import time
import warnings
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final, Protocol, TypeVar

from sqlalchemy import case, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest

from bot.alerts import buttons
from bot.alerts.schedule import Clock
from bot.db.models import AlertDelivery, AppUser, DeliveryStatus
from bot.db.types import utcnow
from bot.labelled_bot import LabelledBot
from bot.services.context import ServiceContext
from bot.settings import Settings

__all__ = [
    "ACK_LABEL",
    "AckOutcome",
    "BotSender",
    "DeliveryPolicy",
    "DeliveryReport",
    "MessageSender",
    "Pacer",
    "ack_markup",
    "acknowledge",
    "bot_sender",
    "deliver_rows",
    "finish_even_if_cancelled",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

ACK_LABEL: Final = "✅ Sudah dibaca"
_UNCERTAIN_LIMIT: Final = 2


@dataclass(frozen=True)
class DeliveryPolicy:
    """How fast and how stubbornly the outbox is sent (defaults: Telegram's guidance)."""

    rate: float = 25.0
    """Messages per second over all chats."""
    per_chat_interval: float = 1.0
    """Seconds between two messages to one chat."""
    slack: float = 0.2
    """Added to both windows so network and event-loop jitter cannot squeeze messages closer
    at Telegram: with 0.05 s a loaded machine delivered 26 messages within one second at the
    receiving end. The cost is a sustained rate of rate / (1 + slack), about 21/s."""
    workers: int = 16
    """Rows in flight at once: Telegram answers in ~0.1-0.3 s and a long alert's worker waits
    a second between its parts, so 25/s needs more than a handful."""
    lease: timedelta = timedelta(seconds=120)
    max_attempts: int = 8
    send_timeout: float = 15.0
    backoff_start: float = 0.5
    backoff_max: float = 30.0
    finish_grace: float = 20.0
    """How long a cancelled sender waits for an attempt already on the wire."""


class Pacer:
    """Grants send slots: at most `rate` per second overall (spaced 1/rate apart and never more
    than `rate` in any window of one second plus `slack`), one per `per_chat_interval` per
    chat, none while paused. One pacer per process, shared by every run it sends."""

    def __init__(
        self,
        rate: float,
        per_chat_interval: float = 1.0,
        *,
        slack: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.per_chat_interval = per_chat_interval
        self.slack = slack
        self._clock = clock
        self._sleep = sleep
        self._capacity = max(1, int(rate))
        self._window = 1.0 + slack
        self._granted: deque[float] = deque()
        self._last = float("-inf")
        self._paused_until = float("-inf")
        self._chat_next: dict[int, float] = {}
        self._chat_locks: dict[int, asyncio.Lock] = {}
        self._lock = asyncio.Lock()
        self._backoff = 0.0

    @property
    def paused_until(self) -> float:
        return self._paused_until

    def pause(self, seconds: float) -> None:
        """Nobody sends for `seconds` from now (a 429 says so for the whole bot)."""
        self._paused_until = max(self._paused_until, self._clock() + max(0.0, seconds))

    def trouble(self, start: float, limit: float) -> float:
        """A server or network error: pause for a backoff that doubles each time (from `start`
        up to `limit`) until `fine()`; returns the pause."""
        self._backoff = start if self._backoff <= 0 else min(limit, self._backoff * 2)
        self.pause(self._backoff)
        return self._backoff

    def fine(self) -> None:
        self._backoff = 0.0

    async def _sleep_until(self, moment: float) -> None:
        while True:
            remaining = moment - self._clock()
            if remaining <= 0:
                return
            await self._sleep(remaining)

    async def acquire(self, chat_id: int) -> float:
        """Wait for a slot to send to `chat_id`; returns the (monotonic) time it was granted."""
        granted = await self.acquire_then(chat_id, None)
        if granted is None:  # cannot happen: nothing was asked that could refuse the slot
            raise RuntimeError("a slot without a check was refused")
        return granted

    async def acquire_then(
        self, chat_id: int, before_send: Callable[[], Awaitable[bool]] | None
    ) -> float | None:
        """`acquire`, running `before_send` (committing that the request starts) inside the
        slot: the next slot waits for it, and the slot counts from when it is done, so a slow
        commit cannot bunch messages at Telegram. None (no slot used) when it returns False."""
        lock = self._chat_locks.setdefault(chat_id, asyncio.Lock())
        async with lock:
            await self._sleep_until(self._chat_next.get(chat_id, float("-inf")))
            granted = await self._global_slot(before_send)
            if granted is not None:
                self._chat_next[chat_id] = granted + self.per_chat_interval + self.slack
        if granted is not None and not lock.locked() and len(self._chat_locks) > 10_000:
            self._forget_idle_chats(granted)
        return granted

    async def _global_slot(
        self, before_send: Callable[[], Awaitable[bool]] | None = None
    ) -> float | None:
        async with self._lock:
            while True:
                now = self._clock()
                while self._granted and self._granted[0] <= now - self._window:
                    self._granted.popleft()
                ready = max(self._paused_until, self._last + 1.0 / self.rate)
                if len(self._granted) >= self._capacity:
                    ready = max(ready, self._granted[0] + self._window)
                if ready <= now:
                    if before_send is not None:
                        if not await before_send():
                            return None
                        now = self._clock()  # later only loosens the checks above
                    self._granted.append(now)
                    self._last = now
                    return now
                await self._sleep(ready - now)

    def _forget_idle_chats(self, now: float) -> None:
        for chat_id, moment in list(self._chat_next.items()):
            lock = self._chat_locks.get(chat_id)
            if moment < now and (lock is None or not lock.locked()):
                self._chat_next.pop(chat_id, None)
                self._chat_locks.pop(chat_id, None)


class MessageSender(Protocol):
    """Sends one HTML message (giving Telegram `seconds` to answer) and returns its message
    id, raising `telegram.error` errors."""

    async def send(
        self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None, seconds: float
    ) -> int: ...


class BotSender:
    """`MessageSender` over a plain `telegram.Bot` (no rate limiter: the pacer is the limit)."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(
        self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None, seconds: float
    ) -> int:
        message = await self.bot.send_message(
            chat_id,
            text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            disable_web_page_preview=True,
            read_timeout=seconds,
            write_timeout=seconds,
            connect_timeout=seconds,
            pool_timeout=seconds,
        )
        return message.message_id


@contextlib.asynccontextmanager
async def bot_sender(
    settings: Settings, *, connections: int = 16, token: str | None = None
) -> AsyncIterator[BotSender]:
    """A broadcast bot for `settings` (token and API address), opened and closed around use;
    `token` (one of several bots) overrides TELEGRAM_BOT_TOKEN."""
    secret = settings.telegram_bot_token
    if token is None:
        token = secret.get_secret_value().strip() if secret is not None else ""
    if not token:
        raise ValueError(
            "TELEGRAM_BOT_TOKEN belum diisi: peringatan tidak dapat dikirim tanpa token bot."
        )
    api = settings.telegram_api_url.rstrip("/")
    bot = LabelledBot(
        token,
        base_url=f"{api}/bot",
        base_file_url=f"{api}/file/bot",
        request=HTTPXRequest(connection_pool_size=connections),
        label=settings.demo_label,  # only `ikk-bot demo` sets it
    )
    async with bot:
        yield BotSender(bot)


def ack_markup(delivery_id: int) -> InlineKeyboardMarkup:
    """The "✅ Sudah dibaca" button of the alert sent by outbox row `delivery_id`."""
    data = buttons.encode(buttons.AlertButton(buttons.Op.ACK, number=delivery_id))
    return InlineKeyboardMarkup([[InlineKeyboardButton(ACK_LABEL, callback_data=data)]])


# --------------------------------------------------------------------------- sending rows


@dataclass
class DeliveryReport:
    """What one pass over a run's pending rows did."""

    sent: int = 0
    blocked: int = 0
    failed: int = 0
    skipped: int = 0
    """Rows held by another process, or finished by one, when this pass reached them."""
    messages: int = 0
    """Messages Telegram accepted (a long alert has several)."""
    seconds: float = 0.0


@dataclass(frozen=True)
class _Leased:
    id: int
    user_id: int
    chat_id: int
    parts: tuple[str, ...]
    parts_sent: int
    attempts: int
    uncertain: int


class _Outcome(StrEnum):
    SENT = "sent"
    BLOCKED = "blocked"
    FAILED = "failed"
    SKIPPED = "skipped"


async def _settle(task: asyncio.Future[Any], grace: float) -> None:
    """Give `task` up to `grace` seconds to finish, whatever happens to us meanwhile."""
    with contextlib.suppress(Exception, asyncio.CancelledError):
        await asyncio.wait({task}, timeout=grace)


async def finish_even_if_cancelled(coro: Awaitable[T], grace: float) -> T:
    """Await `coro`; if we are cancelled meanwhile, let it finish (up to `grace` seconds) so
    an attempt already on the wire still records its outcome, then re-raise."""
    task = asyncio.ensure_future(coro)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await _settle(task, grace)
        raise


@dataclass(frozen=True)
class _Write:
    """What an attempt leaves to write: the row's new values, the user to make unreachable,
    and the outcome (None: the row goes on, leased again for its next attempt or part)."""

    values: dict[str, Any]
    outcome: _Outcome | None
    unreachable_user: int | None = None


@dataclass
class _RowSender:
    """Sends rows one after another for one worker. One transaction per message: the
    outcome of an attempt and the lease of the next attempt (the same row again, or the next
    row from the queue) are committed together, and before anything is sent."""

    ctx: ServiceContext
    sender: MessageSender
    pacer: Pacer
    policy: DeliveryPolicy
    owner: str
    clock: Clock
    report: DeliveryReport = field(default_factory=DeliveryReport)

    # -- database --------------------------------------------------------------------------

    async def _lease_in(self, session: AsyncSession, row_id: int) -> _Leased | None:
        """Lease `row_id` if it is pending and nobody else holds it. A lease of another
        owner found expired means that sender died: one more uncertain attempt if its request
        had started, else its attempt never happened and is not counted again."""
        now = self.clock()
        other = (AlertDelivery.lease_owner.is_not(None)) & (AlertDelivery.lease_owner != self.owner)
        started = AlertDelivery.sending_since.is_not(None)
        result = await session.execute(
            update(AlertDelivery)
            .where(
                AlertDelivery.id == row_id,
                AlertDelivery.status == DeliveryStatus.PENDING,
                or_(
                    AlertDelivery.lease_owner.is_(None),
                    AlertDelivery.lease_owner == self.owner,
                    AlertDelivery.lease_until < now,
                ),
            )
            .values(
                lease_owner=self.owner,
                lease_until=now + self.policy.lease,
                attempts=AlertDelivery.attempts + case((other & ~started, 0), else_=1),
                uncertain=AlertDelivery.uncertain + case((other & started, 1), else_=0),
                sending_since=None,
            )
            .returning(
                AlertDelivery.user_id, AlertDelivery.chat_id, AlertDelivery.parts,
                AlertDelivery.parts_sent, AlertDelivery.attempts, AlertDelivery.uncertain,
            )
        )
        found = result.first()
        if found is None:
            return None
        user_id, chat_id, parts, parts_sent, attempts, uncertain = found
        return _Leased(row_id, user_id, chat_id, _parts(parts), parts_sent, attempts, uncertain)

    async def write(
        self, row_id: int | None, change: _Write | None, lease_next: int | None
    ) -> _Leased | None:
        """In one transaction: write `change` to `row_id` (only while we hold it), then lease
        `lease_next`. Returns the new lease (None: nothing leased)."""

        async def work(session: AsyncSession) -> _Leased | None:
            if row_id is not None and change is not None:
                await session.execute(
                    update(AlertDelivery)
                    .where(AlertDelivery.id == row_id, AlertDelivery.lease_owner == self.owner)
                    .values(**{"sending_since": None, **change.values})
                )
                if change.unreachable_user is not None:
                    await session.execute(
                        update(AppUser)
                        .where(AppUser.id == change.unreachable_user)
                        .values(reachable=False, updated_at=utcnow())
                    )
            if lease_next is None:
                return None
            return await self._lease_in(session, lease_next)

        return await self.ctx.write(work)

    async def release(self, row_id: int) -> None:
        """Hand a leased row back untouched (we were stopped before sending it)."""
        change = _Write(
            {"lease_owner": None, "lease_until": None, "attempts": AlertDelivery.attempts - 1},
            None,
        )
        await self.write(row_id, change, None)

    async def mark_sending(self, row_id: int) -> bool:
        """Commit that the request for `row_id` starts now (False: we no longer hold it)."""

        async def work(session: AsyncSession) -> bool:
            result = await session.execute(
                update(AlertDelivery)
                .where(AlertDelivery.id == row_id, AlertDelivery.lease_owner == self.owner,
                       AlertDelivery.status == DeliveryStatus.PENDING)
                .values(sending_since=self.clock())
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

        task = asyncio.ensure_future(self.ctx.write(work))
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:  # never cut a transaction; then hand the row back
            await _settle(task, self.policy.finish_grace)
            await _settle(asyncio.ensure_future(self.release(row_id)), 5.0)
            raise

    async def guarded_write(
        self, row_id: int | None, change: _Write | None, lease_next: int | None
    ) -> _Leased | None:
        """`write`, completed even if we are cancelled meanwhile (a cut transaction can leave
        SQLite locked); a row it leased for an attempt that will not happen is handed back."""
        task = asyncio.ensure_future(self.write(row_id, change, lease_next))
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            await _settle(task, self.policy.finish_grace)
            if task.done() and not task.cancelled() and task.exception() is None:
                leased = task.result()
                if leased is not None:
                    await _settle(asyncio.ensure_future(self.release(leased.id)), 5.0)
            raise

    # -- one worker ------------------------------------------------------------------------

    def count(self, outcome: _Outcome) -> None:
        report = self.report
        if outcome is _Outcome.SENT:
            report.sent += 1
        elif outcome is _Outcome.BLOCKED:
            report.blocked += 1
        elif outcome is _Outcome.FAILED:
            report.failed += 1
        else:
            report.skipped += 1

    async def run(self, queue: deque[int]) -> None:
        """Take rows from `queue` until it is empty, each to its end."""
        row: _Leased | None = None
        change: _Write | None = None
        while True:
            if row is not None and change is not None and change.outcome is None:
                target: int | None = row.id  # the same row again: a retry, or its next part
            else:
                target = queue.popleft() if queue else None
            if target is None and change is None:
                return
            leased = await self.guarded_write(
                row.id if row is not None and change is not None else None, change, target
            )
            if change is not None and change.outcome is not None:
                self.count(change.outcome)
            if leased is None and target is not None:
                self.count(_Outcome.SKIPPED)  # another process has it, or it is finished
            row, change = leased, None
            if row is None:
                continue
            change = self.check(row)
            if change is not None:
                continue
            try:
                # `sending_since` is committed inside the send slot, right before the request.
                granted = await self.pacer.acquire_then(
                    row.chat_id, functools.partial(self.mark_sending, row.id)
                )
            except asyncio.CancelledError:
                await _settle(asyncio.ensure_future(self.release(row.id)), 5.0)
                raise
            if granted is None:
                self.count(_Outcome.SKIPPED)  # taken over meanwhile: its new holder sends it
                row = None
                continue
            change = await self.guarded_attempt(row)

    async def guarded_attempt(self, row: _Leased) -> _Write:
        """`attempt`, let finish even if we are cancelled meanwhile; then what Telegram said is
        written before the cancellation goes on (a message sent must be recorded as sent)."""
        task = asyncio.ensure_future(self.attempt(row))
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            await _settle(task, self.policy.finish_grace)
            if task.done() and not task.cancelled() and task.exception() is None:
                change = task.result()
                if change.outcome is None:  # not finished: hand the row back as it stands
                    change = _Write(
                        {**change.values, "lease_owner": None, "lease_until": None}, None
                    )
                await _settle(asyncio.ensure_future(self.write(row.id, change, None)), 10.0)
            raise

    def check(self, row: _Leased) -> _Write | None:
        """A final write for a row that must not be tried (again), else None."""
        if not row.parts or row.parts_sent >= len(row.parts):
            return self._final(DeliveryStatus.FAILED, "tidak ada isi pesan")
        if row.uncertain >= _UNCERTAIN_LIMIT:
            return self._final(
                DeliveryStatus.FAILED,
                "dihentikan: dua percobaan tanpa jawaban (pesan mungkin sudah terkirim)",
            )
        if row.attempts - row.parts_sent > self.policy.max_attempts:
            return self._final(DeliveryStatus.FAILED, "terlalu banyak percobaan")
        return None

    @staticmethod
    def _final(
        status: DeliveryStatus, error: str | None, *, user: int | None = None, **values: Any
    ) -> _Write:
        outcome = {
            DeliveryStatus.SENT: _Outcome.SENT,
            DeliveryStatus.BLOCKED: _Outcome.BLOCKED,
        }.get(status, _Outcome.FAILED)
        return _Write(
            {"status": status, "last_error": error, "lease_owner": None, "lease_until": None,
             **values},
            outcome,
            user,
        )

    async def attempt(self, row: _Leased) -> _Write:
        """Send the next part of `row`; what to write about it."""
        index = row.parts_sent
        last = index == len(row.parts) - 1
        markup = ack_markup(row.id) if last else None
        try:
            message_id = await self.sender.send(
                row.chat_id, row.parts[index], markup, self.policy.send_timeout
            )
        except RetryAfter as error:
            seconds = _retry_after(error)
            self.pacer.pause(seconds + 0.1)
            return _Write({"last_error": f"RetryAfter {seconds:g} s"}, None)
        except Forbidden as error:
            return self._final(DeliveryStatus.BLOCKED, _text(error), user=row.user_id)
        except ChatMigrated as error:
            return _Write({"chat_id": error.new_chat_id, "last_error": _text(error)}, None)
        except BadRequest as error:
            return self._final(DeliveryStatus.FAILED, _text(error))
        except NetworkError as error:
            if _maybe_delivered(error):
                uncertain = row.uncertain + 1
                if uncertain >= _UNCERTAIN_LIMIT:
                    return self._final(
                        DeliveryStatus.FAILED,
                        f"{_text(error)}: dua kali tanpa jawaban (pesan mungkin sudah terkirim)",
                        uncertain=uncertain,
                    )
                return _Write({"uncertain": uncertain, "last_error": _text(error)}, None)
            pause = self.pacer.trouble(self.policy.backoff_start, self.policy.backoff_max)
            log.info("alert row %s: %s; everyone waits %.1f s", row.id, error, pause)
            return _Write({"last_error": _text(error)}, None)
        except TelegramError as error:
            return self._final(DeliveryStatus.FAILED, _text(error))
        self.pacer.fine()
        self.report.messages += 1
        if not last:
            return _Write({"parts_sent": index + 1, "last_error": None}, None)
        return self._final(
            DeliveryStatus.SENT, None, parts_sent=index + 1, sent_at=self.clock(),
            telegram_message_id=message_id,
        )


_LOST_ANSWER: Final = ("ReadError", "RemoteProtocolError", "ReadTimeout")


def _maybe_delivered(error: NetworkError) -> bool:
    """True when the request reached Telegram but its answer did not come back (a timeout, a
    connection dropped while waiting): the message may have been delivered. A 5xx answer or
    a refused connection means it was not."""
    return isinstance(error, TimedOut) or any(name in error.message for name in _LOST_ANSWER)


def _parts(raw: str | None) -> tuple[str, ...]:
    try:
        loaded = json.loads(raw or "[]")
    except ValueError:
        return ()
    if not isinstance(loaded, list):
        return ()
    return tuple(p for p in loaded if isinstance(p, str) and p)


def _retry_after(error: RetryAfter) -> float:
    """Seconds to wait (PTB 22 warns that `retry_after` becomes a timedelta; take either)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value: float | timedelta = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _text(error: TelegramError) -> str:
    return f"{type(error).__name__}: {error.message}"[:500]


async def deliver_rows(
    ctx: ServiceContext,
    row_ids: list[int],
    sender: MessageSender,
    pacer: Pacer,
    *,
    policy: DeliveryPolicy,
    owner: str,
    clock: Clock,
) -> DeliveryReport:
    """Send the given outbox rows with `policy.workers` workers; every outcome is committed
    as it happens. Rows another process holds are skipped (counted in `skipped`)."""
    started = time.monotonic()
    row_sender = _RowSender(ctx, sender, pacer, policy, owner, clock)
    queue: deque[int] = deque(row_ids)
    report = row_sender.report

    async def worker() -> None:
        await row_sender.run(queue)

    count = max(1, min(policy.workers, len(row_ids)))
    tasks = [asyncio.ensure_future(worker()) for _ in range(count)]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        # Stop the other workers once (a cancelled gather has already asked them), then wait
        # for them: each lets an attempt already on the wire finish and record its outcome.
        for task in tasks:
            if not task.done() and not task.cancelling():
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    finally:
        report.seconds = time.monotonic() - started
    return report


# --------------------------------------------------------------------------- acknowledgement


class AckOutcome(StrEnum):
    RECORDED = "recorded"
    ALREADY = "already"
    NOT_FOUND = "not_found"
    """No such alert, or it was sent to someone else."""


async def acknowledge(
    ctx: ServiceContext, delivery_id: int, telegram_id: int, *, now: datetime | None = None
) -> AckOutcome:
    """Store that the person who got alert `delivery_id` tapped "Sudah dibaca" (the first tap
    counts; a tap by anyone else on a forwarded copy is refused)."""
    moment = now or utcnow()

    async def work(session: AsyncSession) -> AckOutcome:
        row = (
            await session.execute(
                select(AlertDelivery.id, AlertDelivery.acknowledged_at)
                .join(AppUser, AppUser.id == AlertDelivery.user_id)
                .where(AlertDelivery.id == delivery_id, AppUser.telegram_id == telegram_id)
            )
        ).first()
        if row is None:
            return AckOutcome.NOT_FOUND
        if row.acknowledged_at is not None:
            return AckOutcome.ALREADY
        result = await session.execute(
            update(AlertDelivery)
            .where(AlertDelivery.id == delivery_id, AlertDelivery.acknowledged_at.is_(None))
            .values(acknowledged_at=moment)
        )
        return AckOutcome.RECORDED if result.rowcount else AckOutcome.ALREADY  # type: ignore[attr-defined]

    return await ctx.write(work)
