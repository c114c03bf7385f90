"""Which chat message shows a response's live question (`live_message_id`, `live_version`).

A typed answer carries no version, only its Telegram message id. It is bound to the question it
answers by comparing that id with the id of the message that first showed the live question
(for the response version in `live_version`): a text sent before that message, or while the
current version was never shown (its send failed), is not an answer to this question.
Existing rows are marked as shown with message id 0, so a kader's draft from before this
revision keeps accepting typed answers as it did.

Revision ID: c5e81d3a7b20
Revises: c0e7a1d4b5f2
Create Date: 2026-12-04 18:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "c5e81d3a7b20"
down_revision: str | Sequence[str] | None = "c0e7a1d4b5f2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("response") as batch:
        batch.add_column(sa.Column("live_message_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("live_version", sa.Integer(), nullable=True))
    op.execute("UPDATE response SET live_message_id = 0, live_version = version")


def downgrade() -> None:
    with op.batch_alter_table("response") as batch:
        batch.drop_column("live_version")
        batch.drop_column("live_message_id")
