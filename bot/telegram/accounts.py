"""Who is writing: the registered person behind a Telegram id, as the greeting needs it.

Read-only and small: one transaction, a deferred BEGIN on SQLite so it never waits for the
write lock. An inactive account counts as unknown (they see the access message until a new
invite re-activates them).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import READ_ONLY, SessionFactory
from bot.db.models import AppUser, Area, Role, UserArea
from bot.repositories.invites import RedeemOutcome, redeem_invite
from bot.repositories.users import get_user_by_telegram_id
from ikk_core.areas import display_name

__all__ = ["AreaChange", "Profile", "StartResult", "area_label", "load_profile", "start"]


@dataclass(frozen=True)
class Profile:
    """A registered, active user; `areas` are display names ("Desa Sampanahan") of their
    villages (kader) or of their area (pejabat, admin)."""

    user_id: int
    telegram_id: int
    role: Role
    display_name: str
    areas: tuple[str, ...]
    area_codes: tuple[str, ...]

    @property
    def is_kader(self) -> bool:
        return self.role is Role.KADER


async def _areas(session: AsyncSession, user: AppUser) -> list[tuple[str, str]]:
    """(code, display name) of a kader's villages in code order, or of an official's area."""
    if user.role is Role.KADER:
        query = (
            select(Area.code, Area.level, Area.name)
            .join(UserArea, UserArea.area_code == Area.code)
            .where(UserArea.user_id == user.id)
            .order_by(Area.code)
        )
    else:
        query = select(Area.code, Area.level, Area.name).where(Area.code == user.area_code)
    rows = (await session.execute(query)).all()
    return [(code, display_name(level, name)) for code, level, name in rows]


async def load_profile(session_factory: SessionFactory, telegram_id: int) -> Profile | None:
    """The active user with this Telegram id, or None for a stranger or a deactivated user."""
    async with session_factory() as session:
        await session.connection(execution_options=READ_ONLY)
        user = await get_user_by_telegram_id(session, telegram_id)
        if user is None or not user.active:
            return None
        areas = await _areas(session, user)
        return Profile(
            user_id=user.id,
            telegram_id=user.telegram_id,
            role=user.role,
            display_name=user.display_name,
            areas=tuple(name for _, name in areas),
            area_codes=tuple(code for code, _ in areas),
        )


async def area_label(session_factory: SessionFactory, code: str) -> str:
    """An area's display name ("Kabupaten Kotabaru"), or its code if it is unknown."""
    async with session_factory() as session:
        await session.connection(execution_options=READ_ONLY)
        area = await session.get(Area, code)
    return display_name(area.level, area.name) if area is not None else code


@dataclass(frozen=True)
class AreaChange:
    """The question an official gets before an invite moves her: from where, to where."""

    code: str
    current: str
    new: str


@dataclass(frozen=True)
class StartResult:
    """What /start did: `outcome` of the invite (None without a code) and who they are now."""

    outcome: RedeemOutcome | None
    profile: Profile | None
    already_redeemed: bool = False
    area_change: AreaChange | None = None
    """Set with `RedeemOutcome.AREA_CHANGE`: nothing changed yet, ask first."""


async def start(
    session_factory: SessionFactory, telegram_id: int, display_name: str, code: str | None,
    *, confirm_area_change: bool = False,
) -> StartResult:
    """/start: redeem the invite `code` if one came with the link, then load the profile.

    `confirm_area_change` is the official's "Ya" to the area-change question."""
    if code is None:
        return StartResult(None, await load_profile(session_factory, telegram_id))
    redeemed = await redeem_invite(session_factory, code, telegram_id, display_name,
                                   confirm_area_change=confirm_area_change)
    change = None
    if redeemed.outcome is RedeemOutcome.AREA_CHANGE:
        change = AreaChange(
            code,
            await area_label(session_factory, redeemed.area_code or ""),
            await area_label(session_factory, redeemed.new_area_code or ""),
        )
    return StartResult(
        redeemed.outcome,
        await load_profile(session_factory, telegram_id),
        already_redeemed=redeemed.already_redeemed,
        area_change=change,
    )
