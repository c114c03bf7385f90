"""`ikk-bot`: the command line of the IKK bot (operators and administrators).

Each group of commands lives in its own module and is registered here with one line.
"""

from __future__ import annotations

import typer

from bot.cli_instrument import instrument_app

app = typer.Typer(
    no_args_is_help=True,
    help="ikk-bot: bot Telegram Indeks Kualitas Keluarga (IKK) dan alat bantunya.",
)
app.add_typer(instrument_app, name="instrument")
