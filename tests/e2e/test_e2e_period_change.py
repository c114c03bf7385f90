"""Two periods side by side over real HTTP: /ikk with the change since the previous period, and
/ikk <area> <tahun> for an earlier one or a year without data, on both databases."""

from __future__ import annotations

import pytest

from bot.db.models import Role
from bot.services.context import ServiceContext
from tests.bot.services.conftest import FAMILY_A, FAMILY_B, FAMILY_C, PERIOD, enter_family
from tests.e2e.conftest import BotHarness
from tests.e2e.test_e2e_officials import SAMPANAHAN, act, kader_id

KOTABARU = "63.02"


@pytest.fixture
async def harness(harness: BotHarness) -> BotHarness:
    """A few-family sample: every figure shown (MIN_CELL=1, MIN_FAMILIES=1)."""
    return await harness.as_small_sample()


async def two_periods(harness: BotHarness) -> None:
    """Families A, B, C in the previous period; A, B, C and another A in the latest."""
    await harness.kader(1001, villages=(SAMPANAHAN,), name="Siti")
    ctx = ServiceContext.create(harness.database.session_factory)
    uid = await kader_id(harness, 1001)
    for family in (FAMILY_A, FAMILY_B, FAMILY_C):
        await enter_family(ctx, uid, family, village=SAMPANAHAN, period=PERIOD - 1)
    for family in (FAMILY_A, FAMILY_B, FAMILY_C, FAMILY_A):
        await enter_family(ctx, uid, family, village=SAMPANAHAN, period=PERIOD)


async def test_an_official_reads_the_change_since_last_year_and_last_years_report(
    harness: BotHarness,
) -> None:
    await two_periods(harness)
    pejabat = await harness.register(2001, Role.PEJABAT, KOTABARU, first_name="Pak Kadis")

    report, photo = await act(harness, pejabat, "/ikk Desa Sampanahan")
    text = report.visible_text
    assert f"Periode {PERIOD} · 4 keluarga terkirim" in text
    assert f"dibanding {PERIOD - 1} (IKK 87,50, 3 keluarga)" in text
    assert f"Perubahan sejak {PERIOD - 1}" in text
    assert f"{PERIOD}: 4 keluarga · {PERIOD - 1}: 3 keluarga" in text
    assert "IKK: ▲" in text and "(87,50 → " in text
    assert "KSB · Ketahanan Sosial Budaya: tetap (100,00 → 100,00)" in text
    assert photo.photo is not None

    earlier, _photo = await act(harness, pejabat, f"/ikk Desa Sampanahan {PERIOD - 1}")
    assert f"Periode {PERIOD - 1} · 3 keluarga terkirim" in earlier.visible_text
    assert "IKK 87,50" in earlier.visible_text
    assert "Perubahan sejak" not in earlier.visible_text

    [refused] = await act(harness, pejabat, "/ikk Desa Sampanahan 2019")
    assert "Belum ada keluarga terkirim di Desa Sampanahan untuk tahun 2019." in (
        refused.visible_text
    )
    assert f"Tahun yang ada datanya untuk Desa Sampanahan: {PERIOD}, {PERIOD - 1}." in (
        refused.visible_text
    )
    [future] = await act(harness, pejabat, "/ikk Desa Sampanahan 2999")
    assert "Tahun 2999 belum datang" in future.visible_text
