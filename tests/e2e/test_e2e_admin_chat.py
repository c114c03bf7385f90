"""The admin's /undangan and /pengguna over real HTTP: she revokes an invite, or switches a
person off and on, with a button; everyone else, and every forged or stale button, gets a plain
answer and changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.db.models import AppUser, Invite, Role
from bot.repositories.invites import hash_invite_code
from bot.telegram import invite_texts, people_texts, texts
from tests.e2e.conftest import KECAMATAN_SAMPANAHAN, SEPAPAH, BotHarness

#: The chat adapter; the repository under it runs on both databases (tests/bot/test_cli_*).
pytestmark = pytest.mark.parametrize("db_backend", ["sqlite"])


async def revoked(harness: BotHarness, code: str) -> bool:
    async with harness.database.session_factory() as session:
        moment = await session.scalar(
            select(Invite.revoked_at).where(Invite.code_hash == hash_invite_code(code)))
    return moment is not None


async def invite_id(harness: BotHarness, code: str) -> int:
    async with harness.database.session_factory() as session:
        found = await session.scalar(
            select(Invite.id).where(Invite.code_hash == hash_invite_code(code)))
    assert found is not None
    return found


async def test_the_admin_revokes_an_invite_from_the_list_and_the_link_stops_working(
    harness: BotHarness,
) -> None:
    admin = await harness.register(3001, Role.ADMIN, "63", first_name="Operator")
    kader_code = await harness.invite(Role.KADER, SEPAPAH)
    pejabat_code = await harness.invite(Role.PEJABAT, KECAMATAN_SAMPANAHAN, uses=3)
    number = await invite_id(harness, kader_code)

    await admin.send("/undangan")
    [listing] = await admin.wait_reply()
    text = listing.visible_text
    assert "Undangan aktif" in text and "Desa Sepapah" in text and "dipakai 0/3" in text
    assert kader_code not in text and pejabat_code not in text
    assert [invite_texts.revoke_button(number)] in listing.buttons and len(listing.buttons) == 2

    await admin.tap(invite_texts.revoke_button(number), message=listing)
    await admin.wait_reply(min_messages=1)  # the toast first, then the list drawn again
    answer = admin.last_callback_answer()
    assert answer is not None and answer.text == invite_texts.revoked(number)
    redrawn = admin.messages()[-1]
    assert redrawn.message_id == listing.message_id and len(redrawn.buttons) == 1
    assert "Desa Sepapah" not in redrawn.visible_text
    assert await revoked(harness, kader_code) and not await revoked(harness, pejabat_code)

    # The old button again: nothing new, and the stranger with the link is told it is revoked.
    await admin.tap_data(listing.message_id, f"ia1r:{number}")
    await harness.settle()
    again = admin.last_callback_answer()
    assert again is not None and again.text == invite_texts.already_revoked(number)
    stranger = harness.emulator.user(5001, "Budi")
    await stranger.send(f"/start {kader_code}")
    assert [m.text for m in await stranger.wait_reply()] == [invite_texts.INVITE_REVOKED]


async def test_undangan_is_for_the_admin_only_and_forged_buttons_change_nothing(
    harness: BotHarness,
) -> None:
    code = await harness.invite(Role.KADER, SEPAPAH)
    number = await invite_id(harness, code)
    pejabat = await harness.register(2001, Role.PEJABAT, KECAMATAN_SAMPANAHAN)
    await pejabat.send("/undangan")
    [refusal] = await pejabat.wait_reply()
    assert refusal.text == invite_texts.UNDANGAN_ADMIN_ONLY and "/bantuan" in refusal.visible_text
    await pejabat.tap_data(refusal.message_id, f"ia1r:{number}")
    await harness.settle()
    answer = pejabat.last_callback_answer()
    assert answer is not None and answer.text == invite_texts.UNDANGAN_ADMIN_ONLY
    assert not await revoked(harness, code)

    stranger = harness.emulator.user(5002, "Budi")
    await stranger.send("/undangan")
    assert [m.text for m in await stranger.wait_reply()] == [texts.ACCESS]


async def test_garbage_and_unknown_revoke_buttons_get_an_answer(harness: BotHarness) -> None:
    admin = await harness.register(3001, Role.ADMIN, "63", first_name="Operator")
    await admin.send("/undangan")
    [empty] = await admin.wait_reply()
    assert empty.text == invite_texts.NO_ACTIVE_INVITES and "/undang" in empty.visible_text
    for data, expected in (("ia1r:abc", texts.BUTTON_EXPIRED), ("ia1r:0", texts.BUTTON_EXPIRED),
                           ("ia9", texts.BUTTON_EXPIRED),
                           ("ia1r:999999", invite_texts.INVITE_NOT_FOUND)):
        await admin.tap_data(empty.message_id, data)
        await harness.settle()
        answer = admin.last_callback_answer()
        assert answer is not None and answer.text == expected, data


async def test_the_admin_menu_offers_undangan(harness: BotHarness) -> None:
    admin = await harness.register(3001, Role.ADMIN, "63", first_name="Operator")
    await admin.send("/bantuan")
    [help_text] = await admin.wait_reply()
    assert "/undangan" in help_text.visible_text and "/pengguna" in help_text.visible_text


async def active(harness: BotHarness, telegram_id: int) -> tuple[int, bool]:
    async with harness.database.session_factory() as session:
        row = (await session.execute(
            select(AppUser.id, AppUser.active).where(AppUser.telegram_id == telegram_id))).one()
    return int(row[0]), bool(row[1])


async def test_the_admin_switches_a_kader_off_and_on_and_off_means_no_access(
    harness: BotHarness,
) -> None:
    admin = await harness.register(3001, Role.ADMIN, "63", first_name="Operator")
    siti = await harness.kader(1001, name="Siti")
    await harness.register(2001, Role.PEJABAT, KECAMATAN_SAMPANAHAN, first_name="Ahmad")

    await admin.send("/pengguna")
    [listing] = await admin.wait_reply()
    text = listing.visible_text
    assert "Siti · kader · Desa Sepapah · aktif" in text and "Ahmad · pejabat" in text
    assert "Operator" not in text  # never herself
    await admin.tap(people_texts.deactivate_button("Siti"), message=listing)
    await admin.wait_reply(min_messages=1)
    answer = admin.last_callback_answer()
    assert answer is not None and answer.text == people_texts.deactivated("Siti")
    redrawn = admin.messages()[-1]
    assert redrawn.message_id == listing.message_id
    assert "Siti · kader · Desa Sepapah · nonaktif" in redrawn.visible_text
    assert [people_texts.activate_button("Siti")] in redrawn.buttons
    siti_id, is_active = await active(harness, 1001)
    assert not is_active

    await siti.send("/survei")  # a switched-off kader sees nothing any more
    assert [m.text for m in await siti.wait_reply()] == [texts.ACCESS]

    # The stale "off" button again: nothing changes; then back on.
    await admin.tap_data(listing.message_id, f"iu1d:{siti_id}")
    await harness.settle()
    again = admin.last_callback_answer()
    assert again is not None and again.text == people_texts.unchanged("Siti", False)
    await admin.tap(people_texts.activate_button("Siti"))
    await admin.wait_reply(min_messages=1)
    assert (await active(harness, 1001))[1]


async def test_pengguna_refuses_non_admins_forged_self_unknown_and_garbage_buttons(
    harness: BotHarness,
) -> None:
    admin = await harness.register(3001, Role.ADMIN, "63", first_name="Operator")
    pejabat = await harness.register(2001, Role.PEJABAT, KECAMATAN_SAMPANAHAN)
    admin_id, _ = await active(harness, 3001)
    pejabat_id, _ = await active(harness, 2001)

    await pejabat.send("/pengguna")
    [refusal] = await pejabat.wait_reply()
    assert refusal.text == people_texts.PENGGUNA_ADMIN_ONLY
    await pejabat.tap_data(refusal.message_id, f"iu1d:{admin_id}")
    await harness.settle()
    forged = pejabat.last_callback_answer()
    assert forged is not None and forged.text == people_texts.PENGGUNA_ADMIN_ONLY
    assert (await active(harness, 3001))[1]

    await admin.send("/pengguna")
    [listing] = await admin.wait_reply()
    for data, expected in ((f"iu1d:{admin_id}", people_texts.SELF),
                           ("iu1d:999999", people_texts.USER_NOT_FOUND),
                           ("iu1x:1", texts.BUTTON_EXPIRED), ("iu1d:", texts.BUTTON_EXPIRED)):
        await admin.tap_data(listing.message_id, data)
        await harness.settle()
        answer = admin.last_callback_answer()
        assert answer is not None and answer.text == expected, data
    assert (await active(harness, 3001))[1] and (await active(harness, 2001))[1]
    assert pejabat_id != admin_id
