"""Invites: create an unguessable code bound to a role and area, and redeem it exactly once.

Only a SHA-256 of the code is stored. Redeeming is one transaction whose use is claimed with a
conditional ``UPDATE ... SET uses = uses + 1 WHERE uses < max_uses AND expires_at > now``: the
database, not the Python code, decides who gets the last use, so two people racing for a
single-use invite cannot both win (and a CHECK keeps `uses <= max_uses` besides).

The admin lists invites (never their codes: only a prefix of the hash is shown) and revokes one
that went to the wrong person. A pejabat or admin who opens an invite of her own role for
another area is asked first (`AREA_CHANGE`): nothing is used or changed until she confirms.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import SessionFactory, run_in_transaction
from bot.db.models import AppUser, Invite, InviteUse, Role, UserArea
from bot.db.types import utcnow
from bot.repositories.scope import OutOfScope, Scope, scope_for_user
from bot.repositories.users import (
    UserError,
    check_area_for_role,
    get_user,
    get_user_by_telegram_id,
)

__all__ = [
    "INVITE_PREFIX",
    "CreatedInvite",
    "InviteSummary",
    "RedeemOutcome",
    "RedeemResult",
    "RevokeResult",
    "create_invite",
    "hash_invite_code",
    "invite_link",
    "is_well_formed_code",
    "list_invites",
    "parse_duration",
    "redeem_invite",
    "revoke_invite",
]

INVITE_PREFIX = "inv_"
_CODE_RE = re.compile(r"^inv_[A-Za-z0-9_-]{16,60}$")  # ≤ 64 chars: a valid /start payload
_TOKEN_BYTES = 16  # 128 bits → 22 base64url characters

# Which roles a user of each role may invite (the CLI operator may invite anyone).
_MAY_INVITE: dict[Role, frozenset[Role]] = {
    Role.ADMIN: frozenset(Role),
    Role.PEJABAT: frozenset({Role.PEJABAT, Role.KADER}),
    Role.KADER: frozenset(),
    Role.SUPERVISOR: frozenset(),
}


class RedeemOutcome(StrEnum):
    OK = "ok"
    UNKNOWN = "unknown"
    USED_UP = "used_up"
    EXPIRED = "expired"
    MALFORMED = "malformed"
    ROLE_CONFLICT = "role_conflict"
    """The person is already registered, active, with another role: an invite does not change
    roles (an admin tapping a kader link must not demote themselves)."""
    REVOKED = "revoked"
    AREA_CHANGE = "area_change"
    """An active pejabat/admin opened an invite of her role for another area: she must confirm
    (`confirm_area_change`) before her area moves; nothing was used or changed yet."""


@dataclass(frozen=True)
class RedeemResult:
    outcome: RedeemOutcome
    user_id: int | None = None
    role: Role | None = None
    area_code: str | None = None
    already_redeemed: bool = False
    """True when this person had already used this invite (a second tap on the link)."""
    new_area_code: str | None = None
    """For `AREA_CHANGE`: the invite's area (`area_code` is still the current one)."""

    @property
    def ok(self) -> bool:
        return self.outcome is RedeemOutcome.OK


@dataclass(frozen=True)
class CreatedInvite:
    code: str
    """The plain code: shown once, never stored."""
    invite_id: int
    role: Role
    area_code: str
    max_uses: int
    expires_at: datetime


def hash_invite_code(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def is_well_formed_code(code: str) -> bool:
    """True for something that could be one of our codes (prefix, length, alphabet)."""
    return bool(_CODE_RE.match(code))


def invite_link(bot_username: str, code: str) -> str:
    """The deep link that opens the bot with the code as /start payload."""
    return f"https://t.me/{bot_username.lstrip('@')}?start={code}"


_DURATION_RE = re.compile(r"^\s*(\d+)\s*([dhm]|hari|jam|menit)?\s*$", re.IGNORECASE)
_DURATION_UNITS = {
    "d": "days", "hari": "days", "h": "hours", "jam": "hours", "m": "minutes", "menit": "minutes"
}


def parse_duration(text: str) -> timedelta:
    """"7d", "12h", "30m" (or "7 hari", "12 jam"); a bare number means days."""
    match = _DURATION_RE.match(text)
    if not match or int(match.group(1)) <= 0:
        raise ValueError(f"durasi tidak dikenal: {text!r} (contoh: 7d, 12h, 30m)")
    unit = _DURATION_UNITS[(match.group(2) or "d").lower()]
    return timedelta(**{unit: int(match.group(1))})


async def create_invite(
    session: AsyncSession,
    *,
    role: Role,
    area_code: str,
    scope: Scope,
    uses: int = 1,
    ttl: timedelta = timedelta(days=7),
    created_by: int | None = None,
    now: datetime | None = None,
) -> CreatedInvite:
    """Create an invite in the caller's transaction and return its plain code.

    The area must be in the inviter's `scope` and fit the role (a kader invite names a
    village); a pejabat may invite kader and pejabat, an admin anyone, a kader no one.
    """
    if uses < 1:
        raise UserError("jumlah pemakaian undangan minimal 1")
    if ttl <= timedelta(0):
        raise UserError("masa berlaku undangan harus positif")
    if not scope.contains(area_code):
        raise OutOfScope(f"wilayah {area_code} di luar wilayah Anda")
    if created_by is not None:
        inviter = await get_user(session, created_by)
        if inviter is None or not inviter.active:
            raise UserError("pengundang tidak terdaftar atau tidak aktif")
        if role not in _MAY_INVITE[inviter.role]:
            raise UserError(f"{inviter.role.value} tidak boleh mengundang {role.value}")
        if not (await scope_for_user(session, inviter)).contains(area_code):
            raise OutOfScope(f"wilayah {area_code} di luar wilayah Anda")
    await check_area_for_role(session, role, area_code)
    moment = now or utcnow()
    code = INVITE_PREFIX + secrets.token_urlsafe(_TOKEN_BYTES)
    invite = Invite(
        code_hash=hash_invite_code(code),
        role=role,
        area_code=area_code,
        max_uses=uses,
        uses=0,
        expires_at=moment + ttl,
        created_by=created_by,
        created_at=moment,
    )
    session.add(invite)
    await session.flush()
    return CreatedInvite(
        code=code,
        invite_id=invite.id,
        role=role,
        area_code=area_code,
        max_uses=uses,
        expires_at=invite.expires_at,
    )


def _unusable(invite: Invite, now: datetime) -> RedeemOutcome | None:
    """Why an invite can no longer register anyone, or None while it can."""
    if invite.revoked_at is not None:
        return RedeemOutcome.REVOKED
    if invite.expires_at <= now:
        return RedeemOutcome.EXPIRED
    if invite.uses >= invite.max_uses:
        return RedeemOutcome.USED_UP
    return None


async def _redeem_in(
    session: AsyncSession, code: str, telegram_id: int, display_name: str, now: datetime,
    confirm_area_change: bool = False,
) -> RedeemResult:
    invite = (
        await session.scalars(select(Invite).where(Invite.code_hash == hash_invite_code(code)))
    ).one_or_none()
    if invite is None:
        return RedeemResult(RedeemOutcome.UNKNOWN)

    user = await get_user_by_telegram_id(session, telegram_id)
    if user is not None:
        used_before = await session.scalar(
            select(InviteUse.id).where(
                InviteUse.invite_id == invite.id, InviteUse.user_id == user.id
            )
        )
        if used_before is not None:
            return RedeemResult(
                RedeemOutcome.OK, user.id, user.role, user.area_code, already_redeemed=True
            )
        if user.active and user.role is not invite.role:
            return RedeemResult(RedeemOutcome.ROLE_CONFLICT, user.id, user.role, user.area_code)
        if (user.active and user.role is not Role.KADER and user.area_code != invite.area_code
                and not confirm_area_change):
            dead = _unusable(invite, now)  # a dead invite is refused, not asked about
            if dead is not None:
                return RedeemResult(dead)
            return RedeemResult(RedeemOutcome.AREA_CHANGE, user.id, user.role, user.area_code,
                                new_area_code=invite.area_code)

    claimed = await session.execute(
        update(Invite)
        .where(Invite.id == invite.id, Invite.uses < Invite.max_uses, Invite.expires_at > now,
               Invite.revoked_at.is_(None))
        .values(uses=Invite.uses + 1)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return RedeemResult(_unusable(invite, now) or RedeemOutcome.USED_UP)

    name = display_name.strip()[:128]
    if user is None:
        user = AppUser(
            telegram_id=telegram_id,
            display_name=name,
            role=invite.role,
            area_code=invite.area_code,
            active=True,
            reachable=True,
        )
        session.add(user)
        await session.flush()
    else:
        if not user.active:
            # Coming back after deactivation is a fresh start: old villages are not restored.
            await session.execute(delete(UserArea).where(UserArea.user_id == user.id))
        if not user.active or user.role is not Role.KADER:
            user.area_code = invite.area_code
        user.role = invite.role
        user.active = True
        user.reachable = True
        if name:
            user.display_name = name
    if invite.role is Role.KADER and await session.get(
        UserArea, (user.id, invite.area_code)
    ) is None:
        session.add(UserArea(user_id=user.id, area_code=invite.area_code))
    session.add(InviteUse(invite_id=invite.id, user_id=user.id, used_at=now))
    await session.flush()
    return RedeemResult(RedeemOutcome.OK, user.id, user.role, user.area_code)


async def redeem_invite(
    session_factory: SessionFactory,
    code: str,
    telegram_id: int,
    display_name: str,
    *,
    now: datetime | None = None,
    confirm_area_change: bool = False,
) -> RedeemResult:
    """Redeem `code` for the Telegram user in one transaction (committed when this returns).

    An active pejabat/admin whose area would change gets `AREA_CHANGE` back (nothing stored)
    unless `confirm_area_change` says she agreed.

    Registers the person (or re-activates them), gives a kader the invite's village, and
    records the use. Lock and serialization conflicts are retried; a lost race for the same
    new account (two taps processed at once) is retried once and then sees the account.
    """
    if not is_well_formed_code(code):
        return RedeemResult(RedeemOutcome.MALFORMED)
    moment = now or utcnow()

    async def unit(session: AsyncSession) -> RedeemResult:
        return await _redeem_in(session, code, telegram_id, display_name, moment,
                                confirm_area_change)

    try:
        return await run_in_transaction(session_factory, unit)
    except IntegrityError:
        return await run_in_transaction(session_factory, unit)


# ------------------------------------------------------------------ the admin's invite list


@dataclass(frozen=True)
class InviteSummary:
    """One invite as the admin sees it: never the code, only the start of its hash."""

    id: int
    hash_prefix: str
    role: Role
    area_code: str
    uses: int
    max_uses: int
    expires_at: datetime
    revoked_at: datetime | None
    created_at: datetime
    status: str
    """"aktif", "terpakai", "kedaluwarsa" or "dicabut"."""

    @property
    def usable(self) -> bool:
        return self.status == "aktif"


_STATUS_WORDS = {
    None: "aktif",
    RedeemOutcome.REVOKED: "dicabut",
    RedeemOutcome.EXPIRED: "kedaluwarsa",
    RedeemOutcome.USED_UP: "terpakai",
}


def _summary(invite: Invite, now: datetime) -> InviteSummary:
    return InviteSummary(
        id=invite.id,
        hash_prefix=invite.code_hash[:8],
        role=invite.role,
        area_code=invite.area_code,
        uses=invite.uses,
        max_uses=invite.max_uses,
        expires_at=invite.expires_at,
        revoked_at=invite.revoked_at,
        created_at=invite.created_at,
        status=_STATUS_WORDS[_unusable(invite, now)],
    )


async def list_invites(
    session: AsyncSession, *, include_all: bool = False, scope: Scope | None = None,
    now: datetime | None = None, limit: int | None = None,
) -> list[InviteSummary]:
    """Invites newest first: the usable ones, or with `include_all` every invite ever made;
    only those for areas in `scope` when one is given."""
    moment = now or utcnow()
    query = select(Invite).order_by(Invite.id.desc()).limit(limit)
    if scope is not None:
        query = query.where(scope.filter_codes(Invite.area_code))
    if not include_all:
        query = query.where(Invite.revoked_at.is_(None), Invite.expires_at > moment,
                            Invite.uses < Invite.max_uses)
    invites = (await session.scalars(query)).all()
    return [_summary(invite, moment) for invite in invites]


@dataclass(frozen=True)
class RevokeResult:
    """`invite` None: nothing matched; `already` True: it had been revoked before."""

    invite: InviteSummary | None
    already: bool = False


async def revoke_invite(
    session: AsyncSession, code_or_id: str, *, scope: Scope | None = None,
    now: datetime | None = None,
) -> RevokeResult:
    """Revoke an invite named by its number (as `list_invites` shows it), its code, or its
    link; a revoked invite registers no one. Revoking twice changes nothing. An invite outside
    `scope` (when given) is treated as unknown."""
    moment = now or utcnow()
    text = code_or_id.strip()
    if "start=" in text:
        text = text.split("start=", 1)[1].split("&", 1)[0]
    if text.isdigit():
        query = select(Invite).where(Invite.id == int(text))
    elif is_well_formed_code(text):
        query = select(Invite).where(Invite.code_hash == hash_invite_code(text))
    else:
        return RevokeResult(None)
    invite = (await session.scalars(query.with_for_update())).one_or_none()
    if invite is None or (scope is not None and not scope.contains(invite.area_code)):
        return RevokeResult(None)
    if invite.revoked_at is not None:
        return RevokeResult(_summary(invite, moment), already=True)
    invite.revoked_at = moment
    await session.flush()
    return RevokeResult(_summary(invite, moment))
