"""Under Telegram's flood limits (emulator `RateLimits`, the bot's production pacing of 30/s) a
burst of cadres answering as fast as they can still gets every reply, once, and no 429 ever
reaches the error handler; what they answered is stored exactly once."""

from __future__ import annotations

import asyncio
import html
import logging
import re
import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from bot.db.models import Answer, AppUser, Response
from bot.emulator import EmulatedUser, RateLimits
from tests.e2e.conftest import BotHarness
from tests.e2e.kader_steps import FAMILY_A, INSTRUMENT, current_question, is_choice

CADRES = 30
ANSWERS = 5
FIRST_ID = 3000
GIVEN = ("Ani", "Budi", "Citra", "Dewi", "Eko", "Fitri")
FAMILY = ("Saputra", "Lestari", "Wijaya", "Rahman", "Hidayat")
NAME_QUESTION = INSTRUMENT.questions[0].name
REPLY_DEADLINE = 60.0
TITLES = {q.label.get("id"): q.name for q in INSTRUMENT.questions if q.answerable}


def head_name(n: int) -> str:
    """A different family head for every cadre (the same name would raise the duplicate
    question)."""
    return f"{GIVEN[n % len(GIVEN)]} {FAMILY[n // len(GIVEN)]}"


async def next_question(harness: BotHarness, user: EmulatedUser, previous: str | None,
                        since: int) -> str:
    """Wait (patiently: a refused reply waits its `retry_after`) until the bot has sent this
    cadre a new question after call `since`."""
    emulator = harness.emulator
    deadline = time.monotonic() + REPLY_DEADLINE
    while True:
        sent = any(  # a typed answer gets a new card, a tap edits the live card in place
            c.ok
            for method in ("sendMessage", "editMessageText")
            for c in emulator.calls(method, chat_id=user.chat_id, since=since)
        )
        question = current_question(user)
        if sent and question is not None and question != previous:
            return question
        assert time.monotonic() < deadline, f"no reply\n{user.transcript()[-1500:]}"
        await asyncio.sleep(0.01)


def questions_shown(harness: BotHarness, user: EmulatedUser) -> Counter[str]:
    """How many times the bot showed each question in the chat: a question is shown by an
    accepted call whose text asks it (a new card or the live card edited on)."""
    shown: Counter[str] = Counter()
    for method in ("sendMessage", "editMessageText"):
        for call in harness.emulator.calls(method, chat_id=user.chat_id):
            text = re.sub(r"<[^>]+>", "", str(call.params.get("text", "")))  # HTML parse mode
            lines = html.unescape(text).splitlines()
            if call.ok:
                shown.update(TITLES[line] for line in lines if line in TITLES)
    return shown


async def fill(harness: BotHarness, user: EmulatedUser, n: int, answers: int = ANSWERS,
               waits: list[float] | None = None, think: float = 0.0) -> list[str]:
    """/survei, then the first `answers` questions, each `think` seconds after its question
    came (0: as fast as the replies come); the time each reply took is appended to `waits`."""
    since = harness.emulator.last_seq
    await user.send("/survei")
    question = await next_question(harness, user, None, since)
    asked: list[str] = []
    for _ in range(answers):
        asked.append(question)
        value = head_name(n) if question == NAME_QUESTION else FAMILY_A[question]
        await asyncio.sleep(think)
        since = harness.emulator.last_seq
        began = time.monotonic()
        if is_choice(question):
            await user.tap(value)
        else:
            await user.send(value)
        question = await next_question(harness, user, question, since)
        if waits is not None:
            waits.append(time.monotonic() - began)
    return asked


async def test_a_burst_of_cadres_under_telegrams_limits_gets_every_reply_exactly_once(
    harness: BotHarness, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # RetryAfter without its deprecation warning
    emu = harness.emulator
    harness.overall_max_rate = 30.0  # production pacing
    await harness.restart()
    cadres = [await harness.kader(FIRST_ID + n, name=f"Kader{n}") for n in range(CADRES)]
    # No burst per chat: the two calls of one reply (the old question closed, the next sent)
    # meet the limit however slowly a loaded machine answers, so the test always exercises it.
    emu.set_rate_limits(RateLimits(per_chat_burst=1.0))
    since = emu.last_seq
    caplog.set_level(logging.INFO)

    asked = await asyncio.gather(*(fill(harness, user, n) for n, user in enumerate(cadres)))
    await harness.settle(timeout=30)

    assert emu.flood_refusals(since=since) > 0, "the burst never met Telegram's limits"
    assert emu.state.internal_errors == []
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING
                and r.name.startswith("bot.")], "a 429 reached a handler or was given up"
    first = asked[0]
    assert all(questions == first for questions in asked)
    for user in cadres:  # every question reached her chat once: no reply lost, none doubled
        shown = questions_shown(harness, user)
        assert all(shown[q] == 1 for q in first), (shown, user.transcript()[-1500:])
    async with harness.database.session_factory() as session:
        per_cadre = dict((await session.execute(
            select(AppUser.telegram_id, func.count(Answer.id))
            .join(Response, Response.cadre_id == AppUser.id)
            .join(Answer, Answer.response_id == Response.id)
            .group_by(AppUser.telegram_id)
        )).all())
        families = await session.scalar(select(func.count(Response.id)))
    assert per_cadre == {user.id: ANSWERS for user in cadres}
    assert families == CADRES


@pytest.mark.parametrize("db_backend", ["sqlite"])
async def test_a_cadre_held_by_her_chats_limit_does_not_slow_down_another_cadre(
    harness: BotHarness, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    emu = harness.emulator
    harness.overall_max_rate = 30.0
    await harness.restart()
    siti = await harness.kader(FIRST_ID, name="Siti")
    budi = await harness.kader(FIRST_ID + 1, name="Budi")
    emu.set_rate_limits(RateLimits())
    caplog.set_level(logging.INFO)
    quick = asyncio.create_task(fill(harness, siti, 0, answers=8))
    while emu.flood_refusals(siti.chat_id) == 0:  # Siti's chat is over its limit
        assert not quick.done(), "Siti never met the per-chat limit"
        await asyncio.sleep(0.01)

    budi_waits: list[float] = []
    await fill(harness, budi, 1, answers=3, waits=budi_waits, think=2.0)  # within his limit
    await quick
    await harness.settle(timeout=30)

    assert emu.flood_refusals(budi.chat_id) == 0
    assert max(budi_waits) < 1.0, budi_waits  # a halt for Siti would cost him 1.1 s
    assert current_question(siti) is not None and current_question(budi) is not None
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING
                and r.name.startswith("bot.")]
