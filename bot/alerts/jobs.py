"""The alert jobs of the running bot, registered at start-up (jobs do not survive a restart,
and PTB's jobs cannot be persisted: field notes §3).

- "weekly-alert": `run_custom` with the schedule's cron trigger, an explicit
  `misfire_grace_time` (APScheduler's default of 1 s silently skips a job after a short stall)
  and `coalesce`, so a late or doubled firing becomes one run, and the run itself claims its
  period in the database anyway.
- "alert-catch-up": once, shortly after start: the run due within the last 24 hours that
  nobody did (the process was down on Monday morning), and any half-sent outbox.
- "alert-sweep": every few minutes, outboxes left pending (a crashed sender's rows, an
  outage that outlasted the retries).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final

from telegram.ext import Application, ContextTypes

from bot.alerts.delivery import DeliveryPolicy
from bot.alerts.schedule import Clock, system_clock
from bot.alerts.service import AlertService

if TYPE_CHECKING:  # the composition root imports this module: no import back at run time
    from bot.telegram.deps import Deps

__all__ = [
    "ALERTS_KEY",
    "CATCH_UP_JOB",
    "SWEEP_JOB",
    "WEEKLY_JOB",
    "alert_service",
    "register_alert_jobs",
]

log = logging.getLogger(__name__)

ALERTS_KEY: Final = "alerts"
WEEKLY_JOB: Final = "weekly-alert"
CATCH_UP_JOB: Final = "alert-catch-up"
SWEEP_JOB: Final = "alert-sweep"

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


def register_alert_jobs(
    application: AnyApplication,
    deps: Deps,
    *,
    clock: Clock = system_clock,
    policy: DeliveryPolicy | None = None,
    startup_delay: timedelta = timedelta(seconds=2),
    sweep_every: timedelta = timedelta(minutes=5),
) -> AlertService:
    """Create the application's `AlertService` (kept in `bot_data`) and schedule its jobs.

    A bad `ALERT_SCHEDULE` raises `ScheduleError` here, at start-up, not on Monday morning.
    """
    service = AlertService(
        ctx=deps.services, settings=deps.settings, clock=clock, policy=policy or DeliveryPolicy()
    )
    application.bot_data[ALERTS_KEY] = service
    schedule = service.schedule
    queue = application.job_queue
    if queue is None:
        log.warning("no JobQueue (install python-telegram-bot[job-queue]): alerts not scheduled")
        return service

    async def due(context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            outcome = await service.run_due()
        except Exception:
            log.exception("the alert job failed; the next sweep tries again")
            return
        if outcome.claimed:
            log.info("alert %s: %d deliveries", outcome.period_key, outcome.deliveries)

    if schedule is not None:
        queue.run_custom(
            due,
            job_kwargs={
                "trigger": schedule.trigger,
                "misfire_grace_time": int(service.catch_up.total_seconds()),
                "coalesce": True,
                "max_instances": 1,
                "id": WEEKLY_JOB,
                "replace_existing": True,
            },
            name=WEEKLY_JOB,
        )
    queue.run_once(
        due,
        when=startup_delay,
        name=CATCH_UP_JOB,
        job_kwargs={"misfire_grace_time": int(service.catch_up.total_seconds())},
    )
    queue.run_repeating(
        due,
        interval=sweep_every,
        first=sweep_every,
        name=SWEEP_JOB,
        job_kwargs={"misfire_grace_time": int(sweep_every.total_seconds()), "coalesce": True},
    )
    return service


def alert_service(application: AnyApplication) -> AlertService | None:
    """The alert service `register_alert_jobs` gave this application (None: not registered)."""
    found = application.bot_data.get(ALERTS_KEY)
    return found if isinstance(found, AlertService) else None
