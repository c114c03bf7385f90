"""What the bot says to officials besides the report: choosing an area, progress, invites, files.

Pure functions returning `Rendered` (HTML text + inline keyboard). Names from the database and
whatever the person typed are escaped; times are shown in the configured zone (WITA).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape
from typing import Any, Final
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.repositories.invites import CreatedInvite, invite_link
from bot.services.exports import MAX_FAMILY_ROWS, ExportFile
from bot.services.official import Answer, AreaOption
from bot.services.progress import KaderProgress, ProgressReport, VillageProgress
from bot.services.reports import AreaReport
from bot.telegram.official_buttons import Action, AreaButton, Source
from bot.telegram.render import Rendered
from bot.telegram.report_text import split_blocks
from ikk_core.areas import display_name
from ikk_core.formatting import format_integer

__all__ = [
    "CHOSEN_MARK",
    "EXPORT_FORBIDDEN",
    "INVITE_FORBIDDEN",
    "PROGRESS_CAP",
    "choice_message",
    "empty_export",
    "export_caption",
    "invite_message",
    "local_time",
    "lookup_failure",
    "progress_messages",
    "report_keyboard",
]

PROGRESS_CAP: Final = 40
"""Villages, and kader, listed in /progres before "… dan N lainnya"."""

EXPORT_FORBIDDEN: Final = (
    "Ekspor Excel hanya untuk pejabat dan admin. Ketik /ikk untuk melihat IKK desa Anda."
)
INVITE_FORBIDDEN: Final = "Hanya pejabat dan admin yang dapat membuat undangan kader."
CHOSEN_MARK: Final = "✔️"
_EXAMPLES: Final = {
    Action.REPORT: "/ikk Sampanahan",
    Action.EXPORT: "/ekspor Sampanahan",
    Action.PROGRESS: "/progres Sampanahan",
    Action.INVITE: "/undang Sepapah",
    Action.VERIFIED: "/ikk Sampanahan terverifikasi",
}
_COMMANDS: Final = {
    Action.REPORT: "/ikk",
    Action.EXPORT: "/ekspor",
    Action.PROGRESS: "/progres",
    Action.INVITE: "/undang",
    Action.VERIFIED: "/ikk",
}


def local_time(moment: datetime | None, timezone: str, *, with_year: bool = True) -> str:
    """ "12 Nov 2025 14.05 WITA" in the configured zone ("–" for never)."""
    if moment is None:
        return "–"
    local = moment.astimezone(ZoneInfo(timezone))
    pattern = "d MMM y HH.mm" if with_year else "d MMM HH.mm"
    return f"{format_datetime(local, pattern, locale='id')} {local.tzname() or ''}".strip()


def _buttons(
    options: Sequence[AreaOption], action: Action, period: int | None
) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(
                option.label,
                callback_data=AreaButton(action, Source.CHOICE, option.code, period).encode(),
            )]
            for option in options
        ]
    )


def choice_message(answer: Answer[Any], action: Action) -> Rendered:
    """Several areas match (or none exactly): one button per area, naming level and parent."""
    query = escape(answer.query)
    if answer.status == "suggest":
        text = (
            f"Wilayah “{query}” tidak ditemukan di wilayah Anda. Mungkin yang dimaksud salah "
            "satu dari ini:"
        )
    elif answer.query:
        text = f"Ada beberapa wilayah bernama “{query}”. Pilih yang dimaksud:"
    elif action is Action.INVITE:
        text = "Untuk desa mana undangan kader ini? Pilih desanya:"
    else:
        text = "Pilih desa/kelurahan:"
    return Rendered(text, _buttons(answer.options, action, answer.period))


def lookup_failure(answer: Answer[Any], action: Action) -> str:
    """Nothing to show: not found (also outside the scope), too long, or a name is needed."""
    example = _EXAMPLES[action]
    if answer.status == "too_long":
        return (
            "Nama wilayah itu terlalu panjang. Ketik nama desa, kecamatan, atau kabupaten saja, "
            f"mis. {example}."
        )
    if answer.status == "need_name":
        return f"Ketik nama desanya setelah perintah, mis. {example}."
    if answer.query:
        return (
            f"Wilayah “{escape(answer.query)}” tidak ditemukan di wilayah Anda. Periksa "
            f"ejaannya, lalu coba lagi (mis. {example}), atau ketik {_COMMANDS[action]} saja "
            "untuk wilayah Anda sendiri."
        )
    return "Wilayah itu tidak ditemukan di wilayah Anda."


def report_keyboard(report: AreaReport, *, may_export: bool) -> InlineKeyboardMarkup:
    """Under a report: the workbook (officials) and the collection progress of the same area."""
    row = []
    if may_export and report.submitted:
        row.append(InlineKeyboardButton(
            "📥 Ekspor Excel",
            callback_data=AreaButton(Action.EXPORT, Source.MENU, report.code,
                                     report.period).encode(),
        ))
    row.append(InlineKeyboardButton(
        "📋 Kemajuan pendataan",
        callback_data=AreaButton(Action.PROGRESS, Source.MENU, report.code,
                                 report.period).encode(),
    ))
    return InlineKeyboardMarkup([row])


def export_caption(file: ExportFile) -> str:
    """The document's caption: what the workbook holds and how families are identified."""
    sheets = "Ringkasan, Indikator per desa, Dimensi per desa, Skor keluarga"
    if not file.family_sheet:
        sheets = "Ringkasan, Indikator per desa, Dimensi per desa"
        privacy = "Hanya angka wilayah dan desa; data per keluarga tidak disertakan."
    elif not file.family_rows:
        privacy = (
            f"Skor per keluarga tidak disertakan (lebih dari {format_integer(MAX_FAMILY_ROWS)} "
            "keluarga): ekspor per kabupaten atau kecamatan untuk rinciannya."
        )
    elif file.with_names and not file.sensitive:
        privacy = (
            "Berisi nama kepala keluarga (data pribadi): simpan dan bagikan dengan hati-hati. "
            "Indikator sensitif (mis. kekerasan) tidak disertakan per keluarga."
        )
    elif file.with_names:
        privacy = "Berisi nama kepala keluarga: simpan dan bagikan dengan hati-hati."
    else:
        privacy = "Keluarga ditandai dengan nomor, tanpa nama."
    if file.change_sheet:
        sheets = sheets.replace("Dimensi per desa", "Dimensi per desa, Perubahan")
    return (
        f"📥 <b>IKK {escape(file.area_label)}</b> · periode {file.period}\n"
        f"{format_integer(file.families)} keluarga · {format_integer(file.villages)} desa/kel.\n"
        f"Lembar: {sheets}.\n"
        f"{privacy}"
    )


def empty_export(answer: Answer[Any]) -> str:
    area = answer.area
    name = escape(area.full_label) if area is not None else "wilayah ini"
    period = f" (periode {answer.period})" if answer.period is not None else ""
    return (
        f"Belum ada keluarga yang dikirim untuk {name}{period}, jadi belum ada data yang dapat "
        "diekspor. Lihat /progres untuk kemajuan pendataan."
    )


def invite_message(
    invite: CreatedInvite, area: AreaOption, bot_username: str, timezone: str
) -> str:
    """The link to forward to a new kader, with the village, its validity and its single use."""
    link = invite_link(bot_username, invite.code)
    where = f"{escape(area.parents)} · " if area.parents else ""
    people = "1 orang" if invite.max_uses == 1 else f"{invite.max_uses} orang"
    return (
        f"🔗 <b>Undangan kader untuk {escape(display_name(area.level, area.name))}</b>\n"
        f"{where}kode {escape(area.code)}\n\n"
        f"{escape(link)}\n\n"
        "Teruskan tautan ini kepada kader yang akan mendata keluarga di desa tersebut. "
        f"Tautan berlaku untuk {people} sampai {local_time(invite.expires_at, timezone)}."
    )


def _counts(submitted: int, drafts: int) -> str:
    if not submitted and not drafts:
        return "belum ada"
    parts = [f"{format_integer(submitted)} terkirim"]
    if drafts:
        parts.append(f"{format_integer(drafts)} draf")
    return " · ".join(parts)


def _village_line(line: VillageProgress, timezone: str) -> str:
    when = (
        f" · {local_time(line.last_activity, timezone, with_year=False)}"
        if line.last_activity is not None
        else ""
    )
    return f"{escape(line.label)}: {_counts(line.submitted, line.drafts)}{when}"


def _kader_line(line: KaderProgress, labels: dict[str, str], timezone: str) -> str:
    name = escape(line.name.strip()) or "(tanpa nama)"
    where = ", ".join(escape(labels.get(code, code)) for code in line.villages[:3])
    if len(line.villages) > 3:
        where += f" +{len(line.villages) - 3}"
    counts = (
        "belum mulai" if not line.submitted and not line.drafts
        else _counts(line.submitted, line.drafts)
    )
    when = (
        f" · {local_time(line.last_activity, timezone, with_year=False)}"
        if line.last_activity is not None
        else ""
    )
    return f"{name}{f' ({where})' if where else ''}: {counts}{when}"


def progress_messages(report: ProgressReport, timezone: str) -> list[str]:
    """/progres: totals, then per village and per kader (lists capped), split below 4096."""
    title = escape(display_name(report.level, report.name))
    head = [
        f"📋 <b>Kemajuan pendataan {title}</b>",
        f"Periode {report.period} · {_counts(report.submitted, report.drafts)}",
        f"Aktivitas terakhir: {local_time(report.last_activity, timezone)}",
    ]
    blocks = ["\n".join(head)]
    villages = report.villages
    if villages:
        lines = [f"<b>Per desa/kelurahan</b> ({format_integer(len(villages))})"]
        lines += [_village_line(v, timezone) for v in villages[:PROGRESS_CAP]]
        if len(villages) > PROGRESS_CAP:
            lines.append(
                f"… dan {format_integer(len(villages) - PROGRESS_CAP)} lainnya; ketik /progres "
                "dengan nama kecamatan untuk rinciannya."
            )
        blocks.append("\n".join(lines))
    labels = {v.code: v.label for v in villages}
    if report.kader:
        lines = [f"<b>Per kader</b> ({format_integer(len(report.kader))})"]
        lines += [_kader_line(k, labels, timezone) for k in report.kader[:PROGRESS_CAP]]
        if len(report.kader) > PROGRESS_CAP:
            lines.append(f"… dan {format_integer(len(report.kader) - PROGRESS_CAP)} lainnya")
        blocks.append("\n".join(lines))
    else:
        blocks.append("Belum ada kader yang terdaftar di wilayah ini. Undang kader dengan "
                      "/undang.")
    return split_blocks(blocks)
