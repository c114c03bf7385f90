"""Per-village indicator counts of submitted families, kept beside the family scores.

Reports add up these counts (at most villages × indicators rows) instead of grouping every
family's score rows: a province of 400,000 families has 11.6 million score rows but 58,000
count rows. The key starts with the village code, so one village, or the villages of an area
(a range of codes), is an index range. The table is filled here from the scores already stored.

Revision ID: fa4c7d2e9b31
Revises: f36ba89aba4b
Create Date: 2026-11-27 19:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "fa4c7d2e9b31"
down_revision: str | Sequence[str] | None = "f36ba89aba4b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL = """
INSERT INTO village_indicator_count
    (period, village_code, indicator, instrument_id, instrument_version,
     families, met, applicable)
SELECT f.period, f.village_code, s.indicator, s.instrument_id, s.instrument_version,
       count(*), sum(CASE WHEN s.score = 1 THEN 1 ELSE 0 END), count(s.score)
FROM family_score s
JOIN response r ON r.id = s.response_id
JOIN family f ON f.id = r.family_id
WHERE r.status = 'submitted'
GROUP BY f.period, f.village_code, s.indicator, s.instrument_id, s.instrument_version
"""


def upgrade() -> None:
    op.create_table(
        "village_indicator_count",
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
            name=op.f("ck_village_indicator_count_counts_consistent"),
        ),
        sa.ForeignKeyConstraint(
            ["village_code"],
            ["area.code"],
            name=op.f("fk_village_indicator_count_village_code_area"),
        ),
        sa.PrimaryKeyConstraint(
            "village_code",
            "period",
            "indicator",
            "instrument_id",
            "instrument_version",
            name=op.f("pk_village_indicator_count"),
        ),
    )
    op.execute(BACKFILL)


def downgrade() -> None:
    op.drop_table("village_indicator_count")
