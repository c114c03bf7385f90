"""The one error an expression can raise, and the limits that keep hostile input cheap.

Expressions are written by provincial operators in a spreadsheet, so the message is in plain
Indonesian and carries the 0-based character offset where the problem is, for the editor to find.
"""

from __future__ import annotations

#: Longest accepted source, checked before tokenising so a 1 MB cell costs nothing.
MAX_SOURCE_LENGTH = 4000
#: Deepest accepted nesting (brackets, function calls, unary minus, operator levels), checked while
#: parsing so that neither the parser nor the evaluators can exhaust Python's recursion limit.
MAX_DEPTH = 64
#: Longest accepted regex() pattern.
MAX_PATTERN_LENGTH = 200


class ExpressionError(ValueError):
    """A parse or compile error, worded for the person editing the spreadsheet.

    `position` is the 0-based character offset into `source` (or None when the whole expression is
    at fault); `str(error)` shows it 1-based, as a person counts.
    """

    def __init__(self, message: str, position: int | None, source: str) -> None:
        self.message = message
        self.position = position
        self.source = source
        super().__init__(self.__str__())

    def __str__(self) -> str:
        if self.position is None:
            return self.message
        return f"{self.message} (posisi {self.position + 1})"

    def __reduce__(self) -> tuple[type[ExpressionError], tuple[str, int | None, str]]:
        return (type(self), (self.message, self.position, self.source))
