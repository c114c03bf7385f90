"""What a supervisor reads in /periksa, and the buttons under it.

Buttons have their own small versioned format, ``rv1`` <action> ``:`` <number> [``.`` <version>]
(a page or a family id; a verdict also carries the version of the family the card showed, e.g.
``rv1v:42.7``), which no other decoder accepts. The family id in a button is checked against the
tapper's scope by the data layer, like any other id, so a forged button reveals nothing; the
version makes a verdict on a card older than the kader's correction a no-op.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from html import escape
from typing import Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.db.models import ReviewStatus
from bot.repositories.reviews import REASON_MAX, REASON_MIN
from bot.services.family_review import PAGE_SIZE, FamilyForReview, ReviewPage
from bot.telegram.render import Rendered
from ikk_core.formatting import format_integer

__all__ = [
    "NOT_A_REVIEWER",
    "PATTERN",
    "PERIKSA_DESCRIPTION",
    "ReviewAction",
    "ReviewButton",
    "asked_reason",
    "decode",
    "family_message",
    "marked",
    "queue_message",
]

PATTERN: Final = re.compile(r"^rv\d")
_NUMBER: Final = r"(0|[1-9][0-9]{0,11})"
_SHAPE: Final = re.compile(rf"rv1([pfvc]):{_NUMBER}(?:\.{_NUMBER})?", re.ASCII)
CARD_LIMIT: Final = 3800
"""Room for the answers on one card (Telegram allows 4096 characters)."""

PERIKSA_DESCRIPTION: Final = "Periksa data keluarga yang sudah dikirim"
NOT_A_REVIEWER: Final = "Perintah ini untuk supervisor dan admin yang memeriksa data keluarga."
STATUS_LABEL: Final = {
    ReviewStatus.PENDING: "belum diperiksa",
    ReviewStatus.VERIFIED: "✅ terverifikasi",
    ReviewStatus.NEEDS_CHECK: "⚠️ perlu dicek",
}
HIDDEN_NOTE: Final = "🔒 {n} jawaban sensitif disembunyikan."
CHANGED_SINCE: Final = (
    "Data keluarga ini sudah diubah sejak Anda membukanya, jadi belum ditandai. "
    "Periksa jawaban terbarunya di bawah ini."
)
NOTHING_WAITING: Final = (
    "Tidak ada keluarga yang menunggu pemeriksaan di wilayah Anda. Keluarga yang baru dikirim "
    "kader atau yang sudah diperbaiki akan muncul di sini."
)


class ReviewAction(StrEnum):
    PAGE = "p"
    """Show page `number` of the queue."""
    FAMILY = "f"
    """Show family `number` with its answers."""
    VERIFY = "v"
    """Mark family `number` "terverifikasi"."""
    CHECK = "c"
    """Ask the reason, then mark family `number` "perlu dicek"."""


@dataclass(frozen=True)
class ReviewButton:
    action: ReviewAction
    number: int
    version: int | None = None
    """The family's version on the card (verdict buttons only)."""

    def encode(self) -> str:
        version = "" if self.version is None else f".{self.version}"
        return f"rv1{self.action.value}:{self.number}{version}"


def decode(data: object) -> ReviewButton | None:
    """The button behind `data`, or None for anything that is not exactly this format."""
    if not isinstance(data, str):
        return None
    match = _SHAPE.fullmatch(data)
    if match is None:
        return None
    action, version = ReviewAction(match.group(1)), match.group(3)
    if (version is None) == (action in (ReviewAction.VERIFY, ReviewAction.CHECK)):
        return None  # a verdict names the version it was given on; nothing else does
    return ReviewButton(action, int(match.group(2)), None if version is None else int(version))


def _button(
    label: str, action: ReviewAction, number: int, version: int | None = None
) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        label, callback_data=ReviewButton(action, number, version).encode()
    )


def _short(text: str, limit: int = 50) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def queue_message(page: ReviewPage) -> Rendered:
    """/periksa: one page of the families waiting, with a button per family."""
    if page.total == 0:
        return Rendered(NOTHING_WAITING)
    lines = [
        f"<b>Keluarga menunggu pemeriksaan: {format_integer(page.total)}</b> "
        f"(halaman {page.page + 1} dari {page.pages})",
        "Ketuk nama keluarga untuk melihat jawabannya.",
        "",
    ]
    rows: list[list[InlineKeyboardButton]] = []
    for number, item in enumerate(page.items, start=page.page * PAGE_SIZE + 1):
        lines.append(
            f"{number}. {escape(item.family.text)}\n   kader: {escape(item.cadre_name or '-')}"
        )
        head = item.family.head_name or "Keluarga"
        rows.append([_button(f"{number}. {_short(head)}", ReviewAction.FAMILY, item.family_id)])
    nav = []
    if page.page > 0:
        nav.append(_button("⬅️ Sebelumnya", ReviewAction.PAGE, page.page - 1))
    if page.page + 1 < page.pages:
        nav.append(_button("Berikutnya ➡️", ReviewAction.PAGE, page.page + 1))
    if nav:
        rows.append(nav)
    return Rendered("\n".join(lines), InlineKeyboardMarkup(rows))


def family_message(seen: FamilyForReview) -> Rendered:
    """One family's answers (sensitive ones hidden for a supervisor) and the verdict buttons."""
    item = seen.item
    head = [
        f"📋 <b>{escape(item.family.text)}</b>",
        f"Kader: {escape(item.cadre_name or '-')} · periode {item.family.period}",
        f"Status: {STATUS_LABEL[item.status]}",
    ]
    if item.status is ReviewStatus.NEEDS_CHECK and item.reason:
        head.append(f"Alasan: {escape(item.reason)}")
    body: list[str] = []
    used = sum(len(line) + 1 for line in head)
    for line in seen.answers:
        text = f"• {escape(line.label)}: <b>{escape(line.value)}</b>"
        if used + len(text) + 1 > CARD_LIMIT:
            body.append("…")
            break
        body.append(text)
        used += len(text) + 1
    if seen.hidden:
        body.append(HIDDEN_NOTE.format(n=format_integer(seen.hidden)))
    markup = InlineKeyboardMarkup([
        [
            _button("✅ Verifikasi", ReviewAction.VERIFY, item.family_id, item.version),
            _button("⚠️ Perlu dicek", ReviewAction.CHECK, item.family_id, item.version),
        ],
        [_button("⬅️ Daftar keluarga", ReviewAction.PAGE, 0)],
    ])
    return Rendered("\n".join([*head, "", *body]), markup)


def asked_reason(seen: FamilyForReview) -> str:
    return (
        f"Ketik alasan mengapa data keluarga <b>{escape(seen.item.family.text)}</b> perlu "
        f"dicek ({REASON_MIN}–{REASON_MAX} huruf). Kader akan membacanya di /keluarga.\n"
        "Ketik /periksa untuk batal."
    )


def marked(label: str, status: ReviewStatus, changed: bool) -> Rendered:
    """The answer to a verdict, with a way on to the next family."""
    if not changed:
        text = (
            f"Keluarga <b>{escape(label)}</b> sudah {STATUS_LABEL[status]}; "
            "tidak ada yang diubah."
        )
    elif status is ReviewStatus.VERIFIED:
        text = f"✅ Keluarga <b>{escape(label)}</b> terverifikasi."
    else:
        text = (
            f"⚠️ Keluarga <b>{escape(label)}</b> ditandai perlu dicek. Kader melihat alasannya "
            "di /keluarga; setelah diperbaiki, keluarga ini muncul lagi di /periksa."
        )
    markup = InlineKeyboardMarkup([[_button("Keluarga berikutnya ➡️", ReviewAction.PAGE, 0)]])
    return Rendered(text, markup)
