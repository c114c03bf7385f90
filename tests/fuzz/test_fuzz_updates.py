"""Hypothesis-generated updates through the real bot (webhook mode, emulator, both databases):
random and hostile text (emoji, right-to-left, zero-width, NUL, control characters, numbers
in other scripts), commands with odd arguments, button data from other questions and other
families, forged and garbage button data, stickers, edits, group messages and unreadable
updates. After every example: no exception reached the error handlers, every button tap was
answered, and every stored answer is a canonical value of a real question.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.telegram.callback_data import CallbackData, Kind
from tests.fuzz.fuzz_world import (
    KADER_IDS,
    OFFICIAL_ID,
    STRANGER_ID,
    FuzzWorld,
    close_world,
    open_world,
)

FUZZ = settings(
    max_examples=120,
    deadline=None,
    database=None,  # nothing written to .hypothesis/; failures print their example
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

COMMANDS = (
    "/start", "/survei", "/lanjut", "/keluarga", "/batal", "/bantuan", "/help", "/ikk",
    "/progres", "/undang", "/peringatan", "/status_peringatan", "/hapus", "/START",
    "/survei@ikk_test_bot", "/survei@bot_lain",
)
ODD_TEXTS = (
    "ya", "  YA ", "Tidak", "tidak ya", "0", "-1", "007", "1e9", "2.000.000", "2,5", "Rp 1,5 juta",
    "١٢", "٣", "𝟙𝟚", "1\u200b2", "\u202eay", "\u200f", "\ufeff", "\x00", "a\x00b", "\x01",
    "a\x1bb", "NaN", "inf",
    "½", "9" * 40, "<b>tebal</b>", "&amp;", "<script>", "'; DROP TABLE answer; --", "x" * 1001,
    "👨‍👩‍👧‍👦", "\r\n", "   ", "ئەوە", "שלום", "🇮🇩" * 20,
)
USERS = (*KADER_IDS, OFFICIAL_ID, STRANGER_ID)

unicode_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]),
    min_size=0,
    max_size=40,
)
hostile_text = st.text(  # control, format and combining characters among letters and digits
    alphabet=st.sampled_from(
        ("a", "Z", "1", " ", "é", "👍", "\x00", "\x01", "\x1f", "\x7f", "\u200b", "\u200d",
         "\u202e", "\u2066", "\ufeff", "\u0301", "\u00a0", "\u3000", "\U000e0041")
    ),
    max_size=12,
)
text_like = st.one_of(st.sampled_from(ODD_TEXTS), unicode_text, hostile_text)
command_line = st.builds(
    lambda command, argument: f"{command} {argument}".rstrip(),
    st.sampled_from(COMMANDS),
    st.one_of(st.just(""), st.sampled_from(("inv_abc", "Sampanahan", "63.02", "99", "semua")),
              unicode_text),
)
forged_data = st.builds(
    lambda kind, response, question, version, value: CallbackData(
        kind, response, question, version, value
    ).encode(),
    st.sampled_from(list(Kind)),
    st.integers(0, 6),
    st.integers(0, 130),
    st.integers(0, 60),
    st.integers(0, 12),
)
garbage_data = st.text(min_size=0, max_size=64).filter(lambda s: len(s.encode()) <= 64)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(("message", "callback_query", "edited_message", "from", "chat", "id",
                         "text", "data", "date", "message_id", "type", "x")),
        inner, max_size=4,
    ),
    max_leaves=12,
)


@dataclass(frozen=True)
class Action:
    """One thing a user (or the network) does."""

    kind: str
    user: int
    payload: Any = None


@st.composite
def actions(draw: st.DrawFn, world: FuzzWorld) -> Action:
    user = draw(st.sampled_from(USERS))
    kind = draw(st.sampled_from(
        ("text", "text", "new_family", "command", "tap_shown", "tap_shown", "tap_forged",
         "tap_garbage", "sticker", "edit", "group", "raw")
    ))
    if kind == "new_family":  # a kader starts a family: its first question takes free text
        return Action(kind, draw(st.sampled_from(KADER_IDS)), draw(text_like))
    if kind == "text":
        return Action(kind, user, draw(text_like))
    if kind == "command":
        return Action(kind, user, draw(command_line))
    if kind == "tap_shown":  # which button is chosen when it is tapped (the chats change)
        return Action(kind, user, draw(st.integers(0, 10**6)))
    if kind == "tap_forged":
        return Action("tap", user, draw(forged_data))
    if kind == "tap_garbage":
        return Action("tap", user, draw(garbage_data))
    if kind in ("edit", "group"):
        return Action(kind, user, draw(text_like))
    if kind == "raw":
        return Action(kind, user, draw(json_values))
    return Action(kind, user)


async def perform(world: FuzzWorld, action: Action) -> None:
    user = world.users[action.user]
    if action.kind in ("text", "command"):
        await user.send(action.payload)
    elif action.kind == "new_family":
        await user.send("/survei")
        await world.settle()
        await user.send(action.payload)
    elif action.kind in ("tap", "tap_shown"):
        data = action.payload
        if action.kind == "tap_shown":
            shown = world.button_data() or ["1a1.1.0.0"]
            data = shown[action.payload % len(shown)]
        messages = world.emulator.messages(user.id, include_deleted=True)
        target = messages[-1].message_id if messages else 1
        await user.tap_data(target, data)
    elif action.kind == "sticker":
        await user.send_sticker()
    elif action.kind == "edit":
        chat = world.emulator.state.known_chat(user.id)
        own = [m for m in chat.messages if not m.from_bot and m.text] if chat else []
        if own:
            await user.edit(own[-1], action.payload)
        else:
            await user.send(action.payload)
    elif action.kind == "group":
        await user.send_in_group(f"/survei@ikk_test_bot {action.payload}", -100_777)
    elif action.kind == "raw":
        world.emulator.inject_raw_update(json.loads(json.dumps(action.payload)))


def check(world: FuzzWorld, done: list[Action]) -> None:
    assert world.errors == [], f"{world.errors}\nafter {done}"
    assert world.emulator.state.internal_errors == [], world.emulator.state.internal_errors
    assert world.spinning() == [], f"callback queries never answered after {done}"
    assert world.run(world.garbage_answers()) == [], f"stored garbage after {done}"


@pytest.fixture
def world(migrated_database_url: str) -> Iterator[FuzzWorld]:
    made = open_world(migrated_database_url)
    try:
        yield made
    finally:
        close_world(made)


@FUZZ
@given(data=st.data())
def test_any_sequence_of_user_actions_is_answered_without_errors_or_stored_garbage(
    world: FuzzWorld, data: st.DataObject
) -> None:
    world.errors.clear()  # only this example's (the world outlives it)
    done: list[Action] = []
    for _ in range(data.draw(st.integers(1, 4), label="actions")):
        action = data.draw(actions(world))
        done.append(action)
        world.run(perform(world, action))
    world.run(world.settle())
    check(world, done)


@FUZZ
@given(payload=json_values)
def test_unreadable_updates_are_skipped_without_errors(world: FuzzWorld, payload: Any) -> None:
    world.errors.clear()
    world.emulator.inject_raw_update(json.loads(json.dumps(payload)))
    world.run(world.settle())
    check(world, [Action("raw", 0, payload)])
