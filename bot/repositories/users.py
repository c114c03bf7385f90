"""People: look-up by Telegram id, bootstrap and listing, reachability and deactivation.

A kader is bound to villages through `user_area` (their first village is also `area_code`);
a pejabat or admin is bound to one area and sees its subtree (see `bot.repositories.scope`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import AppUser, Area, Role, UserArea
from bot.db.types import utcnow
from bot.repositories.scope import Scope
from ikk_core.areas import VILLAGE_LEVELS, AreaLevel, short_label

__all__ = [
    "UserError",
    "UserSummary",
    "add_kader_village",
    "add_user",
    "check_area_for_role",
    "deactivate_user",
    "get_user",
    "get_user_by_telegram_id",
    "list_users",
    "reactivate_user",
    "set_reachable",
    "set_role",
    "set_user_area",
    "user_villages",
]


SUPERVISOR_LEVELS = frozenset({AreaLevel.KECAMATAN, AreaLevel.KABUPATEN, AreaLevel.KOTA})
"""Where a supervisor is bound: she reviews the families of one kecamatan or kabupaten."""


class UserError(ValueError):
    """A user operation that cannot be done as asked (message is Indonesian, user-facing)."""


@dataclass(frozen=True)
class UserSummary:
    """One row of a user list."""

    id: int
    telegram_id: int
    display_name: str
    role: Role
    area_code: str
    area_label: str
    villages: tuple[str, ...]
    active: bool
    reachable: bool
    created_at: datetime


async def get_user_by_telegram_id(session: AsyncSession, telegram_id: int) -> AppUser | None:
    """The user behind a Telegram account (active or not), or None for a stranger."""
    result = await session.scalars(select(AppUser).where(AppUser.telegram_id == telegram_id))
    return result.one_or_none()


async def get_user(session: AsyncSession, user_id: int) -> AppUser | None:
    return await session.get(AppUser, user_id)


async def check_area_for_role(session: AsyncSession, role: Role, area_code: str) -> Area:
    """The area a user of `role` would be bound to; raises `UserError` if it cannot be."""
    area = await session.get(Area, area_code)
    if area is None:
        raise UserError(
            f"wilayah {area_code} tidak ada di database: impor wilayah dulu "
            "(`ikk-bot areas import FILE.csv` atau `ikk-bot areas load-demo`)"
        )
    if role is Role.KADER and area.level not in VILLAGE_LEVELS:
        raise UserError(
            f"kader harus terikat pada desa/kelurahan, sedangkan {area_code} "
            f"adalah {area.level.value}"
        )
    if role is Role.SUPERVISOR and area.level not in SUPERVISOR_LEVELS:
        raise UserError(
            f"supervisor harus terikat pada kecamatan atau kabupaten/kota, sedangkan "
            f"{area_code} adalah {area.level.value}"
        )
    return area


async def user_villages(session: AsyncSession, user_id: int) -> list[str]:
    """The village codes of a kader (empty for other roles)."""
    rows = await session.scalars(
        select(UserArea.area_code).where(UserArea.user_id == user_id).order_by(UserArea.area_code)
    )
    return list(rows.all())


async def add_kader_village(session: AsyncSession, user: AppUser, area_code: str) -> bool:
    """Bind a kader to one more village; False when they already had it."""
    if user.role is not Role.KADER:
        raise UserError("hanya kader yang terikat pada desa/kelurahan")
    await check_area_for_role(session, Role.KADER, area_code)
    if await session.get(UserArea, (user.id, area_code)) is not None:
        return False
    session.add(UserArea(user_id=user.id, area_code=area_code))
    await session.flush()
    return True


async def add_user(
    session: AsyncSession,
    *,
    telegram_id: int,
    role: Role,
    area_code: str,
    display_name: str = "",
    language: str = "id",
) -> AppUser:
    """Register a new user (flushed, not committed). A kader's area must be a village."""
    await check_area_for_role(session, role, area_code)
    if await get_user_by_telegram_id(session, telegram_id) is not None:
        raise UserError(f"pengguna dengan Telegram ID {telegram_id} sudah terdaftar")
    user = AppUser(
        telegram_id=telegram_id,
        role=role,
        area_code=area_code,
        display_name=display_name.strip(),
        language=language,
        active=True,
        reachable=True,
    )
    session.add(user)
    await session.flush()
    if role is Role.KADER:
        session.add(UserArea(user_id=user.id, area_code=area_code))
        await session.flush()
    return user


async def list_users(
    session: AsyncSession,
    scope: Scope,
    *,
    role: Role | None = None,
    include_inactive: bool = True,
) -> list[UserSummary]:
    """Users whose area (or, for a kader, any of whose villages) lies in `scope`."""
    in_scope_villages = select(UserArea.user_id).where(scope.filter_codes(UserArea.area_code))
    query = (
        select(AppUser, Area.name, Area.level)
        .join(Area, Area.code == AppUser.area_code)
        .where(or_(scope.filter_codes(AppUser.area_code), AppUser.id.in_(in_scope_villages)))
        .order_by(AppUser.role, AppUser.area_code, AppUser.id)
    )
    if role is not None:
        query = query.where(AppUser.role == role)
    if not include_inactive:
        query = query.where(AppUser.active.is_(True))
    rows = (await session.execute(query)).all()
    villages: dict[int, list[str]] = defaultdict(list)
    ids = [row[0].id for row in rows]
    if ids:
        links = await session.execute(
            select(UserArea.user_id, UserArea.area_code)
            .where(UserArea.user_id.in_(ids))
            .order_by(UserArea.area_code)
        )
        for user_id, code in links.all():
            villages[user_id].append(code)
    return [
        UserSummary(
            id=user.id,
            telegram_id=user.telegram_id,
            display_name=user.display_name,
            role=user.role,
            area_code=user.area_code,
            area_label=short_label(level, name),
            villages=tuple(villages[user.id]),
            active=user.active,
            reachable=user.reachable,
            created_at=user.created_at,
        )
        for user, name, level in rows
    ]


async def set_reachable(session: AsyncSession, telegram_id: int, reachable: bool) -> bool:
    """Record whether the bot can message this person (False after they block it).
    Returns False when no such user exists."""
    result = await session.execute(
        update(AppUser)
        .where(AppUser.telegram_id == telegram_id)
        .values(reachable=reachable, updated_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def deactivate_user(session: AsyncSession, telegram_id: int) -> bool:
    """Switch a user off (they keep their history but see nothing). False if unknown."""
    result = await session.execute(
        update(AppUser)
        .where(AppUser.telegram_id == telegram_id)
        .values(active=False, updated_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def _existing(session: AsyncSession, telegram_id: int) -> AppUser:
    user = await get_user_by_telegram_id(session, telegram_id)
    if user is None:
        raise UserError(f"tidak ada pengguna dengan Telegram ID {telegram_id}")
    return user


async def _bind(session: AsyncSession, user: AppUser, role: Role, area_code: str) -> None:
    """Give `user` the role and area; a kader's villages become exactly that village, other
    roles have none (their scope is the area's subtree)."""
    await check_area_for_role(session, role, area_code)
    await session.execute(delete(UserArea).where(UserArea.user_id == user.id))
    user.role = role
    user.area_code = area_code
    user.updated_at = utcnow()
    if role is Role.KADER:
        session.add(UserArea(user_id=user.id, area_code=area_code))
    await session.flush()


async def set_role(
    session: AsyncSession, telegram_id: int, role: Role, area_code: str | None = None
) -> AppUser:
    """Change a user's role, keeping the area unless `area_code` is given; a kader needs a
    village (`UserError` explains). The scope follows at once: it is read per request."""
    user = await _existing(session, telegram_id)
    if user.role is role and area_code in (None, user.area_code):
        raise UserError(f"pengguna {telegram_id} sudah {role.value}")
    await _bind(session, user, role, area_code or user.area_code)
    return user


async def set_user_area(session: AsyncSession, telegram_id: int, area_code: str) -> AppUser:
    """Move a user to another area (a kader: to this one village instead of her villages)."""
    user = await _existing(session, telegram_id)
    await _bind(session, user, user.role, area_code)
    return user


async def reactivate_user(session: AsyncSession, telegram_id: int) -> AppUser:
    """Switch a deactivated user back on, with the role and area they had."""
    user = await _existing(session, telegram_id)
    if user.active:
        raise UserError(f"pengguna {telegram_id} sudah aktif")
    user.active = True
    user.updated_at = utcnow()
    await session.flush()
    return user
