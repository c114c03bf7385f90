"""The common shape of a service call on one response: idempotency, ownership, the version.

A call runs as one transaction: claim the Telegram update id, load the response (the actor's
own, in a village that is hers now, with its answers), compare the version the keyboard
carried, decide with the pure engine, write, commit. Whatever the transaction decided is
returned as a `Step` holding plain values; the position is built from it after the commit, so
nothing that draws a prompt runs while SQLite's write lock is held.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from bot.repositories.responses import (
    ResponseRow,
    ShownMark,
    StoredAnswers,
    Writer,
    claim_update,
    load_own_response,
)
from bot.services import messages
from bot.services.context import Actor, ServiceContext, actor_id
from bot.services.outcomes import (
    DuplicateFamily,
    Outcome,
    OutcomeKind,
    ScoreSummary,
    build_position,
)
from conversations.engine import phrase
from ikk_core.values import AnswerError, parse_answer, to_storage

__all__ = ["Opened", "Step", "finish", "open_response", "reload", "stale_or_recorded"]


@dataclass(frozen=True)
class Step:
    """What a transaction decided, in plain values (no ORM objects, nothing lazy)."""

    kind: OutcomeKind
    row: ResponseRow | None = None
    stored: StoredAnswers = field(default_factory=dict)
    lang: str = "id"
    message: str | None = None
    error: str | None = None
    notices: tuple[str, ...] = ()
    cleared: tuple[str, ...] = ()
    duplicate: DuplicateFamily | None = None
    score: ScoreSummary | None = None
    missing: tuple[str, ...] = ()
    pending_value: str | None = None


@dataclass(frozen=True)
class Opened:
    user: Writer
    row: ResponseRow
    stored: StoredAnswers


async def open_response(
    session: AsyncSession,
    actor: Actor | int,
    response_id: int,
    update_id: int | None,
    shown: ShownMark | None = None,
) -> Opened | Step:
    """Claim the update, then load the actor's own response with its answers; a `Step` means
    stop here. Two statements: this runs on every tap, inside SQLite's write lock.

    `shown` is the chat's memory of the message that showed a version (`ResponseRow.seen_in`):
    a showing remembered, not written, costs no transaction of its own."""
    user_id = actor_id(actor)
    if update_id is not None and not await claim_update(
        session, update_id, None, user_id=user_id
    ):
        found = await load_own_response(session, user_id, response_id)
        if found is None:
            return Step("already_processed")
        user, row, stored = found
        return Step("already_processed", row.seen_in(shown), stored, user.language)
    found = await load_own_response(session, user_id, response_id)
    if found is None:
        return Step("not_found", message=messages.NOT_FOUND)
    user, row, stored = found
    return Opened(user, row.seen_in(shown), stored)


async def reload(session: AsyncSession, opened: Opened) -> Opened:
    """The response as committed now, after a version check found it changed since it was read
    (on PostgreSQL a new statement sees the other transaction's commit)."""
    found = await load_own_response(session, opened.user.id, opened.row.id)
    if found is None:
        return opened
    user, row, stored = found
    mark = (
        ShownMark(opened.row.live_version, opened.row.live_message_id)
        if opened.row.live_version is not None and opened.row.live_message_id is not None
        else None
    )
    return Opened(user, row.seen_in(mark), stored)


def stale_or_recorded(
    ctx: ServiceContext, opened: Opened, question: str | None, raw: object
) -> Step:
    """The answer to a reply that arrived for an older state of the response.

    When the stored answer to that question already equals the reply it was a double tap
    ("Sudah tercatat"); otherwise the keyboard was stale. Either way nothing is stored.
    """
    instrument = ctx.instrument
    lang = opened.user.language
    if question is not None and instrument.has_question(question) and question in opened.stored:
        try:
            parsed = to_storage(parse_answer(instrument, instrument.question(question), raw))
        except AnswerError:
            parsed = None
        else:
            if parsed == opened.stored[question]:
                return Step(
                    "already_recorded",
                    opened.row,
                    opened.stored,
                    lang,
                    message=phrase("already_recorded", lang),
                )
    return Step("stale", opened.row, opened.stored, lang, message=messages.STALE)


def finish(ctx: ServiceContext, step: Step) -> Outcome:
    """The outcome of a committed step, with its position built from the step's values."""
    position = (
        build_position(ctx.instrument, step.row, step.stored, lang=step.lang, error=step.error)
        if step.row is not None
        else None
    )
    return Outcome(
        kind=step.kind,
        position=position,
        message=step.message,
        notices=step.notices,
        cleared=step.cleared,
        duplicate=step.duplicate,
        score=step.score,
        missing=step.missing,
        pending_value=step.pending_value,
    )
