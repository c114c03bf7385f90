"""Supervisor review of submitted families (like Kobo's validation status), scope-checked here.

A family is "belum diperiksa" until a supervisor or admin marks it "terverifikasi" or
"perlu dicek" (with a reason for the kader). Every change writes an `audit_event` row that says
who, when and old → new, and names the family only by its id: the reason text may mention
people, so it stays in `response_review` (erased with the family) and never in the audit.

Who may review is decided here, not in handlers: a supervisor or an admin, and only families
of villages inside their scope; any other family id is refused with `OutOfScope`, whether it
exists or not.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import ColumnElement, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    AppUser,
    Area,
    Family,
    Response,
    ResponseReview,
    ResponseStatus,
    ReviewStatus,
    Role,
)
from bot.db.types import utcnow
from bot.repositories.audit import record_audit
from bot.repositories.families import FamilyLabel
from bot.repositories.responses import ActingUser
from bot.repositories.scope import OutOfScope, Scope
from bot.repositories.scores import move_verified
from ikk_core.text_safety import UnsafeText, clean_typed_text

__all__ = [
    "ACTION_REVIEW",
    "REASON_MAX",
    "REASON_MIN",
    "REVIEWER_ROLES",
    "ReviewChange",
    "ReviewError",
    "ReviewItem",
    "ReviewStale",
    "Reviewer",
    "clean_reason",
    "count_for_review",
    "list_for_review",
    "load_for_review",
    "may_review",
    "reset_review",
    "reset_reviews",
    "review_states",
    "set_review",
]

ACTION_REVIEW: Final = "review_changed"
REASON_MIN: Final = 3
REASON_MAX: Final = 300
REVIEWER_ROLES: Final = frozenset({Role.SUPERVISOR, Role.ADMIN})
_SPACES = re.compile(r"\s+")


class ReviewError(ValueError):
    """A review that cannot be done as asked (message is Indonesian, user-facing)."""


class ReviewStale(Exception):
    """The family changed since the reviewer saw it: nothing was stored; show it again."""


@dataclass(frozen=True)
class Reviewer:
    """Who reviews: a chat user (`user_id`) or the operator at the command line (None), with
    the scope checked and the name written into the audit row."""

    scope: Scope
    actor: str
    user_id: int | None = None

    @classmethod
    def of(cls, user: ActingUser) -> Reviewer:
        if user.role not in REVIEWER_ROLES:
            raise OutOfScope("Hanya supervisor atau admin yang dapat memeriksa data keluarga.")
        return cls(scope=user.scope, actor=f"user:{user.id}", user_id=user.id)

    @classmethod
    def operator(cls, name: str) -> Reviewer:
        return cls(scope=Scope.everything(), actor=name)


def may_review(user: ActingUser) -> bool:
    return user.role in REVIEWER_ROLES


def clean_reason(text: str) -> str:
    """The reason as stored: safe characters, spaces collapsed, 3-300 characters."""
    try:
        cleaned = clean_typed_text(text)
    except UnsafeText:
        raise ReviewError(
            "Alasan tidak bisa dibaca. Ketik alasan dengan huruf biasa, misalnya: "
            "\"jumlah anggota keluarga tidak cocok dengan KK\"."
        ) from None
    cleaned = _SPACES.sub(" ", cleaned).strip()
    if len(cleaned) < REASON_MIN:
        raise ReviewError(
            f"Alasan terlalu pendek (minimal {REASON_MIN} huruf). Tulis apa yang perlu dicek "
            "kader, misalnya: \"RT salah\"."
        )
    if len(cleaned) > REASON_MAX:
        raise ReviewError(
            f"Alasan terlalu panjang ({len(cleaned)} huruf, paling banyak {REASON_MAX}). "
            "Persingkat lalu kirim lagi."
        )
    return cleaned


@dataclass(frozen=True)
class ReviewItem:
    """A submitted family as a reviewer sees it: who entered it, where, its review state."""

    family_id: int
    response_id: int
    family: FamilyLabel
    cadre_name: str
    status: ReviewStatus
    reason: str | None
    submitted_at: datetime | None
    instrument_id: str
    instrument_version: str
    version: int = 0
    """The response's optimistic-lock version: a verdict given on what the reviewer saw is
    refused (`ReviewStale`) once the kader has changed the family since."""


@dataclass(frozen=True)
class ReviewChange:
    """What `set_review` did: `changed` is False for a repeated (stale, double) request."""

    family_id: int
    old: ReviewStatus
    new: ReviewStatus
    changed: bool


def _query() -> Any:
    return (
        select(
            Family, Area.name, Area.level, Response.id, Response.submitted_at,
            Response.instrument_id, Response.instrument_version, AppUser.display_name,
            ResponseReview.status, ResponseReview.reason, Response.version,
        )
        .join(Response, Response.family_id == Family.id)
        .join(Area, Area.code == Family.village_code)
        .join(AppUser, AppUser.id == Response.cadre_id)
        .outerjoin(ResponseReview, ResponseReview.family_id == Family.id)
        .where(Response.status == ResponseStatus.SUBMITTED)
    )


def _item(row: Any) -> ReviewItem:
    family, name, level, rid, submitted_at, iid, iver, cadre, status, reason, version = row
    return ReviewItem(
        family_id=family.id,
        response_id=int(rid),
        family=FamilyLabel.of(family, str(name), level),
        cadre_name=str(cadre or ""),
        status=ReviewStatus(status) if status is not None else ReviewStatus.PENDING,
        reason=reason,
        submitted_at=submitted_at,
        instrument_id=str(iid),
        instrument_version=str(iver),
        version=int(version),
    )


def _period(period: int | None) -> ColumnElement[bool]:
    return true() if period is None else Family.period == period


def _waiting(status: ReviewStatus) -> ColumnElement[bool]:
    if status is ReviewStatus.PENDING:
        return or_(ResponseReview.status.is_(None), ResponseReview.status == status)
    return ResponseReview.status == status


async def list_for_review(
    session: AsyncSession,
    reviewer: Reviewer,
    *,
    period: int | None = None,
    status: ReviewStatus = ReviewStatus.PENDING,
    offset: int = 0,
    limit: int = 8,
) -> list[ReviewItem]:
    """Submitted families in the reviewer's scope with this review status (of one period, or
    of all), oldest submission first: the queue."""
    query = (
        _query()
        .where(
            reviewer.scope.filter_codes(Family.village_code),
            _period(period),
            _waiting(status),
        )
        .order_by(Response.submitted_at, Family.id)
        .offset(offset)
        .limit(limit)
    )
    return [_item(row) for row in (await session.execute(query)).all()]


async def count_for_review(
    session: AsyncSession,
    reviewer: Reviewer,
    *,
    period: int | None = None,
    status: ReviewStatus = ReviewStatus.PENDING,
) -> int:
    query = (
        select(func.count())
        .select_from(Family)
        .join(Response, Response.family_id == Family.id)
        .outerjoin(ResponseReview, ResponseReview.family_id == Family.id)
        .where(
            Response.status == ResponseStatus.SUBMITTED,
            reviewer.scope.filter_codes(Family.village_code),
            _period(period),
            _waiting(status),
        )
    )
    return int(await session.scalar(query) or 0)


async def load_for_review(
    session: AsyncSession, reviewer: Reviewer, family_id: int
) -> ReviewItem:
    """One submitted family in the reviewer's scope; `OutOfScope` for any other id (unknown,
    elsewhere, or not submitted are told apart only by the message)."""
    query = _query().where(Family.id == family_id)
    row = (await session.execute(query)).first()
    if row is None or not reviewer.scope.contains(row[0].village_code):
        raise OutOfScope("Keluarga ini tidak ada di wilayah Anda, atau belum dikirim kader.")
    return _item(row)


async def set_review(
    session: AsyncSession,
    reviewer: Reviewer,
    family_id: int,
    status: ReviewStatus,
    reason: str | None = None,
    *,
    seen_version: int | None = None,
) -> ReviewChange:
    """Give a submitted family in scope a review status (with a cleaned reason for
    "perlu dicek"), with an audit row. The same status again (and the same reason) changes
    nothing and writes no audit row, so a double tap is harmless. With `seen_version` (what
    the reviewer's card showed) a family changed since is refused with `ReviewStale`."""
    if status is ReviewStatus.NEEDS_CHECK:
        if reason is None:
            raise ReviewError("Tulis alasan mengapa data keluarga ini perlu dicek.")
        reason = clean_reason(reason)
    else:
        reason = None
    item = await load_for_review(session, reviewer, family_id)
    if seen_version is not None and seen_version != item.version:
        raise ReviewStale(family_id)
    old = item.status
    if old is status and item.reason == reason:
        return ReviewChange(family_id, old, status, changed=False)
    found = await session.get(ResponseReview, family_id)
    if found is None:
        found = ResponseReview(family_id=family_id, status=status)
        session.add(found)
    found.status = status
    found.reason = reason
    found.reviewed_by = reviewer.user_id
    found.reviewed_at = utcnow()
    await session.flush()
    if (old is ReviewStatus.VERIFIED) != (status is ReviewStatus.VERIFIED):
        await move_verified(session, family_id, +1 if status is ReviewStatus.VERIFIED else -1)
    await record_audit(
        session, ACTION_REVIEW, reviewer.actor, area_code=item.family.village_code,
        period=item.family.period, family_id=family_id, reason=f"{old.value} → {status.value}",
    )
    return ReviewChange(family_id, old, status, changed=True)


async def reset_review(
    session: AsyncSession, family_id: int, actor: str, *, by: str = "kader"
) -> ReviewStatus | None:
    """Back to "belum diperiksa" after the kader changed the family (the supervisor must see
    it again); returns the status it had, or None when it was not reviewed (no audit row)."""
    found = await session.get(ResponseReview, family_id)
    if found is None or found.status is ReviewStatus.PENDING:
        return None
    old = found.status
    found.status = ReviewStatus.PENDING
    found.reviewed_at = utcnow()
    await session.flush()
    if old is ReviewStatus.VERIFIED:  # its current scores leave the verified counts
        await move_verified(session, family_id, -1)
    family = await session.get(Family, family_id)
    await record_audit(
        session, ACTION_REVIEW, actor,
        area_code=family.village_code if family is not None else None,
        period=int(family.period) if family is not None else None,
        family_id=family_id, reason=f"{old.value} → {ReviewStatus.PENDING.value} (diubah {by})",
    )
    return old


async def reset_reviews(
    session: AsyncSession, family_ids: Sequence[int], actor: str, *, by: str = "impor"
) -> int:
    """`reset_review` for many families (an import that changed them); how many were reset.
    One query finds the few that were reviewed at all."""
    if not family_ids:
        return 0
    reviewed = await session.scalars(
        select(ResponseReview.family_id).where(
            ResponseReview.family_id.in_(list(family_ids)),
            ResponseReview.status != ReviewStatus.PENDING,
        )
    )
    done = 0
    for family_id in reviewed.all():
        done += await reset_review(session, family_id, actor, by=by) is not None
    return done


async def review_states(
    session: AsyncSession, family_ids: Sequence[int]
) -> dict[int, tuple[ReviewStatus, str | None]]:
    """The review state of these families (those without a row are "belum")."""
    if not family_ids:
        return {}
    rows = await session.execute(
        select(ResponseReview.family_id, ResponseReview.status, ResponseReview.reason).where(
            ResponseReview.family_id.in_(list(family_ids))
        )
    )
    return {fid: (status, reason) for fid, status, reason in rows.all()}
