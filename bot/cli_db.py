"""`ikk-bot db|areas|users|invite`: the operator's commands for storage, areas and people.

Every command except `db upgrade|downgrade|current` first checks that the database is at the
newest migration and otherwise stops with one line saying what to run. Exit status: 0 done,
1 done with rejected rows or refused input, 2 the database or file cannot be used.
Other command modules reuse `run_with_database` for the same behaviour.
"""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession
from telegram.error import TelegramError

from bot.bot_tokens import BotConfigError
from bot.db.database import Database, open_database
from bot.db.migrate import (
    DatabaseNotReady,
    MigrationError,
    current_revision,
    downgrade,
    ensure_database_ready,
    head_revision,
    upgrade,
)
from bot.db.models import AppUser, Area, Role
from bot.repositories.areas import (
    AreaFileError,
    AreaImportReport,
    import_areas_csv,
    load_demo_areas,
    search_areas,
)
from bot.repositories.invites import (
    InviteSummary,
    RevokeResult,
    create_invite,
    invite_link,
    list_invites,
    parse_duration,
    revoke_invite,
)
from bot.repositories.scope import OutOfScope, Scope
from bot.repositories.users import (
    UserError,
    add_user,
    deactivate_user,
    list_users,
    reactivate_user,
    set_role,
    set_user_area,
)
from bot.settings import get_settings
from bot.telegram.bot_set import invite_username
from ikk_core.areas import display_name

__all__ = [
    "EXIT_PROBLEMS",
    "EXIT_UNUSABLE",
    "areas_app",
    "db_app",
    "invite_app",
    "operator_name",
    "run_with_database",
    "users_app",
]

EXIT_PROBLEMS = 1
EXIT_UNUSABLE = 2

T = TypeVar("T")

db_app = typer.Typer(
    no_args_is_help=True,
    help="Database: migrasi skema (upgrade, downgrade) dan revisi saat ini.",
)
areas_app = typer.Typer(
    no_args_is_help=True,
    help="Wilayah Kemendagri: impor daftar kode,nama, data demo, dan pencarian nama.",
)
users_app = typer.Typer(
    no_args_is_help=True,
    help="Pengguna: tambah, daftar, ubah peran atau wilayah, nonaktifkan, aktifkan lagi.",
)
invite_app = typer.Typer(no_args_is_help=True, help="Undangan pendaftaran lewat tautan Telegram.")

def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"Galat: {message}", err=True)
    return typer.Exit(code)


def run_with_database(action: Callable[[Database], Awaitable[T]]) -> T:
    """Open the configured database (checked to be migrated), run `action`, close it.

    An unready database ends the command with its one-line explanation and exit status 2.
    """

    async def main() -> T:
        async with open_database(get_settings()) as database:
            return await action(database)

    try:
        return asyncio.run(main())
    except DatabaseNotReady as exc:
        raise _fail(str(exc), EXIT_UNUSABLE) from None


def _run_migration(action: Callable[[Database], Awaitable[T]]) -> T:
    async def main() -> T:
        async with open_database(get_settings(), check_ready=False) as database:
            return await action(database)

    try:
        return asyncio.run(main())
    except MigrationError as exc:
        raise _fail(str(exc), EXIT_UNUSABLE) from None


def operator_name() -> str:
    """Who runs this command, for audit rows: `cli:<login>` on this machine, else `cli`."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):
        return "cli"


def _where() -> str:
    return make_url(get_settings().database_url).render_as_string(hide_password=True)


# ------------------------------------------------------------------------------------------ db


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Revisi tujuan; bawaan: terbaru.")] = "head",
) -> None:
    """Buat atau perbarui skema database ke revisi terbaru (aman diulang)."""

    async def action(database: Database) -> str | None:
        await upgrade(database.engine, revision)
        return await current_revision(database.engine)

    now = _run_migration(action)
    latest = " (terbaru)" if now == head_revision() else ""
    typer.echo(f"Database {_where()} sekarang pada revisi {now}{latest}.")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Revisi tujuan, misalnya 'base' atau '-1'.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Jangan minta konfirmasi.")] = False,
) -> None:
    """Turunkan skema ke revisi lebih lama (tabel yang dibuang beserta isinya hilang)."""
    if not yes:
        typer.confirm(
            f"Turunkan database {_where()} ke revisi {revision}? "
            "Data di tabel yang dibuang hilang.",
            abort=True,
        )

    async def action(database: Database) -> str | None:
        await downgrade(database.engine, revision)
        return await current_revision(database.engine)

    now = _run_migration(action)
    typer.echo(f"Database {_where()} sekarang pada revisi {now or 'kosong (base)'}.")


@db_app.command("current")
def db_current() -> None:
    """Tampilkan revisi database dan apakah sudah terbaru (tanpa membuat berkas baru)."""

    async def action(database: Database) -> str | None:
        await ensure_database_ready(database.engine)
        return await current_revision(database.engine)

    typer.echo(f"Database: {_where()}")
    try:
        now = _run_migration(action)
    except DatabaseNotReady as exc:
        raise _fail(str(exc), EXIT_PROBLEMS) from None
    typer.echo(f"Revisi: {now} (terbaru).")


# --------------------------------------------------------------------------------------- areas


def _print_import_report(report: AreaImportReport) -> None:
    for row in report.rejected:
        typer.echo(f"Ditolak {row}")
    typer.echo(
        f"Wilayah: {report.inserted} baru, {report.updated} diperbarui, "
        f"{report.unchanged} tidak berubah, {len(report.rejected)} baris ditolak."
    )


@areas_app.command("import")
def areas_import(
    file: Annotated[Path, typer.Argument(help="CSV UTF-8 dengan kolom kode,nama.")],
) -> None:
    """Impor atau perbarui wilayah dari daftar Kemendagri (kolom kode,nama)."""
    if not file.is_file():
        raise _fail(f"berkas {file} tidak ditemukan", EXIT_UNUSABLE)

    async def action(database: Database) -> AreaImportReport:
        async with database.session_factory() as session, session.begin():
            return await import_areas_csv(session, file)

    try:
        report = run_with_database(action)
    except AreaFileError as exc:
        raise _fail(f"{file}: {exc}", EXIT_UNUSABLE) from None
    _print_import_report(report)
    if report.rejected:
        raise typer.Exit(EXIT_PROBLEMS)


@areas_app.command("load-demo")
def areas_load_demo() -> None:
    """Muat wilayah demo: Provinsi Kalimantan Selatan, 13 kabupaten/kota, dan Kecamatan
    Sampanahan (Kab. Kotabaru) dengan 10 desanya."""

    async def action(database: Database) -> AreaImportReport:
        async with database.session_factory() as session, session.begin():
            return await load_demo_areas(session)

    _print_import_report(run_with_database(action))


@areas_app.command("search")
def areas_search(
    query: Annotated[str, typer.Argument(help="Nama wilayah, misalnya 'desa sampanahan'.")],
    limit: Annotated[int, typer.Option(help="Jumlah hasil paling banyak.")] = 8,
) -> None:
    """Cari wilayah menurut nama (toleran huruf besar/kecil, awalan, dan salah ketik)."""

    async def action(database: Database) -> None:
        async with database.session_factory() as session:
            found = await search_areas(session, query, Scope.everything(), limit=limit)
        if not found:
            typer.echo(f"Tidak ada wilayah yang cocok dengan '{query}'.")
            return
        for candidate in found:
            mark = "=" if candidate.exact else "~"
            typer.echo(f"{mark} {candidate.code:<14} {candidate.label}  [{candidate.score:.0f}]")

    run_with_database(action)


# --------------------------------------------------------------------------------------- users


@users_app.command("add")
def users_add(
    telegram_id: Annotated[int, typer.Option("--telegram-id", help="ID numerik Telegram.")],
    role: Annotated[Role, typer.Option("--role", help="admin, pejabat, atau kader.")],
    area: Annotated[str, typer.Option("--area", help="Kode wilayah (kader: kode desa).")],
    name: Annotated[str, typer.Option("--name", help="Nama tampilan.")] = "",
) -> None:
    """Daftarkan pengguna langsung (misalnya admin pertama)."""

    async def action(database: Database) -> str:
        async with database.session_factory() as session, session.begin():
            user = await add_user(
                session, telegram_id=telegram_id, role=role, area_code=area, display_name=name
            )
            return f"Pengguna {user.telegram_id} terdaftar sebagai {user.role.value} di {area}."

    try:
        typer.echo(run_with_database(action))
    except UserError as exc:
        raise _fail(str(exc), EXIT_PROBLEMS) from None


_ROLE_LABEL = {Role.ADMIN: "admin", Role.PEJABAT: "pejabat", Role.KADER: "kader",
               Role.SUPERVISOR: "supervisor"}


@users_app.command("list")
def users_list(
    role: Annotated[Role | None, typer.Option("--role", help="Hanya peran ini.")] = None,
    area: Annotated[
        str | None, typer.Option("--area", help="Hanya pengguna di wilayah ini (dan di bawahnya).")
    ] = None,
) -> None:
    """Tampilkan pengguna sebagai tabel."""
    scope = Scope.subtree(area) if area else Scope.everything()

    async def action(database: Database) -> Table:
        async with database.session_factory() as session:
            users = await list_users(session, scope, role=role)
        table = Table(title=f"Pengguna ({len(users)})")
        for column in ("Telegram ID", "Nama", "Peran", "Wilayah", "Desa (kader)", "Aktif",
                       "Terjangkau"):
            table.add_column(column)
        for user in users:
            table.add_row(
                str(user.telegram_id),
                user.display_name or "-",
                _ROLE_LABEL[user.role],
                f"{user.area_label} ({user.area_code})",
                ", ".join(user.villages) or "-",
                "ya" if user.active else "tidak",
                "ya" if user.reachable else "tidak",
            )
        return table

    Console(highlight=False).print(run_with_database(action))


@users_app.command("deactivate")
def users_deactivate(
    telegram_id: Annotated[int, typer.Argument(help="ID numerik Telegram.")],
) -> None:
    """Nonaktifkan pengguna (riwayatnya tetap tersimpan)."""

    async def action(database: Database) -> bool:
        async with database.session_factory() as session, session.begin():
            return await deactivate_user(session, telegram_id)

    if not run_with_database(action):
        raise _fail(f"tidak ada pengguna dengan Telegram ID {telegram_id}", EXIT_PROBLEMS)
    typer.echo(f"Pengguna {telegram_id} dinonaktifkan.")


def _change_user(change: Callable[[AsyncSession], Awaitable[AppUser]], done: str) -> None:
    """Run one user change in a transaction and say what the user now is, or why not."""

    async def action(database: Database) -> str:
        async with database.session_factory() as session, session.begin():
            user = await change(session)
            area = await session.get(Area, user.area_code)
            where = display_name(area.level, area.name) if area is not None else user.area_code
            return (f"Pengguna {user.telegram_id} {done}: {_ROLE_LABEL[user.role]} untuk "
                    f"{where} ({user.area_code}), {'aktif' if user.active else 'nonaktif'}.")

    try:
        typer.echo(run_with_database(action))
    except UserError as exc:
        raise _fail(str(exc), EXIT_PROBLEMS) from None


@users_app.command("set-role")
def users_set_role(
    telegram_id: Annotated[int, typer.Argument(help="ID numerik Telegram.")],
    role: Annotated[Role, typer.Argument(help="admin, pejabat, atau kader.")],
    area: Annotated[
        str | None,
        typer.Option("--area", help="Wilayah baru sekaligus (kader: kode desa)."),
    ] = None,
) -> None:
    """Ubah peran pengguna (mis. kader menjadi pejabat); wilayahnya tetap kecuali --area."""
    _change_user(lambda session: set_role(session, telegram_id, role, area), "sekarang")


@users_app.command("set-area")
def users_set_area(
    telegram_id: Annotated[int, typer.Argument(help="ID numerik Telegram.")],
    area: Annotated[str, typer.Argument(help="Kode wilayah baru (kader: kode desa).")],
) -> None:
    """Pindahkan pengguna ke wilayah lain (kader: ke satu desa ini saja)."""
    _change_user(lambda session: set_user_area(session, telegram_id, area), "dipindahkan")


@users_app.command("reactivate")
def users_reactivate(
    telegram_id: Annotated[int, typer.Argument(help="ID numerik Telegram.")],
) -> None:
    """Aktifkan lagi pengguna yang dinonaktifkan, dengan peran dan wilayah lamanya."""
    _change_user(lambda session: reactivate_user(session, telegram_id), "diaktifkan lagi")


# -------------------------------------------------------------------------------------- invite


@invite_app.command("create")
def invite_create(
    role: Annotated[Role, typer.Option("--role", help="kader, pejabat, atau admin.")],
    area: Annotated[str, typer.Option("--area", help="Kode wilayah (kader: kode desa).")],
    uses: Annotated[int, typer.Option("--uses", min=1, help="Berapa orang boleh memakai.")] = 1,
    expires: Annotated[
        str | None, typer.Option("--expires", help="Masa berlaku: 7d, 12h, 30m.")
    ] = None,
) -> None:
    """Buat kode undangan dan tautan t.me untuk didaftarkan lewat bot."""
    settings = get_settings()
    try:
        ttl = parse_duration(expires or f"{settings.invite_ttl_days}d")
    except ValueError as exc:
        raise _fail(str(exc), EXIT_PROBLEMS) from None

    try:  # several bots: the link opens the bot of the invite's area (before inviting)
        username = asyncio.run(invite_username(settings, area))
    except (BotConfigError, TelegramError) as exc:
        raise _fail(f"Tautan tidak dapat dibuat: {exc}", EXIT_PROBLEMS) from None

    async def action(database: Database) -> tuple[str, str]:
        async with database.session_factory() as session, session.begin():
            created = await create_invite(
                session, role=role, area_code=area, scope=Scope.everything(), uses=uses, ttl=ttl
            )
            found = await session.get(Area, area)
            area_name = display_name(found.level, found.name) if found is not None else area
        expires_local = created.expires_at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M %Z")
        summary = (
            f"Undangan {role.value} untuk {area_name}, {uses} kali pakai, "
            f"berlaku sampai {expires_local}."
        )
        return summary, created.code

    try:
        summary, code = run_with_database(action)
    except (UserError, OutOfScope) as exc:
        raise _fail(str(exc), EXIT_PROBLEMS) from None
    typer.echo(summary)
    typer.echo(f"Kode: {code}")
    typer.echo(f"Tautan: {invite_link(username, code)}")



def _local(moment: datetime) -> str:
    return moment.astimezone(get_settings().tz).strftime("%Y-%m-%d %H:%M")


@invite_app.command("list")
def invite_list(
    show_all: Annotated[
        bool, typer.Option("--all", help="Juga undangan yang terpakai, kedaluwarsa, dicabut.")
    ] = False,
) -> None:
    """Tampilkan undangan (tanpa kodenya: hanya awal sidik kode untuk mengenali)."""

    async def action(database: Database) -> list[InviteSummary]:
        async with database.session_factory() as session:
            return await list_invites(session, include_all=show_all)

    invites = run_with_database(action)
    if not invites:
        typer.echo("Tidak ada undangan aktif." if not show_all else "Belum ada undangan.")
        return
    table = Table(title=f"Undangan ({len(invites)})")
    for column in ("No.", "Sidik", "Peran", "Wilayah", "Dipakai", "Berlaku sampai (WITA)",
                   "Status"):
        table.add_column(column)
    for invite in invites:
        table.add_row(
            str(invite.id), invite.hash_prefix, _ROLE_LABEL[invite.role], invite.area_code,
            f"{invite.uses}/{invite.max_uses}", _local(invite.expires_at), invite.status,
        )
    Console(highlight=False).print(table)
    typer.echo("Cabut dengan: ikk-bot invite revoke NO (atau kode/tautan undangannya).")


@invite_app.command("revoke")
def invite_revoke(
    code_or_id: Annotated[
        str, typer.Argument(help="Nomor dari 'invite list', atau kode/tautan undangan.")
    ],
) -> None:
    """Cabut undangan: tautannya tidak bisa lagi dipakai mendaftar."""

    async def action(database: Database) -> RevokeResult:
        async with database.session_factory() as session, session.begin():
            return await revoke_invite(session, code_or_id)

    result = run_with_database(action)
    invite = result.invite
    if invite is None:
        raise _fail(
            f"tidak ada undangan {code_or_id!r}. Lihat nomornya dengan 'ikk-bot invite list "
            "--all'.", EXIT_PROBLEMS,
        )
    what = f"Undangan no. {invite.id} ({_ROLE_LABEL[invite.role]}, {invite.area_code})"
    if result.already:
        typer.echo(f"{what} sudah dicabut sebelumnya; tidak ada yang berubah.")
        return
    typer.echo(f"{what} dicabut: tautannya tidak bisa dipakai lagi "
               f"(sudah dipakai {invite.uses} dari {invite.max_uses}).")
