"""Families of a cadre: start one, find her drafts again, list the period's families.

Drafts never expire. Starting a family in a village where the cadre already has an untouched
draft (no answer yet) reopens that draft instead of piling up empty ones when /survei is sent
twice. The duplicate-family question is raised by `answering.record_answer` when the head's
name and RT are known; its two answers are `open_existing_family` (the new draft is deleted)
and `confirm_distinct_family` (nothing to store: the check runs only when the name or RT
changes, so it is not asked again).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Family, ResponseStatus, ReviewStatus
from bot.repositories.families import FamilyLabel, create_family
from bot.repositories.responses import (
    ResponseRow,
    bump_version,
    claim_update,
    load_acting_user,
    load_answers,
    load_answers_of,
    load_own_response,
    load_response,
    own_responses,
    typed_answers,
    visible_responses,
)
from bot.repositories.reviews import review_states
from bot.services import messages
from bot.services.answering import current_position
from bot.services.context import Actor, ServiceContext, actor_id
from bot.services.flow import Step, finish, open_response
from bot.services.outcomes import Outcome, Position, ScoreSummary, build_position, score_summary
from conversations.navigation import total_bound, total_is_exact, walk

__all__ = [
    "DraftSummary",
    "FamilySummary",
    "active_draft",
    "confirm_distinct_family",
    "discard_draft",
    "list_drafts",
    "list_families",
    "open_draft",
    "open_existing_family",
    "start_family",
]


async def start_family(
    ctx: ServiceContext,
    actor: Actor | int,
    village_code: str,
    period: int | None = None,
    update_id: int | None = None,
) -> Outcome:
    """A new family in one of the cadre's villages ("started", positioned at the first question).

    Only a kader starts families, only in her villages ("not_found" otherwise). A redelivered
    update ("already_processed") carries the cadre's most recent draft, so the bot can show it.
    """
    survey_period = period if period is not None else ctx.current_period()
    instrument = ctx.instrument

    async def work(session: AsyncSession) -> Step:
        user = await load_acting_user(session, actor_id(actor))
        if user is None or not user.is_kader or not user.scope.contains(village_code):
            return Step("not_found", message=messages.NOT_A_KADER_VILLAGE)
        lang = user.language
        if update_id is not None and not await claim_update(session, update_id, user.telegram_id):
            latest = await own_responses(session, user, status=ResponseStatus.DRAFT, limit=1)
            if not latest:
                return Step("already_processed", lang=lang)
            return Step("already_processed", latest[0], await load_answers(session, latest[0].id),
                        lang)
        drafts = [
            d
            for d in await own_responses(
                session, user, status=ResponseStatus.DRAFT, period=survey_period
            )
            if d.family.village_code == village_code and not d.ever_submitted
        ]
        answered = await load_answers_of(session, [d.id for d in drafts])
        for draft in drafts:
            if not answered[draft.id] and await bump_version(session, draft.id, draft.version):
                return Step("started", dataclasses.replace(draft, version=draft.version + 1),
                            {}, lang)
        response = await create_family(
            session,
            village_code=village_code,
            period=survey_period,
            cadre_id=user.id,
            instrument_id=instrument.id,
            instrument_version=instrument.version,
        )
        row = await load_response(session, user, response.id)
        return Step("started", row, {}, lang)

    return finish(ctx, await ctx.write(work))


async def open_draft(ctx: ServiceContext, actor: Actor | int, response_id: int) -> Outcome:
    """Open one of the cadre's responses (from /lanjut or /keluarga) where it stands."""
    return await current_position(ctx, actor, response_id)


async def confirm_distinct_family(
    ctx: ServiceContext, actor: Actor | int, response_id: int
) -> Outcome:
    """"Lanjut sebagai keluarga lain": keep the new family and carry on where it stands.

    Nothing is stored: the duplicate check runs only when the name or RT is changed, so the
    question does not come back for this family.
    """
    return await current_position(ctx, actor, response_id)


async def open_existing_family(
    ctx: ServiceContext,
    actor: Actor | int,
    response_id: int,
    existing_response_id: int,
    update_id: int | None = None,
) -> Outcome:
    """"Buka data yang ada": delete the new draft and show the existing family instead.

    Only the cadre's own existing family can be opened ("not_found" otherwise, and the new
    draft is kept); a draft that was ever submitted is never deleted.
    """

    async def work(session: AsyncSession) -> Step:
        opened = await open_response(session, actor, response_id, update_id)
        if isinstance(opened, Step):
            return opened
        lang = opened.user.language
        found = await load_own_response(session, opened.user.id, existing_response_id)
        if found is None:
            return Step("not_found", opened.row, opened.stored, lang, message=messages.NOT_FOUND)
        _, existing, stored = found
        notices: tuple[str, ...] = ()
        if existing.id != opened.row.id and _discardable(opened.row):
            await session.execute(delete(Family).where(Family.id == opened.row.family.family_id))
            notices = (messages.DISCARDED,)
        return Step("shown", existing, stored, lang, notices=notices)

    return finish(ctx, await ctx.write(work))


def _discardable(row: ResponseRow) -> bool:
    return row.status is ResponseStatus.DRAFT and not row.ever_submitted


async def discard_draft(
    ctx: ServiceContext, actor: Actor | int, response_id: int, update_id: int | None = None
) -> Outcome:
    """Delete a draft that was never submitted, with its family and answers."""

    async def work(session: AsyncSession) -> Step:
        opened = await open_response(session, actor, response_id, update_id)
        if isinstance(opened, Step):
            return opened
        lang = opened.user.language
        if not _discardable(opened.row):
            return Step("not_editable", opened.row, opened.stored, lang,
                        message=messages.NOT_DISCARDABLE)
        await session.execute(delete(Family).where(Family.id == opened.row.family.family_id))
        return Step("discarded", lang=lang, message=messages.DISCARDED)

    return finish(ctx, await ctx.write(work))


@dataclass(frozen=True)
class DraftSummary:
    """One line of /lanjut: which family, how far: answered of `total`, the M of the progress
    line "Pertanyaan N dari M" (the most it may be asked while `total_exact` is False)."""

    response_id: int
    version: int
    family: FamilyLabel
    answered: int
    total: int
    updated_at: datetime
    reopened: bool
    """Submitted once, then reopened by a change that asked new questions."""
    total_exact: bool = True


async def list_drafts(ctx: ServiceContext, actor: Actor | int) -> list[DraftSummary]:
    """The cadre's drafts (any period), most recently touched first."""

    async def work(session: AsyncSession) -> list[DraftSummary]:
        user = await load_acting_user(session, actor_id(actor))
        if user is None:
            return []
        drafts = await own_responses(session, user, status=ResponseStatus.DRAFT)
        stored = await load_answers_of(session, [d.id for d in drafts])
        out = []
        for draft in drafts:
            state = walk(ctx.instrument, typed_answers(ctx.instrument, stored[draft.id]))
            out.append(
                DraftSummary(
                    response_id=draft.id,
                    version=draft.version,
                    family=draft.family,
                    answered=len(state.answered),
                    total=total_bound(ctx.instrument, state),
                    updated_at=draft.updated_at,
                    reopened=draft.ever_submitted,
                    total_exact=total_is_exact(ctx.instrument, state),
                )
            )
        return out

    return await ctx.read(work)


async def active_draft(ctx: ServiceContext, actor: Actor | int) -> Position | None:
    """The cadre's most recently touched draft where it stands, so any message brings back the
    question she was at; None when she has no draft."""

    async def work(session: AsyncSession) -> Step | None:
        user = await load_acting_user(session, actor_id(actor))
        if user is None:
            return None
        latest = await own_responses(session, user, status=ResponseStatus.DRAFT, limit=1)
        if not latest:
            return None
        return Step("shown", latest[0], await load_answers(session, latest[0].id), user.language)

    step = await ctx.read(work)
    if step is None or step.row is None:
        return None
    return build_position(ctx.instrument, step.row, step.stored, lang=step.lang)


@dataclass(frozen=True)
class FamilySummary:
    """One line of /keluarga: a family of the period, submitted or draft, with its score."""

    response_id: int
    version: int
    family: FamilyLabel
    status: ResponseStatus
    score: ScoreSummary | None
    cadre_id: int
    cadre_name: str
    updated_at: datetime
    submitted_at: datetime | None
    review: ReviewStatus = ReviewStatus.PENDING
    """The supervisor's verdict ("perlu dicek" comes with `review_reason` for the kader)."""
    review_reason: str | None = None


async def list_families(
    ctx: ServiceContext, actor: Actor | int, period: int | None = None, *, limit: int = 200
) -> list[FamilySummary]:
    """Families of the period (default: this year): a kader's own; an official's in scope."""
    survey_period = period if period is not None else ctx.current_period()

    async def work(session: AsyncSession) -> list[FamilySummary]:
        user = await load_acting_user(session, actor_id(actor))
        if user is None:
            return []
        rows = await visible_responses(session, user, period=survey_period, limit=limit)
        reviews = await review_states(session, [row.family.family_id for row, _ in rows])
        return [
            FamilySummary(
                response_id=row.id,
                version=row.version,
                family=row.family,
                status=row.status,
                score=(
                    score_summary(ctx.instrument, row.score_pct, row.band)
                    if row.status is ResponseStatus.SUBMITTED
                    else None
                ),
                cadre_id=row.cadre_id,
                cadre_name=cadre,
                updated_at=row.updated_at,
                submitted_at=row.submitted_at,
                review=reviews.get(row.family.family_id, (ReviewStatus.PENDING, None))[0],
                review_reason=reviews.get(row.family.family_id, (ReviewStatus.PENDING, None))[1],
            )
            for row, cadre in rows
        ]

    return await ctx.read(work)
