"""The audit trail of personal-data operations (erasure, sensitive exports).

A row says who did what, when and where, never to whom by name or with which answer: an audit
row that kept the erased family's name would undo the erasure.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import AuditEvent

__all__ = [
    "ACTION_FAMILY_DELETED",
    "ACTION_SENSITIVE_EXPORT",
    "audit_events",
    "record_audit",
]

ACTION_FAMILY_DELETED = "family_deleted"
ACTION_SENSITIVE_EXPORT = "sensitive_export"


async def record_audit(
    session: AsyncSession,
    action: str,
    actor: str,
    *,
    area_code: str | None = None,
    period: int | None = None,
    family_id: int | None = None,
    reason: str | None = None,
) -> AuditEvent:
    """Add one audit row to the caller's transaction (it commits with the act it records)."""
    event = AuditEvent(
        action=action,
        actor=actor[:80],
        area_code=area_code,
        period=period,
        family_id=family_id,
        reason=(reason or None) and reason[:200],
    )
    session.add(event)
    await session.flush()
    return event


async def audit_events(session: AsyncSession, action: str | None = None) -> Sequence[AuditEvent]:
    """The audit rows, oldest first (optionally of one action)."""
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    return (await session.execute(query)).scalars().all()
