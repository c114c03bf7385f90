"""Typed answers are bound to the question the kader saw; a repeated tap knows what she has.

The chat stores which message first showed each version's question (`question_shown`). A typed
text with an older message id, or sent while the live question never reached the chat, answers
something else: nothing is stored ("unseen") and the question is shown. Runs on both databases.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.db.engine import create_engine, create_session_factory
from bot.db.models import Answer, Response
from bot.repositories.responses import ShownMark
from bot.services.answering import current_position, question_shown, record_answer
from bot.services.context import ServiceContext
from bot.services.families import start_family
from bot.services.outcomes import Position
from ikk_core.instrument_io import load_default_instrument
from tests.bot.services.conftest import PERIOD, SAMPANAHAN, World, next_update_id


async def _started(world: World) -> Position:
    started = await start_family(world.ctx, world.kader, SAMPANAHAN, PERIOD, next_update_id())
    assert started.position is not None
    return started.position


async def _typed(world: World, response_id: int, text: str, message_id: int) -> str:
    outcome = await record_answer(
        world.ctx, world.kader, response_id, None, text, None, next_update_id(),
        message_id=message_id,
    )
    return outcome.kind


async def _stored(world: World, response_id: int) -> dict[str, str | None]:
    async with world.ctx.session_factory() as session:
        rows = await session.execute(
            select(Answer.question, Answer.value).where(Answer.response_id == response_id)
        )
        return dict(rows.all())  # type: ignore[arg-type]


async def test_a_new_family_is_not_on_screen_until_its_first_question_is_shown(
    world: World,
) -> None:
    position = await _started(world)
    assert not position.on_screen
    assert await question_shown(world.ctx, position.response_id, position.version, 10)
    shown = await current_position(world.ctx, world.kader, position.response_id)
    assert shown.position is not None and shown.position.on_screen


async def test_text_typed_before_the_question_was_shown_is_not_stored(world: World) -> None:
    position = await _started(world)
    rid = position.response_id
    await question_shown(world.ctx, rid, position.version, 20)

    outcome = await record_answer(
        world.ctx, world.kader, rid, None, "Budi", None, next_update_id(), message_id=19
    )

    assert outcome.kind == "unseen"
    assert outcome.message is not None and "sebelum pertanyaan ini muncul" in outcome.message
    assert outcome.position is not None and outcome.position.question == "H_KEPALA"
    assert await _stored(world, rid) == {}


async def test_text_typed_after_the_question_was_shown_is_the_answer(world: World) -> None:
    position = await _started(world)
    rid = position.response_id
    await question_shown(world.ctx, rid, position.version, 20)

    assert await _typed(world, rid, "Budi", 21) == "recorded"
    assert await _stored(world, rid) == {"H_KEPALA": "Budi"}


async def test_text_after_a_question_that_never_reached_the_chat_is_not_stored(
    world: World,
) -> None:
    position = await _started(world)
    rid = position.response_id
    await question_shown(world.ctx, rid, position.version, 20)
    assert await _typed(world, rid, "Budi", 21) == "recorded"
    # The next question (H_RT) was never sent: the "3" cannot be its answer.
    assert await _typed(world, rid, "3", 23) == "unseen"
    assert await _stored(world, rid) == {"H_KEPALA": "Budi"}


async def test_only_the_first_showing_of_a_question_binds_typed_answers(world: World) -> None:
    """The same question sent again (an error, /lanjut) keeps its first message id: a text
    typed between the two showings still answers it."""
    position = await _started(world)
    rid, version = position.response_id, position.version
    assert await question_shown(world.ctx, rid, version, 20)
    assert not await question_shown(world.ctx, rid, version, 25)
    async with world.ctx.session_factory() as session:
        live = (await session.execute(
            select(Response.live_message_id, Response.live_version).where(Response.id == rid)
        )).one()
    assert tuple(live) == (20, version)
    assert await _typed(world, rid, "Budi", 22) == "recorded"


async def test_a_shown_mark_for_an_older_version_changes_nothing(world: World) -> None:
    position = await _started(world)
    rid, v0 = position.response_id, position.version
    await question_shown(world.ctx, rid, v0, 20)
    assert await _typed(world, rid, "Budi", 21) == "recorded"
    assert not await question_shown(world.ctx, rid, v0, 30)  # late mark of the old question
    assert await _typed(world, rid, "3", 31) == "unseen"


async def test_a_repeated_tap_says_whether_the_current_question_is_on_screen(
    world: World,
) -> None:
    position = await _started(world)
    rid, v0 = position.response_id, position.version
    await question_shown(world.ctx, rid, v0, 20)
    first = await record_answer(world.ctx, world.kader, rid, "H_KEPALA", "Budi", v0,
                                next_update_id())
    assert first.kind == "recorded" and first.position is not None

    lost = await record_answer(world.ctx, world.kader, rid, "H_KEPALA", "Budi", v0,
                               next_update_id())
    assert lost.kind == "already_recorded"
    assert lost.position is not None and not lost.position.on_screen

    await question_shown(world.ctx, rid, first.position.version, 22)
    again = await record_answer(world.ctx, world.kader, rid, "H_KEPALA", "Budi", v0,
                                next_update_id())
    assert again.kind == "already_recorded"
    assert again.position is not None and again.position.on_screen


async def test_answers_from_outside_the_chat_are_not_bound_to_a_message(world: World) -> None:
    """Services called without a message id (imports, tests, the CLI) answer as before."""
    position = await _started(world)
    outcome = await record_answer(
        world.ctx, world.kader, position.response_id, None, "Budi", None, next_update_id()
    )
    assert outcome.kind == "recorded"


async def test_a_database_failure_while_noting_a_shown_question_is_not_an_error(
    tmp_path: Path,
) -> None:
    """The message is already out: the bot must not answer it with "Maaf, terjadi gangguan"."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'ikk.db'}")
    ctx = ServiceContext(create_session_factory(engine), load_default_instrument())
    try:
        assert await question_shown(ctx, 1, 1, 10) is False
    finally:
        await engine.dispose()


async def _typed_remembered(
    world: World, response_id: int, text: str, message_id: int, shown: ShownMark
) -> str:
    outcome = await record_answer(
        world.ctx, world.kader, response_id, None, text, None, next_update_id(),
        message_id=message_id, shown=shown,
    )
    return outcome.kind


async def test_a_showing_the_chat_remembers_binds_typed_text_like_a_stored_one(
    world: World,
) -> None:
    """The chat need not write which message showed a button question: the next answer's
    transaction takes the remembered showing (issue 12.2, one transaction per answer)."""
    position = await _started(world)
    rid, version = position.response_id, position.version
    remembered = ShownMark(version, 20)

    assert await _typed_remembered(world, rid, "Budi", 19, remembered) == "unseen"
    assert await _typed_remembered(world, rid, "Budi", 21, remembered) == "recorded"
    assert await _stored(world, rid) == {"H_KEPALA": "Budi"}


async def test_a_remembered_showing_of_another_version_binds_nothing(world: World) -> None:
    position = await _started(world)
    rid, v0 = position.response_id, position.version
    assert await _typed_remembered(world, rid, "Budi", 21, ShownMark(v0, 20)) == "recorded"
    # The memory still holds the old version's showing: H_RT was never shown.
    assert await _typed_remembered(world, rid, "3", 23, ShownMark(v0, 20)) == "unseen"
    assert await _stored(world, rid) == {"H_KEPALA": "Budi"}


async def test_the_stored_first_showing_wins_over_a_later_remembered_one(world: World) -> None:
    position = await _started(world)
    rid, version = position.response_id, position.version
    await question_shown(world.ctx, rid, version, 20)
    assert await _typed_remembered(world, rid, "Budi", 22, ShownMark(version, 25)) == "recorded"


async def test_a_repeated_tap_knows_a_remembered_showing_is_on_screen(world: World) -> None:
    position = await _started(world)
    rid, v0 = position.response_id, position.version
    await question_shown(world.ctx, rid, v0, 20)
    first = await record_answer(world.ctx, world.kader, rid, "H_KEPALA", "Budi", v0,
                                next_update_id())
    assert first.position is not None
    remembered = ShownMark(first.position.version, 20)

    again = await record_answer(world.ctx, world.kader, rid, "H_KEPALA", "Budi", v0,
                                next_update_id(), shown=remembered)

    assert again.kind == "already_recorded"
    assert again.position is not None and again.position.on_screen
