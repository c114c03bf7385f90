"""The officials' service calls: report, workbook, progress and invites, with their refusals."""

from __future__ import annotations

import io
from datetime import timedelta

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.db.models import FamilyScore, Response, Role, UserArea
from bot.reporting.workbook import SHEET_DIMENSIONS, SHEET_FAMILIES, SHEET_INDICATORS
from bot.repositories.invites import redeem_invite
from bot.services import exports
from bot.services.exports import export_filename, operator_export
from bot.services.official import area_progress, export_area, ikk_report, invite_kader
from ikk_core.aggregation import aggregate
from tests.bot.officials.conftest import (
    HEAD_NAMES,
    KECAMATAN,
    KOTABARU,
    PERIOD,
    SAMPANAHAN,
    SEPAPAH,
    Officials,
)
from tests.bot.services.conftest import FAMILY_A, enter_family


def cells(data: bytes) -> dict[str, list[list[object]]]:
    """Every sheet of a workbook as rows of values."""
    book = load_workbook(io.BytesIO(data), read_only=True)
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in book}


def all_text(data: bytes) -> str:
    return "\n".join(
        str(v) for rows in cells(data).values() for row in rows for v in row if v is not None
    )


async def test_the_worked_example_village_report_equals_ikk_core_on_the_stored_scores(
    worked_example: Officials,
) -> None:
    ctx = worked_example.ctx
    answer = await ikk_report(ctx, worked_example.pejabat_kotabaru, query="desa sampanahan")
    assert answer.value is not None
    report = answer.value
    async with ctx.session_factory() as session:
        rows = (await session.execute(
            select(FamilyScore.response_id, FamilyScore.indicator, FamilyScore.score)
        )).all()
    frame = pd.DataFrame(rows, columns=["response_id", "indicator", "score"]).pivot(
        index="response_id", columns="indicator", values="score"
    ).astype("Int8")
    expected = aggregate(ctx.instrument, frame, SAMPANAHAN, "Sampanahan", "desa")
    # IKK = (83,333 + 91,667 + 70,833 + 91,667 + 100) / 5 = 87,50 (the spec's worked example)
    assert report.result.ikk == pytest.approx(87.5) == pytest.approx(expected.ikk)
    assert [(i.code, i.numerator, i.denominator) for i in report.result.indicators] == [
        (i.code, i.numerator, i.denominator) for i in expected.indicators
    ]


async def test_a_pejabats_workbook_has_no_family_names_and_the_reports_numbers(
    worked_example: Officials,
) -> None:
    ctx = worked_example.ctx
    answer = await export_area(ctx, worked_example.pejabat_kotabaru, query="desa sampanahan")
    assert answer.status == "ok" and answer.value is not None
    file = answer.value
    assert file.filename == export_filename(SAMPANAHAN, PERIOD) == f"ikk-{SAMPANAHAN}-2025.xlsx"
    assert not file.with_names and file.families == 3 and file.villages == 1
    text = all_text(file.data)
    assert not any(name in text for name in HEAD_NAMES)
    report = (await ikk_report(ctx, worked_example.pejabat_kotabaru, code=SAMPANAHAN)).value
    assert report is not None
    sheets = cells(file.data)
    indicators = sheets[SHEET_INDICATORS]
    header = next(i for i, row in enumerate(indicators) if row and row[0] == "Kode desa")
    values = {row[4]: row[6] for row in indicators[header + 1:]}
    for ind in report.result.indicators:
        if ind.value is None:
            assert values[ind.code] == "–"
        else:
            assert values[ind.code] == pytest.approx(ind.value)
    dims = sheets[SHEET_DIMENSIONS]
    dim_header = next(i for i, row in enumerate(dims) if row and row[0] == "Kode desa")
    assert dims[dim_header + 1][3] == pytest.approx(report.result.ikk)
    # Per-family rows are personal data: a pejabat's workbook has no family sheet at all.
    assert SHEET_FAMILIES not in sheets and not file.family_sheet
    assert "Nomor keluarga" not in text


async def test_the_family_sheet_holds_each_familys_stored_scores_by_family_number(
    worked_example: Officials,
) -> None:
    ctx = worked_example.ctx
    answer = await export_area(ctx, worked_example.admin, code=KECAMATAN)
    assert answer.value is not None
    async with ctx.session_factory() as session:
        stored = (await session.execute(
            select(Response.family_id, FamilyScore.indicator, FamilyScore.score)
            .join(Response, Response.id == FamilyScore.response_id)
        )).all()
    sensitive = ctx.instrument.sensitive_names()
    expected: dict[int, dict[str, object]] = {}
    for family_id, indicator, score in stored:
        if indicator not in sensitive:  # the admin's chat export leaves them out
            expected.setdefault(family_id, {})[indicator] = "NA" if score is None else score
    sheet = cells(answer.value.data)[SHEET_FAMILIES]
    header_at = next(i for i, row in enumerate(sheet) if row and row[0] == "Nomor keluarga")
    header = sheet[header_at]
    written = {
        row[0]: {code: row[header.index(code)] for code in expected[row[0]]}
        for row in sheet[header_at + 1:]
    }
    assert written == expected
    assert {"NA", 0, 1} <= {v for scores in written.values() for v in scores.values()}
    assert not sensitive & set(header) and sensitive == {"KSP1", "KSP2", "KSP3", "KSB5"}


async def test_an_admins_workbook_names_the_heads_of_family(worked_example: Officials) -> None:
    answer = await export_area(worked_example.ctx, worked_example.admin, code=KECAMATAN)
    assert answer.value is not None and answer.value.with_names
    text = all_text(answer.value.data)
    assert all(name in text for name in HEAD_NAMES)


async def test_a_kader_cannot_export_even_her_own_village(worked_example: Officials) -> None:
    for query in (None, "Sampanahan", "Sepapah"):
        answer = await export_area(worked_example.ctx, worked_example.kader, query=query)
        assert answer.status == "forbidden" and answer.value is None


async def test_a_pejabat_of_another_kabupaten_cannot_export_sampanahan(
    worked_example: Officials,
) -> None:
    by_name = await export_area(worked_example.ctx, worked_example.pejabat_tanah_laut,
                                query="Sampanahan")
    by_code = await export_area(worked_example.ctx, worked_example.pejabat_tanah_laut,
                                code=SAMPANAHAN)
    assert by_name.status == by_code.status == "not_found"
    assert by_name.value is None and by_code.value is None


async def test_exporting_an_area_without_submitted_families_says_it_is_empty(
    worked_example: Officials,
) -> None:
    answer = await export_area(worked_example.ctx, worked_example.pejabat_kotabaru,
                               query="Sepapah")
    assert answer.status == "empty" and answer.value is None
    assert answer.area is not None and answer.area.code == SEPAPAH


async def test_the_command_line_export_is_unrestricted_and_names_only_on_request(
    worked_example: Officials,
) -> None:
    plain = await operator_export(worked_example.ctx, KOTABARU)
    named = await operator_export(worked_example.ctx, KOTABARU, include_names=True)
    assert plain is not None and named is not None
    assert plain.families == named.families == 3
    assert not any(name in all_text(plain.data) for name in HEAD_NAMES)
    assert all(name in all_text(named.data) for name in HEAD_NAMES)
    assert await operator_export(worked_example.ctx, "63.99") is None


async def test_an_area_with_more_families_than_a_sheet_should_hold_is_exported_without_them(
    worked_example: Officials, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exports, "MAX_FAMILY_ROWS", 2)
    answer = await export_area(worked_example.ctx, worked_example.admin, code=KOTABARU)
    assert answer.value is not None
    file = answer.value
    assert not file.family_rows and not file.with_names and file.families == 3
    sheets = cells(file.data)
    assert sheets[SHEET_FAMILIES][-1][0] == "Nomor keluarga"  # the header, and no family
    assert not any(name in all_text(file.data) for name in HEAD_NAMES)


async def test_progress_counts_submitted_and_drafts_per_village_and_per_kader(
    worked_example: Officials,
) -> None:
    ctx = worked_example.ctx
    await enter_family(ctx, worked_example.kader_sepapah, FAMILY_A, village=SEPAPAH,
                       submit_it=False)
    answer = await area_progress(ctx, worked_example.camat)
    assert answer.value is not None
    report = answer.value
    assert report.code == KECAMATAN and report.submitted == 3 and report.drafts == 1
    villages = {v.code: (v.submitted, v.drafts) for v in report.villages}
    assert villages[SAMPANAHAN] == (3, 0) and villages[SEPAPAH] == (0, 1)
    kader = {k.name: (k.submitted, k.drafts) for k in report.kader}
    assert kader == {"Siti Kader": (3, 0), "Nur Kader": (0, 1)}


async def test_an_invite_is_a_single_use_kader_invite_for_the_chosen_village(
    officials: Officials,
) -> None:
    ctx = officials.ctx
    answer = await invite_kader(ctx, officials.camat, query="Sepapah", ttl=timedelta(days=3))
    assert answer.status == "ok" and answer.value is not None
    invite = answer.value
    assert invite.role is Role.KADER and invite.area_code == SEPAPAH and invite.max_uses == 1
    redeemed = await redeem_invite(ctx.session_factory, invite.code, 777, "Kader Baru")
    assert redeemed.ok and redeemed.role is Role.KADER
    async with ctx.session_factory() as session:
        villages = (await session.scalars(
            select(UserArea.area_code).where(UserArea.user_id == redeemed.user_id)
        )).all()
    assert villages == [SEPAPAH]
    second = await redeem_invite(ctx.session_factory, invite.code, 778, "Orang Lain")
    assert not second.ok


async def test_an_invite_names_a_village_never_a_kecamatan(officials: Officials) -> None:
    ctx = officials.ctx
    # "Sampanahan" is a kecamatan and a desa: only the desa can take a kader.
    answer = await invite_kader(ctx, officials.pejabat_kotabaru, query="Sampanahan")
    assert answer.area is not None and answer.area.code == SAMPANAHAN
    for query in ("Kotabaru", "Kecamatan Sampanahan"):
        refused = await invite_kader(ctx, officials.pejabat_kotabaru, query=query)
        assert refused.value is None and refused.status in ("not_found", "suggest")
        assert all(len(o.code) == len(SAMPANAHAN) for o in refused.options)
    by_code = await invite_kader(ctx, officials.pejabat_kotabaru, code=KECAMATAN)
    assert by_code.status == "not_found"


async def test_invite_without_a_name_lists_the_villages_of_a_kecamatan(
    officials: Officials,
) -> None:
    answer = await invite_kader(officials.ctx, officials.camat)
    assert answer.status == "choose"
    assert [o.code for o in answer.options] == [
        "63.02.12.2001", "63.02.12.2002", "63.02.12.2005", "63.02.12.2008"
    ]


async def test_kader_and_outsiders_cannot_invite(officials: Officials) -> None:
    ctx = officials.ctx
    kader = await invite_kader(ctx, officials.kader, query="Sampanahan")
    assert kader.status == "forbidden" and kader.value is None
    outsider = await invite_kader(ctx, officials.pejabat_tanah_laut, query="Sepapah")
    assert outsider.status == "not_found" and outsider.value is None
