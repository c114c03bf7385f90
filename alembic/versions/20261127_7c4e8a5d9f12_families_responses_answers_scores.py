"""Families, responses, answers with their audit trail, and family scores.

Revision ID: 7c4e8a5d9f12
Revises: 3b9d1f0c2a71
Create Date: 2026-11-27 18:01:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "7c4e8a5d9f12"
down_revision: str | Sequence[str] | None = "3b9d1f0c2a71"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# BIGINT on PostgreSQL; SQLite needs INTEGER for an auto-incrementing rowid key.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "family",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("village_code", sa.String(length=16), nullable=False),
        sa.Column("rt", sa.Integer(), nullable=False),
        sa.Column("head_name", sa.String(length=120), nullable=False),
        sa.Column("head_name_norm", sa.String(length=120), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("rt >= 0", name=op.f("ck_family_rt_not_negative")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["app_user.id"], name=op.f("fk_family_created_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["village_code"], ["area.code"], name=op.f("fk_family_village_code_area")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_family")),
    )
    op.create_index(op.f("ix_family_created_by"), "family", ["created_by"])
    op.create_index("ix_family_village_code_period", "family", ["village_code", "period"])

    op.create_table(
        "response",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("cadre_id", sa.Integer(), nullable=False),
        sa.Column("instrument_id", sa.String(length=64), nullable=False),
        sa.Column("instrument_version", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("current_question", sa.String(length=64), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("family_score_pct", sa.Float(), nullable=True),
        sa.Column("family_band", sa.String(length=16), nullable=True),
        sa.CheckConstraint("status IN ('draft', 'submitted')", name=op.f("ck_response_status")),
        sa.CheckConstraint("version >= 0", name=op.f("ck_response_version_not_negative")),
        sa.ForeignKeyConstraint(
            ["cadre_id"], ["app_user.id"], name=op.f("fk_response_cadre_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["family.id"],
            name=op.f("fk_response_family_id_family"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_response")),
        sa.UniqueConstraint("family_id", name=op.f("uq_response_family_id")),
    )
    op.create_index("ix_response_cadre_id_status", "response", ["cadre_id", "status"])
    op.create_index(op.f("ix_response_status"), "response", ["status"])

    op.create_table(
        "answer",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_by", sa.Integer(), nullable=False),
        sa.Column("update_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["answered_by"], ["app_user.id"], name=op.f("fk_answer_answered_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["response.id"],
            name=op.f("fk_answer_response_id_response"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answer")),
        sa.UniqueConstraint(
            "response_id", "question", name=op.f("uq_answer_response_id_question")
        ),
    )
    op.create_index(op.f("ix_answer_answered_by"), "answer", ["answered_by"])

    op.create_table(
        "answer_change",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=64), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("changed_by", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["changed_by"],
            ["app_user.id"],
            name=op.f("fk_answer_change_changed_by_app_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["response.id"],
            name=op.f("fk_answer_change_response_id_response"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answer_change")),
    )
    op.create_index(op.f("ix_answer_change_changed_by"), "answer_change", ["changed_by"])
    op.create_index(op.f("ix_answer_change_response_id"), "answer_change", ["response_id"])

    op.create_table(
        "family_score",
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("indicator", sa.String(length=32), nullable=False),
        sa.Column("score", sa.SmallInteger(), nullable=True),
        sa.Column("instrument_id", sa.String(length=64), nullable=False),
        sa.Column("instrument_version", sa.String(length=32), nullable=False),
        sa.CheckConstraint("score IN (0, 1)", name=op.f("ck_family_score_score_binary")),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["response.id"],
            name=op.f("fk_family_score_response_id_response"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("response_id", "indicator", name=op.f("pk_family_score")),
    )


def downgrade() -> None:
    op.drop_table("family_score")
    op.drop_index(op.f("ix_answer_change_response_id"), table_name="answer_change")
    op.drop_index(op.f("ix_answer_change_changed_by"), table_name="answer_change")
    op.drop_table("answer_change")
    op.drop_index(op.f("ix_answer_answered_by"), table_name="answer")
    op.drop_table("answer")
    op.drop_index(op.f("ix_response_status"), table_name="response")
    op.drop_index("ix_response_cadre_id_status", table_name="response")
    op.drop_table("response")
    op.drop_index("ix_family_village_code_period", table_name="family")
    op.drop_index(op.f("ix_family_created_by"), table_name="family")
    op.drop_table("family")
