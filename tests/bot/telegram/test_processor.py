"""The per-user processor: one user's updates in order, different users at the same time."""

from __future__ import annotations

import asyncio
import time

from telegram import Chat, Message, Update, User

from bot.telegram.processor import PerUserSequentialProcessor, update_key


def message_update(update_id: int, user_id: int) -> Update:
    user = User(user_id, "Siti", is_bot=False)
    chat = Chat(user_id, Chat.PRIVATE)
    message = Message(update_id, date=None, chat=chat, from_user=user, text="x")  # type: ignore[arg-type]
    return Update(update_id, message=message)


async def run_all(
    processor: PerUserSequentialProcessor, updates: list[Update], delay: float
) -> list[tuple[str, int, int]]:
    log: list[tuple[str, int, int]] = []

    async def handle(update: Update) -> None:
        user = update_key(update) or 0
        log.append(("start", user, update.update_id))
        await asyncio.sleep(delay)
        log.append(("end", user, update.update_id))

    tasks = [asyncio.create_task(processor.process_update(u, handle(u))) for u in updates]
    await asyncio.gather(*tasks)
    return log


async def test_one_users_updates_run_one_after_another_in_arrival_order() -> None:
    processor = PerUserSequentialProcessor()
    updates = [message_update(i, 1001) for i in range(1, 6)]

    log = await run_all(processor, updates, 0.01)

    assert log == [(kind, 1001, i) for i in range(1, 6) for kind in ("start", "end")]
    assert processor.tracked_users == 0, "locks are forgotten when a user's queue is empty"


async def test_different_users_are_served_at_the_same_time() -> None:
    processor = PerUserSequentialProcessor()
    updates = [message_update(i * 10 + n, 1000 + n) for i in range(2) for n in range(3)]

    began = time.perf_counter()
    log = await run_all(processor, updates, 0.1)
    elapsed = time.perf_counter() - began

    assert elapsed < 0.35, "3 users x 2 updates of 0.1 s take about 0.2 s, not 0.6 s"
    for user in (1000, 1001, 1002):
        mine = [entry[2] for entry in log if entry[1] == user and entry[0] == "start"]
        assert mine == sorted(mine)


async def test_updates_without_a_user_or_chat_are_not_serialised() -> None:
    assert update_key(Update(5)) is None
    assert update_key("not an update") is None
    processor = PerUserSequentialProcessor()
    log = await run_all(processor, [Update(1), Update(2)], 0.05)
    assert [entry[0] for entry in log[:2]] == ["start", "start"]


async def test_a_handler_sees_the_newest_update_of_its_user_that_arrived_while_it_ran() -> None:
    processor = PerUserSequentialProcessor()
    seen: dict[int, int | None] = {}

    async def handle(update: Update) -> None:
        await asyncio.sleep(0.02)  # the next updates arrive meanwhile
        seen[update.update_id] = processor.newest_waiting(1001)

    updates = [message_update(i, 1001) for i in (5, 6, 7)] + [message_update(9, 2002)]
    await asyncio.gather(*(processor.process_update(u, handle(u)) for u in updates))

    assert seen == {5: 7, 6: 7, 7: 7, 9: 7}, "another user's update is not hers"
    assert processor.newest_waiting(1001) is None, "forgotten once her queue is empty"
