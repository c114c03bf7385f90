"""Pure rules on Kemendagri area codes and names."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ikk_core.areas import (
    AreaCodeError,
    AreaLevel,
    ancestors,
    code_depth,
    display_name,
    is_valid_code,
    is_village_code,
    is_within,
    level_from_code,
    normalize_name,
    parent_code,
    short_label,
    split_level_prefix,
    strip_level_word,
    validate_code,
)


@pytest.mark.parametrize(
    ("code", "name", "level"),
    [
        ("63", "Kalimantan Selatan", AreaLevel.PROVINSI),
        ("63.02", "Kabupaten Kotabaru", AreaLevel.KABUPATEN),
        ("63.71", "Kota Banjarmasin", AreaLevel.KOTA),
        ("63.02.12", "Sampanahan", AreaLevel.KECAMATAN),
        ("63.02.12.2005", "Sampanahan", AreaLevel.DESA),
        ("63.71.01.1001", "Kelayan Barat", AreaLevel.KELURAHAN),
    ],
)
def test_level_follows_from_the_code_and_for_kota_from_the_name(
    code: str, name: str, level: AreaLevel
) -> None:
    assert level_from_code(code, name) is level


def test_a_kabupaten_level_code_without_a_level_word_uses_the_kota_numbering() -> None:
    assert level_from_code("63.72", "Banjarbaru") is AreaLevel.KOTA
    assert level_from_code("63.03", "Banjar") is AreaLevel.KABUPATEN


def test_the_name_wins_over_the_numbering_for_kabupaten_and_kota() -> None:
    assert level_from_code("63.75", "Kabupaten Contoh") is AreaLevel.KABUPATEN
    assert level_from_code("63.05", "Kota Contoh") is AreaLevel.KOTA


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("", "kosong"),
        ("6", "bagian ke-1 harus 2 angka"),
        ("63.2", "bagian ke-2 harus 2 angka"),
        ("63.02.12.205", "bagian ke-4 harus 4 angka"),
        ("63.02.12.3005", "diawali 2"),
        ("63.02.12.2005.1", "lebih dari 4 bagian"),
        ("63.00", "bernilai 0"),
        ("63.0a", "harus 2 angka"),
        ("6３", "harus 2 angka"),  # a full-width digit is not an ASCII digit
    ],
)
def test_validation_explains_why_a_code_is_bad(code: str, reason: str) -> None:
    with pytest.raises(AreaCodeError, match=reason):
        validate_code(code)
    assert not is_valid_code(code.strip())


def test_validation_strips_surrounding_blanks() -> None:
    assert validate_code("  63.02.12 ") == "63.02.12"


def test_parent_ancestors_and_depth_walk_up_the_tree() -> None:
    assert parent_code("63.02.12.2005") == "63.02.12"
    assert parent_code("63") is None
    assert ancestors("63.02.12.2005") == ["63.02.12", "63.02", "63"]
    assert ancestors("63") == []
    assert [code_depth(c) for c in ("63", "63.02", "63.02.12", "63.02.12.2005")] == [1, 2, 3, 4]
    assert is_village_code("63.02.12.2005") and not is_village_code("63.02.12")


def test_is_within_means_same_node_or_its_subtree_never_a_prefix_lookalike() -> None:
    assert is_within("63.02.12.2005", "63.02")
    assert is_within("63.02", "63.02")
    assert not is_within("63.02", "63.02.12")
    assert not is_within("63.021", "63.02")  # not a real code, but a string prefix all the same


def test_names_are_normalised_for_case_spaces_punctuation_and_accents() -> None:
    assert normalize_name("  KEC.  Sampanahan ") == "kec sampanahan"
    assert normalize_name("Désa  Sungai-Betung") == "desa sungai betung"
    assert normalize_name("") == ""


@pytest.mark.parametrize(
    ("query", "levels", "rest"),
    [
        ("desa sampanahan", {AreaLevel.DESA}, "sampanahan"),
        ("kel kelayan barat", {AreaLevel.KELURAHAN}, "kelayan barat"),
        ("kecamatan sampanahan", {AreaLevel.KECAMATAN}, "sampanahan"),
        ("kab kotabaru", {AreaLevel.KABUPATEN}, "kotabaru"),
        ("kota banjarmasin", {AreaLevel.KOTA}, "banjarmasin"),
        ("provinsi kalimantan selatan", {AreaLevel.PROVINSI}, "kalimantan selatan"),
        ("sampanahan", set(), "sampanahan"),
        ("desa", set(), "desa"),  # a level word alone is a name, not a prefix
    ],
)
def test_a_leading_level_word_is_split_from_the_query(
    query: str, levels: set[AreaLevel], rest: str
) -> None:
    assert split_level_prefix(query) == (frozenset(levels), rest)


def test_only_kabupaten_kota_and_province_names_lose_their_level_word() -> None:
    assert strip_level_word(AreaLevel.KABUPATEN, "Kabupaten Kotabaru") == "kotabaru"
    assert strip_level_word(AreaLevel.KOTA, "Kota Banjarmasin") == "banjarmasin"
    assert strip_level_word(AreaLevel.DESA, "Kota Raja") == "kota raja"


def test_labels_carry_the_level_word_once() -> None:
    assert short_label(AreaLevel.KABUPATEN, "Kabupaten Kotabaru") == "Kab. Kotabaru"
    assert short_label(AreaLevel.KOTA, "Kota Banjarmasin") == "Kota Banjarmasin"
    assert short_label(AreaLevel.KECAMATAN, "Sampanahan") == "Kec. Sampanahan"
    assert short_label(AreaLevel.DESA, "Sampanahan") == "Desa Sampanahan"
    assert short_label(AreaLevel.KELURAHAN, "Kelayan Barat") == "Kel. Kelayan Barat"
    assert display_name(AreaLevel.KABUPATEN, "Kabupaten Kotabaru") == "Kabupaten Kotabaru"
    assert display_name(AreaLevel.KECAMATAN, "Sampanahan") == "Kecamatan Sampanahan"


segment2 = st.integers(1, 99).map(lambda n: f"{n:02d}")
village = st.tuples(st.sampled_from("12"), st.integers(1, 999)).map(lambda t: f"{t[0]}{t[1]:03d}")
codes = st.lists(segment2, min_size=1, max_size=3).flatmap(
    lambda head: st.one_of(st.just(head), village.map(lambda v: [*head, v]))
    if len(head) == 3
    else st.just(head)
).map(".".join)


@given(codes)
def test_every_generated_code_is_valid_and_lies_within_each_of_its_ancestors(code: str) -> None:
    assert validate_code(code) == code
    assert all(is_within(code, ancestor) for ancestor in ancestors(code))
    assert len(ancestors(code)) == code_depth(code) - 1
