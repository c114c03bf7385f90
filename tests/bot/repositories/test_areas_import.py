"""Importing Kemendagri area lists (the full Kalimantan Selatan file, bad rows, demo set)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.db.engine import SessionFactory
from bot.db.models import Area
from bot.repositories.areas import (
    DEMO_AREAS_CSV,
    AreaFileError,
    AreaImportReport,
    count_areas_by_level,
    import_areas,
    import_areas_csv,
    list_villages,
    load_demo_areas,
    read_area_rows,
)
from bot.repositories.scope import Scope
from ikk_core.areas import AreaLevel

EVERYTHING = Scope.everything()
KOTABARU = Scope.subtree("63.02")
SAMPANAHAN_KADER = Scope.of_villages(["63.02.12.2005"])


async def _import_text(session_factory: SessionFactory, text: str) -> AreaImportReport:
    rows, rejected = read_area_rows(text)
    async with session_factory() as session, session.begin():
        return await import_areas(session, rows, rejected)


# -------------------------------------------------------------------------------------- import


async def test_the_kalimantan_selatan_list_imports_as_2186_areas_at_the_right_levels(
    session_factory: SessionFactory, kalsel_areas_csv: Path
) -> None:
    async with session_factory() as session, session.begin():
        report = await import_areas_csv(session, kalsel_areas_csv)
    assert (report.inserted, report.updated, report.unchanged, report.rejected) == (2186, 0, 0, ())
    async with session_factory() as session:
        counts = await count_areas_by_level(session, EVERYTHING)
    assert counts == {
        AreaLevel.PROVINSI: 1,
        AreaLevel.KABUPATEN: 11,
        AreaLevel.KOTA: 2,
        AreaLevel.KECAMATAN: 156,
        AreaLevel.DESA: 1872,
        AreaLevel.KELURAHAN: 144,
    }
    assert sum(counts.values()) == 2186


@pytest.mark.parametrize("database_seed", ["kalsel"])
async def test_importing_the_same_list_again_changes_nothing(
    session_factory: SessionFactory, kalsel_areas_csv: Path
) -> None:
    async with session_factory() as session, session.begin():
        report = await import_areas_csv(session, kalsel_areas_csv)
    assert (report.inserted, report.updated, report.unchanged, report.rejected) == (0, 0, 2186, ())


@pytest.mark.parametrize("database_seed", ["kalsel"])
async def test_reimporting_a_renamed_area_updates_its_name(
    session_factory: SessionFactory,
) -> None:
    kalsel = session_factory
    async with kalsel() as session:
        before = await session.get(Area, "63.02.12.2005")
    assert before is not None
    report = await _import_text(kalsel, "kode,nama\n63.02.12.2005,Sampanahan Baru\n")
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 0)
    async with kalsel() as session:
        after = await session.get(Area, "63.02.12.2005")
    assert after is not None and after.name == "Sampanahan Baru"
    assert after.updated_at > before.updated_at


async def test_bad_rows_are_reported_with_their_line_and_reason(
    session_factory: SessionFactory,
) -> None:
    text = (
        "kode,nama\n"  # line 1
        "63.02.12.2005,Sampanahan\n"  # 2: child before its parents: fine, parents come below
        "63,Kalimantan Selatan\n"  # 3
        "63.02,Kabupaten Kotabaru\n"  # 4
        "63.02.12,Sampanahan\n"  # 5
        "63.2,Salah Kode\n"  # 6: bad code
        "63.02.13,\n"  # 7: empty name
        "63.02,Kotabaru Lagi\n"  # 8: duplicate of line 4
        "63.09.01.2001,Tanpa Induk\n"  # 9: parent 63.09.01 missing
        "63.02.12.3001,Bukan Desa\n"  # 10: 4th segment must start with 1 or 2
        "\n"  # 11: blank line, ignored
        "63.02.12.1001,Kelurahan Contoh\n"  # 12
    )
    report = await _import_text(session_factory, text)
    assert report.inserted == 5
    reasons = {row.line: row.reason for row in report.rejected}
    assert sorted(reasons) == [6, 7, 8, 9, 10]
    assert "bagian ke-2 harus 2 angka" in reasons[6]
    assert "nama kosong" in reasons[7]
    assert "ganda" in reasons[8] and "baris 4" in reasons[8]
    assert "induk 63.09.01" in reasons[9]
    assert "diawali 2" in reasons[10]
    assert str(report.rejected[0]).startswith("baris 6: ")
    async with session_factory() as session:
        codes = set((await session.scalars(select(Area.code))).all())
        kelurahan = await session.get(Area, "63.02.12.1001")
    assert codes == {"63", "63.02", "63.02.12", "63.02.12.2005", "63.02.12.1001"}
    assert kelurahan is not None and kelurahan.level is AreaLevel.KELURAHAN


async def test_a_row_whose_parent_was_rejected_is_rejected_too(
    session_factory: SessionFactory,
) -> None:
    report = await _import_text(
        session_factory, "kode,nama\n63,Kalimantan Selatan\n63.02,\n63.02.12,Sampanahan\n"
    )
    assert report.inserted == 1
    assert [(row.line, "induk 63.02" in row.reason) for row in report.rejected] == [
        (3, False),
        (4, True),
    ]


async def test_a_semicolon_separated_file_with_a_byte_order_mark_is_read(
    session_factory: SessionFactory,
) -> None:
    report = await _import_text(
        session_factory, "\ufeffKode;Nama\n63;Kalimantan  Selatan\n63.71;Kota Banjarmasin\n"
    )
    assert (report.inserted, report.rejected) == (2, ())
    async with session_factory() as session:
        province = await session.get(Area, "63")
        kota = await session.get(Area, "63.71")
    assert province is not None and province.name == "Kalimantan Selatan"
    assert kota is not None and kota.level is AreaLevel.KOTA


def test_a_file_without_kode_and_nama_columns_is_refused_as_a_whole() -> None:
    with pytest.raises(AreaFileError, match="kolom 'kode' dan 'nama'"):
        read_area_rows("code,name\n63,Kalimantan Selatan\n")
    with pytest.raises(AreaFileError, match="kosong"):
        read_area_rows("")


async def test_the_demo_set_is_the_province_its_13_regencies_and_sampanahan_with_10_villages(
    session_factory: SessionFactory,
) -> None:
    async with session_factory() as session, session.begin():
        report = await load_demo_areas(session)
    assert (report.inserted, report.rejected) == (25, ())
    async with session_factory() as session:
        counts = await count_areas_by_level(session, EVERYTHING)
        villages = await list_villages(session, "63.02.12", EVERYTHING)
    assert counts == {
        AreaLevel.PROVINSI: 1,
        AreaLevel.KABUPATEN: 11,
        AreaLevel.KOTA: 2,
        AreaLevel.KECAMATAN: 1,
        AreaLevel.DESA: 10,
    }
    assert [v.code for v in villages] == [f"63.02.12.20{n:02d}" for n in range(1, 11)]


def test_the_demo_rows_are_copied_exactly_from_the_official_list(kalsel_areas_csv: Path) -> None:
    official = set(kalsel_areas_csv.read_text(encoding="utf-8-sig").splitlines()[1:])
    demo = DEMO_AREAS_CSV.read_text(encoding="utf-8").splitlines()
    assert demo[0] == "kode,nama"
    assert len(demo[1:]) == 25
    assert set(demo[1:]) <= official
