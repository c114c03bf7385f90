"""Scope: what a user may see, decided in Python and in SQL the same way."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.db.engine import SessionFactory
from bot.db.models import Area, Role
from bot.repositories.scope import Scope, scope_for_user
from bot.repositories.users import (
    add_kader_village,
    add_user,
    deactivate_user,
    get_user_by_telegram_id,
)


@pytest.fixture
def database_seed() -> str:
    return "kalsel"


def test_a_subtree_contains_its_root_and_everything_below_only() -> None:
    kotabaru = Scope.subtree("63.02")
    assert kotabaru.contains("63.02")
    assert kotabaru.contains("63.02.12.2005")
    assert not kotabaru.contains("63")
    assert not kotabaru.contains("63.03.05")
    assert not kotabaru.contains("63.021")  # a string prefix is not a subtree


def test_a_village_scope_contains_exactly_its_villages() -> None:
    kader = Scope.of_villages(["63.02.12.2005", "63.02.12.2008"])
    assert kader.contains("63.02.12.2005") and kader.contains("63.02.12.2008")
    assert not kader.contains("63.02.12")
    assert not kader.contains("63.02.12.2001")


def test_everything_and_nothing() -> None:
    assert Scope.everything().contains("63.99.99.2999")
    assert not Scope.nothing().contains("63")
    assert Scope.nothing().is_empty and not Scope.everything().is_empty


@pytest.mark.parametrize(
    "scope",
    [
        Scope.everything(),
        Scope.nothing(),
        Scope.subtree("63"),
        Scope.subtree("63.02"),
        Scope.subtree("63.02.12"),
        Scope.subtree("63.02", "63.71"),
        Scope.of_villages(["63.02.12.2005", "63.71.01.1001"]),
        Scope(roots=frozenset({"63.03.05"}), villages=frozenset({"63.02.12.2005"})),
    ],
    ids=["everything", "nothing", "province", "kabupaten", "kecamatan", "two-roots",
         "villages", "mixed"],
)
async def test_the_sql_filter_selects_exactly_what_contains_accepts(
    session_factory: SessionFactory, scope: Scope
) -> None:
    async with session_factory() as session:
        all_codes = (await session.scalars(select(Area.code))).all()
        filtered = set(
            (await session.scalars(select(Area.code).where(scope.filter_codes(Area.code)))).all()
        )
        counted = await session.scalar(
            select(func.count()).select_from(Area).where(scope.filter_codes(Area.code))
        )
    assert len(all_codes) == 2186
    assert filtered == {code for code in all_codes if scope.contains(code)}
    assert counted == len(filtered)


async def test_each_role_gets_its_scope_from_the_database(session_factory: SessionFactory) -> None:
    async with session_factory() as session, session.begin():
        admin = await add_user(session, telegram_id=1, role=Role.ADMIN, area_code="63")
        pejabat = await add_user(session, telegram_id=2, role=Role.PEJABAT, area_code="63.02")
        kader = await add_user(session, telegram_id=3, role=Role.KADER, area_code="63.02.12.2005")
        await add_kader_village(session, kader, "63.02.12.2008")
    async with session_factory() as session:
        assert await scope_for_user(session, admin) == Scope.subtree("63")
        assert await scope_for_user(session, pejabat) == Scope.subtree("63.02")
        assert await scope_for_user(session, kader) == Scope.of_villages(
            ["63.02.12.2005", "63.02.12.2008"]
        )


async def test_an_inactive_user_sees_nothing(session_factory: SessionFactory) -> None:
    async with session_factory() as session, session.begin():
        await add_user(session, telegram_id=2, role=Role.PEJABAT, area_code="63.02")
        await deactivate_user(session, 2)
    async with session_factory() as session:
        pejabat = await get_user_by_telegram_id(session, 2)
        assert pejabat is not None and not pejabat.active
        assert (await scope_for_user(session, pejabat)).is_empty
