"""Decoding of Bot API request parameters as PTB (and other clients) send them.

PTB posts ``application/x-www-form-urlencoded`` (or multipart when a file is attached) where
every non-string value is a JSON-encoded string inside the form field. Other clients post a JSON
body. The typed accessors here accept both, so method code never cares about the transport.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bot.emulator.errors import bad_request
from bot.emulator.files import UploadedFile

# Fields whose value is text even when it looks like a number ("5" as a callback query id).
TEXT_FIELDS = frozenset(
    {
        "text",
        "caption",
        "callback_query_id",
        "url",
        "secret_token",
        "language_code",
        "parse_mode",
        "action",
        "file_id",
        "inline_message_id",
        "ip_address",
        "description",
        "short_description",
        "name",
        "title",
    }
)


class ApiParams:
    """The parameters of one call: raw values (form strings or JSON values) plus uploads."""

    def __init__(
        self, values: Mapping[str, Any], files: Mapping[str, UploadedFile] | None = None
    ) -> None:
        self._values: dict[str, Any] = dict(values)
        self.files: dict[str, UploadedFile] = dict(files or {})

    def __contains__(self, name: object) -> bool:
        return name in self._values and self._values[name] not in (None, "")

    def raw(self, name: str) -> Any:
        """The value exactly as it arrived (a form string or a JSON value)."""
        return self._values.get(name)

    def text(self, name: str, default: str | None = None) -> str | None:
        """A text parameter; JSON values are rendered back to text."""
        value = self._values.get(name)
        if value is None:
            return default
        if isinstance(value, str):
            return value
        return json.dumps(value, ensure_ascii=False)

    def require_text(self, name: str) -> str:
        """A text parameter that must be present and non-empty."""
        value = self.text(name)
        if not value:
            raise bad_request(f"{name} is empty")
        return value

    def integer(self, name: str, default: int | None = None) -> int | None:
        """An integer parameter; form strings are parsed, garbage is a 400."""
        value = self._values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            raise bad_request(f"invalid {name} specified")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        try:
            return int(str(value).strip())
        except ValueError:
            raise bad_request(f"invalid {name} specified") from None

    def require_int(self, name: str) -> int:
        """An integer parameter that must be present."""
        value = self.integer(name)
        if value is None:
            raise bad_request(f"{name} is empty")
        return value

    def number(self, name: str, default: float | None = None) -> float | None:
        """A number parameter (timeouts may be fractional)."""
        value = self._values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            raise bad_request(f"invalid {name} specified")
        if isinstance(value, int | float):
            return float(value)
        try:
            return float(str(value).strip())
        except ValueError:
            raise bad_request(f"invalid {name} specified") from None

    def flag(self, name: str, default: bool = False) -> bool:
        """A boolean parameter: JSON ``true``/``false`` or their form spellings."""
        value = self._values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise bad_request(f"invalid {name} specified")

    def structured(self, name: str) -> Any:
        """A structured parameter (reply_markup, scope, commands ...), decoded from JSON text."""
        value = self._values.get(name)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {name} JSON object") from None

    def chat_id(self) -> int:
        """``chat_id``; a ``@username`` never names a chat the emulator knows."""
        value = self._values.get("chat_id")
        if value is None or value == "":
            raise bad_request("chat_id is empty")
        if isinstance(value, str) and value.strip().startswith("@"):
            raise bad_request("chat not found")
        return self.require_int("chat_id")

    def decoded(self) -> dict[str, Any]:
        """Every parameter with JSON-looking form values decoded, for the call log."""
        result: dict[str, Any] = {}
        for name, value in self._values.items():
            result[name] = _decode_for_log(name, value)
        for name, upload in self.files.items():
            result.setdefault(name, upload)
        return result


def _decode_for_log(name: str, value: Any) -> Any:
    if not isinstance(value, str) or name in TEXT_FIELDS:
        return value
    stripped = value.strip()
    if not stripped or stripped[0] not in '-0123456789[{tfn"':
        return value
    try:
        return json.loads(stripped)
    except ValueError:
        return value
