"""The officials' commands and their menu descriptions (Indonesian), for `bot.telegram.menus`.

Kept apart from the handlers so the menu module can list them without importing the reporting
stack (matplotlib, openpyxl).
"""

from __future__ import annotations

from typing import Final

__all__ = ["OFFICIAL_COMMANDS", "OFFICIAL_COMMAND_DESCRIPTIONS"]

OFFICIAL_COMMANDS: Final = ("ikk", "merah", "ekspor", "progres", "undang")
OFFICIAL_COMMAND_DESCRIPTIONS: Final = {
    "ikk": "IKK desa atau wilayah, dengan grafik (mis. /ikk Sampanahan)",
    "merah": "Desa dengan indikator merah (mis. /merah KSP1 Sampanahan)",
    "ekspor": "Unduh data IKK wilayah sebagai berkas Excel",
    "progres": "Kemajuan pendataan per desa dan per kader",
    "undang": "Buat tautan undangan kader untuk sebuah desa",
}
