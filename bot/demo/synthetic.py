"""A synthetic Desa Sampanahan: about 120 families drawn so the village looks like a real one.

The published profile of a village of this kind is an IKK around 76 with about nine red
indicators. The families here are INVENTED (every name, every answer) and labelled so in the
demo; they exist so that `/ikk Sampanahan`, the chart, the export and the weekly alert have
something true-to-life to show without anybody's personal data.

How a family is drawn (seeded, so every run is the same village):

1. The profile first (couple, children, toddlers, school-age children, elderly, members, RT,
   income), with rural Kalimantan shares.
2. Then each indicator question among the families it applies to (relevance comes from the
   instrument, not from a copy of it here): a shuffled `MEET_SHARE` of them get the answer that
   meets the indicator, the others the one that does not. Shares instead of independent coin
   flips keep small groups (families with a baby) from swinging the village by chance.
   KE2 (income per head against the poverty line) is steered through the drawn income.

The answers are what a cadre types ("Ya", "2.750.000"). `stored_answers` turns them into what
the chat stores (the tests check it equals `typed_answers`, which runs the dialogue engine reply
by reply); `store_village` scores them with `ikk_core` and stores the rows a submit stores, so
every number the demo shows is computed by the bot's own code.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Answer, Family, Response, ResponseStatus
from bot.db.types import utcnow
from bot.repositories.families import normalize_head_name
from bot.repositories.scores import NewScores, rewrite_scores
from bot.services.context import ServiceContext
from conversations.engine import Accepted, answer, current_question, is_complete
from conversations.navigation import walk
from ikk_core.aggregation import aggregate
from ikk_core.expressions import Value
from ikk_core.instrument import Instrument
from ikk_core.results import AreaResult, FamilyResult
from ikk_core.scoring import score_family
from ikk_core.values import parse_answer, to_storage

__all__ = [
    "FAMILY_COUNT",
    "MEET_SHARE",
    "NEGATIVE",
    "SAMPANAHAN",
    "SAMPANAHAN_NAME",
    "SEED",
    "SYNTHETIC_LABEL",
    "StoredVillage",
    "draw_families",
    "store_village",
    "stored_answers",
    "typed_answers",
    "village_result",
]

SAMPANAHAN = "63.02.12.2005"
SAMPANAHAN_NAME = "Sampanahan"
FAMILY_COUNT = 120
SEED = 20050063
SYNTHETIC_LABEL = "DATA SINTETIS"
"""Shown wherever the synthetic village appears: these families do not exist."""

NEGATIVE = frozenset({"KF2", "KF3", "KE8", "KSP1", "KSP2", "KSP3", "KSB5"})
"""Questions asked as events: "Ya" (it happened) does NOT meet the indicator."""

MEET_SHARE: Mapping[str, float] = {
    # Red in a typical village of the kind (nine): documents, crowded houses, income,
    # savings, toddlers' nutrition, children's activities.
    "LS1": 0.70, "LS2": 0.68, "KF2": 0.71, "KF4": 0.55, "KE2": 0.46, "KE3": 0.60,
    "KE6": 0.48, "KE7": 0.72, "KSB6": 0.64,
    # Green, most of them not by much.
    "LS3": 0.88, "KF1": 0.88, "KF3": 0.80, "KF5": 0.86, "KF6": 0.84,
    "KE1": 0.80, "KE4": 0.77, "KE5": 0.83, "KE8": 0.85,
    "KSP1": 0.86, "KSP2": 0.77, "KSP3": 0.90, "KSP4": 0.78, "KSP5": 0.76, "KSP6": 0.79,
    "KSB1": 0.85, "KSB2": 0.79, "KSB3": 0.82, "KSB4": 0.80, "KSB5": 0.80,
}
"""Share of the families an indicator applies to that meet it (tuned: see the tests)."""

_FIRST = ("Ahmad", "Muhammad", "Abdul", "Rahmat", "Saipul", "Jumberi", "Anang", "Hairul",
          "Rusdi", "Syahrani", "Mahlian", "Basri", "Taufik", "Norhasanah", "Siti", "Aluh",
          "Rabiatul", "Halimah", "Fitriani", "Masrani", "Yusran", "Junaidi")
_SECOND = ("Ramli", "Hidayat", "Saleh", "Rahman", "Yusuf", "Hasan", "Arsyad", "Fadillah",
           "Gazali", "Jamhari", "Mansur", "Nafarin", "Rizani", "Syarif", "Wahid", "Zainal")
_PROFILE = ("H_ANGGOTA", "P_PASANGAN", "P_ANAK", "P_BALITA", "P_BADUTA", "P_LAHIR2",
            "P_SEKOLAH", "P_LANSIA", "P_PENDAPATAN")
"""Profile questions drawn by `_profile`; the head's name and RT go under the instrument's roles."""


def _yes(flag: bool) -> str:
    return "Ya" if flag else "Tidak"


def _rupiah(amount: int) -> str:
    """2750000 → "2.750.000", as a cadre types it."""
    return f"{amount:,}".replace(",", ".")


def _identity(instrument: Instrument) -> tuple[str, str]:
    """The instrument's head-name and RT questions; the demo cannot name families without them."""
    head, rt = instrument.head_question, instrument.rt_question
    if head is None or rt is None:
        raise ValueError("instrumen tidak punya pertanyaan nama kepala keluarga dan nomor RT")
    return head, rt


def _profile(rng: random.Random, name: str, head: str, rt: str) -> dict[str, str]:
    couple = rng.random() < 0.86
    children = rng.random() < (0.74 if couple else 0.45)
    toddler = children and rng.random() < 0.40
    baby = toddler and rng.random() < 0.40
    birth = children and (baby or rng.random() < 0.12)
    school = children and rng.random() < 0.68
    elderly = rng.random() < 0.28
    members = (2 if couple else 1) + (rng.randint(1, 4) if children else 0)
    members += int(elderly and rng.random() < 0.6)
    entered = {
        head: name, rt: str(rng.randint(1, 8)), "H_ANGGOTA": str(members),
        "P_PASANGAN": _yes(couple), "P_ANAK": _yes(children), "P_LANSIA": _yes(elderly),
    }
    if children:
        entered.update(P_BALITA=_yes(toddler), P_LAHIR2=_yes(birth), P_SEKOLAH=_yes(school))
    if toddler:
        entered["P_BADUTA"] = _yes(baby)
    return entered


def _income(rng: random.Random, members: int, poverty_line: float, meets: bool) -> int:
    """A monthly income whose amount per head is above the line when `meets`, below if not."""
    step = 25_000
    line_steps = int(poverty_line // step)
    if meets:
        per_head = step * rng.randint(line_steps + 1, line_steps * 5 // 2)
    else:
        per_head = step * rng.randint(line_steps * 2 // 5, line_steps - 1)
    return per_head * members


def _names(rng: random.Random, count: int) -> list[str]:
    pairs = [f"{a} {b}" for a in _FIRST for b in _SECOND]
    return rng.sample(pairs, count)


def draw_families(
    instrument: Instrument,
    *,
    count: int = FAMILY_COUNT,
    seed: int = SEED,
    village: str = SAMPANAHAN,
) -> list[dict[str, str]]:
    """`count` families as a cadre would enter them (question name → typed reply)."""
    rng = random.Random(seed)
    head, rt = _identity(instrument)
    families = [_profile(rng, name, head, rt) for name in _names(rng, count)]
    line = instrument.settings.poverty_line_for(village)
    above = _quota(rng, len(families), MEET_SHARE["KE2"])
    for family, rich in zip(families, above, strict=True):
        family["P_PENDAPATAN"] = _rupiah(_income(rng, int(family["H_ANGGOTA"]), line, rich))
    asked = [_indicator_questions(instrument, family) for family in families]
    for question in instrument.questions:
        if question.name in {head, rt, *_PROFILE} or not question.answerable:
            continue
        applies = [i for i, names in enumerate(asked) if question.name in names]
        flags = _quota(rng, len(applies), MEET_SHARE.get(question.name, 0.9))
        for index, met in zip(applies, flags, strict=True):
            positive = question.name not in NEGATIVE
            families[index][question.name] = _yes(met if positive else not met)
    return families


def _quota(rng: random.Random, size: int, share: float) -> list[bool]:
    """`size` flags of which round(share × size) are True, in a seeded random order."""
    flags = [i < round(share * size) for i in range(size)]
    rng.shuffle(flags)
    return flags


def _indicator_questions(instrument: Instrument, profile: Mapping[str, str]) -> set[str]:
    """The questions asked of a family with this profile (relevance depends on it alone)."""
    parsed = {
        name: parse_answer(instrument, instrument.question(name), raw)
        for name, raw in profile.items()
    }
    return {q.name for q in walk(instrument, parsed).relevant}


def typed_answers(instrument: Instrument, entered: Mapping[str, str]) -> dict[str, Value]:
    """The answers the chat stores when `entered` is typed question by question.

    Each reply goes through the dialogue engine (parsing "2.750.000", constraints, the
    "Yakin?" range, skip logic), so a family the engine would refuse cannot be stored. About
    15 ms a family: the tests use it to check `stored_answers`, the demo uses that.
    """
    answers: dict[str, Value] = {}
    while (question := current_question(instrument, answers)) is not None:
        outcome = answer(instrument, question.name, entered[question.name], answers,
                         confirmed=True)
        if not isinstance(outcome, Accepted):
            raise ValueError(f"{question.name}: {entered[question.name]!r} ditolak ({outcome})")
        answers = dict(outcome.answers)
    return answers


def stored_answers(instrument: Instrument, entered: Mapping[str, str]) -> dict[str, Value]:
    """The same answers as `typed_answers` in one pass: each reply parsed as the engine parses
    it, then the questions the family is not asked dropped by one walk of the skip logic.

    Raises ValueError for a family that is not complete.
    """
    parsed = {
        name: parse_answer(instrument, instrument.question(name), raw)
        for name, raw in entered.items()
    }
    kept = dict(walk(instrument, parsed).effective)
    if not is_complete(instrument, kept):
        who = entered.get(instrument.head_question or "")
        raise ValueError(f"keluarga {who!r} belum lengkap")
    return kept


def village_result(
    instrument: Instrument, families: Sequence[Mapping[str, str]], village: str = SAMPANAHAN
) -> AreaResult:
    """The village as `ikk_core` scores and aggregates it (no database): for tuning and tests."""
    rows = {
        i: score_family(instrument, stored_answers(instrument, family), village).scores
        for i, family in enumerate(families)
    }
    frame = pd.DataFrame.from_dict(rows, orient="index").astype("Int8")
    return aggregate(instrument, frame, village, SAMPANAHAN_NAME, "desa")


@dataclass(frozen=True)
class StoredVillage:
    """What `store_village` stored: the village, the period and the submitted responses."""

    village: str
    period: int
    response_ids: tuple[int, ...]


async def store_village(
    ctx: ServiceContext,
    cadre_ids: Sequence[int],
    families: Sequence[Mapping[str, str]],
    *,
    village: str = SAMPANAHAN,
    period: int | None = None,
) -> StoredVillage:
    """Store `families` as submitted by the cadres `cadre_ids` (database ids, taking turns).

    Each family is scored by `ikk_core.scoring.score_family`, as `submit` scores it, and its
    rows are the rows a submit leaves (family with name and RT, submitted response with score
    and band, answers, score rows and village counts through `rewrite_scores`), written in
    one transaction of a few multi-row statements. Through the chat's services (one
    transaction per start, answer and submit) the village took 25 s on the shared 2-CPU
    machine; this takes well under a second. `tests/bot/demo` checks that a family stored
    here and one stored through the services leave the same rows.
    """
    instrument = ctx.instrument
    survey_period = period if period is not None else ctx.current_period()
    answers = [stored_answers(instrument, entered) for entered in families]
    head, rt_question = _identity(instrument)
    if len({str(family[head]).strip() for family in answers}) != len(answers):
        raise ValueError("nama kepala keluarga sintetis harus berbeda semua")
    results = [score_family(instrument, family, village) for family in answers]

    async def work(session: AsyncSession) -> list[int]:
        now = utcnow()
        cadres = [cadre_ids[i % len(cadre_ids)] for i in range(len(answers))]
        family_rows = []
        for family, cadre in zip(answers, cadres, strict=True):
            name = str(family[head]).strip()
            rt = family.get(rt_question)
            family_rows.append({
                "village_code": village, "period": survey_period, "head_name": name,
                "head_name_norm": normalize_head_name(name),
                "rt": int(rt) if isinstance(rt, int | float) else 0,
                "created_by": cadre, "created_at": now,
            })
        inserted = await session.execute(
            insert(Family).returning(Family.id, Family.head_name), family_rows
        )
        by_name = {str(name): int(family_id) for family_id, name in inserted.all()}
        family_ids = [by_name[str(row["head_name"])] for row in family_rows]
        response_rows = [
            {
                "family_id": family_id, "cadre_id": cadre, "instrument_id": instrument.id,
                "instrument_version": instrument.version, "status": ResponseStatus.SUBMITTED,
                "version": 1, "current_question": None, "started_at": now,
                "updated_at": now, "submitted_at": now, "family_score_pct": result.score,
                "family_band": result.band.name if result.band is not None else None,
            }
            for family_id, cadre, result in zip(family_ids, cadres, results, strict=True)
        ]
        inserted = await session.execute(
            insert(Response).returning(Response.id, Response.family_id), response_rows
        )
        by_family = {int(family_id): int(response_id) for response_id, family_id in inserted.all()}
        response_ids = [by_family[family_id] for family_id in family_ids]
        answer_rows = [
            {
                "response_id": response_id, "question": name, "value": to_storage(value),
                "answered_at": now, "answered_by": cadre, "update_id": None,
            }
            for response_id, cadre, family in zip(response_ids, cadres, answers, strict=True)
            for name, value in family.items()
        ]
        await session.execute(insert(Answer), answer_rows)
        await rewrite_scores(session, [], _score_rows(
            response_ids, results, survey_period, village, instrument
        ))
        return response_ids

    ids = await ctx.write(work)
    return StoredVillage(village, survey_period, tuple(ids))


def _score_rows(
    response_ids: Sequence[int],
    results: Sequence[FamilyResult],
    period: int,
    village: str,
    instrument: Instrument,
) -> list[NewScores]:
    """Every family's scores for `rewrite_scores`, the applicable ones of all families first
    and the not-applicable ones after: the bulk insert starts a new statement whenever a row
    with no score follows one with a score, so grouped they take two statements, not 1,000.
    The counts are the same (they add up row by row)."""
    def part(applicable: bool) -> list[NewScores]:
        return [
            NewScores(
                response_id, period, village,
                {code: score for code, score in result.scores.items()
                 if (score is not None) == applicable},
                instrument.id, instrument.version,
            )
            for response_id, result in zip(response_ids, results, strict=True)
        ]

    return part(True) + part(False)
