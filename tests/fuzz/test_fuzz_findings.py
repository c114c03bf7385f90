"""What the fuzzing found, kept as regression tests."""

from __future__ import annotations

from sqlalchemy import select

from bot.db.models import Answer
from bot.telegram import texts
from tests.e2e.conftest import BotHarness, e2e_database, emulator, harness  # noqa: F401
from tests.e2e.kader_steps import act, current_question


async def test_a_name_typed_with_a_nul_character_is_stored_without_it(
    harness: BotHarness,  # noqa: F811
) -> None:
    siti = await harness.kader(1001)
    await act(harness, siti, siti.send("/survei"))
    await siti.send("Ahmad\x00Fauzi")
    replies = await siti.wait_reply()

    assert texts.TROUBLE not in [m.text for m in replies]
    assert current_question(siti) == "H_RT"
    async with harness.database.session_factory() as session:
        stored = await session.scalar(select(Answer.value).where(Answer.question == "H_KEPALA"))
    assert stored is not None and "\x00" not in stored
