"""Scoped area reads and name search over the full Kalimantan Selatan list."""

from __future__ import annotations

import statistics
import time

import pytest

from bot.db.engine import SessionFactory
from bot.repositories.areas import (
    AreaImportReport,
    count_areas_by_level,
    get_area,
    import_areas,
    list_children,
    list_villages,
    parent_labels,
    read_area_rows,
    search_areas,
)
from bot.repositories.scope import Scope
from ikk_core.areas import VILLAGE_LEVELS, AreaLevel

EVERYTHING = Scope.everything()
KOTABARU = Scope.subtree("63.02")
SAMPANAHAN_KADER = Scope.of_villages(["63.02.12.2005"])


@pytest.fixture
def database_seed() -> str:
    """Every test here starts from a database holding all 2,186 Kalimantan Selatan areas."""
    return "kalsel"


@pytest.fixture
def kalsel(session_factory: SessionFactory) -> SessionFactory:
    return session_factory


async def _import_text(session_factory: SessionFactory, text: str) -> AreaImportReport:
    rows, rejected = read_area_rows(text)
    async with session_factory() as session, session.begin():
        return await import_areas(session, rows, rejected)


# --------------------------------------------------------------------------------- scoped reads


async def test_get_area_returns_none_outside_the_scope(kalsel: SessionFactory) -> None:
    async with kalsel() as session:
        inside = await get_area(session, "63.02.12.2005", KOTABARU)
        outside = await get_area(session, "63.03.05", KOTABARU)
        for_kader = await get_area(session, "63.02.12", SAMPANAHAN_KADER)
        missing = await get_area(session, "63.02.99", EVERYTHING)
    assert inside is not None
    assert inside.label == "Desa Sampanahan (Kec. Sampanahan, Kab. Kotabaru)"
    assert outside is None and for_kader is None and missing is None


async def test_children_and_villages_are_limited_to_the_scope(kalsel: SessionFactory) -> None:
    async with kalsel() as session:
        regencies_seen_from_kotabaru = await list_children(session, "63", KOTABARU)
        kecamatan_of_kotabaru = await list_children(session, "63.02", KOTABARU)
        villages_for_pejabat = await list_villages(session, "63.02.12", KOTABARU)
        villages_for_kader = await list_villages(session, "63.02.12", SAMPANAHAN_KADER)
        banjar_for_kotabaru = await list_villages(session, "63.03", KOTABARU)
        all_regencies = await list_children(session, "63", EVERYTHING)
    assert [a.code for a in regencies_seen_from_kotabaru] == ["63.02"]
    assert len(kecamatan_of_kotabaru) == 22
    assert all(a.code.startswith("63.02.") for a in kecamatan_of_kotabaru)
    assert len(villages_for_pejabat) == 10
    assert [a.code for a in villages_for_kader] == ["63.02.12.2005"]
    assert banjar_for_kotabaru == []
    assert len(all_regencies) == 13


async def test_level_counts_are_limited_to_the_scope(kalsel: SessionFactory) -> None:
    async with kalsel() as session:
        kotabaru = await count_areas_by_level(session, KOTABARU)
        kader = await count_areas_by_level(session, SAMPANAHAN_KADER)
        nobody = await count_areas_by_level(session, Scope.nothing())
    assert kotabaru[AreaLevel.KABUPATEN] == 1 and kotabaru[AreaLevel.KECAMATAN] == 22
    assert AreaLevel.PROVINSI not in kotabaru
    assert sum(kotabaru.values()) == 225  # Kabupaten Kotabaru itself and its subtree
    assert kader == {AreaLevel.DESA: 1}
    assert nobody == {}


async def test_parent_labels_name_the_kecamatan_and_kabupaten(kalsel: SessionFactory) -> None:
    async with kalsel() as session:
        labels = await parent_labels(session, ["63.02.12.2005", "63.02.12", "63.02", "63"])
    assert labels == {
        "63.02.12.2005": "Kec. Sampanahan, Kab. Kotabaru",
        "63.02.12": "Kab. Kotabaru",
        "63.02": "Prov. Kalimantan Selatan",
        "63": "",
    }


# ------------------------------------------------------------------------------------- search


async def _codes(kalsel: SessionFactory, query: str, scope: Scope = EVERYTHING) -> list[str]:
    async with kalsel() as session:
        return [c.code for c in await search_areas(session, query, scope)]


async def test_a_name_shared_by_a_kecamatan_and_a_desa_returns_both_first_then_similar_names(
    kalsel: SessionFactory,
) -> None:
    async with kalsel() as session:
        found = await search_areas(session, "Sampanahan", EVERYTHING)
    assert [(c.code, c.exact) for c in found[:2]] == [
        ("63.02.12", True),
        ("63.02.12.2005", True),
    ]
    assert found[1].parents == "Kec. Sampanahan, Kab. Kotabaru"
    assert found[0].level is AreaLevel.KECAMATAN and found[1].level is AreaLevel.DESA
    later = [c.code for c in found[2:]]
    assert "63.02.12.2008" in later  # Sampanahan Hilir
    assert "63.02.14.2008" in later  # Hulu Sampanahan
    assert all(not c.exact and c.score < 100 for c in found[2:])


@pytest.mark.parametrize(
    "query", ["sampanahan", "  SAMPANAHAN ", "Sampanahan.", "Sampanhan", "Sampanahaan"]
)
async def test_case_spaces_punctuation_and_typos_still_find_sampanahan(
    kalsel: SessionFactory, query: str
) -> None:
    assert (await _codes(kalsel, query))[:2] == ["63.02.12", "63.02.12.2005"]


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("desa sampanahan", "63.02.12.2005"),
        ("Desa Sampanahan", "63.02.12.2005"),
        ("kec. sampanahan", "63.02.12"),
        ("Kecamatan Sampanahan", "63.02.12"),
        ("kab. kotabaru", "63.02"),
        ("Kabupaten Kotabaru", "63.02"),
        ("kotabaru", "63.02"),
        ("Kota Baru", "63.02"),
        ("kota banjarmasin", "63.71"),
        ("banjarmasin", "63.71"),
        ("kel. mantuil", "63.71.01.1001"),
        ("kelurahan Mantuil", "63.71.01.1001"),
        ("provinsi kalimantan selatan", "63"),
    ],
)
async def test_a_level_word_in_the_query_picks_that_level(
    kalsel: SessionFactory, query: str, first: str
) -> None:
    assert (await _codes(kalsel, query))[0] == first


async def test_the_desa_prefix_still_lists_the_same_named_kecamatan_second(
    kalsel: SessionFactory,
) -> None:
    assert (await _codes(kalsel, "desa sampanahan"))[:2] == ["63.02.12.2005", "63.02.12"]


async def test_every_exact_match_is_returned_even_beyond_the_limit(kalsel: SessionFactory) -> None:
    async with kalsel() as session:
        found = await search_areas(session, "Kampung Baru", EVERYTHING, limit=2)
    assert len(found) == 6
    assert all(c.exact for c in found)
    assert len({c.parents for c in found}) == 6  # the parents tell them apart


async def test_levels_restrict_the_candidates(kalsel: SessionFactory) -> None:
    async with kalsel() as session:
        found = await search_areas(session, "Sampanahan", EVERYTHING, levels=VILLAGE_LEVELS)
    assert found[0].code == "63.02.12.2005"
    assert all(c.level in VILLAGE_LEVELS for c in found)


async def test_an_unknown_or_empty_name_finds_nothing(kalsel: SessionFactory) -> None:
    assert await _codes(kalsel, "Xyzzyqwv") == []
    assert await _codes(kalsel, "  ") == []


async def test_a_pejabat_of_kotabaru_never_gets_an_area_outside_kotabaru(
    kalsel: SessionFactory,
) -> None:
    for query in ["Martapura", "Banjar", "Kampung Baru", "Sampanahan", "Sungai", "kota"]:
        assert all(code.startswith("63.02") for code in await _codes(kalsel, query, KOTABARU))
    assert (await _codes(kalsel, "Sampanahan", KOTABARU))[:2] == ["63.02.12", "63.02.12.2005"]


async def test_a_name_outside_the_scope_behaves_like_an_unknown_name(
    kalsel: SessionFactory,
) -> None:
    async with kalsel() as session:
        martapura = await search_areas(session, "Martapura", KOTABARU)
        everywhere = await search_areas(session, "Martapura", EVERYTHING)
    assert everywhere[0].code == "63.03.05" and everywhere[0].exact
    assert not any(c.exact for c in martapura)
    assert not any(c.code.startswith("63.03") for c in martapura)


async def test_a_kader_finds_only_their_own_villages(kalsel: SessionFactory) -> None:
    assert await _codes(kalsel, "Sampanahan", SAMPANAHAN_KADER) == ["63.02.12.2005"]
    assert await _codes(kalsel, "Sepapah", SAMPANAHAN_KADER) == []
    assert await _codes(kalsel, "Sampanahan", Scope.nothing()) == []


async def test_search_sees_a_renamed_area_after_a_reimport(kalsel: SessionFactory) -> None:
    assert await _codes(kalsel, "Sampanahan Permai") != ["63.02.12.2005"]
    await _import_text(kalsel, "kode,nama\n63.02.12.2005,Sampanahan Permai\n")
    assert (await _codes(kalsel, "Sampanahan Permai"))[0] == "63.02.12.2005"


async def test_searching_the_whole_province_is_fast(kalsel: SessionFactory) -> None:
    async with kalsel() as session:
        await search_areas(session, "warm up", EVERYTHING)
        timings = []
        for query in ["Sampanahan", "desa sungai pinang", "kotabaru", "Sampanhan"] * 5:
            started = time.perf_counter()
            await search_areas(session, query, EVERYTHING)
            timings.append(time.perf_counter() - started)
    assert statistics.median(timings) < 0.040  # ~5–15 ms measured; generous for a loaded CI
