"""Onboarding over real HTTP: invite links, strangers, greetings by role, command menus."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from bot.db.models import AppUser, Role, UserArea
from bot.telegram import texts
from bot.telegram.menus import commands_for
from tests.e2e.conftest import KECAMATAN_SAMPANAHAN, SEPAPAH, BotHarness

KADER_MENU = ["survei", "lanjut", "keluarga", "bantuan", "jeda"]


def chat_scope(chat_id: int) -> dict[str, object]:
    return {"type": "chat", "chat_id": chat_id}


async def stored_user(harness: BotHarness, telegram_id: int) -> AppUser | None:
    async with harness.database.session_factory() as session:
        return (
            await session.scalars(select(AppUser).where(AppUser.telegram_id == telegram_id))
        ).one_or_none()


async def test_start_without_invite_tells_a_stranger_how_to_get_access_in_two_sentences(
    harness: BotHarness,
) -> None:
    stranger = harness.emulator.user(5001, "Budi")
    await stranger.send("/start")
    replies = await stranger.wait_reply()

    assert [m.text for m in replies] == [texts.ACCESS]
    assert texts.ACCESS.count(". ") == 1 and texts.ACCESS.endswith(".")
    assert "operator DP3A" in texts.ACCESS
    assert await stored_user(harness, 5001) is None


async def test_a_stranger_gets_the_access_message_for_anything_they_send(
    harness: BotHarness,
) -> None:
    stranger = harness.emulator.user(5002, "Budi")
    await stranger.send("halo, saya mau daftar")
    assert [m.text for m in await stranger.wait_reply()] == [texts.ACCESS]
    await stranger.send("/survei")
    assert [m.text for m in await stranger.wait_reply()] == [texts.ACCESS]
    await stranger.send("/bantuan")
    assert [m.text for m in await stranger.wait_reply()] == [texts.ACCESS]
    await stranger.send_sticker()
    assert [m.text for m in await stranger.wait_reply()] == [texts.ACCESS]


async def test_kader_invite_link_registers_the_kader_in_the_village_and_greets_with_how_to_survey(
    harness: BotHarness,
) -> None:
    code = await harness.invite(Role.KADER, SEPAPAH)
    siti = harness.emulator.user(1001, "Siti", last_name="Rahma")
    await siti.send(f"/start {code}")
    replies = await siti.wait_reply()

    assert len(replies) == 1
    greeting = replies[0].text or ""
    assert "Selamat datang, Siti Rahma!" in greeting
    assert "kader untuk Desa Sepapah" in greeting
    assert "/survei" in greeting and "/lanjut" in greeting and "/jeda" in greeting
    user = await stored_user(harness, 1001)
    assert user is not None and user.role is Role.KADER and user.area_code == SEPAPAH
    async with harness.database.session_factory() as session:
        villages = (await session.scalars(select(UserArea.area_code))).all()
    assert villages == [SEPAPAH]


async def test_registration_sets_the_kader_command_menu_in_indonesian_for_that_chat(
    harness: BotHarness,
) -> None:
    siti = await harness.kader(1001)

    menu = harness.emulator.commands(chat_scope(siti.chat_id), "id")
    assert [name for name, _ in menu] == KADER_MENU
    assert dict(menu)["survei"] == "Mulai mendata keluarga baru"
    assert harness.emulator.commands(chat_scope(siti.chat_id), "") == menu
    assert [name for name, _ in harness.emulator.commands(None, "id")] == ["start"]


async def test_pejabat_greeting_names_the_area_and_only_commands_of_their_menu(
    harness: BotHarness,
) -> None:
    pejabat = await harness.register(2001, Role.PEJABAT, KECAMATAN_SAMPANAHAN, first_name="Ahmad")

    greeting = pejabat.messages()[-1].text or ""
    assert "pejabat untuk Kecamatan Sampanahan" in greeting
    menu = commands_for(Role.PEJABAT)
    for command, _ in menu:
        assert f"/{command}" in greeting
    for kader_only in ("/survei", "/lanjut", "/jeda"):
        assert kader_only not in greeting
    assert harness.emulator.commands(chat_scope(pejabat.chat_id), "id") == menu


async def test_start_from_a_registered_user_greets_again(harness: BotHarness) -> None:
    siti = await harness.kader(1001)
    first = siti.messages()[-1].text

    await siti.send("/start")
    replies = await siti.wait_reply()

    assert [m.text for m in replies] == [first]


async def test_reused_invite_link_says_it_is_used_and_registers_no_one(
    harness: BotHarness,
) -> None:
    code = await harness.invite(Role.KADER, SEPAPAH)
    siti = harness.emulator.user(1001, "Siti")
    await siti.send(f"/start {code}")
    await siti.wait_reply()

    budi = harness.emulator.user(1002, "Budi")
    await budi.send(f"/start {code}")
    replies = await budi.wait_reply()

    assert [m.text for m in replies] == [texts.INVITE_USED_UP]
    assert await stored_user(harness, 1002) is None


async def test_the_same_person_tapping_their_invite_link_again_is_simply_greeted(
    harness: BotHarness,
) -> None:
    code = await harness.invite(Role.KADER, SEPAPAH)
    siti = harness.emulator.user(1001, "Siti")
    await siti.send(f"/start {code}")
    first = (await siti.wait_reply())[0].text

    await siti.send(f"/start {code}")
    assert [m.text for m in await siti.wait_reply()] == [first]


async def test_expired_invite_link_says_it_expired(harness: BotHarness) -> None:
    code = await harness.invite(Role.KADER, SEPAPAH, ttl=timedelta(microseconds=1))
    budi = harness.emulator.user(1002, "Budi")
    await budi.send(f"/start {code}")

    assert [m.text for m in await budi.wait_reply()] == [texts.INVITE_EXPIRED]
    assert await stored_user(harness, 1002) is None


async def test_unknown_and_malformed_invite_codes_each_get_their_own_message(
    harness: BotHarness,
) -> None:
    budi = harness.emulator.user(1002, "Budi")
    await budi.send("/start inv_AAAAAAAAAAAAAAAAAAAAAA")
    assert [m.text for m in await budi.wait_reply()] == [texts.INVITE_UNKNOWN]
    await budi.send("/start <script>")
    assert [m.text for m in await budi.wait_reply()] == [texts.INVITE_MALFORMED]
    await budi.send("/start inv_" + "x" * 300)
    assert [m.text for m in await budi.wait_reply()] == [texts.INVITE_MALFORMED]


async def test_a_failed_invite_for_a_registered_kader_still_shows_their_greeting(
    harness: BotHarness,
) -> None:
    siti = await harness.kader(1001)
    await siti.send("/start inv_AAAAAAAAAAAAAAAAAAAAAA")
    text = (await siti.wait_reply())[0].text or ""

    assert text.startswith(texts.INVITE_UNKNOWN)
    assert "kader untuk Desa Sepapah" in text


async def test_html_in_a_display_name_is_shown_literally(harness: BotHarness) -> None:
    code = await harness.invite(Role.KADER, SEPAPAH)
    user = harness.emulator.user(1003, "<b>Ani & Co</b>")
    await user.send(f"/start {code}")
    text = (await user.wait_reply())[0].text or ""

    assert "Selamat datang, <b>Ani & Co</b>!" in text


async def test_bantuan_explains_the_kader_commands(harness: BotHarness) -> None:
    siti = await harness.kader(1001)
    await siti.send("/bantuan")
    text = (await siti.wait_reply())[0].text or ""

    for command in KADER_MENU:
        assert f"/{command}" in text
    assert "Kembali" in text and "Kirim" in text


async def test_the_default_menu_is_set_at_startup(harness: BotHarness) -> None:
    calls = harness.emulator.calls("setMyCommands")
    scopes = {(json.dumps(c.params.get("scope")), c.params.get("language_code")) for c in calls}
    assert len(scopes) >= 2
