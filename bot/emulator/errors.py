"""Bot API error answers, shaped exactly as Telegram sends them so PTB maps them the same way."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ApiError(Exception):
    """An error envelope: HTTP status, ``description`` and optional ``parameters``.

    Raised anywhere inside a method implementation; the server turns it into
    ``{"ok": false, "error_code": status, "description": ..., "parameters": ...}``.
    """

    status: int
    description: str
    parameters: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(f"{self.status} {self.description}")

    def envelope(self) -> dict[str, Any]:
        """The JSON body Telegram would answer with."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = dict(self.parameters)
        return body


def bad_request(reason: str) -> ApiError:
    """A 400 whose description starts with Telegram's ``Bad Request: `` prefix."""
    return ApiError(400, f"Bad Request: {reason}")


def forbidden(reason: str) -> ApiError:
    """A 403 whose description starts with Telegram's ``Forbidden: `` prefix."""
    return ApiError(403, f"Forbidden: {reason}")


def not_found() -> ApiError:
    """What Telegram answers for an unknown method or a malformed token."""
    return ApiError(404, "Not Found")


CHAT_NOT_FOUND = "chat not found"
BOT_BLOCKED = "bot was blocked by the user"
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
MESSAGE_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
