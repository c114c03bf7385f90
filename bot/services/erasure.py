"""Right to erasure (UU PDP): one family's data removed for good, on the admin's request.

Only what describes the family goes: its answers, the audit trail of changed answers (it holds
old values), its indicator scores, its supervisor review (with its reason), its response and the
family row. The village counts the reports add up (and the verified counts) are moved by the
family's contribution in the same transaction (`rewrite_scores`), so no report ever counts a
family that no longer exists. An audit row says
that a family was erased, by whom, when, where and why, without the name or any answer.

Nothing brings it back: /keluarga lists families from these rows; an old button of the family's
card names a response that no longer exists (answered "not found"); a redelivered update was
recorded by id only and reaches the same missing response.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    Answer,
    AnswerChange,
    Area,
    Base,
    Family,
    FamilyScore,
    Response,
    ResponseReview,
    ResponseStatus,
)
from bot.repositories.audit import ACTION_FAMILY_DELETED, record_audit
from bot.repositories.families import normalize_head_name
from bot.repositories.scores import rewrite_scores
from bot.services.context import ServiceContext
from ikk_core.areas import display_name

__all__ = ["ErasedFamily", "FamilyRecord", "delete_family", "find_families"]


@dataclass(frozen=True)
class FamilyRecord:
    """A family as the operator identifies it before erasing it."""

    family_id: int
    village_code: str
    village_name: str
    """As people say it: "Desa Sampanahan"."""
    period: int
    rt: int
    head_name: str
    status: ResponseStatus | None
    answers: int


@dataclass(frozen=True)
class ErasedFamily:
    """What an erasure removed (counts only) and the audit row that records it."""

    family_id: int
    village_code: str
    period: int
    answers: int
    answer_changes: int
    scores: int
    was_submitted: bool
    audit_id: int


async def find_families(
    ctx: ServiceContext,
    *,
    family_id: int | None = None,
    village_code: str | None = None,
    head: str | None = None,
    period: int | None = None,
) -> list[FamilyRecord]:
    """Families by id, or by village and head of family (names compared as the duplicate check
    compares them: titles, case and punctuation ignored), newest period first."""

    async def work(session: AsyncSession) -> list[FamilyRecord]:
        answers = (
            select(func.count(Answer.id))
            .where(Answer.response_id == Response.id)
            .scalar_subquery()
        )
        query = (
            select(Family.id, Family.village_code, Area.level, Area.name, Family.period,
                   Family.rt, Family.head_name, Response.status, answers)
            .join(Area, Area.code == Family.village_code)
            .outerjoin(Response, Response.family_id == Family.id)
            .order_by(Family.period.desc(), Family.id)
        )
        if family_id is not None:
            query = query.where(Family.id == family_id)
        if village_code is not None:
            query = query.where(Family.village_code == village_code)
        if head is not None:
            query = query.where(Family.head_name_norm == normalize_head_name(head))
        if period is not None:
            query = query.where(Family.period == period)
        rows = (await session.execute(query)).all()
        return [
            FamilyRecord(int(fid), village, display_name(level, name), int(per), int(rt),
                         head_name, status, int(count or 0))
            for fid, village, level, name, per, rt, head_name, status, count in rows
        ]

    return await ctx.read(work)


async def delete_family(
    ctx: ServiceContext, family_id: int, *, actor: str, reason: str | None = None
) -> ErasedFamily | None:
    """Erase one family in one transaction (None when there is no such family)."""

    async def work(session: AsyncSession) -> ErasedFamily | None:
        family = (
            await session.execute(
                select(Family.id, Family.village_code, Family.period)
                .where(Family.id == family_id)
                .with_for_update()
            )
        ).first()
        if family is None:
            return None
        responses = (
            await session.execute(
                select(Response.id, Response.status).where(Response.family_id == family_id)
                .with_for_update()
            )
        ).all()
        ids = [int(r) for r, _ in responses]
        scores = changes = answers = 0
        if ids:
            scores = await _count(session, FamilyScore.response_id.in_(ids), FamilyScore)
            changes = await _count(session, AnswerChange.response_id.in_(ids), AnswerChange)
            answers = await _count(session, Answer.response_id.in_(ids), Answer)
            # Scores first: rewrite_scores reads them (joined to the family) to move the counts.
            await rewrite_scores(session, remove=ids)
            await session.execute(delete(AnswerChange).where(AnswerChange.response_id.in_(ids)))
            await session.execute(delete(Answer).where(Answer.response_id.in_(ids)))
            await session.execute(delete(Response).where(Response.id.in_(ids)))
        # The supervisor's reason may name people: it goes with the family (not left to CASCADE).
        await session.execute(delete(ResponseReview).where(ResponseReview.family_id == family_id))
        await session.execute(delete(Family).where(Family.id == family_id))
        event = await record_audit(
            session, ACTION_FAMILY_DELETED, actor, area_code=family.village_code,
            period=int(family.period), family_id=family_id, reason=reason,
        )
        return ErasedFamily(
            family_id=family_id,
            village_code=family.village_code,
            period=int(family.period),
            answers=answers,
            answer_changes=changes,
            scores=scores,
            was_submitted=any(s is ResponseStatus.SUBMITTED for _, s in responses),
            audit_id=event.id,
        )

    return await ctx.write(work)


async def _count(session: AsyncSession, where: ColumnElement[bool], table: type[Base]) -> int:
    return int(await session.scalar(select(func.count()).select_from(table).where(where)) or 0)
