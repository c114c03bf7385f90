"""The admin's invites in chat (/undangan): list the usable ones, revoke one by its button.

Only an active admin gets anything; the list and the revocation are limited to the admin's own
area in the data layer (`Scope`), so a forged button of another province's invite reveals and
changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Area, Role
from bot.repositories.invites import InviteSummary, RevokeResult, list_invites, revoke_invite
from bot.repositories.responses import load_acting_user
from bot.services.context import ServiceContext
from ikk_core.areas import display_name

__all__ = ["MAX_LISTED", "InviteLine", "admin_invites", "admin_revoke"]

MAX_LISTED = 15
"""Invites listed in one message, newest first (each has a button; the rest via the CLI)."""


@dataclass(frozen=True)
class InviteLine:
    invite: InviteSummary
    area_label: str


async def _labels(session: AsyncSession, invites: list[InviteSummary]) -> list[InviteLine]:
    lines = []
    for invite in invites:
        area = await session.get(Area, invite.area_code)
        label = display_name(area.level, area.name) if area is not None else invite.area_code
        lines.append(InviteLine(invite, label))
    return lines


async def admin_invites(ctx: ServiceContext, actor: int) -> list[InviteLine] | None:
    """The usable invites in the admin's area (newest first); None when `actor` is no admin."""

    async def work(session: AsyncSession) -> list[InviteLine] | None:
        user = await load_acting_user(session, actor)
        if user is None or user.role is not Role.ADMIN:
            return None
        invites = await list_invites(session, scope=user.scope, limit=MAX_LISTED)
        return await _labels(session, invites)

    return await ctx.read(work)


async def admin_revoke(ctx: ServiceContext, actor: int, invite_id: int) -> RevokeResult | None:
    """Revoke invite `invite_id` for the admin `actor`; None when `actor` is no admin."""

    async def work(session: AsyncSession) -> RevokeResult | None:
        user = await load_acting_user(session, actor)
        if user is None or user.role is not Role.ADMIN:
            return None
        return await revoke_invite(session, str(invite_id), scope=user.scope)

    return await ctx.write(work)
