"""People: bootstrap, look-up, scoped listing, reachability and deactivation."""

from __future__ import annotations

from datetime import UTC

import pytest

from bot.db.engine import SessionFactory
from bot.db.models import Role
from bot.repositories.scope import Scope
from bot.repositories.users import (
    UserError,
    add_kader_village,
    add_user,
    deactivate_user,
    get_user_by_telegram_id,
    list_users,
    set_reachable,
    user_villages,
)


@pytest.fixture
def database_seed() -> str:
    return "kalsel"


async def _people(session_factory: SessionFactory) -> None:
    """An admin, a pejabat of Kotabaru, one of Banjar, a kader of Sampanahan and a kader
    working in a Kotabaru village and a Banjar village."""
    async with session_factory() as session, session.begin():
        await add_user(session, telegram_id=1, role=Role.ADMIN, area_code="63", display_name="A")
        await add_user(session, telegram_id=2, role=Role.PEJABAT, area_code="63.02")
        await add_user(session, telegram_id=3, role=Role.PEJABAT, area_code="63.03")
        await add_user(session, telegram_id=4, role=Role.KADER, area_code="63.02.12.2005")
        both = await add_user(session, telegram_id=5, role=Role.KADER, area_code="63.02.12.2001")
        await add_kader_village(session, both, "63.03.05.1001")


async def test_an_added_user_is_found_by_telegram_id(session_factory: SessionFactory) -> None:
    async with session_factory() as session, session.begin():
        await add_user(
            session,
            telegram_id=9_000_000_001,  # beyond 32 bits, as real Telegram ids can be
            role=Role.ADMIN,
            area_code="63",
            display_name="  Admin DP3A ",
        )
    async with session_factory() as session:
        user = await get_user_by_telegram_id(session, 9_000_000_001)
        stranger = await get_user_by_telegram_id(session, 42)
    assert user is not None and stranger is None
    assert (user.role, user.area_code, user.display_name) == (Role.ADMIN, "63", "Admin DP3A")
    assert user.active and user.reachable and user.language == "id"
    assert user.created_at.tzinfo is not None and user.created_at.utcoffset() == UTC.utcoffset(None)


async def test_a_kader_is_bound_to_their_village(session_factory: SessionFactory) -> None:
    async with session_factory() as session, session.begin():
        kader = await add_user(session, telegram_id=4, role=Role.KADER, area_code="63.02.12.2005")
        assert await add_kader_village(session, kader, "63.02.12.2008")
        assert not await add_kader_village(session, kader, "63.02.12.2008")
    async with session_factory() as session:
        assert await user_villages(session, kader.id) == ["63.02.12.2005", "63.02.12.2008"]


@pytest.mark.parametrize(
    ("role", "area", "message"),
    [
        (Role.KADER, "63.02.12", "kader harus terikat pada desa/kelurahan"),
        (Role.ADMIN, "63.99", "tidak ada di database"),
    ],
)
async def test_a_user_cannot_be_bound_to_an_unfit_area(
    session_factory: SessionFactory, role: Role, area: str, message: str
) -> None:
    async with session_factory() as session, session.begin():
        with pytest.raises(UserError, match=message):
            await add_user(session, telegram_id=7, role=role, area_code=area)


async def test_a_telegram_account_registers_once(session_factory: SessionFactory) -> None:
    async with session_factory() as session, session.begin():
        await add_user(session, telegram_id=7, role=Role.ADMIN, area_code="63")
        with pytest.raises(UserError, match="sudah terdaftar"):
            await add_user(session, telegram_id=7, role=Role.PEJABAT, area_code="63.02")


async def test_only_a_kader_gets_villages(session_factory: SessionFactory) -> None:
    async with session_factory() as session, session.begin():
        pejabat = await add_user(session, telegram_id=2, role=Role.PEJABAT, area_code="63.02")
        with pytest.raises(UserError):
            await add_kader_village(session, pejabat, "63.02.12.2005")


async def test_the_user_list_shows_only_people_in_the_scope(
    session_factory: SessionFactory,
) -> None:
    await _people(session_factory)
    async with session_factory() as session:
        everyone = await list_users(session, Scope.everything())
        kotabaru = await list_users(session, Scope.subtree("63.02"))
        banjar = await list_users(session, Scope.subtree("63.03"))
        sampanahan_kaders = await list_users(session, Scope.subtree("63.02.12"), role=Role.KADER)
        nobody = await list_users(session, Scope.nothing())
    assert sorted(u.telegram_id for u in everyone) == [1, 2, 3, 4, 5]
    assert sorted(u.telegram_id for u in kotabaru) == [2, 4, 5]
    assert sorted(u.telegram_id for u in banjar) == [3, 5]  # 5 also works in a Banjar village
    assert sorted(u.telegram_id for u in sampanahan_kaders) == [4, 5]
    assert nobody == []
    both = next(u for u in everyone if u.telegram_id == 5)
    assert both.villages == ("63.02.12.2001", "63.03.05.1001")
    assert both.area_label == "Desa Sepapah"


async def test_reachability_and_deactivation_are_recorded(session_factory: SessionFactory) -> None:
    await _people(session_factory)
    async with session_factory() as session, session.begin():
        assert await set_reachable(session, 4, False)
        assert await deactivate_user(session, 2)
        assert not await set_reachable(session, 404, False)
        assert not await deactivate_user(session, 404)
    async with session_factory() as session:
        users = {u.telegram_id: u for u in await list_users(session, Scope.everything())}
        active = await list_users(session, Scope.everything(), include_inactive=False)
    assert not users[4].reachable and users[4].active
    assert not users[2].active
    assert 2 not in {u.telegram_id for u in active}
