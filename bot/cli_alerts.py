"""`ikk-bot alerts run-now [--dry-run] [--area CODE]`: the weekly alert by hand.

`--dry-run` prints, for every official, exactly the message(s) they would receive now (or why
they would receive nothing) and writes nothing. Without it the alert is sent now as its own run
("m-<date>T<time>", with "@<area>" for one area), through the same paced outbox as the
scheduled run, so it never disturbs or replaces the scheduled week.
"""

from __future__ import annotations

import re
from html import unescape
from typing import Annotated

import typer

from bot.alerts.content import Plan
from bot.alerts.schedule import WEEKLY_ALERT, describe_schedule, system_clock
from bot.alerts.service import AlertService, RunOutcome, manual_period_key
from bot.cli_db import EXIT_UNUSABLE, run_with_database
from bot.db.database import Database
from bot.db.engine import READ_ONLY
from bot.db.models import Area
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
    typer.echo(f"Kunci periode: {period_key}")
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
) -> None:
    """Jalankan peringatan mingguan sekarang (atau uji coba dengan --dry-run)."""
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

    async def action(
        database: Database,
    ) -> tuple[AlertService, str, list[Plan], RunOutcome | None]:
        if area is not None and not await _area_exists(database, area):
            raise _fail(f"wilayah {area} tidak ada di database")
        ctx = ServiceContext.create(database.session_factory, settings, instrument)
        service = AlertService(ctx=ctx, settings=settings, clock=system_clock)
        key = manual_period_key(service.clock(), ctx.tz, area)
        if dry_run:
            return service, key, await service.plan(key, area=area), None
        try:
            return service, key, [], await service.run_now(area=area)
        except ValueError as exc:  # no token
            raise _fail(str(exc)) from None

    service, key, plans, outcome = run_with_database(action)
    if outcome is None:
        _print_dry_run(service, plans, key)
        return
    if outcome.run_id is None:
        typer.echo(f"Periode {outcome.period_key} sudah dijalankan sebelumnya; tidak dikirim lagi.")
        return
    typer.echo(f"Peringatan {WEEKLY_ALERT} {outcome.period_key}: "
               f"{format_integer(outcome.deliveries)} penerima.")
    report = outcome.report
    if report is not None:
        typer.echo(
            f"Terkirim {format_integer(report.sent)}, diblokir {format_integer(report.blocked)}, "
            f"gagal {format_integer(report.failed)}, dalam {format_value(report.seconds, 1)} detik."
        )
