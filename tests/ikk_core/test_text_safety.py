"""Typed names: XML-illegal and invisible-only text is refused, direction tricks are removed."""

from __future__ import annotations

import pytest

from ikk_core.instrument_io import load_default_instrument
from ikk_core.text_safety import (
    UnsafeText,
    clean_typed_text,
    has_visible_character,
    is_xml_illegal,
    xml_safe,
)
from ikk_core.values import AnswerError, parse_answer

HEAD_NAME_MESSAGE = (
    "Nama tidak boleh berisi karakter tak terlihat atau khusus. Ketik nama kepala keluarga "
    "dengan huruf biasa, misalnya: Budi Santoso."
)


@pytest.mark.parametrize(
    "text",
    ["Budi\uffffSantoso", "Budi\ufffe", "Ani\ud800Lestari", "\udfff", "Nama\ufdd0",
     "Siti\U0001fffe", "a\x00b", "a\x1bb", "\x0c"],
)
def test_text_with_an_xml_illegal_character_is_refused(text: str) -> None:
    with pytest.raises(UnsafeText) as refused:
        clean_typed_text(text)
    assert refused.value.reason == "illegal"


@pytest.mark.parametrize(
    "text",
    ["\u200b", "\u200b\u200c\u200d", "\u2060", "\ufeff", "\u0301\u0301", "\u20dd", "\u0903",
     "\u202e", "\u202a\u202c", "\u2066\u2069", " \u200b ", "\u3000", "\u200e\u200f"],
)
def test_text_with_nothing_visible_is_refused(text: str) -> None:
    with pytest.raises(UnsafeText) as refused:
        clean_typed_text(text)
    assert refused.value.reason == "invisible"


def test_direction_overrides_inside_a_visible_name_are_removed() -> None:
    assert clean_typed_text("Budi \u202eotnaS") == "Budi otnaS"
    assert clean_typed_text("\u2067Siti\u2069 Aminah") == "Siti Aminah"
    assert clean_typed_text("Ah\u200bmad") == "Ahmad"


def test_ordinary_names_pass_unchanged() -> None:
    for name in ("Budi Santoso", "José", "Jose\u0301", "Ṣiti ’Aisyah", "Nur\u200cAin",
                 "H. Ahmad bin Abdul", "ئەوە", "👨‍👩‍👧"):
        assert clean_typed_text(name) == name


def test_tab_and_newline_are_not_illegal_but_other_controls_are() -> None:
    assert not is_xml_illegal("\t") and not is_xml_illegal("\n") and not is_xml_illegal("\r")
    assert is_xml_illegal("\x00") and is_xml_illegal("\x1f")
    assert not is_xml_illegal("a") and not is_xml_illegal("\ufffd")


def test_the_workbook_sanitiser_drops_what_xml_cannot_carry_and_keeps_the_rest() -> None:
    assert xml_safe("Budi\uffffSantoso") == "BudiSantoso"
    assert xml_safe("Ani\ud800Lestari\x07") == "AniLestari"
    assert xml_safe("Tab\tdan baris\nbaru") == "Tab\tdan baris\nbaru"
    assert xml_safe("Budi \u202eSantoso") == "Budi \u202eSantoso"  # legal XML: kept
    assert xml_safe("") == ""


def test_a_combining_mark_needs_a_letter_to_be_visible() -> None:
    assert not has_visible_character("\u0301")
    assert has_visible_character("e\u0301")


@pytest.mark.parametrize("typed", ["Budi\uffffSantoso", "\u200b\u200b", "\u0301", "\u202e"])
def test_the_head_name_question_refuses_unsafe_text_with_a_plain_message(typed: str) -> None:
    instrument = load_default_instrument()
    question = instrument.question(instrument.head_question or "")
    with pytest.raises(AnswerError) as refused:
        parse_answer(instrument, question, typed)
    assert refused.value.message == HEAD_NAME_MESSAGE


def test_a_name_with_a_direction_override_is_stored_without_it() -> None:
    instrument = load_default_instrument()
    question = instrument.question("H_KEPALA")
    assert parse_answer(instrument, question, "Budi \u202eSantoso") == "Budi Santoso"
    assert parse_answer(instrument, question, "  Budi   Santoso ") == "Budi Santoso"
