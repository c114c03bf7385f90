"""Small-cell suppression and coverage as a pejabat reads them in chat, over real HTTP, with the
production defaults (MIN_CELL 5, MIN_FAMILIES 10), on both databases."""

from __future__ import annotations

from bot.db.models import Role
from bot.emulator import EmulatedUser
from bot.services.context import ServiceContext
from tests.bot.services.conftest import FAMILY_A, FAMILY_B, FAMILY_C, enter_family
from tests.e2e.conftest import BotHarness
from tests.e2e.test_e2e_officials import DESA_BUTTON, KOTABARU, SAMPANAHAN, act, kader_id


async def submitted(harness: BotHarness, families: list[dict[str, str]]) -> EmulatedUser:
    """The kader of Desa Sampanahan, with `families` submitted through the services."""
    kader = await harness.kader(1001, villages=(SAMPANAHAN,), name="Siti")
    ctx = ServiceContext.create(harness.database.session_factory)
    uid = await kader_id(harness, 1001)
    for family in families:
        await enter_family(ctx, uid, family, village=SAMPANAHAN)
    return kader


async def test_three_families_give_coverage_first_and_no_ikk_only_data_belum_cukup(
    harness: BotHarness,
) -> None:
    await submitted(harness, [FAMILY_A, FAMILY_B, FAMILY_C])
    pejabat = await harness.register(2001, Role.PEJABAT, KOTABARU, first_name="Pak Kadis")
    await act(harness, pejabat, "/ikk Sampanahan")
    shown = await act(harness, pejabat, tap=DESA_BUTTON)
    [report] = shown  # no chart: there is no figure to draw
    lines = report.visible_text.splitlines()
    assert lines[0] == "📊 IKK Desa Sampanahan"
    assert lines[1] == "Data dari 3 keluarga"
    assert ("⚠️ Data belum cukup: 3 keluarga, minimal 10. IKK, dimensi, dan nilai indikator "
            "belum ditampilkan.") in lines
    text = report.visible_text
    assert "87,50" not in text and "Dimensi" not in text and "Indikator merah" not in text
    assert report.buttons  # the way on: the workbook and the collection progress


async def test_a_hidden_indicator_is_counted_but_never_shown_or_called_red(
    harness: BotHarness,
) -> None:
    # 12 families; KSP1 (violence against women) concerns the 2 couples only.
    await submitted(harness, [FAMILY_A, FAMILY_B, *[FAMILY_C] * 10])
    pejabat = await harness.register(2001, Role.PEJABAT, KOTABARU, first_name="Pak Kadis")
    await act(harness, pejabat, "/ikk Sampanahan")
    report, photo = await act(harness, pejabat, tap=DESA_BUTTON)
    text = report.visible_text
    assert text.splitlines()[1] == "Data dari 12 keluarga"
    assert "indikator disembunyikan: data belum cukup" in text
    assert "KSP1" not in text and "(2/2)" not in text
    assert photo.photo is not None
    assert "indikator disembunyikan" in (photo.caption or "")


async def test_a_kader_asking_for_her_too_small_village_is_told_why_and_where_to_go(
    harness: BotHarness,
) -> None:
    kader = await submitted(harness, [FAMILY_A])
    [report] = await act(harness, kader, "/ikk")
    assert "Data belum cukup: 1 keluarga, minimal 10." in report.visible_text
    assert report.buttons == [["📋 Kemajuan pendataan"]]  # the way on: collect more
    [unknown] = await act(harness, kader, "/ikk Xyzzyqwv")
    assert "tidak ditemukan" in unknown.visible_text
