"""Families imported from a file reach /ikk over real HTTP, as if a kader had entered them."""

from __future__ import annotations

from pathlib import Path

from bot.db.models import Role
from bot.services.context import ServiceContext
from bot.services.family_import import find_admin, store_families, village_names
from bot.services.import_file import check_file
from tests.e2e.conftest import BotHarness

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "contoh-keluarga.csv"
DESA_BUTTON = "Desa Sampanahan, Kec. Sampanahan"
SETTLE = 30.0


async def test_worked_example_imported_from_the_example_file_shows_ikk_87_50_in_ikk(
    harness: BotHarness,
) -> None:
    admin = await harness.register(3001, Role.ADMIN, "63", first_name="Operator")
    ctx = ServiceContext.create(harness.database.session_factory)
    admin_id, _ = await find_admin(ctx, 3001)
    checked = check_file(EXAMPLE, ctx.instrument, await village_names(ctx),
                         default_period=2025, default_source="contoh")
    report = await store_families(ctx, checked, admin_id=admin_id, reason="impor contoh")
    assert (report.created, report.rejected, report.duplicates) == (3, (), ())

    await admin.send("/ikk Sampanahan")
    await harness.settle(timeout=SETTLE)
    await admin.tap(DESA_BUTTON)
    await harness.settle(timeout=SETTLE)
    text = "\n".join(m.visible_text for m in admin.messages())
    assert "IKK Desa Sampanahan" in text
    assert "Periode 2025 · 3 keluarga terkirim" in text
    assert "IKK 87,50 · Kategori 3" in text
