"""What a cadre does in the e2e tests: read the question on screen, tap or type the answer.

The question on screen is recognised from its bold title (the instrument's label) or from the
short question number inside its buttons' callback data, never from bot internals.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Mapping
from typing import Any, Protocol

from bot.emulator import ChatMessage, EmulatedUser, TelegramEmulator
from bot.telegram.callback_data import Kind, decode
from conversations.engine import question_at, question_index
from ikk_core.instrument import Instrument
from ikk_core.instrument_io import load_default_instrument
from tests import worked_example as worked
from tests.worked_example import as_button_labels

INSTRUMENT: Instrument = load_default_instrument()

#: Questions asked as events: "Ya" means it happened, which scores 0.
# The spec's worked example (ikk-instrument-spec.md): yes/no by button, numbers typed.
FAMILY_A = as_button_labels(worked.FAMILY_A)
FAMILY_B = as_button_labels(worked.FAMILY_B)
FAMILY_C = as_button_labels(worked.FAMILY_C)
# 26 applicable, 21 met for B; 21 applicable, 17 met for C (the spec's hand count).
EXPECTED_SCORES = {"Ahmad Fauzi": 100.0, "Budi Santoso": 2100 / 26, "Citra Lestari": 1700 / 21}

_TITLES = {
    question.label.get("id"): question.name
    for question in INSTRUMENT.questions
    if question.answerable
}


def question_on(message: ChatMessage | None) -> str | None:
    """The question a bot message asks (None: not a question, e.g. the review card)."""
    if message is None:
        return None
    for row in message.button_data:
        for data in row:
            decoded = decode(data)
            if decoded is not None and decoded.kind in (Kind.ANSWER, Kind.BACK, Kind.SKIP):
                if decoded.question == 0:
                    return None  # "Kembali" on the review card
                found = question_at(INSTRUMENT, decoded.question)
                return found.name if found is not None else None
    for line in message.visible_text.splitlines():
        if line in _TITLES:
            return _TITLES[line]
    return None


def edit_label(card: ChatMessage | None, question: str) -> str:
    """The label ("Ubah 7") of the review card's button that opens `question`, found by the
    question's short number in its callback data."""
    assert card is not None
    wanted = question_index(INSTRUMENT, question)
    for row, data_row in zip(card.buttons, card.button_data, strict=True):
        for label, data in zip(row, data_row, strict=True):
            decoded = decode(data)
            if decoded is not None and decoded.kind is Kind.EDIT and decoded.question == wanted:
                return label
    raise AssertionError(f"no edit button for {question} on {card.visible_text[:300]!r}")


def current_question(user: EmulatedUser) -> str | None:
    return question_on(user.last_message())


def is_choice(question: str) -> bool:
    return INSTRUMENT.question(question).type.startswith("select")


class Bot(Protocol):
    """What the steps need of the test harness: the emulator and "has the bot finished"."""

    emulator: TelegramEmulator

    def handled(self) -> bool: ...


async def next_screen(bot: Bot, user: EmulatedUser, since: int) -> None:
    """Wait until the bot has finished handling everything the user did and has sent (since
    call `since`) or edited (a tap moves the live card on in place) a message the kader acts on
    next: a keyboard or a question.

    Polls every 5 ms: quicker than `wait_reply`'s quiet period, and never reads the chat
    between the bot's "answer the button" and its "send the next question".
    """
    emulator = bot.emulator

    def ready() -> bool:
        if not bot.handled() or emulator.idle_for() == 0.0:
            return False
        if not any(
            c.ok
            for method in ("sendMessage", "editMessageText")  # a tap edits the live card
            for c in emulator.calls(method, chat_id=user.chat_id, since=since)
        ):
            return False
        last = user.last_message()
        return last is not None and (bool(last.buttons) or question_on(last) is not None)

    deadline = time.monotonic() + 5.0
    while not ready():
        if time.monotonic() > deadline:
            raise AssertionError(f"no next question or card\n{user.transcript()[-1500:]}")
        await asyncio.sleep(0.005)


async def give(bot: Bot, user: EmulatedUser, question: str, value: str) -> None:
    """Answer `question` (which must be on screen) the way a cadre would."""
    assert current_question(user) == question, (
        f"expected {question} on screen\n{user.transcript()[-1500:]}"
    )
    since = bot.emulator.last_seq
    if is_choice(question):
        await user.tap(value)
    else:
        await user.send(value)
    await next_screen(bot, user, since)


async def answer_until(
    bot: Bot,
    user: EmulatedUser,
    entered: Mapping[str, str],
    *,
    stop_before: str | None = None,
) -> list[str]:
    """Answer every question shown until the review card (or until `stop_before` is shown);
    returns the questions asked, in order."""
    asked: list[str] = []
    while (question := current_question(user)) is not None and question != stop_before:
        assert question not in asked, f"{question} asked twice:\n{user.transcript()[-2000:]}"
        asked.append(question)
        await give(bot, user, question, entered[question])
    return asked


async def act(bot: Bot, user: EmulatedUser, action: Awaitable[Any]) -> None:
    """Do `action` (a send or a tap) and wait for the next question or card."""
    since = bot.emulator.last_seq
    await action
    await next_screen(bot, user, since)
