"""A pejabat who opens another pejabat invite is asked before her area changes, over real HTTP.

"Tidak" leaves her area and the invite as they were; "Ya" uses the invite and moves her. A
stale or doubled "Ya", and invites that expired, were revoked, used up or are garbage, each get
a plain Indonesian answer and change nothing.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.db.models import AppUser, Invite, Role
from bot.emulator import ChatMessage, EmulatedUser
from bot.repositories.invites import hash_invite_code, revoke_invite
from bot.telegram import invite_texts, texts
from tests.e2e.conftest import KECAMATAN_SAMPANAHAN, BotHarness

KOTABARU = "63.02"
TANAH_LAUT = "63.01"
QUESTION = "Area Anda akan berubah dari Kecamatan Sampanahan ke Kabupaten Kotabaru. Lanjutkan?"
#: Behaviour of the chat adapter; the redeem rules under it run on both databases.
SQLITE_ONLY = pytest.mark.parametrize("db_backend", ["sqlite"])


async def area_and_uses(harness: BotHarness, telegram_id: int, code: str) -> tuple[str, int]:
    async with harness.database.session_factory() as session:
        area = await session.scalar(
            select(AppUser.area_code).where(AppUser.telegram_id == telegram_id))
        uses = await session.scalar(
            select(Invite.uses).where(Invite.code_hash == hash_invite_code(code)))
    assert area is not None and uses is not None
    return area, uses


async def asked(harness: BotHarness, pejabat: EmulatedUser, code: str) -> ChatMessage:
    await pejabat.send(f"/start {code}")
    [question] = await pejabat.wait_reply()
    assert QUESTION in question.visible_text
    assert question.buttons == [[invite_texts.AREA_CHANGE_YES, invite_texts.AREA_CHANGE_NO]]
    assert await area_and_uses(harness, 2001, code) == (KECAMATAN_SAMPANAHAN, 0)
    return question


async def camat(harness: BotHarness) -> EmulatedUser:
    return await harness.register(2001, Role.PEJABAT, KECAMATAN_SAMPANAHAN, first_name="Ahmad")


async def test_tidak_keeps_the_area_and_leaves_the_invite_unused(harness: BotHarness) -> None:
    pejabat = await camat(harness)
    code = await harness.invite(Role.PEJABAT, KOTABARU)
    question = await asked(harness, pejabat, code)

    await pejabat.tap(invite_texts.AREA_CHANGE_NO, message=question)
    await pejabat.wait_reply()
    closed = pejabat.messages()[-1]
    assert closed.message_id == question.message_id and closed.buttons == []
    assert "tidak ada yang berubah" in closed.visible_text
    assert "Kecamatan Sampanahan" in closed.visible_text
    assert await area_and_uses(harness, 2001, code) == (KECAMATAN_SAMPANAHAN, 0)


async def test_ya_uses_the_invite_and_moves_the_pejabat_and_a_second_tap_changes_nothing(
    harness: BotHarness,
) -> None:
    pejabat = await camat(harness)
    code = await harness.invite(Role.PEJABAT, KOTABARU)
    question = await asked(harness, pejabat, code)

    await pejabat.tap(invite_texts.AREA_CHANGE_YES, message=question)
    replies = await pejabat.wait_reply(min_messages=2)
    closed = next(m for m in replies if m.message_id == question.message_id)
    assert "Area Anda sekarang Kabupaten Kotabaru" in closed.visible_text
    assert closed.buttons == []
    assert "pejabat untuk Kabupaten Kotabaru" in replies[-1].visible_text
    assert await area_and_uses(harness, 2001, code) == (KOTABARU, 1)

    # The same "Ya" again (a double tap, or a redelivered old button): recorded once.
    before = len(pejabat.messages())
    await pejabat.tap_data(question.message_id, f"iv1y:{code}")
    await harness.settle()
    assert len(pejabat.messages()) == before
    answer = pejabat.last_callback_answer()
    assert answer is not None and answer.text == texts.ALREADY_RECORDED
    assert await area_and_uses(harness, 2001, code) == (KOTABARU, 1)


async def test_an_invite_revoked_after_the_question_is_refused_on_ya(harness: BotHarness) -> None:
    pejabat = await camat(harness)
    code = await harness.invite(Role.PEJABAT, KOTABARU)
    question = await asked(harness, pejabat, code)
    async with harness.database.session_factory() as session, session.begin():
        assert (await revoke_invite(session, code)).invite is not None

    await pejabat.tap(invite_texts.AREA_CHANGE_YES, message=question)
    await pejabat.wait_reply()
    closed = pejabat.messages()[-1]
    assert invite_texts.INVITE_REVOKED in closed.visible_text
    assert "pejabat untuk Kecamatan Sampanahan" in closed.visible_text  # who she still is
    assert await area_and_uses(harness, 2001, code) == (KECAMATAN_SAMPANAHAN, 0)


@SQLITE_ONLY
async def test_dead_invites_are_refused_before_any_question(harness: BotHarness) -> None:
    pejabat = await camat(harness)
    expired = await harness.invite(Role.PEJABAT, KOTABARU, ttl=timedelta(microseconds=1))
    revoked = await harness.invite(Role.PEJABAT, TANAH_LAUT)
    async with harness.database.session_factory() as session, session.begin():
        await revoke_invite(session, revoked)
    used = await harness.invite(Role.PEJABAT, KOTABARU)
    other = await harness.register(2002, Role.PEJABAT, TANAH_LAUT, first_name="Budi")
    await other.send(f"/start {used}")
    await other.wait_reply()
    await other.tap(invite_texts.AREA_CHANGE_YES)
    await other.wait_reply(min_messages=2)

    for code, message in ((expired, texts.INVITE_EXPIRED), (revoked, invite_texts.INVITE_REVOKED),
                          (used, texts.INVITE_USED_UP),
                          ("inv_AAAAAAAAAAAAAAAAAAAAAA", texts.INVITE_UNKNOWN),
                          ("<b>x</b>", texts.INVITE_MALFORMED)):
        await pejabat.send(f"/start {code}")
        [reply] = await pejabat.wait_reply()
        assert message in (reply.text or ""), code
        assert reply.buttons == [] and "Lanjutkan?" not in (reply.text or "")
        assert "pejabat untuk Kecamatan Sampanahan" in (reply.text or "")  # a way forward
    async with harness.database.session_factory() as session:
        area = await session.scalar(select(AppUser.area_code).where(AppUser.telegram_id == 2001))
    assert area == KECAMATAN_SAMPANAHAN


@SQLITE_ONLY
async def test_garbage_area_change_buttons_are_answered_and_change_nothing(
    harness: BotHarness,
) -> None:
    pejabat = await camat(harness)
    code = await harness.invite(Role.PEJABAT, KOTABARU)
    question = await asked(harness, pejabat, code)
    for data in ("iv1y:", "iv1y:bukan-kode", "iv9z", "iv1y:inv_AAAAAAAAAAAAAAAAAAAAAA"):
        await pejabat.tap_data(question.message_id, data)
        await harness.settle()
    answers = [a.text for a in pejabat.callback_answers()[-4:]]
    assert answers[:3] == [texts.BUTTON_EXPIRED] * 3
    # A well-formed but unknown code closes the question with the unknown-invite message.
    assert texts.INVITE_UNKNOWN in pejabat.messages()[-1].visible_text
    assert await area_and_uses(harness, 2001, code) == (KECAMATAN_SAMPANAHAN, 0)


@SQLITE_ONLY
async def test_a_kader_invite_for_another_village_adds_it_without_asking(
    harness: BotHarness,
) -> None:
    kader = await harness.kader(1001)
    code = await harness.invite(Role.KADER, "63.02.12.2002")
    await kader.send(f"/start {code}")
    [reply] = await kader.wait_reply()
    assert "Lanjutkan?" not in reply.visible_text and reply.buttons == []
    assert "Desa Sungai Betung" in reply.visible_text
