"""Finding the area an official means, by name, only inside their scope (service level)."""

from __future__ import annotations

import pytest

from bot.db.engine import run_in_transaction
from bot.repositories.users import deactivate_user
from bot.services.official import MAX_QUERY_LENGTH, area_progress, ikk_report, split_period
from tests.bot.officials.conftest import (
    HULU_SAMPANAHAN,
    KECAMATAN,
    KOTABARU,
    SAMPANAHAN,
    SAMPANAHAN_HILIR,
    SEPAPAH,
    Officials,
)
from tests.bot.services.conftest import FAMILY_A, enter_family


async def test_sampanahan_offers_the_kecamatan_and_the_desa_first_then_the_similar_names(
    officials: Officials,
) -> None:
    answer = await ikk_report(officials.ctx, officials.pejabat_kotabaru, query="Sampanahan")
    assert answer.status == "choose" and answer.value is None
    labels = [o.label for o in answer.options]
    # The two exact matches first (higher level first), then the near names.
    assert labels[:2] == ["Kec. Sampanahan, Kab. Kotabaru", "Desa Sampanahan, Kec. Sampanahan"]
    assert "Desa Sampanahan Hilir, Kec. Sampanahan" in labels
    assert "Desa Hulu Sampanahan, Kec. Hampang" in labels
    assert {o.code for o in answer.options} >= {KECAMATAN, SAMPANAHAN, SAMPANAHAN_HILIR,
                                                 HULU_SAMPANAHAN}


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("desa sampanahan", SAMPANAHAN),
        ("Kecamatan Sampanahan", KECAMATAN),
        ("kec. sampanahan", KECAMATAN),
        ("  SEPAPAH  ", SEPAPAH),
        ("sampanahan   hilir", SAMPANAHAN_HILIR),
        ("Kabupaten Kotabaru", KOTABARU),
        ("63.02.12.2005", SAMPANAHAN),
    ],
)
async def test_one_clear_match_goes_straight_to_the_report(
    officials: Officials, query: str, code: str
) -> None:
    answer = await ikk_report(officials.ctx, officials.pejabat_kotabaru, query=query)
    assert answer.status == "ok", answer
    assert answer.area is not None and answer.area.code == code
    assert answer.value is not None and answer.value.code == code


async def test_a_misspelt_name_offers_the_closest_names_as_suggestions(
    officials: Officials,
) -> None:
    answer = await ikk_report(officials.ctx, officials.pejabat_kotabaru, query="Sepapa")
    assert answer.status == "suggest"
    assert answer.options and answer.options[0].code == SEPAPAH


@pytest.mark.parametrize(
    "query",
    ["Sampanahan", "desa sampanahan", "Sepapah", "63.02.12.2005", "Kotabaru", "Sepapa"],
)
async def test_a_name_outside_the_scope_is_answered_exactly_like_an_unknown_name(
    officials: Officials, query: str
) -> None:
    outside = await ikk_report(officials.ctx, officials.pejabat_tanah_laut, query=query)
    unknown = await ikk_report(officials.ctx, officials.pejabat_tanah_laut, query="Xyzzyqwv")
    assert outside.status == unknown.status == "not_found"
    assert outside.options == unknown.options == ()
    assert outside.area is None and outside.value is None


async def test_a_code_from_a_button_outside_the_scope_is_not_found(officials: Officials) -> None:
    for code in (SAMPANAHAN, "99.99", "not a code", "63.02.12.9999"):
        answer = await ikk_report(officials.ctx, officials.pejabat_tanah_laut, code=code)
        assert answer.status == "not_found" and answer.value is None


@pytest.mark.parametrize(
    "query",
    ["🏠🏠🏠", "'; DROP TABLE area; --", "Sampanahan' OR '1'='1", "%", "_", "\\", "<b>x</b>"],
)
async def test_emoji_and_sql_looking_names_are_simply_not_found(
    officials: Officials, query: str
) -> None:
    answer = await ikk_report(officials.ctx, officials.pejabat_kotabaru, query=query)
    assert answer.status in ("not_found", "suggest")
    assert all(o.code.startswith(KOTABARU) for o in answer.options)
    # The area table is intact afterwards.
    again = await ikk_report(officials.ctx, officials.pejabat_kotabaru, query="Sepapah")
    assert again.status == "ok"


async def test_a_very_long_name_is_refused_as_too_long(officials: Officials) -> None:
    answer = await ikk_report(
        officials.ctx, officials.pejabat_kotabaru, query="Sampanahan " * 200
    )
    assert answer.status == "too_long"
    assert len(answer.query) <= MAX_QUERY_LENGTH + 1


@pytest.mark.parametrize("query", [None, "", "   "])
async def test_no_name_gives_the_officials_own_area(
    officials: Officials, query: str | None
) -> None:
    answer = await ikk_report(officials.ctx, officials.pejabat_kotabaru, query=query)
    assert answer.status == "ok"
    assert answer.area is not None and answer.area.code == KOTABARU


async def test_a_kader_with_two_villages_chooses_one_and_sees_only_her_own(
    officials: Officials,
) -> None:
    own = await ikk_report(officials.ctx, officials.kader)
    assert own.status == "choose"
    assert [o.code for o in own.options] == [SAMPANAHAN, SAMPANAHAN_HILIR]
    # "Sampanahan": the kecamatan is not hers, so her desa is the one clear match.
    named = await ikk_report(officials.ctx, officials.kader, query="Sampanahan")
    assert named.status == "ok" and named.area is not None and named.area.code == SAMPANAHAN
    other = await ikk_report(officials.ctx, officials.kader, query="Sepapah")
    assert other.status == "not_found"


def test_a_trailing_year_chooses_the_period() -> None:
    assert split_period("Sampanahan 2024") == ("Sampanahan", 2024)
    assert split_period("2024") == ("", 2024)
    assert split_period("Sampanahan") == ("Sampanahan", None)
    assert split_period("Desa 12") == ("Desa 12", None)


async def test_the_period_typed_after_the_name_reaches_the_report(officials: Officials) -> None:
    # A year without data is now answered with the years that have data (test_period_choice),
    # so Sepapah gets a family in 2023 before its 2023 report is asked for.
    await enter_family(officials.ctx, officials.kader_sepapah, FAMILY_A, village=SEPAPAH,
                       period=2023)
    answer = await ikk_report(officials.ctx, officials.pejabat_kotabaru, query="Sepapah 2023")
    assert answer.value is not None and answer.value.period == 2023
    progress = await area_progress(officials.ctx, officials.camat, query="2024")
    assert progress.value is not None and progress.value.period == 2024
    assert progress.area is not None and progress.area.code == KECAMATAN


async def test_a_deactivated_official_is_treated_as_unregistered(officials: Officials) -> None:
    async def work(session):  # type: ignore[no-untyped-def]
        return await deactivate_user(session, 201)

    await run_in_transaction(officials.ctx.session_factory, work)
    answer = await ikk_report(officials.ctx, officials.pejabat_kotabaru, query="Sepapah")
    assert answer.status == "unregistered" and answer.value is None
