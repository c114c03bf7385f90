"""Alert outbox: message parts, what they reported, leases per row and per run.

`parts` (JSON list of message texts) and `parts_sent` let a restarted sender carry on with the
part after the last one Telegram confirmed; `snapshot` (JSON) is what the alert reported, so
next week's "new / worse / recovered" compares with what this official was told; `lease_owner`
and `lease_until` stop two processes from sending the same row; `uncertain` counts attempts
that may have reached Telegram without an answer (a timeout, a crash), retried at most once.
On `alert_run`, `due_at` is when the schedule said the run was due, and `sender` /
`sender_until` let one process at a time send a run's outbox (so two processes never pace the
same run side by side at twice the allowed rate).

Revision ID: f36ba89aba4b
Revises: e1a6b2c8d340
Create Date: 2026-11-27 18:35:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "f36ba89aba4b"
down_revision: str | Sequence[str] | None = "e1a6b2c8d340"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alert_run") as batch:
        batch.add_column(sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("sender", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("sender_until", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("alert_delivery") as batch:
        batch.add_column(sa.Column("parts", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("parts_sent", sa.Integer(), server_default="0", nullable=False)
        )
        batch.add_column(sa.Column("snapshot", sa.Text(), nullable=True))
        batch.add_column(sa.Column("lease_owner", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("uncertain", sa.Integer(), server_default="0", nullable=False)
        )
    op.create_index(
        op.f("ix_alert_delivery_run_id_status"), "alert_delivery", ["run_id", "status"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_alert_delivery_run_id_status"), table_name="alert_delivery")
    with op.batch_alter_table("alert_delivery") as batch:
        batch.drop_column("uncertain")
        batch.drop_column("lease_until")
        batch.drop_column("lease_owner")
        batch.drop_column("snapshot")
        batch.drop_column("parts_sent")
        batch.drop_column("parts")
    with op.batch_alter_table("alert_run") as batch:
        batch.drop_column("sender_until")
        batch.drop_column("sender")
        batch.drop_column("due_at")
