"""Claimed updates keyed by (bot id, update id); answers say through which bot they came.

Telegram numbers updates per bot token, so with several bots (one per kabupaten) two bots'
update 17 are two different updates. `processed_update` gains `bot_id` (existing rows: 0, the
key of the single bot before) and its primary key becomes (bot_id, update_id); `answer` gains a
nullable `bot_id` beside its `update_id`. Stepping back keeps one claim per update id (the
lowest bot id's), since the old key cannot hold two.

Revision ID: eb2c74bc77bc
Revises: 5d8e2a7c41b9
Create Date: 2026-12-05 08:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "eb2c74bc77bc"
down_revision: str | Sequence[str] | None = "5d8e2a7c41b9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("processed_update") as batch:
        batch.add_column(
            sa.Column("bot_id", sa.BigInteger(), server_default="0", nullable=False,
                      autoincrement=False)
        )
        batch.drop_constraint(op.f("pk_processed_update"), type_="primary")
        batch.create_primary_key(op.f("pk_processed_update"), ["bot_id", "update_id"])
    with op.batch_alter_table("answer") as batch:
        batch.add_column(sa.Column("bot_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("answer") as batch:
        batch.drop_column("bot_id")
    op.execute(
        "DELETE FROM processed_update WHERE bot_id > (SELECT MIN(p.bot_id) FROM "
        "processed_update p WHERE p.update_id = processed_update.update_id)"
    )
    with op.batch_alter_table("processed_update") as batch:
        batch.drop_constraint(op.f("pk_processed_update"), type_="primary")
        batch.create_primary_key(op.f("pk_processed_update"), ["update_id"])
        batch.drop_column("bot_id")
