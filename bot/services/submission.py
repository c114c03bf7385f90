"""Submitting a family (its scores stored with it) and re-scoring after an instrument change.

Scores are computed once, by `ikk_core.scoring`, and stored beside the answers in the same
transaction as the status change (design decision 3): a report never sees a submitted family
without scores, nor scores of a draft. `rescore` recomputes every submitted family with another
instrument (vectorised, in batches), recording which instrument produced each score row.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import SessionFactory, run_in_transaction
from bot.db.models import Answer, Family, Response, ResponseStatus
from bot.db.types import utcnow
from bot.repositories.responses import bump_version, typed_answers
from bot.repositories.scores import NewScores, rewrite_scores
from bot.services import messages
from bot.services.context import Actor, ServiceContext
from bot.services.flow import Step, finish, open_response, reload
from bot.services.outcomes import Outcome, OutcomeKind, score_summary
from conversations.engine import is_complete, missing_required
from ikk_core.instrument import Instrument, band_for
from ikk_core.scoring import family_scores, score_family, score_frame

__all__ = ["RescoreReport", "rescore", "submit"]


async def submit(
    ctx: ServiceContext,
    actor: Actor | int,
    response_id: int,
    expected_version: int | None,
    update_id: int | None = None,
) -> Outcome:
    """"✅ Kirim": score the family and mark it submitted, in one transaction.

    "incomplete" (with `missing`) while a required question has no answer; a second submit is
    "already_submitted" and changes nothing; a stale review card is "stale".
    """
    instrument = ctx.instrument

    async def work(session: AsyncSession) -> Step:
        opened = await open_response(session, actor, response_id, update_id)
        if isinstance(opened, Step):
            return opened
        row, stored, lang = opened.row, opened.stored, opened.user.language
        if row.status is ResponseStatus.SUBMITTED:
            return Step(
                "already_submitted", row, stored, lang, message=messages.ALREADY_SUBMITTED,
                score=score_summary(instrument, row.score_pct, row.band),
            )
        if expected_version is not None and expected_version != row.version:
            return Step("stale", row, stored, lang, message=messages.STALE)
        answers = typed_answers(instrument, stored)
        if not is_complete(instrument, answers):
            return Step(
                "incomplete", row, stored, lang, message=messages.INCOMPLETE,
                missing=missing_required(instrument, answers),
            )
        result = score_family(instrument, answers, row.family.village_code)
        band = result.band.name if result.band is not None else None
        now = utcnow()
        if not await bump_version(
            session,
            row.id,
            row.version,
            status=ResponseStatus.SUBMITTED,
            submitted_at=now,
            current_question=None,
            family_score_pct=result.score,
            family_band=band,
            instrument_id=instrument.id,
            instrument_version=instrument.version,
        ):
            fresh = await reload(session, opened)
            kind: OutcomeKind = (
                "already_submitted" if fresh.row.status is ResponseStatus.SUBMITTED else "stale"
            )
            message = messages.ALREADY_SUBMITTED if kind == "already_submitted" else messages.STALE
            return Step(kind, fresh.row, fresh.stored, lang, message=message)
        await rewrite_scores(session, [row.id], [
            NewScores(row.id, row.family.period, row.family.village_code, result.scores,
                      instrument.id, instrument.version)
        ])
        new_row = dataclasses.replace(
            row, version=row.version + 1, status=ResponseStatus.SUBMITTED, submitted_at=now,
            cursor=None, score_pct=result.score, band=band,
            instrument_id=instrument.id, instrument_version=instrument.version,
        )
        return Step(
            "submitted", new_row, stored, lang, message=messages.SUBMITTED,
            score=score_summary(instrument, result.score, band),
        )

    return finish(ctx, await ctx.write(work))


@dataclass(frozen=True)
class RescoreReport:
    """What `rescore` did: submitted families scored again, how many changed score or band,
    and how many lack a required answer under the new instrument (scored as they are)."""

    instrument_id: str
    instrument_version: str
    responses: int
    changed: int
    incomplete: int


def _answer_frame(
    instrument: Instrument, response_ids: Sequence[int], rows: Sequence[tuple[int, str, str | None]]
) -> pd.DataFrame:
    """Stored answers (long: response, question, text) as the typed wide frame `score_frame`
    reads: numbers float64 with NaN, everything else objects with None."""
    index = pd.Index(list(response_ids), name="response_id")
    long = pd.DataFrame(rows, columns=["response_id", "question", "value"])
    wide = long.pivot(index="response_id", columns="question", values="value").reindex(index)
    columns: dict[str, pd.Series] = {}
    for question in instrument.questions:
        if not question.answerable:
            continue
        if question.name in wide.columns:
            column = wide[question.name]
        else:
            column = pd.Series(None, index=index, dtype=object)
        if question.type in ("integer", "decimal"):
            columns[question.name] = pd.to_numeric(column, errors="coerce").astype(np.float64)
        else:
            as_object = column.astype(object)
            columns[question.name] = as_object.where(as_object.notna(), None)
    return pd.DataFrame(columns, index=index)


Target = tuple[int, str, int, float | None, str | None]
"""A submitted response to rescore: id, village code, period, stored score and band."""


async def _rescore_batch(
    session: AsyncSession, instrument: Instrument, batch: Sequence[Target]
) -> tuple[int, int]:
    """Rescore one batch; returns (changed score or band, incomplete under `instrument`)."""
    ids = [target[0] for target in batch]
    result = await session.execute(
        select(Answer.response_id, Answer.question, Answer.value).where(
            Answer.response_id.in_(ids)
        )
    )
    rows = list(result.all())
    stored: dict[int, dict[str, str | None]] = {rid: {} for rid in ids}
    for response_id, question, value in rows:
        stored[response_id][question] = value
    incomplete = sum(
        1 for rid in ids if not is_complete(instrument, typed_answers(instrument, stored[rid]))
    )

    frame = _answer_frame(instrument, ids, rows)
    villages = pd.Series([t[1] for t in batch], index=frame.index, dtype=object)
    scored = score_frame(instrument, frame, villages)
    percentages = family_scores(instrument, scored)["score"].to_numpy(dtype=np.float64)
    codes = [i.code for i in instrument.indicators]
    matrix = scored[codes].to_numpy(dtype=np.float64, na_value=np.nan)

    changed = 0
    updates: list[dict[str, object]] = []
    score_rows: list[NewScores] = []
    for position, (response_id, village, period, old_pct, old_band) in enumerate(batch):
        pct = None if np.isnan(percentages[position]) else float(percentages[position])
        found = band_for(instrument.settings.family_bands, pct)
        band = found.name if found is not None else None
        if band != old_band or not _same_pct(pct, old_pct):
            changed += 1
        updates.append({"id": response_id, "family_score_pct": pct, "family_band": band})
        scores = {
            code: None if np.isnan(value) else int(value)
            for code, value in zip(codes, matrix[position], strict=True)
        }
        score_rows.append(
            NewScores(response_id, period, village, scores, instrument.id, instrument.version)
        )
    await rewrite_scores(session, ids, score_rows)
    await session.execute(update(Response), updates)
    return changed, incomplete


def _same_pct(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) < 1e-9


async def rescore(
    session_factory: SessionFactory,
    instrument: Instrument,
    *,
    period: int | None = None,
    batch_size: int = 2000,
) -> RescoreReport:
    """Score every submitted family (of `period`, or all) again with `instrument`.

    Each batch is one transaction, so a crash leaves every family scored by one instrument or
    the other, never half; running it again finishes the job.
    """

    async def targets(session: AsyncSession) -> list[Target]:
        query = (
            select(
                Response.id, Family.village_code, Family.period, Response.family_score_pct,
                Response.family_band,
            )
            .join(Family, Family.id == Response.family_id)
            .where(Response.status == ResponseStatus.SUBMITTED)
            .order_by(Response.id)
        )
        if period is not None:
            query = query.where(Family.period == period)
        result = await session.execute(query)
        return [(rid, code, p, pct, band) for rid, code, p, pct, band in result.all()]

    todo = await run_in_transaction(session_factory, targets)
    changed = incomplete = 0
    for start in range(0, len(todo), batch_size):
        batch = todo[start : start + batch_size]

        async def work(
            session: AsyncSession,
            batch: Sequence[Target] = batch,
        ) -> tuple[int, int]:
            return await _rescore_batch(session, instrument, batch)

        batch_changed, batch_incomplete = await run_in_transaction(session_factory, work)
        changed += batch_changed
        incomplete += batch_incomplete
    return RescoreReport(
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        responses=len(todo),
        changed=changed,
        incomplete=incomplete,
    )
