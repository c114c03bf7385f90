"""Families: creating one with its response, naming it, and finding a family entered twice.

A family row exists from the moment a cadre starts it, before she has typed the head's name or
the RT: until then `head_name` is empty and `rt` is 0. Duplicates are recognised by village,
period, RT and the *normalised* head name, because the same person is written "Bapak H. Ahmad"
by one cadre and "ahmad" by another.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import AppUser, Area, Family, Response, ResponseStatus
from bot.db.types import utcnow
from ikk_core.areas import AreaLevel, normalize_name, short_label
from ikk_core.instrument import Instrument

__all__ = [
    "TITLE_WORDS",
    "DuplicateCandidate",
    "FamilyLabel",
    "create_family",
    "find_duplicates",
    "identity_from_answers",
    "identity_questions",
    "normalize_head_name",
    "set_identity",
]

#: Forms of address and honorifics written before a name; they do not tell two people apart.
TITLE_WORDS = frozenset(
    {
        "bapak", "bpk", "bp", "pak", "ibu", "bu", "ib", "sdr", "sdri", "saudara", "saudari",
        "tuan", "tn", "nyonya", "ny", "nona", "nn", "haji", "hajah", "hajjah", "hj", "h",
        "almarhum", "alm", "almh", "kakek", "nenek",
    }
)
_HEAD_NAME_LENGTH = 120


def normalize_head_name(name: str) -> str:
    """The head's name as compared for duplicates: casefolded, accents and punctuation gone,
    single spaces, leading titles ("Bapak", "Ibu", "Pak", "Bu", "H.") removed.

    A name made only of title words keeps its last word, so "Ibu" never becomes empty.
    """
    words = normalize_name(name).split()
    while len(words) > 1 and words[0] in TITLE_WORDS:
        words.pop(0)
    return " ".join(words)[:_HEAD_NAME_LENGTH]


def identity_questions(instrument: Instrument) -> frozenset[str]:
    """The questions whose answers name the family (the instrument's head-name and RT roles)."""
    return frozenset(q for q in (instrument.head_question, instrument.rt_question) if q)


def identity_from_answers(
    instrument: Instrument, stored: Mapping[str, str | None]
) -> tuple[str | None, int | None]:
    """The head's name and the RT as stored answers give them (None while unanswered)."""
    head_question, rt_question = instrument.head_question, instrument.rt_question
    head = stored.get(head_question) if head_question else None
    rt_text = stored.get(rt_question) if rt_question else None
    rt = int(rt_text) if rt_text is not None and rt_text.lstrip("-").isdigit() else None
    return head, rt


@dataclass(frozen=True)
class FamilyLabel:
    """How a family is named to a cadre: head, RT and village (head/RT None until answered)."""

    family_id: int
    village_code: str
    village_name: str
    village_level: AreaLevel
    rt: int | None
    head_name: str | None
    period: int

    @property
    def village_label(self) -> str:
        """e.g. "Desa Sampanahan"."""
        return short_label(self.village_level, self.village_name)

    @property
    def text(self) -> str:
        """e.g. "Budi Santoso · RT 2 · Desa Sampanahan" ("Keluarga baru" before the name)."""
        parts = [self.head_name or "Keluarga baru"]
        if self.rt is not None:
            parts.append(f"RT {self.rt}")
        parts.append(self.village_label)
        return " · ".join(parts)

    @classmethod
    def of(cls, family: Family, village_name: str, village_level: AreaLevel) -> FamilyLabel:
        return cls(
            family_id=family.id,
            village_code=family.village_code,
            village_name=village_name,
            village_level=village_level,
            rt=family.rt or None,
            head_name=family.head_name or None,
            period=family.period,
        )


@dataclass(frozen=True)
class DuplicateCandidate:
    """Another family of the same village, period, RT and normalised head name."""

    response_id: int
    family: FamilyLabel
    status: ResponseStatus
    cadre_id: int
    cadre_name: str
    updated_at: datetime


async def create_family(
    session: AsyncSession,
    *,
    village_code: str,
    period: int,
    cadre_id: int,
    instrument_id: str,
    instrument_version: str,
) -> Response:
    """A new family (no name or RT yet) with its draft response; flushed, ids assigned."""
    now = utcnow()
    family = Family(
        village_code=village_code,
        rt=0,
        head_name="",
        head_name_norm="",
        period=period,
        created_by=cadre_id,
        created_at=now,
    )
    session.add(family)
    await session.flush()
    response = Response(
        family_id=family.id,
        cadre_id=cadre_id,
        instrument_id=instrument_id,
        instrument_version=instrument_version,
        status=ResponseStatus.DRAFT,
        version=0,
        current_question=None,
        started_at=now,
        updated_at=now,
    )
    session.add(response)
    await session.flush()
    return response


async def set_identity(
    session: AsyncSession, family_id: int, head_name: str | None, rt: int | None
) -> None:
    """Store the head's name and RT as answered (empty / 0 while unanswered)."""
    name = (head_name or "").strip()[:_HEAD_NAME_LENGTH]
    await session.execute(
        update(Family)
        .where(Family.id == family_id)
        .values(head_name=name, head_name_norm=normalize_head_name(name), rt=max(rt or 0, 0))
    )


async def find_duplicates(
    session: AsyncSession,
    *,
    family_id: int,
    village_code: str,
    period: int,
    rt: int,
    head_name: str,
) -> list[DuplicateCandidate]:
    """Other families with the same identity, the acting family left out; submitted ones and
    the most recently touched first (the likeliest to be "the" family)."""
    norm = normalize_head_name(head_name)
    if not norm or rt <= 0:
        return []
    rows = await session.execute(
        select(Family, Response, Area.name, Area.level, AppUser.display_name)
        .join(Response, Response.family_id == Family.id)
        .join(Area, Area.code == Family.village_code)
        .join(AppUser, AppUser.id == Response.cadre_id)
        .where(
            Family.village_code == village_code,
            Family.period == period,
            Family.rt == rt,
            Family.head_name_norm == norm,
            Family.id != family_id,
        )
        .order_by(Response.status.desc(), Response.updated_at.desc(), Response.id)
    )
    return [
        DuplicateCandidate(
            response_id=response.id,
            family=FamilyLabel.of(family, name, level),
            status=response.status,
            cadre_id=response.cadre_id,
            cadre_name=cadre_name,
            updated_at=response.updated_at,
        )
        for family, response, name, level, cadre_name in rows.all()
    ]
