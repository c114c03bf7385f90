"""Supervisor review: the role `supervisor` and the review state of each family.

A supervisor (bound to a kecamatan or kabupaten) marks submitted families "terverifikasi" or
"perlu dicek" with a reason, as Kobo's validation status does. The role CHECK of `app_user`
and `invite` gains the new value; `response_review` holds one row per reviewed family (no row:
"belum diperiksa"). Every change is also an `audit_event` row. `verified_indicator_count` is
`village_indicator_count` over verified families only (empty here: nothing is reviewed yet).

Revision ID: 5d8e2a7c41b9
Revises: c5e81d3a7b20
Create Date: 2026-12-05 07:20:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "5d8e2a7c41b9"
down_revision: str | Sequence[str] | None = "c5e81d3a7b20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_ROLES = "role IN ('kader', 'pejabat', 'admin')"
NEW_ROLES = "role IN ('kader', 'pejabat', 'admin', 'supervisor')"


def _roles(check: str) -> None:
    for table in ("app_user", "invite"):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(f"ck_{table}_role"), type_="check")
            batch.create_check_constraint(op.f(f"ck_{table}_role"), check)


def upgrade() -> None:
    _roles(NEW_ROLES)
    op.create_table(
        "response_review",
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('belum', 'terverifikasi', 'perlu_dicek')",
            name=op.f("ck_response_review_status"),
        ),
        sa.ForeignKeyConstraint(
            ["family_id"], ["family.id"],
            name=op.f("fk_response_review_family_id_family"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by"], ["app_user.id"],
            name=op.f("fk_response_review_reviewed_by_app_user"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("family_id", name=op.f("pk_response_review")),
    )
    op.create_index(op.f("ix_response_review_status"), "response_review", ["status"])
    op.create_index(op.f("ix_response_review_reviewed_by"), "response_review", ["reviewed_by"])
    op.create_table(
        "verified_indicator_count",
        sa.Column("village_code", sa.String(length=16), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("indicator", sa.String(length=32), nullable=False),
        sa.Column("instrument_id", sa.String(length=64), nullable=False),
        sa.Column("instrument_version", sa.String(length=32), nullable=False),
        sa.Column("families", sa.Integer(), nullable=False),
        sa.Column("met", sa.Integer(), nullable=False),
        sa.Column("applicable", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "met >= 0 AND met <= applicable AND applicable <= families",
            name=op.f("ck_verified_indicator_count_counts_consistent"),
        ),
        sa.ForeignKeyConstraint(
            ["village_code"], ["area.code"],
            name=op.f("fk_verified_indicator_count_village_code_area"),
        ),
        sa.PrimaryKeyConstraint(
            "village_code", "period", "indicator", "instrument_id", "instrument_version",
            name=op.f("pk_verified_indicator_count"),
        ),
    )


def downgrade() -> None:
    op.drop_table("verified_indicator_count")
    op.drop_index(op.f("ix_response_review_reviewed_by"), table_name="response_review")
    op.drop_index(op.f("ix_response_review_status"), table_name="response_review")
    op.drop_table("response_review")
    op.execute("DELETE FROM invite WHERE role = 'supervisor'")
    op.execute("UPDATE app_user SET role = 'pejabat' WHERE role = 'supervisor'")
    _roles(OLD_ROLES)
