"""`ikk-bot score FILE`, run as an operator would on a spreadsheet of answers."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from rich.progress import Progress, TaskID
from typer.testing import CliRunner

from bot.cli import app
from bot.cli_score import PROGRESS_MIN_ROWS, _progress, score_file
from ikk_core.instrument_io import load_default_instrument

EXAMPLE = Path(__file__).parents[2] / "examples" / "contoh-keluarga.csv"
RED = ["KE2", "LS2", "KE5", "KE8", "KSP2", "KF1", "KE1", "KE6"]

runner = CliRunner()


def example_rows() -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(EXAMPLE.read_text(encoding="utf-8").splitlines()))
    return rows[0], rows[1:]


def write_csv(path: Path, header: list[str], rows: list[list[str]], sep: str = ",") -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=sep).writerows([header, *rows])
    return path


def test_worked_example_prints_ikk_87_50_and_the_eight_red_indicators() -> None:
    result = runner.invoke(app, ["score", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Desa Sampanahan (63.02.12.2005)" in out
    assert "IKK 87,50 · Kategori 3 — Kualitas keluarga responsif gender dan hak anak" in out
    for code in RED:
        assert f" {code} " in out
    # Red indicators come with value and sector, lowest first.
    assert out.index(" KE2 ") < out.index(" LS2 ") < out.index(" KF1 ")
    assert "33,33" in out and "Dinas Sosial / Bappeda" in out
    for line in ("83,33", "91,67", "70,83", "100,00"):
        assert line in out
    assert "KF5 ASI eksklusif" in out and "KF6" in out
    assert "ikk-kalsel-default versi 2026.2" in out and "metode sementara" in out


def test_json_output_has_the_documented_structure_with_unrounded_numbers() -> None:
    result = runner.invoke(app, ["score", str(EXAMPLE), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"instrument", "areas", "rejected_rows"}
    assert data["instrument"] == {"id": "ikk-kalsel-default", "version": "2026.2"}
    assert data["rejected_rows"] == []
    [area] = data["areas"]
    assert set(area) == {
        "code", "name", "families", "ikk", "category", "dimensions", "indicators", "red",
    }
    assert (area["code"], area["name"], area["families"]) == ("63.02.12.2005", "Sampanahan", 3)
    assert area["ikk"] == pytest.approx(87.5)
    assert area["category"] == "Kategori 3"
    assert list(area["dimensions"]) == ["LS", "KF", "KE", "KSP", "KSB"]
    assert area["dimensions"]["LS"] == pytest.approx(250 / 3)  # not 83.33
    assert len(area["indicators"]) == 29
    assert area["indicators"]["KF5"] is None and area["indicators"]["KF6"] is None
    assert area["indicators"]["KE2"] == pytest.approx(100 / 3)
    assert area["red"] == RED


def test_rejected_rows_are_listed_and_the_others_still_scored(tmp_path: Path) -> None:
    header, rows = example_rows()
    unknown = list(rows[0])
    unknown[header.index("desa")] = "Desa Entah"
    word = list(rows[1])
    word[header.index("P_PENDAPATAN")] = "ya"
    stray = list(rows[0])
    stray[header.index("LS2")] = "Ya"  # family without children answers a children question
    path = write_csv(tmp_path / "campur.csv", header, [*rows, unknown, word, stray], sep=";")

    result = runner.invoke(app, ["score", str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    rejected = {r["row"]: r["reason"] for r in data["rejected_rows"]}
    assert sorted(rejected) == [5, 6, 7]
    assert "Desa Entah" in rejected[5] and "tidak dikenal" in rejected[5]
    assert rejected[6].startswith("P_PENDAPATAN: Jawaban harus berupa angka")
    assert rejected[7].startswith("LS2 diisi, padahal pertanyaan ini tidak berlaku")
    [area] = data["areas"]
    assert area["families"] == 3 and area["ikk"] == pytest.approx(87.5)

    readable = runner.invoke(app, ["score", str(path)])
    assert "Baris ditolak (3)" in readable.stdout and "IKK 87,50" in readable.stdout


def test_villages_are_reported_separately_and_names_come_from_an_areas_file(
    tmp_path: Path,
) -> None:
    header, rows = example_rows()
    moved = list(rows[0])
    moved[header.index("desa")] = "Kampung Baru"
    areas = tmp_path / "wilayah.csv"
    areas.write_text("kode,nama\n63.02.12.2099,Kampung Baru\n", encoding="utf-8")
    path = write_csv(tmp_path / "dua-desa.csv", header, [*rows, moved])
    result = runner.invoke(app, ["score", str(path), "--json", "--areas", str(areas)])
    assert result.exit_code == 0, result.output
    areas_out = {a["code"]: a for a in json.loads(result.stdout)["areas"]}
    assert areas_out["63.02.12.2099"]["name"] == "Kampung Baru"
    assert areas_out["63.02.12.2099"]["families"] == 1
    assert areas_out["63.02.12.2005"]["families"] == 3


def test_an_unreadable_file_exits_2_with_one_clear_line(tmp_path: Path) -> None:
    broken = tmp_path / "rusak.xlsx"
    broken.write_bytes(b"ini bukan workbook")
    result = runner.invoke(app, ["score", str(broken)])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Galat: Berkas tidak dapat dibaca: rusak.xlsx")
    assert "Traceback" not in result.output


def test_a_missing_file_or_a_file_without_desa_exits_2(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["score", str(tmp_path / "tidak-ada.csv")])
    assert missing.exit_code == 2 and "tidak ditemukan" in missing.stderr
    no_village = tmp_path / "tanpa-desa.csv"
    no_village.write_text("H_KEPALA;H_RT\nSiti;1\n", encoding="utf-8")
    result = runner.invoke(app, ["score", str(no_village)])
    assert result.exit_code == 2 and "Kolom 'desa' tidak ada" in result.stderr


def test_a_broken_instrument_file_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "instrumen.yaml"
    bad.write_text("settings: [tidak, valid\n", encoding="utf-8")
    result = runner.invoke(app, ["score", str(EXAMPLE), "--instrument", str(bad)])
    assert result.exit_code == 2
    assert result.stderr.startswith("Galat: Instrumen instrumen.yaml tidak dapat dipakai")


def test_another_instrument_file_changes_the_method(tmp_path: Path) -> None:
    exported = tmp_path / "datar.yaml"
    assert runner.invoke(app, ["instrument", "export", "-f", "yaml", str(exported)]).exit_code == 0
    text = exported.read_text(encoding="utf-8")
    exported.write_text(text.replace("aggregation: dimension_mean", "aggregation: flat_mean"))
    result = runner.invoke(app, ["score", str(EXAMPLE), "--instrument", str(exported), "--json"])
    assert result.exit_code == 0, result.output
    # Flat mean of the 27 indicators with a value: 2333,33 / 27.
    assert json.loads(result.stdout)["areas"][0]["ikk"] == pytest.approx(7000 / 3 / 27)


def test_a_file_where_every_row_is_rejected_exits_1(tmp_path: Path) -> None:
    header, rows = example_rows()
    for row in rows:
        row[header.index("desa")] = "Desa Entah"
    result = runner.invoke(app, ["score", str(write_csv(tmp_path / "a.csv", header, rows))])
    assert result.exit_code == 1
    assert "Tidak ada keluarga yang dapat dinilai" in result.stdout
    assert "Baris ditolak (3)" in result.stdout


def test_large_files_get_a_progress_bar_small_ones_do_not() -> None:
    with _progress(10) as small:
        assert small is None
    with _progress(PROGRESS_MIN_ROWS) as large:
        assert isinstance(large, Progress)


class RecordingProgress(Progress):
    """A progress bar that draws nothing and remembers every update it was given."""

    def __init__(self) -> None:
        super().__init__(disable=True)
        self.updates: list[tuple[str | None, float | None, float | None]] = []

    def update(self, task_id: TaskID, **changes: Any) -> None:
        self.updates.append(
            (changes.get("description"), changes.get("completed"), changes.get("total"))
        )
        super().update(task_id, **changes)


def test_the_progress_bar_follows_reading_every_column_and_scoring() -> None:
    progress = RecordingProgress()
    with progress:
        _, results = score_file(EXAMPLE, load_default_instrument(), {}, progress)
    checking = [(done, total) for what, done, total in progress.updates
                if what == "Memeriksa jawaban"]
    # One step for the village column and one per answerable question (39), in order.
    assert [done for done, _ in checking] == list(range(1, 41))
    assert {total for _, total in checking} == {40}
    assert progress.updates[-1][0] == "Menghitung IKK"
    assert results[0].families == 3


def test_an_xlsx_file_is_scored_like_its_csv(tmp_path: Path) -> None:
    header, rows = example_rows()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append([int(c) if c.isdigit() else (c or None) for c in row])
    path = tmp_path / "jawaban.xlsx"
    book.save(path)
    result = runner.invoke(app, ["score", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["areas"][0]["ikk"] == pytest.approx(87.5)
