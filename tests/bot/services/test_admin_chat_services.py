"""The services behind the admin's /undangan and /pengguna, on both databases: only an admin,
only within her own area, never herself."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import run_in_transaction
from bot.db.models import AppUser, Role
from bot.repositories.invites import create_invite
from bot.repositories.scope import Scope
from bot.repositories.users import add_user
from bot.services.invite_admin import admin_invites, admin_revoke
from bot.services.user_admin import ToggleResult, admin_users, set_active
from tests.bot.services.conftest import BATAKAN, SAMPANAHAN, World

TANAH_LAUT = "63.01"


async def tanah_laut_admin(world: World) -> int:
    async def work(session: AsyncSession) -> int:
        user = await add_user(session, telegram_id=302, role=Role.ADMIN, area_code=TANAH_LAUT,
                              display_name="Admin Tanah Laut")
        return user.id

    return await run_in_transaction(world.ctx.session_factory, work)


async def invite(world: World, village: str, ttl: timedelta = timedelta(days=7)) -> int:
    async def work(session: AsyncSession) -> int:
        created = await create_invite(session, role=Role.KADER, area_code=village,
                                      scope=Scope.everything(), ttl=ttl)
        return created.invite_id

    return await run_in_transaction(world.ctx.session_factory, work)


async def is_active(world: World, user_id: int) -> bool:
    async with world.ctx.session_factory() as session:
        return bool(await session.scalar(select(AppUser.active).where(AppUser.id == user_id)))


async def test_an_admin_lists_and_revokes_only_the_invites_of_her_area(world: World) -> None:
    local = await tanah_laut_admin(world)
    sampanahan, batakan = await invite(world, SAMPANAHAN), await invite(world, BATAKAN)
    await invite(world, BATAKAN, ttl=timedelta(microseconds=1))  # expired: not listed

    province = await admin_invites(world.ctx, world.admin)
    mine = await admin_invites(world.ctx, local)
    assert province is not None and mine is not None
    assert [line.invite.id for line in province] == [batakan, sampanahan]
    assert [(line.invite.id, line.area_label) for line in mine] == [(batakan, "Desa Batakan")]

    outside = await admin_revoke(world.ctx, local, sampanahan)
    assert outside is not None and outside.invite is None  # as if it did not exist
    done = await admin_revoke(world.ctx, local, batakan)
    assert done is not None and done.invite is not None and not done.already
    assert await admin_invites(world.ctx, local) == []
    again = await admin_revoke(world.ctx, local, batakan)
    assert again is not None and again.already


async def test_only_admins_get_the_invite_list_or_revoke(world: World) -> None:
    number = await invite(world, SAMPANAHAN)
    for actor in (world.pejabat_kotabaru, world.kader):
        assert await admin_invites(world.ctx, actor) is None
        assert await admin_revoke(world.ctx, actor, number) is None
    listed = await admin_invites(world.ctx, world.admin)
    assert listed is not None and listed[0].invite.usable


async def test_an_admin_switches_people_of_her_area_off_and_on_but_not_herself(
    world: World,
) -> None:
    local = await tanah_laut_admin(world)
    people = await admin_users(world.ctx, local)
    assert people is not None
    assert {p.display_name for p in people} == {"Dewi Kader", "Bu Kadis"}  # not herself

    outside = await set_active(world.ctx, local, world.kader, False)
    assert outside.result is ToggleResult.NOT_FOUND and await is_active(world, world.kader)
    assert (await set_active(world.ctx, local, local, False)).result is ToggleResult.SELF

    off = await set_active(world.ctx, local, world.kader_batakan, False)
    assert (off.result, off.name, off.telegram_id) == (ToggleResult.CHANGED, "Dewi Kader", 104)
    assert not await is_active(world, world.kader_batakan)
    # Switched off, she is still in the list (to be switched on again).
    still = await admin_users(world.ctx, local)
    assert still is not None and any(not p.active for p in still)
    assert (await set_active(world.ctx, local, world.kader_batakan, False)).result is (
        ToggleResult.UNCHANGED)
    assert (await set_active(world.ctx, local, world.kader_batakan, True)).result is (
        ToggleResult.CHANGED)
    assert await is_active(world, world.kader_batakan)


async def test_non_admins_cannot_switch_anyone(world: World) -> None:
    for actor in (world.pejabat_tanah_laut, world.kader_batakan):
        assert (await set_active(world.ctx, actor, world.kader_batakan, False)).result is (
            ToggleResult.FORBIDDEN)
        assert await admin_users(world.ctx, actor) is None
    assert await is_active(world, world.kader_batakan)
    assert (await set_active(world.ctx, world.admin, 999_999, False)).result is (
        ToggleResult.NOT_FOUND)
