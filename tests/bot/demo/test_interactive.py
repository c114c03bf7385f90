"""`ikk-bot demo --interactive` driven by a scripted stdin: typed text, numbered buttons,
saved files, and clean endings (/keluar, end of input)."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from openpyxl import load_workbook
from PIL import Image
from rich.console import Console
from sqlalchemy import select

from bot.db.engine import create_engine, create_session_factory
from bot.db.models import Answer, AppUser, Response, Role
from bot.demo.interactive import PLAYER_ID, ChatSession, run_interactive
from bot.demo.story import KOTABARU, demo_world
from tests.bot.demo.test_printer import bot_api, keyboard

RED_BAND = (0xB0, 0x00, 0x20)


def _console(buffer: io.StringIO) -> Console:
    return Console(file=buffer, width=120, highlight=False)


def _run(script: str, tmp_path: Path, *, database_url: str | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = run_interactive(_console(out), io.StringIO(script), tmp_path / "out",
                             database_url=database_url, errors=_console(err))
    return status, out.getvalue(), err.getvalue()


async def _player_answers(url: str) -> dict[str, str | None]:
    engine = create_engine(url)
    try:
        async with create_session_factory(engine)() as session:
            rows = await session.execute(
                select(Answer.question, Answer.value)
                .join(Response, Response.id == Answer.response_id)
                .join(AppUser, AppUser.id == Response.cadre_id)
                .where(AppUser.telegram_id == PLAYER_ID)
            )
            return {question: value for question, value in rows.all()}
    finally:
        await engine.dispose()


def test_a_kader_answers_by_text_and_by_button_number_and_leaves_with_keluar(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    # Choose kader, start a family, type the name, the RT and the members (numbers asked for
    # are answers, not button numbers), then tap [1] Ya on the couple question.
    script = "1\n/survei\nBudi Santoso\n3\n4\n1\n/keluar\n"
    status, out, err = _run(script, tmp_path, database_url=url)
    assert status == 0, err
    assert err == ""
    assert "Main sebagai: [1] kader Desa Sampanahan  [2] pejabat Kabupaten Kotabaru" in out
    assert "Bot: Selamat datang, Siti! Anda terdaftar sebagai kader" in out
    assert "Pertanyaan 1 dari" in out
    assert "Anda (kader): Budi Santoso" in out
    assert "[1] Ya  [2] Tidak  [3] ⬅️ Kembali" in out
    assert "Anda (kader): (ketuk) [Ya]" in out
    assert "Apakah ada anak usia 0–17 tahun?" in out  # the question after the tap
    assert out.rstrip().endswith("Sampai jumpa.")
    # What the person entered is stored as the chat stores it.
    assert asyncio.run(_player_answers(url)) == {
        "H_KEPALA": "Budi Santoso", "H_RT": "3", "H_ANGGOTA": "4", "P_PASANGAN": "ya",
    }


def test_a_pejabat_taps_the_desa_by_number_and_the_labelled_chart_and_workbook_are_saved(
    tmp_path: Path,
) -> None:
    # [2] the desa, then [1] "📥 Ekspor Excel" under the report; the input ends without /keluar.
    script = "pejabat\n/ikk Sampanahan\n2\n1\n"
    status, out, err = _run(script, tmp_path)
    assert status == 0, err
    assert "[1] Kec. Sampanahan, Kab. Kotabaru  [2] Desa Sampanahan, Kec. Sampanahan" in out
    assert "Anda (pejabat): (ketuk) [Desa Sampanahan, Kec. Sampanahan]" in out
    assert "IKK Desa Sampanahan" in out
    assert "Anda (pejabat): (ketuk) [📥 Ekspor Excel]" in out
    saved = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert all(name.startswith("sintetis-") for name in saved), saved
    [chart] = (tmp_path / "out").glob("sintetis-ikk-63.02.12.2005-*.png")
    [workbook] = (tmp_path / "out").glob("sintetis-ikk-63.02.12.2005-*.xlsx")
    assert f"(disimpan: {chart})" in out and f"(disimpan: {workbook})" in out
    image = Image.open(chart).convert("RGB")
    assert image.getpixel((2, 2)) == image.getpixel((2, image.height - 2)) == RED_BAND
    book = load_workbook(workbook, read_only=True)
    assert book.sheetnames[0] == "DATA SINTETIS"
    for sheet in book.worksheets:
        assert str(next(sheet.iter_rows(max_row=1, values_only=True))[0]).startswith(
            "DATA SINTETIS"
        ), sheet.title


def test_an_edited_message_is_printed_again_marked_diubah_with_its_new_state(
    tmp_path: Path,
) -> None:
    # Name, RT (typed: its card loses the ⬅️ Kembali button), members, then [1] Ya.
    script = "1\n/survei\nBudi Santoso\n3\n4\n1\n/keluar\n"
    status, out, err = _run(script, tmp_path)
    assert status == 0, err
    # A card whose keyboard was taken away says so in one line.
    assert "Bot (diubah): (tombol dihapus) Pertanyaan 2 dari" in out
    # A tap moves the live card on in place: it is printed again with the answer just given,
    # the next question and its buttons, and the demo label once, before the buttons.
    edited = out[out.index("Anda (kader): (ketuk) [Ya]"):]
    edited = edited[edited.index("Bot (diubah): ✔️ Ada pasangan: Ya"):]
    edited = edited[: edited.index("Sampai jumpa.")]
    assert "Pertanyaan 5 dari sekitar" in edited and "Apakah ada anak usia 0–17 tahun?" in edited
    assert "[1] Ya  [2] Tidak  [3] ⬅️ Kembali" in edited
    assert edited.count("DATA SINTETIS") == 1
    assert "🧪 DATA SINTETIS: demo ikk-bot, bukan data nyata" in edited.splitlines()[-2]


def test_a_wrong_number_or_choice_is_explained_and_the_session_goes_on(
    tmp_path: Path,
) -> None:
    script = "3\n1\n#5\n/keluar\n"
    status, out, _ = _run(script, tmp_path)
    assert status == 0
    assert "Pilihan '3' tidak dikenal: ketik 1 atau 2." in out
    assert "Tidak ada tombol untuk ditekan." in out  # the greeting has no buttons
    assert out.rstrip().endswith("Sampai jumpa.")


def test_the_end_of_input_at_the_role_question_ends_cleanly(tmp_path: Path) -> None:
    status, out, err = _run("", tmp_path)
    assert status == 0 and err == ""
    assert out.rstrip().endswith("Sampai jumpa.")


async def test_a_number_typed_after_the_keyboard_changed_unseen_taps_nothing(
    tmp_path: Path,
) -> None:
    out = io.StringIO()
    async with demo_world(_console(out), numbered=True, show_edits=True) as world:
        session = ChatSession(world, world.user(PLAYER_ID, "Hendra"), tmp_path)
        code = await world.bot.invite(Role.PEJABAT, KOTABARU)
        await session.user.send(f"/start {code}")
        await session.settle_and_show()
        await session.act("/ikk Sampanahan")
        printed = world.printer.keyboard(session.user.chat_id)
        assert printed is not None and printed.buttons[1][1].startswith("Desa Sampanahan")
        # The bot changes the keyboard while the person reads it (nothing printed yet).
        await bot_api(world.emulator, "editMessageText", chat_id=session.user.chat_id,
                      message_id=printed.message.message_id, text="Pilih lagi",
                      reply_markup=keyboard("Lain", "Desa"))
        taps_before = len(world.emulator.state.queries)
        await session.act("2")
        assert len(world.emulator.state.queries) == taps_before  # nothing was tapped
    shown = out.getvalue()
    assert "Bot (diubah): Pilih lagi" in shown and "[1] Lain  [2] Desa" in shown
    assert "Tombolnya baru saja berubah (lihat di atas): ketik lagi nomor yang Anda maksud." \
        in shown
