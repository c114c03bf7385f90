"""Personal-data bookkeeping: an audit table for erasures and sensitive exports, and revoked
invites.

`audit_event` records who erased a family or exported sensitive columns, when and for which
area, without any personal data. `invite.revoked_at` lets the admin withdraw an invite that was
sent to the wrong person before it is used.

Revision ID: b7d3e5a1c904
Revises: fa4c7d2e9b31
Create Date: 2026-12-04 18:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "b7d3e5a1c904"
down_revision: str | Sequence[str] | None = "fa4c7d2e9b31"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("area_code", sa.String(length=16), nullable=True),
        sa.Column("period", sa.Integer(), nullable=True),
        sa.Column("family_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    op.create_index(op.f("ix_audit_event_action"), "audit_event", ["action"], unique=False)
    with op.batch_alter_table("invite") as batch:
        batch.add_column(sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("invite") as batch:
        batch.drop_column("revoked_at")
    op.drop_index(op.f("ix_audit_event_action"), table_name="audit_event")
    op.drop_table("audit_event")
