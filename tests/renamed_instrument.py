"""The default instrument with its identity questions renamed (NAMA_KK, NO_RT), for role tests.

Built from the default's own YAML export with the names replaced and the roles declared in its
settings, then loaded and checked by the real loader: exactly what a province does when its
workbook calls the head-name and RT questions differently. Order, labels and rules are the
default's, so the worked-example families answer it with their keys renamed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ikk_core.instrument import Instrument
from ikk_core.instrument_io import instrument_from_yaml_text, load_default_instrument
from ikk_core.instrument_yaml import instrument_to_yaml_text

HEAD = "NAMA_KK"
RT = "NO_RT"
_RENAMES = {"H_KEPALA": HEAD, "H_RT": RT}


def renamed_yaml_text() -> str:
    """The YAML of the renamed instrument (version 2026.2-namalain)."""
    default = load_default_instrument()
    text = instrument_to_yaml_text(default)
    for old, new in _RENAMES.items():
        text = text.replace(f"name: {old}\n", f"name: {new}\n")
        text = text.replace(f"_question: {old}\n", f"_question: {new}\n")
    return text.replace(f"version: '{default.version}'", f"version: {default.version}-namalain")


def renamed_instrument() -> Instrument:
    return instrument_from_yaml_text(renamed_yaml_text())


def write_renamed_instrument(directory: Path) -> Path:
    path = directory / "instrumen-namalain.yaml"
    path.write_text(renamed_yaml_text(), "utf-8")
    return path


def renamed_family(family: Mapping[str, str]) -> dict[str, str]:
    """A worked-example family keyed by the renamed instrument's question names."""
    return {_RENAMES.get(name, name): value for name, value in family.items()}
