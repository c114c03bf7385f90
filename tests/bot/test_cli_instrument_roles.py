"""`ikk-bot instrument check` on a workbook whose head-name and RT questions were renamed."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook
from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()


def _rename_identity_questions(path: Path) -> int:
    """Rename H_KEPALA/H_RT in the survey sheet only; returns the settings row of the head role."""
    book = load_workbook(path)
    survey = book["survey"]
    name_column = [c.value for c in survey[1]].index("name") + 1
    survey.cell(row=2, column=name_column, value="NAMA_KK")
    survey.cell(row=3, column=name_column, value="NO_RT")
    book.save(path)
    rows = [row[0].value for row in book["settings"].iter_rows(min_row=1)]
    return rows.index("family_head_question") + 1


def test_check_names_the_settings_row_of_a_role_left_pointing_at_a_renamed_question(
    tmp_path: Path,
) -> None:
    path = tmp_path / "instrumen.xlsx"
    assert runner.invoke(app, ["instrument", "export", str(path)]).exit_code == 0
    head_row = _rename_identity_questions(path)

    result = runner.invoke(app, ["instrument", "check", str(path)])

    assert result.exit_code == 1
    lines = result.stdout.strip().splitlines()
    assert lines == [
        f"[settings baris {head_row}, kolom family_head_question] family_head_question menyebut "
        "'H_KEPALA', tetapi tidak ada pertanyaan bernama 'H_KEPALA' di sheet survey",
        f"[settings baris {head_row + 1}, kolom rt_question] rt_question menyebut 'H_RT', "
        "tetapi tidak ada pertanyaan bernama 'H_RT' di sheet survey",
    ]


def test_check_passes_once_the_roles_name_the_renamed_questions(tmp_path: Path) -> None:
    path = tmp_path / "instrumen.xlsx"
    runner.invoke(app, ["instrument", "export", str(path)])
    head_row = _rename_identity_questions(path)
    book = load_workbook(path)
    book["settings"].cell(row=head_row, column=2, value="NAMA_KK")
    book["settings"].cell(row=head_row + 1, column=2, value="NO_RT")
    book.save(path)

    result = runner.invoke(app, ["instrument", "check", str(path)])

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("OK: ikk-kalsel-default")
