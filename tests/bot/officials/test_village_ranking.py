"""The ranking of villages in /ikk and the /merah messages, as texts (pure, no database)."""

from __future__ import annotations

import re
from dataclasses import replace
from html import unescape

from bot.services.official import AreaOption
from bot.services.red_villages import (
    RedAnswer,
    RedVillages,
    find_indicator,
    red_villages_in,
    split_request,
)
from bot.services.reports import AreaLine, AreaReport
from bot.telegram.red_texts import (
    RED_SHOWN,
    decode_button,
    encode_button,
    indicator_help,
    red_messages,
    refusal,
)
from bot.telegram.report_text import MESSAGE_LIMIT, report_messages
from bot.telegram.village_ranking import RANKED_SHOWN, family_coverage, ranking_block
from ikk_core.aggregation import aggregate
from ikk_core.areas import AreaLevel
from tests.bot.reporting.reporting_samples import instrument, random_scores, worked_example

LONG = "Sungai Pinang Baru Hulu Seberang Kanan"  # longer than any Kemendagri village name


def plain(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def kabupaten(n_villages: int, families: int = 15, *, empty: int = 0) -> AreaReport:
    """A kabupaten of `n_villages` villages with data (a few distinct results) and `empty`
    villages without any family, in 20 kecamatan."""
    ins = instrument()
    results = [aggregate(ins, random_scores(families, seed), "x", "x", "desa") for seed in range(7)]
    villages = [
        AreaLine(f"63.02.{1 + i % 20:02d}.{2001 + i}", f"{LONG} {i}", AreaLevel.DESA, families, 0,
                 results[i % len(results)])
        for i in range(n_villages)
    ]
    villages += [
        AreaLine(f"63.02.01.{2600 + i}", f"{LONG} kosong {i}", AreaLevel.DESA, 0, 0, None)
        for i in range(empty)
    ]
    kecamatan = [
        AreaLine(f"63.02.{k:02d}", f"Kecamatan {k}", AreaLevel.KECAMATAN, 150, 0, results[k % 7])
        for k in range(1, 21)
    ]
    base = worked_example()
    return AreaReport(
        code="63.02", name="Kotabaru", level=AreaLevel.KABUPATEN, period=2025, result=base,
        submitted=n_villages * families, drafts=0, previous=None, children=tuple(kecamatan),
        villages=tuple(villages), periods=(2025,), outdated=0, instrument_id=ins.id,
        instrument_version=ins.version, suppressed_view=True, min_cell=5, min_families=10,
    )


def test_a_kabupaten_of_250_villages_keeps_its_report_in_one_message() -> None:
    report = kabupaten(230, empty=25)
    messages = report_messages(report, min_families=10)
    assert all(len(m) <= MESSAGE_LIMIT for m in messages)
    assert len(messages) == 1
    shown = plain(messages[0])
    assert "Peringkat desa/kelurahan (230 dengan data)" in shown
    numbered = re.findall(r"^(\d+)\. ", shown[shown.index("Peringkat"):], re.MULTILINE)
    assert numbered == [str(n) for n in range(1, RANKED_SHOWN + 1)]
    assert "… dan 220 desa lain. Daftar lengkap ada di berkas Excel: /ekspor Kotabaru" in shown
    assert "dan 20 lainnya" in shown  # the 25 villages without a family: 5 named, then counted


def test_the_ranking_goes_from_the_lowest_ikk_up_and_ties_by_code() -> None:
    report = kabupaten(30)
    block = ranking_block(report, min_families=10)
    assert block is not None
    values = [float(v.replace(",", ".")) for v in re.findall(r": <b>([\d,]+)</b>", block)]
    assert values == sorted(values) and len(values) == RANKED_SHOWN
    lowest = min(report.villages, key=lambda v: (v.ikk or 0.0, v.code))
    assert f"1. Desa {lowest.name}:" in plain(block)


def test_each_line_has_the_red_count_and_the_coverage_against_the_target() -> None:
    report = kabupaten(3)
    first = min(report.villages, key=lambda v: (v.ikk or 0.0, v.code))
    with_target = replace(report, expected={first.code: 60})
    block = plain(ranking_block(with_target, min_families=10) or "")
    assert first.result is not None
    reds = len(first.result.red)
    assert f"🔴 {reds} merah · 15 kel. dari 60 KK (25 %)" in block.splitlines()[1]
    assert family_coverage(34, None) == "34 keluarga"
    assert family_coverage(34, 120) == "34 kel. dari 120 KK (28 %)"


def test_a_village_has_no_ranking_of_villages() -> None:
    village = replace(kabupaten(0), code="63.02.12.2005", level=AreaLevel.DESA, villages=())
    assert ranking_block(village, min_families=10) is None


# ----------------------------------------------------------------------------- /merah texts


def test_merah_splits_the_request_into_code_and_area() -> None:
    assert split_request(" ksp1  Hulu Sungai Utara ") == ("ksp1", "Hulu Sungai Utara")
    assert split_request("KSP1") == ("KSP1", "")
    assert split_request("") == ("", "")
    ins = instrument()
    assert find_indicator(ins, "ksp1") is not None
    assert find_indicator(ins, "ksp-1") is not None
    assert find_indicator(ins, "KSP99") is None


def test_merah_of_2000_villages_is_capped_and_stays_within_telegram_limits() -> None:
    ins = instrument()
    ksp1 = find_indicator(ins, "KSP1")
    assert ksp1 is not None
    report = kabupaten(2000, families=20)
    found = red_villages_in(report, ins, ksp1)
    assert found.villages == 2000
    messages = red_messages(found)
    assert all(len(m) <= MESSAGE_LIMIT for m in messages)
    shown = plain("\n".join(messages))
    assert len(found.red) > RED_SHOWN
    assert f"… dan {len(found.red) - RED_SHOWN:,} desa lain".replace(",", ".") in shown
    values = [v.value for v in found.red]
    assert values == sorted(values)
    assert all(v.parent.startswith("Kec. Kecamatan ") for v in found.red)


def test_an_unknown_code_is_answered_with_the_valid_codes_and_an_example() -> None:
    ins = instrument()
    text = unescape(plain(indicator_help(ins, "XYZ<9>")))
    assert "Kode indikator “XYZ<9>” tidak dikenal." in text
    assert "KSP1" in text and "LS1" in text and "Contoh: /merah KSP1" in text
    assert "&lt;" in indicator_help(ins, "XYZ<9>")
    shown = refusal(RedAnswer("unknown_indicator", "XYZ"), ins)
    assert "tidak dikenal" in shown.text and shown.markup is None


def test_an_ambiguous_area_offers_buttons_that_carry_indicator_and_area() -> None:
    ins = instrument()
    ksp1 = find_indicator(ins, "KSP1")
    options = (AreaOption("63.02.12", "Sampanahan", AreaLevel.KECAMATAN, "Kab. Kotabaru"),
               AreaOption("63.02.12.2005", "Sampanahan", AreaLevel.DESA, "Kec. Sampanahan"))
    shown = refusal(RedAnswer("choose", "KSP1", "Sampanahan", None, None, options, ksp1, 2024),
                    ins)
    assert shown.markup is not None
    data = [row[0].callback_data for row in shown.markup.inline_keyboard]
    assert data == ["mr1:KSP1:63.02.12:2024", "mr1:KSP1:63.02.12.2005:2024"]
    assert all(isinstance(d, str) and len(d.encode()) <= 64 for d in data)
    assert decode_button(encode_button("KSP1", "63.02.12")) == ("KSP1", "63.02.12", None)
    assert decode_button("mr1:KSP1:63.02.12:2024") == ("KSP1", "63.02.12", 2024)
    assert decode_button("o1rc:63.02") is None and decode_button(None) is None
    assert decode_button("mr1:KSP1:63.02:20x4") is None


def test_an_area_outside_the_scope_reads_like_a_name_that_does_not_exist() -> None:
    ins = instrument()
    text = refusal(RedAnswer("not_found", "KSP1", "Tanah Laut"), ins).text
    assert text.startswith("Wilayah “Tanah Laut” tidak ditemukan di wilayah Anda.")
    assert "pejabat dan admin" in refusal(RedAnswer("forbidden"), ins).text


def test_merah_without_a_red_village_says_so_and_counts_the_others() -> None:
    ins = instrument()
    ksp1 = find_indicator(ins, "KSP1")
    assert ksp1 is not None
    found = RedVillages(ksp1, "63.02.12", "Sampanahan", AreaLevel.KECAMATAN, 2025, 75.0, (),
                        not_red=4, too_thin=2, not_applicable=1, without_data=3,
                        coverage=None, suppressed_view=True, min_cell=5)
    [text] = red_messages(found)
    shown = plain(text)
    assert "✅ Tidak ada desa dengan KSP1 merah (di bawah 75 %)" in shown
    assert "4 desa tidak merah (75 % ke atas)." in shown
    assert "🔒 2 desa tidak ditampilkan: data belum cukup (kurang dari 5 keluarga" in shown
    assert "1 desa tanpa keluarga yang berlaku" in shown
    assert "3 desa belum ada keluarga terkirim." in shown
    assert found.villages == 10
