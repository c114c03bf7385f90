"""Column types that behave the same on SQLite and PostgreSQL.

SQLite silently drops a timestamp's offset and returns naive values (field notes §6.1), and
native enum types make PostgreSQL migrations painful; these decorators store plain columns
and hand Python the right objects on both backends.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import DateTime, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

__all__ = ["StrEnumType", "UTCDateTime", "utcnow"]

E = TypeVar("E", bound=StrEnum)


def utcnow() -> datetime:
    """The current time, aware, in UTC: the only kind of time the database stores."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, UTC on disk, aware UTC datetimes out.

    A naive datetime is refused: guessing its zone is exactly the bug this type exists to stop.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: give a timezone-aware datetime")
        as_utc = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return as_utc.replace(tzinfo=None)
        return as_utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class StrEnumType(TypeDecorator[E]):
    """A `StrEnum` stored as its value in a VARCHAR (a CHECK constraint lists the values).

    Plain strings keep migrations simple on PostgreSQL, where adding a value to a native enum
    type needs its own non-transactional statement.
    """

    impl = String
    cache_ok = True

    def __init__(self, enum_class: type[E], length: int = 16) -> None:
        super().__init__(length)
        self.enum_class = enum_class
        self.length = length

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return self.enum_class(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> E | None:
        if value is None:
            return None
        return self.enum_class(value)

    def check_values(self) -> str:
        """The SQL list of allowed values, for a CHECK constraint."""
        return ", ".join(f"'{member.value}'" for member in self.enum_class)
