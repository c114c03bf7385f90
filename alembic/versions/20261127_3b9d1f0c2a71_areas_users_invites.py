"""Areas, users (with their villages) and invites.

Revision ID: 3b9d1f0c2a71
Revises:
Create Date: 2026-11-27 18:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "3b9d1f0c2a71"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES = "role IN ('kader', 'pejabat', 'admin')"


def upgrade() -> None:
    op.create_table(
        "area",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("parent_code", sa.String(length=16), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "level IN ('provinsi', 'kabupaten', 'kota', 'kecamatan', 'desa', 'kelurahan')",
            name=op.f("ck_area_level"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_code"], ["area.code"], name=op.f("fk_area_parent_code_area")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_area")),
    )
    op.create_index(op.f("ix_area_parent_code"), "area", ["parent_code"])

    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("display_name", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("area_code", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("reachable", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(ROLES, name=op.f("ck_app_user_role")),
        sa.ForeignKeyConstraint(
            ["area_code"], ["area.code"], name=op.f("fk_app_user_area_code_area")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("telegram_id", name=op.f("uq_app_user_telegram_id")),
    )
    op.create_index(op.f("ix_app_user_area_code"), "app_user", ["area_code"])

    op.create_table(
        "user_area",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("area_code", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["area_code"], ["area.code"], name=op.f("fk_user_area_area_code_area")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_user_area_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "area_code", name=op.f("pk_user_area")),
    )
    op.create_index(op.f("ix_user_area_area_code"), "user_area", ["area_code"])

    op.create_table(
        "invite",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("area_code", sa.String(length=16), nullable=False),
        sa.Column("max_uses", sa.Integer(), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(ROLES, name=op.f("ck_invite_role")),
        sa.CheckConstraint("max_uses >= 1", name=op.f("ck_invite_max_uses_positive")),
        sa.CheckConstraint(
            "uses >= 0 AND uses <= max_uses", name=op.f("ck_invite_uses_within_max")
        ),
        sa.ForeignKeyConstraint(
            ["area_code"], ["area.code"], name=op.f("fk_invite_area_code_area")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["app_user.id"],
            name=op.f("fk_invite_created_by_app_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invite")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_invite_code_hash")),
    )
    op.create_index(op.f("ix_invite_created_by"), "invite", ["created_by"])

    op.create_table(
        "invite_use",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("invite_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invite_id"],
            ["invite.id"],
            name=op.f("fk_invite_use_invite_id_invite"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_invite_use_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invite_use")),
        sa.UniqueConstraint(
            "invite_id", "user_id", name=op.f("uq_invite_use_invite_id_user_id")
        ),
    )
    op.create_index(op.f("ix_invite_use_user_id"), "invite_use", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_invite_use_user_id"), table_name="invite_use")
    op.drop_table("invite_use")
    op.drop_index(op.f("ix_invite_created_by"), table_name="invite")
    op.drop_table("invite")
    op.drop_index(op.f("ix_user_area_area_code"), table_name="user_area")
    op.drop_table("user_area")
    op.drop_index(op.f("ix_app_user_area_code"), table_name="app_user")
    op.drop_table("app_user")
    op.drop_index(op.f("ix_area_parent_code"), table_name="area")
    op.drop_table("area")
