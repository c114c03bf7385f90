"""The `/ikk` report as one HTML message an official reads on a phone (and forwards).

Pure: an `AreaReport` in, message texts out. Order follows the questions asked in a meeting:
which area, how much of it the figures stand on (coverage, the first line: a kabupaten IKK from 1
of 200 villages must read as such before anything else), period and families, the IKK and its
category, the five dimensions, what is red (lowest first, with the numbers behind the
percentage and the office that must act), how many indicators are hidden for too few families,
what has no value, how it moved since the previous period, and the villages below, weakest
first. Hidden figures are already absent from the report (the service suppressed them); this
module only says so. Every
name from the database is escaped; no family name is ever part of a report (the report holds
none). Long areas (a province lists 13 kabupaten and the weakest villages) stay under Telegram's
4096 characters by capping lists; should a report still be longer, it is split between sections,
never inside an HTML tag.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Final

from bot.services.reports import AreaLine, AreaReport
from bot.telegram.period_change_text import change_block, ikk_change_line
from bot.telegram.village_ranking import ranking_block
from ikk_core.areas import AreaLevel, display_name
from ikk_core.categories import category_rank
from ikk_core.coverage import coverage_text
from ikk_core.formatting import format_integer, format_value
from ikk_core.instrument import Band
from ikk_core.results import IndicatorResult

__all__ = [
    "CAPTION_LIMIT",
    "LIST_CAP",
    "MESSAGE_LIMIT",
    "WEAKEST_VILLAGES",
    "change_text",
    "chart_caption",
    "not_enough",
    "report_messages",
    "split_blocks",
]

MESSAGE_LIMIT: Final = 4096
CAPTION_LIMIT: Final = 1024
LIST_CAP: Final = 15
"""Areas listed below a kecamatan or kabupaten before "… dan N lainnya"."""
WEAKEST_VILLAGES: Final = 10
"""Villages listed (lowest IKK first) in the report of a kabupaten or the province."""
_CHILD_WORDS: Final = {
    AreaLevel.PROVINSI: "Kabupaten/kota",
    AreaLevel.KABUPATEN: "Kecamatan",
    AreaLevel.KOTA: "Kecamatan",
    AreaLevel.KECAMATAN: "Desa/kelurahan",
}


def not_enough(submitted: int, min_families: int) -> str | None:
    """ "data belum cukup: 6 keluarga, minimal 10" below the minimum, else None."""
    if submitted >= min_families:
        return None
    return (
        f"data belum cukup: {format_integer(submitted)} keluarga, minimal "
        f"{format_integer(min_families)}"
    )


SHOWN_TO_ADMIN: Final = (
    "ℹ️ Tampilan admin: angka tidak disembunyikan, termasuk indikator dengan sedikit keluarga. "
    "Pejabat dan kader melihat versi yang disaring."
)


def change_text(change: float | None) -> str | None:
    """ "▲ 2,30" / "▼ 1,05" / "= 0,00" for the IKK change (None without a previous IKK)."""
    if change is None:
        return None
    shown = format_value(abs(change))
    if shown == format_value(0.0):
        return f"= {shown}"
    return f"▲ {shown}" if change > 0 else f"▼ {shown}"


def _category(band: Band | None, bands: Sequence[Band] = ()) -> str:
    """ "Kategori 3 dari 3 (tertinggi) — Kualitas keluarga ..." """
    if band is None:
        return "tanpa kategori"
    name = category_rank(band, bands) if bands else band.name
    label = band.label.get("id")
    if label and label != band.name:
        return f"{escape(name)} — {escape(label)}"
    return escape(name)


def _title(report: AreaReport) -> str:
    return escape(display_name(report.level, report.name))


def _coverage_lines(report: AreaReport) -> list[str]:
    lines = [] if report.coverage is None else [f"<b>{escape(coverage_text(report.coverage))}</b>"]
    if report.verified_of is not None:  # `/ikk <area> terverifikasi`
        lines.append(
            f"✅ Hanya keluarga terverifikasi: {format_integer(report.submitted)} dari "
            f"{format_integer(report.verified_of)} keluarga terkirim"
        )
    return lines


def _header(report: AreaReport, parents: str, min_families: int) -> str:
    where = f"{escape(parents)} · " if parents else ""
    lines = [
        f"📊 <b>IKK {_title(report)}</b>",
        *_coverage_lines(report),
        f"{where}kode {escape(report.code)}",
        f"Periode {report.period} · {format_integer(report.submitted)} keluarga terkirim"
        + (f" · {format_integer(report.drafts)} draf" if report.drafts else ""),
    ]
    short = not_enough(report.submitted, report.min_families if report.suppressed_view
                       else min_families)
    if report.too_few(report.submitted) and short is not None:
        lines.append(f"⚠️ {short[0].upper()}{short[1:]}. IKK, dimensi, dan nilai indikator "
                     "belum ditampilkan.")
    elif short is not None:
        lines.append(f"⚠️ {short[0].upper()}{short[1:]}; angka ini belum mewakili wilayah.")
    if not report.suppressed_view:
        lines.append(SHOWN_TO_ADMIN)
    return "\n".join(lines)


def _ikk_block(report: AreaReport) -> str:
    result = report.result
    lines = [
        f"<b>IKK {format_value(result.ikk)}</b> · "
        f"{_category(result.category, report.categories)}"
    ]
    moved = ikk_change_line(report)
    if moved is not None:
        lines.append(moved)
    return "\n".join(lines)


def _dimensions(report: AreaReport) -> str:
    lines = ["<b>Dimensi</b>"]
    for dim in report.result.dimensions:
        lines.append(
            f"{escape(dim.code)} · {escape(dim.name.get('id'))}: <b>{format_value(dim.value)}</b>"
        )
    return "\n".join(lines)


def _indicator_line(ind: IndicatorResult) -> str:
    sector = f" · {escape(ind.sector)}" if ind.sector else ""
    return (
        f"• <b>{escape(ind.code)}</b> {escape(ind.name.get('id'))}\n"
        f"   {format_value(ind.value)} ({format_integer(ind.numerator)}/"
        f"{format_integer(ind.denominator)}){sector}"
    )


def _red(report: AreaReport, red_threshold: float) -> str:
    reds = report.result.red
    if not reds:
        return f"✅ Tidak ada indikator merah (semua {format_value(red_threshold, 0)} % ke atas)."
    head = (
        f"<b>🔴 Indikator merah ({len(reds)})</b> — di bawah "
        f"{format_value(red_threshold, 0)} %, terendah dulu"
    )
    return "\n".join([head, *(_indicator_line(ind) for ind in reds)])


def _hidden(report: AreaReport) -> str | None:
    """How many indicators this reader does not see, and why (never which values they had)."""
    hidden = report.result.suppressed
    if not hidden:
        return None
    return (
        f"🔒 {format_integer(len(hidden))} indikator disembunyikan: data belum cukup "
        f"(kurang dari {format_integer(report.min_cell)} keluarga yang berlaku, atau agar "
        "tidak dapat dihitung dari angka wilayah lain). IKK dan dimensi dihitung tanpa "
        "indikator ini."
    )


def _no_value(report: AreaReport) -> str | None:
    missing = report.result.no_value
    if not missing:
        return None
    lines = ["<b>Tanpa nilai</b> (tidak ada keluarga yang berlaku)"]
    lines += [f"– {escape(i.code)} {escape(i.name.get('id'))}" for i in missing]
    return "\n".join(lines)


def _ranked(lines: Sequence[AreaLine]) -> tuple[list[AreaLine], list[AreaLine]]:
    """(areas with an IKK, lowest first; areas without one: no family yet, or too few shown)."""
    valued = [a for a in lines if a.result is not None and a.result.ikk is not None]
    valued.sort(key=lambda a: (a.result.ikk if a.result is not None else 0.0, a.code))
    codes = {a.code for a in valued}
    return valued, [a for a in lines if a.code not in codes]


def _area_line(number: int, line: AreaLine, min_families: int) -> str:
    ikk = line.result.ikk if line.result is not None else None
    text = (
        f"{number}. {escape(line.label)}: <b>{format_value(ikk)}</b> · "
        f"{format_integer(line.submitted)} kel."
    )
    short = not_enough(line.submitted, min_families)
    return text + (f" · ⚠️ {short}" if short is not None else "")


def _too_few_line(lines: Sequence[AreaLine], min_families: int) -> str | None:
    """The areas with families but no IKK shown (under the minimum), named with their count."""
    if not lines:
        return None
    names = ", ".join(
        f"{escape(a.label)} ({format_integer(a.submitted)})" for a in lines[:5]
    )
    more = f" dan {format_integer(len(lines) - 5)} lainnya" if len(lines) > 5 else ""
    return (
        f"Data belum cukup (kurang dari {format_integer(min_families)} keluarga, IKK belum "
        f"ditampilkan): {names}{more}"
    )


def _list_block(title: str, lines: Sequence[AreaLine], min_families: int, cap: int) -> str:
    """Every area one level down, lowest IKK first, then those without an IKK shown."""
    valued, unvalued = _ranked(lines)
    too_few = [a for a in unvalued if a.submitted > 0]
    empty = [a for a in unvalued if a.submitted == 0]
    shown = valued[:cap]
    out = [f"<b>{title} ({format_integer(len(lines))})</b> — IKK terendah dulu"]
    out += [_area_line(n, line, min_families) for n, line in enumerate(shown, start=1)]
    if len(valued) > len(shown):
        out.append(f"… dan {format_integer(len(valued) - len(shown))} lainnya")
    few = _too_few_line(too_few, min_families)
    if few is not None:
        out.append(few)
    if empty:
        names = ", ".join(escape(a.label) for a in empty[:5])
        more = f" dan {format_integer(len(empty) - 5)} lainnya" if len(empty) > 5 else ""
        out.append(f"Belum ada keluarga terkirim: {names}{more}")
    return "\n".join(out)


def _below(report: AreaReport, min_families: int) -> list[str]:
    """The areas one level down when they are not villages (a kabupaten's kecamatan), then the
    villages ranked from the lowest IKK up with their red count and coverage."""
    blocks: list[str] = []
    child_word = _CHILD_WORDS.get(report.level)
    below = [c.code for c in report.children]
    if child_word is not None and report.children and [v.code for v in report.villages] != below:
        blocks.append(_list_block(child_word, report.children, min_families, LIST_CAP))
    ranking = ranking_block(report, min_families=min_families, cap=WEAKEST_VILLAGES)
    if ranking is not None:
        blocks.append(ranking)
    return blocks


def _notes(report: AreaReport) -> str | None:
    notes: list[str] = []
    if report.outdated:
        notes.append(
            f"⚠️ Skor {format_integer(report.outdated)} keluarga dihitung dengan versi instrumen "
            "lain; angka dapat berubah setelah dihitung ulang."
        )
    others = [p for p in report.periods if p != report.period]
    if others:
        notes.append("Periode lain: " + ", ".join(str(p) for p in others[:5])
                     + " (tambahkan tahun di belakang nama, mis. /ikk nama 2024)")
    return "\n".join(notes) if notes else None


def _footer(report: AreaReport, provisional: bool) -> str:
    method = " · metode sementara" if provisional else ""
    return (
        f"<i>Instrumen {escape(report.instrument_id)} versi "
        f"{escape(report.instrument_version)}{method}</i>"
    )


def _no_data(report: AreaReport, parents: str, provisional: bool) -> str:
    where = f"{escape(parents)} · " if parents else ""
    lines = [
        f"📊 <b>IKK {_title(report)}</b>",
        *_coverage_lines(report),
        f"{where}kode {escape(report.code)}",
        "",
        f"Belum ada keluarga yang dikirim untuk periode {report.period}, jadi IKK belum dapat "
        "dihitung.",
    ]
    if report.drafts:
        lines.append(
            f"{format_integer(report.drafts)} keluarga masih dalam draf (belum dikirim kader)."
        )
    lines += ["Lihat /progres untuk kemajuan pendataan.", "", _footer(report, provisional)]
    return "\n".join(lines)


def split_blocks(blocks: Sequence[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Pack blocks (joined by a blank line) into messages of at most `limit` characters; a block
    longer than a message is cut between lines, a line longer than that is cut hard."""
    pieces: list[str] = []
    for block in blocks:
        if len(block) <= limit:
            pieces.append(block)
            continue
        current = ""
        for line in block.split("\n"):
            while len(line) > limit:
                if current:
                    pieces.append(current)
                    current = ""
                pieces.append(line[:limit])
                line = line[limit:]
            candidate = f"{current}\n{line}" if current else line
            if len(candidate) > limit:
                pieces.append(current)
                current = line
            else:
                current = candidate
        if current:
            pieces.append(current)
    messages: list[str] = []
    for piece in pieces:
        if messages and len(messages[-1]) + 2 + len(piece) <= limit:
            messages[-1] = f"{messages[-1]}\n\n{piece}"
        else:
            messages.append(piece)
    return messages


def report_messages(
    report: AreaReport,
    *,
    parents: str = "",
    min_families: int = 10,
    red_threshold: float = 75.0,
    provisional: bool = True,
) -> list[str]:
    """The report as HTML message texts (one, unless an unusually long area needs more)."""
    if report.submitted == 0:
        return [_no_data(report, parents, provisional)]
    shown_min = report.min_families if report.suppressed_view else min_families
    blocks = [_header(report, parents, min_families)]
    figures: tuple[str | None, ...] = ()
    if not report.too_few(report.submitted):
        blocks += [_ikk_block(report), _dimensions(report), _red(report, red_threshold)]
        figures = (_hidden(report), _no_value(report), change_block(report))
    for optional in (*figures, *_below(report, shown_min), _notes(report)):
        if optional is not None:
            blocks.append(optional)
    blocks.append(_footer(report, provisional))
    return split_blocks(blocks)


def chart_caption(report: AreaReport, *, min_families: int = 10) -> str:
    """The photo's caption: which area, period and IKK the picture shows (≤ 1024 characters)."""
    result = report.result
    category = (category_rank(result.category, report.categories) if report.categories
                else result.category.name if result.category is not None else "tanpa kategori")
    lines = [
        f"<b>IKK {_title(report)}</b> · periode {report.period}",
        *_coverage_lines(report),
        f"IKK {format_value(result.ikk)} · {escape(category)} · "
        f"{format_integer(report.submitted)} keluarga",
    ]
    short = not_enough(report.submitted, report.min_families if report.suppressed_view
                       else min_families)
    if short is not None:
        lines.append(f"⚠️ {short}")
    if result.suppressed and not report.too_few(report.submitted):
        lines.append(f"🔒 {format_integer(len(result.suppressed))} indikator disembunyikan: "
                     "data belum cukup")
    text = "\n".join(lines)
    if len(text) > CAPTION_LIMIT:  # only an absurdly long area name could do this
        text = f"IKK {format_value(result.ikk)} · periode {report.period}"
    return text
