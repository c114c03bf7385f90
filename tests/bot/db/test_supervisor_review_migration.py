"""The supervisor-review migration: the role CHECK really admits 'supervisor' (and nothing
else new), and stepping back turns supervisors into pejabat and drops the review table."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.migrate import downgrade, upgrade
from bot.db.models import Area, AreaLevel

BEFORE = "c5e81d3a7b20"


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_supervisor_is_a_valid_role_and_a_step_back_makes_her_a_pejabat(
    migrated_engine: AsyncEngine,
) -> None:
    async with migrated_engine.begin() as connection:
        await connection.execute(insert(Area).values(
            code="63", name="Kalimantan Selatan", level=AreaLevel.PROVINSI))
        await connection.execute(text(
            "INSERT INTO app_user (telegram_id, display_name, role, area_code, language, active, "
            "reachable, created_at, updated_at) VALUES (7, 'Sri', 'supervisor', '63', 'id', "
            "true, true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        ))
    with pytest.raises(IntegrityError):
        async with migrated_engine.begin() as connection:
            await connection.execute(text(
                "UPDATE app_user SET role = 'camat' WHERE telegram_id = 7"))

    await downgrade(migrated_engine, BEFORE)
    async with migrated_engine.connect() as connection:
        assert "response_review" not in await connection.run_sync(_tables)
        role = (await connection.execute(
            text("SELECT role FROM app_user WHERE telegram_id = 7"))).scalar_one()
    assert role == "pejabat"
    await upgrade(migrated_engine)
    async with migrated_engine.connect() as connection:
        assert "response_review" in await connection.run_sync(_tables)
