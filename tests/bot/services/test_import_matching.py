"""Which family an import row is: the matching rules, without a database."""

from __future__ import annotations

from bot.db.models import ResponseStatus
from bot.services.import_file import ImportRow
from bot.services.import_matching import ExistingFamily, plan_rows, within_file

VILLAGE = "63.02.12.2005"


def row(line: int, head: str = "ahmad", rt: int = 1, *, source: str = "kobo",
        external_id: str | None = None, digest: str = "d1") -> ImportRow:
    return ImportRow(
        line=line, village=VILLAGE, period=2025, source=source, external_id=external_id,
        head_name=head.title(), head_norm=head, rt=rt, answers={}, scores={}, score_pct=None,
        band=None, digest=digest,
    )


def stored(family_id: int, head: str = "ahmad", rt: int = 1, *, source: str | None = None,
           external_id: str | None = None, digest: str | None = None) -> ExistingFamily:
    return ExistingFamily(
        family_id, family_id + 100, VILLAGE, 2025, rt, head, source, external_id, digest,
        ResponseStatus.SUBMITTED,
    )


def test_records_of_one_source_with_their_own_ids_are_trusted_to_be_different_families() -> None:
    kept, refused = within_file([row(2, external_id="a"), row(3, external_id="b")])
    assert [r.line for r in kept] == [2, 3] and refused == []


def test_a_repeated_row_is_refused_with_the_line_it_repeats() -> None:
    kept, refused = within_file([
        row(2), row(3, rt=2), row(4), row(5, external_id="x"),
        row(6, external_id="y", rt=3), row(7, external_id="y", rt=4),
    ])
    assert [r.line for r in kept] == [2, 3, 6]
    assert [(r.row, r.reason) for r in refused] == [
        (4, "keluarga yang sama sudah ada di baris 2"),
        (5, "keluarga yang sama (nama kepala keluarga, RT, desa) sudah ada di baris 2"),
        (7, "id_luar y sudah ada di baris 6"),
    ]


def test_a_family_entered_in_chat_wins_over_one_from_another_source_as_the_duplicate() -> None:
    plan = plan_rows(
        [row(2, external_id="a")],
        [stored(7, source="aplikasi", external_id="z"), stored(9)],
    )
    assert [(d.line, d.family_id, d.origin) for d in plan.duplicates] == [(2, 9, "chat")]
    assert plan.new == [] and plan.changed == []


def test_own_family_is_unchanged_with_the_same_digest_and_changed_with_another() -> None:
    own = stored(5, source="kobo", external_id="a", digest="d1")
    assert plan_rows([row(2, external_id="a")], [own]).unchanged == 1
    changed = plan_rows([row(2, external_id="a", digest="d2", head="budi")], [own])
    assert [(r.line, f.family_id) for r, f in changed.changed] == [(2, 5)]


def test_without_id_luar_the_identity_is_the_key_and_is_counted_as_such() -> None:
    plan = plan_rows([row(2), row(3, head="budi")], [stored(5, source="kobo", digest="d1")])
    assert plan.unchanged == 1 and [r.line for r in plan.new] == [3]
    assert plan.keyed_by_identity == 2
