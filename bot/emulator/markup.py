"""Validation of ``reply_markup`` the way Telegram does it, and helpers to read keyboards back.

The 64-*byte* ``callback_data`` limit is the classic production-only failure: a label with
accented letters fits in 64 characters but not in 64 bytes.
"""

from __future__ import annotations

from typing import Any

from bot.emulator.errors import bad_request

MAX_CALLBACK_DATA_BYTES = 64
MAX_BUTTONS = 100

INLINE_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)

_URL_PREFIXES = ("http://", "https://", "tg://")


def validate_reply_markup(markup: Any) -> dict[str, Any] | None:
    """Check a decoded ``reply_markup``; return it unchanged or raise a 400 like Telegram."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        _validate_inline(markup["inline_keyboard"])
    elif "keyboard" in markup:
        _validate_reply_keyboard(markup["keyboard"])
    elif not (markup.get("remove_keyboard") is True or markup.get("force_reply") is True):
        raise bad_request("can't parse reply keyboard markup JSON object")
    return markup


def _validate_inline(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
    if sum(len(row) for row in rows) > MAX_BUTTONS:
        raise bad_request("reply markup is too long")
    for row in rows:
        for button in row:
            _validate_inline_button(button)


def _validate_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request(
            'can\'t parse inline keyboard button: Field "text" must be of type String'
        )
    if not button["text"].strip():
        raise bad_request("text buttons are unallowed in the inline keyboard")
    actions = [name for name in INLINE_ACTIONS if name in button]
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if len(actions) > 1:
        raise bad_request(
            "can't parse inline keyboard button: exactly one of the optional fields must be used, "
            f"found {', '.join(actions)}"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= (
            MAX_CALLBACK_DATA_BYTES
        ):
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        url = button["url"]
        if not isinstance(url, str) or not url.startswith(_URL_PREFIXES) or " " in url:
            raise bad_request(f"inline keyboard button URL {url!r} is invalid: Wrong HTTP URL")


def _validate_reply_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "keyboard" of the ReplyKeyboardMarkup must be an Array')
    for row in rows:
        for button in row:
            text = (
                button
                if isinstance(button, str)
                else (button.get("text") if isinstance(button, dict) else None)
            )
            if not isinstance(text, str) or not text.strip():
                raise bad_request("keyboard button text is empty")


def inline_rows(markup: dict[str, Any] | None) -> list[list[dict[str, Any]]]:
    """The inline keyboard's rows of button dicts ([] when there is none)."""
    if not markup or "inline_keyboard" not in markup:
        return []
    return [list(row) for row in markup["inline_keyboard"]]


def reply_keyboard_rows(markup: dict[str, Any] | None) -> list[list[str]]:
    """The texts of a custom reply keyboard's buttons ([] when there is none)."""
    if not markup or "keyboard" not in markup:
        return []
    return [
        [button if isinstance(button, str) else str(button.get("text", "")) for button in row]
        for row in markup["keyboard"]
    ]


def inline_part(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    """Only an inline keyboard is attached to a message; other markups affect the chat input."""
    if markup and "inline_keyboard" in markup and markup["inline_keyboard"]:
        return markup
    return None
