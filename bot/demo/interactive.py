"""`ikk-bot demo --interactive`: chat with the bot in the terminal as a kader or a pejabat.

The synthetic village is loaded first, then the person chooses a role and is registered
through a real invite link. Typed text goes to the bot as a message; the bot's buttons are
numbered ([1] Ya [2] Tidak) and typing the number taps one. While the bot asks for a typed
number (RT, family members, income) a bare number is that answer, and "#1" taps button 1.
`/keluar`, Ctrl-D or Ctrl-C end the session cleanly. Photos and documents the bot sends are
saved in the output folder, named "sintetis-…" and stamped "DATA SINTETIS" like the story's.

When the bot edits a message (a question card it moves on, a keyboard it takes away), the
message is printed again marked "(diubah)" with its new buttons. A typed number taps a button of
the keyboard printed last, never one the person has not seen: if that keyboard changed
meanwhile, the change is printed and nothing is tapped.

Input is read by a daemon thread that hands lines to the event loop, so the bot keeps running
while the terminal waits, and a pending read never holds up the exit.
"""

from __future__ import annotations

import asyncio
import re
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from rich.console import Console

from bot.db.models import Role
from bot.demo.harness import DemoTimeout, question_on
from bot.demo.printer import PrintedKeyboard
from bot.demo.story import (
    KOTABARU,
    DemoWorld,
    announce_village,
    demo_world,
    run_guarded,
    synthetic_copy,
)
from bot.demo.synthetic import SAMPANAHAN
from bot.emulator import EmulatedUser

__all__ = [
    "PLAYER_ID",
    "QUIT_COMMAND",
    "ChatSession",
    "LineReader",
    "run_interactive",
    "run_session",
]

QUIT_COMMAND = "/keluar"
PLAYER_ID = 3001
_TAP = re.compile(r"#?(\d{1,3})")


class LineReader:
    """Lines of a text stream delivered to the event loop by a daemon thread.

    `None` means the stream ended (Ctrl-D, or the end of a scripted input).
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._read, name="demo-stdin", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while True:
            try:
                line: str | None = self._stream.readline()
            except (OSError, ValueError):
                line = None
            if not line:
                line = None
            try:
                self._loop.call_soon_threadsafe(self._queue.put_nowait, line)
            except RuntimeError:  # the loop is closed: nobody is listening any more
                return
            if line is None:
                return

    async def next_line(self) -> str | None:
        """The next line without its newline, or None at the end of the input."""
        line = await self._queue.get()
        return None if line is None else line.rstrip("\r\n")


@dataclass(frozen=True)
class _Role:
    role: Role
    area: str
    first_name: str
    label: str


_ROLES = {
    "1": _Role(Role.KADER, SAMPANAHAN, "Siti", "kader Desa Sampanahan"),
    "2": _Role(Role.PEJABAT, KOTABARU, "Hendra", "pejabat Kabupaten Kotabaru"),
}
_ROLE_WORDS = {"kader": "1", "pejabat": "2"}

_HELP = (
    "Ketik pesan untuk bot (mis. /survei, /ikk Sampanahan, /bantuan). Ketik angka untuk "
    "menekan tombol bernomor. Saat bot meminta angka (RT, jumlah anggota, pendapatan), angka "
    f"yang diketik adalah jawabannya; tekan tombol dengan #1, #2 … {QUIT_COMMAND} untuk "
    "selesai (atau Ctrl-D / Ctrl-C)."
)


async def _choose_role(world: DemoWorld, lines: LineReader, prompt: bool) -> _Role | None:
    printer = world.printer
    while True:
        printer.note("Main sebagai: [1] kader Desa Sampanahan  [2] pejabat Kabupaten Kotabaru",
                     "bold")
        if prompt:
            world.printer.console.print("> ", end="")
        line = await lines.next_line()
        if line is None:
            return None
        choice = line.strip().casefold()
        if choice == QUIT_COMMAND:
            return None
        found = _ROLES.get(_ROLE_WORDS.get(choice, choice))
        if found is not None:
            return found
        printer.note(f"Pilihan {line.strip()!r} tidak dikenal: ketik 1 atau 2.")


@dataclass
class ChatSession:
    """One person's chat: the world, their Telegram user, where files go."""

    world: DemoWorld
    user: EmulatedUser
    output_dir: Path
    saved: set[int] = field(default_factory=set)
    """Ids of the messages whose photo or document is saved already (an edit is not new)."""

    def keyboard(self) -> PrintedKeyboard | None:
        """The keyboard printed last (the one typed numbers refer to)."""
        return self.world.printer.keyboard(self.user.chat_id)

    def wants_typed_answer(self) -> bool:
        """Whether the question on screen is answered by typing (a bare number answers it)."""
        question = question_on(self.world.ctx.instrument, self.user.last_message())
        return question is not None and not question.type.startswith("select")

    async def act(self, line: str) -> None:
        """Send `line`, or tap the button it names; then print what the bot did."""
        printer = self.world.printer
        match = _TAP.fullmatch(line)
        explicit = line.startswith("#")
        keyboard = self.keyboard()
        if match is not None and keyboard is not None and (
            explicit or not self.wants_typed_answer()
        ):
            if keyboard.changed():  # edited since it was printed: show it, tap nothing
                self.show_new()
                printer.note("Tombolnya baru saja berubah (lihat di atas): ketik lagi nomor "
                             "yang Anda maksud.")
                return
            number = int(match.group(1))
            if not 1 <= number <= len(keyboard.buttons):
                printer.note(f"Tidak ada tombol nomor {number} (ada 1–{len(keyboard.buttons)}).")
                return
            _, label, data = keyboard.buttons[number - 1]
            if data is None:
                printer.note(f"Tombol [{label}] adalah tautan, bukan tombol bot.")
                return
            await self.user.tap(data, message=keyboard.message)
        elif match is not None and explicit:
            printer.note("Tidak ada tombol untuk ditekan.")
            return
        else:
            await self.user.send(line)
        await self.settle_and_show()

    async def settle_and_show(self) -> None:
        """Wait for the bot, print the new chat lines, save photos and documents."""
        printer = self.world.printer
        try:
            await self.world.bot.settle()
        except DemoTimeout as exc:
            printer.note(f"({exc}; coba lagi)")
        self.show_new()

    def show_new(self) -> None:
        """Print the chat since the last look; save new photos and documents, labelled."""
        printer = self.world.printer
        for message in printer.flush(self.user.chat_id):
            upload = message.photo or message.document
            if upload is None or message.message_id in self.saved:
                continue
            self.saved.add(message.message_id)
            self.output_dir.mkdir(parents=True, exist_ok=True)
            name, data = synthetic_copy(
                upload.filename or f"berkas-{message.message_id}", upload.data
            )
            path = self.output_dir / name
            path.write_bytes(data)
            printer.note(f"(disimpan: {path})", "dim")


async def run_session(
    console: Console,
    stream: TextIO,
    output_dir: Path,
    *,
    database_url: str | None = None,
) -> None:
    """The interactive session until `/keluar` or the end of `stream`."""
    prompt = stream.isatty()
    console.print("ikk-bot demo --interactive — mengobrol dengan bot IKK di terminal",
                  style="bold", highlight=False)
    async with demo_world(console, database_url=database_url, numbered=True,
                          show_edits=True) as world:
        await announce_village(world)
        lines = LineReader(stream)
        chosen = await _choose_role(world, lines, prompt)
        if chosen is None:
            world.printer.note("Sampai jumpa.")
            return
        session = ChatSession(world, world.user(PLAYER_ID, chosen.first_name), output_dir)
        world.printer.names[PLAYER_ID] = f"Anda ({chosen.role.value})"
        code = await world.bot.invite(chosen.role, chosen.area)
        world.printer.narrate(f"Anda mendaftar sebagai {chosen.label} lewat tautan undangan")
        await session.user.send(f"/start {code}")
        await session.settle_and_show()
        world.printer.note(_HELP, "dim")
        while True:
            if prompt:
                console.print("> ", end="")
            line = await lines.next_line()
            if line is None or line.strip().casefold() == QUIT_COMMAND:
                break
            if line.strip():
                await session.act(line.strip())
        world.printer.note("Sampai jumpa.")


def run_interactive(
    console: Console | None = None,
    stream: TextIO | None = None,
    output_dir: Path = Path("demo-output"),
    *,
    database_url: str | None = None,
    errors: Console | None = None,
) -> int:
    """`ikk-bot demo --interactive`; the exit status (0 ended by the person, also with
    Ctrl-C; 1 failed)."""
    out = console or Console(highlight=False)
    source = stream or sys.stdin
    return run_guarded(
        lambda: run_session(out, source, output_dir, database_url=database_url),
        errors,
        interrupted_ok=True,
    )
