"""Area aggregation on hand-made score tables, with a small instrument so each number is obvious."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from ikk_core.aggregation import aggregate, aggregate_by, rollup
from ikk_core.instrument import (
    Band,
    Dimension,
    Indicator,
    Instrument,
    Question,
    Settings,
    Text,
)

NA = None

BANDS = (
    Band("kategori_1", Text("Kategori 1"), 0.0),
    Band("kategori_2", Text("Kategori 2"), 50.0),
    Band("kategori_3", Text("Kategori 3"), 75.0),
)


def small_instrument(**settings: object) -> Instrument:
    """Two dimensions: A (A1, A2, A3) and B (B1). Rules are irrelevant here: scores are given."""
    base = Settings(ikk_bands=BANDS, family_bands=BANDS)
    return Instrument(
        id="kecil",
        version="1",
        title=Text("Kecil"),
        settings=replace(base, **settings),  # type: ignore[arg-type]
        dimensions=(Dimension("A", Text("Dimensi A")), Dimension("B", Text("Dimensi B"))),
        questions=(Question("Q", "text", Text("Q")),),
        choices={},
        indicators=(
            Indicator("A1", "A", Text("A satu"), "true()", sector="Dinas A"),
            Indicator("A2", "A", Text("A dua"), "true()", sector="Dinas A"),
            Indicator("A3", "A", Text("A tiga"), "true()", sector="Dinas A"),
            Indicator("B1", "B", Text("B satu"), "true()", sector="Dinas B"),
        ),
    )


def scores(rows: list[list[int | None]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["A1", "A2", "A3", "B1"], dtype="Int8")


FOUR_FAMILIES = scores(
    [
        [1, 1, NA, 1],
        [1, 0, NA, 0],
        [0, 0, NA, 1],
        [1, NA, NA, 1],
    ]
)


def test_indicator_value_is_share_of_applicable_families_meeting_it() -> None:
    result = aggregate(small_instrument(), FOUR_FAMILIES, "63.02.12.2005", "Sampanahan", "desa")
    a1, a2 = result.indicator("A1"), result.indicator("A2")
    assert (a1.numerator, a1.denominator, a1.value) == (3, 4, 75.0)
    # A2: the fourth family does not apply, so 1 of 3.
    assert (a2.numerator, a2.denominator) == (1, 3)
    assert a2.value == pytest.approx(100 / 3)
    assert result.families == 4


def test_indicator_nobody_applies_to_has_no_value_and_is_left_out_of_its_dimension() -> None:
    result = aggregate(small_instrument(), FOUR_FAMILIES, "x", "x", "desa")
    a3 = result.indicator("A3")
    assert (a3.numerator, a3.denominator, a3.value, a3.red) == (0, 0, None, False)
    assert result.no_value == (a3,)
    # D_A = mean(75, 33.33) = 54.1666..., not mean(75, 33.33, 0).
    assert result.dimension("A").value == pytest.approx((75 + 100 / 3) / 2)


def test_ikk_is_the_mean_of_dimensions_by_default() -> None:
    result = aggregate(small_instrument(), FOUR_FAMILIES, "x", "x", "desa")
    d_a = (75 + 100 / 3) / 2
    d_b = 75.0  # B1: 3 of 4
    assert result.dimension("B").value == d_b
    assert result.ikk == pytest.approx((d_a + d_b) / 2)
    assert result.method == "dimension_mean"
    assert result.category is not None and result.category.name == "kategori_2"


def test_flat_mean_averages_every_indicator_with_a_value() -> None:
    result = aggregate(small_instrument(aggregation="flat_mean"), FOUR_FAMILIES, "x", "x", "desa")
    assert result.ikk == pytest.approx((75 + 100 / 3 + 75) / 3)
    assert result.method == "flat_mean"


def test_weights_of_indicators_and_dimensions_are_respected() -> None:
    inst = small_instrument()
    weighted = replace(
        inst,
        dimensions=(replace(inst.dimensions[0], weight=3.0), inst.dimensions[1]),
        indicators=(replace(inst.indicators[0], weight=2.0), *inst.indicators[1:]),
    )
    result = aggregate(weighted, FOUR_FAMILIES, "x", "x", "desa")
    d_a = (2 * 75 + 1 * 100 / 3) / 3
    assert result.dimension("A").value == pytest.approx(d_a)
    assert result.ikk == pytest.approx((3 * d_a + 75) / 4)


def test_red_indicators_are_below_threshold_lowest_first() -> None:
    result = aggregate(small_instrument(), FOUR_FAMILIES, "x", "x", "desa")
    # A1 = 75 and B1 = 75 are exactly on the threshold: not red.
    assert [i.code for i in result.red] == ["A2"]
    stricter = aggregate(small_instrument(red_threshold=80.0), FOUR_FAMILIES, "x", "x", "desa")
    assert [i.code for i in stricter.red] == ["A2", "A1", "B1"]


def test_dimension_without_any_value_is_left_out_of_the_ikk() -> None:
    only_a = scores([[1, 1, 1, NA], [1, 0, 1, NA]])
    result = aggregate(small_instrument(), only_a, "x", "x", "desa")
    assert result.dimension("B").value is None
    assert result.ikk == pytest.approx((100 + 50 + 100) / 3)


def test_area_without_families_has_no_value_anywhere() -> None:
    result = aggregate(small_instrument(), scores([]), "x", "Kosong", "desa")
    assert result.families == 0
    assert result.ikk is None and result.category is None
    assert len(result.no_value) == 4


def test_float_scores_with_nan_aggregate_like_nullable_ints() -> None:
    as_float = FOUR_FAMILIES.astype("float64")
    assert as_float["A3"].isna().all()
    a = aggregate(small_instrument(), as_float, "x", "x", "desa")
    b = aggregate(small_instrument(), FOUR_FAMILIES, "x", "x", "desa")
    assert a == b


def test_aggregate_by_gives_one_result_per_village() -> None:
    villages = pd.Series(["63.02.12.2005", "63.02.12.2005", "63.02.12.2006", "63.02.12.2006"])
    names = {"63.02.12.2005": "Sampanahan", "63.02.12.2006": "Sampanahan Hilir"}
    results = aggregate_by(small_instrument(), FOUR_FAMILIES, villages, names)
    assert set(results) == set(names)
    first = results["63.02.12.2005"]
    assert (first.name, first.level, first.families) == ("Sampanahan", "desa", 2)
    assert first.indicator("A2").value == 50.0
    second = results["63.02.12.2006"]
    assert second.indicator("A2").value == 0.0  # family 4 does not apply: 0 of 1
    assert second.indicator("A2").denominator == 1


def test_rollup_adds_kecamatan_kabupaten_and_province_over_families() -> None:
    villages = pd.Series(["63.02.12.2005", "63.02.12.2005", "63.02.12.2006", "63.02.11.2001"])
    results = rollup(small_instrument(), FOUR_FAMILIES, villages, {"63.02.12": "Sampanahan"})
    assert set(results) == {
        "63.02.12.2005", "63.02.12.2006", "63.02.11.2001", "63.02.12", "63.02.11", "63.02", "63",
    }
    kecamatan = results["63.02.12"]
    assert (kecamatan.level, kecamatan.name, kecamatan.families) == ("kecamatan", "Sampanahan", 3)
    # A2 over the kecamatan's 3 families: 1 of 3, not the mean of its villages (50 and 0).
    assert kecamatan.indicator("A2").value == pytest.approx(100 / 3)
    province = results["63"]
    assert province.level == "provinsi" and province.families == 4
    assert province == replace(
        aggregate(small_instrument(), FOUR_FAMILIES, "63", "63", "provinsi"), name="63"
    )


def test_to_dict_has_the_json_shape_with_unrounded_numbers() -> None:
    result = aggregate(small_instrument(), FOUR_FAMILIES, "63.02.12.2005", "Sampanahan", "desa")
    data = result.to_dict()
    assert list(data) == [
        "code", "name", "families", "ikk", "category", "dimensions", "indicators", "red",
    ]
    assert data["indicators"] == {"A1": 75.0, "A2": pytest.approx(100 / 3), "A3": None, "B1": 75.0}
    assert data["dimensions"]["A"] == pytest.approx((75 + 100 / 3) / 2)
    assert data["red"] == ["A2"]
    assert data["category"] == "kategori_2"


def test_scores_missing_an_indicator_column_are_refused() -> None:
    with pytest.raises(ValueError, match="B1"):
        aggregate(small_instrument(), FOUR_FAMILIES.drop(columns=["B1"]), "x", "x", "desa")


def test_area_codes_go_with_score_rows_by_position_not_by_index_label() -> None:
    shifted = FOUR_FAMILIES.set_axis([100, 101, 102, 103])
    villages = pd.Series(["63.02.12.2005"] * 4)  # index 0..3: no label in common
    results = aggregate_by(small_instrument(), shifted, villages, {})
    assert results["63.02.12.2005"].families == 4
    with pytest.raises(ValueError, match="3 area codes for 4 families"):
        aggregate_by(small_instrument(), FOUR_FAMILIES, villages[:3], {})
