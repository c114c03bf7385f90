"""Identity roles (family_head_question, rt_question) and short labels in the instrument file.

Family names, RT and duplicate detection follow the questions the settings name, so an
instrument that calls them NAMA_KK / NO_RT works like the default; `instrument check` reports a
role naming no question, or a question of the wrong type, located like every other problem.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from openpyxl import load_workbook

from ikk_core.instrument import Instrument, Question, Text
from ikk_core.instrument_io import (
    Problem,
    instrument_from_yaml_text,
    load_default_instrument,
    load_instrument,
    validate,
    write_xlsx,
    write_yaml,
)
from ikk_core.instrument_validate import check_tables
from ikk_core.instrument_yaml import tables_from_yaml_text
from tests.renamed_instrument import renamed_instrument

ID = "label::Bahasa Indonesia (id)"
SHORT = "short_label::Bahasa Indonesia (id)"

# Survey rows: NAMA_KK = row 2, NO_RT = row 3, P_ANAK = row 4.
BASE: dict[str, Any] = {
    "settings": {
        "form_id": "uji",
        "version": "1",
        "form_title::Bahasa Indonesia (id)": "Instrumen uji",
        "family_head_question": "NAMA_KK",
        "rt_question": "NO_RT",
    },
    "survey": [
        {"type": "text", "name": "NAMA_KK", ID: "Nama kepala keluarga", SHORT: "Nama KK"},
        {"type": "integer", "name": "NO_RT", ID: "Nomor RT", SHORT: "RT"},
        {"type": "select_one yesno", "name": "P_ANAK", ID: "Ada anak?"},
    ],
    "choices": [
        {"list_name": "yesno", "name": "ya", ID: "Ya"},
        {"list_name": "yesno", "name": "tidak", ID: "Tidak"},
    ],
    "bands": [
        {"kind": "ikk", "name": "rendah", ID: "Rendah", "min": 0},
        {"kind": "family", "name": "kurang", ID: "Kurang", "min": 0},
    ],
    "dimensions": [{"code": "D1", "name::Bahasa Indonesia (id)": "Dimensi satu"}],
    "indicators": [
        {"code": "I1", "dimension": "D1", "name::Bahasa Indonesia (id)": "Indikator satu",
         "meets_if": "${P_ANAK} = 'ya'"},
    ],
}


def data() -> dict[str, Any]:
    return copy.deepcopy(BASE)


def problems_of(tables: dict[str, Any]) -> list[Problem]:
    return check_tables(tables_from_yaml_text(yaml.safe_dump(tables, allow_unicode=True)))[1]


def load(tables: dict[str, Any]) -> Instrument:
    return instrument_from_yaml_text(yaml.safe_dump(tables, allow_unicode=True))


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, "\n".join(str(p) for p in problems)
    return problems[0]


# ------------------------------------------------------------------ roles


def test_roles_declared_in_settings_name_the_identity_questions() -> None:
    instrument = load(data())
    assert (instrument.head_question, instrument.rt_question) == ("NAMA_KK", "NO_RT")


def test_the_default_instrument_declares_h_kepala_and_h_rt() -> None:
    instrument = load_default_instrument()
    assert instrument.settings.family_head_question == "H_KEPALA"
    assert instrument.settings.rt_question == "H_RT"
    assert (instrument.head_question, instrument.rt_question) == ("H_KEPALA", "H_RT")


def test_a_role_naming_no_question_is_reported_on_its_settings_key() -> None:
    d = data()
    d["settings"]["family_head_question"] = "H_KEPALA"
    problem = only(problems_of(d))
    assert (problem.sheet, problem.column) == ("settings", "family_head_question")
    assert "tidak ada pertanyaan bernama 'H_KEPALA'" in problem.message


def test_a_head_question_that_is_not_text_is_reported() -> None:
    d = data()
    d["settings"]["family_head_question"] = "P_ANAK"
    problem = only(problems_of(d))
    assert (problem.sheet, problem.column) == ("settings", "family_head_question")
    assert "harus text, bukan select_one" in problem.message


def test_an_rt_question_that_is_not_an_integer_is_reported() -> None:
    d = data()
    d["survey"][1]["type"] = "text"
    problem = only(problems_of(d))
    assert (problem.sheet, problem.column) == ("settings", "rt_question")
    assert "nomor RT" in problem.message and "harus integer, bukan text" in problem.message


def test_a_default_role_with_the_wrong_type_points_at_the_survey_row() -> None:
    d = data()
    del d["settings"]["family_head_question"], d["settings"]["rt_question"]
    d["survey"][0]["name"] = "H_KEPALA"
    d["survey"][1].update(name="H_RT", type="decimal")
    problem = only(problems_of(d))
    assert (problem.sheet, problem.row, problem.column) == ("survey", 3, "type")
    assert "harus integer, bukan decimal" in problem.message


def test_an_instrument_without_identity_questions_and_no_roles_is_valid() -> None:
    d = data()
    del d["settings"]["family_head_question"], d["settings"]["rt_question"]
    d["survey"] = d["survey"][2:]
    instrument = load(d)
    assert instrument.head_question is None and instrument.rt_question is None


def test_roles_are_read_from_an_xlsx_settings_sheet(tmp_path: Path) -> None:
    path = tmp_path / "instrumen.xlsx"
    write_xlsx(load(data()), path)
    settings = {
        row[0]: row[1]
        for row in load_workbook(path)["settings"].iter_rows(min_row=2, values_only=True)
    }
    assert settings["family_head_question"] == "NAMA_KK"
    assert settings["rt_question"] == "NO_RT"
    assert load_instrument(path).head_question == "NAMA_KK"


def test_a_renamed_instrument_survives_export_to_yaml_and_xlsx(tmp_path: Path) -> None:
    instrument = renamed_instrument()
    assert validate(instrument) == []
    for name, write in (("a.yaml", write_yaml), ("a.xlsx", write_xlsx)):
        write(instrument, tmp_path / name)
        loaded = load_instrument(tmp_path / name)
        assert loaded == instrument
        assert (loaded.head_question, loaded.rt_question) == ("NAMA_KK", "NO_RT")


# ------------------------------------------------------------------ short labels


def test_short_label_is_read_and_falls_back_to_the_label() -> None:
    instrument = load(data())
    assert instrument.short_label("NAMA_KK") == "Nama KK"
    assert instrument.short_label("P_ANAK") == "Ada anak?"  # none set: the label
    assert instrument.short_label("TIDAK_ADA") == "TIDAK_ADA"


def test_a_bare_short_label_column_means_indonesian() -> None:
    d = data()
    d["survey"][2]["short_label"] = "Anak"
    assert load(d).short_label("P_ANAK") == "Anak"


def test_english_short_label_falls_back_to_the_english_label() -> None:
    question = Question("Q", "text", Text("Nama kepala keluarga", "Head's name"),
                        short_label=Text("Nama KK"))
    assert question.short("en") == "Head's name"
    assert question.short("id") == "Nama KK"
    assert Question("Q", "text", Text("Nama"), short_label=Text("KK", "HoF")).short("en") == "HoF"


def test_a_short_label_longer_than_30_characters_is_reported() -> None:
    d = data()
    d["survey"][2][SHORT] = "Apakah ada anak usia nol sampai tujuh belas tahun"
    problem = only(problems_of(d))
    assert (problem.sheet, problem.row, problem.column) == ("survey", 4, SHORT)
    assert "paling banyak 30 huruf" in problem.message


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_question_of_the_default_instrument_has_a_short_label(lang: str) -> None:
    instrument = load_default_instrument()
    for question in instrument.questions:
        short = question.short_label.get(lang)
        assert short and len(short) <= 30, question.name
        assert instrument.short_label(question.name, lang) == short
    assert instrument.short_label("H_ANGGOTA") == "Jumlah anggota"
    assert instrument.short_label("LS1") == "Buku nikah"
