"""The instrument: a questionnaire plus the rules that turn its answers into the IKK.

Everything here is plain, immutable data. The official 29-indicator list is not published yet, so
questions, applicability, scoring rules, weights, thresholds and category names all come from an
instrument file (YAML or an XLSForm-style workbook) that a provincial operator can replace without a
code change. Loading and validating those files lives in `ikk_core.instrument_io`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

AggregationMethod = Literal["dimension_mean", "flat_mean"]
QuestionType = Literal["select_one", "select_multiple", "integer", "decimal", "text", "note"]

#: Names an expression may use without a question of that name. The scorer fills them per family.
BUILTIN_VARIABLES: frozenset[str] = frozenset({"GARIS_KEMISKINAN"})

#: The questions that identify a family when an instrument does not name its own (settings
#: `family_head_question`, `rt_question`): the names of the shipped default instrument.
DEFAULT_HEAD_QUESTION = "H_KEPALA"
DEFAULT_RT_QUESTION = "H_RT"


@dataclass(frozen=True)
class Text:
    """A user-facing text in Indonesian (always present) and English (optional)."""

    id: str
    en: str = ""

    def get(self, lang: str = "id") -> str:
        """The text in `lang`, falling back to Indonesian: Indonesian is the users' language."""
        if lang == "en" and self.en:
            return self.en
        return self.id


@dataclass(frozen=True)
class Band:
    """A named range starting at `min` (inclusive) and ending where the next band starts."""

    name: str
    label: Text
    min: float


@dataclass(frozen=True)
class Settings:
    """Method settings of an instrument: how families and areas are scored and classified."""

    aggregation: AggregationMethod = "dimension_mean"
    red_threshold: float = 75.0
    ikk_bands: tuple[Band, ...] = ()
    family_bands: tuple[Band, ...] = ()
    poverty_line_default: float = 600_000.0
    poverty_lines: Mapping[str, float] = field(default_factory=dict)
    provisional: bool = True
    default_language: str = "id"
    family_head_question: str = DEFAULT_HEAD_QUESTION
    rt_question: str = DEFAULT_RT_QUESTION

    def poverty_line_for(self, area_code: str | None) -> float:
        """The per-capita poverty line of the kabupaten/kota containing `area_code`.

        Lines may be set per kabupaten code ("63.02"); deeper codes inherit their kabupaten's line.
        """
        if area_code:
            parts = area_code.split(".")
            for depth in range(len(parts), 0, -1):
                line = self.poverty_lines.get(".".join(parts[:depth]))
                if line is not None:
                    return line
        return self.poverty_line_default


def band_for(bands: tuple[Band, ...], value: float | None) -> Band | None:
    """The band a value falls in: the one with the highest `min` not above it (None if no value)."""
    if value is None or value != value:  # NaN: no value
        return None
    chosen: Band | None = None
    for band in sorted(bands, key=lambda b: b.min):
        if value >= band.min:
            chosen = band
    return chosen


@dataclass(frozen=True)
class Choice:
    """One option of a choice list; `name` is what is stored, `label` what the user sees."""

    name: str
    label: Text


@dataclass(frozen=True)
class Question:
    """One XLSForm-style survey row.

    `type` is the base type; for selects `list_name` names the choice list. `warn_min`/`warn_max`
    is a soft range: an answer outside it is allowed after the user confirms ("Yakin?").
    """

    name: str
    type: QuestionType
    label: Text
    list_name: str | None = None
    hint: Text = Text("")
    relevant: str | None = None
    constraint: str | None = None
    constraint_message: Text = Text("")
    required: bool = True
    warn_min: float | None = None
    warn_max: float | None = None
    warn_message: Text = Text("")
    section: str = ""
    appearance: str = ""
    short_label: Text = Text("")
    sensitive: bool = False
    """Personal data of the most delicate kind (violence, crime): never shown outside the
    family's kader and the admin, and left out of exports unless explicitly asked for."""

    def short(self, lang: str = "id") -> str:
        """The short label in `lang`, else the full label in `lang` (an English reader gets the
        English label rather than an Indonesian short one), else the Indonesian short label."""
        short = self.short_label
        if lang == "en" and not short.en and self.label.en:
            return self.label.en
        return short.get(lang) or self.label.get(lang)

    @property
    def answerable(self) -> bool:
        """Notes are shown, never answered."""
        return self.type != "note"


@dataclass(frozen=True)
class Dimension:
    """One of the IKK dimensions (LS, KF, KE, KSP, KSB in the default instrument)."""

    code: str
    name: Text
    weight: float = 1.0


@dataclass(frozen=True)
class Indicator:
    """A family-level indicator: NA unless `applies_if` holds, then 1 if `meets_if` holds else 0.

    `applies_if` None means it applies to every family. `sector` is the office (OPD) that usually
    has to act when the indicator is red; alerts are routed by it. A `sensitive` indicator's
    per-family value reveals something delicate (e.g. violence reported): it stays out of every
    per-family export unless the admin asks for it explicitly.
    """

    code: str
    dimension: str
    name: Text
    meets_if: str
    applies_if: str | None = None
    weight: float = 1.0
    sector: str = ""
    sensitive: bool = False


@dataclass(frozen=True)
class Section:
    """A group of questions shown together in progress lines and on the review card."""

    code: str
    name: Text


@dataclass(frozen=True)
class Instrument:
    """A complete, validated instrument. Each stored response records `id` and `version`."""

    id: str
    version: str
    title: Text
    settings: Settings
    dimensions: tuple[Dimension, ...]
    questions: tuple[Question, ...]
    choices: Mapping[str, tuple[Choice, ...]]
    indicators: tuple[Indicator, ...]
    sections: tuple[Section, ...] = ()

    def question(self, name: str) -> Question:
        """The question called `name` (KeyError if there is none)."""
        for q in self.questions:
            if q.name == name:
                return q
        raise KeyError(name)

    def has_question(self, name: str) -> bool:
        return any(q.name == name for q in self.questions)

    @property
    def head_question(self) -> str | None:
        """The question whose answer names the family's head (None: the instrument asks none).

        Every part of the bot (family names, duplicate detection, demo data) asks here instead of
        using a literal name, so an instrument may call its identity questions what it likes.
        """
        return self._role(self.settings.family_head_question)

    @property
    def rt_question(self) -> str | None:
        """The question whose answer is the family's RT number (None: the instrument asks none)."""
        return self._role(self.settings.rt_question)

    def _role(self, name: str) -> str | None:
        return name if name and self.has_question(name) else None

    def short_label(self, name: str, lang: str = "id") -> str:
        """A question's short label (≤ 30 characters in the default instrument) for review cards
        and tables; the full label when none is set, the name for an unknown question."""
        try:
            return self.question(name).short(lang)
        except KeyError:
            return name

    def choices_for(self, question: Question) -> tuple[Choice, ...]:
        """The options of a select question (empty for other types)."""
        if question.list_name is None:
            return ()
        return tuple(self.choices.get(question.list_name, ()))

    def dimension(self, code: str) -> Dimension:
        for d in self.dimensions:
            if d.code == code:
                return d
        raise KeyError(code)

    def indicators_of(self, dimension_code: str) -> tuple[Indicator, ...]:
        """Indicators of one dimension, in instrument order."""
        return tuple(i for i in self.indicators if i.dimension == dimension_code)

    def section_name(self, code: str, lang: str = "id") -> str:
        """A section's display name; a dimension code doubles as a section code."""
        for s in self.sections:
            if s.code == code:
                return s.name.get(lang)
        for d in self.dimensions:
            if d.code == code:
                return d.name.get(lang)
        return code

    def sensitive_names(self) -> frozenset[str]:
        """Names of the sensitive questions and indicator codes.

        A question named like a sensitive indicator feeds it (`${KSP1}`), and an indicator
        named like a sensitive question scores it: either side marked makes both sensitive, so
        one forgotten mark cannot leak the other.
        """
        marked = {q.name for q in self.questions if q.sensitive}
        marked |= {i.code for i in self.indicators if i.sensitive}
        names = {q.name for q in self.questions} | {i.code for i in self.indicators}
        return frozenset(marked & names)

    @property
    def label(self) -> str:
        """`id versi version`: every report prints it so a number can be traced to its rules."""
        return f"{self.id} versi {self.version}"
