"""A simulated kader for the fault tests: answers the question on her screen, notes which
answers the bot acknowledged, and finds her place again when no reply comes.

She is careful in one way a hurried person is not: she never answers again while an earlier
message of hers may still be on its way. (A number retyped into a lagging bot is refused as
typed before its question was shown, tests/e2e/test_e2e_lost_replies.py; here the test checks
acknowledged answers, not that case.) So when a reply does not come within `patience` seconds (the
bot was killed, a call failed, the bot is slow) she sends a sticker, which the bot claims in
its database and answers with "only text" plus her current question, and waits until that
sticker was handled by a bot that is still alive. Updates of one user are handled in order,
so by then everything she sent before was handled or lost with a killed bot, and the bot's
last message shows where the database says she is.

"Acknowledged" means the bot replied to her answer, while nothing else of hers was pending,
with a different question: the answer was taken.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select

from bot.db.engine import READ_ONLY, SessionFactory
from bot.db.models import Answer, AppUser, Family, ProcessedUpdate, Response
from bot.emulator import ChatMessage, EmulatedUser, TelegramEmulator
from bot.telegram import texts
from conversations.navigation import current_question
from ikk_core.values import from_storage, parse_answer, to_storage
from tests.e2e.kader_steps import INSTRUMENT, is_choice, question_on


@dataclass
class BotLife:
    """Whether the bot is up, and how many times it was started (a new epoch per start)."""

    up: asyncio.Event = field(default_factory=asyncio.Event)
    epoch: int = 0

    def started(self) -> None:
        self.epoch += 1
        self.up.set()

    def killed(self) -> None:
        self.up.clear()


_REPLIES = frozenset({"sendmessage", "editmessagetext"})


@dataclass
class SimulatedKader:
    """One kader's phone: her answers to give, and what the bot acknowledged."""

    emulator: TelegramEmulator
    user: EmulatedUser
    answers: Mapping[str, str]
    sessions: SessionFactory
    life: BotLife
    patience: float = 1.5
    acknowledged: dict[str, str] = field(default_factory=dict)
    resyncs: int = 0

    def _reply_after(self, mark: int) -> ChatMessage | None:
        """The newest bot message sent or edited (a tap moves the live card on in place) after
        call `mark` that shows a question or has buttons."""
        found: ChatMessage | None = None
        for call in self.emulator.calls(chat_id=self.user.chat_id, since=mark):
            result = call.result
            if call.method.lower() not in _REPLIES:
                continue
            if not call.ok or not isinstance(result, dict):
                continue
            message = self.emulator.chat(self.user.chat_id).find(int(result["message_id"]))
            if message is not None and (question_on(message) is not None or message.buttons):
                found = message
        return found

    async def _wait(self, mark: int, unlike: str | None, seconds: float) -> ChatMessage | None:
        """A reply after `mark` showing a question other than `unlike`, within `seconds`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            reply = self._reply_after(mark)
            if reply is not None and (unlike is None or question_on(reply) != unlike):
                return reply
            await asyncio.sleep(0.02)
        return None

    async def _claimed(self, update_id: int) -> bool:
        async with self.sessions() as session:
            await session.connection(execution_options=READ_ONLY)  # never wait for the writer
            found = await session.scalar(
                select(ProcessedUpdate.update_id).where(ProcessedUpdate.update_id == update_id)
            )
            return found is not None

    async def _settled_after_sticker(self, deadline: float) -> bool:
        """Send a sticker and wait until a bot that stays alive handled it and went quiet in
        her chat; False when the bot was killed meanwhile (try again)."""
        await self.life.up.wait()
        epoch = self.life.epoch
        self.resyncs += 1
        await self.user.send_sticker()
        sticker = max(self.emulator.updates.issued)  # no await since her send: it is hers
        while not await self._claimed(sticker):
            if self.life.epoch != epoch or not self.life.up.is_set():
                return False
            if time.monotonic() > deadline:
                raise AssertionError(f"kader {self.user.id}: sticker {sticker} never handled\n"
                                     f"{await self.diagnose()}")
            await asyncio.sleep(0.05)
        quiet_since = time.monotonic()
        seen = len(self.emulator.calls(chat_id=self.user.chat_id))
        while time.monotonic() - quiet_since < 0.3:  # the reply follows the claim at once
            now = len(self.emulator.calls(chat_id=self.user.chat_id))
            if now != seen:
                seen, quiet_since = now, time.monotonic()
            await asyncio.sleep(0.02)
        return self.life.epoch == epoch and self.life.up.is_set()

    async def diagnose(self) -> str:
        """What the emulator and the database say about her updates (for failure messages)."""
        mine = [u for u in self.emulator.updates.pending_updates()
                if any(isinstance(b, dict) and (b.get("from") or {}).get("id") == self.user.id
                       for b in u.values())]
        ids = [uid for uid, u in self.emulator.updates.issued.items()
               if any(isinstance(b, dict) and (b.get("from") or {}).get("id") == self.user.id
                      for b in u.values())]
        deliveries = [d for d in self.emulator.webhook_deliveries() if d.update_id in ids]
        async with self.sessions() as session:
            claimed = set((await session.scalars(
                select(ProcessedUpdate.update_id).where(ProcessedUpdate.update_id.in_(ids))
            )).all())
        return (f"her updates {ids}\nclaimed {sorted(claimed)}\npending in the emulator "
                f"{[u.get('update_id') for u in mine]}\ndeliveries {deliveries[-10:]}\n"
                f"{self.user.transcript()[-1500:]}")

    async def resync(self, deadline: float) -> ChatMessage:
        """Her current question, or the review card once every question is answered, as the
        bot shows it once everything she sent was handled."""
        while time.monotonic() < deadline:
            if not await self._settled_after_sticker(deadline):
                continue
            last = self.user.last_message()
            if last is not None and (question_on(last) is not None or is_review_card(last)):
                return last
            if last is not None and last.text == texts.TEXT_ONLY:  # no family open
                mark = self.emulator.last_seq
                await self.user.send("/survei")
                if await self._wait(mark, None, self.patience) is not None:
                    continue  # settle once more: the question is what /survei showed
        raise AssertionError(
            f"kader {self.user.id} never found her place again; pending "
            f"{self.emulator.updates.pending}\n{self.user.transcript()[-2500:]}"
        )

    async def fill(self, count: int, seconds: float, until: asyncio.Event | None = None) -> None:
        """Start a family and answer until `count` answers were acknowledged and `until` is
        set (or the review card is reached)."""
        deadline = time.monotonic() + seconds
        mark = self.emulator.last_seq
        await self.user.send("/survei")
        screen = await self._wait(mark, None, self.patience)
        if screen is None:
            screen = await self.resync(deadline)
        while len(self.acknowledged) < count or (until is not None and not until.is_set()):
            assert time.monotonic() < deadline, (
                f"kader {self.user.id} ran out of time; pending {self.emulator.updates.pending}"
                f"\n{self.user.transcript()[-2500:]}"
            )
            question = question_on(screen)
            if question is None and is_review_card(screen):
                return  # every question answered
            assert question is not None, f"not a question: {screen.visible_text!r}"
            value = self.answers[question]
            mark = self.emulator.last_seq
            if is_choice(question):
                if not any(value in row for row in screen.buttons):
                    # A newer copy of the question replaced it (the bot answers an update it
                    # handled before a kill, and delivered again, by showing where she is).
                    screen = await self.resync(deadline)
                    continue
                await self.user.tap(value, message=screen)
            else:
                await self.user.send(value)
            reply = await self._wait(mark, question, self.patience)
            if reply is None:
                screen = await self.resync(deadline)
                continue
            self.acknowledged[question] = value
            screen = reply


def is_review_card(message: ChatMessage) -> bool:
    """The card listing every answer with "✅ Kirim" (a fast kader reaches it before the kills
    are over; the database then says no question comes next)."""
    return "Ringkasan" in message.visible_text and any("✅ Kirim" in row for row in message.buttons)


async def stored_for(sessions: SessionFactory, telegram_id: int) -> list[dict[str, str | None]]:
    """Her families' answers (one dict per response)."""
    async with sessions() as session:
        await session.connection(execution_options=READ_ONLY)
        user_id = await session.scalar(select(AppUser.id).where(AppUser.telegram_id == telegram_id))
        responses = (await session.scalars(
            select(Response.id).join(Family, Family.id == Response.family_id)
            .where(Family.created_by == user_id)
        )).all()
        result = []
        for response_id in responses:
            rows = await session.execute(
                select(Answer.question, Answer.value).where(Answer.response_id == response_id)
            )
            result.append({question: value for question, value in rows.all()})
        return result


def canonical(question: str, raw: str) -> str | None:
    """What the database holds for `raw` typed or tapped for `question`."""
    return to_storage(parse_answer(INSTRUMENT, INSTRUMENT.question(question), raw))


def first_unanswered(stored: Mapping[str, str | None]) -> str | None:
    """The question the database says comes next (None: the review card)."""
    typed = {
        name: from_storage(INSTRUMENT.question(name), value) for name, value in stored.items()
    }
    question = current_question(INSTRUMENT, typed)
    return question.name if question is not None else None
