"""RetryingRequest: a call that certainly had no effect is tried again, one that may have had
an effect is retried only when doing it twice is harmless (a fake transport plays Telegram)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from telegram.error import NetworkError, TimedOut

from bot.telegram.retrying_request import RetryingRequest

API = "http://127.0.0.1:9/bot123:abc"
Step = Callable[[httpx.Request], httpx.Response]


def ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"ok": True, "result": True})


def status(code: int) -> Step:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(code, json={"ok": False, "error_code": code, "description": "x"})

    return answer


def fails(error: type[httpx.TransportError]) -> Step:
    def answer(request: httpx.Request) -> httpx.Response:
        raise error("simulated", request=request)

    return answer


class Telegram:
    """Answers each request with the next step; counts the requests."""

    def __init__(self, steps: list[Step]) -> None:
        self.steps: Iterator[Step] = iter(steps)
        self.calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        return next(self.steps)(request)


async def call(method: str, telegram: Telegram) -> tuple[int, bytes]:
    request = RetryingRequest(
        retry_delays=(0.0, 0.0), httpx_kwargs={"transport": httpx.MockTransport(telegram)}
    )
    await request.initialize()
    try:
        return await request.do_request(f"{API}/{method}", "POST")
    finally:
        await request.shutdown()


@pytest.mark.parametrize("method", ["sendMessage", "answerCallbackQuery"])
async def test_a_5xx_is_tried_again_for_any_call(method: str) -> None:
    telegram = Telegram([status(502), status(500), ok])
    assert (await call(method, telegram))[0] == 200
    assert telegram.calls == 3


async def test_after_three_5xx_the_last_answer_is_returned() -> None:
    telegram = Telegram([status(502)] * 3)
    assert (await call("sendMessage", telegram))[0] == 502
    assert telegram.calls == 3


async def test_a_message_that_could_not_even_connect_is_sent_again() -> None:
    telegram = Telegram([fails(httpx.ConnectError), ok])
    assert (await call("sendMessage", telegram))[0] == 200
    assert telegram.calls == 2


@pytest.mark.parametrize(
    ("error", "raised"), [(httpx.ReadTimeout, TimedOut), (httpx.RemoteProtocolError, NetworkError)]
)
async def test_a_message_that_may_have_arrived_is_not_sent_twice(
    error: type[httpx.TransportError], raised: type[Exception]
) -> None:
    telegram = Telegram([fails(error), ok])
    with pytest.raises(raised):
        await call("sendMessage", telegram)
    assert telegram.calls == 1


@pytest.mark.parametrize("method", ["editMessageText", "answerCallbackQuery", "setMyCommands"])
async def test_a_harmless_twice_call_is_tried_again_after_a_lost_answer(method: str) -> None:
    telegram = Telegram([fails(httpx.ReadTimeout), fails(httpx.RemoteProtocolError), ok])
    assert (await call(method, telegram))[0] == 200
    assert telegram.calls == 3


async def test_refusals_are_not_retried() -> None:
    telegram = Telegram([status(400), ok])
    assert (await call("sendMessage", telegram))[0] == 400
    assert telegram.calls == 1
