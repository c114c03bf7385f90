"""Message economy (issue 12): a family's questionnaire is one live card, edited in place.

Telegram caps a bot at about 30 messages a second; answering a button is not capped. The
emulator's log counts the capped calls each answer costs: a tapped answer exactly one (the edit
of the live card), a typed answer at most two (a new card, the old card's keyboard removed).
Both databases.
"""

from __future__ import annotations

from bot.emulator import ApiCall, EmulatedUser, Fault
from tests.e2e.conftest import BotHarness
from tests.e2e.kader_steps import (
    FAMILY_A,
    INSTRUMENT,
    act,
    answer_until,
    current_question,
    give,
    is_choice,
    question_on,
)

UNCAPPED = frozenset({"answercallbackquery"})


def capped(calls: list[ApiCall]) -> list[str]:
    return [c.method for c in calls if c.method.lower() not in UNCAPPED]


async def answer_family_counting(
    harness: BotHarness, siti: EmulatedUser
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Answer family A to the review card; the capped calls of each tapped and typed answer."""
    emulator = harness.emulator
    tapped: dict[str, list[str]] = {}
    typed: dict[str, list[str]] = {}
    while (question := current_question(siti)) is not None:
        since = emulator.last_seq
        await give(harness, siti, question, FAMILY_A[question])
        await harness.settle()
        calls = emulator.calls(since=since)
        (tapped if is_choice(question) else typed)[question] = capped(calls)
        if is_choice(question):
            assert [c.method for c in calls if c.method.lower() in UNCAPPED], (
                f"the tap on {question} was not answered"
            )
    return tapped, typed


async def test_each_tapped_answer_costs_one_capped_call_and_each_typed_answer_at_most_two(
    harness: BotHarness,
) -> None:
    siti = await harness.kader(1001)
    await act(harness, siti, siti.send("/survei"))

    tapped, typed = await answer_family_counting(harness, siti)

    assert len(tapped) >= 15 and len(typed) >= 3, (tapped, typed)
    assert {q: calls for q, calls in tapped.items() if calls != ["editMessageText"]} == {}
    assert {q: calls for q, calls in typed.items() if len(calls) > 2} == {}
    card = siti.last_message()
    assert card is not None and "Ringkasan jawaban" in (card.text or "")
    assert question_on(card) is None


async def test_the_review_card_still_lists_every_answer_given_on_the_live_card(
    harness: BotHarness,
) -> None:
    siti = await harness.kader(1001)
    await act(harness, siti, siti.send("/survei"))
    tapped, typed = await answer_family_counting(harness, siti)

    card = siti.last_message()
    assert card is not None
    text = card.text or ""
    missing = [q for q in [*tapped, *typed] if INSTRUMENT.short_label(q) not in text]
    assert missing == [], f"not on the review card:\n{text}"


async def test_a_card_that_cannot_be_edited_is_replaced_by_a_new_one_and_the_answer_kept(
    harness: BotHarness,
) -> None:
    siti = await harness.kader(1001)
    await act(harness, siti, siti.send("/survei"))
    await answer_until(harness, siti, FAMILY_A, stop_before="P_PASANGAN")
    old = siti.last_message()
    assert old is not None
    harness.emulator.faults.add(
        "editMessageText", Fault.bad_request("message to edit not found"), times=1
    )

    await give(harness, siti, "P_PASANGAN", "Ya")

    new = siti.last_message()
    assert new is not None and new.message_id != old.message_id
    assert question_on(new) not in (None, "P_PASANGAN")
    assert new.visible_text.startswith("✔️ Ada pasangan: Ya")
    assert siti.last_callback_answer() is not None
    # The new card is where typed answers now belong: the next answer goes on as usual.
    await answer_until(harness, siti, FAMILY_A)
    final = siti.last_message()
    assert final is not None and "Ringkasan jawaban" in (final.text or "")


async def test_a_tap_on_a_card_pushed_up_by_newer_messages_sends_the_next_question_below(
    harness: BotHarness,
) -> None:
    siti = await harness.kader(1001)
    await act(harness, siti, siti.send("/survei"))
    await answer_until(harness, siti, FAMILY_A, stop_before="P_PASANGAN")
    card = siti.last_message()
    assert card is not None
    ya = next(data for label, data in zip(card.buttons[0], card.button_data[0], strict=True)
              if label == "Ya")
    await act(harness, siti, siti.send("/keluarga"))  # a list now sits below the card

    # Her "Ya" on the card up the chat (still drawn for the version the family is at).
    await act(harness, siti, siti.tap_data(card.message_id, ya))

    new = siti.last_message()
    assert new is not None and new.message_id > card.message_id
    assert question_on(new) not in (None, "P_PASANGAN")
    old = next(m for m in siti.messages() if m.message_id == card.message_id)
    assert not old.buttons and (old.text or "").endswith("✔️ Ya"), "the old card shows the answer"


async def test_a_double_tap_is_answered_and_edits_nothing(harness: BotHarness) -> None:
    siti = await harness.kader(1001)
    await act(harness, siti, siti.send("/survei"))
    await answer_until(harness, siti, FAMILY_A, stop_before="P_PASANGAN")
    card = siti.last_message()
    assert card is not None
    ya = next(data for label, data in zip(card.buttons[0], card.button_data[0], strict=True)
              if label == "Ya")
    await give(harness, siti, "P_PASANGAN", "Ya")
    since = harness.emulator.last_seq

    for _ in range(3):
        await siti.tap_data(card.message_id, ya)
        await harness.settle()

    calls = harness.emulator.calls(since=since)
    assert capped(calls) == [], "an edit to the same content is refused by Telegram"
    assert len([c for c in calls if c.method.lower() in UNCAPPED]) == 3
    assert all(c.ok for c in calls)
    assert current_question(siti) == "P_ANAK"
