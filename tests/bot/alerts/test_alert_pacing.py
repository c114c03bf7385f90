"""The pacer and the alert buttons' callback data (no database, no Telegram)."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.alerts import buttons
from bot.alerts.buttons import AlertButton, Op
from bot.alerts.delivery import Pacer
from bot.telegram import callback_data
from tests.bot.alerts.rates import max_in_window, mean_rate, min_gap_per_chat


def test_the_window_measure_counts_a_half_open_second() -> None:
    assert max_in_window([0.0, 0.5, 0.99, 1.0, 1.5]) == 3
    assert max_in_window([]) == 0
    assert min_gap_per_chat([(1, 0.0), (2, 0.1), (1, 1.2), (1, 3.0)]) == pytest.approx(1.2)


async def _grants(pacer: Pacer, chats: list[int], workers: int) -> list[tuple[int, float]]:
    queue = list(chats)
    out: list[tuple[int, float]] = []

    async def worker() -> None:
        while queue:
            chat = queue.pop(0)
            out.append((chat, await pacer.acquire(chat)))

    await asyncio.gather(*[worker() for _ in range(workers)])
    return out


async def test_grants_never_exceed_the_rate_in_any_second_with_many_workers() -> None:
    pacer = Pacer(100.0, 0.2, slack=0.01)
    grants = await _grants(pacer, list(range(250)), workers=12)
    times = [t for _, t in grants]
    assert len(grants) == 250
    assert max_in_window(times) <= 100
    assert mean_rate(times) > 80  # and it does not crawl either


async def test_two_messages_to_one_chat_are_spaced_by_the_per_chat_interval() -> None:
    pacer = Pacer(200.0, 0.25, slack=0.01)
    grants = await _grants(pacer, [1, 1, 2, 1, 2, 3, 3], workers=4)
    assert min_gap_per_chat(grants) >= 0.25


async def test_a_pause_holds_every_grant_until_it_ends() -> None:
    pacer = Pacer(100.0, 0.0, slack=0.0)
    await pacer.acquire(1)
    pacer.pause(0.3)
    started = time.monotonic()
    await pacer.acquire(2)
    assert time.monotonic() - started >= 0.29


def test_trouble_backs_off_doubling_up_to_a_limit_until_fine() -> None:
    pacer = Pacer(10.0)
    assert [pacer.trouble(0.5, 3.0) for _ in range(4)] == [0.5, 1.0, 2.0, 3.0]
    pacer.fine()
    assert pacer.trouble(0.5, 3.0) == 0.5


def test_a_pacer_needs_a_positive_rate() -> None:
    with pytest.raises(ValueError):
        Pacer(0)


# ------------------------------------------------------------------------------ buttons


@pytest.mark.parametrize(
    "button",
    [
        AlertButton(Op.ACK, number=0),
        AlertButton(Op.ACK, number=36**12 - 1),
        AlertButton(Op.ENABLE, flag=True),
        AlertButton(Op.ENABLE, flag=False),
        AlertButton(Op.QUIET, flag=True),
        AlertButton(Op.SECTOR, number=17, flag=True, check=buttons.sector_check("BPJS")),
        AlertButton(Op.ALL_SECTORS),
        AlertButton(Op.SECTOR_LIST),
        AlertButton(Op.MAIN),
    ],
)
def test_every_alert_button_survives_encoding_within_64_bytes(button: AlertButton) -> None:
    data = buttons.encode(button)
    assert len(data.encode()) <= 64
    assert buttons.decode(data) == button
    assert callback_data.decode(data) is None  # never mistaken for a questionnaire button


@pytest.mark.parametrize(
    "garbage",
    [None, 42, "", "A", "Ax", "Ak", "Ak01", "AkZ", "Ae2", "Aq", "As1.abcd", "As1.abc.1",
     "As1.abcd.2", "Av1", "1a1.1.1.1", "Ak" + "1" * 60, "ak1", "Ak1 ", "Ak-1"],
)
def test_anything_else_decodes_to_none(garbage: object) -> None:
    assert buttons.decode(garbage) is None


def test_questionnaire_buttons_are_not_alert_buttons() -> None:
    answer = callback_data.encode(callback_data.CallbackData(callback_data.Kind.ANSWER, 5, 3, 2, 1))
    assert buttons.decode(answer) is None


def test_the_sector_check_ignores_case_and_spacing() -> None:
    assert buttons.sector_check(" bpjs ") == buttons.sector_check("BPJS")
    assert buttons.sector_check("BPJS") != buttons.sector_check("DP3A")


async def test_a_slot_counts_from_when_the_commit_before_the_request_is_done() -> None:
    pacer = Pacer(10.0, 0.0, slack=0.0)

    async def slow_commit() -> bool:
        await asyncio.sleep(0.1)
        return True

    started = time.monotonic()
    first = await pacer.acquire_then(1, slow_commit)
    assert first is not None and first >= started + 0.1
    second = await pacer.acquire(2)
    assert second - first >= 0.1 - 1e-6  # 1/rate after the request started, not the grant


async def test_a_slot_refused_by_the_commit_is_not_used() -> None:
    pacer = Pacer(1.0, 0.0, slack=0.0)

    async def lost_lease() -> bool:
        return False

    assert await pacer.acquire_then(1, lost_lease) is None
    started = time.monotonic()
    await pacer.acquire(2)
    assert time.monotonic() - started < 0.5  # no second was spent on the refused slot
