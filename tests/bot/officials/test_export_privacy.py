"""Per-family data stays with the admin: a scan of every workbook a pejabat (or the operator
without --names) can get, and the sensitive columns that only `--names --sensitive` writes.

Families carry distinctive head names so a name leaking anywhere (a cell, a header, a title) is
found by a plain text search; family B reported violence against a child (KSP2 = ya).
"""

from __future__ import annotations

import asyncio
import io
import logging
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from typer.testing import CliRunner, Result

from bot.cli import app
from bot.db.models import AuditEvent
from bot.reporting.workbook import SHEET_FAMILIES
from bot.services.exports import operator_export
from bot.services.official import export_area
from tests.bot.officials.conftest import (
    KECAMATAN,
    KOTABARU,
    PERIOD,
    PROVINCE,
    SAMPANAHAN,
    Officials,
)
from tests.bot.services.conftest import FAMILY_A, FAMILY_B, FAMILY_C, enter_family

DISTINCT_NAMES = ("Zulaikha Qomariyah", "Xaverius Wibisono", "Yohana Kartikasari")
runner = CliRunner()


@pytest.fixture
async def private_families(officials: Officials) -> Officials:
    """The worked example's families A, B, C under names found nowhere else."""
    for name, family in zip(DISTINCT_NAMES, (FAMILY_A, FAMILY_B, FAMILY_C), strict=True):
        await enter_family(officials.ctx, officials.kader, {**family, "H_KEPALA": name},
                           village=SAMPANAHAN, period=PERIOD)
    return officials


def sheets(data: bytes) -> dict[str, list[tuple[object, ...]]]:
    book = load_workbook(io.BytesIO(data), read_only=True)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book}


def assert_no_personal_data(data: bytes, sensitive: frozenset[str]) -> None:
    """Every sheet, every cell: no family sheet, no name, no per-family or sensitive column."""
    book = sheets(data)
    assert SHEET_FAMILIES not in book
    for title, rows in book.items():
        cells = [str(v) for row in rows for v in row if v is not None]
        text = "\n".join(cells)
        assert not any(name in text for name in DISTINCT_NAMES), title
        assert "Nomor keluarga" not in cells and "Nama kepala keluarga" not in cells, title
        # A sensitive code may name an aggregate row (its village percentage), never a column.
        for row in rows:
            headers = [v for v in row if isinstance(v, str)]
            if "Kode desa" in headers or "Kode" in headers:
                assert not sensitive & set(headers), (title, row)


def family_header(data: bytes) -> tuple[object, ...]:
    rows = sheets(data)[SHEET_FAMILIES]
    return next(row for row in rows if row and row[0] == "Nomor keluarga")


async def ikk_bot(url: str, *args: str) -> Result:
    return await asyncio.to_thread(runner.invoke, app, list(args), env={"DATABASE_URL": url})


async def test_no_pejabat_workbook_holds_a_name_a_family_row_or_a_sensitive_column(
    private_families: Officials,
) -> None:
    ctx = private_families.ctx
    sensitive = ctx.instrument.sensitive_names()
    scanned = 0
    for pejabat in (private_families.pejabat_kotabaru, private_families.camat):
        for code in (KOTABARU, KECAMATAN, SAMPANAHAN):
            answer = await export_area(ctx, pejabat, code=code)
            if answer.value is None:  # the camat cannot see the kabupaten
                assert answer.status == "not_found" and code == KOTABARU
                continue
            assert not answer.value.family_sheet and not answer.value.with_names
            assert_no_personal_data(answer.value.data, sensitive)
            scanned += 1
    assert scanned == 5


async def test_no_command_line_workbook_without_names_holds_personal_data(
    private_families: Officials, migrated_database_url: str, tmp_path: Path
) -> None:
    sensitive = private_families.ctx.instrument.sensitive_names()
    for code in (PROVINCE, KOTABARU, KECAMATAN, SAMPANAHAN):
        out = tmp_path / f"{code}.xlsx"
        result = await ikk_bot(migrated_database_url, "export", "--area", code, str(out))
        assert result.exit_code == 0, result.output
        assert "Tanpa data per keluarga" in result.stdout
        assert_no_personal_data(out.read_bytes(), sensitive)


async def test_the_admins_chat_workbook_names_families_but_leaves_sensitive_columns_out(
    private_families: Officials,
) -> None:
    answer = await export_area(private_families.ctx, private_families.admin, code=SAMPANAHAN)
    assert answer.value is not None and answer.value.with_names and not answer.value.sensitive
    header = family_header(answer.value.data)
    assert "Nama kepala keluarga" in header and "KSP4" in header
    assert not {"KSP1", "KSP2", "KSP3", "KSB5"} & set(header)
    rows = sheets(answer.value.data)[SHEET_FAMILIES]
    assert {row[4] for row in rows[rows.index(header) + 1:]} == set(DISTINCT_NAMES)


async def test_names_without_sensitive_leave_the_sensitive_scores_unread(
    private_families: Officials,
) -> None:
    named = await operator_export(private_families.ctx, SAMPANAHAN, include_names=True)
    assert named is not None and not named.sensitive
    assert not {"KSP1", "KSP2", "KSP3", "KSB5"} & set(family_header(named.data))
    with pytest.raises(ValueError, match="include_names"):
        await operator_export(private_families.ctx, SAMPANAHAN, include_sensitive=True)


async def test_sensitive_export_writes_the_columns_logs_and_audits_without_personal_data(
    private_families: Officials, migrated_database_url: str, tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    out = tmp_path / "sensitif.xlsx"
    with caplog.at_level(logging.WARNING, logger="bot.services.exports"):
        result = await ikk_bot(migrated_database_url, "export", "--area", SAMPANAHAN,
                               "--names", "--sensitive", str(out))
    assert result.exit_code == 0, result.output
    assert "indikator sensitif" in result.stdout and "audit" in result.stdout
    header = family_header(out.read_bytes())
    assert {"KSP1", "KSP2", "KSP3", "KSB5"} <= set(header)
    rows = sheets(out.read_bytes())[SHEET_FAMILIES]
    ksp2 = header.index("KSP2")
    by_name = {row[4]: row[ksp2] for row in rows[rows.index(header) + 1:]}
    assert by_name == {"Zulaikha Qomariyah": "NA", "Xaverius Wibisono": 0,
                       "Yohana Kartikasari": 1}  # B reported violence against a child
    assert any("sensitive export" in r.getMessage() and SAMPANAHAN in r.getMessage()
               for r in caplog.records)
    async with private_families.ctx.session_factory() as session:
        [event] = (await session.execute(select(AuditEvent))).scalars().all()
    assert event.action == "sensitive_export" and event.actor.startswith("cli")
    assert (event.area_code, event.period, event.family_id) == (SAMPANAHAN, PERIOD, None)
    assert not any(name in str(vars(event)) for name in DISTINCT_NAMES)


async def test_sensitive_without_names_is_refused_and_writes_nothing(
    private_families: Officials, migrated_database_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "x.xlsx"
    result = await ikk_bot(migrated_database_url, "export", "--area", SAMPANAHAN,
                           "--sensitive", str(out))
    assert result.exit_code == 1
    assert "--sensitive hanya bisa bersama --names" in result.stderr
    assert not out.exists()
    async with private_families.ctx.session_factory() as session:
        assert (await session.execute(select(AuditEvent))).scalars().all() == []
