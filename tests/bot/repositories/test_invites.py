"""Invites: unguessable codes, stored as hashes, redeemed exactly as often as allowed."""

from __future__ import annotations

import asyncio
import hashlib
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.db.engine import SessionFactory
from bot.db.models import AppUser, Invite, InviteUse, Role
from bot.db.types import utcnow
from bot.repositories.invites import (
    CreatedInvite,
    RedeemOutcome,
    create_invite,
    invite_link,
    parse_duration,
    redeem_invite,
)
from bot.repositories.scope import OutOfScope, Scope
from bot.repositories.users import (
    UserError,
    add_user,
    deactivate_user,
    get_user_by_telegram_id,
    user_villages,
)

EVERYTHING = Scope.everything()
SAMPANAHAN = "63.02.12.2005"


@pytest.fixture
def database_seed() -> str:
    return "demo"


async def _invite(
    session_factory: SessionFactory,
    role: Role = Role.KADER,
    area: str = SAMPANAHAN,
    uses: int = 1,
    ttl: timedelta = timedelta(days=7),
    now: datetime | None = None,
) -> CreatedInvite:
    async with session_factory() as session, session.begin():
        return await create_invite(
            session, role=role, area_code=area, scope=EVERYTHING, uses=uses, ttl=ttl, now=now
        )


async def _uses(session_factory: SessionFactory, invite_id: int) -> int:
    async with session_factory() as session:
        invite = await session.get(Invite, invite_id)
        assert invite is not None
        return invite.uses


async def test_a_code_is_a_valid_start_payload_and_only_its_hash_is_stored(
    session_factory: SessionFactory,
) -> None:
    created = await _invite(session_factory)
    assert re.fullmatch(r"inv_[A-Za-z0-9_-]+", created.code)
    assert 16 <= len(created.code) <= 64
    async with session_factory() as session:
        invite = await session.get(Invite, created.invite_id)
    assert invite is not None
    assert invite.code_hash == hashlib.sha256(created.code.encode()).hexdigest()
    assert created.code not in invite.code_hash
    assert (invite.role, invite.area_code, invite.max_uses, invite.uses) == (
        Role.KADER, SAMPANAHAN, 1, 0,
    )
    assert timedelta(days=6, hours=23) < invite.expires_at - utcnow() <= timedelta(days=7)


async def test_two_codes_are_never_the_same(session_factory: SessionFactory) -> None:
    codes = {(await _invite(session_factory)).code for _ in range(20)}
    assert len(codes) == 20


async def test_redeeming_registers_a_kader_in_the_invites_village(
    session_factory: SessionFactory,
) -> None:
    created = await _invite(session_factory)
    result = await redeem_invite(session_factory, created.code, 1001, "  Siti Aminah ")
    assert result.outcome is RedeemOutcome.OK and result.ok and not result.already_redeemed
    async with session_factory() as session:
        user = await get_user_by_telegram_id(session, 1001)
        assert user is not None
        assert (user.role, user.area_code, user.display_name) == (
            Role.KADER, SAMPANAHAN, "Siti Aminah",
        )
        assert await user_villages(session, user.id) == [SAMPANAHAN]
        uses = (await session.scalars(select(InviteUse.user_id))).all()
    assert uses == [user.id]
    assert await _uses(session_factory, created.invite_id) == 1


async def test_a_single_use_invite_refuses_a_second_person(session_factory: SessionFactory) -> None:
    created = await _invite(session_factory)
    assert (await redeem_invite(session_factory, created.code, 1001, "A")).ok
    second = await redeem_invite(session_factory, created.code, 1002, "B")
    assert second.outcome is RedeemOutcome.USED_UP
    async with session_factory() as session:
        assert await get_user_by_telegram_id(session, 1002) is None
    assert await _uses(session_factory, created.invite_id) == 1


async def test_the_same_person_tapping_the_link_again_is_welcomed_without_a_second_use(
    session_factory: SessionFactory,
) -> None:
    created = await _invite(session_factory, uses=2)
    assert (await redeem_invite(session_factory, created.code, 1001, "A")).ok
    again = await redeem_invite(session_factory, created.code, 1001, "A")
    assert again.ok and again.already_redeemed
    assert await _uses(session_factory, created.invite_id) == 1


async def test_a_multi_use_invite_serves_exactly_its_number_of_people(
    session_factory: SessionFactory,
) -> None:
    created = await _invite(session_factory, uses=2)
    outcomes = [
        (await redeem_invite(session_factory, created.code, 1000 + n, f"K{n}")).outcome
        for n in range(3)
    ]
    assert outcomes == [RedeemOutcome.OK, RedeemOutcome.OK, RedeemOutcome.USED_UP]


async def test_an_expired_invite_is_refused(session_factory: SessionFactory) -> None:
    created = await _invite(
        session_factory, now=utcnow() - timedelta(days=8), ttl=timedelta(days=7)
    )
    result = await redeem_invite(session_factory, created.code, 1001, "A")
    assert result.outcome is RedeemOutcome.EXPIRED
    assert await _uses(session_factory, created.invite_id) == 0


@pytest.mark.parametrize(
    "code",
    [
        "",
        "inv_short",
        "inv_" + "a" * 61,  # 65 characters: longer than a /start payload may be
        "inv_abcdefghijklmnop!",
        "inv_abcdefghij klmnop",
        "abcdefghijklmnopqrstuvwxyz",
        "inv_ábcdefghijklmnopq",
    ],
)
async def test_a_malformed_code_is_refused_before_touching_the_database(
    session_factory: SessionFactory, code: str
) -> None:
    result = await redeem_invite(session_factory, code, 1001, "A")
    assert result.outcome is RedeemOutcome.MALFORMED


async def test_a_well_formed_but_unknown_code_is_unknown(session_factory: SessionFactory) -> None:
    await _invite(session_factory)
    result = await redeem_invite(session_factory, "inv_AAAAAAAAAAAAAAAAAAAAAA", 1001, "A")
    assert result.outcome is RedeemOutcome.UNKNOWN


async def test_two_people_racing_for_a_single_use_invite_give_exactly_one_winner(
    session_factory: SessionFactory,
) -> None:
    for round_ in range(5):
        created = await _invite(session_factory)
        first, second = 2000 + 2 * round_, 2001 + 2 * round_
        results = await asyncio.gather(
            redeem_invite(session_factory, created.code, first, "A"),
            redeem_invite(session_factory, created.code, second, "B"),
        )
        assert sorted(r.outcome for r in results) == [RedeemOutcome.OK, RedeemOutcome.USED_UP]
        assert await _uses(session_factory, created.invite_id) == 1
    async with session_factory() as session:
        registered = (await session.scalars(select(AppUser.telegram_id))).all()
    assert len(registered) == 5


async def test_twelve_people_racing_for_a_three_use_invite_give_three_winners(
    session_factory: SessionFactory,
) -> None:
    created = await _invite(session_factory, uses=3)
    results = await asyncio.gather(
        *(redeem_invite(session_factory, created.code, 3000 + n, f"K{n}") for n in range(12))
    )
    outcomes = [r.outcome for r in results]
    assert outcomes.count(RedeemOutcome.OK) == 3
    assert outcomes.count(RedeemOutcome.USED_UP) == 9
    assert await _uses(session_factory, created.invite_id) == 3
    async with session_factory() as session:
        assert len((await session.scalars(select(InviteUse.id))).all()) == 3


async def test_the_same_person_tapping_twice_at_once_registers_once(
    session_factory: SessionFactory,
) -> None:
    created = await _invite(session_factory, uses=5)
    results = await asyncio.gather(
        *(redeem_invite(session_factory, created.code, 4000, "A") for _ in range(4))
    )
    assert all(r.ok for r in results)
    assert sum(not r.already_redeemed for r in results) == 1
    assert await _uses(session_factory, created.invite_id) == 1


async def test_an_active_user_with_another_role_is_not_changed_by_an_invite(
    session_factory: SessionFactory,
) -> None:
    async with session_factory() as session, session.begin():
        await add_user(session, telegram_id=1, role=Role.ADMIN, area_code="63")
    created = await _invite(session_factory)
    result = await redeem_invite(session_factory, created.code, 1, "Admin")
    assert result.outcome is RedeemOutcome.ROLE_CONFLICT and result.role is Role.ADMIN
    assert await _uses(session_factory, created.invite_id) == 0
    async with session_factory() as session:
        admin = await get_user_by_telegram_id(session, 1)
    assert admin is not None and admin.role is Role.ADMIN


async def test_a_kader_invited_to_a_second_village_keeps_the_first(
    session_factory: SessionFactory,
) -> None:
    first = await _invite(session_factory)
    second = await _invite(session_factory, area="63.02.12.2008")
    assert (await redeem_invite(session_factory, first.code, 1001, "A")).ok
    result = await redeem_invite(session_factory, second.code, 1001, "A")
    assert result.ok and result.area_code == SAMPANAHAN
    async with session_factory() as session:
        kader = await get_user_by_telegram_id(session, 1001)
        assert kader is not None
        assert await user_villages(session, kader.id) == [SAMPANAHAN, "63.02.12.2008"]


async def test_a_deactivated_person_comes_back_fresh_through_a_new_invite(
    session_factory: SessionFactory,
) -> None:
    async with session_factory() as session, session.begin():
        await add_user(session, telegram_id=7, role=Role.KADER, area_code="63.02.12.2001")
        await deactivate_user(session, 7)
    created = await _invite(session_factory, role=Role.PEJABAT, area="63.02.12")
    result = await redeem_invite(session_factory, created.code, 7, "Pak Camat")
    assert result.ok
    async with session_factory() as session:
        user = await get_user_by_telegram_id(session, 7)
        assert user is not None
        assert (user.role, user.area_code, user.active) == (Role.PEJABAT, "63.02.12", True)
        assert await user_villages(session, user.id) == []


async def test_a_kader_invite_must_name_a_village(session_factory: SessionFactory) -> None:
    with pytest.raises(UserError, match="desa/kelurahan"):
        await _invite(session_factory, area="63.02.12")


async def test_invites_are_created_only_inside_the_inviters_scope(
    session_factory: SessionFactory,
) -> None:
    async with session_factory() as session, session.begin():
        pejabat = await add_user(session, telegram_id=2, role=Role.PEJABAT, area_code="63.02.12")
        kader = await add_user(session, telegram_id=4, role=Role.KADER, area_code=SAMPANAHAN)
    ids = {"pejabat": pejabat.id, "kader": kader.id}

    async def attempt(who: str, role: Role, area: str, scope: Scope) -> CreatedInvite:
        async with session_factory() as session, session.begin():
            return await create_invite(
                session, role=role, area_code=area, scope=scope, created_by=ids[who]
            )

    pejabat_scope = Scope.subtree("63.02.12")
    assert (await attempt("pejabat", Role.KADER, "63.02.12.2001", pejabat_scope)).code
    with pytest.raises(OutOfScope):
        await attempt("pejabat", Role.PEJABAT, "63.03", pejabat_scope)
    with pytest.raises(OutOfScope):  # the scope passed in does not widen the inviter's own
        await attempt("pejabat", Role.PEJABAT, "63.03", EVERYTHING)
    with pytest.raises(UserError, match="tidak boleh mengundang admin"):
        await attempt("pejabat", Role.ADMIN, "63.02.12", pejabat_scope)
    with pytest.raises(UserError, match="kader tidak boleh"):
        await attempt("kader", Role.KADER, SAMPANAHAN, Scope.of_villages([SAMPANAHAN]))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7d", timedelta(days=7)),
        ("7", timedelta(days=7)),
        ("12h", timedelta(hours=12)),
        ("30m", timedelta(minutes=30)),
        ("3 hari", timedelta(days=3)),
        ("2 jam", timedelta(hours=2)),
    ],
)
def test_durations_read_as_days_hours_or_minutes(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "0d", "7w", "-1d", "seminggu"])
def test_an_unreadable_duration_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="durasi tidak dikenal"):
        parse_duration(text)


def test_the_link_opens_the_bot_with_the_code() -> None:
    assert invite_link("@ikk_bot", "inv_abc") == "https://t.me/ikk_bot?start=inv_abc"
