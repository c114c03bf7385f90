"""/undangan over real HTTP: the admin lists the usable invites and revokes one with a button;
everyone else, and every forged or stale button, gets a plain answer and changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.db.models import Invite, Role
from bot.repositories.invites import hash_invite_code
from bot.telegram import invite_texts, texts
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
    await admin.wait_reply()
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
    assert "/undangan" in help_text.visible_text
