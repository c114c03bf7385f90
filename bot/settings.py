"""Runtime settings from environment variables and an optional `.env` file.

One place reads the environment so that the CLI, the bot and the tests agree on names and
defaults; the token is a `SecretStr` so that printing the settings never shows it.
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEFAULT_DATABASE_URL", "Settings", "get_settings"]

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./ikk-bot.db"


class Settings(BaseSettings):
    """Everything configurable; each field reads the env var of the same name in upper case."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
    )

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy async URL: sqlite+aiosqlite:///path or postgresql+asyncpg://...",
    )
    telegram_bot_token: SecretStr | None = Field(
        default=None, description="Bot token from BotFather; only the bot itself needs it."
    )
    telegram_bot_tokens: SecretStr | None = Field(
        default=None,
        description="Several bots (Telegram caps one token at ~30 messages/s): comma-separated "
        "AREA_CODE=TOKEN, e.g. 63.02=111:aaa,63.03=222:bbb; each user belongs to the bot of her "
        "area, TELEGRAM_BOT_TOKEN (if set) serves every other area.",
    )
    telegram_bot_tokens_file: Path | None = Field(
        default=None, description="The same as TELEGRAM_BOT_TOKENS from a CSV file: kode,token."
    )
    telegram_api_url: str = Field(
        default="https://api.telegram.org", description="Bot API base (the emulator in tests)."
    )
    bot_username: str = Field(default="ikk_bot", description="For t.me invite links.")
    timezone: str = Field(default="Asia/Makassar", description="Zone of every shown time.")
    min_families: int = Field(
        default=10, ge=1, description="Fewest submitted families before an area IKK is shown."
    )
    min_cell: int = Field(
        default=5,
        ge=1,
        description="Fewest applicable families before a pejabat sees an indicator's value "
        "(small-cell suppression, safe against differencing).",
    )
    alert_schedule: str = Field(
        default="0 8 * * mon", description="Cron line (local time) for the weekly alert."
    )
    invite_ttl_days: int = Field(default=7, ge=1, description="Default life of an invite.")
    instrument_file: Path | None = Field(
        default=None,
        description="The instrument (YAML or XLSForm-style .xlsx) new answers are asked and "
        "scored with; unset = the provisional instrument shipped with ikk-bot.",
    )
    webhook_secret: SecretStr | None = Field(
        default=None,
        description="Webhook mode: the secret Telegram sends with each update (1-256 of "
        "A-Z a-z 0-9 _ -); a new random one each start when unset.",
    )
    demo_label: str | None = Field(
        default=None,
        description="Set by `ikk-bot demo` only: a line added to every message and caption "
        "the bot sends, so that no demo chat passes for real data (plain text, no < > &).",
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"zona waktu tidak dikenal: {value!r}") from exc
        return value

    @field_validator("bot_username")
    @classmethod
    def _no_at_sign(cls, value: str) -> str:
        return value.strip().lstrip("@")

    @field_validator("demo_label")
    @classmethod
    def _plain_label(cls, value: str | None) -> str | None:
        if value is not None and any(c in value for c in "<>&"):
            raise ValueError("DEMO_LABEL harus teks biasa, tanpa < > &")
        return value.strip() or None if value is not None else None

    @property
    def tz(self) -> ZoneInfo:
        """The configured zone as an object, for converting stored UTC times for display."""
        return ZoneInfo(self.timezone)


def get_settings() -> Settings:
    """Read the settings now (not cached, so a changed environment is always seen)."""
    return Settings()
