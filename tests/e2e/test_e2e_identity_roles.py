"""Identity questions through the real bot and the emulator: an installation whose instrument
calls them NAMA_KK / NO_RT names its families and catches duplicates, and a head's name with
invisible or XML-illegal characters is refused with a plain message while the question stays.

The on-screen helpers recognise questions by position and label, which the renamed instrument
shares with the default, so the cadre's steps read as in the other e2e tests (H_KEPALA, H_RT on
screen) while the database holds NAMA_KK / NO_RT.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.db.database import Database
from bot.db.models import Answer, Family
from bot.emulator import TelegramEmulator
from tests.e2e.conftest import BotHarness, bot_settings
from tests.e2e.kader_steps import FAMILY_A, act, answer_until, current_question, give
from tests.renamed_instrument import HEAD, RT, write_renamed_instrument

HEAD_NAME_REFUSED = (
    "Nama tidak boleh berisi karakter tak terlihat atau khusus. Ketik nama kepala keluarga "
    "dengan huruf biasa, misalnya: Budi Santoso."
)


@pytest.fixture
async def renamed_harness(
    emulator: TelegramEmulator, e2e_database: Database, migrated_database_url: str,
    tmp_path: Path,
) -> AsyncIterator[BotHarness]:
    """The bot configured with the renamed instrument (INSTRUMENT_FILE)."""
    settings = bot_settings(emulator, migrated_database_url).model_copy(
        update={"instrument_file": write_renamed_instrument(tmp_path)}
    )
    bot_harness = BotHarness(emulator, e2e_database, settings)
    await bot_harness.start()
    try:
        yield bot_harness
    finally:
        await bot_harness.stop()
    assert not emulator.state.internal_errors, emulator.state.internal_errors


async def _identity_answers(harness: BotHarness) -> dict[str, str | None]:
    async with harness.database.session_factory() as session:
        rows = await session.execute(
            select(Answer.question, Answer.value).where(Answer.question.in_((HEAD, RT)))
        )
        return {question: value for question, value in rows.all()}


async def _families(harness: BotHarness) -> list[tuple[str, int]]:
    async with harness.database.session_factory() as session:
        rows = await session.execute(select(Family.head_name, Family.rt).order_by(Family.id))
        return [(name, rt) for name, rt in rows.all()]


async def test_a_renamed_instrument_names_families_and_catches_a_duplicate(
    renamed_harness: BotHarness,
) -> None:
    harness = renamed_harness
    siti = await harness.kader(1001)
    await act(harness, siti, siti.send("/survei"))
    await answer_until(harness, siti, FAMILY_A)
    await act(harness, siti, siti.tap("✅ Kirim"))
    assert await _identity_answers(harness) == {HEAD: "Ahmad Fauzi", RT: "1"}

    await act(harness, siti, siti.tap("➕ Keluarga berikutnya"))
    await give(harness, siti, "H_KEPALA", "bapak AHMAD fauzi")
    await give(harness, siti, "H_RT", "1")

    prompt = siti.last_message()
    assert prompt is not None and "sudah pernah Anda data" in (prompt.text or "")
    await act(harness, siti, siti.tap("📂 Buka data yang sudah ada"))
    shown = siti.last_message()
    assert shown is not None and "Ahmad Fauzi · RT 1" in (shown.text or "")
    assert await _families(harness) == [("Ahmad Fauzi", 1)]


async def test_a_head_name_with_invisible_or_special_characters_is_refused_and_asked_again(
    harness: BotHarness,
) -> None:
    siti = await harness.kader(1001)
    await act(harness, siti, siti.send("/survei"))

    for typed in ("Budi\uffffSantoso", "\u200b\u200b", "\u202e"):
        await give(harness, siti, "H_KEPALA", typed)
        assert current_question(siti) == "H_KEPALA"
        assert HEAD_NAME_REFUSED in (siti.last_message().text or "")  # type: ignore[union-attr]
    async with harness.database.session_factory() as session:
        assert (await session.scalars(select(Answer.question))).all() == []

    await give(harness, siti, "H_KEPALA", "Budi \u202eSantoso")
    assert current_question(siti) == "H_RT"
    async with harness.database.session_factory() as session:
        stored = await session.scalar(select(Answer.value).where(Answer.question == "H_KEPALA"))
    assert stored == "Budi Santoso"
