"""`ikk-bot families ...`: families outside the chat."""

from __future__ import annotations

import typer

from bot.cli_family_import import import_command

families_app = typer.Typer(no_args_is_help=True, help="Keluarga: impor dari berkas aplikasi lain.")
families_app.command("import")(import_command)
