"""Telegram numbers updates per bot: the same update id from two bots is two updates, each
handled once; a redelivery through the same bot is recognised. And the migration that keys
claims by bot steps back and forth keeping what it can."""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.bot_id import NO_BOT, bot_id_of, current_bot_id, serving_bot
from bot.db.engine import SessionFactory, create_session_factory
from bot.db.migrate import downgrade, upgrade
from bot.db.models import ProcessedUpdate
from bot.telegram.idempotency import claim_update

BEFORE = "5d8e2a7c41b9"


def test_the_bot_id_is_the_number_before_the_colon_of_the_token() -> None:
    assert bot_id_of("111:" + "a" * 35) == 111
    assert bot_id_of("not-a-token") == NO_BOT
    assert current_bot_id() == NO_BOT
    with serving_bot(222):
        assert current_bot_id() == 222
    assert current_bot_id() == NO_BOT


async def test_the_same_update_id_from_two_bots_is_handled_once_by_each(
    session_factory: SessionFactory,
) -> None:
    with serving_bot(111):
        first = await claim_update(session_factory, 17, 5)
    with serving_bot(222):
        second = await claim_update(session_factory, 17, 5)

    assert (first, second) == (True, True)
    async with session_factory() as session:
        keys = (await session.execute(
            select(ProcessedUpdate.bot_id, ProcessedUpdate.update_id)
            .order_by(ProcessedUpdate.bot_id)
        )).all()
    assert [tuple(k) for k in keys] == [(111, 17), (222, 17)]


async def test_a_redelivered_update_of_one_bot_is_handled_once(
    session_factory: SessionFactory,
) -> None:
    with serving_bot(111):
        first = await claim_update(session_factory, 17, 5)
        again = await claim_update(session_factory, 17, 5)
    assert (first, again) == (True, False)


async def test_stepping_back_keeps_one_claim_per_update_id_and_forward_again_keys_by_bot(
    migrated_engine: AsyncEngine,
) -> None:
    factory = create_session_factory(migrated_engine)
    for bot in (111, 222):
        with serving_bot(bot):
            assert await claim_update(factory, 17, 5)
    with serving_bot(111):
        assert await claim_update(factory, 18, 5)

    await downgrade(migrated_engine, BEFORE)
    async with migrated_engine.connect() as connection:
        ids = (await connection.execute(
            text("SELECT update_id FROM processed_update ORDER BY update_id"))).scalars().all()
    assert list(ids) == [17, 18]

    await upgrade(migrated_engine)
    async with migrated_engine.connect() as connection:
        rows = (await connection.execute(text(
            "SELECT bot_id, update_id FROM processed_update ORDER BY update_id"))).all()
    assert [tuple(r) for r in rows] == [(0, 17), (0, 18)]
    with serving_bot(222):
        assert await claim_update(factory, 17, 5)
