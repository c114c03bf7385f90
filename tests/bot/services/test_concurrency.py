"""Fifty concurrent writers (asyncio.gather, a session each) through `record_answer`.

On SQLite every write transaction starts with BEGIN IMMEDIATE and lock errors are retried
inside the service, so no caller ever sees "database is locked"; on PostgreSQL the
``UPDATE ... WHERE version = :seen`` row lock serialises writers of one response. Either way:
no answer lost, none duplicated, exactly one winner among taps on the same keyboard.
"""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import func, select

from bot.db.models import Answer
from bot.services.answering import record_answer
from bot.services.families import start_family
from bot.services.outcomes import Outcome
from tests.bot.services.conftest import FAMILY_A, PERIOD, SAMPANAHAN, World, next_update_id

WRITERS = 50
OWN_ANSWERS = ("H_RT", "H_ANGGOTA", "P_PASANGAN", "P_ANAK")


async def _named_drafts(world: World, count: int) -> list[Outcome]:
    """`count` drafts of the kader, each with the head's name answered (so none is reused)."""
    named = []
    for i in range(count):
        started = await start_family(world.ctx, world.kader, SAMPANAHAN, PERIOD,
                                     next_update_id())
        assert started.position is not None
        outcome = await record_answer(
            world.ctx, world.kader, started.position.response_id, "H_KEPALA", f"Kepala {i}",
            started.position.version, next_update_id(),
        )
        assert outcome.kind == "recorded"
        named.append(outcome)
    return named


async def _own_writer(world: World, start: Outcome) -> list[str]:
    """One cadre's phone: answers four questions of its own family one after the other."""
    assert start.position is not None
    position = start.position
    kinds = []
    for question in OWN_ANSWERS:
        outcome = await record_answer(world.ctx, world.kader, position.response_id, question,
                                      FAMILY_A[question], position.version, next_update_id())
        kinds.append(outcome.kind)
        assert outcome.position is not None
        position = outcome.position
    return kinds


async def _answer_rows(world: World) -> list[tuple[int, str, str | None]]:
    async with world.ctx.session_factory() as session:
        rows = await session.execute(select(Answer.response_id, Answer.question, Answer.value))
        return [tuple(row) for row in rows.all()]  # type: ignore[misc]


async def test_fifty_concurrent_writers_into_different_responses_lose_and_duplicate_nothing(
    world: World,
) -> None:
    drafts = await _named_drafts(world, WRITERS)
    results = await asyncio.gather(
        *(_own_writer(world, d) for d in drafts), return_exceptions=True
    )
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors[:3]  # in particular no "database is locked"
    assert all(kinds == ["recorded"] * len(OWN_ANSWERS) for kinds in results)
    rows = await _answer_rows(world)
    assert len(rows) == WRITERS * (1 + len(OWN_ANSWERS))
    assert len({(rid, q) for rid, q, _ in rows}) == len(rows)
    for d in drafts:
        assert d.position is not None
        stored = {q: v for rid, q, v in rows if rid == d.position.response_id}
        assert stored == {"H_KEPALA": stored["H_KEPALA"],
                          **{q: FAMILY_A[q] for q in OWN_ANSWERS}}


async def test_fifty_concurrent_taps_on_one_keyboard_record_exactly_one_answer(
    world: World,
) -> None:
    (draft,) = await _named_drafts(world, 1)
    assert draft.position is not None
    rid, version = draft.position.response_id, draft.position.version
    # Everyone taps the H_RT keyboard of the same version, with different values.
    values = [str(1 + i % 7) for i in range(WRITERS)]
    results = await asyncio.gather(
        *(
            record_answer(world.ctx, world.kader, rid, "H_RT", value, version, next_update_id())
            for value in values
        ),
        return_exceptions=True,
    )
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors[:3]
    outcomes = [r for r in results if isinstance(r, Outcome)]
    kinds = Counter(o.kind for o in outcomes)
    assert kinds["recorded"] == 1
    assert set(kinds) <= {"recorded", "stale", "already_recorded"}
    winner = next(values[i] for i, o in enumerate(outcomes) if o.kind == "recorded")
    # A loser that tapped the winning value is told "Sudah tercatat", the others "stale".
    for value, outcome in zip(values, outcomes, strict=True):
        if outcome.kind != "recorded":
            expected = "already_recorded" if value == winner else "stale"
            assert outcome.kind == expected
            assert outcome.position is not None and outcome.position.question == "H_ANGGOTA"
    rows = await _answer_rows(world)
    assert sorted((q, v) for r, q, v in rows if r == rid) == [
        ("H_KEPALA", "Kepala 0"), ("H_RT", winner)
    ]


async def test_writers_into_different_and_the_same_response_at_once_keep_every_answer(
    world: World,
) -> None:
    """Half the writers fill their own family while the other half all type into one family
    without a version (typed text answers whatever is asked when it is processed)."""
    drafts = await _named_drafts(world, WRITERS // 2 + 1)
    shared, own = drafts[0], drafts[1:]
    assert shared.position is not None
    shared_id = shared.position.response_id

    async def typed(i: int) -> Outcome:
        # H_RT accepts 1..99 and H_ANGGOTA 1..15 without "Yakin?": both take "3".
        return await record_answer(world.ctx, world.kader, shared_id, None, "3", None,
                                   next_update_id())

    results = await asyncio.gather(
        *(_own_writer(world, d) for d in own),
        *(typed(i) for i in range(WRITERS // 2)),
        return_exceptions=True,
    )
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors[:3]
    own_results, shared_results = results[: len(own)], results[len(own):]
    assert all(kinds == ["recorded"] * len(OWN_ANSWERS) for kinds in own_results)
    recorded = [o for o in shared_results if isinstance(o, Outcome) and o.kind == "recorded"]
    rows = await _answer_rows(world)
    shared_rows = {q: v for r, q, v in rows if r == shared_id}
    # Every "recorded" reply is a stored answer, and every stored answer was reported.
    assert len(shared_rows) == 1 + len(recorded)
    assert 1 <= len(recorded) <= 2  # H_RT, then H_ANGGOTA; P_PASANGAN refuses "3"
    refused = [o for o in shared_results if isinstance(o, Outcome) and o.kind != "recorded"]
    assert {o.kind for o in refused} <= {"invalid", "stale", "already_recorded"}
    async with world.ctx.session_factory() as session:
        total = await session.scalar(select(func.count()).select_from(Answer))
    assert total == len(rows) == (len(own) * (1 + len(OWN_ANSWERS))) + len(shared_rows)
