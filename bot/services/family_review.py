"""Supervisor review as services: the queue, one family's answers, and the verdict.

Each call is one transaction; the scope and role checks are in `bot.repositories.reviews`.
A supervisor sees a family's answers except the sensitive ones (instrument `sensitive` flag,
UU PDP): those are counted, not shown. An admin sees everything, as with /keluarga.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import ReviewStatus, Role
from bot.repositories.responses import load_acting_user, load_answers, typed_answers
from bot.repositories.reviews import (
    ReviewChange,
    Reviewer,
    ReviewItem,
    count_for_review,
    list_for_review,
    load_for_review,
    set_review,
)
from bot.repositories.scope import OutOfScope
from bot.services.context import ServiceContext
from conversations.review import review

__all__ = [
    "PAGE_SIZE",
    "AnswerLine",
    "FamilyForReview",
    "ReviewPage",
    "mark_family",
    "operator_mark_family",
    "review_page",
    "show_family",
]

PAGE_SIZE: Final = 8


@dataclass(frozen=True)
class ReviewPage:
    """One page of the families waiting for review (`total` of them in all)."""

    items: tuple[ReviewItem, ...]
    total: int
    page: int
    period: int | None

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


@dataclass(frozen=True)
class AnswerLine:
    label: str
    value: str


@dataclass(frozen=True)
class FamilyForReview:
    """A family's answers as its reviewer may see them; `hidden` sensitive answers left out."""

    item: ReviewItem
    answers: tuple[AnswerLine, ...]
    hidden: int


async def _reviewer(session: AsyncSession, user_id: int) -> tuple[Reviewer, Role]:
    user = await load_acting_user(session, user_id)
    if user is None:
        raise OutOfScope("Akun Anda tidak aktif.")
    return Reviewer.of(user), user.role


async def review_page(
    ctx: ServiceContext, user_id: int, page: int = 0, period: int | None = None
) -> ReviewPage:
    """Page `page` (0-based) of the submitted families in scope still "belum diperiksa"
    (of every period unless one is named)."""
    survey_period = period

    async def work(session: AsyncSession) -> ReviewPage:
        reviewer, _ = await _reviewer(session, user_id)
        total = await count_for_review(session, reviewer, period=survey_period)
        last = max(0, -(-total // PAGE_SIZE) - 1)
        shown = min(max(page, 0), last)
        items = await list_for_review(
            session, reviewer, period=survey_period, offset=shown * PAGE_SIZE, limit=PAGE_SIZE
        )
        return ReviewPage(tuple(items), total, shown, survey_period)

    return await ctx.read(work)


async def show_family(ctx: ServiceContext, user_id: int, family_id: int) -> FamilyForReview:
    """A family's answers for its reviewer (`OutOfScope` outside her scope)."""
    instrument = ctx.instrument

    async def work(session: AsyncSession) -> FamilyForReview:
        reviewer, role = await _reviewer(session, user_id)
        item = await load_for_review(session, reviewer, family_id)
        stored = await load_answers(session, item.response_id)
        card = review(instrument, typed_answers(instrument, stored))
        secret = instrument.sensitive_names() if role is not Role.ADMIN else frozenset()
        lines = tuple(
            AnswerLine(i.label, i.value) for i in card.items if i.question not in secret
        )
        return FamilyForReview(item, lines, hidden=len(card.items) - len(lines))

    return await ctx.read(work)


async def mark_family(
    ctx: ServiceContext,
    user_id: int,
    family_id: int,
    status: ReviewStatus,
    reason: str | None = None,
    *,
    seen_version: int | None = None,
) -> ReviewChange:
    """A reviewer's verdict on a family (`ReviewError` for a bad reason, `OutOfScope`,
    `ReviewStale` when the family changed since `seen_version` was shown)."""

    async def work(session: AsyncSession) -> ReviewChange:
        reviewer, _ = await _reviewer(session, user_id)
        return await set_review(session, reviewer, family_id, status, reason,
                                seen_version=seen_version)

    return await ctx.write(work)


async def operator_mark_family(
    ctx: ServiceContext,
    family_id: int,
    status: ReviewStatus,
    reason: str | None = None,
    *,
    actor: str,
) -> ReviewChange:
    """The same verdict from the command line (the operator has the whole database)."""

    async def work(session: AsyncSession) -> ReviewChange:
        return await set_review(session, Reviewer.operator(actor), family_id, status, reason)

    return await ctx.write(work)
