"""Rescoring after an instrument change: a rule changed in a copied instrument, and the CLI."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import app
from bot.db.models import Answer, Family, FamilyScore, Response
from bot.services.context import ServiceContext
from bot.services.reports import area_report
from bot.services.submission import rescore
from ikk_core.instrument_io import write_yaml
from ikk_core.scoring import score_family
from ikk_core.values import from_storage
from tests.bot.services.conftest import (
    FAMILY_A,
    FAMILY_B,
    FAMILY_C,
    PERIOD,
    SAMPANAHAN,
    World,
    enter_family,
    lower_poverty_line,
)


@pytest.fixture
async def three_families(world: World) -> World:
    for family in (FAMILY_A, FAMILY_B, FAMILY_C):
        await enter_family(world.ctx, world.kader, family)
    return world


async def _stored(world: World) -> dict[int, tuple[float | None, str | None, dict[str, int | None],
                                                set[str]]]:
    async with world.ctx.session_factory() as session:
        responses = (await session.scalars(select(Response))).all()
        out = {}
        for r in responses:
            rows = (await session.execute(
                select(FamilyScore.indicator, FamilyScore.score, FamilyScore.instrument_version)
                .where(FamilyScore.response_id == r.id)
            )).all()
            out[r.id] = (
                r.family_score_pct, r.family_band, {i: s for i, s, _ in rows},
                {v for _, _, v in rows},
            )
        return out


async def test_rescore_with_a_changed_rule_stores_what_score_family_computes(
    three_families: World,
) -> None:
    world = three_families
    changed_instrument = lower_poverty_line(world.ctx.instrument)
    newer = ServiceContext(world.ctx.session_factory, changed_instrument)
    before = await area_report(newer, world.admin, SAMPANAHAN)
    assert before is not None
    assert before.outdated == 3  # scored by 2026.1, reported with the changed instrument
    assert before.result.indicator("KE2").value == pytest.approx(100 / 3)

    report = await rescore(world.ctx.session_factory, changed_instrument, batch_size=2)
    assert (report.responses, report.changed, report.incomplete) == (3, 2, 0)
    assert report.instrument_version == "2026.1-garis300"

    stored = await _stored(world)
    async with world.ctx.session_factory() as session:
        for response_id, (pct, band, scores, versions) in stored.items():
            answers = {
                q: from_storage(changed_instrument.question(q), v)
                for q, v in (await session.execute(
                    select(Answer.question, Answer.value).where(
                        Answer.response_id == response_id
                    )
                )).all()
            }
            village = await session.scalar(
                select(Family.village_code).join(Response, Response.family_id == Family.id)
                .where(Response.id == response_id)
            )
            expected = score_family(changed_instrument, answers, village)
            assert scores == dict(expected.scores)
            assert pct == pytest.approx(expected.score)
            assert band == (expected.band.name if expected.band else None)
            assert versions == {"2026.1-garis300"}

    after = await area_report(newer, world.admin, SAMPANAHAN)
    assert after is not None and after.outdated == 0
    assert after.result.indicator("KE2").value == 100.0
    assert "KE2" not in {i.code for i in after.result.red}


async def test_a_red_threshold_change_needs_no_rescore_only_a_new_report(
    three_families: World,
) -> None:
    world = three_families
    settings = dataclasses.replace(world.ctx.instrument.settings, red_threshold=50.0)
    laxer = dataclasses.replace(world.ctx.instrument, settings=settings)
    report = await area_report(ServiceContext(world.ctx.session_factory, laxer), world.admin,
                               SAMPANAHAN)
    assert report is not None
    # Values of the example are 33,33 (KE2), 50 (LS2, KE5, KE8, KSP2), 66,67 (KF1, KE1, KE6)
    # and 100: under 50 only KE2 is left red. Scores are untouched, so the IKK stays 87,50.
    assert [i.code for i in report.result.red] == ["KE2"]
    assert report.result.ikk == pytest.approx(87.5) and report.outdated == 0


async def test_rescore_of_another_period_touches_nothing(three_families: World) -> None:
    world = three_families
    before = await _stored(world)
    report = await rescore(world.ctx.session_factory, lower_poverty_line(world.ctx.instrument),
                           period=PERIOD + 1)
    assert report.responses == 0
    assert await _stored(world) == before


async def test_ikk_bot_rescore_prints_the_counts(
    three_families: World, migrated_database_url: str, tmp_path: Path
) -> None:
    world = three_families
    path = tmp_path / "instrumen-baru.yaml"
    write_yaml(lower_poverty_line(world.ctx.instrument), path)
    runner = CliRunner()
    result = await asyncio.to_thread(
        runner.invoke, app,
        ["rescore", "--instrument", str(path), "--period", str(PERIOD)],
        env={"DATABASE_URL": migrated_database_url},
    )
    assert result.exit_code == 0, result.output
    assert "ikk-kalsel-default versi 2026.1-garis300" in result.stdout
    assert "dihitung ulang: 3" in result.stdout
    assert "berubah: 2" in result.stdout
    again = await asyncio.to_thread(
        runner.invoke, app, ["rescore", "--instrument", str(path)],
        env={"DATABASE_URL": migrated_database_url},
    )
    assert again.exit_code == 0 and "berubah: 0" in again.stdout
    broken = tmp_path / "rusak.yaml"
    broken.write_text("settings: {}\n", encoding="utf-8")
    refused = await asyncio.to_thread(
        runner.invoke, app, ["rescore", "--instrument", str(broken)],
        env={"DATABASE_URL": migrated_database_url},
    )
    assert refused.exit_code == 2 and "tidak dapat dipakai" in refused.stderr
