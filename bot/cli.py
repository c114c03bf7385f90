"""`ikk-bot`: the command line of the IKK bot (operators and administrators).

Each group of commands lives in its own module and is registered here with one line.
"""

from __future__ import annotations

import typer

from bot.cli_alerts import alerts_app
from bot.cli_backup import attach_backup_commands
from bot.cli_db import areas_app, db_app, invite_app, users_app
from bot.cli_demo import demo_command
from bot.cli_export import export_command
from bot.cli_families import families_app
from bot.cli_instrument import instrument_app
from bot.cli_reports import rescore_command
from bot.cli_run import run_command
from bot.cli_score import score_command
from bot.cli_targets import attach_targets_command

app = typer.Typer(
    no_args_is_help=True,
    help="ikk-bot: bot Telegram Indeks Kualitas Keluarga (IKK) dan alat bantunya.",
)
app.add_typer(instrument_app, name="instrument")
app.command("score")(score_command)
app.add_typer(db_app, name="db")
attach_backup_commands(db_app)
app.add_typer(areas_app, name="areas")
app.add_typer(users_app, name="users")
app.add_typer(invite_app, name="invite")
app.command("rescore")(rescore_command)
app.command("run")(run_command)
app.add_typer(alerts_app, name="alerts")
app.command("export")(export_command)
app.command("demo")(demo_command)
app.add_typer(families_app, name="families")
attach_targets_command(areas_app)
