"""Checking an instrument across rows, and assembling it once nothing is wrong.

The cross-row mistakes an operator makes when editing a questionnaire in Excel: a name used twice,
a `${ref}` to a question that was renamed, an expression that does not parse, a question shown
only after a later answer (the chat asks in order, so that answer does not exist yet), relevance
that goes round in a circle, an indicator whose rule reads no answer, a dimension left without
indicators. Every problem is collected, sorted by sheet and row, and returned together.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ikk_core.expressions import Expression, ExpressionError, compile_expression
from ikk_core.instrument import BUILTIN_VARIABLES, Instrument, Question
from ikk_core.instrument_build import ROLE_KEYS, At, Draft, build_draft
from ikk_core.instrument_problems import InstrumentError, Problem
from ikk_core.instrument_tables import (
    CHOICES,
    DIMENSIONS,
    INDICATORS,
    SECTIONS,
    SETTINGS,
    SHEET_ORDER,
    SURVEY,
    RawTables,
    instrument_to_tables,
)

_NUMBER_TYPES = frozenset({"integer", "decimal"})


@dataclass(frozen=True)
class _Where:
    """Where an expression sits, so each of its problems is located the same way."""

    sheet: str
    row: int | None
    column: str


class _Checker:
    def __init__(self, draft: Draft) -> None:
        self.draft = draft
        self.problems: list[Problem] = []
        self.index: dict[str, int] = {}
        self.by_name: dict[str, At[Question]] = {}
        for position, located in enumerate(draft.questions):
            self.index.setdefault(located.item.name, position)
            self.by_name.setdefault(located.item.name, located)
        survey = draft.tables.sheets.get(SURVEY)
        self.survey_readable = survey is not None and survey.has("name")

    def add(self, sheet: str, row: int | None, column: str | None, message: str) -> None:
        header = self.draft.header(sheet, column) if column else None
        self.problems.append(Problem(sheet, row, header, message))

    def at(self, where: _Where, message: str) -> None:
        self.add(where.sheet, where.row, where.column, message)

    # ------------------------------------------------------------ uniqueness

    def duplicates(
        self, sheet: str, column: str, what: str, keyed: Iterable[tuple[str, int | None]]
    ) -> None:
        first: dict[str, int | None] = {}
        for key, row in keyed:
            if key in first:
                self.add(sheet, row, column, f"{what} '{key}' sudah dipakai di baris {first[key]}")
            else:
                first[key] = row

    def check_unique(self) -> None:
        d = self.draft
        self.duplicates(
            SURVEY, "name", "nama pertanyaan", ((q.item.name, q.row) for q in d.questions)
        )
        for list_name, options in d.choices.items():
            self.duplicates(
                CHOICES,
                "name",
                f"pilihan dalam daftar '{list_name}':",
                ((c.item.name, c.row) for c in options),
            )
        self.duplicates(
            DIMENSIONS, "code", "kode dimensi", ((x.item.code, x.row) for x in d.dimensions)
        )
        self.duplicates(
            INDICATORS, "code", "kode indikator", ((x.item.code, x.row) for x in d.indicators)
        )
        self.duplicates(SECTIONS, "code", "kode bagian", ((x.item.code, x.row) for x in d.sections))

    # ------------------------------------------------------------ expressions

    def compile(self, source: str | None, where: _Where, allow_current: bool) -> Expression | None:
        """Compile one expression, reporting a parse error with its position and a stray `.`."""
        if source is None:
            return None
        try:
            expression = compile_expression(source)
        except ExpressionError as error:
            self.at(where, f"ekspresi tidak bisa dibaca: {error}")
            return None
        if expression.uses_current and not allow_current:
            self.at(
                where,
                "tanda '.' (jawaban pertanyaan ini) hanya boleh dipakai di kolom constraint; "
                "di sini tulis ${nama} pertanyaannya",
            )
        return expression

    def references(self, expression: Expression, where: _Where) -> tuple[list[str], bool]:
        """Known answerable refs in source order; reports unknown refs and refs to notes.

        The flag says whether something was already reported, so that follow-up complaints
        ("refers to nothing") are not piled on top of the real mistake.
        """
        seen: set[str] = set()
        found: list[str] = []
        reported = False
        for name, position in expression.ref_positions:
            if name in seen:
                continue
            seen.add(name)
            if name in BUILTIN_VARIABLES:
                continue
            located = self.by_name.get(name)
            if located is None and not self.survey_readable:
                reported = True  # the survey sheet itself is reported; every ref would be unknown
            elif located is None:
                self.at(
                    where,
                    f"${{{name}}} tidak ada: tidak ada pertanyaan bernama '{name}' di sheet survey "
                    f"(posisi {position + 1})",
                )
                reported = True
            elif not located.item.answerable:
                self.at(
                    where,
                    f"${{{name}}} adalah catatan (note) yang tidak punya jawaban "
                    f"(posisi {position + 1})",
                )
                reported = True
            else:
                found.append(name)
        return found, reported

    def check_questions(self) -> dict[str, list[str]]:
        """Per-question checks; returns the relevance graph (question → questions it waits on)."""
        d = self.draft
        sections = {s.item.code for s in d.sections} | {x.item.code for x in d.dimensions}
        graph: dict[str, list[str]] = {}
        for position, located in enumerate(d.questions):
            q, row = located.item, located.row
            if q.list_name and q.list_name not in d.choices:
                self.add(
                    SURVEY,
                    row,
                    "type",
                    f"daftar pilihan '{q.list_name}' tidak ada di sheet choices",
                )
            if q.section and q.section not in sections:
                self.add(
                    SURVEY,
                    row,
                    "section",
                    f"bagian '{q.section}' tidak ada di sheet sections maupun dimensions",
                )
            self.check_warning_range(q, row)
            relevant = self.compile(
                q.relevant, _Where(SURVEY, row, "relevant"), allow_current=False
            )
            if relevant is not None:
                refs, _ = self.references(relevant, _Where(SURVEY, row, "relevant"))
                if self.index.get(q.name) == position:
                    graph[q.name] = refs
            where = _Where(SURVEY, row, "constraint")
            constraint = self.compile(q.constraint, where, allow_current=True)
            if constraint is not None:
                refs, _ = self.references(constraint, where)
                for ref in refs:
                    if self.index[ref] > position:
                        self.at(where, self.later_message(ref, "constraint"))
        return graph

    def later_message(self, ref: str, column: str) -> str:
        later = self.by_name[ref]
        return (
            f"{column} memakai ${{{ref}}}, padahal '{ref}' baru ditanyakan sesudahnya "
            f"(baris {later.row}); jawabannya belum ada. Pindahkan '{ref}' ke atas"
        )

    def check_warning_range(self, q: Question, row: int | None) -> None:
        if (q.warn_min is not None or q.warn_max is not None) and q.type not in _NUMBER_TYPES:
            column = "warn_min" if q.warn_min is not None else "warn_max"
            self.add(
                SURVEY,
                row,
                column,
                "warn_min/warn_max hanya untuk pertanyaan angka (integer, decimal)",
            )
        elif q.warn_min is not None and q.warn_max is not None and q.warn_min > q.warn_max:
            self.add(
                SURVEY,
                row,
                "warn_max",
                f"warn_min ({_plain(q.warn_min)}) lebih besar dari warn_max ({_plain(q.warn_max)})",
            )

    def check_relevance_order(self, graph: Mapping[str, list[str]]) -> None:
        """Cycles first (named A → B → A); other edges must point to earlier questions."""
        in_cycle: set[str] = set()
        for component in _cyclic_components(graph):
            cycle = _cycle_through(min(component, key=self.index.__getitem__), component, graph)
            in_cycle.update(component)
            start = self.by_name[cycle[0]]
            self.add(
                SURVEY,
                start.row,
                "relevant",
                "relevansi berputar: "
                + " → ".join(cycle)
                + "; pertanyaan-pertanyaan ini saling menunggu sehingga tidak pernah ditanyakan",
            )
        for name, refs in graph.items():
            for ref in refs:
                if name in in_cycle and ref in in_cycle:
                    continue
                if self.index[ref] > self.index[name]:
                    row = self.by_name[name].row
                    self.add(SURVEY, row, "relevant", self.later_message(ref, "relevant"))

    # ------------------------------------------------------------ indicators and dimensions

    def check_indicators(self) -> None:
        d = self.draft
        dimensions = {x.item.code for x in d.dimensions}
        for located in d.indicators:
            ind, row = located.item, located.row
            if ind.dimension and ind.dimension not in dimensions:
                self.add(
                    INDICATORS,
                    row,
                    "dimension",
                    f"dimensi '{ind.dimension}' tidak ada di sheet dimensions",
                )
            applies_where = _Where(INDICATORS, row, "applies_if")
            applies = self.compile(ind.applies_if, applies_where, allow_current=False)
            if applies is not None:
                self.references(applies, applies_where)
            if not ind.meets_if:
                continue  # reported as empty when the row was read
            meets_where = _Where(INDICATORS, row, "meets_if")
            meets = self.compile(ind.meets_if, meets_where, allow_current=False)
            if meets is None:
                continue
            refs, reported = self.references(meets, meets_where)
            if not refs and not reported:
                self.at(
                    meets_where,
                    "aturan indikator tidak merujuk pertanyaan apa pun; tulis misalnya "
                    f"${{{ind.code}}} = 'ya'",
                )
        used = {x.item.dimension for x in d.indicators}
        for dimension in d.dimensions:
            if dimension.item.code not in used:
                self.add(
                    DIMENSIONS,
                    dimension.row,
                    "code",
                    f"dimensi '{dimension.item.code}' tidak punya indikator di sheet indicators",
                )

    # ------------------------------------------------------------ identity roles

    def check_roles(self) -> None:
        """The head-name and RT questions the settings name must exist and have the right type:
        the bot names families and finds duplicates by them."""
        d = self.draft
        for key, wanted in ROLE_KEYS.items():
            name = getattr(d.settings, key)
            declared = key in d.roles_declared
            located = self.by_name.get(name)
            header = _setting_header(d, key)
            if located is None:
                if declared and self.survey_readable:
                    self.problems.append(
                        Problem(
                            SETTINGS,
                            d.setting_rows.get(key),
                            header,
                            f"{key} menyebut '{name}', tetapi tidak ada pertanyaan bernama "
                            f"'{name}' di sheet survey",
                        )
                    )
                continue
            if located.item.type != wanted:
                # Point where it is fixed: the settings row of a declared role, else the type.
                sheet, row, column = (
                    (SETTINGS, d.setting_rows.get(key), header)
                    if declared
                    else (SURVEY, located.row, d.header(SURVEY, "type"))
                )
                self.problems.append(
                    Problem(
                        sheet,
                        row,
                        column,
                        f"pertanyaan '{name}' dipakai sebagai {_ROLE_WHAT[key]} ({key}), jadi "
                        f"jenisnya harus {wanted}, bukan {located.item.type}",
                    )
                )

    def check_not_empty(self) -> None:
        d, sheets = self.draft, self.draft.tables.sheets
        for sheet, items, what in (
            (SURVEY, d.questions, "pertanyaan"),
            (DIMENSIONS, d.dimensions, "dimensi"),
            (INDICATORS, d.indicators, "indikator"),
        ):
            if sheet in sheets and not items and not sheets[sheet].rows:
                self.add(sheet, None, None, f"sheet '{sheet}' belum berisi {what}")


_ROLE_WHAT = {"family_head_question": "nama kepala keluarga", "rt_question": "nomor RT"}


def _setting_header(draft: Draft, key: str) -> str:
    """The setting's key as the file writes it (the canonical key when it is not written)."""
    for entry in draft.tables.settings or ():
        if entry.key == key:
            return entry.header
    return key


def _plain(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _cyclic_components(graph: Mapping[str, list[str]]) -> list[set[str]]:
    """Strongly connected components that hold a cycle (Tarjan, iterative: no recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, edge = work.pop()
            if edge == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            targets = graph.get(node, [])
            if edge < len(targets):
                work.append((node, edge + 1))
                target = targets[edge]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if low[node] == index[node]:
                component: set[str] = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph.get(node, []):
                    found.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found


def _cycle_through(start: str, component: set[str], graph: Mapping[str, list[str]]) -> list[str]:
    """One cycle from `start` back to itself inside its component, e.g. [A, B, A]."""
    previous: dict[str, str] = {}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for target in graph.get(node, []):
            if target not in component:
                continue
            if target == start:
                path = [node]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return [*reversed(path), start]
            if target not in previous:
                previous[target] = node
                queue.append(target)
    return [start, start]


def _sort(problems: list[Problem]) -> list[Problem]:
    order = {name: i for i, name in enumerate(SHEET_ORDER)}
    return sorted(
        problems,
        key=lambda p: (order.get(p.sheet, -1 if not p.sheet else len(order)), p.row or 0),
    )


def _assemble(draft: Draft) -> Instrument:
    return Instrument(
        id=draft.form_id,
        version=draft.version,
        title=draft.title,
        settings=draft.settings,
        dimensions=tuple(x.item for x in draft.dimensions),
        questions=tuple(x.item for x in draft.questions),
        choices={name: tuple(c.item for c in options) for name, options in draft.choices.items()},
        indicators=tuple(x.item for x in draft.indicators),
        sections=tuple(x.item for x in draft.sections),
    )


def check_tables(tables: RawTables) -> tuple[Instrument | None, list[Problem]]:
    """Every problem of `tables`, sorted by sheet and row; the instrument only if there is none."""
    draft, problems = build_draft(tables)
    checker = _Checker(draft)
    checker.check_unique()
    graph = checker.check_questions()
    checker.check_relevance_order(graph)
    checker.check_indicators()
    checker.check_roles()
    checker.check_not_empty()
    problems = _sort(problems + checker.problems)
    return (None if problems else _assemble(draft)), problems


def instrument_from_tables(tables: RawTables) -> Instrument:
    """The instrument the tables describe; InstrumentError listing every problem otherwise."""
    instrument, problems = check_tables(tables)
    if instrument is None:
        raise InstrumentError(problems, tables.source)
    return instrument


def validate(subject: Instrument | RawTables) -> list[Problem]:
    """Every problem of an instrument (located as in its exported workbook) or of raw tables."""
    tables = instrument_to_tables(subject) if isinstance(subject, Instrument) else subject
    return check_tables(tables)[1]
