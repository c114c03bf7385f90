"""Services: the use cases the Telegram handlers and the CLI call, one transaction each.

- `families`: start a family, drafts, the period's families, the duplicate-family choice.
- `answering`: record / skip / confirm an answer, back, open for edit, position, cancel.
- `submission`: submit with scores, rescore after an instrument change.
- `reports`: an area's IKK from stored scores, with its villages and the previous period.
- `progress`: collection progress per village and per kader.

Every service takes a `ServiceContext` and the acting user, commits before returning, and
returns frozen values (`outcomes.Outcome`, `outcomes.Position`, report objects) that can be
rendered without touching the database again.
"""

from bot.services.context import Actor, ServiceContext
from bot.services.outcomes import DuplicateFamily, Outcome, OutcomeKind, Position, ScoreSummary

__all__ = [
    "Actor",
    "DuplicateFamily",
    "Outcome",
    "OutcomeKind",
    "Position",
    "ScoreSummary",
    "ServiceContext",
]
