"""Turn the services' positions and outcomes into Telegram messages: HTML text + inline keyboard.

Pure functions (no network, no database). Every string that comes from the database or the
instrument goes through `html.escape`, because the bot speaks HTML and a family head may be
called "A & B <C>". Buttons carry compact callback data (`bot.telegram.callback_data`) with the
response, the question's short number and the response version they were drawn for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.db.models import ReviewStatus
from bot.services.families import DraftSummary, FamilySummary
from bot.services.outcomes import DuplicateFamily, Position, ScoreSummary
from bot.telegram import texts
from bot.telegram.callback_data import CallbackData, Kind
from conversations.engine import (
    QuestionPrompt,
    Review,
    phrase,
    question_index,
    render_review,
)
from ikk_core.formatting import format_value
from ikk_core.instrument import Instrument

__all__ = [
    "EDIT_BUTTONS_PER_ROW",
    "MAX_EDIT_BUTTONS",
    "Rendered",
    "answered_line",
    "answered_suffix",
    "bold",
    "button",
    "confirm_message",
    "drafts_message",
    "duplicate_message",
    "families_message",
    "italic",
    "position_messages",
    "prompt_message",
    "review_messages",
    "submitted_message",
    "village_message",
]

EDIT_BUTTONS_PER_ROW: Final = 5
MAX_EDIT_BUTTONS: Final = 90
"""Telegram allows 100 buttons per keyboard; the rest of a long review is changed by typing
its number."""
LIST_LIMIT: Final = 20


@dataclass(frozen=True)
class Rendered:
    """One message to send: HTML text and an optional inline keyboard."""

    text: str
    markup: InlineKeyboardMarkup | None = None


def bold(text: str) -> str:
    return f"<b>{text}</b>"


def italic(text: str) -> str:
    return f"<i>{text}</i>"


def button(label: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=data.encode())


def _family_header(position: Position) -> str:
    return "📋 " + escape(position.family.text)


def prompt_message(
    instrument: Instrument, position: Position, prompt: QuestionPrompt, *, header: bool = False,
    notices: Sequence[str] = (), answered: str | None = None,
) -> Rendered:
    """A question: its text, choice buttons ("Ya" / "Tidak"), "Lewati" and "⬅️ Kembali"."""
    q = question_index(instrument, prompt.question)
    r, v = position.response_id, position.version
    rows: list[list[InlineKeyboardButton]] = []
    choices = [
        button(choice.label, CallbackData(Kind.ANSWER, r, q, v, i))
        for i, choice in enumerate(prompt.choices)
    ]
    if choices:
        rows += [choices[i : i + 3] for i in range(0, len(choices), 3)]
    nav: list[InlineKeyboardButton] = []
    if prompt.can_go_back:
        nav.append(button(phrase("button_back"), CallbackData(Kind.BACK, r, q, v)))
    if prompt.can_skip:
        nav.append(button(phrase("button_skip"), CallbackData(Kind.SKIP, r, q, v)))
    if nav:
        rows.append(nav)
    parts = [answered] if answered else []
    parts += [escape(notice) for notice in notices]
    if header:
        parts.append(_family_header(position))
    parts.append(prompt.render(escape, bold, italic))
    return Rendered("\n\n".join(parts), InlineKeyboardMarkup(rows) if rows else None)


def _score_line(score: ScoreSummary | None) -> str:
    if score is None or score.score_pct is None:
        return "Skor keluarga: –"
    band = f" ({escape(score.band_label)})" if score.band_label else ""
    return f"Skor keluarga: <b>{format_value(score.score_pct)}</b>{band}"


def review_messages(
    instrument: Instrument, position: Position, review: Review, *, notices: Sequence[str] = (),
    answered: str | None = None,
) -> list[Rendered]:
    """The review card, split below 4096 characters, with "Ubah N" buttons and "✅ Kirim"
    (a submitted family shows its score instead of "Kirim")."""
    r, v = position.response_id, position.version
    lead = [answered] if answered else []
    lead += [escape(notice) for notice in notices] + [_family_header(position)]
    if position.submitted:
        lead.append(_score_line(position.score))
    prefix = "\n\n".join(lead) + "\n\n"
    parts = render_review(review, 4096 - len(prefix), escape=escape, bold=bold)
    edit = [
        button(
            phrase("button_edit_item", index=item.number),
            CallbackData(Kind.EDIT, r, item.index, v),
        )
        for item in review.items[:MAX_EDIT_BUTTONS]
    ]
    rows = [edit[i : i + EDIT_BUTTONS_PER_ROW] for i in range(0, len(edit), EDIT_BUTTONS_PER_ROW)]
    last: list[InlineKeyboardButton] = []
    if not position.submitted:
        if review.items:
            last.append(button(phrase("button_back"), CallbackData(Kind.BACK, r, 0, v)))
        if review.complete:
            last.append(button(phrase("button_submit"), CallbackData(Kind.SUBMIT, r, 0, v)))
    if last:
        rows.append(last)
    markup = InlineKeyboardMarkup(rows) if rows else None
    messages = [Rendered(prefix + parts[0])]
    messages += [Rendered(part) for part in parts[1:]]
    messages[-1] = Rendered(messages[-1].text, markup)
    return messages


def position_messages(
    instrument: Instrument, position: Position, *, header: bool = False,
    notices: Sequence[str] = (), answered: str | None = None,
) -> list[Rendered]:
    """Where a family stands: its current question, or its review card; `answered` (from
    `answered_line`) heads the card when it replaces the question just answered."""
    if position.prompt is not None:
        return [prompt_message(instrument, position, position.prompt, header=header,
                               notices=notices, answered=answered)]
    if position.review is not None:
        return review_messages(instrument, position, position.review, notices=notices,
                               answered=answered)
    return [Rendered("\n\n".join([*map(escape, notices), _family_header(position)]))]


def answered_line(short_label: str, answer: str) -> str:
    """The live card's record of the answer it replaced: "✔️ Ada pasangan: Ya"."""
    return f"✔️ {escape(short_label)}: <b>{escape(answer)}</b>"


def answered_suffix(label: str) -> str:
    """What a question's message gets once answered by a tap: "✔️ Ya"."""
    return f"\n\n✔️ <b>{escape(label)}</b>"


def confirm_message(position: Position, question: int, message: str) -> Rendered:
    """ "Yakin?" for an unusual value, with "Ya, benar" and "Ubah"."""
    r, v = position.response_id, position.version
    markup = InlineKeyboardMarkup(
        [[
            button(phrase("button_confirm"), CallbackData(Kind.CONFIRM, r, question, v)),
            button(phrase("button_change"), CallbackData(Kind.CHANGE, r, question, v)),
        ]]
    )
    return Rendered(escape(message), markup)


def duplicate_message(position: Position, duplicate: DuplicateFamily) -> Rendered:
    """The same village, RT and head name again: open the existing family, or carry on."""
    r, v = position.response_id, position.version
    other = escape(duplicate.family.text)
    if duplicate.own:
        text = (
            f"⚠️ Keluarga <b>{other}</b> sudah pernah Anda data. Buka data yang sudah ada, "
            "atau lanjutkan bila ini keluarga yang berbeda?"
        )
        rows = [[button(texts.OPEN_EXISTING, CallbackData(Kind.DUPLICATE_OPEN, r, 0, v,
                                                         duplicate.response_id))]]
    else:
        text = (
            f"⚠️ Keluarga <b>{other}</b> sudah didata oleh kader "
            f"{escape(duplicate.cadre_name) or 'lain'}. Lanjutkan hanya bila ini keluarga "
            "yang berbeda."
        )
        rows = []
    rows.append([button(texts.CONTINUE_AS_NEW, CallbackData(Kind.DUPLICATE_NEW, r, 0, v))])
    return Rendered(text, InlineKeyboardMarkup(rows))


def submitted_message(position: Position, score: ScoreSummary | None) -> Rendered:
    """After "✅ Kirim": the family's score and band, and the way to the next family."""
    text = (
        f"✅ Data keluarga <b>{escape(position.family.text)}</b> sudah dikirim.\n"
        f"{_score_line(score)}"
    )
    markup = InlineKeyboardMarkup([[button(texts.NEXT_FAMILY, CallbackData(Kind.NEXT_FAMILY))]])
    return Rendered(text, markup)


def village_message(villages: Sequence[tuple[str, str]]) -> Rendered:
    """Which village is the new family in? One button per village (code order)."""
    rows = [
        [button(name, CallbackData(Kind.VILLAGE, value=i))] for i, (_, name) in enumerate(villages)
    ]
    return Rendered(texts.CHOOSE_VILLAGE, InlineKeyboardMarkup(rows))


def _progress(draft: DraftSummary) -> str:
    """How far a draft is, in the words of the progress line ("Pertanyaan N dari M")."""
    about = "" if draft.total_exact else phrase("about")
    return f"Kemajuan {draft.answered} dari {about}{draft.total} pertanyaan"


def drafts_message(drafts: Sequence[DraftSummary]) -> Rendered:
    """/lanjut: the unfinished families (village, RT, head, how far), newest first."""
    if not drafts:
        return Rendered(texts.NO_DRAFTS)
    shown = drafts[:LIST_LIMIT]
    lines = [texts.DRAFTS_INTRO]
    rows = []
    for number, draft in enumerate(shown, start=1):
        lines.append(f"{number}. {escape(draft.family.text)} · {_progress(draft)}")
        # The button names the family only: the progress is on the list line above it.
        rows.append([button(f"{number}. {_short(draft.family.text)}",
                            CallbackData(Kind.OPEN_DRAFT, draft.response_id))])
    if len(drafts) > len(shown):
        lines.append(texts.more_items(len(drafts) - len(shown)))
    return Rendered("\n".join(lines), InlineKeyboardMarkup(rows))


def families_message(families: Sequence[FamilySummary]) -> Rendered:
    """/keluarga: the kader's families of this period with status or score."""
    if not families:
        return Rendered(texts.NO_FAMILIES)
    shown = families[:LIST_LIMIT]
    lines = [texts.FAMILIES_INTRO]
    rows = []
    for number, family in enumerate(shown, start=1):
        if family.score is not None and family.score.score_pct is not None:
            state = f"skor {format_value(family.score.score_pct)}"
        elif family.status == "submitted":
            state = "terkirim"
        else:
            state = "draf"
        label = f"{family.family.text} · {state}"
        line = f"{number}. {escape(label)}"
        if family.status == "submitted" and family.review is ReviewStatus.NEEDS_CHECK:
            line += f"\n   ⚠️ perlu dicek: {escape(family.review_reason or '')}"
            label = f"⚠️ {label}"
        elif family.status == "submitted" and family.review is ReviewStatus.VERIFIED:
            line += " · ✅ terverifikasi"
        lines.append(line)
        rows.append([button(f"{number}. {_short(label)}",
                            CallbackData(Kind.OPEN_FAMILY, family.response_id))])
    if len(families) > len(shown):
        lines.append(texts.more_items(len(families) - len(shown)))
    return Rendered("\n".join(lines), InlineKeyboardMarkup(rows))


def _short(label: str, limit: int = 60) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
