"""`families import` as a service: files checked like the chat, stored like the chat, idempotent."""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import run_in_transaction
from bot.db.models import (
    Answer,
    AnswerChange,
    Family,
    FamilyScore,
    Response,
    ResponseStatus,
    VillageIndicatorCount,
)
from bot.repositories.scores import count_rows, rebuild_counts
from bot.services.family_import import ImportReport, store_families, village_names
from bot.services.import_file import CheckedFile, check_file, group_path_names
from bot.services.progress import progress
from bot.services.reports import area_report
from ikk_core.instrument_io import load_default_instrument
from tests.bot.services.conftest import (
    FAMILY_A,
    FAMILY_B,
    FAMILY_C,
    PERIOD,
    SAMPANAHAN,
    SEPAPAH,
    World,
    engine_answers,
    enter_family,
)
from tests.worked_example import as_button_labels

INSTRUMENT = load_default_instrument()

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "contoh-keluarga.csv"
QUESTIONS = list(FAMILY_B)  # every question a family of the worked example can be asked


def write_csv(path: Path, rows: Sequence[Mapping[str, str]], columns: Sequence[str]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns))
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})
    return path


def asked(family: Mapping[str, str]) -> dict[str, str]:
    """The answers to the questions the chat asks this family (a form leaves the rest blank),
    as typed ("Ya", "2.000.000")."""
    kept = engine_answers(INSTRUMENT, family)
    return {q: v for q, v in as_button_labels(family).items() if q in kept}


def worked_rows(**extra: str) -> list[dict[str, str]]:
    """Families A, B and C of the spec as the province's app would export them."""
    rows = []
    for letter, family in (("A", FAMILY_A), ("B", FAMILY_B), ("C", FAMILY_C)):
        rows.append({"desa": SAMPANAHAN, **asked(family), "id_luar": f"app-{letter}", **extra})
    return rows


async def run_import(
    world: World, path: Path, *, source: str = "aplikasi", period: int = PERIOD
) -> tuple[CheckedFile, ImportReport]:
    names = await village_names(world.ctx)
    checked = check_file(path, world.ctx.instrument, names, default_period=period,
                         default_source=source)
    report = await store_families(
        world.ctx, checked, admin_id=world.admin, reason=f"impor berkas {path.name}"
    )
    return checked, report


async def snapshot(world: World) -> dict[str, list[tuple[Any, ...]]]:
    """Every row an import could write, ordered, for before/after comparisons."""

    async def work(session: AsyncSession) -> dict[str, list[tuple[Any, ...]]]:
        out = {}
        for model in (Family, Response, Answer, AnswerChange, FamilyScore,
                      VillageIndicatorCount):
            table = model.__table__
            rows = await session.execute(select(table).order_by(*table.primary_key.columns))
            out[model.__tablename__] = [tuple(r) for r in rows.all()]
        return out

    return await run_in_transaction(world.ctx.session_factory, work)


async def assert_counts_exact(world: World) -> None:
    """The village counts kept by the import equal those recomputed from the score rows."""

    async def work(session: AsyncSession) -> tuple[list[Any], list[Any]]:
        kept = [r for r in await count_rows(session) if any(r[-3:])]
        await rebuild_counts(session)
        return kept, await count_rows(session)

    kept, rebuilt = await run_in_transaction(world.ctx.session_factory, work)
    assert kept == rebuilt


async def test_worked_example_imported_from_the_example_file_gives_ikk_87_50_for_an_admin(
    world: World,
) -> None:
    checked, report = await run_import(world, EXAMPLE)
    assert checked.rejected == () and report.rejected == ()
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    assert report.keyed_by_identity == 3  # the example file has no id_luar column
    result = await area_report(world.ctx, world.admin, SAMPANAHAN)
    assert result is not None
    assert result.submitted == 3
    assert result.result.ikk == pytest.approx(87.5)
    assert {i.code for i in result.result.red} == {
        "LS2", "KF1", "KE1", "KE2", "KE5", "KE6", "KE8", "KSP2"
    }
    await assert_counts_exact(world)
    # /progres counts them, under the admin who imported them.
    collected = await progress(world.ctx, world.pejabat_kotabaru, SAMPANAHAN)
    assert collected is not None and (collected.submitted, collected.drafts) == (3, 0)
    assert [(k.name, k.submitted) for k in collected.kader if k.submitted] == [
        ("Operator DP3A", 3)
    ]


async def test_imported_family_is_stored_exactly_as_the_chat_stores_the_same_answers(
    world: World, tmp_path: Path
) -> None:
    """Family B typed in chat (2024) and imported (2025): same answers, scores, score, band."""
    await enter_family(world.ctx, world.kader, FAMILY_B, period=2024, by_chat=True)
    path = write_csv(tmp_path / "b.csv", worked_rows()[1:2], ["desa", "id_luar", *QUESTIONS])
    _, report = await run_import(world, path)
    assert report.created == 1

    async def work(session: AsyncSession) -> dict[int, tuple[Any, ...]]:
        out = {}
        for response in (await session.scalars(select(Response))).all():
            family = await session.get(Family, response.family_id)
            assert family is not None
            answers = {q: v for q, v in (await session.execute(
                select(Answer.question, Answer.value).where(Answer.response_id == response.id)
            )).all()}
            scores = {code: score for code, score in (await session.execute(
                select(FamilyScore.indicator, FamilyScore.score)
                .where(FamilyScore.response_id == response.id)
            )).all()}
            out[family.period] = (
                answers, scores, response.family_score_pct, response.family_band,
                response.status, family.rt, family.head_name_norm,
            )
        return out

    stored = await run_in_transaction(world.ctx.session_factory, work)
    assert stored[2024] == stored[PERIOD]
    assert stored[PERIOD][4] is ResponseStatus.SUBMITTED
    await assert_counts_exact(world)


async def test_second_import_of_the_same_file_changes_nothing(
    world: World, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "app.csv", worked_rows(), ["desa", "id_luar", *QUESTIONS])
    await run_import(world, path)
    before = await snapshot(world)
    _, again = await run_import(world, path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert await snapshot(world) == before
    # The example file, keyed by village, RT and head name, is idempotent as well.
    await run_import(world, EXAMPLE, source="contoh")
    before = await snapshot(world)
    _, example_again = await run_import(world, EXAMPLE, source="contoh")
    assert (example_again.created, example_again.unchanged) == (0, 3)
    assert await snapshot(world) == before


async def test_changed_row_updates_that_family_with_audit_rows_and_moves_the_counts(
    world: World, tmp_path: Path
) -> None:
    columns = ["desa", "id_luar", *QUESTIONS]
    rows = worked_rows()
    await run_import(world, write_csv(tmp_path / "v1.csv", rows, columns))
    rows[0]["LS1"] = "Tidak"  # family A: no birth certificates after all
    rows[0]["H_KEPALA"] = "Bapak Ahmad Fauzi Rahman"
    _, report = await run_import(world, write_csv(tmp_path / "v2.csv", rows, columns))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 2)
    assert report.audit_rows == 2

    async def work(session: AsyncSession) -> tuple[list[Any], Family, Response]:
        changes = (await session.execute(
            select(AnswerChange.question, AnswerChange.old_value, AnswerChange.new_value,
                   AnswerChange.changed_by, AnswerChange.reason).order_by(AnswerChange.question)
        )).all()
        family = (await session.scalars(select(Family).where(Family.external_id == "app-A"))).one()
        response = (await session.scalars(
            select(Response).where(Response.family_id == family.id)
        )).one()
        return [tuple(c) for c in changes], family, response

    changes, family, response = await run_in_transaction(world.ctx.session_factory, work)
    assert changes == [
        ("H_KEPALA", "Ahmad Fauzi", "Bapak Ahmad Fauzi Rahman", world.admin,
         "impor berkas v2.csv"),
        ("LS1", "ya", "tidak", world.admin, "impor berkas v2.csv"),
    ]
    assert family.head_name_norm == "ahmad fauzi rahman"
    assert response.version == 2 and response.status is ResponseStatus.SUBMITTED
    assert response.family_score_pct == pytest.approx(100 * 17 / 18)
    await assert_counts_exact(world)
    report_now = await area_report(world.ctx, world.admin, SAMPANAHAN)
    assert report_now is not None  # LS1 applies to A and B (couples): now met by B only
    assert report_now.result.indicator("LS1").value == pytest.approx(50.0)


async def test_rejected_rows_are_reported_with_their_line_and_reason_and_the_rest_stored(
    world: World, tmp_path: Path
) -> None:
    good = worked_rows()
    bad_members = {**good[0], "id_luar": "x1", "H_ANGGOTA": "banyak"}
    stray = {**good[0], "id_luar": "x2", "P_BALITA": "Ya"}  # no children: never asked
    missing = {**good[0], "id_luar": "x3", "LS1": ""}
    unknown_village = {**good[0], "id_luar": "x4", "desa": "63.02.12.2999"}
    bad_period = {**good[0], "id_luar": "x5", "periode": "20255"}
    too_long = {**good[0], "id_luar": "x6", "H_KEPALA": "A" * 1001}
    repeated = {**good[1]}  # the same id_luar as line 3
    rows = [good[0], good[1], bad_members, stray, missing, unknown_village, bad_period,
            too_long, repeated, good[2]]
    path = write_csv(tmp_path / "bad.csv", rows, ["desa", "periode", "id_luar", *QUESTIONS])
    _, report = await run_import(world, path)
    reasons = {r.row: r.reason for r in report.rejected}
    assert sorted(reasons) == [4, 5, 6, 7, 8, 9, 10]
    assert reasons[4].startswith("H_ANGGOTA: Jawaban harus berupa angka")
    assert "P_BALITA diisi, padahal pertanyaan ini tidak berlaku" in reasons[5]
    assert reasons[6] == "LS1 wajib diisi"
    assert "63.02.12.2999 belum ada di database" in reasons[7]
    assert "periode '20255' bukan tahun survei" in reasons[8]
    assert "H_KEPALA: jawaban terlalu panjang (maks. 1.000 karakter)" in reasons[9]
    assert reasons[10] == "id_luar app-B sudah ada di baris 3"
    assert report.created == 3
    await assert_counts_exact(world)


async def test_kobo_export_with_group_path_columns_is_accepted_and_keyed_by_instance_id(
    world: World, tmp_path: Path
) -> None:
    groups = {"H_KEPALA": "profil", "H_RT": "profil", "LS1": "legalitas/dokumen"}
    columns = ["grup_lokasi/desa", "meta/instanceID", "_submission_time"] + [
        f"{groups.get(q, 'indikator')}/{q}" for q in QUESTIONS
    ]
    rows = []
    for n, family in enumerate((FAMILY_A, FAMILY_B, FAMILY_C)):
        row = {f"{groups.get(q, 'indikator')}/{q}": v for q, v in asked(family).items()}
        row.update({"grup_lokasi/desa": "Sampanahan", "meta/instanceID": f"uuid:{n}",
                    "_submission_time": "2025-03-01T10:00:00"})
        rows.append(row)
    path = write_csv(tmp_path / "kobo.csv", rows, columns)
    checked, report = await run_import(world, path, source="kobo")
    assert report.rejected == () and report.created == 3
    assert checked.id_column == "instanceID"
    assert checked.renamed_columns["legalitas/dokumen/LS1"] == "LS1"
    assert checked.ignored_columns == ("_submission_time",)
    assert report.keyed_by_identity == 0
    _, again = await run_import(world, path, source="kobo")
    assert again.unchanged == 3
    result = await area_report(world.ctx, world.admin, SAMPANAHAN)
    assert result is not None and result.result.ikk == pytest.approx(87.5)


def test_group_paths_end_in_the_longest_known_name() -> None:
    known = ["LS1", "desa", "H_KEPALA", "instanceID"]
    assert group_path_names(
        ["a/b/LS1", "ODK-grup-H_KEPALA", "meta/instanceID", "Desa", "x/DESA", "lain/Q9"], known
    ) == {"a/b/LS1": "LS1", "ODK-grup-H_KEPALA": "H_KEPALA", "meta/instanceID": "instanceID",
          "x/DESA": "desa"}


async def test_family_entered_in_chat_is_reported_as_duplicate_not_doubled(
    world: World, tmp_path: Path
) -> None:
    done = await enter_family(world.ctx, world.kader, FAMILY_A)
    assert done.position is not None

    async def family_of(session: AsyncSession) -> int:
        response = await session.get(Response, done.position.response_id)  # type: ignore[union-attr]
        assert response is not None
        return response.family_id

    chat_family = await run_in_transaction(world.ctx.session_factory, family_of)
    rows = worked_rows()
    rows[0]["H_KEPALA"] = "Bpk. Ahmad Fauzi"  # written differently, the same person
    path = write_csv(tmp_path / "app.csv", rows, ["desa", "id_luar", *QUESTIONS])
    _, report = await run_import(world, path)
    assert [(d.line, d.family_id, d.origin) for d in report.duplicates] == [
        (2, chat_family, "chat")
    ]
    assert report.created == 2

    async def families(session: AsyncSession) -> int:
        return int(await session.scalar(select(func.count()).select_from(Family)) or 0)

    assert await run_in_transaction(world.ctx.session_factory, families) == 3
    result = await area_report(world.ctx, world.admin, SAMPANAHAN)
    assert result is not None and result.submitted == 3
    await assert_counts_exact(world)


async def test_same_family_from_another_source_is_a_duplicate_but_the_periode_column_is_kept(
    world: World, tmp_path: Path
) -> None:
    columns = ["desa", "id_luar", "periode", *QUESTIONS]
    await run_import(world, write_csv(tmp_path / "a.csv", worked_rows(periode="2024"), columns))
    _, other = await run_import(
        world, write_csv(tmp_path / "b.csv", worked_rows(periode="2024"), columns),
        source="kobo",
    )
    assert len(other.duplicates) == 3 and {d.origin for d in other.duplicates} == {"aplikasi"}
    # The same records a year later are new families of period 2025.
    _, next_year = await run_import(
        world, write_csv(tmp_path / "c.csv", worked_rows(periode="2025"), columns)
    )
    assert next_year.created == 3
    report = await area_report(world.ctx, world.admin, SAMPANAHAN, 2024)
    assert report is not None and report.submitted == 3


async def test_village_of_another_kecamatan_by_name_and_unknown_name_are_resolved_or_refused(
    world: World, tmp_path: Path
) -> None:
    rows = worked_rows()
    rows[0]["desa"] = "Sepapah"
    rows[1]["desa"] = "Desa Tidak Ada"
    _, report = await run_import(
        world, write_csv(tmp_path / "v.csv", rows, ["desa", "id_luar", *QUESTIONS])
    )
    assert report.created == 2
    assert [(r.row, r.reason) for r in report.rejected] == [
        (3, "desa 'Desa Tidak Ada' tidak dikenal")
    ]
    sepapah = await area_report(world.ctx, world.admin, SEPAPAH)
    assert sepapah is not None and sepapah.submitted == 1


async def test_xlsx_with_numbers_as_excel_stores_them_keyed_by_a_numeric_id_luar(
    world: World, tmp_path: Path
) -> None:
    """Excel gives 2025.0, 12345.0 and 2.0 for what was typed as 2025, 12345 and 2."""
    rows = []
    for n, row in enumerate(worked_rows()):
        typed: dict[str, object] = dict(row)
        typed.update(id_luar=12345 + n, periode=2025.0, H_RT=float(row["H_RT"]),
                     H_ANGGOTA=int(row["H_ANGGOTA"]))
        rows.append(typed)
    path = tmp_path / "aplikasi.xlsx"
    pd.DataFrame(rows).to_excel(path, index=False)
    _, report = await run_import(world, path, period=2024)
    assert report.rejected == () and report.created == 3

    async def work(session: AsyncSession) -> list[tuple[Any, ...]]:
        found = await session.execute(
            select(Family.external_id, Family.period, Family.rt).order_by(Family.external_id)
        )
        return [tuple(r) for r in found.all()]

    assert await run_in_transaction(world.ctx.session_factory, work) == [
        ("12345", 2025, 1), ("12346", 2025, 2), ("12347", 2025, 3)
    ]
    _, again = await run_import(world, path, period=2024)
    assert again.unchanged == 3


async def test_a_value_the_chat_would_confirm_is_stored_and_listed_as_unusual(
    world: World, tmp_path: Path
) -> None:
    rows = worked_rows()
    rows[2]["H_ANGGOTA"] = "16"  # the chat asks "Yakin?" above 15 members
    checked, report = await run_import(
        world, write_csv(tmp_path / "besar.csv", rows, ["desa", "id_luar", *QUESTIONS])
    )
    assert report.created == 3 and report.rejected == ()
    assert [(w.row, w.reason) for w in checked.warnings] == [
        (4, "H_ANGGOTA: Yakin? Jumlah anggota keluarga lebih dari 15 orang.")
    ]
