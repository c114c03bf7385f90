"""Starting families, the duplicate-family check, drafts and family lists, each within scope."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.db.models import Family, ResponseStatus
from bot.repositories.families import normalize_head_name
from bot.services.answering import record_answer
from bot.services.families import (
    active_draft,
    confirm_distinct_family,
    discard_draft,
    list_drafts,
    list_families,
    open_draft,
    open_existing_family,
    start_family,
)
from bot.services.outcomes import Outcome
from tests.bot.services.conftest import (
    BATAKAN,
    FAMILY_A,
    FAMILY_B,
    PERIOD,
    SAMPANAHAN,
    SEPAPAH,
    World,
    enter_family,
    next_update_id,
)


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("Ahmad Fauzi", "ahmad fauzi"),
        ("  AHMAD   fauzi ", "ahmad fauzi"),
        ("Bapak Ahmad Fauzi", "ahmad fauzi"),
        ("Pak Ahmad Fauzi", "ahmad fauzi"),
        ("Bpk. H. Ahmad Fauzi", "ahmad fauzi"),
        ("Ibu Siti Aminah", "siti aminah"),
        ("Bu Siti", "siti"),
        ("Hj. Siti Aminah", "siti aminah"),
        ("Ny. Siti-Aminah", "siti aminah"),
        ("Ahmad, Fauzi.", "ahmad fauzi"),
        ("Muhammad Ridwan Pak", "muhammad ridwan pak"),  # titles only in front
        ("Ibu", "ibu"),  # a name made only of a title keeps it
        ("Sri Wahyuni", "sri wahyuni"),
        ("Ruslan Ibu", "ruslan ibu"),
        ("Élia Nur", "elia nur"),
    ],
)
def test_head_names_are_normalised_without_titles_punctuation_case_or_spacing(
    written: str, normalised: str
) -> None:
    assert normalize_head_name(written) == normalised


async def _start(world: World, actor: int, village: str = SAMPANAHAN,
                 period: int = PERIOD) -> Outcome:
    outcome = await start_family(world.ctx, actor, village, period, next_update_id())
    assert outcome.kind == "started" and outcome.position is not None, outcome
    return outcome


async def _identify(world: World, actor: int, outcome: Outcome, head: str, rt: str) -> Outcome:
    """Answer the head's name and RT of a started family; returns the RT's outcome."""
    assert outcome.position is not None
    rid = outcome.position.response_id
    named = await record_answer(world.ctx, actor, rid, "H_KEPALA", head,
                                outcome.position.version, next_update_id())
    assert named.kind == "recorded" and named.position is not None
    assert named.duplicate is None  # the RT is not known yet
    return await record_answer(world.ctx, actor, rid, "H_RT", rt, named.position.version,
                               next_update_id())


async def test_a_family_with_the_same_village_rt_and_normalised_name_is_reported_once_known(
    world: World,
) -> None:
    existing = await enter_family(world.ctx, world.kader, FAMILY_A)  # Ahmad Fauzi, RT 1
    assert existing.position is not None
    outcome = await _identify(world, world.kader, await _start(world, world.kader),
                              "Bapak H. Ahmad  Fauzi", "1")
    assert outcome.kind == "recorded"  # stored all the same: nothing typed is lost
    duplicate = outcome.duplicate
    assert duplicate is not None
    assert duplicate.response_id == existing.position.response_id
    assert duplicate.status is ResponseStatus.SUBMITTED
    assert duplicate.own and duplicate.cadre_name == "Siti Kader"
    assert duplicate.family.head_name == "Ahmad Fauzi" and duplicate.family.rt == 1


@pytest.mark.parametrize(
    ("head", "rt", "village", "period"),
    [
        ("Ahmad Fauzi", "2", SAMPANAHAN, PERIOD),  # another RT
        ("Ahmad Fauzan", "1", SAMPANAHAN, PERIOD),  # another name
        ("Ahmad Fauzi", "1", SEPAPAH, PERIOD),  # another village
        ("Ahmad Fauzi", "1", SAMPANAHAN, PERIOD + 1),  # another period
    ],
)
async def test_a_different_rt_name_village_or_period_is_not_a_duplicate(
    world: World, head: str, rt: str, village: str, period: int
) -> None:
    await enter_family(world.ctx, world.kader, FAMILY_A)
    actor = world.kader_sepapah if village == SEPAPAH else world.kader
    outcome = await _identify(world, actor, await _start(world, actor, village, period), head, rt)
    assert outcome.kind == "recorded" and outcome.duplicate is None


async def test_another_kaders_family_is_reported_but_cannot_be_opened(world: World) -> None:
    other = await enter_family(world.ctx, world.kader2, FAMILY_A, submit_it=False)
    assert other.position is not None
    mine = await _start(world, world.kader)
    outcome = await _identify(world, world.kader, mine, "ahmad fauzi", "1")
    assert outcome.duplicate is not None and not outcome.duplicate.own
    assert outcome.duplicate.cadre_name == "Rina Kader"
    assert outcome.duplicate.status is ResponseStatus.DRAFT
    assert mine.position is not None
    refused = await open_existing_family(world.ctx, world.kader, mine.position.response_id,
                                         other.position.response_id, next_update_id())
    assert refused.kind == "not_found"
    drafts = await list_drafts(world.ctx, world.kader)
    assert [d.response_id for d in drafts] == [mine.position.response_id]  # kept


async def test_opening_the_existing_family_deletes_the_new_draft(world: World) -> None:
    existing = await enter_family(world.ctx, world.kader, FAMILY_A, submit_it=False)
    assert existing.position is not None
    new = await _start(world, world.kader)
    assert new.position is not None
    await _identify(world, world.kader, new, "Ahmad Fauzi", "1")
    opened = await open_existing_family(world.ctx, world.kader, new.position.response_id,
                                        existing.position.response_id, next_update_id())
    assert opened.kind == "shown"
    assert opened.position is not None
    assert opened.position.response_id == existing.position.response_id
    assert opened.position.at_review
    async with world.ctx.session_factory() as session:
        families = await session.scalar(select(func.count()).select_from(Family))
    assert families == 1


async def test_continuing_as_a_different_family_is_not_asked_again(world: World) -> None:
    await enter_family(world.ctx, world.kader, FAMILY_A)
    new = await _start(world, world.kader)
    outcome = await _identify(world, world.kader, new, "Ahmad Fauzi", "1")
    assert outcome.duplicate is not None and outcome.position is not None
    kept = await confirm_distinct_family(world.ctx, world.kader, outcome.position.response_id)
    assert kept.kind == "shown"
    assert kept.position is not None and kept.position.question == "H_ANGGOTA"
    following = await record_answer(world.ctx, world.kader, outcome.position.response_id,
                                    "H_ANGGOTA", "3", kept.position.version, next_update_id())
    assert following.kind == "recorded" and following.duplicate is None


async def test_starting_twice_reopens_the_untouched_draft_instead_of_a_second_one(
    world: World,
) -> None:
    first = await _start(world, world.kader)
    second = await _start(world, world.kader)
    assert first.position is not None and second.position is not None
    assert second.position.response_id == first.position.response_id
    await record_answer(world.ctx, world.kader, second.position.response_id, "H_KEPALA",
                        "Budi", second.position.version, next_update_id())
    third = await _start(world, world.kader)
    assert third.position is not None
    assert third.position.response_id != first.position.response_id


async def test_a_redelivered_start_shows_the_latest_draft_without_a_new_family(
    world: World,
) -> None:
    update_id = next_update_id()
    first = await start_family(world.ctx, world.kader, SAMPANAHAN, PERIOD, update_id)
    again = await start_family(world.ctx, world.kader, SAMPANAHAN, PERIOD, update_id)
    assert again.kind == "already_processed"
    assert again.position is not None and first.position is not None
    assert again.position.response_id == first.position.response_id
    assert len(await list_drafts(world.ctx, world.kader)) == 1


@pytest.mark.parametrize(
    ("who", "village"),
    [
        ("kader", SEPAPAH),  # a village of another kader
        ("kader", BATAKAN),
        ("pejabat_kotabaru", SAMPANAHAN),  # officials do not survey
        ("admin", SAMPANAHAN),
    ],
)
async def test_a_family_can_only_be_started_in_ones_own_village(
    world: World, who: str, village: str
) -> None:
    outcome = await start_family(world.ctx, getattr(world, who), village, PERIOD)
    assert outcome.kind == "not_found" and outcome.position is None


async def test_drafts_list_shows_who_how_far_and_the_active_one_is_the_latest(
    world: World,
) -> None:
    older = await _identify(world, world.kader, await _start(world, world.kader), "Budi", "2")
    newer = await _start(world, world.kader, SAMPANAHAN)
    assert older.position is not None and newer.position is not None
    await record_answer(world.ctx, world.kader, newer.position.response_id, "H_KEPALA", "Citra",
                        newer.position.version, next_update_id())
    drafts = await list_drafts(world.ctx, world.kader)
    assert [d.family.head_name for d in drafts] == ["Citra", "Budi"]
    assert drafts[1].family.rt == 2 and drafts[1].answered == 2
    assert drafts[1].total >= 11
    assert drafts[0].family.text == "Citra · Desa Sampanahan"
    assert drafts[1].family.text == "Budi · RT 2 · Desa Sampanahan"
    active = await active_draft(world.ctx, world.kader)
    assert active is not None
    assert active.response_id == newer.position.response_id and active.question == "H_RT"
    assert await list_drafts(world.ctx, world.kader2) == []
    assert await active_draft(world.ctx, world.kader2) is None
    assert await list_drafts(world.ctx, world.pejabat_kotabaru) == []


async def test_families_list_is_the_kaders_own_or_the_admins_scope_and_never_a_pejabats(
    world: World,
) -> None:
    await enter_family(world.ctx, world.kader, FAMILY_A)
    await enter_family(world.ctx, world.kader2, FAMILY_B, submit_it=False)
    await enter_family(world.ctx, world.kader_batakan, FAMILY_B, village=BATAKAN)

    def heads(rows: list) -> set[tuple[str | None, ResponseStatus]]:  # type: ignore[type-arg]
        return {(r.family.head_name, r.status) for r in rows}

    mine = await list_families(world.ctx, world.kader, PERIOD)
    assert heads(mine) == {("Ahmad Fauzi", ResponseStatus.SUBMITTED)}
    assert mine[0].score is not None and mine[0].score.band == "baik"
    assert heads(await list_families(world.ctx, world.kader2, PERIOD)) == {
        ("Budi Santoso", ResponseStatus.DRAFT)
    }
    assert heads(await list_families(world.ctx, world.kader_sepapah, PERIOD)) == set()
    # Per-family rows are personal data: a pejabat gets none, even of her own area (UU PDP).
    assert await list_families(world.ctx, world.pejabat_kotabaru, PERIOD) == []
    assert await list_families(world.ctx, world.pejabat_tanah_laut, PERIOD) == []
    assert heads(await list_families(world.ctx, world.admin, PERIOD)) == {
        ("Ahmad Fauzi", ResponseStatus.SUBMITTED), ("Budi Santoso", ResponseStatus.DRAFT),
        ("Budi Santoso", ResponseStatus.SUBMITTED),
    }
    assert await list_families(world.ctx, world.admin, PERIOD + 1) == []


async def test_a_draft_can_be_discarded_but_a_submitted_family_cannot(world: World) -> None:
    submitted = await enter_family(world.ctx, world.kader, FAMILY_A)
    draft = await _start(world, world.kader)
    assert draft.position is not None and submitted.position is not None
    refused = await discard_draft(world.ctx, world.kader2, draft.position.response_id)
    assert refused.kind == "not_found"
    gone = await discard_draft(world.ctx, world.kader, draft.position.response_id)
    assert gone.kind == "discarded"
    kept = await discard_draft(world.ctx, world.kader, submitted.position.response_id)
    assert kept.kind == "not_editable"
    assert len(await list_families(world.ctx, world.kader, PERIOD)) == 1


async def test_another_kader_or_an_official_cannot_open_a_draft(world: World) -> None:
    draft = await _identify(world, world.kader, await _start(world, world.kader), "Budi", "2")
    assert draft.position is not None
    rid = draft.position.response_id
    for intruder in (world.kader2, world.kader_batakan, world.pejabat_kotabaru, world.admin):
        for outcome in (
            await open_draft(world.ctx, intruder, rid),
            await confirm_distinct_family(world.ctx, intruder, rid),
            await open_existing_family(world.ctx, intruder, rid, rid, next_update_id()),
            await discard_draft(world.ctx, intruder, rid, next_update_id()),
        ):
            assert outcome.kind == "not_found" and outcome.position is None
    mine = await open_draft(world.ctx, world.kader, rid)
    assert mine.kind == "shown" and mine.position is not None
    assert mine.position.question == "H_ANGGOTA"
