"""Callback data: compact, canonical, and garbage never decodes to a guess."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.telegram.callback_data import MAX_BYTES, CallbackData, Kind, decode, encode

numbers = st.integers(min_value=0, max_value=36**12 - 1)


@given(st.sampled_from(list(Kind)), numbers, numbers, numbers, numbers)
def test_every_button_round_trips_within_64_ascii_bytes(
    kind: Kind, response: int, question: int, version: int, value: int
) -> None:
    data = CallbackData(kind, response, question, version, value)
    text = encode(data)

    assert len(text.encode("ascii")) <= MAX_BYTES
    assert decode(text) == data


def test_a_typical_answer_button_is_short() -> None:
    assert encode(CallbackData(Kind.ANSWER, 1234, 15, 40, 1)) == "1aya.f.14.1"


@given(st.text(max_size=80))
def test_arbitrary_text_decodes_to_none_or_to_its_own_canonical_form(text: str) -> None:
    decoded = decode(text)
    assert decoded is None or encode(decoded) == text


@pytest.mark.parametrize(
    "garbage",
    [
        "", "1", "1a", "1a1.2.3", "1a1.2.3.4.5", "2a1.2.3.4", "1A1.2.3.4", "1?1.2.3.4",
        "1a01.2.3.4", "1a1.-2.3.4", "1a1.2.3.4 ", " 1a1.2.3.4", "1a1.2.3.4\n", "1a1,2,3,4",
        "1a1.2.3.٤", "1a" + "z" * 13 + ".0.0.0", "ans:ya", "1a1.2.3.4" + "0" * 60,
    ],
)
def test_malformed_callback_data_decodes_to_none(garbage: str) -> None:
    assert decode(garbage) is None


def test_non_text_decodes_to_none() -> None:
    assert decode(None) is None
    assert decode(b"1a1.2.3.4") is None


@pytest.mark.parametrize("bad", [-1, 36**12, True])
def test_numbers_out_of_range_are_refused_when_encoding(bad: int) -> None:
    with pytest.raises((ValueError, TypeError)):
        CallbackData(Kind.ANSWER, response_id=bad)
