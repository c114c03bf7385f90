"""`ikk-bot instrument export|check`, run as an operator would: export, edit, check."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook
from typer.testing import CliRunner

from bot.cli import app
from ikk_core.instrument_io import load_default_instrument, load_instrument

runner = CliRunner()


def test_export_xlsx_then_check_passes(tmp_path: Path) -> None:
    out = tmp_path / "instrumen.xlsx"
    exported = runner.invoke(app, ["instrument", "export", "--format", "xlsx", str(out)])
    assert exported.exit_code == 0, exported.output
    assert load_instrument(out) == load_default_instrument()
    checked = runner.invoke(app, ["instrument", "check", str(out)])
    assert checked.exit_code == 0, checked.output
    assert checked.stdout.strip() == (
        "OK: ikk-kalsel-default versi 2026.2: 39 pertanyaan, 29 indikator, 5 dimensi"
    )


def test_export_yaml_then_check_passes(tmp_path: Path) -> None:
    out = tmp_path / "instrumen.yaml"
    assert runner.invoke(app, ["instrument", "export", "--format", "yaml", str(out)]).exit_code == 0
    checked = runner.invoke(app, ["instrument", "check", str(out)])
    assert checked.exit_code == 0 and checked.stdout.startswith("OK: ikk-kalsel-default")


def test_export_converts_a_given_instrument_file(tmp_path: Path) -> None:
    yaml_file, xlsx_file = tmp_path / "a.yaml", tmp_path / "b.xlsx"
    runner.invoke(app, ["instrument", "export", "-f", "yaml", str(yaml_file)])
    result = runner.invoke(
        app, ["instrument", "export", "--instrument", str(yaml_file), str(xlsx_file)]
    )
    assert result.exit_code == 0, result.output
    assert load_instrument(xlsx_file) == load_instrument(yaml_file)


def test_export_refuses_a_file_name_that_contradicts_the_format(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["instrument", "export", "--format", "yaml", str(tmp_path / "x.xlsx")]
    )
    assert result.exit_code == 2
    assert "tidak cocok dengan format yaml" in result.stderr
    assert not (tmp_path / "x.xlsx").exists()


def test_broken_workbook_exits_1_listing_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "instrumen.xlsx"
    runner.invoke(app, ["instrument", "export", str(path)])
    book = load_workbook(path)
    survey = book["survey"]
    headers = [c.value for c in survey[1]]
    survey.cell(row=7, column=headers.index("relevant") + 1, value="${P_ANAK = 'ya'")  # P_BALITA
    indicators = book["indicators"]
    dimension_column = [c.value for c in indicators[1]].index("dimension") + 1
    indicators.cell(row=2, column=dimension_column, value="LX")  # LS1
    book.save(path)

    result = runner.invoke(app, ["instrument", "check", str(path)])

    assert result.exit_code == 1
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2, result.stdout
    assert lines[0].startswith("[survey baris 7, kolom relevant] ekspresi tidak bisa dibaca")
    assert "posisi" in lines[0]
    assert (
        lines[1]
        == "[indicators baris 2, kolom dimension] dimensi 'LX' tidak ada di sheet dimensions"
    )
    assert "2 masalah" in result.stderr


def test_garbage_file_exits_2_with_one_clear_line(tmp_path: Path) -> None:
    path = tmp_path / "instrumen.xlsx"
    path.write_bytes(b"\x00\x01 bukan workbook \xff" * 50)
    result = runner.invoke(app, ["instrument", "check", str(path)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "tidak bisa dibuka sebagai workbook Excel" in result.stderr


def test_missing_file_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["instrument", "check", str(tmp_path / "tidak-ada.yaml")])
    assert result.exit_code == 2
    assert "tidak ditemukan" in result.stderr


def test_export_of_a_broken_instrument_lists_its_problems_and_writes_nothing(
    tmp_path: Path,
) -> None:
    source = tmp_path / "rusak.yaml"
    runner.invoke(app, ["instrument", "export", "-f", "yaml", str(source)])
    text = source.read_text("utf-8").replace("red_threshold: 75", "red_threshold: merah")
    source.write_text(text, "utf-8")
    out = tmp_path / "hasil.xlsx"
    result = runner.invoke(app, ["instrument", "export", "--instrument", str(source), str(out)])
    assert result.exit_code == 1
    assert "[settings, kolom red_threshold]" in result.stdout
    assert not out.exists()
