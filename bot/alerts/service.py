"""The weekly alert as one service: plan, claim, send, resume; used by the jobs and the CLI.

Every entry point asks the database, not the process's memory, what has been done:

- `run_due()` (the scheduled job, the start-up catch-up and the periodic sweep): if a run was
  due within `catch_up` (default 24 h) and its period is not claimed, plan and claim it; then
  send whatever is pending in unfinished runs. Two processes, a late job and a restart all end
  in the same claim, so a period is sent once.
- `run_now()`: an operator's run of the current week (WITA), "2026-W49" or "2026-W49@<area>"
  for one area. A week already sent (by the schedule or an earlier run-now) is not sent again:
  the outcome carries the earlier run instead. `force=True` makes a separate repeat run
  ("2026-W49#2"), so the earlier run's record stays as it was.
- `resume()`: send the pending rows of unfinished runs; a run not finished within
  `resume_window` (default 48 h) is given up (last week's news is no news).

One process at a time sends a run (the run lease); within it a `Pacer` shared by all runs
keeps to the policy's rates; with several bot tokens, one pacer per token, each official's
alert going through her own bot (`bot.alerts.routing`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.alerts.content import Plan, plan_alerts
from bot.alerts.delivery import (
    DeliveryPolicy,
    DeliveryReport,
    MessageSender,
    Pacer,
    bot_sender,
    deliver_rows,
    finish_even_if_cancelled,
)
from bot.alerts.owner import owner_is_dead, process_owner
from bot.alerts.routing import BotSenderFactory, rows_by_bot, send_through_bots
from bot.alerts.runs import (
    EarlierRun,
    claim_run,
    expire_run,
    find_run,
    finish_run_if_complete,
    open_runs,
    pending_delivery_ids,
    release_dead_leases,
    release_run,
    repeat_count,
    run_exists,
    take_run,
    told_this_week,
)
from bot.alerts.schedule import (
    DISABLED,
    WEEKLY_ALERT,
    AlertSchedule,
    Clock,
    system_clock,
)
from bot.alerts.weeks import parse_key, week_key
from bot.bot_tokens import BotToken, configured_bots
from bot.services.context import ServiceContext
from bot.settings import Settings

__all__ = ["AlertService", "RunOutcome", "SenderFactory", "run_now_key"]

log = logging.getLogger(__name__)

SenderFactory = Callable[[], AbstractAsyncContextManager[MessageSender]]


def run_now_key(now: datetime, tz: ZoneInfo, area: str | None = None) -> str:
    """The key of a run-now: the current week, "2026-W49", with "@<area>" for one area
    (at most 8 + 1 + 13 characters, and "#<n>" for a repeat: within the column's 32)."""
    key = week_key(now, tz)
    return f"{key}@{area}" if area else key


@dataclass(frozen=True)
class RunOutcome:
    """What happened to one period: whether this call claimed it, and what was sent."""

    period_key: str | None
    run_id: int | None
    claimed: bool
    deliveries: int = 0
    report: DeliveryReport | None = None
    note: str = ""
    earlier: EarlierRun | None = None
    """run-now: the run that already sent this week (nothing new was sent unless forced)."""


@dataclass
class AlertService:
    ctx: ServiceContext
    settings: Settings
    sender_factory: SenderFactory | None = None
    clock: Clock = system_clock
    policy: DeliveryPolicy = field(default_factory=DeliveryPolicy)
    catch_up: timedelta = timedelta(hours=24)
    resume_window: timedelta = timedelta(hours=48)
    owner: str = field(default_factory=process_owner)
    bot_sender_factory: BotSenderFactory | None = None
    """Several bots: the sender of each bot (tests); default a plain Bot per token."""
    _pacer: Pacer | None = None
    _pacers: dict[int, Pacer] = field(default_factory=dict)
    _sending: set[int] = field(default_factory=set)

    # -- configuration ---------------------------------------------------------------------

    @property
    def schedule(self) -> AlertSchedule | None:
        """The configured schedule, or None when `ALERT_SCHEDULE` switches alerts off."""
        if self.settings.alert_schedule.strip().lower() in DISABLED:
            return None
        return AlertSchedule.parse(self.settings.alert_schedule, self.settings.timezone)

    @property
    def pacer(self) -> Pacer:
        policy = self.policy
        pacer = self._pacer
        if pacer is None or pacer.rate != policy.rate or (
            pacer.per_chat_interval != policy.per_chat_interval
        ):
            pacer = self._pacer = Pacer(
                policy.rate, policy.per_chat_interval, slack=policy.slack
            )
        return pacer

    def _pacer_of(self, bot: BotToken) -> Pacer:
        """Each token's own pacer (Telegram's limits are per token)."""
        pacer = self._pacers.get(bot.bot_id)
        if pacer is None:
            policy = self.policy
            pacer = self._pacers[bot.bot_id] = Pacer(
                policy.rate, policy.per_chat_interval, slack=policy.slack
            )
        return pacer

    def _bot_sender(self, bot: BotToken) -> AbstractAsyncContextManager[MessageSender]:
        if self.bot_sender_factory is not None:
            return self.bot_sender_factory(bot)
        return bot_sender(self.settings, connections=self.policy.workers + 4, token=bot.token)

    def _several_bots(self) -> list[BotToken] | None:
        """Every configured bot when there are several (alerts go through each official's
        own bot, `bot.alerts.routing`), else None."""
        if self.sender_factory is not None:
            return None
        settings = self.settings
        if settings.telegram_bot_tokens is None and settings.telegram_bot_tokens_file is None:
            return None
        return configured_bots(settings)

    def _sender(self) -> AbstractAsyncContextManager[MessageSender]:
        if self.sender_factory is not None:
            return self.sender_factory()
        return bot_sender(self.settings, connections=self.policy.workers + 4)

    # -- planning and claiming ---------------------------------------------------------------

    async def plan(self, period_key: str, *, area: str | None = None) -> list[Plan]:
        """What every official would receive for `period_key` (nothing is written)."""
        return await plan_alerts(
            self.ctx, period_key, min_families=self.settings.min_families, area=area
        )

    async def claim(
        self,
        period_key: str,
        *,
        area: str | None = None,
        due_at: datetime | None = None,
        repeat: bool = False,
    ) -> RunOutcome:
        """Plan and claim `period_key`; `claimed` is False when it was claimed before.
        Officials already told this week by another run (a run-now for their area) are left
        out, unless this is a `repeat` the operator forced."""
        if await run_exists(self.ctx, WEEKLY_ALERT, period_key):
            return RunOutcome(period_key, None, False, note="sudah dijalankan sebelumnya")
        plans = await self.plan(period_key, area=area)
        deliveries = [d for d in (p.delivery for p in plans) if d is not None]
        parsed = parse_key(period_key)
        if not repeat and parsed is not None and parsed.week is not None:
            already = await told_this_week(self.ctx, WEEKLY_ALERT, parsed.week)
            deliveries = [d for d in deliveries if d.user_id not in already]
        run_id = await finish_even_if_cancelled(
            claim_run(
                self.ctx, WEEKLY_ALERT, period_key, deliveries, now=self.clock(), due_at=due_at
            ),
            30.0,
        )
        if run_id is None:
            return RunOutcome(period_key, None, False, note="sudah dijalankan proses lain")
        log.info("alert %s claimed: run %s, %d deliveries", period_key, run_id, len(deliveries))
        return RunOutcome(period_key, run_id, True, deliveries=len(deliveries))

    # -- entry points ----------------------------------------------------------------------

    async def run_due(self) -> RunOutcome:
        """The scheduled job, the start-up catch-up and the sweep: claim the period due within
        `catch_up` if nobody has, then send everything pending."""
        schedule = self.schedule
        outcome = RunOutcome(None, None, False, note="tidak terjadwal")
        if schedule is not None:
            now = self.clock()
            due = schedule.last_due(now)
            if due is None or now - due > self.catch_up:
                outcome = RunOutcome(None, None, False, note="tidak ada yang jatuh tempo")
            else:
                outcome = await self.claim(schedule.period_key(due), due_at=due)
        reports = await self.resume()
        report = reports.get(outcome.run_id) if outcome.run_id is not None else None
        return RunOutcome(
            outcome.period_key, outcome.run_id, outcome.claimed, outcome.deliveries, report,
            outcome.note,
        )

    async def sent_before(self, *, area: str | None = None) -> EarlierRun | None:
        """The run that already covers this week for everyone (or for `area`), if any."""
        week = week_key(self.clock(), self.ctx.tz)
        keys = [week] if area is None else [week, f"{week}@{area}"]
        for key in keys:
            found = await find_run(self.ctx, WEEKLY_ALERT, key)
            if found is not None:
                return found
        return None

    async def run_now(self, *, area: str | None = None, force: bool = False) -> RunOutcome:
        """This week's alert, now, to everyone (or to the officials within `area`), unless
        this week was sent already; `force` sends it again as a separate repeat run."""
        await self.release_dead()
        period_key = run_now_key(self.clock(), self.ctx.tz, area)
        earlier = await self.sent_before(area=area)
        if earlier is not None and not force:
            return RunOutcome(period_key, None, False, note="sudah dikirim", earlier=earlier)
        outcome = await self._claim_now(period_key, area, repeat=earlier is not None)
        if outcome.run_id is None:
            return outcome
        report = await self.send_run(outcome.run_id)
        return RunOutcome(
            outcome.period_key, outcome.run_id, True, outcome.deliveries, report, outcome.note,
            earlier,
        )

    async def _claim_now(self, period_key: str, area: str | None, *, repeat: bool) -> RunOutcome:
        if not repeat:
            return await self.claim(period_key, area=area)
        number = 2 + await repeat_count(self.ctx, WEEKLY_ALERT, period_key)
        for attempt in range(5):  # another operator may repeat at the same moment
            outcome = await self.claim(f"{period_key}#{number + attempt}", area=area, repeat=True)
            if outcome.run_id is not None:
                return outcome
        return outcome

    async def release_dead(self) -> None:
        """Take back at once the leases of senders that died on this machine (a crash, a
        SIGKILL): a restarted bot resumes within seconds, not after the lease expires."""
        released = await release_dead_leases(self.ctx, owner_is_dead)
        if released.runs or released.rows or released.uncertain:
            log.warning(
                "released leases of a dead alert sender: %d runs, %d rows not yet sent, "
                "%d rows whose request had started (counted uncertain)",
                released.runs, released.rows, released.uncertain,
            )

    async def resume(self) -> dict[int, DeliveryReport]:
        """Send the pending rows of every unfinished run this process may send now."""
        reports: dict[int, DeliveryReport] = {}
        await self.release_dead()
        now = self.clock()
        for run in await open_runs(self.ctx):
            if now - run.started_at > self.resume_window:
                given_up = await expire_run(self.ctx, run.id, now=now)
                log.warning("alert run %s (%s) given up: %d undelivered", run.id,
                            run.period_key, given_up)
                continue
            report = await self.send_run(run.id)
            if report is not None:
                reports[run.id] = report
        return reports

    async def send_run(self, run_id: int) -> DeliveryReport | None:
        """Send a run's pending rows if this process can take the run; None when another
        process (or another task here) is sending it."""
        if run_id in self._sending:
            return None
        self._sending.add(run_id)  # before any await: two tasks here must not both pass
        try:
            if not await take_run(self.ctx, run_id, self.owner, now=self.clock(),
                                  lease=self.policy.lease):
                return None
            async with self._keep_run(run_id):
                report = await self._send_pending(run_id)
        except BaseException:
            # Stopped or broken: let another process (or the next start) take the run now.
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await finish_even_if_cancelled(release_run(self.ctx, run_id, self.owner), 10.0)
            raise
        finally:
            self._sending.discard(run_id)
        done = await finish_even_if_cancelled(
            finish_run_if_complete(self.ctx, run_id, now=self.clock()), 10.0
        )
        if not done:
            await finish_even_if_cancelled(release_run(self.ctx, run_id, self.owner), 10.0)
        log.info(
            "alert run %s: %d sent, %d blocked, %d failed, %d skipped in %.1f s%s",
            run_id, report.sent, report.blocked, report.failed, report.skipped, report.seconds,
            "" if done else " (rows still pending)",
        )
        return report

    async def _send_pending(self, run_id: int) -> DeliveryReport:
        """One pass over the run's pending rows. Rows another process still holds are left
        alone: their holder finishes them, or the sweep takes them once the lease expired."""
        ids = await pending_delivery_ids(self.ctx, run_id)
        if not ids:
            return DeliveryReport()
        bots = self._several_bots()
        if bots is not None:
            groups = await rows_by_bot(self.ctx, ids, bots)
            return await send_through_bots(
                self.ctx, groups, self._bot_sender, self._pacer_of, policy=self.policy,
                owner=self.owner, clock=self.clock,
            )
        async with self._sender() as sender:
            return await deliver_rows(
                self.ctx, ids, sender, self.pacer, policy=self.policy, owner=self.owner,
                clock=self.clock,
            )

    @contextlib.asynccontextmanager
    async def _keep_run(self, run_id: int) -> AsyncIterator[None]:
        """Renew the run lease while sending, so a long run is not taken over."""
        interval = max(0.5, self.policy.lease.total_seconds() / 3)
        stop = asyncio.Event()

        async def renew() -> None:
            # Stopped by the event, never cancelled: a cancelled transaction can leave a
            # SQLite connection holding the write lock.
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), interval)
                if stop.is_set():
                    return
                try:
                    await take_run(self.ctx, run_id, self.owner, now=self.clock(),
                                   lease=self.policy.lease)
                except Exception:
                    log.exception("could not renew the lease of alert run %s", run_id)

        task = asyncio.ensure_future(renew())
        try:
            yield
        finally:
            stop.set()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait({task}, timeout=30)

