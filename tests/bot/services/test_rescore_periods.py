"""`ikk-bot rescore` keeps each earlier period on the instrument it was scored with; rescoring
every period takes `--semua-periode` and a confirmation (`--ya` answers it)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from bot.cli import app
from bot.db.models import Family, FamilyScore, Response
from bot.services.rescore_periods import PeriodOnRecord, periods_on_record, periods_to_rescore
from ikk_core.instrument_io import write_yaml
from tests.bot.services.conftest import (
    FAMILY_A,
    FAMILY_B,
    FAMILY_C,
    PERIOD,
    World,
    enter_family,
    lower_poverty_line,
)

NEW_VERSION = "2026.1-garis300"
runner = CliRunner()


@pytest.fixture
async def two_periods(world: World) -> World:
    for period in (PERIOD - 1, PERIOD):
        for family in (FAMILY_A, FAMILY_B, FAMILY_C):
            await enter_family(world.ctx, world.kader, family, period=period)
    return world


async def versions_by_period(world: World) -> dict[int, set[str]]:
    async with world.ctx.session_factory() as session:
        rows = (await session.execute(
            select(Family.period, FamilyScore.instrument_version)
            .join(Response, Response.family_id == Family.id)
            .join(FamilyScore, FamilyScore.response_id == Response.id)
            .distinct()
        )).all()
    found: dict[int, set[str]] = {}
    for period, version in rows:
        found.setdefault(period, set()).add(version)
    return found


async def rescore_cli(url: str, path: Path, *args: str, answer: str | None = None) -> Result:
    return await asyncio.to_thread(
        runner.invoke, app, ["rescore", "--instrument", str(path), *args], input=answer,
        env={"DATABASE_URL": url},
    )


@pytest.fixture
def new_instrument(two_periods: World, tmp_path: Path) -> Path:
    path = tmp_path / "instrumen-baru.yaml"
    write_yaml(lower_poverty_line(two_periods.ctx.instrument), path)
    return path


def test_by_default_only_the_latest_period_is_rescored() -> None:
    on_record = [PeriodOnRecord(2025, 3, (("i", "2"),)), PeriodOnRecord(2024, 3, (("i", "1"),))]
    assert periods_to_rescore(on_record, period=None, every_period=False) == [2025]
    assert periods_to_rescore(on_record, period=2024, every_period=False) == [2024]
    assert periods_to_rescore(on_record, period=None, every_period=True) == [2025, 2024]
    assert periods_to_rescore([], period=None, every_period=False) == []


async def test_the_periods_on_record_name_the_instrument_that_scored_them(
    two_periods: World,
) -> None:
    found = await periods_on_record(two_periods.ctx.session_factory)
    ins = two_periods.ctx.instrument
    assert [(p.period, p.families) for p in found] == [(PERIOD, 3), (PERIOD - 1, 3)]
    assert all(p.instruments == ((ins.id, ins.version),) for p in found)


async def test_rescore_keeps_the_earlier_period_on_its_instrument_and_says_so(
    two_periods: World, migrated_database_url: str, new_instrument: Path
) -> None:
    old = two_periods.ctx.instrument.version
    result = await rescore_cli(migrated_database_url, new_instrument)
    assert result.exit_code == 0, result.output
    assert f"Periode yang dihitung ulang: {PERIOD}" in result.stdout
    assert "dihitung ulang: 3" in result.stdout
    assert (f"Periode {PERIOD - 1} tidak diubah: tetap dengan skor "
            f"{two_periods.ctx.instrument.id} versi {old} (3 keluarga).") in result.stdout
    assert "--semua-periode" in result.stdout
    assert await versions_by_period(two_periods) == {PERIOD: {NEW_VERSION}, PERIOD - 1: {old}}


async def test_rescoring_every_period_asks_first_and_a_no_changes_nothing(
    two_periods: World, migrated_database_url: str, new_instrument: Path
) -> None:
    before = await versions_by_period(two_periods)
    refused = await rescore_cli(migrated_database_url, new_instrument, "--semua-periode",
                                answer="n\n")
    assert refused.exit_code == 1
    assert f"Hitung ulang SEMUA periode ({PERIOD}, {PERIOD - 1})" in refused.stdout
    assert "Dibatalkan: tidak ada skor yang diubah." in refused.stdout
    assert await versions_by_period(two_periods) == before

    agreed = await rescore_cli(migrated_database_url, new_instrument, "--semua-periode",
                               answer="y\n")
    assert agreed.exit_code == 0, agreed.output
    assert "dihitung ulang: 6" in agreed.stdout and "tidak diubah" not in agreed.stdout
    assert await versions_by_period(two_periods) == {PERIOD: {NEW_VERSION},
                                                     PERIOD - 1: {NEW_VERSION}}


async def test_ya_rescores_every_period_without_asking(
    two_periods: World, migrated_database_url: str, new_instrument: Path
) -> None:
    result = await rescore_cli(migrated_database_url, new_instrument, "--semua-periode", "--ya")
    assert result.exit_code == 0, result.output
    assert "SEMUA periode" not in result.stdout
    assert f"Periode yang dihitung ulang: {PERIOD}, {PERIOD - 1}" in result.stdout
    assert await versions_by_period(two_periods) == {PERIOD: {NEW_VERSION},
                                                     PERIOD - 1: {NEW_VERSION}}


async def test_a_period_and_every_period_together_are_refused(
    two_periods: World, migrated_database_url: str, new_instrument: Path
) -> None:
    result = await rescore_cli(migrated_database_url, new_instrument, "--semua-periode",
                               "--period", str(PERIOD))
    assert result.exit_code == 2 and "Pilih salah satu" in result.stderr


def test_the_help_explains_the_options_in_indonesian() -> None:
    shown = runner.invoke(app, ["rescore", "--help"], env={"COLUMNS": "200"}).stdout
    assert "--semua-periode" in shown and "--ya" in shown
    assert "periode lain tetap memakai" in shown
