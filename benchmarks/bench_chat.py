"""Chat benchmark: N cadres each fill a whole family at the same time, over real HTTP.

    .venv/bin/python benchmarks/bench_chat.py                 # 200 cadres, SQLite and PostgreSQL
    .venv/bin/python benchmarks/bench_chat.py --kader 50 --backends sqlite
    .venv/bin/python benchmarks/bench_chat.py --rate-limit    # with the production 30 msg/s cap
    .venv/bin/python benchmarks/bench_chat.py --mode webhook --db postgresql --kader 1000
    .venv/bin/python benchmarks/bench_chat.py --open-loop     # Telegram's limits: largest N
    .venv/bin/python benchmarks/bench_chat.py --open-loop --tokens 3 --ladder 300,600,800

The real bot (`build_application`, started like `ikk-bot run`) runs in its own process and
polls the project's Bot API emulator, which runs with the simulated cadres in this process (as
Telegram and the phones are outside the bot's process in real life). Each simulated cadre sends
/survei, answers every question of one of the spec's worked-example families (yes/no by
tapping the button, numbers typed) and taps "✅ Kirim"; she acts again only after the bot's
next question has reached the emulator, as a person would. "bot CPU" is the CPU time of the
bot process per answer while polling (start-up left out).

Measured per answer: the time from the update being offered to the bot (queued in the
emulator) until the bot's reply (the live card edited to the next question after a tap, a new
card after a typed answer) reaches the emulator. Printed: answers per second over the whole
run, p50/p95/p99 of that time, and "panggilan API per jawaban": the Bot API calls Telegram
caps (everything in the chat; answering a button is not capped) per answer. The baselines are
the same bot shell (`build_shell`: same requests, processor, rate limiter) driven the same way
with the same number of actions: "echo text" echoes each text (one sendMessage), "echo tapped"
answers each tap on a card and edits the card (answerCallbackQuery + editMessageText, the two
calls a tapped answer must make). Printed: bot CPU per answer as a ratio to each; the second
says what the questionnaire's own work (database transaction, engine, rendering) costs.
"HTTP calls out/action" counts the requests the bot sent (transport calls left out): in webhook
mode a tap is answered inside the webhook's response (`bot.telegram.webhook_replies`), so a
tapped answer sends one request, the edit, where polling sends two.

With --mode webhook the bot runs as `ikk-bot run --webhook-url` does (`WebhookServer`, the
Updater idle) and the emulator POSTs each update with the secret over up to 40 connections at
once, one update per cadre at a time (Telegram's default max_connections). "bot RSS" is the bot
process's resident memory after start-up and its peak (VmHWM) at the end of the run.

In this closed-loop mode the emulator's flood limits are off, so the bot-wide 30 messages/s cap
is off too unless --rate-limit is given (with it, throughput is bounded by the cap, not by the
bot): it measures what the bot itself costs. PostgreSQL is a throwaway cluster with fsync off
(`bot.devtools.postgres`), which flatters its writes. Targets (issue 4): >= 100 answers/s with
p95 < 250 ms on SQLite.

--open-loop measures what production will see (issue 12): the emulator enforces Telegram's
limits for the one token (`bot.emulator.limits`: 30 capped calls/s, 1/s per chat with a burst
of 3, 429 with retry_after) and the bot runs with its production pacing (30/s). N cadres each
think uniformly 5-15 s after a reply reaches her before she answers (so N cadres offer about
N/10 answers a second whatever the bot does; only a cadre still waiting for her reply holds
back), arriving spread over the first think time. Each cadre starts in a family already
answered up to a random question (filled through the services before the bot starts, then
opened with /lanjut), so the answers are a fair mix of the questionnaire, mostly taps, not
only its typed opening questions; at the end of a family she submits and starts the next.
Each step of the ladder of N runs a fresh database, emulator and bot: a warm-up, then a
measured window; every action offered in the window (answers; the odd submit or /survei) is
measured to the bot's next message. Printed per step: answers/s in the window, reply p50/p95/p99,
capped Bot API calls (those Telegram counts) made in the window per action offered in it and
the 429s, from the emulator's log, and bot CPU per action. The ladder stops at the first N
whose p95 is 1.5 s or more (or that loses a reply), then tries the midpoint once: the largest
N that passed is the answer.

--tokens T (open loop) serves T bot tokens in the one bot process, as `ikk-bot run` does with
TELEGRAM_BOT_TOKENS: token k serves village k and cadre n works in village n mod T, so the
cadres are spread evenly over the tokens; the emulator enforces Telegram's limits per token.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import random
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pydantic import SecretStr
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot.bot_tokens import BotDirectory, configured_bots
from bot.db.database import Database
from bot.db.engine import create_engine, create_session_factory
from bot.db.migrate import upgrade
from bot.db.models import Role
from bot.devtools.postgres import (
    PostgresUnavailable,
    create_database,
    throwaway_cluster,
)
from bot.emulator import DEFAULT_TOKEN, ChatMessage, EmulatedUser, RateLimits, TelegramEmulator
from bot.repositories.areas import load_demo_areas
from bot.repositories.users import add_user, get_user_by_telegram_id
from bot.services import answering, families
from bot.services.context import ServiceContext
from bot.settings import Settings
from bot.telegram import build_application
from bot.telegram.application import BotApplication, build_shell
from bot.telegram.bot_set import build_bot_set
from bot.telegram.callback_data import Kind, decode
from bot.telegram.webhook import WebhookOptions, WebhookServer, database_reachable
from conversations.engine import question_at
from ikk_core.instrument_io import load_default_instrument

INSTRUMENT = load_default_instrument()
VILLAGES = [f"63.02.12.20{n:02d}" for n in range(1, 11)]
NEGATIVE = frozenset({"KSP1", "KSP2", "KSP3", "KSB5", "KE8"})
TITLES = {q.label.get("id"): q.name for q in INSTRUMENT.questions if q.answerable}


def family(profile: dict[str, str], exceptions: dict[str, str]) -> dict[str, str]:
    entered = {
        q.name: ("Tidak" if q.name in NEGATIVE else "Ya")
        for q in INSTRUMENT.questions
        if q.type.startswith("select")
    }
    entered.update(profile)
    entered.update(exceptions)
    return entered


FAMILIES = [
    family({"H_ANGGOTA": "2", "P_PASANGAN": "Ya", "P_ANAK": "Tidak", "P_LANSIA": "Tidak",
            "P_PENDAPATAN": "2.000.000"}, {}),
    family({"H_ANGGOTA": "5", "P_PASANGAN": "Ya", "P_ANAK": "Ya", "P_BALITA": "Ya",
            "P_BADUTA": "Tidak", "P_LAHIR2": "Tidak", "P_SEKOLAH": "Ya", "P_LANSIA": "Tidak",
            "P_PENDAPATAN": "2 juta"}, {"LS2": "Tidak", "KE5": "Tidak", "KE8": "Ya", "KSP2": "Ya"}),
    family({"H_ANGGOTA": "3", "P_PASANGAN": "Tidak", "P_ANAK": "Ya", "P_BALITA": "Tidak",
            "P_LAHIR2": "Tidak", "P_SEKOLAH": "Ya", "P_LANSIA": "Ya",
            "P_PENDAPATAN": "Rp 1.500.000"}, {"KF1": "Tidak", "KE1": "Tidak", "KE6": "Tidak"}),
]
FIRST_USER = 700_000
REPLY_DEADLINE = 120.0
WEBHOOK_SECRET = "bench_chat-secret"
WEBHOOK_CONNECTIONS = 40
TOKENS_ENV = "BENCH_TOKENS"
"""How many bot tokens the bot process serves (--tokens), handed to it in its environment."""


def bench_tokens(count: int) -> list[str]:
    """`count` distinct token-shaped strings, the emulator's default first."""
    return [DEFAULT_TOKEN] + [f"{900_000 + k}:BENCH-token-{k:02d}-{'A' * 24}"
                              for k in range(1, count)]


def village_of(n: int, tokens: int) -> str:
    """Cadre `n`'s village: all ten villages with one token; with T tokens village n mod T,
    the village token n mod T serves."""
    return VILLAGES[n % (len(VILLAGES) if tokens == 1 else tokens)]


def token_areas(tokens: int) -> str:
    """TELEGRAM_BOT_TOKENS for `tokens` tokens: token k serves village k."""
    return ",".join(f"{VILLAGES[k]}={token}" for k, token in enumerate(bench_tokens(tokens)))


# ------------------------------------------------------------------------------ measuring


_REPLIES = frozenset({"sendmessage", "editmessagetext"})


class ReplyProbe:
    """Timestamps every sent or edited message as the emulator handles it and wakes that chat's
    waiter."""

    def __init__(self, emulator: TelegramEmulator) -> None:
        self.emulator = emulator
        self.events: dict[int, asyncio.Event] = {}
        self.last: dict[int, tuple[float, int]] = {}
        original = emulator.api.call

        async def call(method: str, params: Any) -> Any:
            result = await original(method, params)
            # A tap's reply is the live card edited in place; a typed answer's a new card.
            if method.lower() in _REPLIES and isinstance(result, dict):
                chat_id = int(result["chat"]["id"])
                self.last[chat_id] = (time.perf_counter(), int(result["message_id"]))
                event = self.events.get(chat_id)
                if event is not None:
                    event.set()
            return result

        emulator.api.call = call  # type: ignore[method-assign]

    async def act(
        self, user: EmulatedUser, action: Callable[[], Awaitable[Any]]
    ) -> tuple[float, ChatMessage]:
        """Do `action`; return the time until the bot's next message and that message."""
        event = self.events[user.chat_id] = asyncio.Event()
        offered = time.perf_counter()
        await action()
        await asyncio.wait_for(event.wait(), REPLY_DEADLINE)
        at, message_id = self.last[user.chat_id]
        message = self.emulator.chat(user.chat_id).find(message_id)
        assert message is not None
        return at - offered, message


def question_on(message: ChatMessage) -> str | None:
    for row in message.button_data:
        for data in row:
            decoded = decode(data)
            if decoded is not None and decoded.kind in (Kind.ANSWER, Kind.BACK, Kind.SKIP):
                found = question_at(INSTRUMENT, decoded.question)
                return found.name if found is not None and decoded.question else None
    for line in message.visible_text.splitlines():
        if line in TITLES:
            return TITLES[line]
    return None


def percentile_ms(latencies: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of seconds, in milliseconds; NaN when empty."""
    if not latencies:
        return float("nan")
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


@dataclass
class Run:
    """What one run measured."""

    name: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    bot_cpu: float = 0.0
    """CPU seconds the bot process used while polling (start-up left out)."""
    rss_start_mb: float = float("nan")
    """Resident memory of the bot process once started (before any cadre acted)."""
    rss_peak_mb: float = float("nan")
    """Peak resident memory (VmHWM) of the bot process over the whole run."""
    capped_calls: int = 0
    """Bot API calls Telegram counts against its limits (emulator log), the whole run."""
    actions: int = 0
    """Every timed and untimed cadre action (answers, /survei, submit)."""
    outgoing_calls: int = 0
    """Bot API requests the bot sent over HTTP, the whole run (transport calls such as
    getUpdates and, in webhook mode, taps answered inside the webhook's response left out)."""
    answer_calls: int = 0
    """Bot API calls made in the cadres' chats (capped by Telegram, unlike answering a
    button) from each family's first answer until its "✅ Kirim"."""

    @property
    def calls_per_answer(self) -> float:
        return self.answer_calls / self.answers if self.answers else float("nan")

    @property
    def answers(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.answers / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        return percentile_ms(self.latencies, p)

    @property
    def cpu_per_answer(self) -> float:
        """Bot CPU milliseconds per answer."""
        return self.bot_cpu / self.answers * 1000 if self.answers else float("nan")

    def line(self) -> str:
        failed = f", {len(self.failures)} failed" if self.failures else ""
        cpu = self.cpu_per_answer
        per_answer = f"{self.calls_per_answer:4.2f}" if self.answer_calls else "   –"
        return (
            f"{self.name:<28} {self.answers:>6} answers in {self.seconds:6.2f} s = "
            f"{self.rate:7.1f} answers/s   p50 {self.percentile(50):6.1f} ms   "
            f"p95 {self.percentile(95):6.1f} ms   p99 {self.percentile(99):6.1f} ms   "
            f"bot CPU {cpu:5.2f} ms/answer   bot RSS {self.rss_start_mb:4.0f} → "
            f"peak {self.rss_peak_mb:4.0f} MB   "
            f"{self.calls_per_action():4.2f} capped calls/action   "
            f"{self.outgoing_per_action():4.2f} HTTP calls out/action   "
            f"panggilan API per jawaban {per_answer}{failed}"
        )

    def outgoing_per_action(self) -> float:
        return self.outgoing_calls / self.actions if self.actions else float("nan")

    def calls_per_action(self) -> float:
        return self.capped_calls / self.actions if self.actions else float("nan")


# ------------------------------------------------------------------------------ running


def memory_mb(field_name: str) -> float:
    """A `VmRSS`/`VmHWM` line of /proc/self/status in MB (NaN where there is no /proc)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field_name}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


async def bot_process(mode: str, transport: str, api_url: str, database_url: str) -> None:
    """The bot side (run in a child process): poll the emulator, or receive its webhook POSTs
    when `transport` is a webhook URL, until SIGTERM."""
    logging.basicConfig(level=logging.WARNING)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        telegram_bot_token=DEFAULT_TOKEN,  # type: ignore[arg-type]
        telegram_api_url=api_url,
    )
    rate = 30.0 if mode.endswith("+cap") else 0.0
    engine = create_engine(database_url)
    try:
        async with Database.serving(engine) as database:
            await serve_bot(settings, database, mode, transport, rate)
    finally:
        await engine.dispose()


async def measured_until(stop: asyncio.Event) -> None:
    """Print the bot's RSS, wait for SIGTERM, then print its CPU time and peak RSS (the
    parent reads these lines)."""
    print(f"bot-rss-start {memory_mb('VmRSS'):.1f}", flush=True)
    began = time.process_time()
    await stop.wait()
    print(f"bot-cpu {time.process_time() - began:.6f}", flush=True)
    print(f"bot-rss-peak {memory_mb('VmHWM'):.1f}", flush=True)


async def serve_bot(settings: Settings, database: Database, mode: str, transport: str,
                    rate: float) -> None:
    """The bot process's life: start, print its RSS, wait for SIGTERM, print CPU and peak."""
    engine = database.engine
    tokens = int(os.environ.get(TOKENS_ENV, "1"))
    if tokens > 1:
        if transport != "polling" or mode.startswith("echo"):
            raise SystemExit("--tokens needs --open-loop in polling mode")
        await serve_tokens(settings, database, tokens, rate)
        return
    if mode.startswith("echo"):
        app = build_shell(settings, overall_max_rate=rate)
        add_echo_handlers(app, tapped=mode.startswith("echo-tap"))
    else:
        app = build_application(settings, database, overall_max_rate=rate)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with app:
        assert app.updater is not None
        server: WebhookServer | None = None
        if transport == "polling":
            await app.updater.start_polling(poll_interval=0, timeout=1)
            await app.start()
        else:
            port = int(transport.rsplit(":", 1)[1].split("/", 1)[0])
            options = WebhookOptions(url=transport, secret_token=WEBHOOK_SECRET, port=port)
            server = WebhookServer(app, options,
                                   database_check=lambda: database_reachable(engine))
            await server.start()
            await app.start()
            await server.register()
        await measured_until(stop)
        if server is not None:
            await server.stop()
        else:
            await app.updater.stop()
        await app.stop()


ECHO_BUTTONS = InlineKeyboardMarkup([[InlineKeyboardButton("Ya", callback_data="ya"),
                                      InlineKeyboardButton("Tidak", callback_data="tidak")]])


def add_echo_handlers(app: Application[Any, Any, Any, Any, Any, Any], *, tapped: bool) -> None:
    """The baselines: echo a text (one sendMessage), or with `tapped` answer a tapped button
    and edit its card (answerCallbackQuery + editMessageText: the calls a tapped answer needs,
    with no database, engine or rendering)."""

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(
            update.effective_message.text or "", reply_markup=ECHO_BUTTONS if tapped else None
        )

    async def tap(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer()
        await query.edit_message_text(f"✔ {query.data}", reply_markup=ECHO_BUTTONS)

    app.add_handler(MessageHandler(filters.TEXT, echo))
    if tapped:
        app.add_handler(CallbackQueryHandler(tap))


async def serve_tokens(settings: Settings, database: Database, tokens: int, rate: float) -> None:
    """The bot process with several tokens: one Application per token, as `ikk-bot run`."""
    settings = settings.model_copy(update={
        "telegram_bot_token": None,
        "telegram_bot_tokens": SecretStr(token_areas(tokens)),
    })
    bots = configured_bots(settings)
    apps: list[BotApplication] = build_bot_set(settings, database, bots, BotDirectory(bots),
                                               overall_max_rate=rate)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with contextlib.AsyncExitStack() as stack:
        for app in apps:
            await stack.enter_async_context(app)
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0, timeout=1)
            await app.start()
        await measured_until(stop)
        for app in apps:
            assert app.updater is not None
            await app.updater.stop()
            await app.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def with_bot(
    emulator: TelegramEmulator,
    mode: str,
    transport: str,
    database_url: str,
    run: Run,
    work: Awaitable[Any],
    *,
    others: list[TelegramEmulator] | None = None,
    tokens: int = 1,
) -> None:
    """Start the bot process, wait until it receives updates, do `work`, stop it; record the
    CPU time it spent meanwhile (start-up imports left out) and its memory."""
    if transport == "webhook":
        transport = f"http://127.0.0.1:{free_port()}/hook"
    child = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--bot-process", mode, transport, emulator.url, database_url,
        stdout=asyncio.subprocess.PIPE, env={**os.environ, TOKENS_ENV: str(tokens)},
    )
    emulators = [emulator, *(others or [])]
    try:
        ready = "getUpdates" if transport == "polling" else "setWebhook"
        for each in emulators:
            await each.wait_for_call(ready, timeout=120)
        await work
    finally:
        child.send_signal(signal.SIGTERM)
        for each in emulators:
            each.release_pollers()
        output, _ = await child.communicate()
    for line in output.decode().splitlines():
        name, _, value = line.partition(" ")
        if name == "bot-cpu":
            run.bot_cpu = float(value)
        elif name == "bot-rss-start":
            run.rss_start_mb = float(value)
        elif name == "bot-rss-peak":
            run.rss_peak_mb = float(value)


async def seed(url: str, kader: int, tokens: int = 1) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
        async with create_session_factory(engine)() as session, session.begin():
            await load_demo_areas(session)
            for n in range(kader):
                await add_user(session, telegram_id=FIRST_USER + n, role=Role.KADER,
                               area_code=village_of(n, tokens), display_name=f"Kader {n}")
    finally:
        await engine.dispose()


def family_answers(n: int, family_no: int) -> dict[str, str]:
    """What cadre `n` enters for her `family_no`-th family (a distinct head for each)."""
    answers = dict(FAMILIES[(n + family_no) % len(FAMILIES)])
    answers["H_KEPALA"] = f"Kepala Keluarga {n} {family_no}"
    answers["H_RT"] = str(n % 20 + 1)
    return answers


async def prefill_drafts(url: str, kader: int, seed_value: int, tokens: int = 1) -> None:
    """Start each cadre's first family and answer it up to a random question, in-process
    through the services: the answers measured are then a fair mix of the questionnaire's
    questions (mostly tapped), not only its typed opening questions."""
    engine = create_engine(url)
    try:
        factory = create_session_factory(engine)
        ctx = ServiceContext.create(factory, instrument=INSTRUMENT)
        gate = asyncio.Semaphore(8)

        async def one(n: int) -> None:
            rng = random.Random(seed_value * 7919 + n)
            async with gate:
                async with factory() as session:
                    account = await get_user_by_telegram_id(session, FIRST_USER + n)
                assert account is not None
                outcome = await families.start_family(ctx, account.id, village_of(n, tokens))
                answers = family_answers(n, 0)
                for _ in range(rng.randrange(PREFILL_MAX + 1)):
                    position = outcome.position
                    question = position.question if position is not None else None
                    if position is None or question is None:
                        break
                    value = answers[question]
                    if INSTRUMENT.question(question).type.startswith("select"):
                        value = value.lower()
                    outcome = await answering.record_answer(
                        ctx, account.id, position.response_id, question, value, None
                    )
                    if outcome.kind != "recorded":
                        raise AssertionError(f"prefill of kader {n}: {outcome.kind}")

        await asyncio.gather(*(one(n) for n in range(kader)))
    finally:
        await engine.dispose()


async def one_family(probe: ReplyProbe, user: EmulatedUser, n: int, run: Run) -> None:
    answers = dict(FAMILIES[n % len(FAMILIES)])
    answers["H_KEPALA"] = f"Kepala Keluarga {n}"
    answers["H_RT"] = str(n % 20 + 1)
    _, message = await probe.act(user, lambda: user.send("/survei"))
    first_answer = probe.emulator.last_seq
    asked: set[str] = set()
    while (question := question_on(message)) is not None:
        if question in asked:
            raise AssertionError(f"{question} asked twice")
        asked.add(question)
        value = answers[question]
        if INSTRUMENT.question(question).type.startswith("select"):
            seconds, message = await probe.act(user, lambda v=value: user.tap(v))  # type: ignore[misc]
        else:
            seconds, message = await probe.act(user, lambda v=value: user.send(v))  # type: ignore[misc]
        run.latencies.append(seconds)
    run.answer_calls += sum(
        1 for call in probe.emulator.calls(chat_id=user.chat_id, since=first_answer)
        if call.method.lower() != "answercallbackquery"  # not capped by Telegram
    )
    _, message = await probe.act(user, lambda: user.tap("✅ Kirim"))
    if "sudah dikirim" not in (message.text or ""):
        raise AssertionError(f"not submitted: {message.text!r}")


async def run_questionnaire(
    url: str, name: str, kader: int, rate_limit: bool, transport: str
) -> Run:
    await seed(url, kader)
    run = Run(name)
    async with TelegramEmulator(webhook_connections=WEBHOOK_CONNECTIONS) as emulator:
        probe = ReplyProbe(emulator)
        users = [emulator.user(FIRST_USER + n, f"Kader{n}") for n in range(kader)]

        async def everyone() -> None:
            async def cadre(n: int) -> None:
                try:
                    await one_family(probe, users[n], n, run)
                except Exception as error:
                    run.failures.append(f"kader {n}: {type(error).__name__}: {error}")

            began = time.perf_counter()
            await asyncio.gather(*(cadre(n) for n in range(kader)))
            run.seconds = time.perf_counter() - began

        mode = "questionnaire+cap" if rate_limit else "questionnaire"
        await with_bot(emulator, mode, transport, url, run, everyone())
        run.capped_calls = emulator.capped_calls()
        run.outgoing_calls = outgoing_calls(emulator)
        run.actions = run.answers + 2 * kader  # plus /survei and "Kirim" each
    return run


async def run_echo(kader: int, per_user: int, rate_limit: bool, transport: str, *,
                   tapped: bool = False) -> Run:
    """The echo shell driven like the questionnaire: `per_user` texts per cadre, or with
    `tapped` one text for a card and then `per_user` taps on it (only the taps measured)."""
    run = Run(f"echo {'tapped' if tapped else 'text'}, {transport}")
    async with TelegramEmulator(webhook_connections=WEBHOOK_CONNECTIONS) as emulator:
        probe = ReplyProbe(emulator)

        async def everyone() -> None:
            async def user(n: int) -> None:
                person = emulator.user(FIRST_USER + n, f"Kader{n}")
                card: ChatMessage | None = None
                if tapped:
                    _, card = await probe.act(person, lambda: person.send("mulai"))
                for i in range(per_user):
                    if card is not None:
                        data = "ya" if i % 2 else "tidak"
                        action = partial(person.tap_data, card.message_id, data)
                    else:
                        action = partial(person.send, f"pesan {i}")
                    seconds, _ = await probe.act(person, action)
                    run.latencies.append(seconds)

            began = time.perf_counter()
            await asyncio.gather(*(user(n) for n in range(kader)))
            run.seconds = time.perf_counter() - began

        mode = ("echo-tap" if tapped else "echo") + ("+cap" if rate_limit else "")
        await with_bot(emulator, mode, transport, "sqlite+aiosqlite:///:memory:", run, everyone())
        run.capped_calls = emulator.capped_calls()
        run.outgoing_calls = outgoing_calls(emulator) - (kader if tapped else 0)  # the cards
        run.actions = run.answers
    return run


def outgoing_calls(emulator: TelegramEmulator) -> int:
    """Bot API requests the bot sent over HTTP (not transport, not inside a webhook reply)."""
    return sum(1 for call in emulator.calls() if not call.in_webhook_reply)


# ------------------------------------------------------------------------------ open loop

P95_TARGET_MS = 1500.0
PREFILL_MAX = 20
"""A cadre's first family is answered up to a random question between 0 and this."""


@dataclass
class Window:
    """The measured part of a step: answers offered between `start` and `end` count."""

    start: float
    end: float

    def holds(self, at: float) -> bool:
        return self.start <= at < self.end


@dataclass
class Step:
    """One rung of the ladder: N thinking cadres under Telegram's limits."""

    name: str
    cadres: int
    window_seconds: float
    latencies: list[float] = field(default_factory=list)
    actions: int = 0
    capped_calls: int = 0
    """Calls Telegram counts, made while the window was open."""
    refusals: int = 0
    """429 answers over the whole step."""
    failures: list[str] = field(default_factory=list)
    bot_cpu: float = 0.0
    rss_start_mb: float = float("nan")
    rss_peak_mb: float = float("nan")

    def percentile(self, p: float) -> float:
        return percentile_ms(self.latencies, p)

    @property
    def passed(self) -> bool:
        return bool(self.latencies) and not self.failures and (
            self.percentile(95) < P95_TARGET_MS)

    def line(self) -> str:
        answers = len(self.latencies)
        per_action = self.capped_calls / answers if answers else float("nan")
        cpu = self.bot_cpu / self.actions * 1000 if self.actions else float("nan")
        failed = f", {len(self.failures)} FAILED" if self.failures else ""
        verdict = "ok " if self.passed else "NO "
        return (
            f"{verdict}{self.name:<22} N={self.cadres:<4} {len(self.latencies):>5} answers = "
            f"{len(self.latencies) / self.window_seconds:5.1f}/s   p50 {self.percentile(50):6.0f}"
            f"   p95 {self.percentile(95):6.0f}   p99 {self.percentile(99):6.0f} ms   "
            f"{per_action:4.2f} capped calls/action   {self.refusals} x 429   "
            f"bot CPU {cpu:5.2f} ms/action{failed}"
        )


class WindowOver(Exception):
    """The cadre's next action would fall after the measured window: she stops."""


async def thinking_cadre(probe: ReplyProbe, user: EmulatedUser, n: int, step: Step,
                         window: Window, think: tuple[float, float], rng: random.Random,
                         first: ChatMessage) -> None:
    """From her first question on, fill families one after another, thinking before every
    action, until her next action would come after the window."""

    async def act(action: Callable[[], Awaitable[Any]], pause: float) -> ChatMessage:
        if time.perf_counter() + pause >= window.end:
            raise WindowOver
        await asyncio.sleep(pause)
        offered = time.perf_counter()
        seconds, message = await probe.act(user, action)
        step.actions += 1
        if window.holds(offered):
            step.latencies.append(seconds)
        return message

    pause = rng.uniform(0, think[1])  # arrivals spread over one think time
    message = first
    family_no = 0
    with contextlib.suppress(WindowOver):
        while True:
            answers = family_answers(n, family_no)
            while (question := question_on(message)) is not None:
                value = answers[question]
                if INSTRUMENT.question(question).type.startswith("select"):
                    message = await act(lambda v=value: user.tap(v), pause)  # type: ignore[misc]
                else:
                    message = await act(lambda v=value: user.send(v), pause)  # type: ignore[misc]
                pause = rng.uniform(*think)
            message = await act(lambda: user.tap("✅ Kirim"), pause)
            if "sudah dikirim" not in (message.text or ""):
                raise AssertionError(f"not submitted: {message.text!r}")
            family_no += 1
            message = await act(lambda: user.send("/survei"), rng.uniform(*think))
            pause = rng.uniform(*think)


async def run_open_step(url: str, backend: str, cadres: int, args: argparse.Namespace) -> Step:
    """One rung: seed `cadres` kader, start the bot with production pacing against an emulator
    with Telegram's limits, let them think and answer for warm-up plus window."""
    tokens: int = args.tokens
    await seed(url, cadres, tokens)
    await prefill_drafts(url, cadres, args.seed, tokens)
    step = Step(f"{backend}, {args.mode}", cadres, args.window)
    think = (args.think_min, args.think_max)
    async with TelegramEmulator(webhook_connections=WEBHOOK_CONNECTIONS,
                                rate_limits=RateLimits()) as emulator:
        others = [emulator.add_bot(token, bot_username=f"bench_{k + 1}_bot")
                  for k, token in enumerate(bench_tokens(tokens)[1:])]
        for other in others:
            other.set_rate_limits(RateLimits())
        emulators = [emulator, *others]
        probes = [ReplyProbe(each) for each in emulators]
        users = [emulators[n % tokens].user(FIRST_USER + n, f"Kader{n}") for n in range(cadres)]

        async def resume(n: int) -> ChatMessage:
            """/lanjut and a tap on the draft: her half-filled family's next question."""
            user, probe = users[n], probes[n % tokens]
            _, listing = await probe.act(user, lambda: user.send("/lanjut"))
            data = listing.button_data[0][0] if listing.button_data else None
            if data is None:
                raise AssertionError(f"no draft to resume: {listing.text!r}")
            _, question = await probe.act(user, lambda: user.tap_data(listing.message_id, data))
            return question

        async def everyone() -> None:
            # Everyone opens her half-filled family first (not measured), so the answers that
            # follow arrive at a steady rate from the start.
            opened = await asyncio.gather(*(resume(n) for n in range(cadres)),
                                          return_exceptions=True)
            step.actions += 2 * sum(not isinstance(o, BaseException) for o in opened)
            began = time.perf_counter()
            window = Window(began + args.warmup, began + args.warmup + args.window)

            async def cadre(n: int) -> None:
                rng = random.Random(args.seed * 100_003 + n)
                try:
                    first = opened[n]
                    if isinstance(first, BaseException):
                        raise first
                    await thinking_cadre(probes[n % tokens], users[n], n, step, window, think,
                                         rng, first)
                except Exception as error:
                    step.failures.append(f"kader {n}: {type(error).__name__}: {error}")

            async def count_calls() -> None:
                await asyncio.sleep(window.start - time.perf_counter())
                first_seqs = [each.last_seq for each in emulators]
                await asyncio.sleep(window.end - time.perf_counter())
                step.capped_calls = sum(
                    each.capped_calls(since=first) - each.capped_calls(since=each.last_seq)
                    for each, first in zip(emulators, first_seqs, strict=True)
                )

            await asyncio.gather(count_calls(), *(cadre(n) for n in range(cadres)))

        run = Run(step.name)
        await with_bot(emulator, "questionnaire+cap", args.mode, url, run, everyone(),
                       others=others, tokens=tokens)
        step.bot_cpu, step.rss_start_mb, step.rss_peak_mb = (
            run.bot_cpu, run.rss_start_mb, run.rss_peak_mb)
        step.refusals = sum(each.flood_refusals() for each in emulators)
    return step


async def open_ladder(backend: str, database_url: Callable[[int], Awaitable[str]],
                      args: argparse.Namespace) -> list[Step]:
    """Climb the ladder until a rung fails, then try the midpoint once."""
    steps: list[Step] = []

    async def rung(cadres: int) -> Step:
        step = await run_open_step(await database_url(cadres), backend, cadres, args)
        print(step.line(), flush=True)
        for failure in step.failures[:3]:
            print(f"    failure: {failure}", flush=True)
        steps.append(step)
        return step

    passed, failed = 0, 0
    for cadres in args.ladder:
        if (await rung(cadres)).passed:
            passed = cadres
        else:
            failed = cadres
            break
    if failed and failed - passed > 10:
        middle = round((passed + failed) / 2 / 10) * 10
        if passed < middle < failed and (await rung(middle)).passed:
            passed = middle
    best = f"{passed}" if passed else f"< {args.ladder[0]}"
    if not failed:
        best = f">= {passed}"
    print(f"{backend}: largest N with p95 < {P95_TARGET_MS / 1000:g} s ({_tokens(args)}): "
          f"{best}", flush=True)
    return steps


def _tokens(args: argparse.Namespace) -> str:
    return "1 token" if args.tokens == 1 else f"{args.tokens} tokens, cadres spread evenly"


async def main_open_loop(args: argparse.Namespace) -> int:
    print(f"open loop, Telegram's limits on ({_tokens(args)}), {args.mode}: think "
          f"{args.think_min:g}-{args.think_max:g} s, warm-up {args.warmup:g} s, window "
          f"{args.window:g} s, ladder {args.ladder}", flush=True)
    steps: list[Step] = []
    with tempfile.TemporaryDirectory(prefix="ikk-bench-open-") as folder:
        if "sqlite" in args.backends:
            async def sqlite_url(cadres: int) -> str:
                return f"sqlite+aiosqlite:///{Path(folder) / f'open-{cadres}.db'}"

            steps += await open_ladder("SQLite", sqlite_url, args)
        if "postgresql" in args.backends:
            try:
                with throwaway_cluster() as cluster:
                    async def postgres_url(cadres: int) -> str:
                        return await create_database(cluster, f"bench_open_{cadres}")

                    steps += await open_ladder("PostgreSQL", postgres_url, args)
            except PostgresUnavailable as error:
                print(f"PostgreSQL skipped: {error}")
    return 0 if steps else 1


async def main(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING)
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="ikk-bench-chat-") as folder:
        print(f"{args.kader} cadres, {args.mode}", flush=True)
        if "sqlite" in args.backends:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
            runs.append(await run_questionnaire(url, f"questionnaire, SQLite, {args.mode}",
                                                args.kader, args.rate_limit, args.mode))
            print(runs[-1].line(), flush=True)
        if "postgresql" in args.backends:
            try:
                with throwaway_cluster() as cluster:
                    url = await create_database(cluster, "bench_chat")
                    runs.append(await run_questionnaire(
                        url, f"questionnaire, PostgreSQL, {args.mode}", args.kader,
                        args.rate_limit, args.mode,
                    ))
                    print(runs[-1].line(), flush=True)
            except PostgresUnavailable as error:
                print(f"PostgreSQL skipped: {error}")
    per_user = round(statistics.mean(r.answers for r in runs) / args.kader) if runs else 30
    echo = await run_echo(args.kader, max(per_user, 1), args.rate_limit, args.mode)
    print(echo.line(), flush=True)
    echo_tap = await run_echo(args.kader, max(per_user, 1), args.rate_limit, args.mode,
                              tapped=True)
    print(echo_tap.line())
    print()
    for run in runs:
        print(f"{run.name}: {run.rate / echo.rate:.2f}× the echo's rate, "
              f"p95 {run.percentile(95) / echo.percentile(95):.1f}× the echo's p95; bot CPU "
              f"per answer {run.cpu_per_answer / echo.cpu_per_answer:.1f}× the text echo's "
              f"(one call), {run.cpu_per_answer / echo_tap.cpu_per_answer:.1f}× the tapped "
              f"echo's (the same calls as a tapped answer)")
        for failure in run.failures[:5]:
            print(f"  failure: {failure}")
    sqlite = next((r for r in runs if "SQLite" in r.name), None)
    if sqlite is not None and not args.rate_limit:
        met = sqlite.rate >= 100 and sqlite.percentile(95) < 250 and not sqlite.failures
        print(f"target (>= 100 answers/s, p95 < 250 ms on SQLite): {'met' if met else 'NOT met'}")
    return 1 if any(r.failures for r in runs) else 0


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--bot-process":
        if os.environ.get("BENCH_PROFILE"):
            import cProfile
            # One file per mode ("questionnaire", "echo"…), so the echo doesn't overwrite it.
            cProfile.run("asyncio.run(bot_process(*sys.argv[2:]))",
                         f"{os.environ['BENCH_PROFILE']}.{sys.argv[2]}")
        else:
            asyncio.run(bot_process(*sys.argv[2:]))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kader", type=int, default=200, help="concurrent cadres (200)")
    parser.add_argument("--backends", "--db", default="sqlite,postgresql",
                        help="comma-separated: sqlite, postgresql")
    parser.add_argument("--mode", choices=("polling", "webhook"), default="polling",
                        help="how the bot receives updates (polling)")
    parser.add_argument("--rate-limit", action="store_true",
                        help="keep the production cap of 30 messages/s")
    loop = parser.add_argument_group("open loop (Telegram's limits on)")
    loop.add_argument("--open-loop", action="store_true",
                      help="thinking cadres under Telegram's limits; find the largest N with "
                           "p95 < 1.5 s")
    loop.add_argument("--ladder", default="60,120,180,240",
                      help="cadre counts to climb (60,120,180,240)")
    loop.add_argument("--warmup", type=float, default=5.0, help="seconds before measuring (5)")
    loop.add_argument("--window", type=float, default=25.0, help="seconds measured (25)")
    loop.add_argument("--think-min", type=float, default=5.0, help="shortest think (5 s)")
    loop.add_argument("--think-max", type=float, default=15.0, help="longest think (15 s)")
    loop.add_argument("--seed", type=int, default=12, help="random seed of the think times")
    loop.add_argument("--tokens", type=int, default=1, choices=range(1, len(VILLAGES) + 1),
                      metavar="T", help="bot tokens served by the one bot process (1)")
    arguments = parser.parse_args()
    arguments.backends = {b.strip() for b in arguments.backends.split(",")}
    if arguments.open_loop:
        arguments.ladder = sorted({int(n) for n in arguments.ladder.split(",") if n.strip()})
        sys.exit(asyncio.run(main_open_loop(arguments)))
    sys.exit(asyncio.run(main(arguments)))
