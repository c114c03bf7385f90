"""The Indonesian words of /peringatan, /status_peringatan and the "Sudah dibaca" button.

Kept beside `bot.telegram.texts` (the adapter's other words) so the alert feature stays in its
own files; values from the database are escaped (HTML parse mode).
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Final
from zoneinfo import ZoneInfo

from bot.alerts.status import AlertStatus, RunSummary
from bot.alerts.subscriptions import Subscription
from bot.alerts.weeks import run_label
from bot.db.models import AlertRunStatus
from bot.telegram.texts import ROLE_NAMES
from ikk_core.formatting import format_integer, format_value

__all__ = [
    "ACKNOWLEDGED",
    "ACK_ALREADY",
    "ACK_NOT_YOURS",
    "ADMIN_ONLY",
    "COMMAND_DESCRIPTIONS",
    "OFFICIALS_ONLY",
    "SAVED",
    "STALE_BUTTON",
    "sectors_text",
    "settings_text",
    "status_text",
]

COMMAND_DESCRIPTIONS: Final = {
    "peringatan": "Atur peringatan mingguan indikator merah",
    "status_peringatan": "Status pengiriman peringatan mingguan",
}

OFFICIALS_ONLY: Final = "Peringatan mingguan hanya untuk pejabat dan admin."
ADMIN_ONLY: Final = "Perintah ini hanya untuk admin (operator DP3A)."
STALE_BUTTON: Final = "Tombol ini sudah tidak berlaku. Ketik /peringatan untuk membukanya lagi."
SAVED: Final = "Tersimpan."
ACKNOWLEDGED: Final = "Terima kasih. Peringatan ini ditandai sudah dibaca."
ACK_ALREADY: Final = "Peringatan ini telah ditandai sudah dibaca."
ACK_NOT_YOURS: Final = "Tombol ini bukan untuk Anda."


def settings_text(
    subscription: Subscription, area: str, schedule: str, threshold: float
) -> str:
    """The settings message of /peringatan (the buttons below it change each line)."""
    status = "🔔 aktif" if subscription.enabled else "🔕 mati (tidak ada peringatan)"
    sectors = (
        escape(", ".join(subscription.sectors)) if subscription.sectors else "semua sektor"
    )
    quiet = "dikirim" if subscription.quiet_weeks else "tidak dikirim"
    return (
        "<b>⚙️ Pengaturan peringatan mingguan</b>\n"
        f"Indikator merah (di bawah {format_value(threshold, 0)} %) di {escape(area)}, "
        f"{escape(schedule)}.\n\n"
        f"Status: {status}\n"
        f"Sektor: {sectors}\n"
        f"Pesan singkat di minggu tanpa indikator merah: {quiet}\n\n"
        "Ketuk tombol di bawah untuk mengubah."
    )


def sectors_text(subscription: Subscription) -> str:
    chosen = (
        escape(", ".join(subscription.sectors))
        if subscription.sectors
        else "belum ada (semua sektor dikirim)"
    )
    return (
        "<b>🏢 Sektor yang diikuti</b>\n"
        "Pilih sektor (OPD) yang Anda tangani: peringatan hanya berisi indikator sektor itu. "
        "Tanpa pilihan, semua sektor dikirim.\n\n"
        f"Dipilih: {chosen}"
    )


_STATUS_WORDS: Final = {
    AlertRunStatus.RUNNING: "sedang dikirim",
    AlertRunStatus.DONE: "selesai",
    AlertRunStatus.FAILED: "dihentikan",
}
MAX_LISTED: Final = 30


def _when(moment: datetime | None, tz: ZoneInfo) -> str:
    if moment is None:
        return "–"
    return moment.astimezone(tz).strftime("%d/%m/%Y %H.%M")


def _run_lines(run: RunSummary, tz: ZoneInfo) -> list[str]:
    label = run_label(run.period_key)
    when = _when(run.due_at or run.started_at, tz)
    return [
        f"• <b>{escape(label)}</b> ({when}) — {_STATUS_WORDS[run.status]}",
        f"  terkirim {format_integer(run.sent)} · dibaca {format_integer(run.acknowledged)} · "
        f"diblokir {format_integer(run.blocked)} · gagal {format_integer(run.failed)} · "
        f"menunggu {format_integer(run.pending)}",
    ]


def status_text(status: AlertStatus, schedule: str, tz: ZoneInfo) -> str:
    lines = ["<b>📊 Status peringatan mingguan</b>", f"Jadwal: {escape(schedule)}", ""]
    if status.runs:
        lines.append("Pengiriman terakhir:")
        for run in status.runs:
            lines += _run_lines(run, tz)
    else:
        lines.append("Belum ada peringatan yang dikirim.")
    lines.append("")
    people = status.unreachable
    if not people:
        lines.append("Semua pejabat dan admin dapat dihubungi.")
    else:
        lines.append(
            f"<b>Tidak dapat dihubungi</b> ({format_integer(len(people))}; memblokir bot atau "
            "menghapus obrolan — minta mereka membuka bot dan mengetik /start):"
        )
        for person in people[:MAX_LISTED]:
            name = person.display_name.strip() or f"pengguna #{person.user_id}"
            lines.append(
                f"• {escape(name)} — {ROLE_NAMES[person.role]}, {escape(person.area_label)}"
            )
        if len(people) > MAX_LISTED:
            lines.append(f"… dan {format_integer(len(people) - MAX_LISTED)} lainnya.")
    return "\n".join(lines)
