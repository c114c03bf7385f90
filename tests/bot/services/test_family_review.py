"""Supervisor review (issue 13 part 4) through the services and the command line, both databases.

A supervisor of Kecamatan Sampanahan marks submitted families "terverifikasi" or "perlu dicek"
with a reason; every change is an audit row without personal data; a family elsewhere is
refused in the data layer; the kader sees the flag in /keluarga and her correction sends the
family back to "belum diperiksa".
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import app
from bot.db.engine import run_in_transaction
from bot.db.models import AuditEvent, Response, ReviewStatus, Role
from bot.repositories.reviews import ACTION_REVIEW, ReviewError, ReviewStale, clean_reason
from bot.repositories.scope import OutOfScope
from bot.repositories.users import UserError, add_user, set_role
from bot.services.answering import open_for_edit, record_answer
from bot.services.families import list_families
from bot.services.family_review import mark_family, review_page, show_family
from tests.bot.services.conftest import (
    BATAKAN,
    FAMILY_A,
    FAMILY_B,
    KECAMATAN,
    PERIOD,
    SAMPANAHAN,
    World,
    enter_family,
    next_update_id,
)
from tests.bot.services.test_family_import import (
    QUESTIONS,
    run_import,
    worked_rows,
    write_csv,
)

runner = CliRunner()


async def supervisor_of(world: World, area: str = KECAMATAN, telegram_id: int = 401) -> int:
    async def work(session):  # type: ignore[no-untyped-def]
        user = await add_user(session, telegram_id=telegram_id, role=Role.SUPERVISOR,
                              area_code=area, display_name="Bu Supervisor")
        return user.id

    return int(await run_in_transaction(world.ctx.session_factory, work))


async def submitted(world: World, kader: int, family: dict[str, str], village: str = SAMPANAHAN
                    ) -> tuple[int, int]:
    """(family id, response id) of a family entered and submitted by `kader`."""
    done = await enter_family(world.ctx, kader, family, village=village)
    assert done.position is not None
    rid = done.position.response_id
    async with world.ctx.session_factory() as session:
        family_id = await session.scalar(select(Response.family_id).where(Response.id == rid))
    return int(family_id or 0), rid


async def review_audit(world: World) -> list[AuditEvent]:
    async with world.ctx.session_factory() as session:
        rows = await session.scalars(
            select(AuditEvent).where(AuditEvent.action == ACTION_REVIEW).order_by(AuditEvent.id)
        )
        return list(rows.all())


async def test_a_supervisor_verifies_and_flags_families_and_every_change_is_audited(
    world: World,
) -> None:
    supervisor = await supervisor_of(world)
    family_a, _ = await submitted(world, world.kader, FAMILY_A)
    family_b, _ = await submitted(world, world.kader, FAMILY_B)
    queue = await review_page(world.ctx, supervisor)
    assert [item.family_id for item in queue.items] == [family_a, family_b]
    assert queue.items[0].cadre_name == "Siti Kader"

    done = await mark_family(world.ctx, supervisor, family_a, ReviewStatus.VERIFIED)
    assert (done.old, done.new, done.changed) == (
        ReviewStatus.PENDING, ReviewStatus.VERIFIED, True)
    flagged = await mark_family(world.ctx, supervisor, family_b, ReviewStatus.NEEDS_CHECK,
                                "  RT   tidak cocok dengan KK ")
    assert flagged.changed
    again = await mark_family(world.ctx, supervisor, family_a, ReviewStatus.VERIFIED)
    assert not again.changed  # a double tap writes nothing

    assert (await review_page(world.ctx, supervisor)).total == 0
    audit = await review_audit(world)
    assert [(e.family_id, e.reason, e.actor) for e in audit] == [
        (family_a, "belum → terverifikasi", f"user:{supervisor}"),
        (family_b, "belum → perlu_dicek", f"user:{supervisor}"),
    ]
    assert all("RT" not in (e.reason or "") for e in audit)  # the reason text stays out


async def test_a_verdict_on_what_the_family_was_before_the_kaders_change_is_refused(
    world: World,
) -> None:
    supervisor = await supervisor_of(world)
    family, rid = await submitted(world, world.kader, FAMILY_A)
    seen = await show_family(world.ctx, supervisor, family)
    listed = await list_families(world.ctx, world.kader, PERIOD)
    opened = await open_for_edit(world.ctx, world.kader, rid, "H_RT", listed[0].version)
    assert opened.position is not None
    await record_answer(world.ctx, world.kader, rid, "H_RT", "4", opened.position.version,
                        next_update_id())
    with pytest.raises(ReviewStale):
        await mark_family(world.ctx, supervisor, family, ReviewStatus.VERIFIED,
                          seen_version=seen.item.version)
    fresh = await show_family(world.ctx, supervisor, family)
    done = await mark_family(world.ctx, supervisor, family, ReviewStatus.VERIFIED,
                             seen_version=fresh.item.version)
    assert done.changed and await review_audit(world) != []


async def test_a_family_outside_the_supervisors_kecamatan_is_refused_in_the_data_layer(
    world: World,
) -> None:
    supervisor = await supervisor_of(world)
    elsewhere, _ = await submitted(world, world.kader_batakan, FAMILY_A, village=BATAKAN)
    with pytest.raises(OutOfScope):
        await mark_family(world.ctx, supervisor, elsewhere, ReviewStatus.VERIFIED)
    with pytest.raises(OutOfScope):
        await show_family(world.ctx, supervisor, elsewhere)
    with pytest.raises(OutOfScope):
        await mark_family(world.ctx, supervisor, 999_999, ReviewStatus.VERIFIED)
    assert await review_audit(world) == []


async def test_a_pejabat_or_kader_cannot_review(world: World) -> None:
    family, _ = await submitted(world, world.kader, FAMILY_A)
    for someone in (world.pejabat_kotabaru, world.kader):
        with pytest.raises(OutOfScope):
            await mark_family(world.ctx, someone, family, ReviewStatus.VERIFIED)


async def test_the_admin_reviews_everywhere(world: World) -> None:
    family, _ = await submitted(world, world.kader_batakan, FAMILY_A, village=BATAKAN)
    done = await mark_family(world.ctx, world.admin, family, ReviewStatus.VERIFIED)
    assert done.changed


@pytest.mark.parametrize(
    "typed", ["", "ab", "   x  ", "\u200b\u200b\u200b", "bad\x00text", "a" * 301]
)
def test_a_bad_reason_is_refused_with_an_indonesian_way_forward(typed: str) -> None:
    with pytest.raises(ReviewError) as refused:
        clean_reason(typed)
    assert "Alasan" in str(refused.value)


def test_a_reason_is_cleaned_like_a_name() -> None:
    assert clean_reason(" RT\u202e  salah\n tulis ") == "RT salah tulis"
    assert len(clean_reason("a" * 300)) == 300


async def test_perlu_dicek_without_a_reason_is_refused_and_nothing_changes(world: World) -> None:
    supervisor = await supervisor_of(world)
    family, _ = await submitted(world, world.kader, FAMILY_A)
    with pytest.raises(ReviewError):
        await mark_family(world.ctx, supervisor, family, ReviewStatus.NEEDS_CHECK, "x")
    with pytest.raises(ReviewError):
        await mark_family(world.ctx, supervisor, family, ReviewStatus.NEEDS_CHECK)
    assert (await review_page(world.ctx, supervisor)).total == 1
    assert await review_audit(world) == []


async def test_the_kader_sees_the_flag_and_her_correction_resets_the_review(world: World) -> None:
    supervisor = await supervisor_of(world)
    family, rid = await submitted(world, world.kader, FAMILY_B)
    await mark_family(world.ctx, supervisor, family, ReviewStatus.NEEDS_CHECK, "RT salah")
    listed = await list_families(world.ctx, world.kader, PERIOD)
    assert [(f.review, f.review_reason) for f in listed] == [
        (ReviewStatus.NEEDS_CHECK, "RT salah")]

    version = listed[0].version
    opened = await open_for_edit(world.ctx, world.kader, rid, "H_RT", version)
    assert opened.position is not None
    changed = await record_answer(world.ctx, world.kader, rid, "H_RT", "3",
                                  opened.position.version, next_update_id())
    assert changed.kind == "recorded"
    listed = await list_families(world.ctx, world.kader, PERIOD)
    assert listed[0].review is ReviewStatus.PENDING
    assert [i.family_id for i in (await review_page(world.ctx, supervisor)).items] == [family]
    audit = await review_audit(world)
    assert audit[-1].reason == "perlu_dicek → belum (diubah kader)"
    assert audit[-1].actor == f"user:{world.kader}"


async def test_sensitive_answers_are_hidden_from_a_supervisor_but_not_from_the_admin(
    world: World,
) -> None:
    supervisor = await supervisor_of(world)
    family, _ = await submitted(world, world.kader, FAMILY_A)
    seen = await show_family(world.ctx, supervisor, family)
    labels = {line.label for line in seen.answers}
    sensitive = world.ctx.instrument.sensitive_names()
    shown_sensitive = {
        world.ctx.instrument.question(name).short("id")
        for name in sensitive if world.ctx.instrument.has_question(name)
    }
    assert 0 < seen.hidden <= len(shown_sensitive)  # those asked of this family
    assert not labels & shown_sensitive
    assert "Nama kepala keluarga" in labels or any("kepala" in label.lower() for label in labels)
    admin_view = await show_family(world.ctx, world.admin, family)
    assert admin_view.hidden == 0 and len(admin_view.answers) == len(seen.answers) + seen.hidden


async def test_a_supervisor_must_be_bound_to_a_kecamatan_or_kabupaten(world: World) -> None:
    async def work(session):  # type: ignore[no-untyped-def]
        await set_role(session, 401, Role.SUPERVISOR, SAMPANAHAN)

    await supervisor_of(world)
    with pytest.raises(UserError, match="kecamatan"):
        await run_in_transaction(world.ctx.session_factory, work)


async def test_the_operator_reviews_from_the_command_line(
    world: World, migrated_database_url: str
) -> None:
    family, _ = await submitted(world, world.kader, FAMILY_A)

    async def cli(*args: str):  # type: ignore[no-untyped-def]
        return await asyncio.to_thread(
            runner.invoke, app, ["families", "review", *args],
            env={"DATABASE_URL": migrated_database_url},
        )

    refused = await cli("--id", str(family), "--status", "perlu-dicek", "--alasan", "x")
    assert refused.exit_code == 1 and "terlalu pendek" in refused.output
    done = await cli("--id", str(family), "--status", "perlu-dicek", "--alasan", "RT salah")
    assert done.exit_code == 0, done.output
    assert "belum diperiksa → perlu dicek" in done.output
    again = await cli("--id", str(family), "--status", "perlu-dicek", "--alasan", "RT salah")
    assert again.exit_code == 0 and "tidak ada yang diubah" in again.output
    unknown = await cli("--id", "999999", "--status", "terverifikasi")
    assert unknown.exit_code == 1
    wrong = await cli("--id", str(family), "--status", "oke")
    assert wrong.exit_code == 1 and "tidak dikenal" in wrong.output
    audit = await review_audit(world)
    assert len(audit) == 1 and audit[0].family_id == family


async def test_an_import_that_changes_a_reviewed_family_sends_it_back_for_review(
    world: World, tmp_path: Path
) -> None:
    supervisor = await supervisor_of(world)
    columns = ["desa", "id_luar", *QUESTIONS]
    rows = worked_rows()
    await run_import(world, write_csv(tmp_path / "v1.csv", rows, columns))
    queue = await review_page(world.ctx, supervisor)
    for item in queue.items:
        await mark_family(world.ctx, supervisor, item.family_id, ReviewStatus.VERIFIED)
    rows[0]["LS1"] = "Tidak"  # family A changed at the source
    await run_import(world, write_csv(tmp_path / "v2.csv", rows, columns))
    waiting = await review_page(world.ctx, supervisor)
    assert [i.family.head_name for i in waiting.items] == ["Ahmad Fauzi"]
    audit = await review_audit(world)
    assert audit[-1].reason == "terverifikasi → belum (diubah impor)"
    assert audit[-1].actor == f"import:{world.admin}"
