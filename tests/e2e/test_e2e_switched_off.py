"""A kader switched off on the command line while the bot runs is told so, never met with silence.

The bot remembers who a user is to save a query per update; `ikk-bot users deactivate` runs in
another process and cannot clear that memory. Her next /survei must still get an answer, and the
memory may not outlive `ACCOUNT_TTL_SECONDS`.
"""

from __future__ import annotations

import pytest
from sqlalchemy import update

from bot.db.models import AppUser
from bot.telegram import chat_state, texts
from tests.e2e.conftest import BotHarness

pytestmark = pytest.mark.parametrize("db_backend", ["sqlite"])


async def switch_off(harness: BotHarness, telegram_id: int) -> None:
    """What `ikk-bot users deactivate` does, from outside the running bot."""
    async with harness.database.session_factory() as session, session.begin():
        await session.execute(
            update(AppUser).where(AppUser.telegram_id == telegram_id).values(active=False)
        )


async def test_a_kader_switched_off_while_remembered_gets_the_access_message_on_survei(
    harness: BotHarness,
) -> None:
    kader = await harness.kader(1001)
    await kader.send("/survei")
    await kader.wait_reply()  # the bot now remembers her account
    await kader.send("/jeda")
    await kader.wait_reply()

    await switch_off(harness, 1001)
    await kader.send("/survei")
    [reply] = await kader.wait_reply()
    assert reply.visible_text == texts.ACCESS


async def test_a_remembered_account_is_checked_again_after_its_time_to_live(
    harness: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    kader = await harness.kader(1001)
    await kader.send("/keluarga")
    await kader.wait_reply()  # remembered

    await switch_off(harness, 1001)
    monkeypatch.setattr(chat_state, "ACCOUNT_TTL_SECONDS", 0.0)
    await kader.send("/keluarga")
    [reply] = await kader.wait_reply()
    assert reply.visible_text == texts.ACCESS
