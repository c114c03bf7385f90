"""The database schema as SQLAlchemy 2 typed models.

The schema itself comes only from the Alembic migrations; these classes must agree with them
(a test runs autogenerate against a migrated database and expects no difference).
Relationships are deliberately absent: repositories write explicit queries, so nothing lazy-loads
on the event loop.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from bot.db.types import StrEnumType, UTCDateTime, utcnow
from ikk_core.areas import AreaLevel

__all__ = [
    "AlertDelivery",
    "AlertRun",
    "AlertRunStatus",
    "AlertSubscription",
    "Answer",
    "AnswerChange",
    "AppUser",
    "Area",
    "AreaLevel",
    "AuditEvent",
    "Base",
    "DeliveryStatus",
    "Family",
    "FamilyScore",
    "Invite",
    "InviteUse",
    "ProcessedUpdate",
    "Response",
    "ResponseReview",
    "ResponseStatus",
    "ReviewStatus",
    "Role",
    "UserArea",
    "VerifiedIndicatorCount",
    "VillageIndicatorCount",
]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Answer and audit rows are the ones that grow with every tap; BIGINT on PostgreSQL, while
# SQLite needs INTEGER for an auto-incrementing rowid key.
BigIntId = BigInteger().with_variant(Integer(), "sqlite")


class Role(StrEnum):
    """What a user may do; scope comes from their area (see `bot.repositories.scope`)."""

    KADER = "kader"
    PEJABAT = "pejabat"
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    """Reviews submitted families of a kecamatan or kabupaten (and sees its aggregates)."""


class ResponseStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class ReviewStatus(StrEnum):
    """A supervisor's verdict on a submitted family (like Kobo's validation status)."""

    PENDING = "belum"
    VERIFIED = "terverifikasi"
    NEEDS_CHECK = "perlu_dicek"


class AlertRunStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    BLOCKED = "blocked"
    FAILED = "failed"


def _enum_check(column: str, enum_class: type[StrEnum]) -> CheckConstraint:
    values = ", ".join(f"'{member.value}'" for member in enum_class)
    return CheckConstraint(f"{column} IN ({values})", name=column)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Area(Base):
    """A node of the Kemendagri tree; the level is derived from the code on import."""

    __tablename__ = "area"
    __table_args__ = (_enum_check("level", AreaLevel),)

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    level: Mapped[AreaLevel] = mapped_column(StrEnumType(AreaLevel))
    parent_code: Mapped[str | None] = mapped_column(
        String(16), ForeignKey("area.code"), index=True
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class AppUser(Base):
    """A person known to the bot by Telegram id. `area_code` is the root of their scope
    (for a kader: their first village; all their villages are in `user_area`)."""

    __tablename__ = "app_user"
    __table_args__ = (_enum_check("role", Role),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    display_name: Mapped[str] = mapped_column(String(128), default="")
    role: Mapped[Role] = mapped_column(StrEnumType(Role))
    area_code: Mapped[str] = mapped_column(String(16), ForeignKey("area.code"), index=True)
    language: Mapped[str] = mapped_column(String(8), default="id")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    reachable: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class UserArea(Base):
    """A village a kader works in (a kader may serve more than one)."""

    __tablename__ = "user_area"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True
    )
    area_code: Mapped[str] = mapped_column(
        String(16), ForeignKey("area.code"), primary_key=True, index=True
    )


class Invite(Base):
    """A registration invite. Only a SHA-256 of the code is kept, so a leaked database
    does not leak usable invites. The CHECK keeps `uses` within `max_uses` even if code errs."""

    __tablename__ = "invite"
    __table_args__ = (
        _enum_check("role", Role),
        CheckConstraint("max_uses >= 1", name="max_uses_positive"),
        CheckConstraint("uses >= 0 AND uses <= max_uses", name="uses_within_max"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(StrEnumType(Role))
    area_code: Mapped[str] = mapped_column(String(16), ForeignKey("area.code"))
    max_uses: Mapped[int] = mapped_column(Integer, default=1)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """Set by `ikk-bot invite revoke` (or the admin in chat): the code no longer registers."""


class InviteUse(Base):
    __tablename__ = "invite_use"
    __table_args__ = (UniqueConstraint("invite_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    invite_id: Mapped[int] = mapped_column(ForeignKey("invite.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), index=True
    )
    used_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Family(Base):
    """A family (Kartu Keluarga) surveyed in one period (survey year) in one village.

    `source`/`external_id` are set for families imported from another system; unique per period.
    """

    __tablename__ = "family"
    __table_args__ = (
        Index("ix_family_village_code_period", "village_code", "period"),
        CheckConstraint("rt >= 0", name="rt_not_negative"),
        Index("uq_family_source_external_id_period", "source", "external_id", "period",
              unique=True),
        Index("ix_family_identity", "village_code", "period", "rt", "head_name_norm"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    village_code: Mapped[str] = mapped_column(String(16), ForeignKey("area.code"))
    rt: Mapped[int] = mapped_column(Integer)
    head_name: Mapped[str] = mapped_column(String(120))
    head_name_norm: Mapped[str] = mapped_column(String(120))
    period: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Imported families (`ikk-bot families import`): where from, the source's id, and a hash
    # of what the import stored. NULL for families entered in chat.
    source: Mapped[str | None] = mapped_column(String(40))
    external_id: Mapped[str | None] = mapped_column(String(120))
    source_digest: Mapped[str | None] = mapped_column(String(64))


class Response(Base):
    """One questionnaire for one family (one per family: a family row is already per period).

    `version` is the optimistic-lock counter: every answer does
    ``UPDATE response SET version = version + 1 WHERE id = :id AND version = :seen``.
    `family_score_pct` / `family_band` are written at submit from `ikk_core`.
    """

    __tablename__ = "response"
    __table_args__ = (
        _enum_check("status", ResponseStatus),
        CheckConstraint("version >= 0", name="version_not_negative"),
        Index("ix_response_cadre_id_status", "cadre_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    family_id: Mapped[int] = mapped_column(
        ForeignKey("family.id", ondelete="CASCADE"), unique=True
    )
    cadre_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    instrument_id: Mapped[str] = mapped_column(String(64))
    instrument_version: Mapped[str] = mapped_column(String(32))
    status: Mapped[ResponseStatus] = mapped_column(
        StrEnumType(ResponseStatus), default=ResponseStatus.DRAFT, index=True
    )
    version: Mapped[int] = mapped_column(Integer, default=0)
    current_question: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    family_score_pct: Mapped[float | None] = mapped_column(Float)
    family_band: Mapped[str | None] = mapped_column(String(16))
    # The chat message that first showed the live question of version `live_version` (None:
    # the current version was never shown): binds typed answers to what the kader saw.
    live_message_id: Mapped[int | None] = mapped_column(BigInteger)
    live_version: Mapped[int | None] = mapped_column(Integer)


class Answer(Base):
    """The current answer to one question of one response; NULL `value` means cleared.

    `update_id` is the Telegram update that wrote it, so a redelivered update is recognised;
    `bot_id` says through which bot (update ids are numbered per bot).
    """

    __tablename__ = "answer"
    __table_args__ = (UniqueConstraint("response_id", "question"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"))
    question: Mapped[str] = mapped_column(String(64))
    value: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    answered_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    update_id: Mapped[int | None] = mapped_column(BigInteger)
    bot_id: Mapped[int | None] = mapped_column(BigInteger)


class AnswerChange(Base):
    """Audit row: an answer of a submitted response changed (who, when, why, from what)."""

    __tablename__ = "answer_change"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("response.id", ondelete="CASCADE"), index=True
    )
    question: Mapped[str] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    changed_by: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"), index=True
    )
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reason: Mapped[str | None] = mapped_column(String(200))


class ResponseReview(Base):
    """The review state of one family; no row means "belum diperiksa". `reason` is the
    supervisor's note for "perlu dicek" (cleaned text, 3-300 characters)."""

    __tablename__ = "response_review"
    __table_args__ = (_enum_check("status", ReviewStatus),)

    family_id: Mapped[int] = mapped_column(
        ForeignKey("family.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[ReviewStatus] = mapped_column(StrEnumType(ReviewStatus), index=True)
    reason: Mapped[str | None] = mapped_column(String(300))
    reviewed_by: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"), index=True
    )
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FamilyScore(Base):
    """A family's score on one indicator: 1 meets, 0 does not, NULL not applicable."""

    __tablename__ = "family_score"
    __table_args__ = (CheckConstraint("score IN (0, 1)", name="score_binary"),)

    response_id: Mapped[int] = mapped_column(
        ForeignKey("response.id", ondelete="CASCADE"), primary_key=True
    )
    indicator: Mapped[str] = mapped_column(String(32), primary_key=True)
    score: Mapped[int | None] = mapped_column(SmallInteger)
    instrument_id: Mapped[str] = mapped_column(String(64))
    instrument_version: Mapped[str] = mapped_column(String(32))


class _IndicatorCounts:
    """Columns of a per-village count table: submitted families of one village and period,
    per indicator and scoring instrument; the CHECK stops a bookkeeping error from going
    unnoticed."""

    @declared_attr.directive
    @classmethod
    def __table_args__(cls) -> tuple[CheckConstraint]:
        return (CheckConstraint(
            "met >= 0 AND met <= applicable AND applicable <= families", name="counts_consistent"
        ),)

    village_code: Mapped[str] = mapped_column(
        String(16), ForeignKey("area.code"), primary_key=True
    )
    period: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator: Mapped[str] = mapped_column(String(32), primary_key=True)
    instrument_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    instrument_version: Mapped[str] = mapped_column(String(32), primary_key=True)
    families: Mapped[int] = mapped_column(Integer, default=0)
    met: Mapped[int] = mapped_column(Integer, default=0)
    applicable: Mapped[int] = mapped_column(Integer, default=0)


class VillageIndicatorCount(_IndicatorCounts, Base):
    """Submitted families of one village and period, per indicator and scoring instrument:
    how many were scored, how many met it, how many it applied to.

    Kept in step with `family_score` in the same transactions (`bot.repositories.scores`), so
    an area report adds up at most villages × indicators rows instead of every family's scores;
    the CHECK stops a bookkeeping error from going unnoticed.
    """

    __tablename__ = "village_indicator_count"


class VerifiedIndicatorCount(_IndicatorCounts, Base):
    """The same counts as `VillageIndicatorCount`, over the families a supervisor verified
    ("terverifikasi saja"). Kept in step by `bot.repositories.scores.rewrite_scores` (scores of a
    verified family change) and by every review change into or out of "terverifikasi"."""

    __tablename__ = "verified_indicator_count"


class ProcessedUpdate(Base):
    """A Telegram update already handled: inserting it first makes handling idempotent.
    Keyed by bot too, because Telegram numbers updates per bot (0: before several bots)."""

    __tablename__ = "processed_update"

    bot_id: Mapped[int] = mapped_column(
        BigInteger, primary_key=True, autoincrement=False, server_default="0"
    )
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    telegram_id: Mapped[int | None] = mapped_column(BigInteger)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class AlertRun(Base):
    """One run of a scheduled alert for one period; the unique key lets a restart claim a
    period once (``INSERT ... ON CONFLICT DO NOTHING RETURNING``). `sender`/`sender_until` is
    the lease of the one process sending the run's outbox."""

    __tablename__ = "alert_run"
    __table_args__ = (
        UniqueConstraint("alert", "period_key"),
        _enum_check("status", AlertRunStatus),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert: Mapped[str] = mapped_column(String(64))
    period_key: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[AlertRunStatus] = mapped_column(
        StrEnumType(AlertRunStatus), default=AlertRunStatus.RUNNING
    )
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sender: Mapped[str | None] = mapped_column(String(40))
    sender_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AlertDelivery(Base):
    """The outbox row for one recipient of one alert run.

    `parts` is the JSON list of message texts (`parts_sent` of them confirmed by Telegram),
    `snapshot` the JSON of what the alert reported; `lease_owner`/`lease_until` hold the row
    for the process sending it; `uncertain` counts attempts that may have been delivered
    (only attempts whose request had started: `sending_since`).
    """

    __tablename__ = "alert_delivery"
    __table_args__ = (
        UniqueConstraint("run_id", "user_id"),
        _enum_check("status", DeliveryStatus),
        Index("ix_alert_delivery_run_id_status", "run_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("alert_run.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), index=True
    )
    chat_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[DeliveryStatus] = mapped_column(
        StrEnumType(DeliveryStatus), default=DeliveryStatus.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    parts: Mapped[str | None] = mapped_column(Text)
    parts_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    snapshot: Mapped[str | None] = mapped_column(Text)
    lease_owner: Mapped[str | None] = mapped_column(String(40))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    uncertain: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sending_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """Set (committed) right before a part's HTTP request, cleared with its outcome: after a
    crash only such a row may have reached Telegram and counts as uncertain."""


class AlertSubscription(Base):
    """An official's alert preferences. `sectors` is a comma-separated list of sector names
    (empty or NULL: all sectors); `quiet_weeks` also sends a short note in weeks with no red
    indicator."""

    __tablename__ = "alert_subscription"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True
    )
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    sectors: Mapped[str | None] = mapped_column(Text)
    quiet_weeks: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class AuditEvent(Base):
    """Who did something with personal data, when, where: an erased family, an export with
    sensitive columns. Deliberately without personal data itself (no name, no answer), so the
    record of an erasure does not undo it; `family_id` is the number the family had."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    action: Mapped[str] = mapped_column(String(40), index=True)
    actor: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    area_code: Mapped[str | None] = mapped_column(String(16))
    period: Mapped[int | None] = mapped_column(Integer)
    family_id: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(200))


class VillageTarget(Base):
    """How many families a village is expected to have (`ikk-bot areas targets`), so an area
    figure can say "120 dari 480 KK (25 %)"; a village without a row has no known target."""

    __tablename__ = "village_target"
    __table_args__ = (CheckConstraint("families > 0", name="positive"),)

    village_code: Mapped[str] = mapped_column(
        String(16), ForeignKey("area.code"), primary_key=True
    )
    families: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
