"""The weekly alert an official reads: red indicators per village, and what changed since the
last alert THIS official was told.

Pure on purpose: the bot gathers the village results of the official's scope and the snapshot
stored with their previous alert; this module decides what is red, new, worse or recovered,
and renders the Indonesian message (HTML parse mode, split at village boundaries so no part is
longer than Telegram's 4096 characters). No database, no network, no clock.

Rules:

- An indicator of a village is reported only when at least `min_families` families are
  applicable to it (its denominator): a value over three families says little. An indicator
  hidden from the official (`IndicatorResult.suppressed`, too few families) has no value and is
  never reported: even "red" would tell something about a handful of families.
- The alert says what its figures stand on (coverage) on the line after the area.
- Red is ``value < red_threshold``.
- Sector routing: an official who follows sectors sees only indicators whose sector string,
  split at "/", has a part equal to a followed sector (case-insensitive), or a part whose name
  before a parenthesis is one ("DP3A" also follows "DP3A (UPTD PPA)"). No followed sector = all.
- NEW: red now, not in the last snapshot. WORSE: red both times and lower now (compared at the
  two decimals the official read). RECOVERED: red in the last snapshot, now not red with enough
  families. An indicator without enough families now is neither reported nor "recovered".
- The snapshot stored with this alert is exactly what it reported, so next week's comparison is
  with what the official was told, not with what the data happened to be.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from html import escape
from typing import Any, Final

from ikk_core.areas import AreaLevel, short_label
from ikk_core.coverage import Coverage, coverage_text
from ikk_core.formatting import format_integer, format_percent, format_value
from ikk_core.instrument import Instrument
from ikk_core.results import AreaResult

__all__ = [
    "MAX_MESSAGE_CHARS",
    "Change",
    "CollectionProgress",
    "Digest",
    "DigestHeader",
    "RecoveredIndicator",
    "RedIndicator",
    "Snapshot",
    "VillageReds",
    "build_digest",
    "instrument_sectors",
    "render_digest",
    "sector_matches",
    "sector_parts",
    "snapshot_from_json",
    "snapshot_to_json",
]

MAX_MESSAGE_CHARS: Final = 4096
DEFAULT_MAX_PARTS: Final = 5

Snapshot = Mapping[str, Mapping[str, float]]
"""Village code → indicator code → the value the official was told (red ones only)."""


class Change(StrEnum):
    """How a red indicator compares with the last alert."""

    NEW = "new"
    WORSE = "worse"
    SAME = "same"
    """Still red, not lower than last time (it may have improved a little)."""


@dataclass(frozen=True)
class RedIndicator:
    code: str
    name: str
    sector: str
    value: float
    families: int
    change: Change
    previous: float | None


@dataclass(frozen=True)
class VillageReds:
    code: str
    label: str
    """"Desa Sepapah" style label."""
    bare_name: str
    """The name to type after /ikk ("Sepapah")."""
    families: int
    indicators: tuple[RedIndicator, ...]


@dataclass(frozen=True)
class RecoveredIndicator:
    village_code: str
    village_label: str
    code: str
    name: str
    previous: float
    value: float


@dataclass(frozen=True)
class Digest:
    """What one official is told this week (before rendering)."""

    villages: tuple[VillageReds, ...]
    recovered: tuple[RecoveredIndicator, ...]
    snapshot: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        """Nothing red and nothing recovered: only a quiet-week note could be sent."""
        return not self.villages and not self.recovered

    @property
    def red_count(self) -> int:
        return sum(len(v.indicators) for v in self.villages)

    def count(self, change: Change) -> int:
        return sum(1 for v in self.villages for i in v.indicators if i.change is change)


@dataclass(frozen=True)
class CollectionProgress:
    """Collection in the official's area for the data period (one line of the alert)."""

    period: int
    submitted: int
    drafts: int
    villages_with_data: int
    villages: int


@dataclass(frozen=True)
class DigestHeader:
    """What the alert is about: the run's period key, the official's area, the rules applied."""

    period_key: str
    area_label: str
    data_period: int
    red_threshold: float
    min_families: int
    sectors: tuple[str, ...] = ()
    coverage: Coverage | None = None


# --------------------------------------------------------------------------- sector routing


def sector_parts(sector: str) -> tuple[str, ...]:
    """The offices of a sector string: "Dinas Kesehatan / BPJS" → ("Dinas Kesehatan", "BPJS")."""
    return tuple(part.strip() for part in sector.split("/") if part.strip())


def _base(part: str) -> str:
    """The office without its unit in parentheses: "DP3A (UPTD PPA)" → "DP3A"."""
    return part.split("(", 1)[0].strip()


def sector_matches(sector: str, followed: Collection[str]) -> bool:
    """True when an indicator of `sector` goes to someone following `followed` (empty: all)."""
    return _matches(sector, frozenset(f.strip().casefold() for f in followed if f.strip()))


def _matches(sector: str, wanted: frozenset[str]) -> bool:
    if not wanted:
        return True
    return any(
        part.casefold() in wanted or _base(part).casefold() in wanted
        for part in sector_parts(sector)
    )


def instrument_sectors(instrument: Instrument) -> tuple[str, ...]:
    """Every office named in the instrument's indicator sectors, once, in alphabetical order:
    the choices an official can follow."""
    seen: dict[str, str] = {}
    for indicator in instrument.indicators:
        for part in sector_parts(indicator.sector):
            seen.setdefault(part.casefold(), part)
    return tuple(sorted(seen.values(), key=str.casefold))


# --------------------------------------------------------------------------- the digest


def _shown(value: float) -> Decimal:
    """The value as the official reads it (two decimals, rounded half-up like the reports)."""
    return Decimal(repr(float(value))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _labels(result: AreaResult) -> tuple[str, str]:
    """("Desa Sepapah", "Sepapah"): the label shown and the name to type after /ikk."""
    name = result.name.strip()
    try:
        level = AreaLevel(result.level)
    except ValueError:
        return name, name
    return short_label(level, name), name


def build_digest(
    villages: Sequence[AreaResult],
    previous: Snapshot | None,
    *,
    red_threshold: float,
    min_families: int,
    sectors: Collection[str] = (),
) -> Digest:
    """The digest of `villages` (the official's scope, latest period) against `previous`.

    `previous` entries for villages not in `villages` (out of scope now) or for indicators of
    sectors not followed now are ignored, so changing one's sectors never shows as "recovered".
    """
    told = previous or {}
    wanted = frozenset(f.strip().casefold() for f in sectors if f.strip())
    routed: dict[str, bool] = {}
    reports: list[VillageReds] = []
    recovered: list[RecoveredIndicator] = []
    snapshot: dict[str, dict[str, float]] = {}
    for result in sorted(villages, key=lambda r: r.code):
        label, bare = _labels(result)
        before = told.get(result.code, {})
        reds: list[RedIndicator] = []
        for ind in result.indicators:
            goes = routed.get(ind.sector)
            if goes is None:
                goes = routed[ind.sector] = _matches(ind.sector, wanted)
            if not goes:
                continue
            value = ind.value
            if (ind.suppressed or value is None or math.isnan(value)
                    or ind.denominator < min_families):
                continue
            then = before.get(ind.code)
            name = ind.name.get("id")
            if value < red_threshold:
                if then is None:
                    change = Change.NEW
                elif _shown(value) < _shown(then):
                    change = Change.WORSE
                else:
                    change = Change.SAME
                reds.append(
                    RedIndicator(ind.code, name, ind.sector, value, ind.denominator, change, then)
                )
            elif then is not None:
                recovered.append(
                    RecoveredIndicator(result.code, label, ind.code, name, then, value)
                )
        if reds:
            reds.sort(key=lambda r: (r.value, r.code))
            reports.append(
                VillageReds(result.code, label, bare, result.families, tuple(reds))
            )
            snapshot[result.code] = {r.code: r.value for r in reds}
    reports.sort(key=lambda v: (-len(v.indicators), v.indicators[0].value, v.code))
    return Digest(tuple(reports), tuple(recovered), snapshot)


# --------------------------------------------------------------------------- snapshots


def snapshot_to_json(snapshot: Snapshot) -> str:
    """The compact JSON stored with a delivery."""
    ordered = {v: dict(sorted(inds.items())) for v, inds in sorted(snapshot.items())}
    return json.dumps(ordered, separators=(",", ":"), allow_nan=False)


def snapshot_from_json(text: str | None) -> dict[str, dict[str, float]]:
    """The snapshot stored as `text`; anything unreadable counts as "told nothing"."""
    if not text:
        return {}
    try:
        raw: Any = json.loads(text)
    except ValueError:
        return {}
    if not isinstance(raw, dict):
        return {}
    out: dict[str, dict[str, float]] = {}
    for village, indicators in raw.items():
        if not isinstance(village, str) or not isinstance(indicators, dict):
            continue
        values = {
            code: float(value)
            for code, value in indicators.items()
            if isinstance(code, str)
            and isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
        }
        if values:
            out[village] = values
    return out


# --------------------------------------------------------------------------- rendering

_MARKS: Final = {Change.NEW: "🆕 ", Change.WORSE: "⬇️ ", Change.SAME: ""}


def _indicator_line(item: RedIndicator) -> str:
    line = f"• {_MARKS[item.change]}{escape(item.code)} {escape(item.name)}: "
    line += f"<b>{format_percent(item.value)}</b>"
    if item.change is Change.WORSE and item.previous is not None:
        line += f" (sebelumnya {format_percent(item.previous)})"
    if item.sector:
        line += f" — {escape(item.sector)}"
    return line


def _village_block(village: VillageReds) -> list[str]:
    head = (
        f"<b>{escape(village.label)}</b> ({format_integer(village.families)} keluarga, "
        f"{len(village.indicators)} indikator merah)"
    )
    return [head, *(_indicator_line(i) for i in village.indicators)]


def _recovered_block(items: Sequence[RecoveredIndicator]) -> list[str]:
    lines = ["✅ <b>Membaik</b> (sudah tidak merah)"]
    for item in items:
        lines.append(
            f"• {escape(item.village_label)}: {escape(item.code)} {escape(item.name)} "
            f"{format_percent(item.value)} (sebelumnya {format_percent(item.previous)})"
        )
    return lines


def _title(header: DigestHeader) -> str:
    return f"🔔 <b>Peringatan mingguan IKK — {escape(header.period_key)}</b>"


def _where(header: DigestHeader) -> str:
    """The area and data year, and on the next line the coverage of the figures."""
    line = f"{escape(header.area_label)} · data tahun {header.data_period}"
    if header.coverage is not None:
        line += f"\n{escape(coverage_text(header.coverage))}"
    return line


def _intro(header: DigestHeader) -> list[str]:
    rule = (
        f"{_where(header)}\n"
        f"Indikator di bawah {format_value(header.red_threshold, 0)} % di desa/kelurahan "
        f"dengan minimal {format_integer(header.min_families)} keluarga yang relevan."
    )
    lines = [_title(header), rule]
    if header.sectors:
        lines.append("Sektor yang Anda ikuti: " + escape(", ".join(header.sectors)))
    return lines


def _summary(digest: Digest) -> str:
    new, worse = digest.count(Change.NEW), digest.count(Change.WORSE)
    text = (
        f"Ringkasan: {format_integer(digest.red_count)} indikator merah di "
        f"{format_integer(len(digest.villages))} desa/kelurahan"
    )
    details = []
    if new:
        details.append(f"{format_integer(new)} baru")
    if worse:
        details.append(f"{format_integer(worse)} memburuk")
    if details:
        text += " (" + ", ".join(details) + ")"
    if digest.recovered:
        text += f"; {format_integer(len(digest.recovered))} membaik"
    return text + "."


def _progress_line(progress: CollectionProgress) -> str:
    return (
        f"📋 Kemajuan pendataan {progress.period}: {format_integer(progress.submitted)} "
        "keluarga terkirim, "
        f"{format_integer(progress.drafts)} draf; {format_integer(progress.villages_with_data)} "
        f"dari {format_integer(progress.villages)} desa/kelurahan sudah ada data."
    )


def _footer(digest: Digest, progress: CollectionProgress | None) -> list[str]:
    lines = []
    if progress is not None:
        lines.append(_progress_line(progress))
    example = digest.villages[0].bare_name if digest.villages else None
    hint = "Rincian per desa: /ikk &lt;nama desa&gt;"
    if example:
        hint += f", mis. /ikk {escape(example)}"
    lines.append(hint)
    return lines


def render_digest(
    digest: Digest,
    header: DigestHeader,
    *,
    progress: CollectionProgress | None = None,
    quiet_weeks: bool = False,
    limit: int = MAX_MESSAGE_CHARS,
    max_parts: int = DEFAULT_MAX_PARTS,
) -> list[str]:
    """The message(s) to send, each at most `limit` characters; [] when there is nothing to
    say (no red, nothing recovered, and the official did not ask for quiet-week notes).

    Parts break between villages; a village too long for one part breaks between its lines.
    After `max_parts` parts the rest is summarised in one line pointing at /ikk.
    """
    if digest.is_empty:
        if not quiet_weeks:
            return []
        lines = [
            _title(header),
            _where(header),
            "Tidak ada indikator merah minggu ini."
            + (" (sektor: " + escape(", ".join(header.sectors)) + ")" if header.sectors else ""),
        ]
        if progress is not None:
            lines.append(_progress_line(progress))
        return [_fit("\n".join(lines), limit)]

    blocks: list[list[str]] = [[*_intro(header), _summary(digest)]]
    blocks += [_village_block(v) for v in digest.villages]
    if digest.recovered:
        blocks.append(_recovered_block(digest.recovered))
    footer = _footer(digest, progress)
    continued = f"{_title(header)} (lanjutan)"
    return _pack(blocks, footer, limit, max_parts, villages=len(digest.villages),
                 continued=continued)


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _chunks(block: Sequence[str], limit: int) -> Iterable[list[str]]:
    """A block cut between lines into pieces that fit `limit` (a line longer than the limit
    alone is cut, which only a pathological name could cause)."""
    piece: list[str] = []
    size = 0
    for line in block:
        line = _fit(line, limit)
        extra = len(line) + (1 if piece else 0)
        if piece and size + extra > limit:
            yield piece
            piece, size = [], 0
            extra = len(line)
        piece.append(line)
        size += extra
    if piece:
        yield piece


def _pack(
    blocks: Sequence[list[str]],
    footer: list[str],
    limit: int,
    max_parts: int,
    *,
    villages: int,
    continued: str,
) -> list[str]:
    separator = "\n\n"
    footer_text = "\n".join(footer)
    # Room for the footer, a "more villages" line and the heading of a continued part.
    reserve = len(footer_text) + len(separator) + 120 + len(continued)
    budget = max(200, limit - reserve)
    parts: list[str] = []
    current = ""
    shown_villages = 0
    for index, block in enumerate(blocks):
        is_village = 0 < index <= villages
        for chunk in _chunks(block, budget):
            text = "\n".join(chunk)
            candidate = f"{current}{separator}{text}" if current else text
            if len(candidate) <= budget:
                current = candidate
                continue
            if len(parts) + 1 >= max_parts:
                remaining = villages - shown_villages
                more = (
                    f"… dan {format_integer(remaining)} desa/kelurahan lain dengan indikator "
                    "merah; lihat /ikk untuk rinciannya."
                    if remaining > 0
                    else "… (dipotong; lihat /ikk untuk rinciannya.)"
                )
                parts.append(_fit(f"{current}{separator}{more}{separator}{footer_text}", limit))
                return parts
            parts.append(current)
            current = continued + separator + text
        if is_village:
            shown_villages += 1
    final = f"{current}{separator}{footer_text}" if current else footer_text
    parts.append(_fit(final, limit))
    return parts
