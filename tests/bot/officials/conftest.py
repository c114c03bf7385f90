"""A small province for the officials' services, on both databases.

Areas: Kabupaten Kotabaru with Kecamatan Sampanahan (Desa Sampanahan, Sampanahan Hilir, Sepapah,
Sungai Betung) and Kecamatan Hampang (Desa Hulu Sampanahan), and Kabupaten Tanah Laut with one
kecamatan and village: "Sampanahan" is a kecamatan, a desa, and part of two more village names.
People: a kader of Desa Sampanahan and Desa Sampanahan Hilir, a kader of Sepapah, a pejabat of
Kotabaru, a pejabat of Tanah Laut, a pejabat of Kecamatan Sampanahan, a provincial admin.
Families are entered and submitted through the services (`enter_family`), never by raw SQL.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import SessionFactory, run_in_transaction
from bot.db.models import Role
from bot.repositories.areas import import_areas, read_area_rows
from bot.repositories.users import add_kader_village, add_user
from bot.services.context import ServiceContext
from ikk_core.instrument_io import load_default_instrument
from tests.bot.services.conftest import FAMILY_A, FAMILY_B, FAMILY_C, enter_family

PERIOD = 2025
SAMPANAHAN = "63.02.12.2005"
SAMPANAHAN_HILIR = "63.02.12.2008"
SEPAPAH = "63.02.12.2001"
SUNGAI_BETUNG = "63.02.12.2002"
HULU_SAMPANAHAN = "63.02.14.2008"
KECAMATAN = "63.02.12"
KOTABARU = "63.02"
TANAH_LAUT = "63.01"
PROVINCE = "63"
HEAD_NAMES = ("Ahmad Fauzi", "Budi Santoso", "Citra Lestari")
"""The heads of the worked example's families A, B and C: never in an official's view."""

AREAS_CSV = """kode,nama
63,Kalimantan Selatan
63.01,Kabupaten Tanah Laut
63.01.01,Panyipatan
63.01.01.2001,Batakan
63.02,Kabupaten Kotabaru
63.02.12,Sampanahan
63.02.12.2001,Sepapah
63.02.12.2002,Sungai Betung
63.02.12.2005,Sampanahan
63.02.12.2008,Sampanahan Hilir
63.02.14,Hampang
63.02.14.2008,Hulu Sampanahan
"""


@dataclass(frozen=True)
class Officials:
    ctx: ServiceContext
    kader: int  # Desa Sampanahan and Desa Sampanahan Hilir
    kader_sepapah: int
    pejabat_kotabaru: int
    pejabat_tanah_laut: int
    camat: int  # pejabat of Kecamatan Sampanahan
    admin: int


async def _populate(session_factory: SessionFactory) -> dict[str, int]:
    async def work(session: AsyncSession) -> dict[str, int]:
        rows, rejected = read_area_rows(AREAS_CSV)
        assert not rejected
        await import_areas(session, rows)
        people = {
            "kader": (101, Role.KADER, SAMPANAHAN, "Siti Kader"),
            "kader_sepapah": (103, Role.KADER, SEPAPAH, "Nur Kader"),
            "pejabat_kotabaru": (201, Role.PEJABAT, KOTABARU, "Pak Kadis"),
            "pejabat_tanah_laut": (202, Role.PEJABAT, TANAH_LAUT, "Bu Kadis"),
            "camat": (203, Role.PEJABAT, KECAMATAN, "Pak Camat"),
            "admin": (301, Role.ADMIN, PROVINCE, "Operator DP3A"),
        }
        ids = {}
        for key, (telegram_id, role, area, name) in people.items():
            user = await add_user(
                session, telegram_id=telegram_id, role=role, area_code=area, display_name=name
            )
            ids[key] = user.id
            if key == "kader":
                await add_kader_village(session, user, SAMPANAHAN_HILIR)
        return ids

    return await run_in_transaction(session_factory, work)


@pytest.fixture
async def officials(session_factory: SessionFactory) -> Officials:
    """Areas and people; every figure of these few-family samples is shown (MIN_CELL=1,
    MIN_FAMILIES=1, the configuration for a tiny sample; suppression at the production defaults
    is tested in tests/bot/services/test_report_disclosure.py)."""
    ids = await _populate(session_factory)
    ctx = ServiceContext(session_factory=session_factory, instrument=load_default_instrument(),
                         min_cell=1, min_families=1)
    return Officials(ctx=ctx, **ids)


@pytest.fixture
async def worked_example(officials: Officials) -> Officials:
    """The spec's families A, B and C submitted in Desa Sampanahan (IKK 87,50)."""
    for family in (FAMILY_A, FAMILY_B, FAMILY_C):
        await enter_family(officials.ctx, officials.kader, family, village=SAMPANAHAN,
                           period=PERIOD)
    return officials
