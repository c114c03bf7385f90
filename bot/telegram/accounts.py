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

__all__ = ["Profile", "StartResult", "load_profile", "start"]


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


@dataclass(frozen=True)
class StartResult:
    """What /start did: `outcome` of the invite (None without a code) and who they are now."""

    outcome: RedeemOutcome | None
    profile: Profile | None
    already_redeemed: bool = False


async def start(
    session_factory: SessionFactory, telegram_id: int, display_name: str, code: str | None
) -> StartResult:
    """/start: redeem the invite `code` if one came with the link, then load the profile."""
    if code is None:
        return StartResult(None, await load_profile(session_factory, telegram_id))
    redeemed = await redeem_invite(session_factory, code, telegram_id, display_name)
    return StartResult(
        redeemed.outcome,
        await load_profile(session_factory, telegram_id),
        already_redeemed=redeemed.already_redeemed,
    )
