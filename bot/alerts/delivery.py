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

A row is leased (`lease_owner`, `lease_until`) just before it is sent. A lease found expired
with no outcome means its sender died mid-attempt: that attempt counts as uncertain, like a
timeout. Cancelling the sender (a graceful stop) lets an attempt already on the wire finish and
record its outcome, so only a hard crash can cause the one permitted duplicate.
"""

from __future__ import annotations

import asyncio
import contextlib
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

from sqlalchemy import or_, select, update
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
    slack: float = 0.05
    """Added to both windows so network jitter cannot squeeze messages closer at Telegram."""
    workers: int = 8
    """Rows in flight at once (Telegram answers in ~0.1-0.3 s, so 25/s needs several)."""
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
        lock = self._chat_locks.setdefault(chat_id, asyncio.Lock())
        async with lock:
            await self._sleep_until(self._chat_next.get(chat_id, float("-inf")))
            granted = await self._global_slot()
            self._chat_next[chat_id] = granted + self.per_chat_interval + self.slack
        if not lock.locked() and len(self._chat_locks) > 10_000:
            self._forget_idle_chats(granted)
        return granted

    async def _global_slot(self) -> float:
        async with self._lock:
            while True:
                now = self._clock()
                while self._granted and self._granted[0] <= now - self._window:
                    self._granted.popleft()
                ready = max(self._paused_until, self._last + 1.0 / self.rate)
                if len(self._granted) >= self._capacity:
                    ready = max(ready, self._granted[0] + self._window)
                if ready <= now:
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
async def bot_sender(settings: Settings, *, connections: int = 16) -> AsyncIterator[BotSender]:
    """A broadcast bot for `settings` (token and API address), opened and closed around use."""
    secret = settings.telegram_bot_token
    token = secret.get_secret_value().strip() if secret is not None else ""
    if not token:
        raise ValueError(
            "TELEGRAM_BOT_TOKEN belum diisi: peringatan tidak dapat dikirim tanpa token bot."
        )
    api = settings.telegram_api_url.rstrip("/")
    bot = Bot(
        token,
        base_url=f"{api}/bot",
        base_file_url=f"{api}/file/bot",
        request=HTTPXRequest(connection_pool_size=connections),
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


@dataclass
class _RowSender:
    ctx: ServiceContext
    sender: MessageSender
    pacer: Pacer
    policy: DeliveryPolicy
    owner: str
    clock: Clock
    report: DeliveryReport = field(default_factory=DeliveryReport)

    # -- database steps (each its own committed transaction) ---------------------------------

    async def lease(self, row_id: int) -> _Leased | None:
        now = self.clock()

        async def work(session: AsyncSession) -> _Leased | None:
            row = await session.get(AlertDelivery, row_id, populate_existing=True)
            if row is None or row.status is not DeliveryStatus.PENDING:
                return None
            held = row.lease_until is not None and row.lease_owner is not None
            if held and row.lease_owner != self.owner and row.lease_until is not None \
                    and row.lease_until >= now:
                return None
            interrupted = held and row.lease_owner != self.owner
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
                    attempts=AlertDelivery.attempts + 1,
                    uncertain=AlertDelivery.uncertain + (1 if interrupted else 0),
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
            return _Leased(row_id, user_id, chat_id, _parts(parts), parts_sent, attempts,
                           uncertain)

        return await self.ctx.write(work)

    async def record(self, row_id: int, *, user_id: int | None = None, **values: Any) -> None:
        """Write an outcome (only while we hold the row); with `user_id`, also make that user
        unreachable (Forbidden) in the same transaction."""

        async def work(session: AsyncSession) -> None:
            await session.execute(
                update(AlertDelivery)
                .where(AlertDelivery.id == row_id, AlertDelivery.lease_owner == self.owner)
                .values(**values)
            )
            if user_id is not None:
                await session.execute(
                    update(AppUser)
                    .where(AppUser.id == user_id)
                    .values(reachable=False, updated_at=utcnow())
                )

        await self.ctx.write(work)

    async def final(
        self,
        row_id: int,
        status: DeliveryStatus,
        error: str | None,
        *,
        user_id: int | None = None,
        **values: Any,
    ) -> None:
        await self.record(
            row_id, user_id=user_id, status=status, last_error=error, lease_owner=None,
            lease_until=None, **values,
        )

    async def release(self, row_id: int) -> None:
        """Hand a leased row back untouched (we were stopped before sending it)."""
        await self.record(
            row_id, lease_owner=None, lease_until=None, attempts=AlertDelivery.attempts - 1
        )

    # -- one row ---------------------------------------------------------------------------

    async def prepare(self, row_id: int) -> tuple[_Leased | None, _Outcome | None]:
        """Lease the row and settle what needs no message: (row to send, None), or (None,
        outcome) when the row is taken, finished, or must not be tried again."""
        row = await self.lease(row_id)
        if row is None:
            return None, _Outcome.SKIPPED
        if not row.parts or row.parts_sent >= len(row.parts):
            await self.final(row.id, DeliveryStatus.FAILED, "tidak ada isi pesan")
            return None, _Outcome.FAILED
        if row.uncertain >= _UNCERTAIN_LIMIT:
            await self.final(
                row.id, DeliveryStatus.FAILED,
                "dihentikan: dua percobaan tanpa jawaban (pesan mungkin sudah terkirim)",
            )
            return None, _Outcome.FAILED
        if row.attempts - row.parts_sent > self.policy.max_attempts:
            await self.final(row.id, DeliveryStatus.FAILED, "terlalu banyak percobaan")
            return None, _Outcome.FAILED
        return row, None

    async def deliver(self, row_id: int) -> _Outcome:
        """Send one row to its end. Database work and an attempt on the wire are never cut
        short by cancellation (a cut transaction can leave SQLite locked); only the waits are,
        and a row leased but not yet sent is handed back."""
        while True:
            preparing = asyncio.ensure_future(self.prepare(row_id))
            try:
                row, outcome = await asyncio.shield(preparing)
            except asyncio.CancelledError:
                await _settle(preparing, self.policy.finish_grace)
                if preparing.done() and not preparing.cancelled() and not preparing.exception():
                    leased, _ = preparing.result()
                    if leased is not None:
                        await _settle(asyncio.ensure_future(self.release(leased.id)), 5.0)
                raise
            if row is None:
                assert outcome is not None
                return outcome
            try:
                await self.pacer.acquire(row.chat_id)
            except asyncio.CancelledError:
                await _settle(asyncio.ensure_future(self.release(row.id)), 5.0)
                raise
            outcome = await finish_even_if_cancelled(self.attempt(row), self.policy.finish_grace)
            if outcome is not None:
                return outcome

    async def attempt(self, row: _Leased) -> _Outcome | None:
        """Send the next part of `row` and record what happened; None: go on with the row."""
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
            await self.record(row.id, last_error=f"RetryAfter {seconds:g} s")
            return None
        except Forbidden as error:
            await self.final(row.id, DeliveryStatus.BLOCKED, _text(error), user_id=row.user_id)
            return _Outcome.BLOCKED
        except ChatMigrated as error:
            await self.record(row.id, chat_id=error.new_chat_id, last_error=_text(error))
            return None
        except BadRequest as error:
            await self.final(row.id, DeliveryStatus.FAILED, _text(error))
            return _Outcome.FAILED
        except NetworkError as error:
            if _maybe_delivered(error):
                uncertain = row.uncertain + 1
                if uncertain >= _UNCERTAIN_LIMIT:
                    await self.final(
                        row.id, DeliveryStatus.FAILED,
                        f"{_text(error)}: dua kali tanpa jawaban (pesan mungkin sudah terkirim)",
                        uncertain=uncertain,
                    )
                    return _Outcome.FAILED
                await self.record(row.id, uncertain=uncertain, last_error=_text(error))
                return None
            pause = self.pacer.trouble(self.policy.backoff_start, self.policy.backoff_max)
            log.info("alert row %s: %s; everyone waits %.1f s", row.id, error, pause)
            await self.record(row.id, last_error=_text(error))
            return None
        except TelegramError as error:
            await self.final(row.id, DeliveryStatus.FAILED, _text(error))
            return _Outcome.FAILED
        self.pacer.fine()
        self.report.messages += 1
        if not last:
            await self.record(row.id, parts_sent=index + 1, last_error=None)
            return None
        await self.record(
            row.id, parts_sent=index + 1, status=DeliveryStatus.SENT, sent_at=self.clock(),
            telegram_message_id=message_id, last_error=None, lease_owner=None, lease_until=None,
        )
        return _Outcome.SENT


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
        while queue:
            row_id = queue.popleft()
            outcome = await row_sender.deliver(row_id)
            if outcome is _Outcome.SENT:
                report.sent += 1
            elif outcome is _Outcome.BLOCKED:
                report.blocked += 1
            elif outcome is _Outcome.FAILED:
                report.failed += 1
            else:
                report.skipped += 1

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
