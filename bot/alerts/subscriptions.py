"""An official's alert preferences: on/off, followed sectors, quiet-week notes.

A user without a row has the defaults (on, all sectors, no quiet-week notes); the row is
created the first time they open /peringatan, with ``INSERT ... ON CONFLICT DO NOTHING`` so two
taps at once never collide. Sectors are stored comma-separated (office names have no commas).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import AlertSubscription
from bot.db.types import utcnow

__all__ = [
    "DEFAULT_SUBSCRIPTION",
    "Subscription",
    "ensure_subscription",
    "join_sectors",
    "load_subscriptions",
    "parse_sectors",
    "update_subscription",
]


@dataclass(frozen=True)
class Subscription:
    enabled: bool = True
    sectors: tuple[str, ...] = ()
    """Followed sectors; empty = every sector."""
    quiet_weeks: bool = False


DEFAULT_SUBSCRIPTION = Subscription()


def parse_sectors(text: str | None) -> tuple[str, ...]:
    """The stored list as a tuple, without blanks or repeats (first spelling kept)."""
    seen: dict[str, str] = {}
    for part in (text or "").split(","):
        name = part.strip()
        if name:
            seen.setdefault(name.casefold(), name)
    return tuple(seen.values())


def join_sectors(sectors: Iterable[str]) -> str | None:
    """The stored form of a sector list (None for "all sectors")."""
    cleaned = parse_sectors(",".join(" ".join(s.replace(",", " ").split()) for s in sectors))
    return ", ".join(cleaned) if cleaned else None


def _of(row: AlertSubscription) -> Subscription:
    return Subscription(bool(row.enabled), parse_sectors(row.sectors), bool(row.quiet_weeks))


def _insert_for(session: AsyncSession) -> Any:
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


async def ensure_subscription(session: AsyncSession, user_id: int) -> Subscription:
    """The user's preferences, creating the default row if they have none yet."""
    await session.execute(
        _insert_for(session)(AlertSubscription)
        .values(user_id=user_id, enabled=True, sectors=None, quiet_weeks=False,
                updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=[AlertSubscription.user_id])
    )
    row = await session.get(AlertSubscription, user_id, populate_existing=True)
    assert row is not None
    return _of(row)


async def update_subscription(
    session: AsyncSession,
    user_id: int,
    *,
    enabled: bool | None = None,
    quiet_weeks: bool | None = None,
    sectors: Sequence[str] | None = None,
) -> Subscription:
    """Change the given preferences (others stay) and return the result."""
    await ensure_subscription(session, user_id)
    values: dict[str, Any] = {"updated_at": utcnow()}
    if enabled is not None:
        values["enabled"] = enabled
    if quiet_weeks is not None:
        values["quiet_weeks"] = quiet_weeks
    if sectors is not None:
        values["sectors"] = join_sectors(sectors)
    await session.execute(
        update(AlertSubscription).where(AlertSubscription.user_id == user_id).values(**values)
    )
    row = await session.get(AlertSubscription, user_id, populate_existing=True)
    assert row is not None
    return _of(row)


async def load_subscriptions(
    session: AsyncSession, user_ids: Sequence[int]
) -> dict[int, Subscription]:
    """Preferences of many users at once; users without a row get the defaults."""
    found: dict[int, Subscription] = dict.fromkeys(user_ids, DEFAULT_SUBSCRIPTION)
    if not user_ids:
        return found
    ids = list(user_ids)
    for start in range(0, len(ids), 500):
        rows = await session.scalars(
            select(AlertSubscription).where(AlertSubscription.user_id.in_(ids[start:start + 500]))
        )
        for row in rows:
            found[row.user_id] = _of(row)
    return found
