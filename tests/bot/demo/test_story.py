"""`ikk-bot demo` end to end in this process: the printed story, its outputs, its failures.

The whole demo runs once for the module (about 10–25 s on a busy 2-CPU machine); each test
reads one part of what it printed and wrote.
"""

from __future__ import annotations

import asyncio
import io
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PIL import Image
from rich.console import Console
from typer.testing import CliRunner

from bot.cli import app
from bot.cli_demo import process_started
from bot.db.database import Database
from bot.db.engine import create_engine, create_session_factory
from bot.db.migrate import upgrade
from bot.db.models import Role
from bot.demo.story import ADMIN_ID, run_demo, run_guarded, stamp_chart
from bot.repositories.areas import load_demo_areas
from bot.repositories.users import add_user


@dataclass(frozen=True)
class Run:
    status: int
    out: str
    err: str
    output_dir: Path


def _console(buffer: io.StringIO) -> Console:
    return Console(file=buffer, width=120, highlight=False)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Run:
    out, err = io.StringIO(), io.StringIO()
    output_dir = tmp_path_factory.mktemp("demo") / "demo-output"
    status = run_demo(_console(out), output_dir, errors=_console(err))
    return Run(status, out.getvalue(), err.getvalue(), output_dir)


def test_the_demo_runs_to_the_end_and_exits_zero(demo: Run) -> None:
    assert demo.status == 0, demo.err
    assert demo.err == ""
    assert "Traceback" not in demo.out
    seconds = re.search(r"Waktu: (\d+),(\d) detik", demo.out)
    assert seconds is not None and int(seconds.group(1)) < 60


def test_the_synthetic_data_is_labelled_as_such(demo: Run) -> None:
    assert re.search(r"\[DATA SINTETIS\] 120 keluarga rekaan Desa Sampanahan "
                     r"\(63\.02\.12\.2005\), periode \d{4}: IKK 7\d,\d\d, \d+ indikator merah",
                     demo.out)


def test_the_admin_invites_and_the_kader_registers_with_the_link(demo: Run) -> None:
    assert "Rina (admin DP3A): /undang Sampanahan" in demo.out
    link = re.search(r"https://t\.me/ikk_demo_bot\?start=(inv_[\w-]+)", demo.out)
    assert link is not None
    assert f"Siti (kader): /start {link.group(1)}" in demo.out
    assert "Bot: Selamat datang, Siti! Anda terdaftar sebagai kader untuk Desa Sampanahan." \
        in demo.out
    assert "— Kader Siti mendaftar dengan tautan undangan dari Rina —" in demo.out


def test_the_kader_fills_a_family_with_buttons_and_numbers_to_the_review_card(
    demo: Run,
) -> None:
    out = demo.out
    assert "Pertanyaan 1 dari" in out
    assert "[Ya] [Tidak]" in out
    assert "Siti (kader): (ketuk) [Ya]" in out
    # Each tap moves the live card on in place; the transcript shows the card as edited.
    assert "Bot (diubah): ✔️ Ada pasangan: Ya" in out
    assert "Siti (kader): 3,5 juta" in out
    assert "Ringkasan jawaban — periksa sebelum dikirim" in out
    assert "11. Pendapatan per bulan: Rp 3.500.000" in out
    assert "[⬅️ Kembali] [✅ Kirim]" in out
    assert "Siti (kader): (ketuk) [✅ Kirim]" in out
    assert re.search(r"Skor keluarga: \d+,\d\d \((Baik|Sedang|Rendah)\)", out)


def test_the_pejabat_picks_the_desa_and_gets_the_report_and_the_chart(demo: Run) -> None:
    out = demo.out
    assert "Pak Hendra (pejabat Kab. Kotabaru): /ikk Sampanahan" in out
    assert "(ketuk) [Desa Sampanahan, Kec. Sampanahan]" in out
    assert re.search(r"Periode \d{4} · 121 keluarga terkirim", out)
    assert re.search(r"IKK 7\d,\d\d · Kategori 3", out)
    assert "🔴 Indikator merah (" in out
    assert re.search(r"Bot: \[foto ikk-63\.02\.12\.2005-\d{4}\.png, \d+ KB\]", out)
    assert re.search(r"Bot: \[dokumen ikk-63\.02\.12\.2005-\d{4}\.xlsx, \d+ KB\]", out)


def test_the_pejabat_asks_where_an_indicator_is_red(demo: Run) -> None:
    asked = demo.out.split("Pak Hendra (pejabat Kab. Kotabaru): /merah KE2", 1)[1]
    assert "Desa dengan KE2 merah (1)" in asked
    assert re.search(r"1\. Desa Sampanahan \(Kec\. Sampanahan\): \d+,\d\d % · \d+ dari 121 "
                     r"keluarga", asked)


def test_the_weekly_alert_reaches_the_pejabat(demo: Run) -> None:
    alert = demo.out.split("seperti `ikk-bot alerts run-now` —", 1)[1]
    assert "2 penerima (Rina dan Pak Hendra), 2 terkirim" in alert
    assert re.search(r"Peringatan Minggu ke-\d+, \d+ \w+ .* \d{4}: 2 penerima", alert)
    assert "-W" not in alert  # never the internal week key
    assert "Bot: 🔔 Peringatan mingguan IKK" in alert
    assert "Kab. Kotabaru" in alert
    assert re.search(r"Desa Sampanahan \(121 keluarga, \d+ indikator merah\)", alert)


def test_the_chart_is_a_png_and_the_export_opens_with_a_synthetic_label(demo: Run) -> None:
    [chart] = demo.output_dir.glob("sintetis-ikk-63.02.12.2005-*.png")
    [workbook] = demo.output_dir.glob("sintetis-ikk-63.02.12.2005-*.xlsx")
    assert chart.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    book = load_workbook(workbook, read_only=True)
    assert book.sheetnames[0] == "DATA SINTETIS"
    # The pejabat's export holds aggregates only (UU PDP): no per-family sheet, no names.
    assert "Ringkasan" in book.sheetnames and "Skor keluarga" not in book.sheetnames
    summary = [v for row in book["Ringkasan"].iter_rows(values_only=True) for v in row]
    assert "Desa Sampanahan" in summary and 121 in summary
    everything = [v for ws in book for row in ws.iter_rows(values_only=True) for v in row]
    assert "Mardiansyah Noor" not in everything
    assert f"Grafik (PNG):     {chart}" in demo.out
    assert f"Ekspor (Excel):   {workbook}" in demo.out


def bot_messages(out: str) -> list[str]:
    """Each message the bot sent or edited, as printed: "Bot: …" or "Bot (diubah): …" and its
    indented lines (a one-line "keyboard removed" note is not a message)."""
    messages: list[list[str]] = []
    inside = False
    for line in out.splitlines():
        if line.startswith(("Bot: ", "Bot (diubah): ")) and not line.startswith(
            ("Bot: (notifikasi)", "Bot: (peringatan)", "Bot (diubah): (tombol dihapus)")
        ):
            messages.append([line])
            inside = True
        elif inside and line.startswith(" "):
            messages[-1].append(line)
        else:
            inside = False
    return ["\n".join(m) for m in messages]


def test_every_message_the_demo_bot_sends_says_data_sintetis(demo: Run) -> None:
    messages = bot_messages(demo.out)
    assert len(messages) > 40  # the whole story: greetings, questions, report, alert
    unlabelled = [m for m in messages if "🧪 DATA SINTETIS: demo ikk-bot" not in m]
    assert unlabelled == []
    assert all(m.count("DATA SINTETIS") == 1 for m in messages)


def test_the_exported_workbook_says_data_sintetis_on_every_sheet(demo: Run) -> None:
    [workbook] = demo.output_dir.glob("sintetis-ikk-63.02.12.2005-*.xlsx")
    book = load_workbook(workbook)
    for sheet in book.worksheets:
        assert str(sheet["A1"].value).startswith("DATA SINTETIS"), sheet.title
        assert "DATA SINTETIS" in (sheet.oddHeader.center.text or ""), sheet.title


def test_the_transcript_file_holds_what_was_printed(demo: Run) -> None:
    transcript = (demo.output_dir / "transkrip-demo.txt").read_text(encoding="utf-8")
    assert "Siti (kader): (ketuk) [✅ Kirim]" in transcript
    assert "Waktu:" in transcript


def test_piped_output_has_no_colour_codes(demo: Run) -> None:
    assert "\x1b[" not in demo.out


# ------------------------------------------------------------------------------- failure


def test_a_database_that_already_holds_the_demo_fails_with_one_line(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'used.db'}"

    async def used() -> None:
        engine = create_engine(url)
        await upgrade(engine)
        database = Database(engine, create_session_factory(engine))
        async with database.session_factory() as session, session.begin():
            await load_demo_areas(session)
            await add_user(session, telegram_id=ADMIN_ID, role=Role.ADMIN, area_code="63")
        await engine.dispose()

    asyncio.run(used())
    out, err = io.StringIO(), io.StringIO()
    status = run_demo(_console(out), tmp_path / "out", database_url=url, errors=_console(err))
    assert status == 1
    assert err.getvalue().count("\n") == 1
    assert err.getvalue().startswith("Demo gagal: database ini sudah berisi pengguna demo")
    assert not (tmp_path / "out").exists()


def test_an_unexpected_error_is_one_line_without_a_traceback() -> None:
    async def broken() -> None:
        raise ValueError("pertama\nkedua")

    err = io.StringIO()
    assert run_guarded(broken, _console(err)) == 1
    assert err.getvalue() == "Demo gagal: ValueError: pertama\n"


def test_the_command_is_listed_with_its_options() -> None:
    result = CliRunner().invoke(app, ["demo", "--help"])
    assert result.exit_code == 0
    for option in ("--interactive", "--output", "--database-url"):
        assert option in result.output


def test_the_process_start_is_read_from_proc_when_there_is_one() -> None:
    started = process_started()
    if not Path("/proc/self/stat").exists():
        assert started is None
        return
    assert started is not None and 0 <= time.time() - started < 3600


def test_the_written_chart_carries_a_synthetic_band_above_and_below_the_bots_chart() -> None:
    original = Image.new("RGB", (400, 300), "white")
    raw = io.BytesIO()
    original.save(raw, format="PNG")
    stamped = Image.open(io.BytesIO(stamp_chart(raw.getvalue()))).convert("RGB")
    assert stamped.size == (400, 372)
    assert stamped.getpixel((2, 2)) == (0xB0, 0x00, 0x20)  # the band where a subtitle goes
    assert stamped.getpixel((2, 38)) == stamped.getpixel((2, 334)) == (255, 255, 255)  # chart
    assert stamped.getpixel((2, 370)) == (0xB0, 0x00, 0x20)  # the band below
