"""`ikk-bot run`: refuses clearly without a token or with an outdated database, migrates a new
database, and then answers over real HTTP (against the emulator)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.cli_run import prepare_database, serve
from bot.db.engine import create_engine
from bot.db.migrate import DatabaseNotReady, current_revision, downgrade, head_revision
from bot.emulator import TelegramEmulator
from bot.settings import Settings
from bot.telegram import texts

runner = CliRunner()


def settings_for(url: str, emulator: TelegramEmulator | None = None) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=url,
        telegram_bot_token=emulator.token if emulator else "123:" + "x" * 35,  # type: ignore[arg-type]
        telegram_api_url=emulator.url if emulator else "http://127.0.0.1:9",
    )


def test_run_without_a_token_stops_with_one_line_and_touches_no_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    database = tmp_path / "bot.db"
    result = runner.invoke(
        app, ["run"],
        env={"TELEGRAM_BOT_TOKEN": "", "DATABASE_URL": f"sqlite+aiosqlite:///{database}"},
    )

    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "TELEGRAM_BOT_TOKEN" in lines[0] and "BotFather" in lines[0]
    assert not database.exists()


def test_run_refuses_an_outdated_database_with_what_to_do(
    migrated_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def one_back() -> None:
        engine = create_engine(migrated_database_url)
        try:
            await downgrade(engine, "-1")
        finally:
            await engine.dispose()

    asyncio.run(one_back())
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(
        app, ["run"],
        env={"TELEGRAM_BOT_TOKEN": "123:" + "x" * 35, "DATABASE_URL": migrated_database_url,
             "TELEGRAM_API_URL": "http://127.0.0.1:9"},
    )

    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert "perlu diperbarui" in lines[0] and "ikk-bot db upgrade" in lines[0]


async def test_a_new_database_is_migrated_before_the_bot_starts_answering(
    database_url: str,
) -> None:
    async with TelegramEmulator(quiet_period=0.03) as emulator:
        stop, ready = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(
            serve(settings_for(database_url, emulator), stop, ready=ready, poll_timeout=1)
        )
        await asyncio.wait_for(ready.wait(), 30)
        stranger = emulator.user(5001, "Budi")
        await stranger.send("/start")
        replies = await stranger.wait_reply()
        emulator.release_pollers()
        stop.set()
        await asyncio.wait_for(task, 10)

    assert [m.text for m in replies] == [texts.ACCESS]
    engine = create_engine(database_url)
    try:
        assert await current_revision(engine) == head_revision()
    finally:
        await engine.dispose()


async def test_a_database_at_the_newest_revision_is_used_as_it_is(
    migrated_database_url: str,
) -> None:
    assert await prepare_database(settings_for(migrated_database_url)) is False


async def test_a_sqlite_file_in_a_missing_folder_is_refused(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'nope' / 'bot.db'}"
    with pytest.raises(DatabaseNotReady, match="tidak dapat dibuka"):
        await prepare_database(settings_for(url))
