"""`/ikk <area> <tahun>`: an earlier period, the year's problems, and names holding digits."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import run_in_transaction
from bot.repositories.areas import import_areas, read_area_rows
from bot.services.official import ikk_report
from bot.services.period_query import period_problem, split_year
from bot.telegram.period_texts import bad_period_message
from tests.bot.officials.conftest import PERIOD, SAMPANAHAN, Officials
from tests.bot.services.conftest import FAMILY_A, FAMILY_B, FAMILY_C, enter_family

DIGIT_VILLAGE = "63.02.12.2011"


@pytest.mark.parametrize(
    ("typed", "name", "token"),
    [
        ("Sampanahan 2024", "Sampanahan", "2024"),
        ("2024", "", "2024"),
        ("Sampanahan", "Sampanahan", None),
        ("Desa 12", "Desa 12", None),
        ("Km 7", "Km 7", None),
        ("Sampanahan 20x5", "Sampanahan", "20x5"),
        ("Sampanahan tahun lalu", "Sampanahan", "lalu"),
        ("Sampanahan Tahun 2024", "Sampanahan", "2024"),
    ],
)
def test_a_trailing_year_is_split_from_the_name(
    typed: str, name: str, token: str | None
) -> None:
    query = split_year(typed)
    assert (query.name, query.token) == (name, token)


def test_a_year_is_refused_when_not_a_number_in_the_future_or_without_data() -> None:
    assert period_problem("lalu", None, [2025], 2026) == "not_a_number"
    assert period_problem("2030", 2030, [2025], 2026) == "future"
    assert period_problem("2023", 2023, [2025, 2024], 2026) == "no_data"
    assert period_problem("2024", 2024, [2025, 2024], 2026) is None


@pytest.fixture
async def two_periods(officials: Officials) -> Officials:
    for period in (PERIOD - 1, PERIOD):
        for family in (FAMILY_A, FAMILY_B, FAMILY_C):
            await enter_family(officials.ctx, officials.kader, family, village=SAMPANAHAN,
                               period=period)
    return officials


async def test_an_earlier_year_reads_that_period_and_compares_with_none_before_it(
    two_periods: Officials,
) -> None:
    answer = await ikk_report(two_periods.ctx, two_periods.camat, query="Desa Sampanahan 2024")
    assert answer.status == "ok" and answer.value is not None
    assert answer.value.period == PERIOD - 1 and answer.value.comparison is None
    latest = await ikk_report(two_periods.ctx, two_periods.camat, query="Desa Sampanahan")
    assert latest.value is not None and latest.value.comparison is not None
    assert latest.value.comparison.previous == PERIOD - 1


@pytest.mark.parametrize(
    ("typed", "problem", "said"),
    [
        ("Desa Sampanahan 2019", "no_data", "Belum ada keluarga terkirim di Desa Sampanahan "
                                            "untuk tahun 2019."),
        ("Desa Sampanahan 2999", "future", "Tahun 2999 belum datang"),
        ("Desa Sampanahan tahun lalu", "not_a_number", "“lalu” bukan tahun"),
        ("Desa Sampanahan 2O25", "not_a_number", "“2O25” bukan tahun"),
    ],
)
async def test_a_year_that_cannot_be_read_lists_the_years_with_data(
    two_periods: Officials, typed: str, problem: str, said: str
) -> None:
    answer = await ikk_report(two_periods.ctx, two_periods.camat, query=typed)
    assert answer.status == "bad_period" and answer.problem == problem
    assert answer.periods == (PERIOD, PERIOD - 1)
    text = bad_period_message(answer)
    assert said in text
    assert f"Tahun yang ada datanya untuk Desa Sampanahan: {PERIOD}, {PERIOD - 1}." in text
    assert f"Contoh: /ikk Desa Sampanahan {PERIOD}" in text


async def test_a_village_whose_name_ends_in_a_number_is_found_by_its_whole_name(
    two_periods: Officials,
) -> None:
    async def work(session: AsyncSession) -> None:
        rows, rejected = read_area_rows(f"kode,nama\n{DIGIT_VILLAGE},Km 2020\n")
        assert not rejected
        await import_areas(session, rows)

    await run_in_transaction(two_periods.ctx.session_factory, work)
    answer = await ikk_report(two_periods.ctx, two_periods.camat, query="Km 2020")
    assert answer.status == "ok" and answer.area is not None
    assert answer.area.code == DIGIT_VILLAGE
    with_year = await ikk_report(two_periods.ctx, two_periods.camat, query="Km 2020 2024")
    assert with_year.status == "bad_period" and with_year.problem == "no_data"
    assert with_year.area is not None and with_year.area.code == DIGIT_VILLAGE
