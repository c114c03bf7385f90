"""Families from other systems: the source, its id for the family, and what it last said.

`families import` brings families from the province's web app or Kobo/ODK files. `source`
(e.g. "kobo") and `external_id` (the source's id of the record) make a second import of the
same file recognise its families: unique per period, so the same record can be surveyed again
next year. `source_digest` is a hash of the identity and answers the import stored, so an
unchanged row is skipped without reading its answers back. Families entered in chat leave all
three NULL (NULLs never collide in a unique index, on SQLite and PostgreSQL alike).
`ix_family_identity` finds a family by village, period, RT and normalised head name (the
chat's duplicate rule) without reading the village's other families.

Revision ID: b7e3d91c4a52
Revises: b7e2c4a9d1f0
Create Date: 2026-12-04 17:50:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "b7e3d91c4a52"
down_revision: str | Sequence[str] | None = "b7e2c4a9d1f0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("family") as batch:
        batch.add_column(sa.Column("source", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("external_id", sa.String(length=120), nullable=True))
        batch.add_column(sa.Column("source_digest", sa.String(length=64), nullable=True))
    op.create_index(
        "uq_family_source_external_id_period",
        "family",
        ["source", "external_id", "period"],
        unique=True,
    )
    op.create_index(
        "ix_family_identity", "family", ["village_code", "period", "rt", "head_name_norm"]
    )


def downgrade() -> None:
    op.drop_index("ix_family_identity", table_name="family")
    op.drop_index("uq_family_source_external_id_period", table_name="family")
    with op.batch_alter_table("family") as batch:
        batch.drop_column("source_digest")
        batch.drop_column("external_id")
        batch.drop_column("source")
