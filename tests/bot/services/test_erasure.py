"""Right to erasure: `delete_family` and `ikk-bot families delete`, on both databases.

Families are entered and edited through the services; after an erasure nothing of the family is
left but an audit row without personal data, the village counts equal a recount from scratch,
and no list, stale button or redelivered update brings the family back.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from bot.cli import app
from bot.db.models import Answer, AnswerChange, AuditEvent, Family, FamilyScore, Response
from bot.db.models import Base as Model
from bot.repositories.scores import count_rows, rebuild_counts
from bot.services.answering import current_position, open_for_edit, record_answer
from bot.services.erasure import delete_family, find_families
from bot.services.families import list_families
from bot.services.reports import area_report
from tests.bot.services.conftest import (
    FAMILY_A,
    FAMILY_B,
    PERIOD,
    SAMPANAHAN,
    World,
    enter_family,
    next_update_id,
)

runner = CliRunner()
HEAD_B = "Budi Santoso"


async def count(world: World, model: type[Model], **where: object) -> int:
    async with world.ctx.session_factory() as session:
        query = select(func.count()).select_from(model)
        for column, value in where.items():
            query = query.where(getattr(model, column) == value)
        return int(await session.scalar(query) or 0)


async def two_families_b_edited(world: World) -> tuple[int, int, int]:
    """Families A and B submitted, B then edited once (an answer_change row with old values).
    Returns (family id of B, response id of B, the update id of B's last answer)."""
    await enter_family(world.ctx, world.kader, FAMILY_A)
    done = await enter_family(world.ctx, world.kader, FAMILY_B)
    assert done.position is not None
    rid = done.position.response_id
    opened = await open_for_edit(world.ctx, world.kader, rid, "KE1", done.position.version)
    assert opened.position is not None
    update_id = next_update_id()
    changed = await record_answer(world.ctx, world.kader, rid, "KE1", "tidak",
                                  opened.position.version, update_id)
    assert changed.kind == "recorded"
    async with world.ctx.session_factory() as session:
        family_id = await session.scalar(select(Response.family_id).where(Response.id == rid))
    assert family_id is not None
    return int(family_id), rid, update_id


async def counts_equal_a_recount(world: World) -> bool:
    async with world.ctx.session_factory() as session, session.begin():
        kept = await count_rows(session)
        await rebuild_counts(session)
        rebuilt = await count_rows(session)
        await session.rollback()
    # Rows are never deleted (a zero row is harmless); compare the non-zero ones.
    return [r for r in kept if r[-3]] == [r for r in rebuilt if r[-3]]


async def test_erasing_a_submitted_family_removes_everything_of_it_and_recounts_the_village(
    world: World,
) -> None:
    family_id, rid, _ = await two_families_b_edited(world)
    assert await count(world, AnswerChange, response_id=rid) == 1
    before = await area_report(world.ctx, world.admin, SAMPANAHAN, PERIOD)
    assert before is not None and before.submitted == 2

    erased = await delete_family(world.ctx, family_id, actor="cli:operator", reason="permintaan")

    assert erased is not None and erased.was_submitted
    assert (erased.answer_changes, erased.scores) == (1, 29) and erased.answers > 29
    for model, column in ((Answer, "response_id"), (AnswerChange, "response_id"),
                          (FamilyScore, "response_id"), (Response, "id")):
        assert await count(world, model, **{column: rid}) == 0, model
    assert await count(world, Family, id=family_id) == 0
    assert await count(world, Family) == 1 and await count(world, FamilyScore) == 29
    assert await counts_equal_a_recount(world)
    after = await area_report(world.ctx, world.admin, SAMPANAHAN, PERIOD)
    assert after is not None and after.submitted == 1
    assert after.result.ikk == pytest.approx(100.0)  # family A meets all its 18 indicators


async def test_the_audit_row_says_who_when_where_and_why_but_not_whom(world: World) -> None:
    family_id, _, _ = await two_families_b_edited(world)
    erased = await delete_family(world.ctx, family_id, actor="cli:operator", reason="permintaan")
    assert erased is not None
    async with world.ctx.session_factory() as session:
        [event] = (await session.scalars(select(AuditEvent))).all()
    assert event.id == erased.audit_id
    assert (event.action, event.actor, event.area_code, event.period, event.family_id,
            event.reason) == ("family_deleted", "cli:operator", SAMPANAHAN, PERIOD, family_id,
                              "permintaan")
    assert event.at is not None
    assert "Budi" not in repr(vars(event)) and "Santoso" not in repr(vars(event))


async def test_nothing_brings_an_erased_family_back(world: World) -> None:
    family_id, rid, update_id = await two_families_b_edited(world)
    async with world.ctx.session_factory() as session:
        version = await session.scalar(select(Response.version).where(Response.id == rid))
    assert version is not None
    await delete_family(world.ctx, family_id, actor="cli")

    for actor in (world.kader, world.admin):  # /keluarga of the kader and of the admin
        listed = await list_families(world.ctx, actor, PERIOD)
        assert [f.family.head_name for f in listed] == ["Ahmad Fauzi"]
    assert (await current_position(world.ctx, world.kader, rid)).kind == "not_found"
    stale = await record_answer(world.ctx, world.kader, rid, "KE1", "ya", version,
                                next_update_id())  # an old button of the family's card
    redelivered = await record_answer(world.ctx, world.kader, rid, "KE1", "tidak", version - 1,
                                      update_id)  # Telegram delivers the last update again
    assert stale.kind == "not_found"
    # The processed-update record holds the update id only: it answers "already handled".
    assert redelivered.kind == "already_processed" and redelivered.position is None
    assert stale.message and "tidak ditemukan" in stale.message.lower()
    assert await count(world, Response, id=rid) == 0 and await count(world, Answer,
                                                                     response_id=rid) == 0
    assert await count(world, Family) == 1


async def test_erasing_a_family_that_does_not_exist_changes_nothing(world: World) -> None:
    await enter_family(world.ctx, world.kader, FAMILY_A)
    assert await delete_family(world.ctx, 987654, actor="cli") is None
    assert await count(world, AuditEvent) == 0 and await count(world, Family) == 1


async def test_a_family_is_found_by_village_and_head_name_written_differently(
    world: World,
) -> None:
    family_id, _, _ = await two_families_b_edited(world)
    [found] = await find_families(world.ctx, village_code=SAMPANAHAN, head="bapak BUDI santoso")
    assert (found.family_id, found.head_name, found.rt) == (family_id, HEAD_B, 2)
    assert await find_families(world.ctx, village_code="63.02.12.2001", head=HEAD_B) == []


# ------------------------------------------------------------------------- the command line


async def ikk_bot(url: str, *args: str, typed: str | None = None) -> Result:
    return await asyncio.to_thread(
        runner.invoke, app, ["families", "delete", *args], input=typed,
        env={"DATABASE_URL": url},
    )


async def test_the_command_asks_for_the_family_number_and_deletes_only_when_it_matches(
    world: World, migrated_database_url: str
) -> None:
    family_id, _, _ = await two_families_b_edited(world)
    wrong = await ikk_bot(migrated_database_url, "--id", str(family_id), typed="1\n")
    assert wrong.exit_code == 1
    assert "Dibatalkan" in wrong.output and await count(world, Family, id=family_id) == 1
    empty = await ikk_bot(migrated_database_url, "--id", str(family_id), typed="")
    assert empty.exit_code == 1 and await count(world, Family, id=family_id) == 1
    assert await count(world, AuditEvent) == 0

    done = await ikk_bot(migrated_database_url, "--id", str(family_id), "--reason", "permintaan",
                         typed=f"{family_id}\n")
    assert done.exit_code == 0, done.output
    assert "tidak dapat dikembalikan" in done.stdout and HEAD_B in done.stdout
    assert f"Desa Sampanahan ({SAMPANAHAN}) · periode {PERIOD} · terkirim" in done.stdout
    assert "Catatan audit #" in done.stdout
    assert f"Dihapus: keluarga {family_id}" in done.stdout
    assert "Hitungan IKK desa sudah diperbarui" in done.stdout
    assert await count(world, Family, id=family_id) == 0 and await count(world, AuditEvent) == 1
    assert await counts_equal_a_recount(world)


async def test_the_command_finds_a_family_by_village_and_head_and_accepts_yes(
    world: World, migrated_database_url: str
) -> None:
    family_id, _, _ = await two_families_b_edited(world)
    result = await ikk_bot(migrated_database_url, "--village", SAMPANAHAN, "--head",
                           "Pak Budi Santoso", "--yes")
    assert result.exit_code == 0, result.output
    assert f"keluarga {family_id}" in result.stdout
    assert await count(world, Family, id=family_id) == 0


async def test_several_matches_are_listed_and_nothing_is_deleted(
    world: World, migrated_database_url: str
) -> None:
    await enter_family(world.ctx, world.kader, FAMILY_B)
    await enter_family(world.ctx, world.kader2, {**FAMILY_B, "H_RT": "7"})
    result = await ikk_bot(migrated_database_url, "--village", SAMPANAHAN, "--head", HEAD_B,
                           "--yes")
    assert result.exit_code == 1
    assert "2 keluarga cocok" in result.stderr and "RT 7" in result.stdout
    assert await count(world, Family) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "sebutkan --id"),
        (("--village", SAMPANAHAN), "sebutkan --id"),
        (("--id", "1", "--head", "Budi"), "jangan keduanya"),
        (("--village", "63.02", "--head", "Budi"), "bukan kode desa"),
        (("--id", "424242", "--yes"), "tidak ada keluarga nomor 424242"),
        (("--village", SAMPANAHAN, "--head", "Tidak Ada", "--yes"), "Periksa nomor atau ejaan"),
    ],
)
async def test_bad_input_gets_a_clear_message_and_deletes_nothing(
    world: World, migrated_database_url: str, args: tuple[str, ...], message: str
) -> None:
    await enter_family(world.ctx, world.kader, FAMILY_A)
    result = await ikk_bot(migrated_database_url, *args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert await count(world, Family) == 1 and await count(world, AuditEvent) == 0
