"""Alert outbox: `sending_since`, set in its own commit right before a part's HTTP request.

After a crash only a row whose request had started may have reached Telegram; a row that was
merely leased ahead (waiting for its send slot, e.g. during a 429 pause) goes back to pending
without counting as uncertain. Without this mark every leased row of a dead sender counted as
a possibly delivered attempt, and two crashes failed officials who never got anything.

Revision ID: b7e3d9a41c52
Revises: b7e3d91c4a52
Create Date: 2026-12-04 18:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "b7e3d9a41c52"
down_revision: str | Sequence[str] | None = "b7e3d91c4a52"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alert_delivery") as batch:
        batch.add_column(sa.Column("sending_since", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alert_delivery") as batch:
        batch.drop_column("sending_since")
