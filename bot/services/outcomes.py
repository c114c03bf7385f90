"""What the response services return: plain frozen values the Telegram layer renders as they are.

A service commits, then builds these from what its transaction read, so rendering never needs
the database again. Every outcome carries the position to show next (the question prompt or
the review card), because the answer to a stale tap, a double tap or a redelivered update is
always the same: say what happened, and show where the family really stands.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from bot.db.models import ResponseStatus
from bot.repositories.families import FamilyLabel
from bot.repositories.responses import ResponseRow, StoredAnswers, typed_answers
from conversations.engine import QuestionPrompt, Review, current_question, prompt, review
from conversations.navigation import walk
from ikk_core.instrument import Instrument, band_for

__all__ = [
    "DuplicateFamily",
    "Outcome",
    "OutcomeKind",
    "Position",
    "ScoreSummary",
    "build_position",
    "score_summary",
]

OutcomeKind = Literal[
    "started",  # a new family (or the cadre's untouched draft of that village) is open
    "recorded",  # an answer (or a skip) was stored
    "moved",  # back / open for edit: the cursor moved
    "shown",  # nothing changed; here is where the family stands
    "invalid",  # the reply did not pass the checks: ask again with `message`
    "confirm",  # an unusual value: ask `message` ("Yakin?"), then send `pending_value` confirmed
    "already_recorded",  # a double tap: the same answer is stored already
    "stale",  # a tap on an old keyboard or a concurrent change: nothing stored
    "unseen",  # typed before the live question was shown (or it never arrived): not stored
    "already_processed",  # this Telegram update was handled before: nothing done twice
    "not_editable",  # that question cannot be opened now
    "incomplete",  # submit refused: `missing` lists the required questions without answer
    "submitted",  # submit done: `score` is the family's score
    "already_submitted",  # a second submit: nothing done
    "cancelled",  # the draft stays saved
    "discarded",  # the draft was deleted
    "not_found",  # unknown, not the actor's, or out of scope (indistinguishable on purpose)
]


_DONE_KINDS = frozenset(
    {"started", "recorded", "moved", "shown", "submitted", "cancelled", "discarded"}
)


@dataclass(frozen=True)
class Position:
    """Where a family stands: the question to ask (`prompt`) or, when every question is
    answered, the review card (`review`). `version` goes into the keyboard's callback data."""

    response_id: int
    version: int
    status: ResponseStatus
    family: FamilyLabel
    prompt: QuestionPrompt | None
    review: Review | None
    answered: int
    total: int
    score: ScoreSummary | None = None
    on_screen: bool = False
    """The chat has shown this version's question or card (its message id is stored)."""

    @property
    def question(self) -> str | None:
        return self.prompt.question if self.prompt is not None else None

    @property
    def at_review(self) -> bool:
        return self.prompt is None

    @property
    def submitted(self) -> bool:
        return self.status is ResponseStatus.SUBMITTED


@dataclass(frozen=True)
class ScoreSummary:
    """A family's score as stored: percentage of its applicable indicators met, and its band."""

    score_pct: float | None
    band: str | None
    band_label: str | None


@dataclass(frozen=True)
class DuplicateFamily:
    """Another family with the same village, RT and normalised head name in the period.

    `own` is True when the actor may open it (her own response); otherwise the bot can only
    say who entered it and offer to continue as a different family.
    """

    response_id: int
    family: FamilyLabel
    status: ResponseStatus
    cadre_name: str
    own: bool


@dataclass(frozen=True)
class Outcome:
    """The result of one service call. `message` is Indonesian text for the cadre (why a reply
    was refused, what happened); `notices` are extra lines (answers cleared, reopened...)."""

    kind: OutcomeKind
    position: Position | None = None
    message: str | None = None
    notices: tuple[str, ...] = ()
    cleared: tuple[str, ...] = ()
    duplicate: DuplicateFamily | None = None
    score: ScoreSummary | None = None
    missing: tuple[str, ...] = ()
    pending_value: str | None = None

    @property
    def ok(self) -> bool:
        """True when the call did what was asked."""
        return self.kind in _DONE_KINDS


def score_summary(instrument: Instrument, pct: float | None, band: str | None) -> ScoreSummary:
    label = None
    if band is not None:
        for candidate in instrument.settings.family_bands:
            if candidate.name == band:
                label = candidate.label.id
    elif pct is not None:
        found = band_for(instrument.settings.family_bands, pct)
        band, label = (found.name, found.label.id) if found is not None else (None, None)
    return ScoreSummary(score_pct=pct, band=band, band_label=label)


def build_position(
    instrument: Instrument,
    row: ResponseRow,
    stored: Mapping[str, str | None] | StoredAnswers,
    *,
    lang: str = "id",
    error: str | None = None,
) -> Position:
    """The position of a response from its stored answers and cursor (pure; no database)."""
    answers = typed_answers(instrument, stored)
    question = current_question(instrument, answers, row.cursor)
    state = walk(instrument, answers)
    shown_prompt = (
        prompt(instrument, question, answers, lang=lang, error=error)
        if question is not None
        else None
    )
    card = review(instrument, answers, lang) if question is None else None
    score = (
        score_summary(instrument, row.score_pct, row.band)
        if row.status is ResponseStatus.SUBMITTED
        else None
    )
    return Position(
        response_id=row.id,
        version=row.version,
        status=row.status,
        family=row.family,
        prompt=shown_prompt,
        review=card,
        answered=len(state.answered),
        total=len(state.relevant),
        score=score,
        on_screen=row.on_screen,
    )
