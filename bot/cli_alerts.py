"""`ikk-bot alerts run-now [--dry-run] [--area CODE] [--force [--yes]]`: the weekly alert by
hand.

`--dry-run` prints, for every official, exactly the message(s) they would receive now (or why
they would receive nothing) and writes nothing. Without it this week's alert (the ISO week in
WITA, for everyone or for one area) is sent through the same paced outbox as the scheduled run,
and claims the week as the scheduled run does: a week already sent is never sent again, the
operator is told when it was sent. `--force` (after "Kirim ulang? [y/N]", or `--yes`) sends it
again as a separate repeat run, leaving the earlier run's record as it was.
"""

from __future__ import annotations

import re
from html import unescape
from typing import Annotated

import typer

from bot.alerts.content import Plan
from bot.alerts.runs import EarlierRun
from bot.alerts.schedule import describe_schedule, system_clock, zone_word
from bot.alerts.service import AlertService, RunOutcome, run_now_key
from bot.alerts.weeks import date_label, run_label
from bot.cli_db import EXIT_UNUSABLE, run_with_database
from bot.db.database import Database
from bot.db.engine import READ_ONLY
from bot.db.models import AlertRunStatus, Area
from bot.instrument_source import cli_instrument
from bot.services.context import ServiceContext
from bot.settings import get_settings
from bot.telegram.logging import install_log_masking
from bot.telegram.texts import ROLE_NAMES
from ikk_core.areas import AreaCodeError, validate_code
from ikk_core.formatting import format_integer, format_value

__all__ = ["alerts_app", "plain_text"]

alerts_app = typer.Typer(no_args_is_help=True, help="Peringatan mingguan indikator merah.")

_TAG = re.compile(r"<[^>]+>")


def plain_text(html: str) -> str:
    """A message as the official reads it (tags removed, entities decoded)."""
    return unescape(_TAG.sub("", html))


def _fail(message: str) -> typer.Exit:
    typer.echo(f"Galat: {message}", err=True)
    return typer.Exit(EXIT_UNUSABLE)


def _who(plan: Plan) -> str:
    o = plan.official
    name = o.display_name.strip() or f"pengguna #{o.user_id}"
    where = plan.area_label or o.area_code
    return f"{name} ({ROLE_NAMES[o.role]}, {where}, Telegram {o.telegram_id})"


def _print_dry_run(service: AlertService, plans: list[Plan], period_key: str) -> None:
    settings = service.settings
    threshold = service.ctx.instrument.settings.red_threshold
    receiving = [p for p in plans if p.parts]
    typer.echo("Peringatan mingguan — UJI COBA: tidak ada yang dikirim atau dicatat.")
    typer.echo(f"Periode: {run_label(period_key)}")
    typer.echo(
        f"Jadwal: {describe_schedule(settings.alert_schedule, settings.timezone)} "
        f"(ALERT_SCHEDULE={settings.alert_schedule!r})"
    )
    typer.echo(
        f"Aturan: indikator di bawah {format_value(threshold, 0)} % di desa/kelurahan dengan "
        f"minimal {format_integer(settings.min_families)} keluarga yang relevan (MIN_FAMILIES); "
        "baru/memburuk/membaik dibandingkan dengan peringatan terakhir yang diterima "
        "masing-masing pejabat."
    )
    typer.echo(
        f"Penerima: {format_integer(len(receiving))} dari {format_integer(len(plans))} "
        "pejabat/admin aktif."
    )
    for plan in receiving:
        count = len(plan.parts)
        typer.echo("")
        typer.echo(f"=== {_who(plan)} — {count} pesan ===")
        for index, part in enumerate(plan.parts, start=1):
            if count > 1:
                typer.echo(f"--- pesan {index}/{count} ---")
            typer.echo(plain_text(part))
    skipped = [p for p in plans if not p.parts]
    if skipped:
        typer.echo("")
        typer.echo("Tidak menerima pesan:")
        for plan in skipped:
            reason = plan.skip.value if plan.skip is not None else "-"
            typer.echo(f"• {_who(plan)}: {reason}")


async def _area_exists(database: Database, code: str) -> bool:
    async with database.session_factory() as session:
        await session.connection(execution_options=READ_ONLY)
        return await session.get(Area, code) is not None


def _earlier_text(service: AlertService, earlier: EarlierRun) -> str:
    """When and how far this week's alert was sent already, for the operator."""
    tz, zone = service.ctx.tz, zone_word(service.settings.timezone)
    label = run_label(earlier.period_key)
    counts = (
        f"terkirim {format_integer(earlier.sent)} dari {format_integer(earlier.total)} penerima"
    )
    started = f"{date_label(earlier.started_at.astimezone(tz))} {zone}"
    if earlier.status is AlertRunStatus.RUNNING:
        return (
            f"Peringatan {label} sedang dikirim sejak {started} ({counts}); "
            "bot mengirim sisanya sendiri."
        )
    ended = earlier.finished_at or earlier.started_at
    when = f"{date_label(ended.astimezone(tz))} {zone}"
    if earlier.status is AlertRunStatus.FAILED:
        return f"Peringatan {label} sudah dijalankan {started} lalu dihentikan {when} ({counts})."
    return f"Peringatan {label} sudah dikirim {when} ({counts})."


def _force_hint(area: str | None) -> str:
    command = "ikk-bot alerts run-now --force" + (f" --area {area}" if area else "")
    return f"Untuk mengirim ulang ke semua penerimanya: {command}"


def _print_sent(outcome: RunOutcome) -> None:
    label = run_label(outcome.period_key or "")
    typer.echo(f"Peringatan {label}: {format_integer(outcome.deliveries)} penerima.")
    report = outcome.report
    if report is not None:
        typer.echo(
            f"Terkirim {format_integer(report.sent)}, diblokir {format_integer(report.blocked)}, "
            f"gagal {format_integer(report.failed)}, dalam {format_value(report.seconds, 1)} detik."
        )


@alerts_app.command("run-now")
def run_now_command(
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Tampilkan isi pesan tiap pejabat tanpa mengirim."),
    ] = False,
    area: Annotated[
        str | None,
        typer.Option("--area", help="Hanya pejabat/admin di wilayah ini (kode Kemendagri)."),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Kirim ulang minggu yang sudah dikirim, sebagai pengiriman terpisah "
            "(meminta konfirmasi).",
        ),
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Dengan --force: jangan minta konfirmasi.")
    ] = False,
) -> None:
    """Kirim peringatan minggu ini sekarang (sekali per minggu; uji coba dengan --dry-run)."""
    if dry_run and force:
        raise _fail("--dry-run dan --force tidak dapat dipakai bersama.")
    if area is not None:
        try:
            area = validate_code(area.strip())
        except AreaCodeError as exc:
            raise _fail(str(exc)) from None
    settings = get_settings()
    secret = settings.telegram_bot_token
    token = secret.get_secret_value().strip() if secret is not None else ""
    if token:
        install_log_masking([token])
    elif not dry_run:
        raise _fail(
            "TELEGRAM_BOT_TOKEN belum diisi: peringatan tidak dapat dikirim tanpa token bot "
            "(uji coba tanpa token: --dry-run)."
        )

    instrument = cli_instrument(None, settings)  # INSTRUMENT_FILE, else the shipped one

    async def service_for(database: Database) -> AlertService:
        if area is not None and not await _area_exists(database, area):
            raise _fail(f"wilayah {area} tidak ada di database")
        ctx = ServiceContext.create(database.session_factory, settings, instrument)
        return AlertService(ctx=ctx, settings=settings, clock=system_clock)

    if dry_run:

        async def preview(database: Database) -> tuple[AlertService, str, list[Plan]]:
            service = await service_for(database)
            key = run_now_key(service.clock(), service.ctx.tz, area)
            return service, key, await service.plan(key, area=area)

        service, key, plans = run_with_database(preview)
        _print_dry_run(service, plans, key)
        return

    async def check(database: Database) -> tuple[AlertService, EarlierRun | None]:
        service = await service_for(database)
        return service, await service.sent_before(area=area)

    service, earlier = run_with_database(check)
    if earlier is not None:
        typer.echo(_earlier_text(service, earlier))
        if not force:
            typer.echo("Tidak ada yang dikirim lagi.")
            typer.echo(_force_hint(area))
            return
        if not yes and not typer.confirm("Kirim ulang?", default=False):
            typer.echo("Dibatalkan: tidak ada yang dikirim.")
            raise typer.Exit(1)

    async def send(database: Database) -> tuple[AlertService, RunOutcome]:
        service = await service_for(database)
        try:
            return service, await service.run_now(area=area, force=force)
        except ValueError as exc:  # no token
            raise _fail(str(exc)) from None

    service, outcome = run_with_database(send)
    if outcome.earlier is not None and outcome.run_id is None:  # sent meanwhile by another
        typer.echo(_earlier_text(service, outcome.earlier))
        typer.echo("Tidak ada yang dikirim lagi.")
        typer.echo(_force_hint(area))
        return
    if outcome.run_id is None:
        typer.echo(
            f"Peringatan {run_label(outcome.period_key or '')} baru saja dijalankan proses "
            "lain; tidak dikirim lagi."
        )
        return
    _print_sent(outcome)
