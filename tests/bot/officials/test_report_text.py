"""The /ikk report message: what it says, in which order, escaped, capped and split (pure)."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from bot.services.reports import AreaLine, AreaReport, PeriodResult
from bot.telegram.report_text import (
    CAPTION_LIMIT,
    LIST_CAP,
    MESSAGE_LIMIT,
    change_text,
    chart_caption,
    not_enough,
    report_messages,
    split_blocks,
)
from bot.telegram.village_ranking import RANKED_SHOWN
from ikk_core.aggregation import aggregate
from ikk_core.areas import AreaLevel
from ikk_core.coverage import Coverage
from ikk_core.period_change import compare_periods
from ikk_core.results import AreaResult
from tests.bot.reporting.reporting_samples import (
    FAMILY_A,
    FAMILY_B,
    FAMILY_C,
    instrument,
    random_scores,
    score_table,
    worked_example,
)

VILLAGE = "63.02.12.2005"


def village_report(result: AreaResult | None = None, **changes: object) -> AreaReport:
    result = result or worked_example()
    ins = instrument()
    report = AreaReport(
        code=VILLAGE, name="Sampanahan", level=AreaLevel.DESA, period=2025, result=result,
        submitted=result.families, drafts=0, previous=None, children=(), villages=(),
        periods=(2025,), outdated=0, instrument_id=ins.id, instrument_version=ins.version,
    )
    return replace(report, **changes)  # type: ignore[arg-type]


def line(code: str, name: str, families: int, seed: int) -> AreaLine:
    result = aggregate(instrument(), random_scores(families, seed), code, name, "desa")
    return AreaLine(code, name, AreaLevel.DESA, families, 0, result if families else None)


def kecamatan_report(villages: list[AreaLine]) -> AreaReport:
    base = village_report()
    return replace(base, code="63.02.12", name="Sampanahan", level=AreaLevel.KECAMATAN,
                   children=tuple(villages), villages=tuple(villages))


def plain(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def test_the_worked_example_report_reads_in_the_order_a_meeting_asks() -> None:
    [text] = report_messages(village_report(), parents="Kec. Sampanahan, Kab. Kotabaru",
                             min_families=3)
    shown = plain(text)
    order = ["IKK Desa Sampanahan", "Kec. Sampanahan, Kab. Kotabaru · kode 63.02.12.2005",
             "Periode 2025 · 3 keluarga terkirim", "IKK 87,50 · Kategori 3", "Dimensi",
             "Indikator merah (8)", "Tanpa nilai", "Instrumen"]
    positions = [shown.index(part) for part in order]
    assert positions == sorted(positions)
    for dim in ("LS · Legalitas dan Struktur: 83,33", "KF · Ketahanan Fisik: 91,67",
                "KE · Ketahanan Ekonomi: 70,83", "KSP · Ketahanan Sosial Psikologi: 91,67",
                "KSB · Ketahanan Sosial Budaya: 100,00"):
        assert dim in shown
    assert "data belum cukup" not in shown  # 3 families, minimum 3


def test_red_indicators_are_listed_lowest_first_with_counts_and_sector() -> None:
    [text] = report_messages(village_report())
    shown = plain(text)
    red = shown[shown.index("Indikator merah"):shown.index("Tanpa nilai")]
    codes = re.findall(r"• (\w+) ", red)
    # KE2 33,33 (1 of 3) first; then the 50,00 ones; then the 66,67 ones.
    assert codes[0] == "KE2" and set(codes[1:5]) == {"LS2", "KE5", "KE8", "KSP2"}
    assert set(codes[5:]) == {"KF1", "KE1", "KE6"}
    assert "33,33 (1/3) · Dinas Sosial / Bappeda" in red
    assert "– KF5 ASI eksklusif" in shown and "– KF6" in shown


def test_the_last_line_names_the_instrument_version_and_the_provisional_method() -> None:
    [text] = report_messages(village_report(), provisional=True)
    ins = instrument()
    assert plain(text).splitlines()[-1] == (
        f"Instrumen {ins.id} versi {ins.version} · metode sementara"
    )
    [final] = report_messages(village_report(), provisional=False)
    assert "sementara" not in plain(final).splitlines()[-1]


def test_too_few_families_are_marked_not_hidden() -> None:
    [text] = report_messages(village_report(), min_families=10)
    assert "Data belum cukup: 3 keluarga, minimal 10" in plain(text)
    assert "IKK 87,50" in plain(text)
    assert not_enough(6, 10) == "data belum cukup: 6 keluarga, minimal 10"
    assert not_enough(10, 10) is None


@pytest.mark.parametrize(
    ("change", "shown"),
    [(2.304, "▲ 2,30"), (-1.046, "▼ 1,05"), (0.001, "= 0,00"), (None, None)],
)
def test_change_since_the_previous_period_has_an_arrow_and_two_decimals(
    change: float | None, shown: str | None
) -> None:
    assert change_text(change) == shown


def with_previous(before: AreaResult, families: int) -> AreaReport:
    """The worked example in 2025 against `before` in 2024, compared as the service does."""
    now = worked_example()
    return village_report(
        previous=PeriodResult(2024, before, families), periods=(2025, 2024),
        comparison=compare_periods(now, before, period=2025, previous=2024),
    )


def test_the_report_compares_with_the_previous_period_when_there_is_one() -> None:
    worse_c = {**FAMILY_C, "KSB1": 0}  # the same indicators have a value: like-for-like
    before = aggregate(instrument(), score_table([FAMILY_A, FAMILY_B, worse_c]), VILLAGE, "S",
                       "desa")
    report = with_previous(before, 3)
    [text] = report_messages(report)
    shown = plain(text)
    assert report.change is not None and report.change > 0
    assert f"{change_text(report.change)} dibanding 2024" in shown
    assert "Perubahan sejak 2024" in shown
    assert "2025: 3 keluarga · 2024: 3 keluarga" in shown
    assert "KSB · Ketahanan Sosial Budaya: ▲" in shown
    assert "LS · Legalitas dan Struktur: tetap (83,33 → 83,33)" in shown
    assert "Periode lain: 2024" in shown


def test_a_previous_period_on_other_indicators_is_not_comparable_and_has_no_arrow() -> None:
    # (An earlier version of this test compared with a one-family period measured on two
    # indicators and expected an arrow; that comparison is not like-for-like.)
    before = aggregate(instrument(), score_table([{"LS1": 1, "KF1": 0}]), VILLAGE, "S", "desa")
    [text] = report_messages(with_previous(before, 1))
    shown = plain(text)
    assert "dibanding 2024" not in shown and "▲" not in shown and "▼" not in shown
    assert "IKK: tidak sebanding" in shown
    assert "Tidak sebanding: angka dua periode" in shown


def test_an_area_without_submitted_families_says_so_clearly() -> None:
    empty = aggregate(instrument(), score_table([]), VILLAGE, "Sampanahan", "desa")
    [text] = report_messages(village_report(empty, drafts=2))
    shown = plain(text)
    assert "Belum ada keluarga yang dikirim untuk periode 2025" in shown
    assert "2 keluarga masih dalam draf" in shown
    assert "Indikator merah" not in shown and "IKK –" not in shown


def test_villages_below_a_kecamatan_are_ranked_lowest_first_and_capped() -> None:
    villages = [line(f"63.02.12.{2001 + i}", f"Desa{i}", 12, seed=i) for i in range(LIST_CAP + 5)]
    # Issue 13: the villages are one ranking (with red count and coverage) capped at 10.
    villages += [line("63.02.12.2099", "Kosong", 0, seed=0)]
    [text] = report_messages(kecamatan_report(villages))
    shown = plain(text)
    listed = re.findall(r"^\d+\. Desa (Desa\d+): ([\d,]+)", shown, re.MULTILINE)
    assert len(listed) == RANKED_SHOWN
    values = [float(v.replace(",", ".")) for _, v in listed]
    assert values == sorted(values)
    lowest = min(villages[:-1], key=lambda v: v.result.ikk)  # type: ignore[union-attr]
    assert listed[0][0] == lowest.name
    assert "… dan 10 desa lain. Daftar lengkap ada di berkas Excel: /ekspor Sampanahan" in shown
    assert "Belum ada keluarga terkirim: Desa Kosong" in shown


def test_a_village_below_the_minimum_is_marked_in_the_list() -> None:
    villages = [line("63.02.12.2001", "Sepapah", 6, seed=1),
                line("63.02.12.2002", "Betung", 12, seed=2)]
    [text] = report_messages(kecamatan_report(villages), min_families=10)
    assert "Desa Sepapah" in text
    sepapah = next(row for row in plain(text).splitlines() if "Desa Sepapah" in row)
    assert sepapah.endswith("6 keluarga · ⚠️ data belum cukup")


def test_names_from_the_database_are_escaped() -> None:
    report = village_report(name="A & B <C>")
    villages = [line("63.02.12.2001", "<script>", 12, seed=1)]
    [text] = report_messages(replace(kecamatan_report(villages), name="A & B <C>"),
                             parents="Kab. <X>")
    assert "A &amp; B &lt;C&gt;" in text and "&lt;script&gt;" in text
    assert "Kab. &lt;X&gt;" in text
    assert "<C>" not in text and "<script>" not in text
    assert "A &amp; B &lt;C&gt;" in report_messages(report)[0]


def test_a_province_with_thousands_of_villages_stays_within_one_message() -> None:
    results = [aggregate(instrument(), random_scores(15, seed), "x", "x", "desa")
               for seed in range(7)]  # a few distinct results, shared (aggregating is the cost)
    villages = [
        AreaLine(f"63.{k:02d}.01.{2001 + i}", f"Desa {k}-{i}", AreaLevel.DESA, 15, 0,
                 results[(k + i) % len(results)])
        for k in range(1, 14) for i in range(40)
    ]
    kabupaten = [
        AreaLine(f"63.{k:02d}", f"Kabupaten {k}", AreaLevel.KABUPATEN, 600, 0,
                 results[k % len(results)])
        for k in range(1, 14)
    ]
    report = replace(village_report(), code="63", name="Kalimantan Selatan",
                     level=AreaLevel.PROVINSI, children=tuple(kabupaten),
                     villages=tuple(villages))
    messages = report_messages(report)
    assert len(messages) == 1 and len(messages[0]) <= MESSAGE_LIMIT
    shown = plain(messages[0])
    assert "Kabupaten/kota (13)" in shown
    assert "Peringkat desa/kelurahan (520 dengan data)" in shown
    assert "… dan 510 desa lain" in shown


def test_long_reports_are_split_between_blocks_and_lines_never_inside_a_tag() -> None:
    blocks = ["<b>head</b>", "\n".join(f"<i>line {i}</i> " + "x" * 80 for i in range(120))]
    messages = split_blocks(blocks, limit=4096)
    assert len(messages) >= 3 and all(len(m) <= 4096 for m in messages)
    for message in messages:
        assert message.count("<i>") == message.count("</i>")
    assert "\n".join(messages).replace("\n\n", "\n").count("line ") == 120
    assert split_blocks(["a", "b"]) == ["a\n\nb"]


def test_the_chart_caption_names_area_period_and_ikk_within_the_caption_limit() -> None:
    caption = chart_caption(village_report(), min_families=10)
    assert len(caption) <= CAPTION_LIMIT
    assert "IKK Desa Sampanahan" in caption and "periode 2025" in caption
    assert "IKK 87,50 · Kategori 3 · 3 keluarga" in caption
    assert "data belum cukup: 3 keluarga, minimal 10" in caption


# ------------------------------------------------------- disclosure and coverage (issue 10)


def hidden(result: AreaResult, *codes: str) -> AreaResult:
    """The result as the service gives it to a pejabat with `codes` suppressed."""
    return replace(result, indicators=tuple(
        replace(i, numerator=0, denominator=0, value=None, red=False, suppressed=True)
        if i.code in codes else i
        for i in result.indicators
    ))


def pejabat_view(result: AreaResult | None = None, **changes: object) -> AreaReport:
    return village_report(result, suppressed_view=True, min_cell=5, min_families=1,
                          coverage=Coverage(1, 1, 3, is_village=True), **changes)


def test_coverage_is_the_first_line_after_the_area_name() -> None:
    report = village_report(coverage=Coverage(1, 200, 120, 480, 200), suppressed_view=True)
    lines = plain(report_messages(report)[0]).splitlines()
    assert lines[0] == "📊 IKK Desa Sampanahan"
    assert lines[1] == "Data dari 1 dari 200 desa/kelurahan (120 keluarga) · 120 dari 480 KK (25 %)"
    assert lines[1] in plain(chart_caption(report)).splitlines()[1]


def test_hidden_indicators_are_counted_and_never_listed_red_or_without_value() -> None:
    report = pejabat_view(hidden(worked_example(), "KSP2", "KF5"))
    text = plain(report_messages(report)[0])
    assert "🔒 2 indikator disembunyikan: data belum cukup (kurang dari 5 keluarga" in text
    assert "KSP2" not in text  # it was red: not even "red" is said about it
    assert "KF6" in text and "KF5" not in text  # KF6 has no value, KF5 is hidden
    assert "Tampilan admin" not in text
    assert "2 indikator disembunyikan" in plain(chart_caption(report))


def test_an_area_under_min_families_shows_no_figure_for_a_pejabat() -> None:
    report = village_report(suppressed_view=True, min_cell=5, min_families=10)
    text = plain(report_messages(report, min_families=10)[0])
    assert ("⚠️ Data belum cukup: 3 keluarga, minimal 10. IKK, dimensi, dan nilai indikator "
            "belum ditampilkan.") in text
    assert "IKK 87,50" not in text and "Dimensi" not in text and "merah" not in text


def test_villages_with_too_few_families_are_named_with_their_count_not_as_empty() -> None:
    shown = line("63.02.12.2001", "Sepapah", 6, seed=1).result
    assert shown is not None
    all_hidden = replace(hidden(shown, *(i.code for i in shown.indicators)), ikk=None)
    few = AreaLine("63.02.12.2001", "Sepapah", AreaLevel.DESA, 6, 0, all_hidden)
    villages = [few, line("63.02.12.2002", "Betung", 12, seed=2),
                line("63.02.12.2003", "Kosong", 0, seed=3)]
    report = replace(kecamatan_report(villages), suppressed_view=True, min_families=10)
    text = plain(report_messages(report, min_families=10)[0])
    assert "1. Desa Betung: " in text  # the ranked village first, then the one without an IKK
    assert "2. Desa Sepapah: data belum cukup · 6 keluarga" in text
    assert "Belum ada keluarga terkirim: Desa Kosong" in text


def test_the_admin_is_told_her_view_is_not_suppressed() -> None:
    text = plain(report_messages(village_report(suppressed_view=False))[0])
    assert "Tampilan admin: angka tidak disembunyikan" in text


def test_the_category_says_its_place_on_the_scale() -> None:
    bands = instrument().settings.ikk_bands
    text = plain(report_messages(village_report(categories=bands))[0])
    assert "IKK 87,50 · Kategori 3 dari 3 (tertinggi) — Kualitas keluarga" in text
    low = replace(worked_example(), category=bands[0])
    assert "Kategori 1 dari 3 (terendah)" in plain(
        report_messages(village_report(low, categories=bands))[0])
    assert "Kategori 2 dari 3 —" in plain(
        report_messages(village_report(replace(low, category=bands[1]), categories=bands))[0])
