"""Updates the bot cannot read, by long polling and by webhook: each is logged with its id and
skipped, the bot keeps answering, and by webhook it is acknowledged once (200) instead of being
refused and resent by Telegram."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.e2e.conftest import BotHarness
from tests.e2e.kader_steps import FAMILY_A, act, answer_until, current_question, give

UNREADABLE: list[Any] = [
    {"message": "bukan pesan"},
    {"message": {"message_id": "x", "date": "kemarin", "chat": 5}},
    {"callback_query": {"id": 1, "from": "siapa"}},
    {"edited_message": [1, 2, 3]},
]
READABLE_BUT_EMPTY: list[Any] = [
    {"message": {"message_id": 7, "date": 0, "chat": {"id": 55, "type": "private"}}},
    {"poll": {"id": "1", "question": "?", "options": []}},
    {},
]


async def feed_garbage(harness: BotHarness) -> list[int]:
    emu = harness.emulator
    ids = [emu.inject_raw_update(payload)["update_id"] for payload in UNREADABLE]
    for payload in READABLE_BUT_EMPTY:
        emu.inject_raw_update(payload)
    emu.inject_raw_update(["bukan", "objek"])  # no update_id at all
    return ids


async def check_unreadable_are_skipped(
    harness: BotHarness, caplog: pytest.LogCaptureFixture, *, webhook: bool
) -> None:
    caplog.set_level(logging.INFO, logger="bot.telegram")
    siti = await harness.kader(1001)
    await act(harness, siti, siti.send("/survei"))

    unreadable = await feed_garbage(harness)
    await give(harness, siti, "H_KEPALA", "Ahmad Fauzi")
    await harness.settle()
    await answer_until(harness, siti, FAMILY_A, stop_before="P_PASANGAN")

    assert current_question(siti) == "P_PASANGAN"
    for update_id in unreadable:
        assert f"update {update_id} could not be read" in caplog.text
    emu = harness.emulator
    assert emu.updates.pending == 0
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    if webhook:
        statuses = {d.update_id: d.status for d in emu.webhook_deliveries()}
        assert all(statuses[i] == 200 for i in unreadable)
        assert len(emu.webhook_deliveries()) == len(statuses), "each delivered once"
        assert emu.webhook.given_up == []


@pytest.mark.parametrize("db_backend", ["sqlite"])
async def test_by_polling_unreadable_updates_are_logged_and_skipped_and_the_kader_goes_on(
    harness: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    await check_unreadable_are_skipped(harness, caplog, webhook=False)


@pytest.mark.parametrize("db_backend", ["sqlite"])
async def test_by_webhook_unreadable_updates_are_acknowledged_once_logged_and_skipped(
    webhook_harness: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    await check_unreadable_are_skipped(webhook_harness, caplog, webhook=True)
