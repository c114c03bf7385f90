"""Default instrument 2026.2 asks KF2 and KF3 as plain events: flip the stored answers.

Version 2026.1 asked "are all toddlers NOT undernourished?" (KF2) and "are all members free of
chronic illness or disability?" (KF3), "ya" meeting the indicator. Version 2026.2 asks whether
there IS an undernourished toddler / a member with such an illness, "tidak" meeting it. An
answer given to the old wording means the opposite under the new one, so a rescore or an edit
would silently turn every met KF2/KF3 into unmet. This migration rewrites the answers of
responses recorded with ikk-kalsel-default 2026.1 to what the family would answer to 2026.2
(ya ↔ tidak), and relabels those responses and their score rows 2026.2: the scores themselves
are unchanged (same meaning, same rule), so no report moves and nothing shows as "outdated".
The village counts are rebuilt from the score rows. Downgrade does the reverse for 2026.2.

Only the shipped default (id ikk-kalsel-default, exact version) is touched: an instrument a
province edited carries its own id or version and its answers mean what its wording says.
The audit rows (answer_change) keep what was typed at the time, under the wording of the time.

Revision ID: b7e2c4a9d1f0
Revises: b7d3e5a1c904
Create Date: 2026-12-04 18:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "b7e2c4a9d1f0"
down_revision: str | Sequence[str] | None = "b7d3e5a1c904"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INSTRUMENT = "ikk-kalsel-default"
OLD, NEW = "2026.1", "2026.2"

FLIP_ANSWERS = """
UPDATE answer
SET value = CASE value WHEN 'ya' THEN 'tidak' WHEN 'tidak' THEN 'ya' ELSE value END
WHERE question IN ('KF2', 'KF3')
  AND response_id IN (
    SELECT id FROM response WHERE instrument_id = :instrument AND instrument_version = :version
  )
"""
RELABEL_RESPONSES = """
UPDATE response SET instrument_version = :target
WHERE instrument_id = :instrument AND instrument_version = :version
"""
RELABEL_SCORES = """
UPDATE family_score SET instrument_version = :target
WHERE instrument_id = :instrument AND instrument_version = :version
  AND response_id IN (
    SELECT id FROM response WHERE instrument_id = :instrument AND instrument_version = :version
  )
"""
REBUILD_COUNTS = """
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


def _move(source: str, target: str) -> None:
    """Flip KF2/KF3 of the responses recorded with `source`, relabel them `target`."""
    bind = op.get_bind()
    params = {"instrument": INSTRUMENT, "version": source, "target": target}
    bind.execute(sa.text(FLIP_ANSWERS), {"instrument": INSTRUMENT, "version": source})
    bind.execute(sa.text(RELABEL_SCORES), params)
    bind.execute(sa.text(RELABEL_RESPONSES), params)
    bind.execute(sa.text("DELETE FROM village_indicator_count"))
    bind.execute(sa.text(REBUILD_COUNTS))


def upgrade() -> None:
    _move(OLD, NEW)


def downgrade() -> None:
    _move(NEW, OLD)
