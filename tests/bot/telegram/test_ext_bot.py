"""An update PTB cannot parse is skipped without stopping the batch (or the offset)."""

from __future__ import annotations

import logging

import pytest

from bot.emulator import DEFAULT_TOKEN
from bot.telegram.ext_bot import IkkBot, readable_updates


def test_unreadable_updates_become_bare_ids_and_the_rest_is_kept(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot = IkkBot(DEFAULT_TOKEN)
    good = {"update_id": 3, "message": {"message_id": 1, "date": 0,
                                        "chat": {"id": 5, "type": "private"}, "text": "hi"}}
    raw = [{"update_id": 1, "message": "bukan pesan"}, {"update_id": None, "raw": 7}, "x", good]

    with caplog.at_level(logging.WARNING, logger="bot.telegram.ext_bot"):
        kept = readable_updates(bot, raw)

    assert kept == [{"update_id": 1}, good]
    assert "update 1 could not be read" in caplog.text
