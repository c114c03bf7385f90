"""Settings come from the environment and an optional .env file, with safe defaults."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from bot.services.context import ServiceContext
from bot.settings import DEFAULT_DATABASE_URL, Settings, get_settings
from ikk_core.instrument_io import load_default_instrument

NAMES = [
    "DATABASE_URL", "TELEGRAM_BOT_TOKEN", "TELEGRAM_API_URL", "BOT_USERNAME", "TIMEZONE",
    "MIN_FAMILIES", "ALERT_SCHEDULE", "INVITE_TTL_DAYS",
]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env from the developer's working directory


def test_defaults_need_nothing_installed() -> None:
    settings = get_settings()
    assert settings.database_url == DEFAULT_DATABASE_URL == "sqlite+aiosqlite:///./ikk-bot.db"
    assert settings.telegram_bot_token is None
    assert settings.telegram_api_url == "https://api.telegram.org"
    assert settings.bot_username == "ikk_bot"
    assert settings.tz == ZoneInfo("Asia/Makassar")
    assert (settings.min_families, settings.alert_schedule, settings.invite_ttl_days) == (
        10, "0 8 * * mon", 7,
    )


def test_environment_variables_override_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://ikk@db/ikk")
    monkeypatch.setenv("BOT_USERNAME", "@kader_bot")
    monkeypatch.setenv("MIN_FAMILIES", "5")
    monkeypatch.setenv("TIMEZONE", "Asia/Jakarta")
    settings = get_settings()
    assert settings.database_url == "postgresql+asyncpg://ikk@db/ikk"
    assert settings.bot_username == "kader_bot"
    assert settings.min_families == 5
    assert settings.tz == ZoneInfo("Asia/Jakarta")


def test_a_dotenv_file_is_read_and_the_environment_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text(
        "TELEGRAM_BOT_TOKEN=123456:secret-token-value\nINVITE_TTL_DAYS=3\nMIN_FAMILIES=4\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("MIN_FAMILIES", "6")
    settings = get_settings()
    assert settings.invite_ttl_days == 3
    assert settings.min_families == 6
    assert settings.telegram_bot_token is not None
    assert settings.telegram_bot_token.get_secret_value() == "123456:secret-token-value"


def test_the_token_never_shows_when_settings_are_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:secret-token-value")
    settings = get_settings()
    assert "secret-token-value" not in repr(settings)
    assert "secret-token-value" not in str(settings.model_dump())


@pytest.mark.parametrize(("name", "value"), [("TIMEZONE", "Mars/Olympus"), ("MIN_FAMILIES", "0")])
def test_nonsense_values_are_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        get_settings()


def test_min_cell_defaults_to_five_reads_the_environment_and_refuses_zero(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MIN_CELL", raising=False)
    assert get_settings().min_cell == 5
    monkeypatch.setenv("MIN_CELL", "3")
    assert get_settings().min_cell == 3
    monkeypatch.setenv("MIN_CELL", "0")
    with pytest.raises(ValidationError):
        get_settings()


def test_the_service_context_takes_min_cell_and_min_families_from_the_settings() -> None:
    settings = Settings(_env_file=None, min_cell=7, min_families=12)  # type: ignore[call-arg]
    factory = None  # never opened: the context only stores it
    ctx = ServiceContext.create(factory, settings, load_default_instrument())  # type: ignore[arg-type]
    assert (ctx.min_cell, ctx.min_families) == (7, 12)
