"""Processed Telegram updates (idempotency), alert runs, deliveries and subscriptions.

Revision ID: e1a6b2c8d340
Revises: 7c4e8a5d9f12
Create Date: 2026-11-27 18:02:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "e1a6b2c8d340"
down_revision: str | Sequence[str] | None = "7c4e8a5d9f12"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "processed_update",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_processed_update")),
    )
    op.create_index(
        op.f("ix_processed_update_processed_at"), "processed_update", ["processed_at"]
    )

    op.create_table(
        "alert_run",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("alert", sa.String(length=64), nullable=False),
        sa.Column("period_key", sa.String(length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.CheckConstraint(
            "status IN ('running', 'done', 'failed')", name=op.f("ck_alert_run_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_run")),
        sa.UniqueConstraint("alert", "period_key", name=op.f("uq_alert_run_alert_period_key")),
    )

    op.create_table(
        "alert_delivery",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("telegram_message_id", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'blocked', 'failed')",
            name=op.f("ck_alert_delivery_status"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["alert_run.id"],
            name=op.f("fk_alert_delivery_run_id_alert_run"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_alert_delivery_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_delivery")),
        sa.UniqueConstraint("run_id", "user_id", name=op.f("uq_alert_delivery_run_id_user_id")),
    )
    op.create_index(op.f("ix_alert_delivery_status"), "alert_delivery", ["status"])
    op.create_index(op.f("ix_alert_delivery_user_id"), "alert_delivery", ["user_id"])

    op.create_table(
        "alert_subscription",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("sectors", sa.Text(), nullable=True),
        sa.Column("quiet_weeks", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_alert_subscription_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_alert_subscription")),
    )


def downgrade() -> None:
    op.drop_table("alert_subscription")
    op.drop_index(op.f("ix_alert_delivery_user_id"), table_name="alert_delivery")
    op.drop_index(op.f("ix_alert_delivery_status"), table_name="alert_delivery")
    op.drop_table("alert_delivery")
    op.drop_table("alert_run")
    op.drop_index(op.f("ix_processed_update_processed_at"), table_name="processed_update")
    op.drop_table("processed_update")
