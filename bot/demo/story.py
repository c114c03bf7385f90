"""`ikk-bot demo`: the whole story offline, printed as a chat transcript, in well under a minute.

A throwaway SQLite database (migrated, demo areas, a synthetic Desa Sampanahan), the real bot
polling the project's Bot API emulator on 127.0.0.1, and a scripted session:

1. the operator (admin, added as `ikk-bot users add` adds one) makes a kader invite with /undang;
2. kader Siti registers with the link and fills one family with buttons and typed numbers, up to
   the review card and "✅ Kirim";
3. a pejabat of Kabupaten Kotabaru (invited as `ikk-bot invite create` does) asks
   `/ikk Sampanahan`, picks the desa, reads the report and the chart, and exports the workbook;
4. the weekly alert runs once, and the pejabat's alert is shown.

The chart and the workbook are written to the output folder, marked as synthetic. Nothing goes
to api.telegram.org; no token or account is needed.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.styles import Font
from PIL import Image, ImageDraw, ImageFont
from rich.console import Console
from sqlalchemy import func, select

from bot.alerts.jobs import alert_service
from bot.alerts.weeks import period_label
from bot.db.database import Database
from bot.db.engine import create_engine, create_session_factory
from bot.db.migrate import upgrade
from bot.db.models import AppUser, Role
from bot.demo.harness import (
    DEMO_BOT_USERNAME,
    DemoBot,
    DemoTimeout,
    demo_settings,
    invite_code_in,
    question_on,
)
from bot.demo.printer import ChatPrinter
from bot.demo.synthetic import (
    SAMPANAHAN,
    SYNTHETIC_LABEL,
    StoredVillage,
    draw_families,
    store_village,
)
from bot.emulator import ChatMessage, EmulatedUser, TelegramEmulator
from bot.repositories.areas import load_demo_areas
from bot.repositories.invites import invite_link
from bot.repositories.users import add_user
from bot.services.context import ServiceContext
from bot.services.reports import AreaReport, operator_report
from ikk_core.formatting import format_integer, format_value

__all__ = [
    "ADMIN_ID",
    "DEMO_FAMILY",
    "KADER_ID",
    "KOTABARU",
    "PEJABAT_ID",
    "DemoFailed",
    "DemoResult",
    "DemoWorld",
    "announce_village",
    "demo_world",
    "run_demo",
    "run_guarded",
    "run_story",
    "stamp_chart",
    "stamp_workbook",
    "synthetic_copy",
]

log = logging.getLogger(__name__)

KOTABARU = "63.02"
ADMIN_ID, KADER_ID, PEJABAT_ID = 7001, 1001, 2001
SYNTHETIC_CADRES = (9_000_001, 9_000_002)
DESA_BUTTON = "Desa Sampanahan, Kec. Sampanahan"
EXPORT_BUTTON = "📥 Ekspor Excel"
SUBMIT_BUTTON = "✅ Kirim"
NAMES = {
    ADMIN_ID: "Rina (admin DP3A)",
    KADER_ID: "Siti (kader)",
    PEJABAT_ID: "Pak Hendra (pejabat Kab. Kotabaru)",
}

DEMO_HEAD_NAME, DEMO_RT = "Mardiansyah Noor", "3"
"""Typed for the instrument's head-name and RT questions, whatever it calls them."""
DEMO_FAMILY: Mapping[str, str] = {
    "H_ANGGOTA": "4", "P_PASANGAN": "Ya",
    "P_ANAK": "Ya", "P_BALITA": "Ya", "P_BADUTA": "Tidak", "P_LAHIR2": "Tidak",
    "P_SEKOLAH": "Ya", "P_LANSIA": "Tidak", "P_PENDAPATAN": "3,5 juta",
    "LS1": "Ya", "LS2": "Ya", "LS3": "Ya", "KF1": "Ya", "KF2": "Tidak", "KF3": "Tidak",
    "KF4": "Tidak",
    "KF5": "Ya", "KF6": "Ya", "KE1": "Ya", "KE3": "Ya", "KE4": "Ya", "KE5": "Ya", "KE6": "Tidak",
    "KE7": "Ya", "KE8": "Tidak", "KSP1": "Tidak", "KSP2": "Tidak", "KSP3": "Tidak",
    "KSP4": "Ya", "KSP5": "Ya", "KSP6": "Ya", "KSB1": "Ya", "KSB2": "Ya", "KSB3": "Ya",
    "KSB4": "Ya", "KSB5": "Tidak", "KSB6": "Ya",
}
"""The family Siti enters in chat: Ya/Tidak by button, the rest typed ("3,5 juta" included)."""


class DemoFailed(RuntimeError):
    """The demo could not go on; the message is one Indonesian line."""


@dataclass(frozen=True)
class DemoResult:
    """What the demo produced and measured."""

    output_dir: Path
    chart: Path
    workbook: Path
    transcript: Path
    seconds: float
    village: AreaReport
    synthetic_families: int


# ------------------------------------------------------------------------------------ world


@dataclass
class DemoWorld:
    """Everything a demo session runs on: database, emulator, bot, printer."""

    database: Database
    database_url: str
    emulator: TelegramEmulator
    bot: DemoBot
    printer: ChatPrinter
    ctx: ServiceContext
    village: StoredVillage

    def user(self, telegram_id: int, first_name: str) -> EmulatedUser:
        return self.emulator.user(telegram_id, first_name)

    async def say(self, user: EmulatedUser, text: str) -> list[ChatMessage]:
        """`user` sends `text`; wait for the bot; print the exchange; return the bot's messages."""
        await user.send(text)
        await self.bot.settle()
        return self.printer.flush(user.chat_id)

    async def tap(self, user: EmulatedUser, label: str) -> list[ChatMessage]:
        """`user` taps the button `label` of the latest keyboard; as `say`."""
        await user.tap(label)
        await self.bot.settle()
        return self.printer.flush(user.chat_id)


def _temporary_url(folder: str) -> str:
    return f"sqlite+aiosqlite:///{Path(folder) / 'ikk-demo.db'}"


async def _prepare(
    database: Database, ctx: ServiceContext, printer: ChatPrinter
) -> StoredVillage:
    """Areas, the operator, two synthetic cadres and the synthetic village."""
    async with database.session_factory() as session, session.begin():
        existing = await session.scalar(
            select(func.count()).select_from(AppUser).where(
                AppUser.telegram_id.in_([ADMIN_ID, KADER_ID, PEJABAT_ID, *SYNTHETIC_CADRES])
            )
        )
        if existing:
            raise DemoFailed(
                "database ini sudah berisi pengguna demo: jalankan demo pada database kosong "
                "(tanpa --database-url, demo memakai database sementara)"
            )
        await load_demo_areas(session)
        await add_user(session, telegram_id=ADMIN_ID, role=Role.ADMIN, area_code="63",
                       display_name="Operator DP3A")
        cadres = [
            await add_user(session, telegram_id=telegram_id, role=Role.KADER,
                           area_code=SAMPANAHAN, display_name=f"Kader Sintetis {n}")
            for n, telegram_id in enumerate(SYNTHETIC_CADRES, start=1)
        ]
        cadre_ids = [c.id for c in cadres]
    printer.note(f"$ ikk-bot users add --telegram-id {ADMIN_ID} --role admin --area 63 "
                 '--name "Operator DP3A"', "dim")
    return await store_village(ctx, cadre_ids, draw_families(ctx.instrument))


@asynccontextmanager
async def demo_world(
    console: Console,
    *,
    database_url: str | None = None,
    numbered: bool = False,
    show_edits: bool = False,
) -> AsyncIterator[DemoWorld]:
    """A migrated database with the synthetic village, and the bot running on the emulator."""
    with contextlib.ExitStack() as stack:
        if database_url is None:
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="ikk-demo-"))
            database_url = _temporary_url(folder)
        engine = create_engine(database_url)
        try:
            await upgrade(engine)
            database = Database(engine=engine, session_factory=create_session_factory(engine))
            ctx = ServiceContext.create(database.session_factory)
            async with TelegramEmulator(quiet_period=0.03, bot_username=DEMO_BOT_USERNAME) as emu:
                printer = ChatPrinter(emu, console, names=dict(NAMES), numbered=numbered,
                                      show_edits=show_edits)
                village = await _prepare(database, ctx, printer)
                bot = DemoBot(emu, database, demo_settings(emu, database_url))
                await bot.start()
                try:
                    yield DemoWorld(database, database_url, emu, bot, printer, ctx, village)
                finally:
                    await bot.stop()
        finally:
            await engine.dispose()


# ------------------------------------------------------------------------------------- acts


async def _admin_invites_kader(world: DemoWorld) -> str:
    printer = world.printer
    printer.narrate("Rina, operator DP3A (admin), membuka bot dan membuat undangan kader")
    rina = world.user(ADMIN_ID, "Rina")
    await world.say(rina, "/start")
    shown = await world.say(rina, "/undang Sampanahan")
    code = invite_code_in(shown)
    if code is None:
        raise DemoFailed("bot tidak memberi tautan undangan kader")
    return code


async def _kader_fills_a_family(world: DemoWorld, code: str) -> None:
    printer = world.printer
    printer.narrate("Kader Siti mendaftar dengan tautan undangan dari Rina")
    siti = world.user(KADER_ID, "Siti")
    await world.say(siti, f"/start {code}")
    printer.narrate("Siti mendata satu keluarga: ketuk Ya/Tidak, ketik angka")
    await world.say(siti, "/survei")
    instrument = world.ctx.instrument
    for _ in range(len(instrument.questions) + 1):
        last = siti.last_message()
        question = question_on(instrument, last)
        if question is None:
            break
        identity = {instrument.head_question: DEMO_HEAD_NAME, instrument.rt_question: DEMO_RT}
        reply = identity.get(question.name) or DEMO_FAMILY[question.name]
        if question.type.startswith("select"):
            await world.tap(siti, reply)
        else:
            await world.say(siti, reply)
    if SUBMIT_BUTTON not in [label for row in siti.keyboard() for label in row]:
        raise DemoFailed("kartu ringkasan dengan tombol ✅ Kirim tidak muncul")
    printer.narrate("Siti memeriksa kartu ringkasan lalu mengirim")
    await world.tap(siti, SUBMIT_BUTTON)


async def _pejabat_reads_the_report(world: DemoWorld) -> tuple[bytes, bytes]:
    printer = world.printer
    printer.narrate("Operator mengundang Pak Hendra, pejabat Kabupaten Kotabaru, dari baris "
                    "perintah")
    code = await world.bot.invite(Role.PEJABAT, KOTABARU)
    printer.note(f"$ ikk-bot invite create --role pejabat --area {KOTABARU}", "dim")
    printer.note(f"Tautan: {invite_link(world.bot.settings.bot_username, code)}", "dim")
    hendra = world.user(PEJABAT_ID, "Hendra")
    await world.say(hendra, f"/start {code}")
    printer.narrate(f"Pak Hendra menanyakan IKK Sampanahan ({SYNTHETIC_LABEL} + keluarga Siti)")
    await world.say(hendra, "/ikk Sampanahan")
    shown = await world.tap(hendra, DESA_BUTTON)
    photo = next((m.photo for m in shown if m.photo is not None), None)
    if photo is None:
        raise DemoFailed("bot tidak mengirim grafik IKK")
    printer.narrate("Pak Hendra mengunduh data desa sebagai Excel")
    shown = await world.tap(hendra, EXPORT_BUTTON)
    document = next((m.document for m in shown if m.document is not None), None)
    if document is None:
        raise DemoFailed("bot tidak mengirim berkas Excel")
    printer.narrate("Dinas Sosial bertanya: di desa mana pendapatan per kapita (KE2) merah?")
    shown = await world.say(hendra, "/merah KE2")
    if not any("KE2" in (m.text or "") for m in shown):
        raise DemoFailed("bot tidak menjawab /merah KE2")
    return photo.data, document.data


async def _weekly_alert(world: DemoWorld) -> None:
    printer = world.printer
    printer.narrate("Peringatan mingguan (terjadwal Senin 08.00 WITA) dijalankan sekali sekarang, "
                    "seperti `ikk-bot alerts run-now`")
    app = world.bot.app
    service = alert_service(app) if app is not None else None
    if service is None:
        raise DemoFailed("layanan peringatan tidak terpasang di bot")
    outcome = await service.run_now()
    await world.bot.settle()
    sent = outcome.report.sent if outcome.report is not None else 0
    week = period_label(outcome.period_key) if outcome.period_key else "minggu ini"
    printer.note(f"Peringatan {week}: {format_integer(outcome.deliveries)} "
                 f"penerima (Rina dan Pak Hendra), {format_integer(sent)} terkirim. "
                 "Yang diterima Pak Hendra:", "dim")
    received = printer.flush(PEJABAT_ID)
    printer.skip(ADMIN_ID)
    if not received:
        raise DemoFailed("Pak Hendra tidak menerima peringatan mingguan")


# ---------------------------------------------------------------------------------- outputs


def stamp_chart(data: bytes) -> bytes:
    """The chart with a red band above it (where a subtitle goes) and one below it saying the
    data are synthetic: a crop of either half still says so."""
    with Image.open(io.BytesIO(data)) as original:
        image = original.convert("RGB")
    band = 36
    stamped = Image.new("RGB", (image.width, image.height + 2 * band), "white")
    stamped.paste(image, (0, band))
    draw = ImageDraw.Draw(stamped)
    font = ImageFont.load_default(size=17)
    for top, words in (
        (0, f"{SYNTHETIC_LABEL} · demo ikk-bot"),
        (band + image.height, f"{SYNTHETIC_LABEL}: keluarga rekaan untuk demo ikk-bot, "
                              "bukan data nyata"),
    ):
        draw.rectangle((0, top, image.width, top + band), fill="#b00020")
        draw.text((image.width // 2, top + band // 2), words, fill="white", font=font,
                  anchor="mm")
    out = io.BytesIO()
    stamped.save(out, format="PNG", optimize=True)
    return out.getvalue()


def stamp_workbook(data: bytes) -> bytes:
    """The export with a first sheet saying the data are synthetic, and the label in front of
    every sheet's title row and in its printed header."""
    book = load_workbook(io.BytesIO(data))
    for other in book.worksheets:
        title = other["A1"].value
        other["A1"] = f"{SYNTHETIC_LABEL} · {title}" if title else SYNTHETIC_LABEL
        other.sheet_view.tabSelected = False
    sheet = book.create_sheet(SYNTHETIC_LABEL, 0)
    for every in book.worksheets:  # the printed page header too
        every.oddHeader.center.text = f"{SYNTHETIC_LABEL}: demo ikk-bot, bukan data nyata"
    sheet["A1"] = f"{SYNTHETIC_LABEL}: dibuat oleh `ikk-bot demo`."
    sheet["A2"] = ("Keluarga Desa Sampanahan di berkas ini rekaan (diundi dengan benih tetap), "
                   "kecuali keluarga yang diisi kader di demo. Bukan data nyata.")
    sheet["A1"].font = Font(bold=True, color="B00020")
    sheet.column_dimensions["A"].width = 110
    book.active = 0
    sheet.sheet_view.tabSelected = True
    book.properties.title = f"{SYNTHETIC_LABEL} — demo ikk-bot"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


SYNTHETIC_PREFIX = "sintetis-"


def synthetic_copy(filename: str, data: bytes) -> tuple[str, bytes]:
    """A file the demo's bot sent, as the demo saves it: the name starts with "sintetis-", a
    chart (.png) and a workbook (.xlsx) are stamped; other files are kept as they are."""
    name = Path(filename).name
    suffix = Path(name).suffix.casefold()
    if suffix == ".png":
        data = stamp_chart(data)
    elif suffix == ".xlsx":
        data = stamp_workbook(data)
    return (name if name.startswith(SYNTHETIC_PREFIX) else SYNTHETIC_PREFIX + name), data


def _write_outputs(
    output_dir: Path, chart: bytes, workbook: bytes, period: int
) -> tuple[Path, Path]:
    output_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in ((f"ikk-{SAMPANAHAN}-{period}.png", chart),
                       (f"ikk-{SAMPANAHAN}-{period}.xlsx", workbook)):
        synthetic_name, stamped = synthetic_copy(name, data)
        path = output_dir / synthetic_name
        path.write_bytes(stamped)
        paths.append(path)
    return paths[0], paths[1]


# ------------------------------------------------------------------------------------- run


async def announce_village(world: DemoWorld) -> AreaReport:
    """Say what the synthetic village is, with its IKK read back from the database."""
    report = await operator_report(world.ctx, SAMPANAHAN, world.village.period)
    if report is None:
        raise DemoFailed("desa Sampanahan tidak ada di database")
    world.printer.note(
        f"[{SYNTHETIC_LABEL}] {format_integer(len(world.village.response_ids))} keluarga "
        f"rekaan Desa Sampanahan ({SAMPANAHAN}), periode {world.village.period}: IKK "
        f"{format_value(report.result.ikk)}, {format_integer(len(report.result.red))} "
        "indikator merah. Nama dan jawaban diundi, bukan data nyata.", "bold yellow")
    world.printer.note(f"Bot berjalan melawan emulator Bot API di {world.emulator.url} "
                       "(tidak ada yang dikirim ke Telegram).", "dim")
    return report


async def run_story(
    console: Console,
    output_dir: Path,
    *,
    database_url: str | None = None,
    started: float | None = None,
) -> DemoResult:
    """The scripted session; raises `DemoFailed` (or `DemoTimeout`) when it cannot go on.

    `started` is when the run began (`time.time()`; default: now), for the time printed last.
    """
    begun = time.time() if started is None else started
    console.print("ikk-bot demo — bot IKK tanpa akun Telegram dan tanpa internet",
                  style="bold", highlight=False)
    # The live card is edited at each tap: without the edits printed, the tapped questions
    # would be missing from the transcript.
    async with demo_world(console, database_url=database_url, show_edits=True) as world:
        printer = world.printer
        await announce_village(world)
        code = await _admin_invites_kader(world)
        await _kader_fills_a_family(world, code)
        chart, workbook = await _pejabat_reads_the_report(world)
        await _weekly_alert(world)
        village = await operator_report(world.ctx, SAMPANAHAN, world.village.period)
        if village is None:
            raise DemoFailed("laporan akhir desa Sampanahan tidak terbaca")
        internal = world.emulator.state.internal_errors
        if internal:
            raise DemoFailed(f"emulator mencatat galat: {internal[0]}")
        families = len(world.village.response_ids)
        period = world.village.period

    chart_path, workbook_path = _write_outputs(output_dir, chart, workbook, period)
    transcript_path = output_dir / "transkrip-demo.txt"
    printer.header("Selesai")
    printer.note(f"Grafik (PNG):     {chart_path}", "")
    printer.note(f"Ekspor (Excel):   {workbook_path}", "")
    printer.note(f"Transkrip:        {transcript_path}", "")
    printer.note(
        f"Desa Sampanahan sekarang: {format_integer(village.submitted)} keluarga terkirim "
        f"({format_integer(families)} {SYNTHETIC_LABEL.lower()} + 1 dari Siti), IKK "
        f"{format_value(village.result.ikk)}, {format_integer(len(village.result.red))} "
        "indikator merah.", "")
    seconds = time.time() - begun
    printer.note(f"Waktu: {format_value(seconds, 1)} detik.", "bold")
    transcript_path.write_text("\n".join(printer.lines) + "\n", encoding="utf-8")
    return DemoResult(output_dir, chart_path, workbook_path, transcript_path, seconds, village,
                      families)


class _KeptLogs(logging.Handler):
    """Keeps log records instead of printing them: the demo shows a chat, not log lines."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def run_guarded(
    main: Callable[[], Coroutine[Any, Any, object]],
    errors: Console | None = None,
    *,
    interrupted_ok: bool = False,
) -> int:
    """Run `main()` in a new event loop: 0 when it ends, 1 with ONE line on `errors` (default
    stderr) when it fails, never a traceback. Ctrl-C is a failure unless `interrupted_ok`
    (the interactive session ends that way). Log records are kept, not printed; an ERROR
    among them (the bot failed somewhere) fails the run too."""
    errors = errors or Console(stderr=True, highlight=False)
    kept = _KeptLogs()
    root = logging.getLogger()
    saved_level, saved_handlers = root.level, list(root.handlers)
    root.handlers[:] = [kept]
    root.setLevel(logging.WARNING)
    try:
        asyncio.run(main())
    except (DemoFailed, DemoTimeout) as exc:
        return _fail(errors, str(exc))
    except KeyboardInterrupt:
        if not interrupted_ok:
            return _fail(errors, "dihentikan")
    except Exception as exc:  # one clear line instead of a traceback
        return _fail(errors, f"{type(exc).__name__}: {exc}")
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
    logged = [r for r in kept.records if r.levelno >= logging.ERROR]
    if logged:
        return _fail(errors, f"bot mencatat {len(logged)} galat, yang pertama: "
                             f"{logged[0].getMessage()}")
    return 0


def run_demo(
    console: Console | None = None,
    output_dir: Path = Path("demo-output"),
    *,
    database_url: str | None = None,
    errors: Console | None = None,
    started: float | None = None,
) -> int:
    """`ikk-bot demo`: the scripted story; the exit status (0 done, 1 failed)."""
    out = console or Console(highlight=False)
    return run_guarded(
        lambda: run_story(out, output_dir, database_url=database_url, started=started), errors
    )


def _fail(errors: Console, reason: str) -> int:
    first = reason.strip().splitlines()[0] if reason.strip() else "sebab tidak diketahui"
    errors.print(f"Demo gagal: {first}", markup=False, highlight=False, soft_wrap=True)
    return 1
