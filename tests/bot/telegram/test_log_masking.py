"""Tokens never reach a log line, whatever handler or level records it."""

from __future__ import annotations

import logging

import pytest

from bot.telegram.logging import MASK, TokenMaskingFilter, install_log_masking, mask_secrets

TOKEN = "7712345678:AAH9x-kQz_3bLmN0pQrStUvWxYz0123456789"


def test_token_shaped_strings_are_masked_anywhere_in_a_text() -> None:
    url = f"POST https://api.telegram.org/bot{TOKEN}/sendMessage"
    assert mask_secrets(url) == f"POST https://api.telegram.org/bot{MASK}/sendMessage"


def test_ordinary_numbers_and_times_are_left_alone() -> None:
    text = "RT 12:30, 2026-11-27 08:00:00, update 123:45 of user 1001"
    assert mask_secrets(text) == text


def test_a_registered_secret_is_masked_even_if_it_does_not_look_like_a_token() -> None:
    install_log_masking(["rahasia-pendek"])
    assert mask_secrets("kunci rahasia-pendek dipakai") == f"kunci {MASK} dipakai"


def test_records_are_masked_in_message_arguments_and_tracebacks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    install_log_masking()
    caplog.set_level(logging.DEBUG, logger="httpx")
    logger = logging.getLogger("httpx")
    logger.info('HTTP Request: POST %s "HTTP/1.1 200 OK"', f"http://127.0.0.1/bot{TOKEN}/getMe")
    try:
        raise RuntimeError(f"InvalidToken: {TOKEN} was rejected")
    except RuntimeError:
        logger.exception("failed with %r", {"token": TOKEN})

    assert TOKEN not in caplog.text
    assert caplog.text.count(MASK) >= 3
    for record in caplog.records:
        assert TOKEN not in record.getMessage()
        assert TOKEN not in (record.exc_text or "")


def test_installing_quietens_httpx_and_httpcore_to_warning() -> None:
    logging.getLogger("httpx").setLevel(logging.DEBUG)
    install_log_masking()
    assert logging.getLogger("httpx").level == logging.WARNING
    assert logging.getLogger("httpcore").level == logging.WARNING


def test_installing_twice_wraps_the_record_factory_once() -> None:
    install_log_masking()
    factory = logging.getLogRecordFactory()
    install_log_masking()
    assert logging.getLogRecordFactory() is factory


def test_the_filter_masks_records_it_is_given() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "token %s", (TOKEN,), None)
    assert TokenMaskingFilter().filter(record) is True
    assert record.getMessage() == f"token {MASK}"
