"""Keep the bot token out of every log line.

httpx logs each request URL, token included, at INFO; `repr(bot)` and `InvalidToken` carry it
too (field notes §8). A handler-level filter would miss handlers added later (pytest's caplog,
an operator's file handler), so the masking happens where records are born: a wrapped log
record factory rewrites the message, its arguments and any traceback text of every record.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Iterable
from typing import Any, Final

__all__ = [
    "MASK",
    "TOKEN_PATTERN",
    "TokenMaskingFilter",
    "install_log_masking",
    "mask_secrets",
]

TOKEN_PATTERN: Final = re.compile(r"\d+:[A-Za-z0-9_-]{20,}")
MASK: Final = "<token>"
NOISY_LOGGERS: Final = ("httpx", "httpcore")

_extra_secrets: set[str] = set()


def mask_secrets(text: str) -> str:
    """`text` with every token-shaped string and every registered secret replaced by a mask."""
    for secret in _extra_secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return TOKEN_PATTERN.sub(MASK, text)


def _mask_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a broken format string must not break logging
        message = f"{record.msg!r} {record.args!r}"
    record.msg = mask_secrets(message)
    record.args = None
    if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
        # Formatters reuse `exc_text` when it is set, so the traceback is printed masked.
        record.exc_text = mask_secrets("".join(traceback.format_exception(*record.exc_info)))
        record.exc_text = record.exc_text.rstrip("\n")
    if record.stack_info:
        record.stack_info = mask_secrets(record.stack_info)


class TokenMaskingFilter(logging.Filter):
    """A filter for handlers or loggers that masks tokens in the records it sees (never drops)."""

    def filter(self, record: logging.LogRecord) -> bool:
        _mask_record(record)
        return True


class _MaskingFactory:
    """Wraps the current record factory; marked so that installing twice wraps once."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = self.inner(*args, **kwargs)
        _mask_record(record)
        return record


def install_log_masking(secrets: Iterable[str] = ()) -> None:
    """Mask tokens in every log record from now on, and quiet httpx/httpcore to WARNING.

    `secrets` are extra exact strings to mask (the configured token, whatever its shape).
    Safe to call more than once.
    """
    _extra_secrets.update(s for s in secrets if s)
    current = logging.getLogRecordFactory()
    if not isinstance(current, _MaskingFactory):
        logging.setLogRecordFactory(_MaskingFactory(current))
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
