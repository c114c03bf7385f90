"""`ikk-bot demo [--interactive] [--output DIR] [--database-url URL]`: the project, offline.

No Telegram account, no token, no network: a throwaway SQLite database with a synthetic
village, the real bot against the project's Bot API emulator on 127.0.0.1, and either the
scripted story (default) or a chat in the terminal (`--interactive`). The demo modules are
imported only when the command runs, so the other commands do not pay for them.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["demo_command", "process_started"]


def process_started() -> float | None:
    """When this process started (`time.time()` scale), from /proc; None where there is none.

    The demo's printed time then includes starting Python and importing the bot, which is
    what the person at the terminal waits for.
    """
    try:
        stat = Path("/proc/self/stat").read_text(encoding="ascii")
        ticks = int(stat.rsplit(")", 1)[1].split()[19])  # field 22: starttime
        boot = next(
            float(line.split()[1])
            for line in Path("/proc/stat").read_text(encoding="ascii").splitlines()
            if line.startswith("btime ")
        )
        started = boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None
    # btime has whole seconds: never report a start in the future or hours ago.
    return started if 0 <= time.time() - started < 3600 else None


def demo_command(
    interactive: Annotated[
        bool,
        typer.Option("--interactive", "-i",
                     help="Mengobrol sendiri dengan bot sebagai kader atau pejabat."),
    ] = False,
    output: Annotated[
        Path,
        typer.Option("--output", "-o", file_okay=False,
                     help="Folder untuk grafik, berkas Excel dan transkrip."),
    ] = Path("demo-output"),
    database_url: Annotated[
        str | None,
        typer.Option("--database-url",
                     help="Database (kosong) untuk demo; bawaan: SQLite sementara yang dihapus "
                          "sesudahnya."),
    ] = None,
) -> None:
    """Demo tanpa akun Telegram dan tanpa internet: desa sintetis, bot sungguhan di emulator,
    kader mengisi satu keluarga, pejabat membaca IKK, peringatan mingguan."""
    started = process_started()
    if interactive:
        from bot.demo.interactive import run_interactive

        status = run_interactive(output_dir=output, database_url=database_url)
    else:
        from bot.demo.story import run_demo

        status = run_demo(output_dir=output, database_url=database_url, started=started)
    if status:
        raise typer.Exit(status)
