"""Telegram's text and keyboard rules as plain functions (no server, milliseconds)."""

from __future__ import annotations

import pytest

from bot.emulator.errors import ApiError
from bot.emulator.faults import Fault, FaultPlan
from bot.emulator.files import image_dimensions, tiny_png
from bot.emulator.formatting import check_caption, check_text, parse_html, parse_text
from bot.emulator.markup import validate_reply_markup


def test_html_becomes_plain_text_with_utf16_entity_offsets() -> None:
    parsed = parse_html("👨‍👩‍👧 <b>Keluarga</b> &amp; <a href='https://x.id'>tautan</a>")

    assert parsed.text == "👨‍👩‍👧 Keluarga & tautan"
    assert parsed.entities == (
        {"type": "bold", "offset": 9, "length": 8},
        {"type": "text_link", "offset": 20, "length": 6, "url": "https://x.id"},
    )


def test_nested_tags_pre_with_language_and_expandable_blockquote() -> None:
    parsed = parse_html(
        '<b>a<i>b</i></b><pre><code class="language-python">x=1</code></pre>'
        "<blockquote expandable>q</blockquote><tg-spoiler>s</tg-spoiler>"
    )

    assert parsed.text == "abx=1qs"
    assert parsed.entities == (
        {"type": "bold", "offset": 0, "length": 2},
        {"type": "italic", "offset": 1, "length": 1},
        {"type": "pre", "offset": 2, "length": 3, "language": "python"},
        {"type": "expandable_blockquote", "offset": 5, "length": 1},
        {"type": "spoiler", "offset": 6, "length": 1},
    )


@pytest.mark.parametrize(
    ("source", "detail"),
    [
        ("<b>tebal", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("a<br>b", 'Unsupported start tag "br" at byte offset 1'),
        ("nilai < 75", 'Unexpected "<" at byte offset 6'),
        ('<span class="merah">x</span>', 'Tag "span" must have class "tg-spoiler"'),
    ],
)
def test_malformed_html_is_rejected_with_telegrams_reason(source: str, detail: str) -> None:
    with pytest.raises(ApiError) as caught:
        parse_html(source)

    assert caught.value.status == 400
    assert caught.value.description.startswith("Bad Request: can't parse entities: " + detail)


def test_unknown_ampersands_stay_literal_and_numeric_references_decode() -> None:
    assert parse_html("A & B &#65; &#x42; &nbsp;").text == "A & B A B &nbsp;"


def test_plain_and_markdown_text_are_left_alone_and_unknown_modes_rejected() -> None:
    assert parse_text("<b>x</b>", None).text == "<b>x</b>"
    assert parse_text("*x*", "MarkdownV2").text == "*x*"
    with pytest.raises(ApiError, match="unsupported parse_mode"):
        parse_text("x", "BBCode")


def test_limits_count_the_parsed_text_not_the_markup() -> None:
    check_text(parse_html("<b>" + "a" * 4096 + "</b>"))
    check_caption(parse_html("<i>" + "c" * 1024 + "</i>"))

    with pytest.raises(ApiError, match="message is too long"):
        check_text(parse_html("a" * 4097))
    with pytest.raises(ApiError, match="message text is empty"):
        check_text(parse_html("<b> </b>"))
    with pytest.raises(ApiError, match="caption is too long"):
        check_caption(parse_html("c" * 1025))


@pytest.mark.parametrize(
    "button",
    [
        {"text": "x", "callback_data": "é" * 33},
        {"text": "x", "callback_data": ""},
    ],
)
def test_callback_data_must_be_1_to_64_utf8_bytes(button: dict[str, str]) -> None:
    with pytest.raises(ApiError, match="BUTTON_DATA_INVALID"):
        validate_reply_markup({"inline_keyboard": [[button]]})


def test_valid_keyboards_pass_unchanged() -> None:
    inline = {"inline_keyboard": [[{"text": "Ya", "callback_data": "q1:ya"}]]}
    reply = {"keyboard": [["Kader", {"text": "Bagikan lokasi", "request_location": True}]]}

    assert validate_reply_markup(inline) is inline
    assert validate_reply_markup(reply) is reply
    assert validate_reply_markup({"remove_keyboard": True}) == {"remove_keyboard": True}


@pytest.mark.parametrize(
    ("markup", "reason"),
    [
        ({"inline_keyboard": [[{"text": "x", "url": "ftp://a"}]]}, "Wrong HTTP URL"),
        ({"inline_keyboard": [[{"callback_data": "a"}]]}, 'Field "text"'),
        ({"inline_keyboard": [[{"text": "x", "callback_data": "a"}]] * 101}, "too long"),
        ({"inline_keyboard": [{"text": "x"}]}, "must be an Array"),
        ({"keyboard": [[""]]}, "keyboard button text is empty"),
        ({"warna": "merah"}, "can't parse reply keyboard markup"),
    ],
)
def test_invalid_keyboards_are_rejected(markup: dict[str, object], reason: str) -> None:
    with pytest.raises(ApiError) as caught:
        validate_reply_markup(markup)

    assert reason in caught.value.description


def test_faults_for_one_chat_come_before_faults_for_every_chat() -> None:
    plan = FaultPlan()
    plan.add("sendMessage", Fault.server_error())
    plan.add("sendmessage", Fault.forbidden(), chat_id=7)

    assert plan.take("sendMessage", 8) == Fault.server_error()
    assert plan.take("SENDMESSAGE", 7) == Fault.forbidden()
    assert plan.take("sendMessage", 7) is None


def test_an_outage_can_be_limited_to_some_methods_and_ended_early() -> None:
    plan = FaultPlan()
    plan.outage(60, status=504, methods=["sendPhoto"])

    assert plan.take("sendMessage", None) is None
    outage = plan.take("sendPhoto", None)
    assert outage is not None and outage.status == 504
    plan.end_outage()
    assert plan.take("sendPhoto", None) is None


def test_image_dimensions_are_read_from_png_and_jpeg_headers() -> None:
    jpeg = (
        b"\xff\xd8"
        + b"\xff\xe0\x00\x10"
        + b"JFIF\x00"
        + b"\x00" * 9
        + b"\xff\xc0\x00\x11\x08\x01\xe0\x02\x80"
        + b"\x00" * 12
    )

    assert image_dimensions(tiny_png(800, 500)) == (800, 500)
    assert image_dimensions(jpeg) == (640, 480)
    assert image_dimensions(b"bukan gambar") is None
