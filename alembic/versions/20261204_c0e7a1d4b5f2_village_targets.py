"""Expected families per village (`ikk-bot areas targets`), for the coverage of area figures.

A small table of its own rather than a column on `area`: targets come from another source (the
village registers) on another schedule, and a village without a row simply has no known target.

Revision ID: c0e7a1d4b5f2
Revises: b7e3d9a41c52
Create Date: 2026-12-04 18:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "c0e7a1d4b5f2"
down_revision: str | Sequence[str] | None = "b7e3d9a41c52"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "village_target",
        sa.Column("village_code", sa.String(length=16), nullable=False),
        sa.Column("families", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("families > 0", name=op.f("ck_village_target_positive")),
        sa.ForeignKeyConstraint(
            ["village_code"], ["area.code"], name=op.f("fk_village_target_village_code_area")
        ),
        sa.PrimaryKeyConstraint("village_code", name=op.f("pk_village_target")),
    )


def downgrade() -> None:
    op.drop_table("village_target")
