"""What officials ask for in chat: an area by name, then its report, workbook, progress or invite.

Each public function is the one service call of a handler (`/ikk`, `/ekspor`, `/progres`,
`/undang` and their buttons). It finds the area the person means, only among the areas in their
scope (design decision 4: an area outside it is answered exactly like a name that does not
exist), and then asks the service that owns the data (`reports`, `progress`, `exports`,
`invites`). The outcome is an `Answer` the Telegram adapter renders; nothing here knows Telegram.

How a typed name is resolved (`bot.repositories.areas.search_areas` does the matching):

- one exact match (or one exact match of the level named in the query: "desa sampanahan") →
  that area;
- several exact matches ("Sampanahan" is a kecamatan and a desa) → choose; the near names
  ("Sampanahan Hilir", "Hulu Sampanahan") are offered with them;
- no exact match but near names (typos, parts of names) → suggestions to choose from;
- nothing → not found. An area code ("63.02.12.2005") is accepted too.

No name: the person's own area (a kader with several villages chooses one).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final, Generic, Literal, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Role
from bot.repositories.areas import (
    AreaView,
    get_area,
    list_villages,
    search_areas,
)
from bot.repositories.invites import CreatedInvite, create_invite
from bot.repositories.responses import ActingUser, load_acting_user
from bot.repositories.scope import OutOfScope
from bot.repositories.users import UserError
from bot.services.context import ServiceContext
from bot.services.exports import ExportFile, build_export, family_rows_for
from bot.services.period_query import PeriodProblem, period_problem, split_year
from bot.services.progress import ProgressReport, progress
from bot.services.reports import AreaReport, area_report
from ikk_core.areas import (
    VILLAGE_LEVELS,
    AreaLevel,
    is_valid_code,
    normalize_name,
    short_label,
    split_level_prefix,
)

__all__ = [
    "MAX_OPTIONS",
    "MAX_QUERY_LENGTH",
    "Answer",
    "AreaOption",
    "Status",
    "area_progress",
    "export_area",
    "ikk_report",
    "invite_kader",
    "split_period",
]

T = TypeVar("T")

MAX_QUERY_LENGTH: Final = 100
"""Longer than any area name (the longest Kemendagri name is about 40 characters)."""
MAX_OPTIONS: Final = 8
"""Buttons offered for an ambiguous or misspelt name."""
MAX_VILLAGE_BUTTONS: Final = 30
"""`/undang` without a name lists the villages as buttons up to this many."""
_PERIOD_RE: Final = re.compile(r"^(?:(.*?)\s+)?(20\d\d)$", re.DOTALL)

Status = Literal[
    "ok",  # `value` holds the result for `area`
    "choose",  # several areas match: `options`
    "suggest",  # no exact match, near names: `options`
    "not_found",  # nothing in scope matches (also: outside the scope)
    "too_long",  # the typed name is longer than any area name
    "need_name",  # /undang without a name and too many villages to list
    "empty",  # /ekspor of an area where no family has been submitted
    "forbidden",  # the role may not do this (a kader exporting or inviting)
    "unregistered",  # the account is unknown or was deactivated
    "bad_period",  # /ikk with a year that is not a number, in the future or without data
]


@dataclass(frozen=True)
class AreaOption:
    """An area as a person picks it: "Desa Sampanahan" and the areas above it."""

    code: str
    name: str
    level: AreaLevel
    parents: str
    """e.g. "Kec. Sampanahan, Kab. Kotabaru" (nearest first)."""

    @property
    def label(self) -> str:
        """Short, for a button: "Desa Sampanahan, Kec. Sampanahan"."""
        own = short_label(self.level, self.name)
        nearest = self.parents.split(", ")[0] if self.parents else ""
        return f"{own}, {nearest}" if nearest else own

    @property
    def full_label(self) -> str:
        """For a message: "Desa Sampanahan (Kec. Sampanahan, Kab. Kotabaru)"."""
        own = short_label(self.level, self.name)
        return f"{own} ({self.parents})" if self.parents else own

    @classmethod
    def of(cls, view: AreaView) -> AreaOption:
        return cls(view.code, view.name, view.level, view.parents)


@dataclass(frozen=True)
class Answer(Generic[T]):
    """The outcome of one request: a status, the area it is about, and the result or options."""

    status: Status
    query: str = ""
    area: AreaOption | None = None
    value: T | None = None
    options: tuple[AreaOption, ...] = field(default_factory=tuple)
    period: int | None = None
    year_typed: str = ""
    """"bad_period": the year as typed."""
    problem: PeriodProblem | None = None
    """"bad_period": why that year cannot be read."""
    periods: tuple[int, ...] = ()
    """"bad_period": the years with data for the area, newest first."""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def but(self, status: Status) -> Answer[T]:
        return Answer(status, self.query, self.area, None, self.options, self.period)

    def holding(self, value: T) -> Answer[T]:
        return Answer("ok", self.query, self.area, value, self.options, self.period)


def split_period(text: str) -> tuple[str, int | None]:
    """ "Sampanahan 2024" → ("Sampanahan", 2024): a trailing year chooses the period."""
    match = _PERIOD_RE.match(text.strip())
    if match is None:
        return text.strip(), None
    return (match.group(1) or "").strip(), int(match.group(2))


@dataclass(frozen=True)
class _Resolved:
    user: ActingUser | None
    answer: Answer[None]


def _choice(
    query: str, candidates: list[AreaOption], exact: list[AreaOption],
    preferred: frozenset[AreaLevel],
) -> Answer[None]:
    """Decide between one area, a choice, suggestions and nothing (see the module docstring)."""
    if preferred:
        of_level = [c for c in exact if c.level in preferred]
        if len(of_level) == 1:
            return Answer("ok", query, of_level[0])
        if not of_level:  # "kecamatan X" where only a desa X may be chosen: not a clear match
            exact = []
    if len(exact) == 1:
        return Answer("ok", query, exact[0])
    if exact:
        return Answer("choose", query, options=tuple(candidates[: max(MAX_OPTIONS, len(exact))]))
    if candidates:
        return Answer("suggest", query, options=tuple(candidates[:MAX_OPTIONS]))
    return Answer("not_found", query)


async def _resolve(
    session: AsyncSession,
    actor: int,
    query: str | None,
    code: str | None,
    *,
    villages_only: bool,
) -> _Resolved:
    user = await load_acting_user(session, actor)
    if user is None:
        return _Resolved(None, Answer("unregistered", query or ""))
    if code is not None:
        return _Resolved(user, await _by_code(session, user, code, villages_only=villages_only))
    text = (query or "").strip()
    if not text:
        return _Resolved(user, await _own_area(session, user, villages_only=villages_only))
    if len(text) > MAX_QUERY_LENGTH:
        return _Resolved(user, Answer("too_long", text[:MAX_QUERY_LENGTH] + "…"))
    if is_valid_code(text):
        return _Resolved(user, await _by_code(session, user, text, villages_only=villages_only))
    levels = VILLAGE_LEVELS if villages_only else None
    found = await search_areas(session, text, user.scope, levels=levels, limit=MAX_OPTIONS)
    options = [AreaOption(c.code, c.name, c.level, c.parents) for c in found]
    exact = [o for o, c in zip(options, found, strict=True) if c.exact]
    preferred, _rest = split_level_prefix(normalize_name(text))
    return _Resolved(user, _choice(text, options, exact, preferred))


async def _by_code(
    session: AsyncSession, user: ActingUser, code: str, *, villages_only: bool
) -> Answer[None]:
    """An area given by its code (a button, or a code typed instead of a name)."""
    view = await get_area(session, code, user.scope) if is_valid_code(code) else None
    if view is None or (villages_only and view.level not in VILLAGE_LEVELS):
        return Answer("not_found", code)
    return Answer("ok", code, AreaOption.of(view))


async def _own_area(
    session: AsyncSession, user: ActingUser, *, villages_only: bool
) -> Answer[None]:
    """No name typed: the person's own area, or their villages to choose from."""
    scope = user.scope
    if scope.villages and not scope.roots:  # a kader
        views = [v for v in [await get_area(session, c, scope) for c in sorted(scope.villages)]
                 if v is not None]
        if len(views) == 1:
            return Answer("ok", "", AreaOption.of(views[0]))
        if not views:
            return Answer("not_found", "")
        return Answer("choose", "", options=tuple(AreaOption.of(v) for v in views))
    roots = sorted(scope.roots)
    views = [v for v in [await get_area(session, c, scope) for c in roots] if v is not None]
    if not views:
        return Answer("not_found", "")
    if not villages_only:
        return Answer("ok", "", AreaOption.of(views[0]))
    villages = await list_villages(session, views[0].code, scope)
    if not villages or len(villages) > MAX_VILLAGE_BUTTONS:
        return Answer("need_name", "", AreaOption.of(views[0]))
    return Answer("choose", "", options=tuple(AreaOption.of(v) for v in villages))


async def _find(
    ctx: ServiceContext, actor: int, query: str | None, code: str | None, *,
    villages_only: bool = False,
) -> _Resolved:
    async def work(session: AsyncSession) -> _Resolved:
        return await _resolve(session, actor, query, code, villages_only=villages_only)

    return await ctx.read(work)


def _retyped(resolved: _Resolved, period: int | None) -> Answer[Any]:
    """The lookup's answer, ready to carry the caller's result type."""
    found = resolved.answer
    return Answer(found.status, found.query, found.area, None, found.options, period)


async def ikk_report(
    ctx: ServiceContext,
    actor: int,
    *,
    query: str | None = None,
    code: str | None = None,
    period: int | None = None,
    verified_only: bool = False,
) -> Answer[AreaReport]:
    """`/ikk [name] [year]` or a tapped area: the area's report from the stored scores.

    A trailing number is a year only when the whole text is not itself the name of an area
    ("Desa 12"); a year that cannot be read (not a number, in the future, without data for
    the area) gives "bad_period" with the years that have data.
    """
    token: str | None = None if period is None else str(period)
    resolved: _Resolved | None = None
    if query is not None:
        typed = split_year(query)
        if typed.token is not None and typed.name:
            whole = await _find(ctx, actor, typed.text, code)
            if whole.answer.ok:
                resolved = whole
        if resolved is None:
            query, token = typed.name, typed.token if period is None else token
            period = period if period is not None else typed.year
    if resolved is None:
        resolved = await _find(ctx, actor, query, code)
    answer: Answer[AreaReport] = _retyped(resolved, period)
    if not answer.ok or answer.area is None:
        return answer
    # verified_only: `/ikk <area> terverifikasi` (the handler takes the word out of the query)
    report = await area_report(ctx, actor, answer.area.code, period, verified_only=verified_only)
    if report is None:  # removed from the scope between the two reads
        return answer.but("not_found")
    if token is not None:
        problem = period_problem(token, period, report.periods, ctx.current_period())
        if problem is not None:
            return Answer("bad_period", answer.query, answer.area, None, (), period,
                          year_typed=token, problem=problem, periods=report.periods)
    return answer.holding(report)


async def area_progress(
    ctx: ServiceContext,
    actor: int,
    *,
    query: str | None = None,
    code: str | None = None,
    period: int | None = None,
) -> Answer[ProgressReport]:
    """`/progres [name] [year]`: families submitted and in draft per village and per kader."""
    if query is not None:
        query, typed_period = split_period(query)
        period = period if period is not None else typed_period
    resolved = await _find(ctx, actor, query, code)
    answer: Answer[ProgressReport] = _retyped(resolved, period)
    if not answer.ok or answer.area is None:
        return answer
    found = await progress(ctx, actor, answer.area.code, period)
    return answer.but("not_found") if found is None else answer.holding(found)


async def export_area(
    ctx: ServiceContext,
    actor: int,
    *,
    query: str | None = None,
    code: str | None = None,
    period: int | None = None,
    generated_at: datetime | None = None,
) -> Answer[ExportFile]:
    """`/ekspor [name] [year]`: the area's workbook (pejabat and admin; per-family rows, with
    names, for the admin only).

    The workbook is built in a worker thread: a kabupaten's family sheet takes seconds.
    """
    if query is not None:
        query, typed_period = split_period(query)
        period = period if period is not None else typed_period
    resolved = await _find(ctx, actor, query, code)
    answer: Answer[ExportFile] = _retyped(resolved, period)
    user = resolved.user
    if user is not None and user.is_kader:
        return answer.but("forbidden")
    if not answer.ok or answer.area is None or user is None:
        return answer
    report = await area_report(ctx, actor, answer.area.code, period)
    if report is None:
        return answer.but("not_found")
    if report.submitted == 0:
        return Answer("empty", answer.query, answer.area, None, (), report.period)
    # Per-family rows are personal data: the admin's workbook lists them (by name, without the
    # sensitive indicators); a pejabat's holds aggregates only, so they are not even read.
    include_names = user.role is Role.ADMIN
    families = (
        await family_rows_for(ctx, report, include_names=True) if include_names else None
    )
    built = await asyncio.to_thread(
        build_export, report, families, ctx.instrument, include_names=include_names,
        generated_at=generated_at,
    )
    return answer.holding(built)


async def invite_kader(
    ctx: ServiceContext,
    actor: int,
    *,
    query: str | None = None,
    code: str | None = None,
    ttl: timedelta = timedelta(days=7),
) -> Answer[CreatedInvite]:
    """`/undang <desa>`: a single-use kader invite for a village in the official's scope."""
    resolved = await _find(ctx, actor, query, code, villages_only=True)
    answer: Answer[CreatedInvite] = _retyped(resolved, None)
    if resolved.user is not None and resolved.user.is_kader:
        return answer.but("forbidden")
    if not answer.ok or answer.area is None:
        return answer
    village = answer.area.code

    async def work(session: AsyncSession) -> CreatedInvite | None:
        user = await load_acting_user(session, actor)
        if user is None or user.is_kader:
            return None
        return await create_invite(
            session, role=Role.KADER, area_code=village, scope=user.scope, uses=1, ttl=ttl,
            created_by=user.id,
        )

    try:
        created = await ctx.write(work)
    except (OutOfScope, UserError):
        return answer.but("forbidden")
    return answer.but("forbidden") if created is None else answer.holding(created)
