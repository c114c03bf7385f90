"""Officials over real HTTP: /ikk with its choices, report and chart, /ekspor, /progres, /undang,
scope, refusals and hostile input, on both databases.

The worked example's families A, B and C are entered and submitted through the services by a
kader registered with a real invite link; the numbers the official reads must equal `ikk_core`
over the stored family scores.
"""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.db.models import AppUser, FamilyScore, Role, UserArea
from bot.emulator import ChatMessage, EmulatedUser
from bot.reporting.workbook import SHEET_INDICATORS, SHEET_SUMMARY
from bot.services.context import ServiceContext
from bot.telegram import official_texts, texts
from ikk_core.aggregation import aggregate
from ikk_core.formatting import format_integer, format_value
from ikk_core.results import AreaResult
from tests.bot.services.conftest import FAMILY_A, FAMILY_B, FAMILY_C, enter_family
from tests.e2e.conftest import SEPAPAH, BotHarness

SAMPANAHAN = "63.02.12.2005"
KOTABARU = "63.02"
TANAH_LAUT = "63.01"
HEAD_NAMES = ("Ahmad Fauzi", "Budi Santoso", "Citra Lestari")
OFFICIAL_MENU = ["ikk", "merah", "ekspor", "progres", "undang", "bantuan"]
DESA_BUTTON = "Desa Sampanahan, Kec. Sampanahan"
#: Chat behaviour that does not depend on the database (the services under it run on both
#: databases in tests/bot/officials) runs on SQLite only, to keep this file quick.
SQLITE_ONLY = pytest.mark.parametrize("db_backend", ["sqlite"])
SETTLE = 30.0  # the first chart of a process draws the instrument frame (about a second)


@pytest.fixture
async def harness(harness: BotHarness) -> BotHarness:
    """The bot configured for a sample of a few families (MIN_CELL=1, MIN_FAMILIES=1), so the
    worked example's three families show every figure; suppression at the production defaults
    is tested in test_e2e_disclosure.py."""
    return await harness.as_small_sample()


async def kader_id(harness: BotHarness, telegram_id: int) -> int:
    async with harness.database.session_factory() as session:
        found = await session.scalar(select(AppUser.id).where(AppUser.telegram_id == telegram_id))
    assert found is not None
    return found


async def worked_example(harness: BotHarness) -> EmulatedUser:
    """A kader of Desa Sampanahan (registered by invite) whose families A, B, C are submitted."""
    kader = await harness.kader(1001, villages=(SAMPANAHAN,), name="Siti")
    ctx = ServiceContext.create(harness.database.session_factory)
    uid = await kader_id(harness, 1001)
    for family in (FAMILY_A, FAMILY_B, FAMILY_C):
        await enter_family(ctx, uid, family, village=SAMPANAHAN)
    return kader


async def expected_result(harness: BotHarness) -> AreaResult:
    """`ikk_core.aggregation.aggregate` over the family scores stored in the database."""
    async with harness.database.session_factory() as session:
        rows = (await session.execute(
            select(FamilyScore.response_id, FamilyScore.indicator, FamilyScore.score)
        )).all()
    frame = pd.DataFrame(rows, columns=["response_id", "indicator", "score"]).pivot(
        index="response_id", columns="indicator", values="score"
    ).astype("Int8")
    ctx = ServiceContext.create(harness.database.session_factory)
    return aggregate(ctx.instrument, frame, SAMPANAHAN, "Sampanahan", "desa")


async def act(harness: BotHarness, user: EmulatedUser, text: str | None = None, *,
              tap: str | None = None, data: tuple[int, str] | None = None) -> list[ChatMessage]:
    """Send a message or tap a button, wait until the bot is done, return its new messages."""
    before = len(user.messages())
    if text is not None:
        await user.send(text)
    elif tap is not None:
        await user.tap(tap)
    elif data is not None:
        await user.tap_data(*data)
    await harness.settle(timeout=SETTLE)
    return user.messages()[before:]


def everything_seen(user: EmulatedUser) -> str:
    return "\n".join(m.visible_text for m in user.messages())


def workbook_text(data: bytes) -> str:
    book = load_workbook(io.BytesIO(data), read_only=True)
    return "\n".join(str(v) for ws in book for row in ws.iter_rows(values_only=True)
                     for v in row if v is not None)


async def test_a_kotabaru_official_chooses_desa_sampanahan_and_gets_the_report_and_chart(
    harness: BotHarness,
) -> None:
    await worked_example(harness)
    pejabat = await harness.register(2001, Role.PEJABAT, KOTABARU, first_name="Pak Kadis")

    [choice] = await act(harness, pejabat, "/ikk Sampanahan")
    buttons = [row[0] for row in choice.buttons]
    assert buttons[:2] == ["Kec. Sampanahan, Kab. Kotabaru", DESA_BUTTON]
    assert "Desa Sampanahan Hilir, Kec. Sampanahan" in buttons

    shown = await act(harness, pejabat, tap=DESA_BUTTON)
    report, photo = shown
    assert choice.buttons == [] and f"✔️ {DESA_BUTTON}" in choice.visible_text
    assert pejabat.chat_actions()[-1] == "upload_photo"

    # The numbers equal ikk_core over the stored families: IKK 87,50 (the spec's example).
    expected = await expected_result(harness)
    text = report.visible_text
    assert format_value(expected.ikk) == "87,50"
    assert "IKK Desa Sampanahan" in text and "kode 63.02.12.2005" in text
    assert "Periode 2025 · 3 keluarga terkirim" in text
    assert f"IKK {format_value(expected.ikk)} · Kategori 3" in text
    for dim in expected.dimensions:
        assert f"{dim.code} · {dim.name.get('id')}: {format_value(dim.value)}" in text
    for ind in expected.red:
        assert (f"{format_value(ind.value)} ({format_integer(ind.numerator)}/"
                f"{format_integer(ind.denominator)})") in text
        assert ind.code in text
    assert text.splitlines()[1] == "Data dari 3 keluarga"  # coverage, first after the name
    assert "metode sementara" in text.splitlines()[-1]
    assert report.buttons == [["📥 Ekspor Excel", "📋 Kemajuan pendataan"]]

    assert photo.photo is not None and photo.photo.data.startswith(b"\x89PNG")
    width, height = photo.photo.image_size() or (0, 0)
    assert 0 < width <= 1280 and 0 < height <= 1280
    assert "IKK 87,50" in (photo.caption or "")
    assert not any(name in everything_seen(pejabat) for name in HEAD_NAMES)


async def test_the_workbook_opens_and_its_numbers_equal_the_report_without_family_names(
    harness: BotHarness,
) -> None:
    await worked_example(harness)
    pejabat = await harness.register(2001, Role.PEJABAT, KOTABARU, first_name="Pak Kadis")
    [report, _photo] = await act(harness, pejabat, "/ikk desa sampanahan")
    [document] = await act(harness, pejabat, tap="📥 Ekspor Excel")
    assert pejabat.chat_actions()[-1] == "upload_document"
    assert document.document is not None
    assert document.document.filename == "ikk-63.02.12.2005-2025.xlsx"
    data = document.document.data
    assert not any(name in workbook_text(data) for name in HEAD_NAMES)
    assert "data per keluarga tidak disertakan" in (document.caption or "")
    assert "Skor keluarga" not in load_workbook(io.BytesIO(data), read_only=True).sheetnames
    sensitive = {"KSP1", "KSP2", "KSP3", "KSB5"}
    for ws in load_workbook(io.BytesIO(data), read_only=True):
        for row in ws.iter_rows(values_only=True):
            assert "Nomor keluarga" not in row
            if "Kode desa" in row or "Kode" in row:  # a header row: no sensitive column
                assert not sensitive & set(row), (ws.title, row)

    book = load_workbook(io.BytesIO(data), read_only=True)
    summary = {row[0]: row[1] for row in book[SHEET_SUMMARY].iter_rows(values_only=True)
               if len(row) > 1 and row[0]}
    assert format_value(summary["IKK"]) in report.visible_text
    assert summary["Jumlah keluarga"] == 3
    rows = [r for r in book[SHEET_INDICATORS].iter_rows(values_only=True)
            if r and r[0] == SAMPANAHAN]
    assert len(rows) == 29
    for row in rows:
        code, value, numerator, denominator, red = row[4], row[6], row[7], row[8], row[9]
        if red == "ya":
            assert (f"<b>{code}</b>" in (report.text or "") or code in report.visible_text)
            assert f"{format_value(value)} ({numerator}/{denominator})" in report.visible_text
        if value == "–":
            assert f"– {code} " in report.visible_text


@SQLITE_ONLY
async def test_an_admins_workbook_names_the_heads_of_family(harness: BotHarness) -> None:
    await worked_example(harness)
    admin = await harness.register(3001, Role.ADMIN, "63", first_name="Operator")
    [choice] = await act(harness, admin, "/ekspor Sampanahan")
    assert [DESA_BUTTON] in choice.buttons
    [document] = await act(harness, admin, tap=DESA_BUTTON)
    assert document.document is not None
    assert all(name in workbook_text(document.document.data) for name in HEAD_NAMES)
    book = load_workbook(io.BytesIO(document.document.data), read_only=True)
    header = next(r for r in book["Skor keluarga"].iter_rows(values_only=True)
                  if r and r[0] == "Nomor keluarga")
    assert "KSP4" in header and not {"KSP1", "KSP2", "KSP3", "KSB5"} & set(header)
    assert "Indikator sensitif" in (document.caption or "")


async def test_an_official_of_another_kabupaten_finds_no_sampanahan_and_cannot_export_it(
    harness: BotHarness,
) -> None:
    await worked_example(harness)
    outsider = await harness.register(2002, Role.PEJABAT, TANAH_LAUT, first_name="Bu Kadis")
    [ikk] = await act(harness, outsider, "/ikk Sampanahan")
    [unknown] = await act(harness, outsider, "/ikk Qwertyuiop")
    assert "tidak ditemukan" in ikk.visible_text and ikk.buttons == []
    assert ikk.visible_text == unknown.visible_text.replace("Qwertyuiop", "Sampanahan")
    [export] = await act(harness, outsider, "/ekspor Sampanahan")
    assert "tidak ditemukan" in export.visible_text
    # A forged button with the village's code is checked against the scope like a name.
    for forged in ("o1rc:63.02.12.2005", "o1em:63.02.12.2005:2025", "o1pm:63.02"):
        [refused] = await act(harness, outsider, data=(export.message_id, forged))
        assert "tidak ditemukan" in refused.visible_text
    assert not any(m.document or m.photo for m in outsider.messages())
    assert not any(name in everything_seen(outsider) for name in HEAD_NAMES)


async def test_a_kader_sees_her_village_but_cannot_export(harness: BotHarness) -> None:
    kader = await worked_example(harness)
    [refusal] = await act(harness, kader, "/ekspor")
    assert refusal.visible_text == official_texts.EXPORT_FORBIDDEN
    [refusal] = await act(harness, kader, "/ekspor Sampanahan")
    assert refusal.visible_text == official_texts.EXPORT_FORBIDDEN
    report, photo = await act(harness, kader, "/ikk")
    assert "IKK Desa Sampanahan" in report.visible_text and photo.photo is not None
    assert report.buttons == [["📋 Kemajuan pendataan"]]
    [forged] = await act(harness, kader, data=(report.message_id, "o1em:63.02.12.2005"))
    assert forged.visible_text == official_texts.EXPORT_FORBIDDEN
    [invite] = await act(harness, kader, "/undang Sampanahan")
    assert invite.visible_text == official_texts.INVITE_FORBIDDEN
    assert not any(m.document for m in kader.messages())


@SQLITE_ONLY
async def test_hostile_and_unknown_names_get_a_plain_answer_and_change_nothing(
    harness: BotHarness,
) -> None:
    pejabat = await harness.register(2001, Role.PEJABAT, KOTABARU, first_name="Pak Kadis")
    answers = {}
    for typed in ("🏠🏡🏘️", "'; DROP TABLE area; --", "Sampanahan' OR '1'='1' --", "Xyzzyqwv",
                  "<b>Sepapah</b>", "x" * 3000):
        [reply] = await act(harness, pejabat, f"/ikk {typed}")
        answers[typed[:20]] = reply.visible_text
    assert "terlalu panjang" in answers["x" * 20]
    assert "tidak ditemukan" in answers["🏠🏡🏘️"]
    assert "tidak ditemukan" in answers["Xyzzyqwv"]
    assert all("tidak ditemukan" in a or "terlalu panjang" in a or "Pilih" in a
               for a in answers.values())
    # The tables are intact: the kecamatan's villages are still found, by a clean name.
    [reply] = await act(harness, pejabat, "/ikk Sepapah")
    assert "IKK Desa Sepapah" in reply.visible_text
    for command in ("/ekspor", "/progres", "/undang"):
        [reply] = await act(harness, pejabat, f"{command} 🙈🙉")
        assert "tidak ditemukan" in reply.visible_text


@SQLITE_ONLY
async def test_garbage_button_data_is_answered_and_nothing_else_happens(
    harness: BotHarness,
) -> None:
    pejabat = await harness.register(2001, Role.PEJABAT, KOTABARU, first_name="Pak Kadis")
    [reply] = await act(harness, pejabat, "/ikk Sepapah")
    for garbage in ("o1zz:63", "o9", "o1rc:63.02.12.2005:20x5", "o1rc:" + "9" * 40):
        shown = await act(harness, pejabat, data=(reply.message_id, garbage))
        assert shown == []
        answer = pejabat.last_callback_answer()
        assert answer is not None and answer.text == texts.BUTTON_EXPIRED
    [unknown] = await act(harness, pejabat, data=(reply.message_id, "o1rc:63.99.99.2999"))
    assert "tidak ditemukan" in unknown.visible_text


@SQLITE_ONLY
async def test_an_area_without_families_says_none_has_been_submitted(
    harness: BotHarness,
) -> None:
    pejabat = await harness.register(2001, Role.PEJABAT, KOTABARU, first_name="Pak Kadis")
    [report] = await act(harness, pejabat, "/ikk Sepapah")
    assert "Belum ada keluarga yang dikirim" in report.visible_text
    assert report.buttons == [["📋 Kemajuan pendataan"]]
    [export] = await act(harness, pejabat, "/ekspor Sepapah")
    assert "belum ada data yang dapat diekspor" in export.visible_text
    assert not any(m.photo or m.document for m in pejabat.messages())


@SQLITE_ONLY
async def test_ikk_without_a_name_shows_the_officials_area_with_its_areas_below(
    harness: BotHarness,
) -> None:
    await worked_example(harness)
    pejabat = await harness.register(2001, Role.PEJABAT, KOTABARU, first_name="Pak Kadis")
    report, photo = await act(harness, pejabat, "/ikk")
    text = report.visible_text
    assert "IKK Kabupaten Kotabaru" in text and "Kecamatan (1)" in text
    assert re.search(r"1\. Kec\. Sampanahan: 87,50 · 3 kel\.", text)
    assert "1. Desa Sampanahan: 87,50 · 🔴 8 merah · 3 keluarga" in text  # the ranking
    assert photo.photo is not None


async def test_progress_shows_families_per_village_and_per_kader(harness: BotHarness) -> None:
    await worked_example(harness)
    pejabat = await harness.register(2001, Role.PEJABAT, KOTABARU, first_name="Pak Kadis")
    [choice] = await act(harness, pejabat, "/progres Sampanahan")
    assert ["Kec. Sampanahan, Kab. Kotabaru"] in choice.buttons
    [progress] = await act(harness, pejabat, tap="Kec. Sampanahan, Kab. Kotabaru")
    text = progress.visible_text
    assert "Kemajuan pendataan Kecamatan Sampanahan" in text
    assert "Desa Sampanahan: 3 terkirim" in text and "Desa Sepapah: belum ada" in text
    assert re.search(r"Siti \(Desa Sampanahan\): 3 terkirim · \d+ \w+ \d\d\.\d\d WITA", text)
    assert not any(name in text for name in HEAD_NAMES)


@SQLITE_ONLY
async def test_an_official_invites_a_kader_who_registers_with_the_link(
    harness: BotHarness,
) -> None:
    camat = await harness.register(2003, Role.PEJABAT, "63.02.12", first_name="Pak Camat")
    [choice] = await act(harness, camat, "/undang")
    assert "Desa Sepapah, Kec. Sampanahan" in [row[0] for row in choice.buttons]
    [invite] = await act(harness, camat, tap="Desa Sepapah, Kec. Sampanahan")
    link = re.search(r"https://t\.me/ikk_test_bot\?start=(inv_[\w-]+)", invite.visible_text)
    assert link is not None, invite.visible_text
    newcomer = harness.emulator.user(1500, "Rina")
    [greeting] = await act(harness, newcomer, f"/start {link.group(1)}")
    assert "kader untuk Desa Sepapah" in greeting.visible_text
    async with harness.database.session_factory() as session:
        villages = (await session.scalars(
            select(UserArea.area_code).join(AppUser, AppUser.id == UserArea.user_id)
            .where(AppUser.telegram_id == 1500)
        )).all()
    assert villages == [SEPAPAH]


@SQLITE_ONLY
async def test_strangers_get_the_access_message_for_every_official_command(
    harness: BotHarness,
) -> None:
    stranger = harness.emulator.user(9999, "Tamu")
    for command in ("/ikk Sampanahan", "/ekspor", "/progres", "/undang Sepapah"):
        [reply] = await act(harness, stranger, command)
        assert reply.visible_text == texts.ACCESS
    [reply] = await act(harness, stranger, data=(1, "o1rc:63.02.12.2005"))
    assert reply.visible_text == texts.ACCESS


@SQLITE_ONLY
@pytest.mark.parametrize("role", [Role.PEJABAT, Role.ADMIN])
async def test_officials_get_the_official_command_menu_in_indonesian(
    harness: BotHarness, role: Role
) -> None:
    area = KOTABARU if role is Role.PEJABAT else "63"
    official = await harness.register(2001, role, area, first_name="Pak")
    scope = {"type": "chat", "chat_id": official.chat_id}
    menu = [name for name, _ in harness.emulator.commands(scope, "id")]
    assert menu[:4] == OFFICIAL_MENU[:4] and "bantuan" in menu
    descriptions = dict(harness.emulator.commands(scope, "id"))
    assert "Excel" in descriptions["ekspor"] and "undangan" in descriptions["undang"]
