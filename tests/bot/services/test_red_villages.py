"""/merah and the village ranking of /ikk from the stored village counts, on both databases.

The counts are written straight into `village_indicator_count` (what submitted families leave
behind), so each village's numbers are exactly what the test says. Kecamatan Sampanahan:

- Desa Sepapah: 20 families, every indicator met by 14 of 20 (70 %: all red); KSP1 6 of 10.
- Desa Sampanahan: 20 families, every indicator met by all; KSP1 3 of 12 (25 %: red).
- Desa Sungai Betung: 20 families, every indicator met by all (nothing red), or 4 families
  (under MIN_FAMILIES) in the tests about thin data.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import run_in_transaction
from bot.db.models import VillageIndicatorCount
from bot.repositories.targets import import_targets, read_target_rows
from bot.services.red_villages import red_villages
from bot.services.reports import area_report
from bot.telegram.red_texts import red_messages, refusal
from bot.telegram.report_text import MESSAGE_LIMIT, report_messages
from ikk_core.formatting import format_value
from tests.bot.services.conftest import (
    KECAMATAN,
    KOTABARU,
    PERIOD,
    SAMPANAHAN,
    SEPAPAH,
    World,
    with_disclosure,
)

BETUNG = "63.02.12.2002"


async def store_counts(world: World, village: str, families: int, met: int,
                       ksp1: tuple[int, int], period: int = PERIOD) -> None:
    """Every indicator met by `met` of `families`, except KSP1: (met, applicable)."""
    instrument = world.ctx.instrument
    rows = [
        {
            "village_code": village, "period": period, "indicator": ind.code,
            "instrument_id": instrument.id, "instrument_version": instrument.version,
            "families": families,
            "met": ksp1[0] if ind.code == "KSP1" else met,
            "applicable": ksp1[1] if ind.code == "KSP1" else families,
        }
        for ind in instrument.indicators
    ]

    async def work(session: AsyncSession) -> None:
        await session.execute(insert(VillageIndicatorCount), rows)

    await run_in_transaction(world.ctx.session_factory, work)


async def three_villages(world: World, *, betung_families: int = 20) -> World:
    world = with_disclosure(world)
    await store_counts(world, SEPAPAH, 20, 14, (6, 10))
    await store_counts(world, SAMPANAHAN, 20, 20, (3, 12))
    betung = betung_families
    await store_counts(world, BETUNG, betung, betung, (betung // 2, betung // 2))
    return world


def plain(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


async def test_merah_lists_the_villages_where_the_indicator_is_red_lowest_first(
    world: World,
) -> None:
    world = await three_villages(world)
    answer = await red_villages(world.ctx, world.pejabat_kotabaru, "ksp1 Sampanahan")
    # "Sampanahan" is a kecamatan and a desa: the person chooses.
    assert answer.status == "choose"
    assert {o.code for o in answer.options} >= {KECAMATAN, SAMPANAHAN}

    answer = await red_villages(world.ctx, world.pejabat_kotabaru, code=KECAMATAN,
                                indicator_code="ksp1")
    assert answer.status == "ok" and answer.value is not None
    found = answer.value
    assert [(v.code, round(v.value, 2), v.met, v.applicable) for v in found.red] == [
        (SAMPANAHAN, 25.0, 3, 12), (SEPAPAH, 60.0, 6, 10),
    ]
    assert (found.not_red, found.too_thin, found.without_data) == (1, 0, 0)
    [text] = red_messages(found)
    shown = plain(text)
    assert "1. Desa Sampanahan: 25,00 % · 3 dari 12 keluarga" in shown
    assert "2. Desa Sepapah: 60,00 % · 6 dari 10 keluarga" in shown
    assert "Data dari 3 dari 3 desa/kelurahan (60 keluarga)" in shown
    assert "1 desa lain tidak merah (75 % ke atas)." in shown


async def test_merah_of_a_kabupaten_names_the_kecamatan_of_each_village(world: World) -> None:
    world = await three_villages(world)
    answer = await red_villages(world.ctx, world.pejabat_kotabaru, "KSP1 Kotabaru")
    assert answer.status == "ok" and answer.value is not None
    assert answer.value.area_code == KOTABARU
    assert [v.parent for v in answer.value.red] == ["Kec. Sampanahan"] * 2
    # Without a name: the person's own area.
    own = await red_villages(world.ctx, world.pejabat_kotabaru, "KSP1")
    assert own.value is not None and own.value.area_code == KOTABARU


async def test_merah_never_lists_a_village_whose_cell_ikk_hides(world: World) -> None:
    world = await three_villages(world, betung_families=4)
    answer = await red_villages(world.ctx, world.pejabat_kotabaru, code=KECAMATAN,
                                indicator_code="KSP1")
    assert answer.value is not None
    found = answer.value
    assert BETUNG not in {v.code for v in found.red}
    assert found.too_thin >= 1
    assert len(found.red) + found.not_red + found.too_thin + found.not_applicable == 3
    # Exactly the cells /ikk shows: whatever /ikk hides (also against differencing) is left out.
    report = await area_report(world.ctx, world.pejabat_kotabaru, KECAMATAN)
    assert report is not None
    for line in report.villages:
        assert line.result is not None
        cell = line.result.indicator("KSP1")
        listed = line.code in {v.code for v in found.red}
        assert listed == (not cell.suppressed and cell.red)
    assert "desa tidak ditampilkan: data belum cukup" in plain(red_messages(found)[0])


async def test_merah_reads_an_earlier_period_when_a_year_follows_the_name(world: World) -> None:
    world = await three_villages(world)
    await store_counts(world, SEPAPAH, 20, 20, (2, 10), period=PERIOD - 1)
    answer = await red_villages(world.ctx, world.pejabat_kotabaru, f"KSP1 63.02.12 {PERIOD - 1}")
    assert answer.value is not None and answer.value.period == PERIOD - 1
    assert [(v.code, v.met, v.applicable) for v in answer.value.red] == [(SEPAPAH, 2, 10)]
    assert answer.value.without_data == 2
    latest = await red_villages(world.ctx, world.pejabat_kotabaru, "KSP1 63.02.12")
    assert latest.value is not None and latest.value.period == PERIOD


async def test_merah_answers_a_year_without_data_like_ikk_with_the_years_that_have_data(
    world: World,
) -> None:
    world = await three_villages(world)
    answer = await red_villages(world.ctx, world.pejabat_kotabaru, "KSP1 63.02.12 2019")
    assert answer.status == "bad_period" and answer.value is None
    text = refusal(answer, world.ctx.instrument).text
    assert "Belum ada keluarga terkirim di Kecamatan Sampanahan untuk tahun 2019." in text
    assert f"Contoh: /merah KSP1 63.02.12 {PERIOD}" in text


async def test_merah_refuses_an_unknown_code_with_the_valid_codes(world: World) -> None:
    answer = await red_villages(world.ctx, world.pejabat_kotabaru, "XYZ9 Sampanahan")
    assert answer.status == "unknown_indicator" and answer.typed_indicator == "XYZ9"
    empty = await red_villages(world.ctx, world.pejabat_kotabaru, "")
    assert empty.status == "need_indicator"


async def test_merah_of_an_area_outside_the_scope_is_not_found(world: World) -> None:
    world = await three_villages(world)
    outside = await red_villages(world.ctx, world.pejabat_tanah_laut, "KSP1 Sepapah")
    assert outside.status == "not_found" and outside.value is None
    forged = await red_villages(world.ctx, world.pejabat_tanah_laut, code=KECAMATAN,
                                indicator_code="KSP1")
    assert forged.status == "not_found" and forged.value is None


async def test_merah_is_refused_to_a_kader(world: World) -> None:
    world = await three_villages(world)
    answer = await red_villages(world.ctx, world.kader, "KSP1")
    assert answer.status == "forbidden" and answer.value is None


async def test_the_admin_sees_every_village_unsuppressed(world: World) -> None:
    world = await three_villages(world, betung_families=4)
    answer = await red_villages(world.ctx, world.admin, "KSP1 63.02.12")
    assert answer.value is not None
    # Betung's KSP1 is 2 of 2 (100 %): shown to the admin, not red.
    assert (len(answer.value.red), answer.value.not_red, answer.value.too_thin) == (2, 1, 0)


# ---------------------------------------------------------------- the ranking of /ikk


async def test_ikk_of_a_kecamatan_ranks_villages_with_red_count_and_coverage(
    world: World,
) -> None:
    world = await three_villages(world)

    async def targets(session: AsyncSession) -> None:
        rows, rejected = read_target_rows(f"kode,keluarga\n{SAMPANAHAN},80\n")
        await import_targets(session, rows, rejected)

    await run_in_transaction(world.ctx.session_factory, targets)
    report = await area_report(world.ctx, world.pejabat_kotabaru, KECAMATAN)
    assert report is not None
    text = plain("\n".join(report_messages(report, min_families=10)))
    n = len(world.ctx.instrument.indicators)
    ranking = text[text.index("Peringkat desa/kelurahan"):]
    lines = [row for row in ranking.splitlines() if re.match(r"^\d+\. ", row)]
    ikk = {line.code: format_value(line.ikk) for line in report.villages}
    assert lines == [
        f"1. Desa Sepapah: {ikk[SEPAPAH]} · 🔴 {n} merah · 20 keluarga",
        f"2. Desa Sampanahan: {ikk[SAMPANAHAN]} · 🔴 1 merah · 20 kel. dari 80 KK (25 %)",
        "3. Desa Sungai Betung: 100,00 · ✅ 0 merah · 20 keluarga",
    ]
    values = {line.code: line.ikk for line in report.villages}
    assert values[SEPAPAH] < values[SAMPANAHAN] < values[BETUNG]  # type: ignore[operator]
    # Headline, dimensions and red indicators stay before the ranking.
    assert text.index("Dimensi") < text.index("Indikator merah") < text.index("Peringkat")


async def test_a_village_under_the_minimum_comes_after_the_ranked_ones_without_an_ikk(
    world: World,
) -> None:
    world = await three_villages(world, betung_families=4)
    report = await area_report(world.ctx, world.pejabat_kotabaru, KECAMATAN)
    assert report is not None
    text = plain("\n".join(report_messages(report, min_families=10)))
    lines = [row for row in text[text.index("Peringkat"):].splitlines()
             if re.match(r"^\d+\. ", row)]
    # Sungai Betung's 4 families hide its IKK; Sepapah's is hidden too (the kecamatan minus
    # Sampanahan and Sepapah would give Betung's), so only Sampanahan is ranked.
    assert lines[0].startswith("1. Desa Sampanahan: ")
    assert lines[1:] == ["2. Desa Sepapah: 🔒 IKK disembunyikan · 20 keluarga",
                         "3. Desa Sungai Betung: data belum cukup · 4 keluarga"]


async def test_the_red_count_counts_only_the_indicators_the_pejabat_may_see(world: World) -> None:
    world = with_disclosure(world)
    await store_counts(world, SEPAPAH, 20, 14, (6, 10))
    await store_counts(world, SAMPANAHAN, 20, 20, (3, 12))
    await store_counts(world, BETUNG, 20, 20, (1, 3))  # KSP1 red, but over 3 couples only
    report = await area_report(world.ctx, world.pejabat_kotabaru, KECAMATAN)
    assert report is not None
    text = plain("\n".join(report_messages(report, min_families=10)))
    lines = [row for row in text[text.index("Peringkat"):].splitlines()
             if re.match(r"^\d+\. ", row)]
    betung = next(row for row in lines if "Sungai Betung" in row)
    assert "✅ 0 merah" in betung  # its KSP1 (1 of 3) is hidden, so not counted
    assert len(lines) == 3
    for line in report.villages:
        assert line.result is not None and line.ikk is not None
        visible_red = [i for i in line.result.indicators if i.red and not i.suppressed]
        shown = next(row for row in lines if f"Desa {line.name}:" in row)
        assert ("✅ 0 merah" if not visible_red else f"🔴 {len(visible_red)} merah") in shown
    # /merah leaves the same cells out.
    answer = await red_villages(world.ctx, world.pejabat_kotabaru, code=KECAMATAN,
                                indicator_code="KSP1")
    assert answer.value is not None and BETUNG not in {v.code for v in answer.value.red}
    assert answer.value.too_thin >= 1


@pytest.mark.parametrize("code", [KECAMATAN, KOTABARU])
async def test_the_report_with_the_ranking_stays_within_telegram_limits(
    world: World, code: str
) -> None:
    world = await three_villages(world)
    report = await area_report(world.ctx, world.pejabat_kotabaru, code)
    assert report is not None
    messages = report_messages(replace(report), min_families=10)
    assert all(len(m) <= MESSAGE_LIMIT for m in messages)
