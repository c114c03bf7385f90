"""Taking one reply: accept it, refuse it with a reason, or ask "Yakin?" first.

The shell calls `answer` with whatever arrived (a typed message, a button's value, the value of a
confirmed warning) for the question the message or button belongs to. The outcome says exactly
what to store: the value, and the answers that must be deleted because they stopped applying.
A reply for any question other than the one being asked is refused, which is how stale keyboards
and double taps are recognised without any memory in the engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from conversations.display import distinct_short_labels
from conversations.navigation import Answers, current_question, walk
from conversations.phrases import phrase
from ikk_core.expressions import Value
from ikk_core.instrument import Instrument, Question
from ikk_core.values import AnswerError, check_answer, parse_answer, soft_warning

#: Longest message taken as an answer; anything longer is refused before parsing.
MAX_MESSAGE_LENGTH = 1000
#: How many cleared answers the notice names before "… dan N lainnya".
_CLEARED_SHOWN = 8

RejectReason = Literal[
    "invalid", "too_long", "unknown_question", "not_relevant", "not_current", "already_recorded"
]
Raw = str | int | float | None


@dataclass(frozen=True)
class Accepted:
    """Store `value` for `question`, delete the `cleared` answers, store `next_cursor`.

    `cleared` are the questions (in order) whose stored answers no longer apply after this change;
    `notice` tells the cadre which ones were removed (None when nothing was). `next_cursor` is
    always what the shell stores as the cursor: under the frontier rule it is None.
    `next_question` is what to ask now (None: the review card). `answers` is the new state.
    """

    question: str
    value: Value
    changed: bool
    cleared: tuple[str, ...]
    next_cursor: str | None
    next_question: str | None
    answers: Mapping[str, Value]
    notice: str | None


@dataclass(frozen=True)
class Rejected:
    """Nothing is stored. `message` explains why; the shell shows the current question again.

    `reason` lets the shell tell a stale button ("not_current") or a double tap
    ("already_recorded") from an answer that did not pass the checks ("invalid", "too_long").
    """

    question: str
    message: str
    reason: RejectReason = "invalid"


@dataclass(frozen=True)
class NeedsConfirmation:
    """The value is allowed but unusual: ask `message` with buttons Ya / Ubah, then call `answer`
    again with the value and `confirmed=True`."""

    question: str
    value: Value
    message: str


AnswerOutcome = Accepted | Rejected | NeedsConfirmation


def _cleared_notice(instrument: Instrument, cleared: tuple[str, ...], lang: str) -> str | None:
    if not cleared:
        return None
    lines = [phrase("cleared_intro", lang)]
    shown = [instrument.question(name).label.get(lang) for name in cleared[:_CLEARED_SHOWN]]
    lines += [f"• {label}" for label in distinct_short_labels(shown, 60)]
    if len(cleared) > _CLEARED_SHOWN:
        lines.append(phrase("cleared_more", lang, count=len(cleared) - _CLEARED_SHOWN))
    return "\n".join(lines)


def _stale(
    instrument: Instrument, question: Question, raw: Raw, answers: Answers, lang: str
) -> Rejected:
    """Why a reply for a question that is not the one being asked is not recorded."""
    state = walk(instrument, answers)
    if state.position(question.name) is None:
        return Rejected(question.name, phrase("not_relevant", lang), "not_relevant")
    if question.name in state.answered:
        try:
            same = parse_answer(instrument, question, raw) == answers.get(question.name)
        except AnswerError:
            same = False
        if same:
            return Rejected(question.name, phrase("already_recorded", lang), "already_recorded")
    key = "not_current" if state.frontier is not None else "not_current_done"
    return Rejected(question.name, phrase(key, lang), "not_current")


def answer(
    instrument: Instrument,
    question_name: str,
    raw: Raw,
    answers: Answers,
    cursor: str | None = None,
    *,
    confirmed: bool = False,
    lang: str = "id",
) -> AnswerOutcome:
    """Decide what to do with `raw`, the reply to `question_name`, given the stored answers.

    `raw` None (or blank) skips an optional question. Order of checks: length, that the question
    is the one being asked, parsing, required and constraint, then the soft range.
    """
    if isinstance(raw, str) and len(raw) > MAX_MESSAGE_LENGTH:
        return Rejected(question_name, phrase("too_long", lang), "too_long")
    if not instrument.has_question(question_name):
        return Rejected(question_name, phrase("unknown_question", lang), "unknown_question")
    question = instrument.question(question_name)
    current = current_question(instrument, answers, cursor)
    if current is None or current.name != question_name:
        return _stale(instrument, question, raw, answers, lang)

    try:
        value = parse_answer(instrument, question, raw)
    except AnswerError as error:
        return Rejected(question_name, error.message)
    problem = check_answer(instrument, question, value, answers, lang)
    if problem is not None:
        return Rejected(question_name, problem)
    warning = soft_warning(question, value, lang)
    if warning is not None and not confirmed:
        return NeedsConfirmation(question_name, value, warning)

    updated = dict(answers)
    updated[question_name] = value
    after = walk(instrument, updated)
    relevant = {q.name for q in after.relevant}
    cleared = tuple(
        q.name for q in instrument.questions if q.name in updated and q.name not in relevant
    )
    for name in cleared:
        del updated[name]
    next_question = after.frontier
    return Accepted(
        question=question_name,
        value=value,
        changed=question_name not in answers or answers[question_name] != value,
        cleared=cleared,
        next_cursor=None,
        next_question=next_question.name if next_question is not None else None,
        answers=MappingProxyType(updated),
        notice=_cleared_notice(instrument, cleared, lang),
    )
