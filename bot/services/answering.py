"""Answering a family's questionnaire: record / skip / confirm an answer, back, open for edit.

Each call is one transaction (`ServiceContext.write`, retried on lock errors) committed before
it returns, so the bot replies only about what is stored. The rules:

- Idempotent per Telegram update: the update id is claimed in the same transaction; a
  redelivered update gets "already_processed" and changes nothing.
- Optimistic version: the keyboard carries the response version it was drawn for. A different
  version, or a concurrent change found by ``UPDATE ... WHERE version = :seen``, stores nothing
  and answers "already_recorded" (the same answer is stored: a double tap) or "stale".
  Typed text carries no version (`expected_version=None`) and answers the current question,
  but only if its chat message came after the message that first showed that question
  (`question_shown` stores its id with the response); otherwise it is "unseen": not stored.
- Only the response's own cadre writes it, and only while its village is one of hers. Another
  cadre of the same village cannot continue her draft: a draft holds half-asked private answers
  and two people filling one family would fight over the cursor. An official never writes.
- Answers that stop applying when a profile answer changes are deleted. On a response that
  was ever submitted every change writes an audit row (old, new, who, when, why) and the family
  is re-scored in the same transaction; if the change opens required questions, the response
  becomes a draft again (its scores removed) until it is completed and submitted again.
- These are short units (a few small statements): on a SQLite file they run on the event loop's
  thread (`ServiceContext.write(..., short=True)`, `bot.db.inline_sqlite`).
- When the head's name and the RT are both answered, a family with the same village, RT and
  normalised name in the period is reported as `duplicate` (the answer is stored all the same;
  the bot offers to open the other family or to continue as a different one).
"""

from __future__ import annotations

import dataclasses
import logging

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import ResponseStatus
from bot.repositories.families import (
    find_duplicates,
    identity_from_answers,
    identity_questions,
    set_identity,
)
from bot.repositories.responses import (
    AnswerWrite,
    Change,
    ShownMark,
    StoredAnswers,
    bump_version,
    delete_answers,
    mark_shown,
    typed_answers,
    upsert_answers,
    write_changes,
)
from bot.repositories.reviews import reset_review
from bot.repositories.scores import NewScores, rewrite_scores
from bot.services import messages
from bot.services.context import Actor, ServiceContext
from bot.services.flow import Opened, Step, finish, open_response, reload, stale_or_recorded
from bot.services.outcomes import (
    DuplicateFamily,
    Outcome,
    OutcomeKind,
    ScoreSummary,
    score_summary,
)
from conversations.engine import (
    Accepted,
    NeedsConfirmation,
    Raw,
    Rejected,
    back,
    current_question,
    edit,
    is_complete,
)
from conversations.engine import answer as engine_answer
from ikk_core.expressions import Value
from ikk_core.scoring import score_family
from ikk_core.values import to_storage

__all__ = [
    "cancel",
    "confirm_answer",
    "current_position",
    "go_back",
    "open_for_edit",
    "question_shown",
    "record_answer",
    "skip",
]

log = logging.getLogger(__name__)

_REJECT_KINDS: dict[str, OutcomeKind] = {
    "already_recorded": "already_recorded",
    "invalid": "invalid",
    "too_long": "invalid",
}


async def record_answer(
    ctx: ServiceContext,
    actor: Actor | int,
    response_id: int,
    question: str | None,
    raw: Raw,
    expected_version: int | None,
    update_id: int | None = None,
    *,
    confirmed: bool = False,
    message_id: int | None = None,
    shown: ShownMark | None = None,
) -> Outcome:
    """Store the reply `raw` to `question` (None: the question being asked, for typed text).

    `confirmed` answers "Yakin?" with yes: send the outcome's `pending_value` back with it.
    `message_id` is the chat message of a typed reply: sent before the message that shows the
    live question (or while that question never reached the chat) it answers something else,
    so nothing is stored ("unseen") and the question is shown. `shown`: the chat's memory of
    the message that showed the response's question, not stored yet (`ResponseRow.seen_in`).
    """

    async def work(session: AsyncSession) -> Step:
        opened = await open_response(session, actor, response_id, update_id, shown)
        if isinstance(opened, Step):
            return opened
        if message_id is not None and question is None:
            row = opened.row
            if row.typed_before_shown(message_id):
                return Step("unseen", row, opened.stored, opened.user.language,
                            message=messages.UNSEEN)
        return await _record(session, ctx, opened, question, raw, expected_version, update_id,
                             confirmed)

    return finish(ctx, await ctx.write(work, short=True))


async def skip(
    ctx: ServiceContext,
    actor: Actor | int,
    response_id: int,
    question: str,
    expected_version: int | None,
    update_id: int | None = None,
    *,
    shown: ShownMark | None = None,
) -> Outcome:
    """Skip an optional question (a required one is refused with the engine's reason)."""
    return await record_answer(ctx, actor, response_id, question, None, expected_version, update_id,
                               shown=shown)


async def confirm_answer(
    ctx: ServiceContext,
    actor: Actor | int,
    response_id: int,
    question: str,
    pending_value: str,
    expected_version: int | None,
    update_id: int | None = None,
    *,
    shown: ShownMark | None = None,
) -> Outcome:
    """"Ya, benar" after "Yakin?": store the unusual value the previous outcome carried."""
    return await record_answer(
        ctx, actor, response_id, question, pending_value, expected_version, update_id,
        confirmed=True, shown=shown,
    )


async def _record(
    session: AsyncSession,
    ctx: ServiceContext,
    opened: Opened,
    question: str | None,
    raw: Raw,
    expected_version: int | None,
    update_id: int | None,
    confirmed: bool,
) -> Step:
    instrument = ctx.instrument
    user, row, stored = opened.user, opened.row, opened.stored
    lang = user.language
    answers = _typed(ctx, stored)
    if question is None:
        shown = current_question(instrument, answers, row.cursor)
        if shown is None:
            return Step("stale", row, stored, lang, message=messages.AT_REVIEW)
        question = shown.name
    if expected_version is not None and expected_version != row.version:
        return stale_or_recorded(ctx, opened, question, raw)

    result = engine_answer(
        instrument, question, raw, answers, row.cursor, confirmed=confirmed, lang=lang
    )
    if isinstance(result, Rejected):
        kind = _REJECT_KINDS.get(result.reason, "stale")
        return Step(
            kind,
            row,
            stored,
            lang,
            message=result.message,
            error=result.message if kind == "invalid" else None,
        )
    if isinstance(result, NeedsConfirmation):
        return Step(
            "confirm", row, stored, lang, message=result.message,
            pending_value=to_storage(result.value),
        )
    return await _apply(session, ctx, opened, result, update_id)


async def _apply(
    session: AsyncSession,
    ctx: ServiceContext,
    opened: Opened,
    accepted: Accepted,
    update_id: int | None,
) -> Step:
    """Write an accepted answer: everything is decided first, then one version-checked bump."""
    instrument = ctx.instrument
    user, row, stored = opened.user, opened.row, opened.stored
    name = accepted.question
    new_text = to_storage(accepted.value)
    cleared = tuple(q for q in accepted.cleared if q in stored)
    new_stored = dict(stored)
    new_stored[name] = new_text
    for q in cleared:
        del new_stored[q]

    notices: list[str] = [accepted.notice] if accepted.notice else []
    values: dict[str, object] = {"current_question": accepted.next_cursor}
    status = row.status
    score_pct, band = row.score_pct, row.band
    score: ScoreSummary | None = None
    rescore = None
    if row.status is ResponseStatus.SUBMITTED:
        now_answers = _typed(ctx, new_stored)
        if is_complete(instrument, now_answers):
            rescore = score_family(instrument, now_answers, row.family.village_code)
            score_pct = rescore.score
            band = rescore.band.name if rescore.band is not None else None
            score = score_summary(instrument, score_pct, band)
            notices.append(messages.rescored(score.score_pct, score.band_label))
        else:
            status, score_pct, band = ResponseStatus.DRAFT, None, None
            notices.append(messages.REOPENED)
        values.update(status=status, family_score_pct=score_pct, family_band=band)

    if not await bump_version(session, row.id, row.version, **values):
        return stale_or_recorded(ctx, await reload(session, opened), name, accepted.value)

    await upsert_answers(
        session, row.id, [AnswerWrite(name, new_text)], user_id=user.id, update_id=update_id
    )
    await delete_answers(session, row.id, cleared)
    if rescore is not None:
        await rewrite_scores(session, [row.id], [
            NewScores(row.id, row.family.period, row.family.village_code, rescore.scores,
                      instrument.id, instrument.version)
        ])
    elif status is not row.status:
        await rewrite_scores(session, [row.id])
    if row.ever_submitted:
        changes = [
            Change(q, stored[q], None, messages.reason_cleared(name)) for q in cleared
        ]
        if name not in stored or stored[name] != new_text:
            changes.insert(0, Change(name, stored.get(name), new_text, messages.REASON_EDITED))
        await write_changes(session, row.id, changes, user_id=user.id)
        if changes:  # the supervisor must look at the corrected family again
            await reset_review(session, row.family.family_id, f"user:{user.id}")

    family = row.family
    duplicate: DuplicateFamily | None = None
    if {name, *cleared} & identity_questions(instrument):
        head, rt = identity_from_answers(instrument, new_stored)
        await set_identity(session, family.family_id, head, rt)
        family = dataclasses.replace(family, head_name=head or None, rt=rt or None)
        if accepted.changed and head and rt:
            found = await find_duplicates(
                session, family_id=family.family_id, village_code=family.village_code,
                period=family.period, rt=rt, head_name=head,
            )
            if found:
                other = found[0]
                duplicate = DuplicateFamily(
                    response_id=other.response_id,
                    family=other.family,
                    status=other.status,
                    cadre_name=other.cadre_name,
                    own=other.cadre_id == user.id,
                )

    new_row = dataclasses.replace(
        row,
        version=row.version + 1,
        cursor=accepted.next_cursor,
        status=status,
        family=family,
        score_pct=score_pct,
        band=band,
    )
    return Step(
        "recorded",
        new_row,
        new_stored,
        user.language,
        notices=tuple(notices),
        cleared=cleared,
        duplicate=duplicate,
        score=score,
    )


def _typed(ctx: ServiceContext, stored: StoredAnswers) -> dict[str, Value]:
    return typed_answers(ctx.instrument, stored)


async def go_back(
    ctx: ServiceContext,
    actor: Actor | int,
    response_id: int,
    expected_version: int | None,
    update_id: int | None = None,
) -> Outcome:
    """"⬅️ Kembali": show the previous relevant question (from the review card: the last one)."""

    async def work(session: AsyncSession) -> Step:
        opened = await open_response(session, actor, response_id, update_id)
        if isinstance(opened, Step):
            return opened
        row, stored, lang = opened.row, opened.stored, opened.user.language
        if expected_version is not None and expected_version != row.version:
            return Step("stale", row, stored, lang, message=messages.STALE)
        answers = _typed(ctx, stored)
        shown = current_question(ctx.instrument, answers, row.cursor)
        target = back(ctx.instrument, answers, row.cursor)
        moved_to = current_question(ctx.instrument, answers, target)
        if shown is not None and moved_to is not None and moved_to.name == shown.name:
            return Step("shown", row, stored, lang, message=messages.NOTHING_BEFORE)
        if not await bump_version(session, row.id, row.version, current_question=target):
            fresh = await reload(session, opened)
            return Step("stale", fresh.row, fresh.stored, lang, message=messages.STALE)
        return Step("moved", dataclasses.replace(row, version=row.version + 1, cursor=target),
                    stored, lang)

    return finish(ctx, await ctx.write(work, short=True))


async def open_for_edit(
    ctx: ServiceContext,
    actor: Actor | int,
    response_id: int,
    question: str,
    expected_version: int | None,
    update_id: int | None = None,
) -> Outcome:
    """Open an answered question to change it (the review card's "Ubah" buttons); works on a
    submitted response too (the change is then audited and re-scored)."""

    async def work(session: AsyncSession) -> Step:
        opened = await open_response(session, actor, response_id, update_id)
        if isinstance(opened, Step):
            return opened
        row, stored, lang = opened.row, opened.stored, opened.user.language
        if expected_version is not None and expected_version != row.version:
            return Step("stale", row, stored, lang, message=messages.STALE)
        answers = _typed(ctx, stored)
        target = edit(ctx.instrument, question, answers)
        if target is None:
            return Step("not_editable", row, stored, lang, message=messages.NOT_EDITABLE)
        if not await bump_version(session, row.id, row.version, current_question=target):
            fresh = await reload(session, opened)
            return Step("stale", fresh.row, fresh.stored, lang, message=messages.STALE)
        return Step("moved", dataclasses.replace(row, version=row.version + 1, cursor=target),
                    stored, lang)

    return finish(ctx, await ctx.write(work, short=True))


async def current_position(
    ctx: ServiceContext, actor: Actor | int, response_id: int
) -> Outcome:
    """Where the family stands now ("shown"), or "not_found"; reads only."""

    async def work(session: AsyncSession) -> Step:
        opened = await open_response(session, actor, response_id, None)
        if isinstance(opened, Step):
            return opened
        return Step("shown", opened.row, opened.stored, opened.user.language)

    return finish(ctx, await ctx.read(work))


async def question_shown(
    ctx: ServiceContext, response_id: int, version: int, message_id: int
) -> bool:
    """Chat message `message_id` shows the question (or card) of `version`: store it so typed
    answers are bound to it and a repeated tap knows the kader has it (see `mark_shown`).
    The position shown came from a call that checked the cadre owns the response.

    Best effort (False when the database fails): the message is already out, and without the
    record the kader's next typed answer is only asked again, never misfiled.
    """

    async def work(session: AsyncSession) -> bool:
        return await mark_shown(session, response_id, version, message_id)

    try:
        return await ctx.write(work, short=True)
    except SQLAlchemyError:
        log.warning("could not store message %s as showing response %s", message_id,
                    response_id, exc_info=True)
        return False


async def cancel(ctx: ServiceContext, actor: Actor | int, response_id: int) -> Outcome:
    """/jeda (/batal): nothing to undo (every answer is already stored); say so, with the
    position."""
    shown = await current_position(ctx, actor, response_id)
    if shown.kind != "shown":
        return shown
    return dataclasses.replace(shown, kind="cancelled", message=messages.CANCELLED)

