"""A lean answer path (issue 12.2): one database transaction per tapped answer.

The update id, the answer (version-checked) and the next step are written in ONE transaction,
committed before the reply. Which message shows a button question (or the review card) is
remembered in the chat's memory and read by the next answer's transaction, not written after
the reply; a question answered by typing is still stored at once, so a text typed after a
restart is bound to it. Without the memory the bot only asks again, it never misfiles a text.
Both databases.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, select

from bot.db.models import Response
from bot.services import messages
from tests.e2e.conftest import BotHarness, stored_answers
from tests.e2e.kader_steps import (
    FAMILY_A,
    act,
    answer_until,
    current_question,
    give,
    is_choice,
)


@contextmanager
def transactions(harness: BotHarness) -> Iterator[list[list[str]]]:
    """The statements of each database transaction begun meanwhile, leaving out the alert
    jobs' background sweeps (they run on their own schedule, not per answer)."""
    begun: list[list[str]] = []
    current: dict[int, list[str]] = {}
    engines = [engine.sync_engine for engine in harness.database.engines]

    def on_begin(connection: Any) -> None:
        statements: list[str] = []
        current[id(connection)] = statements
        begun.append(statements)

    def on_statement(connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        current.setdefault(id(connection), []).append(statement)

    for engine in engines:
        event.listen(engine, "begin", on_begin)
        event.listen(engine, "before_cursor_execute", on_statement)
    try:
        yield begun
    finally:
        for engine in engines:
            event.remove(engine, "begin", on_begin)
            event.remove(engine, "before_cursor_execute", on_statement)
        begun[:] = [t for t in begun if not any("alert_" in s for s in t)]


async def test_each_tapped_answer_costs_one_database_transaction(harness: BotHarness) -> None:
    siti = await harness.kader(1001)
    await act(harness, siti, siti.send("/survei"))

    per_answer: dict[str, int] = {}
    while (question := current_question(siti)) is not None:
        with transactions(harness) as begun:
            await give(harness, siti, question, FAMILY_A[question])
            await harness.settle()
        per_answer[question] = len(begun)

    tapped = {q: n for q, n in per_answer.items() if is_choice(q)}
    assert len(tapped) >= 15, per_answer
    # A tapped answer whose next question is typed stores that showing too (one more).
    assert set(tapped.values()) <= {1, 2}, sorted(per_answer.items())
    assert sum(1 for n in tapped.values() if n == 1) >= len(tapped) - 2, tapped
    assert max(per_answer.values()) <= 2, per_answer


async def test_ya_typed_to_a_button_question_is_its_answer_though_its_showing_was_not_written(
    harness: BotHarness,
) -> None:
    siti = await harness.kader(1001)
    await act(harness, siti, siti.send("/survei"))
    await answer_until(harness, siti, FAMILY_A, stop_before="P_ANAK")  # after a tap
    async with harness.database.session_factory() as session:
        version, live_version = (
            await session.execute(select(Response.version, Response.live_version))
        ).one()
    assert live_version != version, "the showing of a button question is not written"

    with transactions(harness) as begun:
        await act(harness, siti, siti.send("Ya"))

    assert (await stored_answers(harness))["P_ANAK"] == "ya"
    assert len(begun) == 1


async def test_after_a_restart_ya_typed_to_a_button_question_is_asked_again_not_misfiled(
    harness: BotHarness,
) -> None:
    siti = await harness.kader(1001)
    await act(harness, siti, siti.send("/survei"))
    await answer_until(harness, siti, FAMILY_A, stop_before="P_ANAK")
    await harness.restart()  # the chat's memory of which message shows P_ANAK is gone

    await act(harness, siti, siti.send("Ya"))

    assert "P_ANAK" not in await stored_answers(harness)
    last = siti.last_message()
    assert current_question(siti) == "P_ANAK"
    assert last is not None and messages.UNSEEN in last.visible_text
    await act(harness, siti, siti.send("Ya"))
    assert (await stored_answers(harness))["P_ANAK"] == "ya"

