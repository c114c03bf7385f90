"""`/merah <indikator> [wilayah]`: the villages where one indicator is red, lowest first (issue 13).

What a sector office (OPD) plans its programme with: for its indicator, which villages of the
area are under the red threshold, by how much, and over how many families. The area, the year
and the figures are /ikk's own (`official.ikk_report`, `reports.area_report`): read from the
stored village counts
(`village_indicator_count`), scope-checked in the data layer, with the SAME cells hidden as in
/ikk. So /merah shows nothing /ikk would not, and no difference between the two reveals a small
cell. A village whose cell is hidden for this reader (too few applicable families, under the
minimum of families, or hidden against differencing) is only counted, never listed.

Sensitive indicators (e.g. KSP1) are answered like any other: an aggregate that passed the
small-cell rule is not personal data. A kader is refused (her village's figures are in /ikk).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.repositories.responses import ActingUser, load_acting_user
from bot.services import official
from bot.services.context import ServiceContext
from bot.services.official import Answer, AreaOption
from bot.services.reports import AreaLine, AreaReport
from ikk_core.areas import AreaLevel, is_village_code, short_label
from ikk_core.coverage import Coverage
from ikk_core.instrument import Indicator, Instrument

__all__ = [
    "RedAnswer",
    "RedStatus",
    "RedVillage",
    "RedVillages",
    "find_indicator",
    "red_villages",
    "red_villages_in",
    "split_request",
]

RedStatus = Literal[
    "ok",  # `value` holds the villages
    "need_indicator",  # /merah without an indicator code
    "unknown_indicator",  # the code is not an indicator of the instrument
    "choose",  # several areas match the name: `options`
    "suggest",  # no exact match, near names: `options`
    "not_found",  # no such area in the person's scope (also: outside it)
    "too_long",  # the typed name is longer than any area name
    "bad_period",  # the year cannot be read or has no data: `lookup` says why
    "forbidden",  # a kader
    "unregistered",  # unknown or deactivated account
]
_PASSED_ON: Final = frozenset(
    {"choose", "suggest", "not_found", "too_long", "unregistered", "bad_period"}
)


@dataclass(frozen=True)
class RedVillage:
    """A village where the indicator is red: `met` of `applicable` families meet it."""

    code: str
    name: str
    level: AreaLevel
    parent: str
    """The area one level under the asked one that holds the village ("Kec. Sampanahan"), or ""
    when the asked area is the village's own kecamatan or the village itself."""
    value: float
    met: int
    applicable: int

    @property
    def label(self) -> str:
        return short_label(self.level, self.name)


@dataclass(frozen=True)
class RedVillages:
    """The red villages of one indicator in one area and period, and what was left out."""

    indicator: Indicator
    area_code: str
    area_name: str
    area_level: AreaLevel
    period: int
    red_threshold: float
    red: tuple[RedVillage, ...]
    """Lowest value first."""
    not_red: int
    """Villages where the indicator is shown and at or above the threshold."""
    too_thin: int
    """Villages with submitted families whose cell this reader may not see (data too thin)."""
    not_applicable: int
    """Villages with submitted families none of which the indicator applies to."""
    without_data: int
    """Villages without any submitted family in the period."""
    coverage: Coverage | None
    suppressed_view: bool
    min_cell: int

    @property
    def villages(self) -> int:
        return (len(self.red) + self.not_red + self.too_thin + self.not_applicable
                + self.without_data)


@dataclass(frozen=True)
class RedAnswer:
    """The outcome of one /merah: a status, what was asked, and the villages or the options."""

    status: RedStatus
    typed_indicator: str = ""
    query: str = ""
    area: AreaOption | None = None
    value: RedVillages | None = None
    options: tuple[AreaOption, ...] = field(default_factory=tuple)
    indicator: Indicator | None = None
    period: int | None = None
    """The year typed ("/merah KSP1 Sampanahan 2024"), carried by the buttons of a choice."""
    lookup: Answer[AreaReport] | None = None
    """/ikk's own answer for the area and year, when it is not a report ("bad_period")."""


def split_request(text: str) -> tuple[str, str]:
    """ "ksp1 Hulu Sungai Utara" → ("ksp1", "Hulu Sungai Utara"); "" → ("", "")."""
    parts = text.strip().split(maxsplit=1)
    if not parts:
        return "", ""
    return parts[0], parts[1].strip() if len(parts) > 1 else ""


def find_indicator(instrument: Instrument, typed: str) -> Indicator | None:
    """The indicator whose code is `typed`, ignoring case and a dot or dash ("ksp-1")."""
    wanted = typed.strip().upper().replace("-", "").replace(".", "")
    return next((i for i in instrument.indicators if i.code.upper() == wanted), None)


def _parent_of(report: AreaReport, village: str) -> str:
    """The child area of the report that holds `village` ("" when the children are villages)."""
    for child in report.children:
        if not is_village_code(child.code) and village.startswith(f"{child.code}."):
            return child.label
    return ""


def red_villages_in(report: AreaReport, instrument: Instrument, indicator: Indicator
                    ) -> RedVillages:
    """The villages of `report` where `indicator` is red (pure: reads the report's counts).

    One indicator of 2,000 villages is read from the counts the report already holds, without
    building any village's full result.
    """
    column = next(j for j, ind in enumerate(instrument.indicators) if ind.code == indicator.code)
    threshold = instrument.settings.red_threshold
    if is_village_code(report.code):
        lines: tuple[AreaLine, ...] = (AreaLine(report.code, report.name, report.level,
                                                report.submitted, report.drafts, report.result),)
    else:
        lines = report.villages
    red: list[RedVillage] = []
    not_red = too_thin = not_applicable = without_data = 0
    for line in lines:
        if line.submitted == 0:
            without_data += 1
            continue
        met, applicable, hidden = line.cell(column)
        if hidden:
            too_thin += 1
        elif applicable == 0:
            not_applicable += 1
        elif (value := 100.0 * met / applicable) < threshold:
            red.append(RedVillage(line.code, line.name, line.level, _parent_of(report, line.code),
                                  value, met, applicable))
        else:
            not_red += 1
    red.sort(key=lambda v: (v.value, v.code))
    return RedVillages(
        indicator=indicator, area_code=report.code, area_name=report.name,
        area_level=report.level, period=report.period, red_threshold=threshold,
        red=tuple(red), not_red=not_red, too_thin=too_thin, not_applicable=not_applicable,
        without_data=without_data, coverage=report.coverage,
        suppressed_view=report.suppressed_view, min_cell=report.min_cell,
    )


async def red_villages(
    ctx: ServiceContext, actor: int, text: str = "", *, code: str | None = None,
    indicator_code: str | None = None, period: int | None = None,
) -> RedAnswer:
    """`/merah <indikator> [wilayah] [tahun]` as typed (`text`), or a tapped area (`code` with
    `indicator_code`): the red villages of the indicator in the area (default: the person's
    own area), latest period unless a year is typed.

    The area and the year are read exactly as /ikk reads them (`official.ikk_report`: names
    only inside the scope, a year without data answered with the years that have data)."""
    typed, rest = (indicator_code or "", "") if code is not None else split_request(text)

    async def who(session: AsyncSession) -> ActingUser | None:
        return await load_acting_user(session, actor)

    user = await ctx.read(who)
    if user is None:
        return RedAnswer("unregistered", typed)
    if user.is_kader:
        return RedAnswer("forbidden", typed)
    if not typed:
        return RedAnswer("need_indicator", typed)
    indicator = find_indicator(ctx.instrument, typed)
    if indicator is None:
        return RedAnswer("unknown_indicator", typed)
    found = await official.ikk_report(
        ctx, actor, query=rest if code is None else None, code=code, period=period
    )
    if found.value is None or found.area is None:
        status: RedStatus = (
            found.status if found.status in _PASSED_ON else "not_found"  # type: ignore[assignment]
        )
        return RedAnswer(status, typed, found.query, found.area, None, found.options, indicator,
                         found.period, found)
    value = red_villages_in(found.value, ctx.instrument, indicator)
    return RedAnswer("ok", typed, found.query, found.area, value, (), indicator, found.period)
