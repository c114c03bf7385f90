"""/merah and the ranked /ikk over real HTTP against the Bot API emulator, on both databases.

Desa Sampanahan holds the worked example (A, B, C: KE2 met by 1 of 3, IKK 87,50, 8 red
indicators); Desa Sepapah two families like A (every indicator that applies is met).
"""

from __future__ import annotations

import pytest

from bot.db.models import Role
from bot.emulator import EmulatedUser
from bot.services.context import ServiceContext
from bot.telegram.red_texts import FORBIDDEN
from tests.bot.services.conftest import FAMILY_A, FAMILY_B, FAMILY_C, enter_family
from tests.e2e.conftest import SEPAPAH, BotHarness
from tests.e2e.test_e2e_officials import KOTABARU, SAMPANAHAN, TANAH_LAUT, act, kader_id

KECAMATAN_BUTTON = "Kec. Sampanahan, Kab. Kotabaru"


@pytest.fixture
async def harness(harness: BotHarness) -> BotHarness:
    """A sample of a few families shows every figure (MIN_CELL=1, MIN_FAMILIES=1)."""
    return await harness.as_small_sample()


async def two_villages(harness: BotHarness) -> EmulatedUser:
    """The worked example in Desa Sampanahan and two A families in Desa Sepapah; the kader
    of Sampanahan is returned."""
    kader = await harness.kader(1001, villages=(SAMPANAHAN,), name="Siti")
    await harness.kader(1002, villages=(SEPAPAH,), name="Nur")
    ctx = ServiceContext.create(harness.database.session_factory)
    for telegram_id, village, families in ((1001, SAMPANAHAN, (FAMILY_A, FAMILY_B, FAMILY_C)),
                                           (1002, SEPAPAH, (FAMILY_A, FAMILY_A))):
        uid = await kader_id(harness, telegram_id)
        for family in families:
            await enter_family(ctx, uid, family, village=village)
    return kader


async def test_an_official_lists_the_red_villages_of_an_indicator_and_the_ranked_villages(
    harness: BotHarness,
) -> None:
    await two_villages(harness)
    pejabat = await harness.register(2001, Role.PEJABAT, KOTABARU, first_name="Pak Kadis")

    [choice] = await act(harness, pejabat, "/merah ke2 Sampanahan")
    assert [row[0] for row in choice.buttons][:1] == [KECAMATAN_BUTTON]
    [listing] = await act(harness, pejabat, tap=KECAMATAN_BUTTON)
    text = listing.visible_text
    assert "KE2" in text and "Kecamatan Sampanahan · periode" in text
    assert "1. Desa Sampanahan: 33,33 % · 1 dari 3 keluarga" in text
    assert "Sepapah" not in text and "1 desa lain tidak merah (75 % ke atas)." in text
    assert choice.buttons == []

    report, _photo = await act(harness, pejabat, "/ikk 63.02.12")
    shown = report.visible_text
    assert "Peringkat desa/kelurahan (2 dengan data)" in shown
    assert "1. Desa Sampanahan: 87,50 · 🔴 8 merah · 3 keluarga" in shown
    assert "2. Desa Sepapah: 100,00 · ✅ 0 merah · 2 keluarga" in shown
    assert shown.index("Indikator merah") < shown.index("Peringkat")

    scope = {"type": "chat", "chat_id": pejabat.chat_id}
    assert "merah" in dict(harness.emulator.commands(scope, "id"))
    [help_text] = await act(harness, pejabat, "/bantuan")
    assert "/merah" in help_text.visible_text


@pytest.mark.parametrize("db_backend", ["sqlite"])
async def test_merah_refuses_a_kader_an_unknown_code_and_an_area_outside_the_scope(
    harness: BotHarness,
) -> None:
    kader = await two_villages(harness)
    [refused] = await act(harness, kader, "/merah KE2")
    assert refused.visible_text == FORBIDDEN

    outsider = await harness.register(2002, Role.PEJABAT, TANAH_LAUT, first_name="Bu Kadis")
    [unknown] = await act(harness, outsider, "/merah XYZ")
    assert "Kode indikator “XYZ” tidak dikenal." in unknown.visible_text
    assert "Contoh: /merah KSP1" in unknown.visible_text
    [missing] = await act(harness, outsider, "/merah KE2 Sepapah")
    assert "tidak ditemukan di wilayah Anda" in missing.visible_text
    [forged] = await act(harness, outsider, data=(missing.message_id, "mr1:KE2:63.02.12"))
    assert "tidak ditemukan di wilayah Anda" in forged.visible_text
    assert "Desa Sampanahan" not in forged.visible_text and "%" not in forged.visible_text
