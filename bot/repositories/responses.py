"""Responses and their answers: loading a cadre's response, and the writes of one answer.

Every write to a response goes through `bump_version`, the optimistic lock of design decision 1:
``UPDATE response SET version = version + 1 WHERE id = :id AND version = :seen``. No row updated
means someone (a double tap, a second phone) changed the response since it was read, so the
caller stores nothing. Answers are plain strings (`ikk_core.values.to_storage`); a row with a
NULL value is an optional question the cadre skipped, and cleared answers are deleted.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, cast

from sqlalchemy import ColumnElement, Table, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.bot_id import current_bot_id
from bot.db.models import (
    Answer,
    AnswerChange,
    AppUser,
    Area,
    Family,
    ProcessedUpdate,
    Response,
    ResponseStatus,
    Role,
    UserArea,
)
from bot.db.types import utcnow
from bot.repositories.families import FamilyLabel
from bot.repositories.scope import Scope, scope_for_user
from ikk_core.expressions import Value
from ikk_core.instrument import Instrument
from ikk_core.values import from_storage

__all__ = [
    "ActingUser",
    "AnswerWrite",
    "Change",
    "ResponseRow",
    "ShownMark",
    "StoredAnswers",
    "Writer",
    "bump_version",
    "claim_update",
    "count_answers",
    "delete_answers",
    "load_acting_user",
    "load_answers",
    "load_answers_of",
    "load_own_response",
    "load_response",
    "mark_shown",
    "own_responses",
    "typed_answers",
    "upsert_answers",
    "visible_responses",
    "write_changes",
]

StoredAnswers = dict[str, str | None]
"""Question name → stored text (None: skipped), exactly as in the `answer` table."""


@dataclass(frozen=True)
class ActingUser:
    """The user behind a service call, as the database says now (inactive users see nothing)."""

    id: int
    telegram_id: int
    role: Role
    language: str
    display_name: str
    scope: Scope

    @property
    def is_kader(self) -> bool:
        return self.role is Role.KADER


async def load_acting_user(session: AsyncSession, user_id: int) -> ActingUser | None:
    """The active user with this id and their scope, or None (unknown or deactivated)."""
    user = await session.get(AppUser, user_id)
    if user is None or not user.active:
        return None
    return ActingUser(
        id=user.id,
        telegram_id=user.telegram_id,
        role=user.role,
        language=user.language or "id",
        display_name=user.display_name,
        scope=await scope_for_user(session, user),
    )


@dataclass(frozen=True)
class ShownMark:
    """Chat message `message_id` first showed the question (or card) of `version`, as the
    process that sent it remembers (not yet, or never, stored: see `ResponseRow.seen_in`)."""

    version: int
    message_id: int


@dataclass(frozen=True)
class ResponseRow:
    """A response with its family and village, as read in the current transaction."""

    id: int
    version: int
    status: ResponseStatus
    cadre_id: int
    cursor: str | None
    submitted_at: datetime | None
    updated_at: datetime
    score_pct: float | None
    band: str | None
    instrument_id: str
    instrument_version: str
    family: FamilyLabel
    live_message_id: int | None = None
    live_version: int | None = None

    @property
    def on_screen(self) -> bool:
        """Whether the chat has shown this version's question (or card) to the kader."""
        return self.live_version is not None and self.live_version == self.version

    def typed_before_shown(self, message_id: int) -> bool:
        """Whether a text with `message_id` cannot answer the live question: it was sent before
        the message that shows it, or that question never reached the chat."""
        return not self.on_screen or message_id <= (self.live_message_id or 0)

    def seen_in(self, mark: ShownMark | None) -> ResponseRow:
        """This row with a remembered showing of its version (`mark`) taken as stored, unless
        the database already records one (the first showing counts) or the mark is of another
        version. Saves writing the mark after the message went out; without the memory (a
        restart) the row is as stored, which is only ever the safer "not shown"."""
        if mark is None or mark.version != self.version or self.on_screen:
            return self
        return dataclasses.replace(
            self, live_message_id=mark.message_id, live_version=mark.version
        )

    @property
    def ever_submitted(self) -> bool:
        """Submitted now or before (a reopened response is still audited)."""
        return self.submitted_at is not None


def _row(response: Response, family: Family, name: str, level: Any) -> ResponseRow:
    return ResponseRow(
        id=response.id,
        version=response.version,
        status=response.status,
        cadre_id=response.cadre_id,
        cursor=response.current_question,
        submitted_at=response.submitted_at,
        updated_at=response.updated_at,
        score_pct=response.family_score_pct,
        band=response.family_band,
        instrument_id=response.instrument_id,
        instrument_version=response.instrument_version,
        family=FamilyLabel.of(family, name, level),
        live_message_id=response.live_message_id,
        live_version=response.live_version,
    )


def _own(user: ActingUser) -> ColumnElement[bool]:
    """A cadre writes only her own responses, and only while the village is hers."""
    return (Response.cadre_id == user.id) & user.scope.filter_codes(Family.village_code)


def _response_query() -> Any:
    return (
        select(Response, Family, Area.name, Area.level)
        .join(Family, Family.id == Response.family_id)
        .join(Area, Area.code == Family.village_code)
    )


async def load_response(
    session: AsyncSession, user: ActingUser, response_id: int
) -> ResponseRow | None:
    """The user's own response `response_id`, or None (unknown, another cadre's, out of scope:
    the three are indistinguishable on purpose)."""
    rows = await session.execute(_response_query().where(Response.id == response_id, _own(user)))
    found = rows.first()
    return _row(*found) if found is not None else None


@dataclass(frozen=True)
class Writer:
    """The cadre writing a response: only what a write needs (her id and language)."""

    id: int
    language: str


_OWN_RESPONSE = (
    select(
        Response.id,
        Response.version,
        Response.status,
        Response.cadre_id,
        Response.current_question,
        Response.submitted_at,
        Response.updated_at,
        Response.family_score_pct,
        Response.family_band,
        Response.instrument_id,
        Response.instrument_version,
        Response.live_message_id,
        Response.live_version,
        Family.id,
        Family.village_code,
        Family.rt,
        Family.head_name,
        Family.period,
        Area.name,
        Area.level,
        AppUser.language,
        Answer.question,
        Answer.value,
    )
    .select_from(Response)
    .join(Family, Family.id == Response.family_id)
    .join(Area, Area.code == Family.village_code)
    .join(AppUser, AppUser.id == Response.cadre_id)
    .join(
        UserArea,
        (UserArea.user_id == AppUser.id) & (UserArea.area_code == Family.village_code),
    )
    .outerjoin(Answer, Answer.response_id == Response.id)
    .where(
        Response.id == bindparam("response_id"),
        Response.cadre_id == bindparam("user_id"),
        AppUser.active.is_(True),
        AppUser.role == Role.KADER,
    )
)


async def load_own_response(
    session: AsyncSession, user_id: int, response_id: int
) -> tuple[Writer, ResponseRow, StoredAnswers] | None:
    """The cadre's own response with its answers, in ONE query (the hot path of every tap).

    The same rule as `load_response` for a kader, written as joins: she is active, the
    response is hers, and its village is one of hers (`user_area`). None otherwise.
    """
    rows = (
        await session.execute(_OWN_RESPONSE, {"response_id": response_id, "user_id": user_id})
    ).all()
    if not rows:
        return None
    first = rows[0]
    (rid, version, status, cadre_id, cursor, submitted_at, updated_at, pct, band, iid, iver,
     live_message_id, live_version, family_id, village, rt, head, period, area_name, area_level,
     language, _, _) = first
    row = ResponseRow(
        id=rid,
        version=version,
        status=status,
        cadre_id=cadre_id,
        cursor=cursor,
        submitted_at=submitted_at,
        updated_at=updated_at,
        score_pct=pct,
        band=band,
        instrument_id=iid,
        instrument_version=iver,
        family=FamilyLabel(
            family_id=family_id,
            village_code=village,
            village_name=area_name,
            village_level=area_level,
            rt=rt or None,
            head_name=head or None,
            period=period,
        ),
        live_message_id=live_message_id,
        live_version=live_version,
    )
    stored = {r[-2]: r[-1] for r in rows if r[-2] is not None}
    return Writer(id=user_id, language=language or "id"), row, stored


async def own_responses(
    session: AsyncSession,
    user: ActingUser,
    *,
    status: ResponseStatus | None = None,
    period: int | None = None,
    limit: int | None = None,
) -> list[ResponseRow]:
    """The user's own responses in scope, most recently touched first."""
    query = _response_query().where(_own(user))
    if status is not None:
        query = query.where(Response.status == status)
    if period is not None:
        query = query.where(Family.period == period)
    query = query.order_by(Response.updated_at.desc(), Response.id.desc())
    if limit is not None:
        query = query.limit(limit)
    rows = await session.execute(query)
    return [_row(*found) for found in rows.all()]


async def visible_responses(
    session: AsyncSession,
    user: ActingUser,
    *,
    period: int,
    limit: int | None = None,
) -> list[tuple[ResponseRow, str]]:
    """Responses of the period the user may list, with the cadre's name: a kader's own, an
    admin's every response in their scope, a pejabat's none (per-family data is personal data:
    a pejabat sees aggregates only, UU PDP). Most recently touched first."""
    if user.is_kader:
        where = _own(user)
    elif user.role is Role.ADMIN:
        where = user.scope.filter_codes(Family.village_code)
    else:
        return []
    query = (
        select(Response, Family, Area.name, Area.level, AppUser.display_name)
        .join(Family, Family.id == Response.family_id)
        .join(Area, Area.code == Family.village_code)
        .join(AppUser, AppUser.id == Response.cadre_id)
        .where(where, Family.period == period)
        .order_by(Response.updated_at.desc(), Response.id.desc())
    )
    if limit is not None:
        query = query.limit(limit)
    rows = await session.execute(query)
    return [
        (_row(response, family, name, level), cadre)
        for response, family, name, level, cadre in rows.all()
    ]


async def load_answers(session: AsyncSession, response_id: int) -> StoredAnswers:
    rows = await session.execute(
        select(Answer.question, Answer.value).where(Answer.response_id == response_id)
    )
    return {question: value for question, value in rows.all()}


async def load_answers_of(
    session: AsyncSession, response_ids: Sequence[int]
) -> dict[int, StoredAnswers]:
    """Stored answers of several responses in one query."""
    out: dict[int, StoredAnswers] = {rid: {} for rid in response_ids}
    if not response_ids:
        return out
    rows = await session.execute(
        select(Answer.response_id, Answer.question, Answer.value).where(
            Answer.response_id.in_(list(response_ids))
        )
    )
    for response_id, question, value in rows.all():
        out[response_id][question] = value
    return out


def typed_answers(instrument: Instrument, stored: Mapping[str, str | None]) -> dict[str, Value]:
    """Stored texts as the engine's typed values; answers to questions the instrument does not
    have (an older version's) are left out, and a value that no longer parses is dropped."""
    out: dict[str, Value] = {}
    for name, text in stored.items():
        if not instrument.has_question(name):
            continue
        try:
            out[name] = from_storage(instrument.question(name), text)
        except ValueError:
            continue
    return out


async def claim_update(
    session: AsyncSession, update_id: int, telegram_id: int | None, *, user_id: int | None = None
) -> bool:
    """Record a Telegram update as handled; False when it was handled before (or is being
    handled by a transaction that then commits: the insert waits for it).

    With `user_id` the Telegram id is looked up in the same statement (one round trip).
    The claim is the current bot's (`bot.db.bot_id`): update ids are numbered per bot.
    """
    dialect = session.get_bind().dialect.name
    statement = _CLAIMS[(dialect == "postgresql", user_id is not None)]
    params = {"bot_id": current_bot_id(), "update_id": update_id, "now": utcnow(),
              "telegram_id": telegram_id, "user_id": user_id}
    if dialect == "sqlite":
        # SQLite's rowcount of this INSERT is exactly 0 or 1 (one round trip less than
        # RETURNING); psycopg reports -1 for it (field notes §6.2), so PostgreSQL uses RETURNING.
        result = await session.execute(statement, params)
        return int(result.rowcount) == 1  # type: ignore[attr-defined]
    return (await session.execute(statement, params)).first() is not None


def _claim(postgres: bool, by_user: bool) -> Any:
    """The claim's INSERT … ON CONFLICT DO NOTHING, built once per dialect and sender form."""
    table = cast(Table, ProcessedUpdate.__table__)
    columns = table.c
    sender: Any = bindparam("telegram_id", type_=columns.telegram_id.type)
    if by_user:
        sender = (
            select(AppUser.telegram_id).where(AppUser.id == bindparam("user_id"))
            .scalar_subquery()
        )
    insert_into = postgresql.insert if postgres else sqlite.insert
    statement = (
        insert_into(table)
        .values(bot_id=bindparam("bot_id", type_=columns.bot_id.type),
                update_id=bindparam("update_id", type_=columns.update_id.type),
                telegram_id=sender,
                processed_at=bindparam("now", type_=columns.processed_at.type))
        .on_conflict_do_nothing(index_elements=[columns.bot_id, columns.update_id])
    )
    return statement.returning(columns.update_id) if postgres else statement


# The hot path's statements are built once: building an UPDATE or an upsert and working out
# its cache key costs more CPU than the database round trip (about 0,3 to 0,6 ms each,
# measured); a prebuilt statement's cache key is remembered. The hot path reads responses as
# plain columns (`load_own_response`), never as entities, so its UPDATEs skip the ORM's
# synchronisation of loaded objects (an evaluator built per call), and its INSERTs go to the
# table (with parameters an entity would take the ORM's bulk path).
_BUMP_CURSOR = (
    update(Response)
    .where(Response.id == bindparam("response_id"), Response.version == bindparam("seen"))
    .values(
        version=Response.version + 1,
        updated_at=bindparam("now", type_=Response.__table__.c.updated_at.type),
        current_question=bindparam("cursor", type_=Response.__table__.c.current_question.type),
    )
    .execution_options(synchronize_session=False)
)

_CLAIMS: Final = {
    (postgres, by_user): _claim(postgres, by_user)
    for postgres in (False, True) for by_user in (False, True)
}

_MARK_SHOWN = (
    update(Response)
    .where(
        Response.id == bindparam("response_id"),
        Response.version == bindparam("shown_version"),
        (Response.live_version.is_(None)) | (Response.live_version != bindparam("shown_version")),
    )
    # updated_at stays: showing a question changes no answer (onupdate would bump it).
    .values(
        live_message_id=bindparam("message_id", type_=Response.__table__.c.live_message_id.type),
        live_version=bindparam("shown_version", type_=Response.__table__.c.live_version.type),
        updated_at=Response.updated_at,
    )
    .execution_options(synchronize_session=False)
)


async def bump_version(
    session: AsyncSession, response_id: int, seen_version: int, **values: Any
) -> bool:
    """The optimistic lock: bump the version if it is still `seen_version`, setting `values` too.
    False (nothing written) when the response changed since it was read."""
    if values.keys() == {"current_question"}:  # an answer, "Kembali", "Ubah": prebuilt
        result = await session.execute(
            _BUMP_CURSOR,
            {"response_id": response_id, "seen": seen_version, "now": utcnow(),
             "cursor": values["current_question"]},
        )
    else:
        result = await session.execute(
            update(Response)
            .where(Response.id == response_id, Response.version == seen_version)
            .values(version=Response.version + 1, updated_at=utcnow(), **values)
        )
    # rowcount of a plain UPDATE is exact on every driver used (no RETURNING: one round trip
    # less on the hot path).
    return int(result.rowcount) == 1  # type: ignore[attr-defined]


async def mark_shown(
    session: AsyncSession, response_id: int, version: int, message_id: int
) -> bool:
    """Record that chat message `message_id` shows the question of `version`, unless that
    version was shown before (a typed answer only has to follow its FIRST showing) or the
    response moved on meanwhile. Not a change of the response: the version stays."""
    result = await session.execute(
        _MARK_SHOWN,
        {"response_id": response_id, "shown_version": version, "message_id": message_id},
    )
    return int(result.rowcount) == 1  # type: ignore[attr-defined]


@dataclass(frozen=True)
class AnswerWrite:
    question: str
    value: str | None


def _upsert_answer(insert_for: Any) -> Any:
    table = cast(Table, Answer.__table__)
    statement = insert_for(table)
    return statement.on_conflict_do_update(
        index_elements=[table.c.response_id, table.c.question],
        set_={
            "value": statement.excluded.value,
            "answered_at": statement.excluded.answered_at,
            "answered_by": statement.excluded.answered_by,
            "update_id": statement.excluded.update_id,
            "bot_id": statement.excluded.bot_id,
        },
    )


_UPSERT_ANSWER: Final = {
    "postgresql": _upsert_answer(postgresql.insert),
    "sqlite": _upsert_answer(sqlite.insert),
}
"""Insert or replace an answer, prebuilt per dialect (see `_BUMP_CURSOR`)."""


async def upsert_answers(
    session: AsyncSession,
    response_id: int,
    writes: Iterable[AnswerWrite],
    *,
    user_id: int,
    update_id: int | None,
) -> None:
    """Insert or replace answers (one row per response and question), with who and when."""
    now = utcnow()
    bot_id = current_bot_id() if update_id is not None else None
    rows = [
        {
            "response_id": response_id,
            "question": w.question,
            "value": w.value,
            "answered_at": now,
            "answered_by": user_id,
            "update_id": update_id,
            "bot_id": bot_id,
        }
        for w in writes
    ]
    if not rows:
        return
    await session.execute(_UPSERT_ANSWER[session.get_bind().dialect.name], rows)


async def delete_answers(session: AsyncSession, response_id: int, questions: Sequence[str]) -> None:
    if questions:
        await session.execute(
            delete(Answer).where(
                Answer.response_id == response_id, Answer.question.in_(list(questions))
            )
        )


@dataclass(frozen=True)
class Change:
    question: str
    old: str | None
    new: str | None
    reason: str


async def write_changes(
    session: AsyncSession, response_id: int, changes: Sequence[Change], *, user_id: int
) -> None:
    """Audit rows for changes to a response that was submitted (old, new, who, when, why)."""
    if not changes:
        return
    now = utcnow()
    await session.execute(
        insert(AnswerChange),
        [
            {
                "response_id": response_id,
                "question": c.question,
                "old_value": c.old,
                "new_value": c.new,
                "changed_by": user_id,
                "changed_at": now,
                "reason": c.reason[:200],
            }
            for c in changes
        ],
    )


async def count_answers(session: AsyncSession, response_id: int) -> int:
    found = await session.scalar(
        select(func.count()).select_from(Answer).where(Answer.response_id == response_id)
    )
    return int(found or 0)
