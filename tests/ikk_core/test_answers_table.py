"""Reading a spreadsheet of answers: typed columns, and bad rows set aside with line and reason."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest

from ikk_core.answers_table import (
    AnswersFileError,
    AnswersTable,
    VillageDirectory,
    prepare_answers,
    read_answers_file,
)
from ikk_core.instrument import Instrument
from ikk_core.instrument_io import load_default_instrument

EXAMPLE = Path(__file__).parents[2] / "examples" / "contoh-keluarga.csv"
NAMES = {
    "63.02.12": "Sampanahan",
    "63.02.12.2005": "Sampanahan",
    "63.02.12.2006": "Sampanahan Hilir",
    "63.02.11.2001": "Sungai Kupang",
    "63.03.01.2001": "Sungai Kupang",
}


@pytest.fixture(scope="module")
def instrument() -> Instrument:
    return load_default_instrument()


def example_rows() -> tuple[list[str], list[list[str]]]:
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    rows = list(csv.reader(lines))
    return rows[0], rows[1:]


def write_csv(path: Path, header: list[str], rows: list[list[str]], sep: str = ",") -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=sep).writerows([header, *rows])
    return path


def with_cell(header: list[str], row: list[str], column: str, value: str) -> list[str]:
    changed = list(row)
    changed[header.index(column)] = value
    return changed


def prepared(instrument: Instrument, path: Path) -> AnswersTable:
    return prepare_answers(instrument, read_answers_file(path), VillageDirectory(NAMES))


def reasons(table: AnswersTable) -> dict[int, str]:
    return {r.row: r.reason for r in table.rejected}


def test_the_example_file_is_read_typed_and_fully_accepted(instrument: Instrument) -> None:
    table = prepared(instrument, EXAMPLE)
    assert table.rejected == () and table.ignored_columns == ()
    assert len(table.answers) == 3
    assert table.answers["P_PENDAPATAN"].tolist() == [2_000_000, 2_000_000, 1_500_000]
    assert table.answers["P_ANAK"].tolist() == ["tidak", "ya", "ya"]
    assert table.village_codes.tolist() == ["63.02.12.2005"] * 3
    assert table.rows.tolist() == [2, 3, 4]


def test_semicolon_separated_file_reads_the_same(instrument: Instrument, tmp_path: Path) -> None:
    header, rows = example_rows()
    path = write_csv(tmp_path / "titik-koma.csv", header, rows, sep=";")
    table = prepared(instrument, path)
    assert table.rejected == ()
    assert table.answers.equals(prepared(instrument, EXAMPLE).answers)


def test_xlsx_with_numbers_stored_as_numbers_reads_the_same(
    instrument: Instrument, tmp_path: Path
) -> None:
    header, rows = example_rows()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        # Excel keeps amounts and counts as numbers (1.0, 2000000), not text.
        sheet.append([float(c) if c.isdigit() else (c or None) for c in row])
    path = tmp_path / "jawaban.xlsx"
    book.save(path)
    table = prepared(instrument, path)
    assert table.rejected == ()
    assert table.answers["P_PENDAPATAN"].tolist() == [2_000_000, 2_000_000, 1_500_000]
    assert table.answers["H_RT"].tolist() == [1, 1, 2]


def test_village_is_given_by_code_or_by_exact_name(instrument: Instrument, tmp_path: Path) -> None:
    header, rows = example_rows()
    rows = [
        with_cell(header, rows[0], "desa", "sampanahan hilir"),  # case does not matter
        with_cell(header, rows[1], "desa", "Sampanahan"),  # the desa, not the kecamatan
        with_cell(header, rows[2], "desa", "63.05.01.2001"),  # a code not in the list: as is
    ]
    table = prepared(instrument, write_csv(tmp_path / "a.csv", header, rows))
    assert table.rejected == ()
    assert table.village_codes.tolist() == ["63.02.12.2006", "63.02.12.2005", "63.05.01.2001"]


def test_unknown_ambiguous_or_non_village_areas_are_rejected_with_their_line(
    instrument: Instrument, tmp_path: Path
) -> None:
    header, rows = example_rows()
    rows = [
        with_cell(header, rows[0], "desa", "Desa Entah"),
        with_cell(header, rows[1], "desa", "Sungai Kupang"),
        with_cell(header, rows[2], "desa", "63.02.12"),
        rows[0],
        with_cell(header, rows[0], "desa", ""),
    ]
    table = prepared(instrument, write_csv(tmp_path / "a.csv", header, rows))
    why = reasons(table)
    assert set(why) == {2, 3, 4, 6}
    assert "desa 'Desa Entah' tidak dikenal" in why[2]
    assert "tidak unik" in why[3] and "63.02.11.2001" in why[3] and "63.03.01.2001" in why[3]
    assert "bukan kode desa" in why[4]
    assert "desa kosong" in why[6]
    assert table.rows.tolist() == [5]  # the good row is still there


def test_a_word_where_a_number_is_needed_rejects_the_row(
    instrument: Instrument, tmp_path: Path
) -> None:
    header, rows = example_rows()
    rows[1] = with_cell(header, rows[1], "P_PENDAPATAN", "ya")
    table = prepared(instrument, write_csv(tmp_path / "a.csv", header, rows))
    why = reasons(table)
    assert list(why) == [3]
    assert why[3].startswith("P_PENDAPATAN: Jawaban harus berupa angka")
    assert table.rows.tolist() == [2, 4]


def test_an_unknown_choice_rejects_the_row(instrument: Instrument, tmp_path: Path) -> None:
    header, rows = example_rows()
    rows[0] = with_cell(header, rows[0], "KF1", "mungkin")
    why = reasons(prepared(instrument, write_csv(tmp_path / "a.csv", header, rows)))
    assert list(why) == [2] and why[2].startswith("KF1: Jawaban tidak dikenal")


def test_a_constraint_failure_rejects_the_row_with_its_message(
    instrument: Instrument, tmp_path: Path
) -> None:
    header, rows = example_rows()
    rows[2] = with_cell(header, rows[2], "H_ANGGOTA", "40")
    why = reasons(prepared(instrument, write_csv(tmp_path / "a.csv", header, rows)))
    assert why == {4: "H_ANGGOTA: Jumlah anggota keluarga harus 1 sampai 30 orang"}


def test_a_missing_required_answer_rejects_the_row(instrument: Instrument, tmp_path: Path) -> None:
    header, rows = example_rows()
    rows[0] = with_cell(header, rows[0], "KSB4", "")
    why = reasons(prepared(instrument, write_csv(tmp_path / "a.csv", header, rows)))
    assert why == {2: "KSB4 wajib diisi"}


def test_an_answer_to_a_question_that_does_not_apply_rejects_the_row(
    instrument: Instrument, tmp_path: Path
) -> None:
    header, rows = example_rows()
    # Family A has no children (P_ANAK = Tidak), yet LS2 (birth certificates of children) is filled.
    rows[0] = with_cell(header, rows[0], "LS2", "Ya")
    why = reasons(prepared(instrument, write_csv(tmp_path / "a.csv", header, rows)))
    assert list(why) == [2]
    assert why[2].startswith("LS2 diisi, padahal pertanyaan ini tidak berlaku")
    assert "${P_ANAK} = 'ya'" in why[2]


def test_several_problems_of_one_row_are_all_listed(
    instrument: Instrument, tmp_path: Path
) -> None:
    header, rows = example_rows()
    row = with_cell(header, rows[0], "H_RT", "0")
    rows[0] = with_cell(header, row, "KE1", "")
    why = reasons(prepared(instrument, write_csv(tmp_path / "a.csv", header, rows)))
    assert why[2] == "H_RT: Ketik nomor RT saja, misalnya 3; KE1 wajib diisi"


def test_dash_means_no_answer_and_extra_columns_are_ignored(
    instrument: Instrument, tmp_path: Path
) -> None:
    header, rows = example_rows()
    header = [*header, "catatan"]
    rows = [[("-" if c == "" else c) for c in r] + ["bebas"] for r in rows]
    table = prepared(instrument, write_csv(tmp_path / "a.csv", header, rows))
    assert table.rejected == ()
    assert table.ignored_columns == ("catatan",)


def test_a_file_without_the_village_column_cannot_be_used(tmp_path: Path) -> None:
    path = tmp_path / "tanpa-desa.csv"
    path.write_text("H_KEPALA,H_RT\nSiti,1\n", encoding="utf-8")
    with pytest.raises(AnswersFileError, match="Kolom 'desa' tidak ada"):
        read_answers_file(path)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("kosong.csv", b"", "Berkas kosong"),
        ("rusak.xlsx", b"bukan workbook", "Berkas tidak dapat dibaca"),
        ("jawaban.pdf", b"%PDF", "Jenis berkas tidak dikenal"),
    ],
)
def test_unreadable_files_raise_one_clear_message(
    tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(AnswersFileError) as raised:
        read_answers_file(path)
    assert raised.value.message.startswith(expected)
    assert "\n" not in raised.value.message


def test_a_missing_file_is_reported_by_name(tmp_path: Path) -> None:
    with pytest.raises(AnswersFileError, match="tidak ditemukan"):
        read_answers_file(tmp_path / "tidak-ada.csv")
