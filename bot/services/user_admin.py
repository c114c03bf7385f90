"""The admin's people in chat (/pengguna): list the users of her area, switch one off or on.

Switching off is what UU PDP housekeeping needs most often (a kader leaves the programme and
must stop seeing families); role and area changes stay at the command line, where they are
typed with codes. Only an active admin gets anything, only for users in her area (the data
layer checks it), and never for herself (she could lock herself out).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import AppUser, Role
from bot.db.types import utcnow
from bot.repositories.responses import load_acting_user
from bot.repositories.users import UserSummary, list_users, user_villages
from bot.services.context import ServiceContext

__all__ = ["MAX_LISTED", "Toggle", "ToggleResult", "admin_users", "set_active"]

MAX_LISTED = 20
"""People listed in one message (each has a button); `ikk-bot users list` shows everyone."""


class ToggleResult(StrEnum):
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    NOT_FOUND = "not_found"
    SELF = "self"
    FORBIDDEN = "forbidden"


@dataclass(frozen=True)
class Toggle:
    result: ToggleResult
    name: str = ""
    active: bool = False
    telegram_id: int | None = None


async def admin_users(ctx: ServiceContext, actor: int) -> list[UserSummary] | None:
    """Users of the admin's area, kader first (at most `MAX_LISTED`); None for a non-admin."""

    async def work(session: AsyncSession) -> list[UserSummary] | None:
        user = await load_acting_user(session, actor)
        if user is None or user.role is not Role.ADMIN:
            return None
        people = await list_users(session, user.scope)
        return [p for p in people if p.id != actor][:MAX_LISTED]

    return await ctx.read(work)


async def set_active(ctx: ServiceContext, actor: int, user_id: int, active: bool) -> Toggle:
    """Switch user `user_id` on or off for the admin `actor`, if the user is in her area."""

    async def work(session: AsyncSession) -> Toggle:
        admin = await load_acting_user(session, actor)
        if admin is None or admin.role is not Role.ADMIN:
            return Toggle(ToggleResult.FORBIDDEN)
        if user_id == actor:
            return Toggle(ToggleResult.SELF)
        target = await session.get(AppUser, user_id)
        if target is None:
            return Toggle(ToggleResult.NOT_FOUND)
        # In her area by the user's own area, or (a kader) by any of her villages.
        codes = {target.area_code, *await user_villages(session, target.id)}
        if not any(admin.scope.contains(code) for code in codes):
            return Toggle(ToggleResult.NOT_FOUND)
        name = target.display_name or str(target.telegram_id)
        if target.active == active:
            return Toggle(ToggleResult.UNCHANGED, name, active, target.telegram_id)
        await session.execute(
            update(AppUser).where(AppUser.id == user_id).values(active=active, updated_at=utcnow())
        )
        return Toggle(ToggleResult.CHANGED, name, active, target.telegram_id)

    return await ctx.write(work)
