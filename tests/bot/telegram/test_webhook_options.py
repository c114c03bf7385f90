"""Webhook options: what Telegram would refuse is refused here first, in one Indonesian line;
the secret comes from the option, else WEBHOOK_SECRET, else a fresh random one per start."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.cli_run import webhook_options
from bot.settings import Settings
from bot.telegram.webhook import (
    WebhookOptionError,
    WebhookOptions,
    check_secret_token,
    check_webhook_url,
    new_secret_token,
)

runner = CliRunner()


def settings(secret: str | None = None) -> Settings:
    return Settings(_env_file=None, webhook_secret=secret)


@pytest.mark.parametrize(
    "url",
    [
        "https://bot.dinas.go.id/ikk",
        "https://bot.dinas.go.id:8443/telegram/webhook",
        "https://bot.dinas.go.id",
        "http://127.0.0.1:8443/hook",  # this machine only: tests and the emulator
    ],
)
def test_urls_telegram_can_post_to_are_accepted(url: str) -> None:
    assert check_webhook_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "http://bot.dinas.go.id/ikk",  # Telegram posts over HTTPS only
        "bot.dinas.go.id/ikk",
        "https:///ikk",
        "https://bot.dinas.go.id/ikk?token=1",
        "ftp://bot.dinas.go.id/ikk",
    ],
)
def test_urls_telegram_would_refuse_are_refused(url: str) -> None:
    with pytest.raises(WebhookOptionError, match="--webhook-url"):
        check_webhook_url(url)


@pytest.mark.parametrize("secret", ["", "a b", "rahasia!", "é" * 3, "x" * 257])
def test_secrets_outside_telegrams_alphabet_are_refused(secret: str) -> None:
    with pytest.raises(WebhookOptionError, match="WEBHOOK_SECRET"):
        check_secret_token(secret)


def test_a_generated_secret_is_new_each_time_and_acceptable_to_telegram() -> None:
    secrets = {new_secret_token() for _ in range(20)}
    assert len(secrets) == 20
    assert all(check_secret_token(s) and len(s) >= 32 for s in secrets)


def test_the_secret_comes_from_the_option_then_the_setting_then_chance() -> None:
    url = "https://bot.dinas.go.id/ikk"
    given = webhook_options(settings("dari_setelan"), url, "127.0.0.1", 8443, "dari_opsi")
    configured = webhook_options(settings("dari_setelan"), url, "127.0.0.1", 8443, None)
    first = webhook_options(settings(), url, "127.0.0.1", 8443, None)
    second = webhook_options(settings(), url, "127.0.0.1", 8443, None)

    assert given.secret_token == "dari_opsi"
    assert configured.secret_token == "dari_setelan"
    assert first.secret_token != second.secret_token


def test_the_route_is_the_path_of_the_url_and_never_the_health_route() -> None:
    assert WebhookOptions("https://a.go.id/telegram/ikk", "s").path == "/telegram/ikk"
    assert WebhookOptions("https://a.go.id", "s").path == "/"
    with pytest.raises(WebhookOptionError, match="/healthz"):
        WebhookOptions("https://a.go.id/healthz", "s")


@pytest.mark.parametrize("port", [0, -1, 65536])
def test_a_port_outside_1_to_65535_is_refused(port: int) -> None:
    with pytest.raises(WebhookOptionError, match="--port"):
        WebhookOptions("https://a.go.id/ikk", "s", port=port)


@pytest.mark.parametrize("wait", [-0.1, 1.0, 30.0])
def test_a_tap_reply_wait_outside_0_to_under_the_shutdown_grace_is_refused(wait: float) -> None:
    with pytest.raises(WebhookOptionError, match="waktu tunggu jawaban tombol"):
        WebhookOptions(url="https://bot.dinas.go.id/ikk", secret_token="abc", reply_wait=wait)


def test_the_secret_never_shows_in_the_settings_or_options_repr() -> None:
    assert "rahasia_sekali" not in repr(settings("rahasia_sekali"))
    assert "rahasia_sekali" not in repr(WebhookOptions("https://a.go.id/ikk", "rahasia_sekali"))


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--webhook-url", "http://bot.dinas.go.id/ikk"], "--webhook-url"),
        (["--webhook-url", "https://bot.dinas.go.id/ikk", "--secret-token", "a b"],
         "WEBHOOK_SECRET"),
    ],
)
def test_ikk_bot_run_refuses_bad_webhook_options_with_one_line_before_the_database(
    arguments: list[str], expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    database = tmp_path / "bot.db"
    result = runner.invoke(
        app, ["run", *arguments],
        env={"TELEGRAM_BOT_TOKEN": "123:" + "x" * 35,
             "DATABASE_URL": f"sqlite+aiosqlite:///{database}", "WEBHOOK_SECRET": ""},
    )

    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], result.output
    assert not database.exists()
