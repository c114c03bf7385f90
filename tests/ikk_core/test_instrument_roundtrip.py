"""Export and load give the same instrument back, and workbooks as operators edit them still load.

Equality is dataclass equality: every question, choice, rule, weight, band and setting.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from openpyxl import load_workbook

from ikk_core.instrument import Band, Choice, Instrument, Question, Section, Settings, Text
from ikk_core.instrument_io import (
    DEFAULT_INSTRUMENT_FILE,
    check_file,
    load_default_instrument,
    load_instrument,
    validate,
    write_xlsx,
    write_yaml,
)


def rich_instrument() -> Instrument:
    """The default plus every optional feature the default does not use."""
    base = load_default_instrument()
    extra = (
        Question(
            "CATATAN_AKHIR",
            "note",
            Text("Terima kasih. = selesai", "Thank you"),
            required=False,
            section="PENUTUP",
        ),
        Question(
            "BANTUAN",
            "select_multiple",
            Text("Bantuan yang diterima"),
            list_name="bantuan",
            hint=Text("Boleh lebih dari satu"),
            relevant="${P_ANAK} = 'ya' or ${P_LANSIA} = 'ya'",
            required=False,
            section="PENUTUP",
        ),
        Question(
            "LUAS_RUMAH",
            "decimal",
            Text("Luas rumah (m²)", ""),
            constraint=". > 0",
            constraint_message=Text("Luas harus lebih dari 0."),
            warn_min=9.5,
            warn_max=500.0,
            warn_message=Text("Yakin?", "Sure?"),
            section="PENUTUP",
            appearance="numbers",
        ),
    )
    settings = replace(
        base.settings,
        aggregation="flat_mean",
        red_threshold=70.5,
        provisional=False,
        default_language="en",
        poverty_line_default=612_345.5,
        poverty_lines={"63.02": 650_000.0, "63.10": 700_000.0, "63.71": 812_500.25},
        family_bands=(Band("kurang", Text("Kurang"), 0.0), Band("baik", Text("Baik"), 62.5)),
    )
    return replace(
        base,
        version="2026.2-uji",
        settings=settings,
        questions=base.questions + extra,
        choices={
            **base.choices,
            "bantuan": (Choice("pkh", Text("PKH")), Choice("bpnt", Text("BPNT", "Food aid"))),
        },
        sections=(*base.sections, Section("PENUTUP", Text("Penutup", "Closing"))),
        indicators=tuple(replace(i, weight=2.5) if i.code == "KE2" else i for i in base.indicators),
    )


def test_sensitive_marks_survive_both_file_formats(tmp_path: Path) -> None:
    base = rich_instrument()
    marked = replace(
        base,
        questions=tuple(replace(q, sensitive=q.name == "BANTUAN") for q in base.questions),
    )
    for suffix, write in ((".xlsx", write_xlsx), (".yaml", write_yaml)):
        path = tmp_path / f"instrumen{suffix}"
        write(marked, path)
        loaded = load_instrument(path)
        assert loaded == marked
        assert loaded.question("BANTUAN").sensitive
        assert loaded.sensitive_names() == {"BANTUAN", "KSP1", "KSP2", "KSP3", "KSB5"}


def test_the_rich_instrument_is_itself_valid() -> None:
    assert validate(rich_instrument()) == []


@pytest.mark.parametrize("name", ["default", "rich"])
def test_instrument_survives_xlsx_export_and_load(name: str, tmp_path: Path) -> None:
    instrument = load_default_instrument() if name == "default" else rich_instrument()
    path = tmp_path / "instrumen.xlsx"
    write_xlsx(instrument, path)
    assert load_instrument(path) == instrument


@pytest.mark.parametrize("name", ["default", "rich"])
def test_instrument_survives_yaml_export_and_load(name: str, tmp_path: Path) -> None:
    instrument = load_default_instrument() if name == "default" else rich_instrument()
    path = tmp_path / "instrumen.yaml"
    write_yaml(instrument, path)
    assert load_instrument(path) == instrument


def test_yaml_export_of_a_loaded_export_is_byte_identical(tmp_path: Path) -> None:
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    write_yaml(load_default_instrument(), first)
    write_yaml(load_instrument(first), second)
    assert first.read_bytes() == second.read_bytes()


def test_packaged_yaml_holds_the_same_rows_as_its_export(tmp_path: Path) -> None:
    # Same tables apart from the header comment: a row number means the same row in both.
    packaged = Path(__file__).parents[2] / "ikk_core" / DEFAULT_INSTRUMENT_FILE
    exported = tmp_path / "export.yaml"
    write_yaml(load_default_instrument(), exported)

    def body(path: Path) -> list[str]:
        return [ln for ln in path.read_text("utf-8").splitlines() if not ln.startswith("#")]

    assert body(packaged) == body(exported)


def test_exported_workbook_has_xlsform_sheets_and_headers(tmp_path: Path) -> None:
    path = tmp_path / "instrumen.xlsx"
    write_xlsx(load_default_instrument(), path)
    book = load_workbook(path)
    assert book.sheetnames[:8] == [
        "survey", "choices", "settings", "bands", "poverty_lines", "dimensions", "indicators",
        "sections",
    ]  # fmt: skip
    survey_headers = [c.value for c in book["survey"][1]]
    assert survey_headers[:4] == [
        "type", "name", "label::Bahasa Indonesia (id)", "label::English (en)",
    ]  # fmt: skip
    assert "constraint_message::Bahasa Indonesia (id)" in survey_headers
    assert [c.value for c in book["survey"][2]][:3] == ["text", "H_KEPALA", "Nama kepala keluarga"]
    settings = {row[0]: row[1] for row in book["settings"].iter_rows(min_row=2, values_only=True)}
    assert settings["form_id"] == "ikk-kalsel-default"
    assert settings["version"] == "2026.2"
    assert settings["red_threshold"] == 75
    indicators = [c.value for c in book["indicators"][1]]
    assert indicators == [
        "code", "dimension", "name::Bahasa Indonesia (id)", "name::English (en)", "applies_if",
        "meets_if", "weight", "sector", "sensitive",
    ]  # fmt: skip


def test_text_that_looks_like_a_formula_stays_text(tmp_path: Path) -> None:
    instrument = rich_instrument()
    broken_looking = replace(
        instrument,
        questions=tuple(
            replace(q, label=Text("=SUM(A1)")) if q.name == "CATATAN_AKHIR" else q
            for q in instrument.questions
        ),
    )
    path = tmp_path / "rumus.xlsx"
    write_xlsx(broken_looking, path)
    assert load_instrument(path).question("CATATAN_AKHIR").label.id == "=SUM(A1)"


def test_workbook_edited_by_hand_still_loads(tmp_path: Path) -> None:
    """Sheet names in capitals, blank rows, notes columns and sheets, numbers typed as text."""
    path = tmp_path / "instrumen.xlsx"
    write_xlsx(load_default_instrument(), path)
    book = load_workbook(path)
    survey = book["survey"]
    survey.title = "tmp"  # openpyxl refuses a case-only rename in one step
    survey.title = "Survey"
    survey.insert_rows(5, amount=2)
    survey.cell(row=1, column=survey.max_column + 1, value="catatan operator")
    survey.cell(row=2, column=survey.max_column, value="ditanyakan pertama")
    book.create_sheet("catatan").append(["bebas diisi"])
    settings = book["settings"]
    for row in settings.iter_rows(min_row=2):
        if row[0].value == "red_threshold":
            row[1].value = "75"
        if row[0].value == "poverty_line_default":
            row[1].value = "600.000"
    book.save(path)
    assert load_instrument(path) == load_default_instrument()


def test_classic_xlsform_settings_layout_loads(tmp_path: Path) -> None:
    path = tmp_path / "instrumen.xlsx"
    write_xlsx(load_default_instrument(), path)
    book = load_workbook(path)
    pairs = [(r[0], r[1]) for r in book["settings"].iter_rows(min_row=2, values_only=True)]
    del book["settings"]
    wide = book.create_sheet("settings")
    wide.append([key for key, _ in pairs])
    wide.append([value for _, value in pairs])
    book.save(path)
    assert load_instrument(path) == load_default_instrument()


def test_short_language_headers_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "instrumen.xlsx"
    write_xlsx(load_default_instrument(), path)
    book = load_workbook(path)
    for cell in book["survey"][1]:
        if cell.value == "label::Bahasa Indonesia (id)":
            cell.value = "label::id"
        elif cell.value == "label::English (en)":
            cell.value = "label::English"
    book.save(path)
    assert load_instrument(path) == load_default_instrument()


def test_validate_on_an_instrument_matches_checking_its_exported_workbook(tmp_path: Path) -> None:
    instrument = load_default_instrument()
    broken = replace(
        instrument,
        settings=replace(instrument.settings, red_threshold=150.0),
        indicators=tuple(
            replace(i, meets_if="${LS9} = 'ya'") if i.code == "LS2" else i
            for i in instrument.indicators
        ),
    )
    path = tmp_path / "rusak.xlsx"
    write_xlsx(broken, path)
    problems = validate(broken)
    assert [str(p) for p in problems] == [
        "[settings baris 7, kolom red_threshold] batas merah (red_threshold) harus di antara 0 "
        "dan 100, bukan 150",
        "[indicators baris 3, kolom meets_if] ${LS9} tidak ada: tidak ada pertanyaan bernama "
        "'LS9' di sheet survey (posisi 1)",
    ]
    assert check_file(path)[1] == problems


def test_empty_settings_fall_back_to_the_model_defaults(tmp_path: Path) -> None:
    path = tmp_path / "instrumen.xlsx"
    write_xlsx(load_default_instrument(), path)
    book = load_workbook(path)
    for row in book["settings"].iter_rows(min_row=2):
        if row[0].value in ("aggregation", "red_threshold", "provisional", "default_language"):
            row[1].value = None
    book.save(path)
    assert load_instrument(path).settings == replace(
        load_default_instrument().settings,
        **{
            f: getattr(Settings(), f)
            for f in ("aggregation", "red_threshold", "provisional", "default_language")
        },
    )
