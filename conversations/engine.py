"""The dialogue engine in one import: what the Telegram shell (and any other front end) calls.

Every function takes the instrument, the stored answers (question name → typed value) and the
optional cursor, and returns immutable values; nothing is remembered between calls, so the
database stays the only conversation state (design decision 1). The rules of navigation are in
`conversations.navigation`'s docstring.
"""

from __future__ import annotations

from conversations.answering import (
    MAX_MESSAGE_LENGTH,
    Accepted,
    AnswerOutcome,
    NeedsConfirmation,
    Raw,
    Rejected,
    RejectReason,
    answer,
)
from conversations.display import display_value, short_label
from conversations.navigation import (
    Answers,
    back,
    current_question,
    edit,
    is_complete,
    missing_required,
    question_at,
    question_index,
)
from conversations.phrases import phrase
from conversations.prompts import (
    ChoiceOption,
    InputKind,
    Progress,
    PromptLine,
    QuestionPrompt,
    progress,
    prompt,
)
from conversations.review import (
    TELEGRAM_TEXT_LIMIT,
    Review,
    ReviewItem,
    ReviewSection,
    render_review,
    review,
)

__all__ = [
    "MAX_MESSAGE_LENGTH",
    "TELEGRAM_TEXT_LIMIT",
    "Accepted",
    "AnswerOutcome",
    "Answers",
    "ChoiceOption",
    "InputKind",
    "NeedsConfirmation",
    "Progress",
    "PromptLine",
    "QuestionPrompt",
    "Raw",
    "RejectReason",
    "Rejected",
    "Review",
    "ReviewItem",
    "ReviewSection",
    "answer",
    "back",
    "current_question",
    "display_value",
    "edit",
    "is_complete",
    "missing_required",
    "phrase",
    "progress",
    "prompt",
    "question_at",
    "question_index",
    "render_review",
    "review",
    "short_label",
]
