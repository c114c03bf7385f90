"""Which areas a user may see: the one place where access to data is decided.

Every repository read of areas, families, answers, scores or aggregates takes a `Scope` and
filters with `Scope.filter_codes`; handlers never filter. An admin or pejabat sees the subtree
of their area; a kader sees exactly their villages; an inactive user sees nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, SQLColumnExpression, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import AppUser, Role, UserArea
from ikk_core.areas import is_within

__all__ = ["OutOfScope", "Scope", "scope_for_user"]


class OutOfScope(PermissionError):
    """The acting user asked for an area outside their scope (message is Indonesian)."""


@dataclass(frozen=True)
class Scope:
    """A set of area subtrees plus a set of single villages (both may be empty).

    `unrestricted` is for the operator at the command line, who has the whole database.
    """

    roots: frozenset[str] = field(default_factory=frozenset)
    villages: frozenset[str] = field(default_factory=frozenset)
    unrestricted: bool = False

    @classmethod
    def everything(cls) -> Scope:
        """No restriction: for CLI commands run by whoever holds the database."""
        return cls(unrestricted=True)

    @classmethod
    def nothing(cls) -> Scope:
        return cls()

    @classmethod
    def subtree(cls, *codes: str) -> Scope:
        """Each code and everything below it."""
        return cls(roots=frozenset(codes))

    @classmethod
    def of_villages(cls, codes: Iterable[str]) -> Scope:
        """Exactly these areas, nothing below or above them."""
        return cls(villages=frozenset(codes))

    @property
    def is_empty(self) -> bool:
        return not (self.unrestricted or self.roots or self.villages)

    def contains(self, code: str) -> bool:
        """True when the area `code` may be seen in this scope."""
        if self.unrestricted or code in self.villages:
            return True
        return any(is_within(code, root) for root in self.roots)

    def filter_codes(self, column: SQLColumnExpression[str]) -> ColumnElement[bool]:
        """SQL condition on an area-code column: the row's area is in this scope.

        Subtree roots become ``code = root OR code LIKE 'root.%'`` (codes hold only digits and
        dots, so nothing needs escaping); villages become ``code IN (...)``.
        """
        if self.unrestricted:
            return true()
        conditions: list[ColumnElement[bool]] = []
        for root in sorted(self.roots):
            conditions.append(column == root)
            conditions.append(column.like(f"{root}.%"))
        if self.villages:
            conditions.append(column.in_(sorted(self.villages)))
        if not conditions:
            return false()
        return or_(*conditions)


async def scope_for_user(session: AsyncSession, user: AppUser) -> Scope:
    """The scope of `user` as the database says now (kader villages are read from `user_area`)."""
    if not user.active:
        return Scope.nothing()
    if user.role is Role.KADER:
        rows = await session.scalars(select(UserArea.area_code).where(UserArea.user_id == user.id))
        return Scope.of_villages(rows.all())
    return Scope.subtree(user.area_code)
