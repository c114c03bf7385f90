"""Inserting many rows fast: one compiled INSERT, the rows as tuples, the driver's executemany.

An import writes millions of answer and score rows. Through SQLAlchemy's per-row parameter
handling (ORM bulk bookkeeping, bind processing of each value) that costs more than the
database's own work; here the statement is compiled once for the dialect (`?` for SQLite,
`$1` for asyncpg) and the rows go to the driver as they are. Values must already be what the
driver takes: `bind_value` converts a value through its column's type once (e.g. one
timestamp shared by every row).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["bind_value", "insert_tuples"]

#: (table, columns, dialect) → (SQL, position of each column): compiled once per process.
_COMPILED: dict[tuple[str, tuple[str, ...], str], tuple[str, tuple[int, ...]]] = {}


async def bind_value(session: AsyncSession, column: Column[Any], value: Any) -> Any:
    """`value` as the driver receives it for `column` (the type's bind processing, once)."""
    dialect = (await session.connection()).dialect
    processor = column.type.bind_processor(dialect)
    return processor(value) if processor is not None else value


async def insert_tuples(
    session: AsyncSession, table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """INSERT `rows` (tuples in the order of `columns`) into `table` in one executemany."""
    if not rows:
        return
    connection = await session.connection()
    key = (table.name, tuple(columns), connection.dialect.name)
    found = _COMPILED.get(key)
    if found is None:
        compiled = insert(table).compile(
            dialect=connection.dialect, column_keys=list(columns), for_executemany=True
        )
        order = tuple(columns.index(name) for name in compiled.positiontup or ())
        found = _COMPILED[key] = (str(compiled), order)
    sql, order = found
    if order != tuple(range(len(columns))):
        rows = [tuple(row[i] for i in order) for row in rows]
    await connection.exec_driver_sql(sql, list(rows))
