"""PostgreSQL stopped for a while under the running bot (webhook mode, so /healthz is watched):
kader get "coba lagi sebentar", the bot stays up, /healthz says the database is unreachable,
and when PostgreSQL is back the bot carries on by itself, with every committed answer kept.

The test runs its own throwaway cluster (stopping the session's shared one would break other
tests), and stops it with `pg_ctl stop -m fast`, as an operator or a package upgrade would.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from bot.db.database import Database
from bot.db.engine import create_engine, create_session_factory
from bot.db.migrate import upgrade
from bot.db.models import Answer
from bot.devtools.postgres import (
    PostgresCluster,
    PostgresUnavailable,
    create_database,
    find_postgres_binary,
    throwaway_cluster,
)
from bot.emulator import TelegramEmulator
from bot.repositories.areas import load_demo_areas
from bot.telegram import texts
from tests.e2e.conftest import bot_settings
from tests.e2e.kader_steps import FAMILY_A, act, answer_until, current_question
from tests.e2e.webhook_harness import WebhookHarness

pytestmark = pytest.mark.skipif(
    os.environ.get("IKK_SKIP_POSTGRES") == "1", reason="IKK_SKIP_POSTGRES=1"
)


def pg_ctl(cluster: PostgresCluster, *arguments: str) -> None:
    """Run pg_ctl on the cluster (as user postgres when we are root, as the cluster was made)."""
    binary = find_postgres_binary("pg_ctl")
    assert binary is not None
    command = [binary, "-D", str(cluster.base_dir / "data"), *arguments]
    if os.geteuid() == 0:
        command = (["runuser", "-u", "postgres", "--", *command] if shutil.which("runuser")
                   else ["su", "postgres", "-c", subprocess.list2cmdline(command)])
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, f"pg_ctl {arguments}: {result.stdout}\n{result.stderr}"


def stop(cluster: PostgresCluster) -> None:
    pg_ctl(cluster, "-m", "fast", "-w", "stop")


def start(cluster: PostgresCluster) -> None:
    options = (f"-c listen_addresses=127.0.0.1 -p {cluster.port} -k {cluster.base_dir} "
               f"{cluster.settings}")
    pg_ctl(cluster, "-l", str(cluster.base_dir / "server.log"), "-o", options, "-w", "-t", "30",
           "start")


@pytest.fixture
def cluster() -> Iterator[PostgresCluster]:
    try:
        with throwaway_cluster(max_connections=60) as made:
            yield made
    except PostgresUnavailable as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture
async def database(cluster: PostgresCluster) -> AsyncIterator[tuple[Database, str]]:
    url = await create_database(cluster, "ikk_fault")
    engine = create_engine(url)
    await upgrade(engine)
    sessions = create_session_factory(engine)
    async with sessions() as session, session.begin():
        await load_demo_areas(session)
    try:
        yield Database(engine, sessions), url
    finally:
        await engine.dispose()


async def health(harness: WebhookHarness) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{harness.base}/healthz") as response,
    ):
        return response.status, await response.json()


async def test_postgresql_down_for_a_while_says_coba_lagi_and_the_bot_carries_on_after(
    cluster: PostgresCluster, database: tuple[Database, str]
) -> None:
    db, url = database
    async with TelegramEmulator(quiet_period=0.03) as emu:
        harness = WebhookHarness(emu, db, bot_settings(emu, url))
        await harness.start()
        try:
            siti = await harness.kader(1001)
            await act(harness, siti, siti.send("/survei"))
            asked = await answer_until(harness, siti, FAMILY_A, stop_before="P_PASANGAN")
            question = siti.last_message()
            assert question is not None

            await asyncio.to_thread(stop, cluster)
            assert (await health(harness))[0] == 503
            await siti.tap("Ya", message=question)
            await harness.settle(15)
            assert siti.last_callback_answer().text == texts.TROUBLE  # type: ignore[union-attr]
            assert siti.last_message().text == texts.TROUBLE  # type: ignore[union-attr]
            await siti.send("ya")
            await harness.settle(15)
            assert siti.last_message().text == texts.TROUBLE  # type: ignore[union-attr]
            assert harness.app is not None and harness.app.running, "the bot stays up"

            await asyncio.to_thread(start, cluster)
            # Nothing is restarted: the very next tap on the same button is taken.
            await act(harness, siti, siti.tap("Ya", message=question))
            assert current_question(siti) == "P_ANAK"
            status, body = await health(harness)
            assert (status, body["database"]) == (200, "ok")
        finally:
            await harness.stop()

    async with db.session_factory() as session:
        stored = dict((await session.execute(select(Answer.question, Answer.value))).all())
    assert set(stored) == {*asked, "P_PASANGAN"}, "every committed answer is kept"
    assert stored["P_PASANGAN"] == "ya"
    assert not emu.state.internal_errors
    assert all(q.answered for q in emu.state.queries.values()), "no button left spinning"


async def test_a_restart_of_postgresql_while_the_bot_is_idle_goes_unnoticed_by_kader(
    cluster: PostgresCluster, database: tuple[Database, str]
) -> None:
    """The pool still holds connections to the old server: the first tap after the restart
    must not be the one that finds out."""
    db, url = database
    async with TelegramEmulator(quiet_period=0.03) as emu:
        harness = WebhookHarness(emu, db, bot_settings(emu, url))
        await harness.start()
        try:
            siti = await harness.kader(1001)
            await act(harness, siti, siti.send("/survei"))
            await answer_until(harness, siti, FAMILY_A, stop_before="P_PASANGAN")

            await asyncio.to_thread(stop, cluster)
            await asyncio.to_thread(start, cluster)

            await act(harness, siti, siti.tap("Ya"))
            assert current_question(siti) == "P_ANAK"
            assert texts.TROUBLE not in [m.text for m in siti.messages()]
        finally:
            await harness.stop()
