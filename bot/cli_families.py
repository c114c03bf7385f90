"""`ikk-bot families`: families outside the chat — `import` from other systems (see
`bot.cli_family_import`) and `delete`, erasing one family on a data subject's request
(UU PDP), and `review`, the supervisor's verdict given by the operator
(see `bot.repositories.reviews`).

The operator names the family by `--id`, or by `--village CODE --head "name"` when the family
only knows its own name; several matches are listed and nothing is deleted. The command then
shows what it will erase and asks for the family number to be typed back (or `--yes` in a
script). See `bot.services.erasure` for what goes and what stays (an audit row without
personal data).
"""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli_db import EXIT_PROBLEMS, operator_name, run_with_database
from bot.cli_family_import import import_command
from bot.db.database import Database
from bot.db.models import ResponseStatus, ReviewStatus
from bot.repositories.reviews import ReviewChange, ReviewError
from bot.repositories.scope import OutOfScope
from bot.services.context import ServiceContext
from bot.services.erasure import ErasedFamily, FamilyRecord, delete_family, find_families
from bot.services.family_review import operator_mark_family
from bot.settings import get_settings
from ikk_core.areas import is_village_code
from ikk_core.formatting import format_integer

__all__ = ["families_app"]

families_app = typer.Typer(
    no_args_is_help=True,
    help="Keluarga: impor dari berkas aplikasi lain, atau hapus data satu keluarga atas "
    "permintaannya (hak penghapusan, UU PDP).",
)
families_app.command("import")(import_command)

_STATUS = {ResponseStatus.SUBMITTED: "terkirim", ResponseStatus.DRAFT: "draf", None: "kosong"}


def _fail(message: str) -> typer.Exit:
    typer.echo(f"Galat: {message}", err=True)
    return typer.Exit(EXIT_PROBLEMS)


def _describe(found: FamilyRecord) -> str:
    return (
        f"Keluarga {found.family_id}: {found.head_name or '(nama belum diisi)'} · RT {found.rt} · "
        f"{found.village_name} ({found.village_code}) · periode {found.period} · "
        f"{_STATUS[found.status]}, {format_integer(found.answers)} jawaban"
    )


def _ctx(database: Database) -> ServiceContext:
    return ServiceContext.create(database.session_factory, get_settings())


@families_app.command("delete")
def families_delete(
    family_id: Annotated[
        int | None, typer.Option("--id", help="Nomor keluarga (kolom 'Nomor keluarga' ekspor).")
    ] = None,
    village: Annotated[
        str | None, typer.Option("--village", help="Kode desa, bersama --head.")
    ] = None,
    head: Annotated[
        str | None, typer.Option("--head", help="Nama kepala keluarga, bersama --village.")
    ] = None,
    period: Annotated[
        int | None, typer.Option("--period", help="Tahun survei, bila keluarga ada di beberapa.")
    ] = None,
    reason: Annotated[
        str | None,
        typer.Option("--reason", help="Alasan untuk catatan audit (tanpa data pribadi)."),
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", help="Jangan minta konfirmasi (untuk skrip).")
    ] = False,
) -> None:
    """Hapus semua jawaban dan skor satu keluarga; hitungan desa ikut diperbarui."""
    if family_id is None and not (village and head):
        raise _fail("sebutkan --id NOMOR, atau --village KODE_DESA bersama --head \"nama\".")
    if family_id is not None and (village or head):
        raise _fail("pakai --id saja, atau --village dengan --head; jangan keduanya.")
    if village is not None and not is_village_code(village.strip()):
        raise _fail(f"{village!r} bukan kode desa (contoh: 63.02.12.2005).")

    async def look(database: Database) -> list[FamilyRecord]:
        return await find_families(
            _ctx(database), family_id=family_id,
            village_code=village.strip() if village else None, head=head, period=period,
        )

    found = run_with_database(look)
    if not found:
        what = f"nomor {family_id}" if family_id is not None else f"'{head}' di {village}"
        raise _fail(f"tidak ada keluarga {what}. Periksa nomor atau ejaan nama.")
    if len(found) > 1:
        for record in found:
            typer.echo(_describe(record))
        raise _fail(f"{len(found)} keluarga cocok; ulangi dengan --id NOMOR yang dimaksud.")
    target = found[0]
    typer.echo("Akan dihapus permanen (tidak dapat dikembalikan):")
    typer.echo(_describe(target))
    if not yes:
        typed = typer.prompt(
            f"Ketik nomor keluarga ({target.family_id}) untuk menghapus", default="",
            show_default=False,
        )
        if typed.strip() != str(target.family_id):
            typer.echo("Dibatalkan: nomor tidak cocok, tidak ada yang dihapus.", err=True)
            raise typer.Exit(EXIT_PROBLEMS)

    async def erase(database: Database) -> ErasedFamily | None:
        return await delete_family(_ctx(database), target.family_id, actor=operator_name(),
                                   reason=reason)

    erased = run_with_database(erase)
    if erased is None:
        raise _fail(f"keluarga {target.family_id} sudah tidak ada (dihapus orang lain?).")
    typer.echo(
        f"Dihapus: keluarga {erased.family_id} ({erased.village_code}, periode {erased.period}): "
        f"{format_integer(erased.answers)} jawaban, {format_integer(erased.answer_changes)} "
        f"riwayat perubahan, {format_integer(erased.scores)} skor indikator."
    )
    if erased.was_submitted:
        typer.echo("Hitungan IKK desa sudah diperbarui tanpa keluarga ini.")
    typer.echo(f"Catatan audit #{erased.audit_id} (tanpa nama atau jawaban).")


_REVIEW_WORDS = {
    "belum": ReviewStatus.PENDING,
    "terverifikasi": ReviewStatus.VERIFIED,
    "perlu-dicek": ReviewStatus.NEEDS_CHECK,
    "perlu_dicek": ReviewStatus.NEEDS_CHECK,
}
REVIEW_LABELS = {
    ReviewStatus.PENDING: "belum diperiksa",
    ReviewStatus.VERIFIED: "terverifikasi",
    ReviewStatus.NEEDS_CHECK: "perlu dicek",
}


@families_app.command("review")
def families_review(
    family_id: Annotated[int, typer.Option("--id", help="Nomor keluarga.")],
    status: Annotated[
        str, typer.Option("--status", help="terverifikasi, perlu-dicek atau belum.")
    ],
    alasan: Annotated[
        str | None,
        typer.Option("--alasan", help="Alasan untuk kader (wajib untuk perlu-dicek, 3-300 huruf)."),
    ] = None,
) -> None:
    """Tandai keluarga yang sudah dikirim: terverifikasi, perlu dicek (dengan alasan), atau
    kembali ke belum diperiksa. Setiap perubahan tercatat di audit."""
    wanted = _REVIEW_WORDS.get(status.strip().lower())
    if wanted is None:
        raise _fail(
            f"status {status!r} tidak dikenal: pakai terverifikasi, perlu-dicek atau belum."
        )

    async def mark(database: Database) -> ReviewChange:
        return await operator_mark_family(
            _ctx(database), family_id, wanted, alasan, actor=operator_name()
        )

    try:
        change = run_with_database(mark)
    except (ReviewError, OutOfScope) as error:
        raise _fail(str(error)) from None
    if not change.changed:
        typer.echo(f"Keluarga {family_id} sudah {REVIEW_LABELS[wanted]}; tidak ada yang diubah.")
        return
    typer.echo(
        f"Keluarga {family_id}: {REVIEW_LABELS[change.old]} → {REVIEW_LABELS[change.new]} "
        "(tercatat di audit)."
    )
