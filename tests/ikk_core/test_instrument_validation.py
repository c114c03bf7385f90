"""Every class of mistake an operator can make in an instrument file, located by sheet/row/column.

Each test starts from a small valid instrument (as the YAML tables), breaks one thing and checks
the one problem reported: its sheet, its row as the workbook shows it (entry i of a YAML list is
row i + 2), its column header and a word of its message.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from openpyxl import Workbook

from ikk_core.instrument_io import (
    InstrumentError,
    InstrumentFileError,
    Problem,
    check_file,
    instrument_from_yaml_text,
    load_default_instrument,
    load_instrument,
    read_tables,
    validate,
)
from ikk_core.instrument_validate import check_tables
from ikk_core.instrument_yaml import tables_from_yaml_text

ID = "label::Bahasa Indonesia (id)"
NAME_ID = "name::Bahasa Indonesia (id)"

# Survey rows: P_ANAK = row 2, Q1 = row 3, CATATAN = row 4, JUMLAH = row 5.
VALID: dict[str, Any] = {
    "settings": {
        "form_id": "uji",
        "version": "1",
        "form_title::Bahasa Indonesia (id)": "Instrumen uji",
        "aggregation": "dimension_mean",
        "red_threshold": 75,
    },
    "survey": [
        {"type": "select_one yesno", "name": "P_ANAK", ID: "Ada anak?"},
        {
            "type": "select_one yesno",
            "name": "Q1",
            ID: "Anak sekolah?",
            "relevant": "${P_ANAK} = 'ya'",
        },
        {"type": "note", "name": "CATATAN", ID: "Terima kasih"},
        {"type": "integer", "name": "JUMLAH", ID: "Jumlah anggota", "constraint": ". >= 1"},
    ],
    "choices": [
        {"list_name": "yesno", "name": "ya", ID: "Ya"},
        {"list_name": "yesno", "name": "tidak", ID: "Tidak"},
    ],
    "bands": [
        {"kind": "ikk", "name": "rendah", ID: "Rendah", "min": 0},
        {"kind": "ikk", "name": "tinggi", ID: "Tinggi", "min": 50},
        {"kind": "family", "name": "kurang", ID: "Kurang", "min": 0},
        {"kind": "family", "name": "baik", ID: "Baik", "min": 75},
    ],
    "poverty_lines": [{"area_code": "63.02", "amount": 650000}],
    "dimensions": [
        {"code": "D1", NAME_ID: "Dimensi satu", "weight": 1},
        {"code": "D2", NAME_ID: "Dimensi dua", "weight": 2},
    ],
    "indicators": [
        {
            "code": "I1",
            "dimension": "D1",
            NAME_ID: "Indikator satu",
            "applies_if": "${P_ANAK} = 'ya'",
            "meets_if": "${Q1} = 'ya'",
        },
        {
            "code": "I2",
            "dimension": "D2",
            NAME_ID: "Indikator dua",
            "meets_if": "${JUMLAH} >= ${GARIS_KEMISKINAN} div 100000",
        },
    ],
}


def data() -> dict[str, Any]:
    return copy.deepcopy(VALID)


def problems_of(tables: dict[str, Any]) -> list[Problem]:
    return check_tables(tables_from_yaml_text(yaml.safe_dump(tables, allow_unicode=True)))[1]


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, "\n".join(str(p) for p in problems)
    return problems[0]


def assert_at(problem: Problem, sheet: str, row: int | None, column: str | None, word: str) -> None:
    assert (problem.sheet, problem.row, problem.column) == (sheet, row, column), str(problem)
    assert word in problem.message, str(problem)


def test_the_valid_starting_point_has_no_problems() -> None:
    assert problems_of(data()) == []
    instrument = instrument_from_yaml_text(yaml.safe_dump(data()))
    assert [q.name for q in instrument.questions] == ["P_ANAK", "Q1", "CATATAN", "JUMLAH"]
    assert instrument.settings.poverty_lines == {"63.02": 650000.0}
    assert instrument.dimension("D2").weight == 2.0


def test_problem_reads_like_a_spreadsheet_location() -> None:
    problem = Problem("survey", 14, "relevant", "tanda kurung tutup ')' tidak ada (posisi 17)")
    assert (
        str(problem)
        == "[survey baris 14, kolom relevant] tanda kurung tutup ')' tidak ada (posisi 17)"
    )
    assert str(Problem("indicators", None, None, "sheet 'indicators' tidak ada")) == (
        "[indicators] sheet 'indicators' tidak ada"
    )
    assert str(Problem("", None, None, "berkas rusak")) == "berkas rusak"


# ------------------------------------------------------------------ duplicates


def test_duplicate_question_name_points_at_the_second_row_and_names_the_first() -> None:
    d = data()
    d["survey"].append({"type": "text", "name": "Q1", ID: "Lagi"})
    problem = only(problems_of(d))
    assert_at(problem, "survey", 6, "name", "sudah dipakai di baris 3")


def test_duplicate_choice_name_within_a_list_is_reported() -> None:
    d = data()
    d["choices"].append({"list_name": "yesno", "name": "ya", ID: "Ya lagi"})
    assert_at(only(problems_of(d)), "choices", 4, "name", "'ya' sudah dipakai di baris 2")


def test_same_choice_name_in_two_lists_is_fine() -> None:
    d = data()
    d["choices"].append({"list_name": "lain", "name": "ya", ID: "Ya"})
    assert problems_of(d) == []


def test_duplicate_indicator_code_is_reported() -> None:
    d = data()
    d["indicators"][1]["code"] = "I1"
    assert_at(only(problems_of(d)), "indicators", 3, "code", "kode indikator 'I1' sudah dipakai")


def test_duplicate_dimension_code_is_reported() -> None:
    d = data()
    d["dimensions"].append({"code": "D1", NAME_ID: "Dimensi lagi"})
    assert_at(only(problems_of(d)), "dimensions", 4, "code", "kode dimensi 'D1' sudah dipakai")


# ------------------------------------------------------------------ types and lists


def test_unknown_question_type_lists_the_types_that_exist() -> None:
    d = data()
    d["survey"][3]["type"] = "date"
    problem = only(problems_of(d))
    assert_at(problem, "survey", 5, "type", "jenis 'date' tidak dikenal")
    assert "select_one <daftar>" in problem.message


def test_select_without_a_list_name_is_reported() -> None:
    d = data()
    d["survey"][0]["type"] = "select_one"
    problem = only(problems_of(d))
    assert_at(problem, "survey", 2, "type", "perlu nama daftar pilihan")


def test_select_with_an_unknown_list_is_reported() -> None:
    d = data()
    d["survey"][0]["type"] = "select_one yatidak"
    assert_at(only(problems_of(d)), "survey", 2, "type", "daftar pilihan 'yatidak' tidak ada")


def test_question_name_that_cannot_be_referenced_is_reported() -> None:
    d = data()
    d["survey"].append({"type": "text", "name": "nama kepala", ID: "Nama"})
    assert_at(only(problems_of(d)), "survey", 6, "name", "tidak sah")


# ------------------------------------------------------------------ expressions


def test_reference_to_an_unknown_question_in_relevant_is_reported_with_its_position() -> None:
    d = data()
    d["survey"][1]["relevant"] = "${P_ANAAK} = 'ya'"
    problem = only(problems_of(d))
    assert_at(problem, "survey", 3, "relevant", "${P_ANAAK} tidak ada")
    assert "posisi 1" in problem.message


def test_reference_to_an_unknown_question_in_meets_if_is_reported() -> None:
    d = data()
    d["indicators"][0]["meets_if"] = "${Q2} = 'ya'"
    assert_at(only(problems_of(d)), "indicators", 2, "meets_if", "${Q2} tidak ada")


def test_builtin_variables_are_known_references() -> None:
    # I2 of the valid instrument already uses ${GARIS_KEMISKINAN}; a typo of it is unknown.
    d = data()
    d["indicators"][1]["meets_if"] = "${JUMLAH} >= ${GARIS_MISKIN}"
    assert_at(only(problems_of(d)), "indicators", 3, "meets_if", "${GARIS_MISKIN} tidak ada")


def test_expression_that_does_not_parse_is_reported_with_the_position() -> None:
    d = data()
    d["survey"][1]["relevant"] = "(${P_ANAK} = 'ya'"
    problem = only(problems_of(d))
    assert_at(problem, "survey", 3, "relevant", "ekspresi tidak bisa dibaca")
    assert "posisi" in problem.message


def test_expression_error_in_applies_if_is_located_in_that_column() -> None:
    d = data()
    d["indicators"][0]["applies_if"] = "${P_ANAK} == 'ya'"
    problem = only(problems_of(d))
    assert_at(problem, "indicators", 2, "applies_if", "posisi 11")


@pytest.mark.parametrize(
    "hostile",
    ["__import__('os')", "(" * 10_000 + "1" + ")" * 10_000, "${Q1} = '" + "x" * 1_000_000 + "'"],
)
def test_hostile_expression_is_a_located_problem_not_a_crash(hostile: str) -> None:
    d = data()
    d["indicators"][0]["meets_if"] = hostile
    assert_at(only(problems_of(d)), "indicators", 2, "meets_if", "ekspresi tidak bisa dibaca")


def test_current_answer_dot_outside_a_constraint_is_reported() -> None:
    d = data()
    d["survey"][1]["relevant"] = ". = 'ya'"
    assert_at(
        only(problems_of(d)), "survey", 3, "relevant", "hanya boleh dipakai di kolom constraint"
    )


def test_current_answer_dot_in_an_indicator_rule_is_reported() -> None:
    d = data()
    d["indicators"][0]["meets_if"] = "${Q1} = . "
    assert_at(
        only(problems_of(d)), "indicators", 2, "meets_if", "hanya boleh dipakai di kolom constraint"
    )


def test_constraint_that_reads_a_later_answer_is_reported() -> None:
    d = data()
    d["survey"][1]["type"] = "integer"
    d["survey"][1]["constraint"] = ". <= ${JUMLAH}"
    d["indicators"][0]["meets_if"] = "${Q1} >= 1"
    assert_at(
        only(problems_of(d)), "survey", 3, "constraint", "baru ditanyakan sesudahnya (baris 5)"
    )


# ------------------------------------------------------------------ indicators


def test_indicator_rule_that_refers_to_no_question_is_reported() -> None:
    d = data()
    d["indicators"][1]["meets_if"] = "1 = 1"
    assert_at(
        only(problems_of(d)),
        "indicators",
        3,
        "meets_if",
        "aturan indikator tidak merujuk pertanyaan apa pun",
    )


def test_indicator_rule_that_refers_only_to_the_poverty_line_refers_to_no_question() -> None:
    d = data()
    d["indicators"][1]["meets_if"] = "${GARIS_KEMISKINAN} > 0"
    assert_at(only(problems_of(d)), "indicators", 3, "meets_if", "tidak merujuk pertanyaan apa pun")


def test_indicator_rule_that_refers_to_a_note_is_reported() -> None:
    d = data()
    d["indicators"][1]["meets_if"] = "${CATATAN} = 'ya'"
    assert_at(only(problems_of(d)), "indicators", 3, "meets_if", "catatan (note)")


def test_indicator_in_an_unknown_dimension_is_reported() -> None:
    d = data()
    d["indicators"].append(
        {"code": "I3", "dimension": "D9", NAME_ID: "Tiga", "meets_if": "${Q1} = 'ya'"}
    )
    assert_at(only(problems_of(d)), "indicators", 4, "dimension", "dimensi 'D9' tidak ada")


def test_dimension_without_indicators_is_reported() -> None:
    d = data()
    d["dimensions"].append({"code": "D3", NAME_ID: "Dimensi tiga"})
    assert_at(only(problems_of(d)), "dimensions", 4, "code", "dimensi 'D3' tidak punya indikator")


@pytest.mark.parametrize("weight", [0, -1, "berat"])
def test_dimension_weight_that_is_not_a_positive_number_is_reported(weight: object) -> None:
    d = data()
    d["dimensions"][1]["weight"] = weight
    assert_at(only(problems_of(d)), "dimensions", 3, "weight", "bobot (weight) harus angka")


@pytest.mark.parametrize("weight", [0, "-2", "x"])
def test_indicator_weight_that_is_not_a_positive_number_is_reported(weight: object) -> None:
    d = data()
    d["indicators"][0]["weight"] = weight
    assert_at(only(problems_of(d)), "indicators", 2, "weight", "bobot (weight) harus angka")


def test_weights_may_be_written_with_a_decimal_comma() -> None:
    d = data()
    d["indicators"][0]["weight"] = "1,5"
    instrument = instrument_from_yaml_text(yaml.safe_dump(d))
    assert instrument.indicators[0].weight == 1.5


# ------------------------------------------------------------------ relevance order and cycles


def test_relevance_cycle_of_two_questions_is_named_once() -> None:
    d = data()
    d["survey"][0]["relevant"] = "${Q1} = 'ya'"
    problem = only(problems_of(d))
    assert_at(problem, "survey", 2, "relevant", "relevansi berputar: P_ANAK → Q1 → P_ANAK")


def test_longer_relevance_cycle_is_named_in_full() -> None:
    # P_ANAK waits on Q2, Q2 on Q1, Q1 on P_ANAK: "A → B" reads "A is shown only after B".
    d = data()
    d["survey"].insert(
        2, {"type": "select_one yesno", "name": "Q2", ID: "Dua?", "relevant": "${Q1} = 'ya'"}
    )
    d["survey"][0]["relevant"] = "${Q2} = 'tidak'"
    problem = only(problems_of(d))
    assert_at(problem, "survey", 2, "relevant", "P_ANAK → Q2 → Q1 → P_ANAK")


def test_question_relevant_on_itself_is_a_cycle() -> None:
    d = data()
    d["survey"][1]["relevant"] = "${Q1} = 'ya'"
    assert_at(only(problems_of(d)), "survey", 3, "relevant", "Q1 → Q1")


def test_question_relevant_on_a_later_question_is_reported() -> None:
    d = data()
    d["survey"][1]["relevant"] = "${JUMLAH} > 2"
    problem = only(problems_of(d))
    assert_at(problem, "survey", 3, "relevant", "'JUMLAH' baru ditanyakan sesudahnya (baris 5)")


# ------------------------------------------------------------------ settings and bands


@pytest.mark.parametrize(("value", "word"), [("tinggi", "harus angka"), (120, "antara 0 dan 100")])
def test_red_threshold_must_be_a_number_between_0_and_100(value: object, word: str) -> None:
    d = data()
    d["settings"]["red_threshold"] = value
    assert_at(only(problems_of(d)), "settings", None, "red_threshold", word)


def test_aggregation_must_be_one_of_the_two_methods() -> None:
    d = data()
    d["settings"]["aggregation"] = "median"
    assert_at(
        only(problems_of(d)), "settings", None, "aggregation", "dimension_mean atau flat_mean"
    )


def test_unknown_setting_key_is_reported_so_a_typo_is_not_silently_ignored() -> None:
    d = data()
    d["settings"]["red_treshold"] = 80
    assert_at(only(problems_of(d)), "settings", None, "red_treshold", "tidak dikenal")


def test_missing_form_id_is_reported() -> None:
    d = data()
    del d["settings"]["form_id"]
    assert_at(only(problems_of(d)), "settings", None, "form_id", "wajib diisi")


def test_band_min_outside_0_to_100_is_reported() -> None:
    d = data()
    d["bands"][1]["min"] = 150
    assert_at(only(problems_of(d)), "bands", 3, "min", "antara 0 dan 100")


def test_band_min_that_is_not_a_number_is_reported() -> None:
    d = data()
    d["bands"][3]["min"] = "tujuh lima"
    assert_at(only(problems_of(d)), "bands", 5, "min", "harus angka")


def test_bands_must_increase_strictly() -> None:
    d = data()
    d["bands"][3]["min"] = 0
    assert_at(only(problems_of(d)), "bands", 5, "min", "harus lebih besar dari baris sebelumnya")


def test_bands_must_start_at_zero() -> None:
    d = data()
    d["bands"][0]["min"] = 10
    assert_at(only(problems_of(d)), "bands", 2, "min", "harus mulai dari 0")


def test_poverty_line_code_written_as_a_number_is_reported() -> None:
    d = data()
    d["poverty_lines"][0]["area_code"] = 63.1
    assert_at(only(problems_of(d)), "poverty_lines", 2, "area_code", "tulis sebagai teks")


def test_warn_min_above_warn_max_is_reported() -> None:
    d = data()
    d["survey"][3].update({"warn_min": 20, "warn_max": 15})
    assert_at(
        only(problems_of(d)),
        "survey",
        5,
        "warn_max",
        "warn_min (20) lebih besar dari warn_max (15)",
    )


def test_warning_range_on_a_yes_no_question_is_reported() -> None:
    d = data()
    d["survey"][0]["warn_max"] = 3
    assert_at(only(problems_of(d)), "survey", 2, "warn_max", "hanya untuk pertanyaan angka")


# ------------------------------------------------------------------ sheets and columns


def test_missing_required_sheet_is_reported() -> None:
    d = data()
    del d["dimensions"]
    problems = problems_of(d)
    assert Problem("dimensions", None, None, "sheet 'dimensions' tidak ada") in problems


def test_missing_survey_sheet_does_not_drown_in_unknown_references() -> None:
    d = data()
    del d["survey"]
    assert only(problems_of(d)) == Problem("survey", None, None, "sheet 'survey' tidak ada")


def test_missing_required_column_is_reported_once_for_the_sheet() -> None:
    d = data()
    for row in d["indicators"]:
        del row["meets_if"]
    problem = only(problems_of(d))
    assert_at(problem, "indicators", 1, "meets_if", "kolom wajib 'meets_if' tidak ada")


def test_empty_required_cell_is_reported_on_its_row() -> None:
    d = data()
    del d["survey"][3][ID]
    assert_at(only(problems_of(d)), "survey", 5, ID, "label (Bahasa Indonesia) kosong")


def test_every_problem_of_a_file_is_reported_at_once_in_sheet_order() -> None:
    d = data()
    d["indicators"][0]["meets_if"] = "${Q1} = 'ya"  # unclosed quote
    d["survey"].append({"type": "text", "name": "Q1", ID: "Lagi"})  # duplicate, row 6
    d["settings"]["red_threshold"] = "abc"
    problems = problems_of(d)
    assert [(p.sheet, p.row, p.column) for p in problems] == [
        ("survey", 6, "name"),
        ("settings", None, "red_threshold"),
        ("indicators", 2, "meets_if"),
    ]
    with pytest.raises(InstrumentError) as raised:
        instrument_from_yaml_text(yaml.safe_dump(d))
    assert raised.value.problems == problems


def test_validate_accepts_a_built_instrument_and_locates_problems_as_in_its_export() -> None:
    instrument = instrument_from_yaml_text(yaml.safe_dump(data()))
    assert validate(instrument) == []
    from dataclasses import replace

    broken = replace(instrument, indicators=(*instrument.indicators, instrument.indicators[0]))
    assert_at(only(validate(broken)), "indicators", 4, "code", "kode indikator 'I1' sudah dipakai")


# ------------------------------------------------------------------ groups


def test_begin_group_gives_its_questions_a_section() -> None:
    d = data()
    d["survey"].insert(0, {"type": "begin_group", "name": "PROFIL", ID: "Profil keluarga"})
    d["survey"].insert(3, {"type": "end_group"})
    instrument = instrument_from_yaml_text(yaml.safe_dump(d))
    assert [q.section for q in instrument.questions] == ["PROFIL", "PROFIL", "", ""]
    assert instrument.section_name("PROFIL") == "Profil keluarga"


def test_unclosed_group_is_reported() -> None:
    d = data()
    d["survey"].insert(0, {"type": "begin group", "name": "PROFIL", ID: "Profil"})
    assert_at(only(problems_of(d)), "survey", 2, "type", "tidak ditutup")


def test_question_in_an_unknown_section_is_reported() -> None:
    d = data()
    d["survey"][0]["section"] = "ZZ"
    assert_at(only(problems_of(d)), "survey", 2, "section", "bagian 'ZZ' tidak ada")


# ------------------------------------------------------------------ workbooks and files


def workbook_from(d: dict[str, Any], path: Path, skip: str = "") -> Path:
    """Lay the YAML tables out as a workbook, the way an operator's Excel file looks."""
    book = Workbook()
    book.remove(book.active)
    settings = book.create_sheet("settings")
    settings.append(["key", "value"])
    for key, value in d["settings"].items():
        settings.append([key, value])
    for name, rows in d.items():
        if name in ("settings", skip):
            continue
        sheet = book.create_sheet(name)
        headers = list(dict.fromkeys(k for row in rows for k in row))
        sheet.append(headers)
        for row in rows:
            sheet.append([row.get(h) for h in headers])
    book.save(path)
    return path


def test_workbook_problems_carry_the_spreadsheet_row_numbers(tmp_path: Path) -> None:
    d = data()
    d["survey"][1]["relevant"] = "${P_ANAAK} = 'ya'"
    path = workbook_from(d, tmp_path / "uji.xlsx")
    instrument, problems = check_file(path)
    assert instrument is None
    assert_at(only(problems), "survey", 3, "relevant", "${P_ANAAK} tidak ada")


def test_workbook_settings_row_is_reported_with_its_key(tmp_path: Path) -> None:
    d = data()
    d["settings"]["red_threshold"] = 200
    path = workbook_from(d, tmp_path / "uji.xlsx")
    # settings rows: form_id 2, version 3, form_title 4, aggregation 5, red_threshold 6
    assert_at(only(check_file(path)[1]), "settings", 6, "red_threshold", "antara 0 dan 100")


def test_workbook_without_a_required_sheet_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    path = workbook_from(data(), tmp_path / "uji.xlsx", skip="indicators")
    problems = check_file(path)[1]
    assert Problem("indicators", None, None, "sheet 'indicators' tidak ada") in problems


def test_file_that_is_not_a_workbook_raises_a_file_error(tmp_path: Path) -> None:
    path = tmp_path / "bukan.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a zip file")
    with pytest.raises(InstrumentFileError) as raised:
        load_instrument(path)
    assert "tidak bisa dibuka sebagai workbook" in raised.value.message


def test_yaml_that_does_not_parse_raises_a_file_error_with_the_line(tmp_path: Path) -> None:
    path = tmp_path / "rusak.yaml"
    path.write_text("survey:\n  - type: [text\n", encoding="utf-8")
    with pytest.raises(InstrumentFileError) as raised:
        read_tables(path)
    assert "baris" in raised.value.message


def test_unknown_suffix_and_missing_file_are_file_errors(tmp_path: Path) -> None:
    with pytest.raises(InstrumentFileError, match="tidak dikenal"):
        read_tables(tmp_path / "instrumen.csv")
    with pytest.raises(InstrumentFileError, match="tidak ditemukan"):
        read_tables(tmp_path / "tidak-ada.yaml")


# ------------------------------------------------------------------ sensitive marks


@pytest.mark.parametrize("value", ["yes", "ya", "true", "1", 1, True, "Tidak", "no", 0, ""])
def test_sensitive_accepts_yes_no_words_in_both_languages(value: object) -> None:
    d = data()
    d["indicators"][0]["sensitive"] = value
    d["survey"][3]["sensitive"] = value
    assert problems_of(d) == []


@pytest.mark.parametrize("value", ["rahasia", "2", 0.5])
def test_sensitive_that_is_not_yes_or_no_is_located_on_its_row(value: object) -> None:
    d = data()
    d["indicators"][1]["sensitive"] = value
    assert_at(only(problems_of(d)), "indicators", 3, "sensitive", "yes atau no")


def test_question_sensitive_problem_points_at_the_survey_row() -> None:
    d = data()
    d["survey"][1]["sensitive"] = "mungkin"
    assert_at(only(problems_of(d)), "survey", 3, "sensitive", "mungkin")


def test_a_question_and_an_indicator_of_one_name_share_the_sensitive_mark() -> None:
    d = data()
    d["indicators"][0]["code"] = "Q1"
    d["indicators"][0]["sensitive"] = "ya"
    d["survey"][3]["sensitive"] = True
    instrument = instrument_from_yaml_text(yaml.safe_dump(d))
    assert instrument.sensitive_names() == {"Q1", "JUMLAH"}
    assert not instrument.question("Q1").sensitive  # only the mark itself is per row


def test_default_instrument_marks_violence_crime_and_child_marriage_sensitive() -> None:
    assert load_default_instrument().sensitive_names() == {"KSP1", "KSP2", "KSP3", "KSB5"}
