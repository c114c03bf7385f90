"""The weekly alert digest: red, new, worse, recovered, minimum families, sectors, rendering."""

from __future__ import annotations

import re
from collections.abc import Mapping
from html import unescape

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ikk_core.aggregation import Counts, results_from_counts
from ikk_core.alert_digest import (
    MAX_MESSAGE_CHARS,
    Change,
    CollectionProgress,
    DigestHeader,
    build_digest,
    instrument_sectors,
    render_digest,
    sector_matches,
    sector_parts,
    snapshot_from_json,
    snapshot_to_json,
)
from ikk_core.coverage import Coverage
from ikk_core.instrument_io import load_default_instrument
from ikk_core.results import AreaResult

INSTRUMENT = load_default_instrument()
CODES = [i.code for i in INSTRUMENT.indicators]
SEPAPAH = "63.02.12.2001"
BETUNG = "63.02.12.2002"
HEADER = DigestHeader("2026-W49", "Kab. Kotabaru", 2025, 75.0, 10)


def village(code: str, name: str, values: Mapping[str, tuple[int, int]], families: int = 40
            ) -> AreaResult:
    """A village whose indicator `code` has `met` of `applicable` families; every other
    indicator is met by all 40 families (100 %)."""
    numerator = np.full((1, len(CODES)), families, dtype=np.int64)
    denominator = numerator.copy()
    for indicator, (met, applicable) in values.items():
        j = CODES.index(indicator)
        numerator[0, j], denominator[0, j] = met, applicable
    counts = Counts((code,), np.asarray([families], dtype=np.int64), numerator, denominator)
    return results_from_counts(INSTRUMENT, counts, {code: name}, {code: "desa"})[code]


def digest_of(villages: list[AreaResult], previous: dict[str, dict[str, float]] | None = None,
              sectors: tuple[str, ...] = (), min_families: int = 10):  # type: ignore[no-untyped-def]
    return build_digest(villages, previous, red_threshold=75.0, min_families=min_families,
                        sectors=sectors)


def plain(parts: list[str]) -> str:
    return unescape(re.sub(r"<[^>]+>", "", "\n".join(parts)))


# ------------------------------------------------------------------------------ red and rules


def test_red_indicators_are_those_below_the_threshold_lowest_first() -> None:
    sepapah = village(SEPAPAH, "Sepapah", {"KF1": (20, 40), "KE7": (29, 40), "LS2": (30, 40)})
    digest = digest_of([sepapah])
    (reds,) = digest.villages
    assert [(i.code, i.value) for i in reds.indicators] == [("KF1", 50.0), ("KE7", 72.5)]
    assert reds.label == "Desa Sepapah" and reds.bare_name == "Sepapah"
    assert all(i.change is Change.NEW for i in reds.indicators)
    assert digest.snapshot == {SEPAPAH: {"KF1": 50.0, "KE7": 72.5}}


def test_an_indicator_with_fewer_applicable_families_than_the_minimum_is_not_reported() -> None:
    small = village(SEPAPAH, "Sepapah", {"KF1": (2, 9), "KE7": (5, 10)})
    digest = digest_of([small])
    (reds,) = digest.villages
    assert [i.code for i in reds.indicators] == ["KE7"]  # 9 applicable: skipped; 10: counted
    assert digest_of([small], min_families=11).is_empty


def test_an_indicator_nobody_is_concerned_by_is_never_red() -> None:
    empty = village(SEPAPAH, "Sepapah", {"KF2": (0, 0)})
    assert digest_of([empty], min_families=0).is_empty


def test_villages_with_more_red_indicators_come_first() -> None:
    one = village(SEPAPAH, "Sepapah", {"KF1": (10, 40)})
    two = village(BETUNG, "Sungai Betung", {"KF1": (29, 40), "KE7": (29, 40)})
    assert [v.code for v in digest_of([one, two]).villages] == [BETUNG, SEPAPAH]


# ------------------------------------------------------------------------------ changes


def test_new_worse_and_recovered_are_computed_against_what_was_told_last_time() -> None:
    told = {SEPAPAH: {"KF1": 60.0, "KE7": 70.0, "LS2": 50.0}, BETUNG: {"KE1": 40.0}}
    now = [
        village(SEPAPAH, "Sepapah", {"KF1": (22, 40), "KE7": (29, 40), "KE4": (20, 40)}),
        village(BETUNG, "Sungai Betung", {"KE1": (16, 40)}),
    ]
    digest = digest_of(now, told)
    changes = {(v.code, i.code): (i.change, i.previous) for v in digest.villages
               for i in v.indicators}
    assert changes == {
        (SEPAPAH, "KF1"): (Change.WORSE, 60.0),   # 55 < 60
        (SEPAPAH, "KE7"): (Change.SAME, 70.0),    # 72,5 ≥ 70: still red, better
        (SEPAPAH, "KE4"): (Change.NEW, None),     # not told last time
        (BETUNG, "KE1"): (Change.SAME, 40.0),     # unchanged
    }
    assert [(r.village_code, r.code, r.previous, r.value) for r in digest.recovered] == [
        (SEPAPAH, "LS2", 50.0, 100.0)
    ]
    assert digest.count(Change.NEW) == 1 and digest.count(Change.WORSE) == 1


def test_a_change_the_official_could_not_see_at_two_decimals_is_not_worse() -> None:
    told = {SEPAPAH: {"KF1": 66.666}}
    now = village(SEPAPAH, "Sepapah", {"KF1": (2, 3)}, families=3)
    digest = digest_of([now], told, min_families=1)
    assert digest.villages[0].indicators[0].change is Change.SAME  # 66,67 % both times


def test_two_periods_of_alerts_chain_through_the_stored_snapshot() -> None:
    week1 = digest_of([village(SEPAPAH, "Sepapah", {"KF1": (24, 40), "KE7": (28, 40)})])
    stored = snapshot_from_json(snapshot_to_json(week1.snapshot))
    week2 = digest_of([village(SEPAPAH, "Sepapah", {"KF1": (20, 40), "KE7": (35, 40)})], stored)
    assert [(i.code, i.change) for i in week2.villages[0].indicators] == [("KF1", Change.WORSE)]
    assert [r.code for r in week2.recovered] == ["KE7"]
    week3 = digest_of(
        [village(SEPAPAH, "Sepapah", {"KF1": (20, 40), "KE7": (28, 40)})], week2.snapshot
    )
    # KE7 was reported recovered in week 2, so red again in week 3 is new again.
    assert {i.code: i.change for i in week3.villages[0].indicators} == {
        "KF1": Change.SAME, "KE7": Change.NEW,
    }


def test_an_indicator_without_enough_families_now_is_not_called_recovered() -> None:
    told = {SEPAPAH: {"KF1": 50.0}}
    now = village(SEPAPAH, "Sepapah", {"KF1": (9, 9)})
    assert digest_of([now], told).is_empty


def test_villages_outside_the_scope_now_are_ignored_in_the_previous_snapshot() -> None:
    told = {"63.01.01.2001": {"KF1": 50.0}}
    assert digest_of([village(SEPAPAH, "Sepapah", {})], told).is_empty


# ------------------------------------------------------------------------------ sectors


def test_sector_strings_split_at_slashes() -> None:
    assert sector_parts("Dinas Kesehatan / BPJS") == ("Dinas Kesehatan", "BPJS")
    assert sector_parts("  ") == ()


@pytest.mark.parametrize(
    ("sector", "followed", "expected"),
    [
        ("Dinas Kesehatan", ["dinas kesehatan"], True),
        ("Dinas Kesehatan / BPJS", ["BPJS"], True),
        ("Dinas Kesehatan / BPJS", ["Dinas Sosial"], False),
        ("DP3A (UPTD PPA)", ["DP3A"], True),
        ("DP3A (UPTD PPA)", ["DP3A (UPTD PPA)"], True),
        ("DP3A", ["DP3A (UPTD PPA)"], False),
        ("Kemenag (KUA) / Disdukcapil", ["kemenag"], True),
        ("Dinas Kesehatan", [], True),
        ("", ["Dinas Kesehatan"], False),
        ("Dinas Kesehatan", ["Dinas"], False),
    ],
)
def test_sector_matching_is_per_office_and_case_insensitive(
    sector: str, followed: list[str], expected: bool
) -> None:
    assert sector_matches(sector, followed) is expected


def test_an_official_following_a_sector_receives_only_its_indicators() -> None:
    now = village(SEPAPAH, "Sepapah", {"KF2": (20, 40), "KE7": (20, 40), "KE1": (20, 40)})
    health = digest_of([now], sectors=("Dinas Kesehatan",))
    assert [i.code for i in health.villages[0].indicators] == ["KE7", "KF2"]
    bpjs = digest_of([now], sectors=("bpjs",))
    assert [i.code for i in bpjs.villages[0].indicators] == ["KE7"]
    assert digest_of([now], sectors=("Kesbangpol",)).is_empty


def test_following_fewer_sectors_does_not_make_the_others_look_recovered() -> None:
    told = {SEPAPAH: {"KF2": 50.0, "KE1": 50.0}}
    now = village(SEPAPAH, "Sepapah", {"KF2": (20, 40), "KE1": (20, 40)})
    digest = digest_of([now], told, sectors=("Dinas Kesehatan",))
    assert digest.recovered == ()
    assert digest.snapshot == {SEPAPAH: {"KF2": 50.0}}


def test_the_instrument_sectors_are_each_office_once_in_alphabetical_order() -> None:
    sectors = instrument_sectors(INSTRUMENT)
    assert "Dinas Kesehatan" in sectors and "BPJS" in sectors and "DP3A (UPTD PPA)" in sectors
    assert not any("/" in s for s in sectors)
    assert list(sectors) == sorted(sectors, key=str.casefold)
    assert len({s.casefold() for s in sectors}) == len(sectors)


# ------------------------------------------------------------------------------ snapshots


def test_a_snapshot_survives_json_and_garbage_reads_as_nothing_told() -> None:
    snap = {SEPAPAH: {"KF1": 62.5, "KE7": 1 / 3}}
    assert snapshot_from_json(snapshot_to_json(snap)) == snap
    for garbage in (None, "", "not json", "[1, 2]", '{"a": 1}', '{"a": {"b": "x"}}',
                    '{"a": {"b": true}}'):
        assert snapshot_from_json(garbage) == {}


# ------------------------------------------------------------------------------ rendering

PROGRESS = CollectionProgress(2025, 1234, 56, 7, 10)


def test_the_message_shows_villages_values_sectors_changes_progress_and_the_ikk_hint() -> None:
    told = {SEPAPAH: {"KF1": 60.0, "LS2": 50.0}}
    now = [village(SEPAPAH, "Sepapah", {"KF1": (22, 40), "KE7": (29, 40)})]
    parts = render_digest(digest_of(now, told), HEADER, progress=PROGRESS)
    assert len(parts) == 1
    text = plain(parts)
    assert "Peringatan mingguan IKK — 2026-W49" in text
    assert "Kab. Kotabaru · data tahun 2025" in text
    assert "Indikator di bawah 75 %" in text and "minimal 10 keluarga" in text
    assert "Desa Sepapah (40 keluarga, 2 indikator merah)" in text
    assert "⬇️ KF1 Kecukupan pangan: 55,00 % (sebelumnya 60,00 %) — Dinas Ketahanan Pangan" in text
    assert "🆕 KE7 Jaminan kesehatan: 72,50 % — Dinas Kesehatan / BPJS" in text
    assert "Membaik" in text
    assert "Desa Sepapah: LS2 Legalitas kelahiran 100,00 % (sebelumnya 50,00 %)" in text
    assert "Ringkasan: 2 indikator merah di 1 desa/kelurahan (1 baru, 1 memburuk); 1 membaik." \
        in text
    assert ("Kemajuan pendataan 2025: 1.234 keluarga terkirim, 56 draf; "
            "7 dari 10 desa/kelurahan") in text
    assert "/ikk <nama desa>, mis. /ikk Sepapah" in text


def test_names_are_escaped_for_html() -> None:
    now = [village(SEPAPAH, "A & B <C>", {"KF1": (20, 40)})]
    parts = render_digest(digest_of(now), DigestHeader("2026-W49", "Kab. <X>", 2025, 75, 10))
    assert "A &amp; B &lt;C&gt;" in parts[0] and "Kab. &lt;X&gt;" in parts[0]
    assert "<C>" not in parts[0]


def test_nothing_to_report_sends_nothing_unless_the_official_wants_quiet_week_notes() -> None:
    calm = digest_of([village(SEPAPAH, "Sepapah", {})])
    assert render_digest(calm, HEADER) == []
    (note,) = render_digest(calm, HEADER, quiet_weeks=True, progress=PROGRESS)
    assert "Tidak ada indikator merah minggu ini." in note
    assert "Kemajuan pendataan 2025" in note


def test_the_followed_sectors_are_named_in_the_message() -> None:
    header = DigestHeader("2026-W49", "Kab. Kotabaru", 2025, 75, 10, ("Dinas Kesehatan",))
    now = [village(SEPAPAH, "Sepapah", {"KF2": (20, 40)})]
    assert "Sektor yang Anda ikuti: Dinas Kesehatan" in render_digest(
        digest_of(now, sectors=header.sectors), header)[0]


def _many_villages(n: int) -> list[AreaResult]:
    reds = {code: (10 + k % 20, 40) for k, code in enumerate(CODES)}
    return [village(f"63.02.12.{2001 + i}", f"Desa Nomor {i} dengan nama panjang", reds)
            for i in range(n)]


def test_a_long_digest_is_split_between_villages_under_4096_characters() -> None:
    digest = digest_of(_many_villages(4))
    parts = render_digest(digest, HEADER, progress=PROGRESS)
    assert len(parts) >= 2
    assert all(len(p) <= MAX_MESSAGE_CHARS for p in parts)
    assert parts[1].startswith("🔔 <b>Peringatan mingguan IKK — 2026-W49</b> (lanjutan)")
    assert "Kemajuan pendataan 2025" in parts[-1] and "Kemajuan pendataan" not in parts[0]
    # Every village heading is followed by its first indicator in the same part.
    for part in parts:
        lines = part.split("\n")
        for i, line in enumerate(lines):
            if "indikator merah)" in line and line.startswith("<b>Desa"):
                assert i + 1 < len(lines) and lines[i + 1].startswith("• ")
    headings = [line for p in parts for line in p.split("\n") if line.startswith("<b>Desa")]
    assert len(headings) == 4


def test_a_huge_digest_stops_after_the_maximum_parts_and_says_how_many_villages_are_left() -> None:
    digest = digest_of(_many_villages(40))
    parts = render_digest(digest, HEADER, progress=PROGRESS, max_parts=3)
    assert len(parts) == 3 and all(len(p) <= MAX_MESSAGE_CHARS for p in parts)
    shown = sum(p.count("<b>Desa") for p in parts)
    assert f"… dan {40 - shown} desa/kelurahan lain" in parts[-1]
    assert "Kemajuan pendataan 2025" in parts[-1]


@settings(max_examples=40, deadline=None)
@given(
    villages=st.integers(min_value=1, max_value=25),
    limit=st.integers(min_value=700, max_value=MAX_MESSAGE_CHARS),
)
def test_every_part_fits_the_limit_whatever_the_size(villages: int, limit: int) -> None:
    digest = digest_of(_many_villages(villages))
    parts = render_digest(digest, HEADER, progress=PROGRESS, limit=limit, max_parts=1000)
    assert parts and all(len(p) <= limit for p in parts)
    assert sum(p.count("<b>Desa") for p in parts) == villages


def test_a_hidden_indicator_is_never_alerted_even_when_its_counts_were_red() -> None:
    counts = Counts(
        (SEPAPAH,), np.asarray([40], dtype=np.int64),
        np.full((1, len(CODES)), 40, dtype=np.int64), np.full((1, len(CODES)), 40, dtype=np.int64),
    )
    j = CODES.index("KSP1")
    counts.numerator[0, j], counts.denominator[0, j] = 1, 20
    hidden = np.zeros((1, len(CODES)), dtype=bool)
    hidden[0, j] = True
    result = results_from_counts(INSTRUMENT, counts, {SEPAPAH: "Sepapah"}, {SEPAPAH: "desa"},
                                 hidden)[SEPAPAH]
    assert result.indicator("KSP1").suppressed and not result.indicator("KSP1").red
    assert digest_of([result], min_families=1).is_empty
    # The same counts shown to someone who may see them are red.
    shown = results_from_counts(INSTRUMENT, counts, {SEPAPAH: "Sepapah"}, {SEPAPAH: "desa"})
    assert digest_of([shown[SEPAPAH]], min_families=1).red_count == 1


def test_the_alert_says_what_its_figures_stand_on_right_after_the_area() -> None:
    header = DigestHeader("2026-W49", "Kab. Kotabaru", 2025, 75.0, 10,
                          coverage=Coverage(1, 200, 40, 480, 200))
    parts = render_digest(digest_of([village(SEPAPAH, "Sepapah", {"KE1": (10, 40)})]), header)
    lines = plain(parts).splitlines()
    assert lines[1] == "Kab. Kotabaru · data tahun 2025"
    assert lines[2] == "Data dari 1 dari 200 desa/kelurahan (40 keluarga) · 40 dari 480 KK (8 %)"
    quiet = plain(render_digest(digest_of([]), header, quiet_weeks=True)).splitlines()
    assert quiet[2].startswith("Data dari 1 dari 200 desa/kelurahan")
