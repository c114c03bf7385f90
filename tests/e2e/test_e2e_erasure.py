"""An erased family is gone from the kader's chat too, over real HTTP, on both databases:
/keluarga no longer lists it and a button of its old card says it is not found."""

from __future__ import annotations

from sqlalchemy import select

from bot.db.models import AppUser, Family
from bot.services.context import ServiceContext
from bot.services.erasure import delete_family
from bot.telegram import texts
from tests.bot.services.conftest import FAMILY_A, FAMILY_B, enter_family
from tests.e2e.conftest import SEPAPAH, BotHarness


async def test_an_erased_family_leaves_keluarga_and_its_old_button_finds_nothing(
    harness: BotHarness,
) -> None:
    siti = await harness.kader(1001, villages=(SEPAPAH,))
    ctx = ServiceContext.create(harness.database.session_factory)
    async with harness.database.session_factory() as session:
        uid = await session.scalar(select(AppUser.id).where(AppUser.telegram_id == 1001))
    assert uid is not None
    period = ctx.current_period()
    for family in (FAMILY_A, FAMILY_B):
        await enter_family(ctx, uid, family, village=SEPAPAH, period=period)

    await siti.send("/keluarga")
    [listing] = await siti.wait_reply()
    assert "Ahmad Fauzi" in listing.visible_text and "Budi Santoso" in listing.visible_text
    budi_button = next(row[0] for row in listing.buttons if "Budi Santoso" in row[0])
    async with harness.database.session_factory() as session:
        budi = await session.scalar(select(Family.id).where(Family.head_name == "Budi Santoso"))
    assert budi is not None

    erased = await delete_family(ctx, budi, actor="cli:operator", reason="permintaan keluarga")
    assert erased is not None and erased.was_submitted

    before = len(siti.messages())
    await siti.tap(budi_button, message=listing)
    await harness.settle()
    answer = siti.last_callback_answer()
    assert answer is not None and answer.text == texts.NOT_FOUND
    assert len(siti.messages()) == before  # nothing of the family is shown again

    await siti.send("/keluarga")
    [again] = await siti.wait_reply()
    assert "Ahmad Fauzi" in again.visible_text and "Budi Santoso" not in again.visible_text
