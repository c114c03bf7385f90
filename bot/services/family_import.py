"""Storing families from another system as the chat would have stored them (`families import`).

Every accepted row of the file (`bot.services.import_file`) becomes what a cadre's submit
leaves: a family with name and RT, a submitted response with score and band, the answers, the
indicator scores, and the village counts moved through `rewrite_scores` in the same
transaction. Imported families are recorded as entered by the admin who ran the import.

Which family a row is, and whether it is new, changed, unchanged or a duplicate, is decided
by `import_matching` against the families read here. A changed family gets the new answers,
one `answer_change` audit row per changed answer (old, new, who, why), new scores and moved
counts. Rows are written by village in chunks, each read, decided and written in ONE
transaction: an import that stops halfway is finished by running it again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam, delete, insert, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.bulk import bind_value, insert_tuples
from bot.db.models import (
    Answer,
    AnswerChange,
    AppUser,
    Area,
    Base,
    Family,
    Response,
    ResponseStatus,
    Role,
)
from bot.db.types import utcnow
from bot.repositories.reviews import reset_reviews
from bot.repositories.scores import NewScores, rewrite_scores
from bot.services.context import ServiceContext
from bot.services.import_file import CheckedFile, ImportRow
from bot.services.import_matching import (
    DuplicateRow,
    ExistingFamily,
    Plan,
    plan_rows,
    row_key,
    within_file,
)
from ikk_core.answers_table import RejectedRow
from ikk_core.areas import is_village_code

__all__ = [
    "CHUNK_SIZE",
    "DuplicateRow",
    "ImportRefused",
    "ImportReport",
    "find_admin",
    "store_families",
    "village_names",
]

#: Families written per transaction (about 60 rows each): big enough for executemany to pay,
#: small enough that the running bot's writers on SQLite (busy timeout 5 s) wait about half a
#: second for a chunk on an idle machine.
CHUNK_SIZE = 1_000

Progress = Callable[[int, int], None]


class ImportRefused(Exception):
    """The import cannot run (no admin to record it under); `message` is Indonesian."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ImportReport:
    """What an import did, row by row counted."""

    created: int
    updated: int
    unchanged: int
    duplicates: tuple[DuplicateRow, ...]
    rejected: tuple[RejectedRow, ...]
    keyed_by_identity: int
    """Stored or matched rows without `id_luar` (recognised by village, RT, head, period)."""
    audit_rows: int


async def village_names(ctx: ServiceContext) -> dict[str, str]:
    """Every village the database knows, {code: name}, to resolve the file's `desa` cells."""

    async def work(session: AsyncSession) -> dict[str, str]:
        rows = await session.execute(select(Area.code, Area.name))
        return {code: name for code, name in rows.all() if is_village_code(code)}

    return await ctx.read(work)


async def find_admin(ctx: ServiceContext, telegram_id: int | None) -> tuple[int, str]:
    """(database id, name) of the active admin the import is recorded under.

    With no Telegram id given, the only active admin; raises ImportRefused otherwise.
    """

    async def work(session: AsyncSession) -> list[tuple[int, int, str]]:
        query = select(AppUser.id, AppUser.telegram_id, AppUser.display_name).where(
            AppUser.role == Role.ADMIN, AppUser.active.is_(True)
        )
        if telegram_id is not None:
            query = query.where(AppUser.telegram_id == telegram_id)
        return [(int(a), int(b), str(c)) for a, b, c in (await session.execute(query)).all()]

    admins = await ctx.read(work)
    if telegram_id is not None and not admins:
        raise ImportRefused(
            f"Telegram ID {telegram_id} bukan admin aktif. Impor dicatat atas nama seorang "
            "admin: lihat `ikk-bot users list --role admin`."
        )
    if not admins:
        raise ImportRefused(
            "Belum ada admin aktif. Impor dicatat atas nama seorang admin: daftarkan dulu "
            "dengan `ikk-bot users add --role admin ...`."
        )
    if len(admins) > 1:
        raise ImportRefused(
            "Ada lebih dari satu admin aktif: sebutkan atas nama siapa impor dicatat, "
            "misalnya `--admin 123456789` (Telegram ID)."
        )
    user_id, tid, name = admins[0]
    return user_id, name or str(tid)


async def _load_existing(session: AsyncSession, rows: Sequence[ImportRow]) -> list[ExistingFamily]:
    """Families that could be these rows: with their identity (village, period, RT, head name)
    or with their source ids. Two indexed queries, not one OR (which SQLite answers with a scan
    of every family)."""
    if not rows:
        return []
    periods = sorted({r.period for r in rows})
    columns = (
        Family.id, Response.id, Family.village_code, Family.period, Family.rt,
        Family.head_name_norm, Family.source, Family.external_id, Family.source_digest,
        Response.status,
    )
    queries = [
        select(*columns)
        .join(Response, Response.family_id == Family.id)
        .where(
            Family.village_code.in_(sorted({r.village for r in rows})),
            Family.period.in_(periods),
            tuple_(Family.village_code, Family.period, Family.rt, Family.head_name_norm).in_(
                sorted({r.identity for r in rows})
            ),
        )
    ]
    by_id = {(r.source, r.external_id) for r in rows if r.external_id is not None}
    if by_id:
        queries.append(
            select(*columns)
            .join(Response, Response.family_id == Family.id)
            .where(
                Family.source.in_(sorted({s for s, _ in by_id})),
                Family.external_id.in_(sorted({str(e) for _, e in by_id})),
                Family.period.in_(periods),
            )
        )
    found: dict[int, ExistingFamily] = {}
    for query in queries:
        for fid, rid, village, period, rt, norm, source, ext, digest, status in (
            await session.execute(query)
        ).all():
            found[int(fid)] = ExistingFamily(
                int(fid), int(rid), village, int(period), int(rt), norm, source, ext, digest,
                status,
            )
    return list(found.values())


def _table(model: type[Base]) -> Table:
    """The Core table of a model: executemany UPDATE/DELETE with bound keys, no ORM bulk rules."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _insert_for(session: AsyncSession) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def _score_rows(
    pairs: Sequence[tuple[int, ImportRow]], instrument_id: str, version: str
) -> list[NewScores]:
    return [
        NewScores(response_id, row.period, row.village, row.scores, instrument_id, version)
        for response_id, row in pairs
    ]


async def _insert_new(
    session: AsyncSession, rows: Sequence[ImportRow], admin_id: int, iid: str, iver: str
) -> None:
    """The rows a submit leaves, for every new family: family, response, answers, scores."""
    now = utcnow()
    families = _table(Family)
    # RETURNING without `sort_by_parameter_order` (which makes SQLite insert row by row): the
    # family is found again by its import key, unique among the rows of one plan.
    inserted = await session.execute(
        insert(families).returning(
            families.c.id, families.c.source, families.c.external_id, families.c.period,
            families.c.village_code, families.c.rt, families.c.head_name_norm,
        ),
        [
            {
                "village_code": r.village, "period": r.period, "rt": r.rt,
                "head_name": r.head_name, "head_name_norm": r.head_norm,
                "created_by": admin_id, "created_at": now, "source": r.source,
                "external_id": r.external_id, "source_digest": r.digest,
            }
            for r in rows
        ],
    )
    by_key: dict[tuple[Any, ...], int] = {}
    for fid, source, external_id, period, village, rt, norm in inserted.all():
        key = (("id", source, external_id, period) if external_id is not None
               else ("identity", source, village, period, rt, norm))
        by_key[key] = int(fid)
    family_ids = [by_key[row_key(r)] for r in rows]
    responses = _table(Response)
    inserted = await session.execute(
        insert(responses).returning(responses.c.id, responses.c.family_id),
        [
            {
                "family_id": family_id, "cadre_id": admin_id, "instrument_id": iid,
                "instrument_version": iver, "status": ResponseStatus.SUBMITTED, "version": 1,
                "current_question": None, "started_at": now, "updated_at": now,
                "submitted_at": now, "family_score_pct": r.score_pct, "family_band": r.band,
            }
            for family_id, r in zip(family_ids, rows, strict=True)
        ],
    )
    by_family = {int(family_id): int(rid) for rid, family_id in inserted.all()}
    response_ids = [by_family[family_id] for family_id in family_ids]
    answers = _table(Answer)
    at = await bind_value(session, answers.c.answered_at, now)
    await insert_tuples(
        session, answers, ("response_id", "question", "value", "answered_at", "answered_by"),
        [
            (response_id, question, value, at, admin_id)
            for response_id, r in zip(response_ids, rows, strict=True)
            for question, value in r.answers.items()
        ],
    )
    await rewrite_scores(
        session, [], _score_rows(list(zip(response_ids, rows, strict=True)), iid, iver)
    )


async def _update_changed(
    session: AsyncSession,
    pairs: Sequence[tuple[ImportRow, ExistingFamily]],
    admin_id: int,
    iid: str,
    iver: str,
    reason: str,
) -> int:
    """New answers, audit rows, scores and counts of families the source changed."""
    ids = [own.response_id for _, own in pairs]
    result = await session.execute(
        select(Answer.response_id, Answer.question, Answer.value).where(
            Answer.response_id.in_(ids)
        )
    )
    stored: dict[int, dict[str, str | None]] = {rid: {} for rid in ids}
    for rid, question, value in result.all():
        stored[rid][question] = value
    now = utcnow()
    changes: list[dict[str, object]] = []
    upserts: list[dict[str, object]] = []
    removed: list[dict[str, object]] = []
    for row, own in pairs:
        old = stored[own.response_id]
        for question, value in row.answers.items():
            if question not in old or old[question] != value:
                upserts.append({"response_id": own.response_id, "question": question,
                                "value": value, "answered_at": now, "answered_by": admin_id,
                                "update_id": None, "bot_id": None})
                changes.append({"response_id": own.response_id, "question": question,
                                "old_value": old.get(question), "new_value": value,
                                "changed_by": admin_id, "changed_at": now, "reason": reason})
        for question, value in old.items():
            if question not in row.answers:
                removed.append({"r": own.response_id, "q": question})
                changes.append({"response_id": own.response_id, "question": question,
                                "old_value": value, "new_value": None,
                                "changed_by": admin_id, "changed_at": now, "reason": reason})
    if upserts:
        statement = _insert_for(session)(Answer)
        statement = statement.on_conflict_do_update(
            index_elements=[Answer.response_id, Answer.question],
            set_={name: getattr(statement.excluded, name)
                  for name in ("value", "answered_at", "answered_by", "update_id",
                               "bot_id")},
        )
        await session.execute(statement, upserts)
    if removed:
        answers = _table(Answer)
        await session.execute(
            delete(answers).where(
                answers.c.response_id == bindparam("r"), answers.c.question == bindparam("q")
            ),
            removed,
        )
    if changes:
        await session.execute(insert(AnswerChange), changes)
        changed = {int(str(c["response_id"])) for c in changes}
        await reset_reviews(session, [own.family_id for _, own in pairs
                                      if own.response_id in changed], f"import:{admin_id}")
    await rewrite_scores(
        session, ids, _score_rows([(own.response_id, row) for row, own in pairs], iid, iver)
    )
    responses = _table(Response)
    await session.execute(
        update(responses)
        .where(responses.c.id == bindparam("rid"))
        .values(
            version=responses.c.version + 1, status=ResponseStatus.SUBMITTED, updated_at=now,
            submitted_at=bindparam("submitted_at"), current_question=None,
            family_score_pct=bindparam("pct"), family_band=bindparam("band"),
            instrument_id=iid, instrument_version=iver,
        ),
        [{"rid": own.response_id, "submitted_at": now, "pct": row.score_pct, "band": row.band}
         for row, own in pairs],
    )
    families = _table(Family)
    await session.execute(
        update(families)
        .where(families.c.id == bindparam("fid"))
        .values(rt=bindparam("rt"), head_name=bindparam("head"),
                head_name_norm=bindparam("norm"), source_digest=bindparam("digest")),
        [{"fid": own.family_id, "rt": row.rt, "head": row.head_name, "norm": row.head_norm,
          "digest": row.digest} for row, own in pairs],
    )
    return len(changes)


async def store_families(
    ctx: ServiceContext,
    checked: CheckedFile,
    *,
    admin_id: int,
    reason: str,
    progress: Progress | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> ImportReport:
    """Store the checked rows (new, changed, or left alone) and report what happened.

    Rows go by village (so a chunk reads the existing families of few villages); each chunk
    is matched against the database and written in ONE transaction, so what it decided on
    cannot change under it.
    """
    instrument = ctx.instrument
    rows, repeated = within_file(checked.rows)
    rows.sort(key=lambda r: (r.village, r.period, r.line))
    total = len(rows)
    if progress is not None:
        progress(0, total)
    plan = Plan()
    audit_rows = 0
    for start in range(0, total, chunk_size):
        chunk = rows[start : start + chunk_size]

        async def work(
            session: AsyncSession, chunk: Sequence[ImportRow] = chunk
        ) -> tuple[Plan, int]:
            decided = plan_rows(chunk, await _load_existing(session, chunk))
            if decided.new:
                await _insert_new(
                    session, decided.new, admin_id, instrument.id, instrument.version
                )
            audit = 0
            if decided.changed:
                audit = await _update_changed(
                    session, decided.changed, admin_id, instrument.id, instrument.version,
                    reason[:200],
                )
            return decided, audit

        decided, audit = await ctx.write(work)
        audit_rows += audit
        plan.new += decided.new
        plan.changed += decided.changed
        plan.unchanged += decided.unchanged
        plan.duplicates += decided.duplicates
        plan.rejected += decided.rejected
        plan.keyed_by_identity += decided.keyed_by_identity
        if progress is not None:
            progress(start + len(chunk), total)
    return ImportReport(
        created=len(plan.new),
        updated=len(plan.changed),
        unchanged=plan.unchanged,
        duplicates=tuple(sorted(plan.duplicates, key=lambda d: d.line)),
        rejected=tuple(
            sorted([*checked.rejected, *repeated, *plan.rejected], key=lambda r: r.row)
        ),
        keyed_by_identity=plan.keyed_by_identity,
        audit_rows=audit_rows,
    )
