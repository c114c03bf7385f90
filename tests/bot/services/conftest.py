"""A small world for the service tests, on both databases: areas, people, the worked example.

Areas: the demo set (province, its kabupaten/kota, Kecamatan Sampanahan of Kabupaten Kotabaru
with 10 villages) plus one kecamatan and village of Kabupaten Tanah Laut, for "another kabupaten".
People: two kader of Desa Sampanahan, one kader of Desa Sepapah and of Desa Batakan (Tanah Laut),
a pejabat of Kotabaru, a pejabat of Tanah Laut and a provincial admin.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, replace

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import SessionFactory, run_in_transaction
from bot.db.models import Response, Role
from bot.repositories.areas import import_areas, read_area_rows
from bot.repositories.families import set_identity
from bot.repositories.responses import AnswerWrite, upsert_answers
from bot.repositories.users import add_user
from bot.services.answering import confirm_answer, current_position, record_answer
from bot.services.context import ServiceContext
from bot.services.families import start_family
from bot.services.outcomes import Outcome
from bot.services.submission import submit
from conversations.engine import Accepted, current_question
from conversations.engine import answer as engine_answer
from ikk_core.expressions import Value
from ikk_core.instrument import Instrument
from ikk_core.instrument_io import load_default_instrument
from ikk_core.values import to_storage

PERIOD = 2025
SAMPANAHAN = "63.02.12.2005"
SEPAPAH = "63.02.12.2001"
KECAMATAN = "63.02.12"
KOTABARU = "63.02"
BATAKAN = "63.01.01.2001"
TANAH_LAUT = "63.01"
PROVINCE = "63"

AREAS_CSV = """kode,nama
63,Kalimantan Selatan
63.01,Kabupaten Tanah Laut
63.01.01,Panyipatan
63.01.01.2001,Batakan
63.02,Kabupaten Kotabaru
63.02.12,Sampanahan
63.02.12.2001,Sepapah
63.02.12.2002,Sungai Betung
63.02.12.2005,Sampanahan
"""

_update_ids = itertools.count(1_000)


def next_update_id() -> int:
    """A Telegram update id never used before in this test session."""
    return next(_update_ids)


@dataclass(frozen=True)
class World:
    ctx: ServiceContext
    kader: int  # Desa Sampanahan
    kader2: int  # Desa Sampanahan too
    kader_sepapah: int  # another village of the same kecamatan
    kader_batakan: int  # Tanah Laut
    pejabat_kotabaru: int
    pejabat_tanah_laut: int
    admin: int


async def _populate(session_factory: SessionFactory) -> dict[str, int]:
    async def work(session: AsyncSession) -> dict[str, int]:
        rows, rejected = read_area_rows(AREAS_CSV)
        assert not rejected
        await import_areas(session, rows)
        people = {
            "kader": (101, Role.KADER, SAMPANAHAN, "Siti Kader"),
            "kader2": (102, Role.KADER, SAMPANAHAN, "Rina Kader"),
            "kader_sepapah": (103, Role.KADER, SEPAPAH, "Nur Kader"),
            "kader_batakan": (104, Role.KADER, BATAKAN, "Dewi Kader"),
            "pejabat_kotabaru": (201, Role.PEJABAT, KOTABARU, "Pak Camat"),
            "pejabat_tanah_laut": (202, Role.PEJABAT, TANAH_LAUT, "Bu Kadis"),
            "admin": (301, Role.ADMIN, PROVINCE, "Operator DP3A"),
        }
        ids = {}
        for key, (telegram_id, role, area, name) in people.items():
            user = await add_user(
                session, telegram_id=telegram_id, role=role, area_code=area, display_name=name
            )
            ids[key] = user.id
        return ids

    return await run_in_transaction(session_factory, work)


@pytest.fixture
async def world(session_factory: SessionFactory) -> World:
    """The areas and people; the services show every figure of these tiny samples (MIN_CELL=1,
    MIN_FAMILIES=1: the configuration for a sample of a few families). Disclosure tests use
    `with_disclosure` to get the production defaults."""
    ids = await _populate(session_factory)
    ctx = ServiceContext(session_factory=session_factory, instrument=load_default_instrument(),
                         min_cell=1, min_families=1)
    return World(ctx=ctx, **ids)


def with_disclosure(world: World, *, min_cell: int = 5, min_families: int = 10) -> World:
    """The same world with small-cell suppression as in production (MIN_CELL, MIN_FAMILIES)."""
    return replace(world, ctx=replace(world.ctx, min_cell=min_cell, min_families=min_families))


# ------------------------------------------------------------------ the spec's worked example

from tests.worked_example import (  # noqa: E402  (one definition for every test layer)
    FAMILY_A,
    FAMILY_B,
    FAMILY_C,
)

WORKED_EXAMPLE = {"A": FAMILY_A, "B": FAMILY_B, "C": FAMILY_C}


async def answer_all(
    ctx: ServiceContext, actor: int, response_id: int, entered: Mapping[str, str]
) -> Outcome:
    """Answer whatever is asked, as the cadre would, until the review card is shown."""
    shown = await current_position(ctx, actor, response_id)
    for _ in range(200):
        position = shown.position
        assert position is not None, shown
        if position.prompt is None:
            return shown
        question = position.prompt.question
        shown = await record_answer(
            ctx, actor, response_id, question, entered[question], position.version,
            next_update_id(),
        )
        if shown.kind == "confirm":
            assert shown.pending_value is not None
            shown = await confirm_answer(
                ctx, actor, response_id, question, shown.pending_value, position.version,
                next_update_id(),
            )
        assert shown.kind == "recorded", (question, shown.kind, shown.message)
    raise AssertionError("questionnaire did not end")


def engine_answers(instrument: Instrument, entered: Mapping[str, str]) -> dict[str, Value]:
    """The answers the engine keeps when `entered` is typed question by question (no database)."""
    answers: dict[str, Value] = {}
    while (question := current_question(instrument, answers)) is not None:
        result = engine_answer(instrument, question.name, entered[question.name], answers,
                               confirmed=True)
        assert isinstance(result, Accepted), result
        answers = dict(result.answers)
    return answers


async def _store_answers(
    ctx: ServiceContext, actor: int, response_id: int, entered: Mapping[str, str]
) -> None:
    """Write every answer of a family in one transaction, as the chat would have stored them."""
    answers = engine_answers(ctx.instrument, entered)

    async def work(session: AsyncSession) -> None:
        await upsert_answers(
            session, response_id,
            [AnswerWrite(name, to_storage(value)) for name, value in answers.items()],
            user_id=actor, update_id=None,
        )
        response = await session.get(Response, response_id)
        assert response is not None
        head, rt = ctx.instrument.head_question, ctx.instrument.rt_question
        assert head is not None and rt is not None
        await set_identity(session, response.family_id, str(answers[head]),
                           int(answers[rt]))  # type: ignore[arg-type]
        response.version += 1

    await run_in_transaction(ctx.session_factory, work)


async def enter_family(
    ctx: ServiceContext,
    actor: int,
    entered: Mapping[str, str],
    *,
    village: str = SAMPANAHAN,
    period: int = PERIOD,
    submit_it: bool = True,
    by_chat: bool = False,
) -> Outcome:
    """Start a family, answer everything, and (by default) submit it, through the services.

    `by_chat` answers question by question with `record_answer` (slow, what a cadre does);
    otherwise the answers the engine would keep are written in one transaction, and the family
    is started and submitted through the services all the same (the report tests' fast path).
    """
    started = await start_family(ctx, actor, village, period, next_update_id())
    assert started.kind == "started" and started.position is not None, started
    response_id = started.position.response_id
    if by_chat:
        at_review = await answer_all(ctx, actor, response_id, entered)
    else:
        await _store_answers(ctx, actor, response_id, entered)
        at_review = await current_position(ctx, actor, response_id)
    if not submit_it:
        return at_review
    assert at_review.position is not None
    done = await submit(ctx, actor, response_id, at_review.position.version, next_update_id())
    assert done.kind == "submitted", (done.kind, done.message, done.missing)
    return done


def lower_poverty_line(instrument: Instrument) -> Instrument:
    """The default instrument with the poverty line at Rp 300.000 per capita (version bumped):
    B (400.000 per capita) and C (500.000) now meet KE2."""
    settings = dataclasses.replace(instrument.settings, poverty_line_default=300_000.0)
    return dataclasses.replace(instrument, version="2026.1-garis300", settings=settings)
