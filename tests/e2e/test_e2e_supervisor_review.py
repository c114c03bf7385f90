"""Supervisor review over real HTTP (issue 13 part 4): the supervisor marks a family "perlu
dicek" with a typed reason, the kader sees it in /keluarga and corrects it, the family comes back
to the supervisor's queue, and she verifies it; a forged or repeated tap changes nothing."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from sqlalchemy import select

from bot.db.models import AuditEvent, ResponseReview, ReviewStatus, Role
from bot.emulator import EmulatedUser
from tests.e2e.conftest import KECAMATAN_SAMPANAHAN, BotHarness
from tests.e2e.kader_steps import FAMILY_A, act, answer_until, edit_label, give


async def said(harness: BotHarness, user: EmulatedUser, action: Awaitable[Any]) -> str:
    """Do `action` and return the text of the bot's latest message once it is quiet."""
    await action
    await user.wait_reply(min_messages=1)
    await harness.settle()
    last = user.last_message()
    return last.text or "" if last is not None else ""


async def review_status(harness: BotHarness) -> list[ReviewStatus]:
    async with harness.database.session_factory() as session:
        return list((await session.scalars(select(ResponseReview.status))).all())


async def test_supervisor_flags_kader_corrects_and_supervisor_verifies(
    harness: BotHarness,
) -> None:
    siti = await harness.kader(1001, name="Siti")
    await act(harness, siti, siti.send("/survei"))
    await answer_until(harness, siti, FAMILY_A)
    await act(harness, siti, siti.tap("✅ Kirim"))
    sri = await harness.register(2001, Role.SUPERVISOR, KECAMATAN_SAMPANAHAN, first_name="Sri")

    queue = await said(harness, sri, sri.send("/periksa"))
    assert "menunggu pemeriksaan: 1" in queue and "Ahmad Fauzi · RT 1 · Desa Sepapah" in queue
    assert "kader: Siti" in queue
    card = await said(harness, sri, sri.tap("1. Ahmad Fauzi"))
    assert "Status: belum diperiksa" in card
    assert "jawaban sensitif disembunyikan" in card and "Kekerasan pada perempuan" not in card
    card_message = sri.last_message()
    assert card_message is not None

    asked = await said(harness, sri, sri.tap("⚠️ Perlu dicek"))
    assert "Ketik alasan" in asked
    assert "terlalu pendek" in await said(harness, sri, sri.send("ok"))
    flagged = await said(harness, sri, sri.send("RT salah, cek KK"))
    assert "ditandai perlu dicek" in flagged
    assert await review_status(harness) == [ReviewStatus.NEEDS_CHECK]

    forged = await said(harness, sri, sri.tap_data(card_message.message_id, "rv1v:999999.0"))
    assert "tidak ada di wilayah Anda" in forged

    listing = await said(harness, siti, siti.send("/keluarga"))
    assert "⚠️ perlu dicek: RT salah, cek KK" in listing
    await act(harness, siti, siti.tap(siti.last_message().buttons[0][0]))  # type: ignore[union-attr]
    await act(harness, siti, siti.tap(edit_label(siti.last_message(), "H_RT")))
    await give(harness, siti, "H_RT", "2")
    assert await review_status(harness) == [ReviewStatus.PENDING]

    # Her old card still shows RT 1: a verdict given on it is not taken, the new answers are shown.
    stale = await said(harness, sri, sri.tap("✅ Verifikasi", message=card_message))
    assert "Ahmad Fauzi · RT 2" in stale
    assert any("sudah diubah sejak Anda membukanya" in (m.text or "") for m in sri.messages())
    assert await review_status(harness) == [ReviewStatus.PENDING]

    queue = await said(harness, sri, sri.send("/periksa"))
    assert "Ahmad Fauzi · RT 2 · Desa Sepapah" in queue
    await said(harness, sri, sri.tap("1. Ahmad Fauzi"))
    verified_card = sri.last_message()
    assert verified_card is not None
    assert "terverifikasi" in await said(harness, sri, sri.tap("✅ Verifikasi"))
    again = await said(
        harness, sri, sri.tap("✅ Verifikasi", message=verified_card)  # a stale second tap
    )
    assert "tidak ada yang diubah" in again
    assert await review_status(harness) == [ReviewStatus.VERIFIED]
    assert "✅ terverifikasi" in await said(harness, siti, siti.send("/keluarga"))
    await sri.send("/ikk Desa Sepapah terverifikasi")
    figures = "\n".join(m.text or m.caption or "" for m in await sri.wait_reply(min_messages=1))
    await harness.settle()
    assert "Hanya keluarga terverifikasi: 1 dari 1 keluarga terkirim" in figures
    # A name with several areas offers a choice; the chosen area is still verified-only.
    choice = await said(harness, sri, sri.send("/ikk Sampanahan terverifikasi"))
    assert "Pilih yang dimaksud" in choice
    await sri.tap("Kec. Sampanahan, Kab. Kotabaru")
    chosen = "\n".join(m.text or m.caption or "" for m in await sri.wait_reply(min_messages=1))
    await harness.settle()
    assert "Hanya keluarga terverifikasi: 1 dari 1 keluarga terkirim" in chosen

    async with harness.database.session_factory() as session:
        audit = (await session.scalars(
            select(AuditEvent.reason).where(AuditEvent.action == "review_changed")
            .order_by(AuditEvent.id)
        )).all()
    assert list(audit) == [
        "belum → perlu_dicek", "perlu_dicek → belum (diubah kader)", "belum → terverifikasi",
    ]


async def test_a_pejabat_and_a_kader_are_told_periksa_is_for_supervisors(
    harness: BotHarness,
) -> None:
    camat = await harness.register(2002, Role.PEJABAT, KECAMATAN_SAMPANAHAN, first_name="Camat")
    assert "untuk supervisor dan admin" in await said(harness, camat, camat.send("/periksa"))
    siti = await harness.kader(1001, name="Siti")
    assert "untuk supervisor dan admin" in await said(harness, siti, siti.send("/periksa"))
    assert await review_status(harness) == []
