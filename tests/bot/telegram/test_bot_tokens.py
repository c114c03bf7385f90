"""Several bot tokens from the settings: read, checked (one Indonesian line for each mistake),
selected with --wilayah, and which bot a user of an area belongs to."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.bot_tokens import (
    BotConfigError,
    BotToken,
    bot_for_area,
    check_areas,
    configured_bots,
    select_bots,
)
from bot.cli import app
from bot.db.engine import SessionFactory
from bot.emulator import TelegramEmulator
from bot.settings import Settings
from bot.telegram.bot_set import invite_username

A = "111:" + "a" * 35
B = "222:" + "b" * 35
C = "333:" + "c" * 35
runner = CliRunner()


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]


def test_tokens_are_read_deepest_area_first_and_the_single_token_is_the_fallback_last() -> None:
    bots = configured_bots(settings(
        telegram_bot_tokens=f"63.02={A}, 63.02.12={B}", telegram_bot_token=C,
    ))

    assert [(b.area_code, b.bot_id) for b in bots] == [("63.02.12", 222), ("63.02", 111),
                                                       (None, 333)]
    assert A not in repr(bots)


def test_the_single_token_alone_is_one_bot_for_the_whole_province() -> None:
    assert configured_bots(settings(telegram_bot_token=A)) == [BotToken(None, A)]


def test_tokens_can_come_from_a_csv_file_with_a_header(tmp_path: Path) -> None:
    path = tmp_path / "bots.csv"
    path.write_text(f"kode,token\n63.02,{A}\n63.03,{B}\n", encoding="utf-8")

    bots = configured_bots(settings(telegram_bot_tokens_file=path))

    assert [(b.area_code, b.token) for b in bots] == [("63.02", A), ("63.03", B)]


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"telegram_bot_tokens": f"63.02={A},63.02={B}"}, "dua token"),
        ({"telegram_bot_tokens": "63.02=bukan-token"}, "BotFather"),
        ({"telegram_bot_tokens": f"Kotabaru={A}"}, "Kode wilayah"),
        ({"telegram_bot_tokens": A}, "KODE_WILAYAH=TOKEN"),
        ({"telegram_bot_tokens": f"63.02={A}", "telegram_bot_token": A}, "dua kali"),
        ({}, "TELEGRAM_BOT_TOKEN belum diisi"),
    ],
)
def test_each_configuration_mistake_is_one_indonesian_line(
    values: dict[str, object], words: str
) -> None:
    with pytest.raises(BotConfigError) as caught:
        configured_bots(settings(**values))
    message = str(caught.value)
    assert words in message and "\n" not in message
    assert "a" * 35 not in message and "b" * 35 not in message


def test_an_unreadable_tokens_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(BotConfigError, match="tidak dapat dibaca"):
        configured_bots(settings(telegram_bot_tokens_file=tmp_path / "hilang.csv"))


def test_wilayah_picks_the_bots_this_process_serves() -> None:
    bots = configured_bots(settings(telegram_bot_tokens=f"63.02={A},63.03={B}",
                                    telegram_bot_token=C))

    assert [b.bot_id for b in select_bots(bots, None)] == [111, 222, 333]
    assert [b.bot_id for b in select_bots(bots, "63.03, utama")] == [222, 333]
    with pytest.raises(BotConfigError, match=r"63\.04 tidak punya bot"):
        select_bots(bots, "63.02,63.04")


def test_a_user_belongs_to_the_deepest_bot_covering_her_area_else_the_fallback() -> None:
    bots = configured_bots(settings(telegram_bot_tokens=f"63.02={A},63.02.12={B}",
                                    telegram_bot_token=C))

    def owner(area: str | None) -> int | None:
        found = bot_for_area(bots, area)
        return found.bot_id if found else None

    assert owner("63.02.12.2001") == 222
    assert owner("63.02.11.2001") == 111
    assert owner("63.02") == 111
    assert owner("63.021") == 333  # a prefix of the code is not the parent area
    assert owner("63") == 333
    assert bot_for_area(bots[:2], "63.03") is None


@pytest.mark.parametrize("database_seed", ["demo"])
async def test_an_area_that_is_not_in_the_area_table_is_refused_at_start(
    session_factory: SessionFactory,
) -> None:
    await check_areas(session_factory, [BotToken("63.02", A), BotToken(None, C)])
    with pytest.raises(BotConfigError, match=r"63\.99 .*tidak ada di data wilayah"):
        await check_areas(session_factory, [BotToken("63.02", A), BotToken("63.99", B)])


def test_run_with_an_area_given_twice_stops_with_one_line_and_touches_no_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    database = tmp_path / "bot.db"
    result = runner.invoke(app, ["run"], env={
        "TELEGRAM_BOT_TOKEN": "", "TELEGRAM_BOT_TOKENS": f"63.02={A},63.02={B}",
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
    })

    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "63.02" in lines[0] and "dua token" in lines[0]
    assert not database.exists()


def test_run_refuses_several_bots_in_webhook_mode_with_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    database = tmp_path / "bot.db"
    result = runner.invoke(app, ["run", "--webhook-url", "https://bot.example.id/hook"], env={
        "TELEGRAM_BOT_TOKEN": "", "TELEGRAM_BOT_TOKENS": f"63.02={A},63.03={B}",
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
    })

    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "webhook" in lines[0].lower() and "--wilayah" in lines[0]
    assert not database.exists()


async def test_an_invite_link_names_the_bot_of_the_invites_area() -> None:
    async with TelegramEmulator(bot_username="ikk_kotabaru_bot") as kotabaru:
        banjar = kotabaru.add_bot("222333:BANJAR-emulator-token-BBBBBBBBBBBBBBBBBBBB",
                                  bot_username="ikk_banjar_bot")
        several = settings(
            telegram_bot_tokens=f"63.02={kotabaru.token},63.03={banjar.token}",
            telegram_api_url=kotabaru.url,
        )
        assert await invite_username(several, "63.03.01.2001") == "ikk_banjar_bot"
        assert await invite_username(several, "63.02.12.2001") == "ikk_kotabaru_bot"
        with pytest.raises(BotConfigError, match="Tidak ada bot untuk wilayah 63"):
            await invite_username(several, "63")
    single = settings(telegram_bot_token=A, bot_username="ikk_bot",
                      telegram_api_url="http://127.0.0.1:9")  # no network needed
    assert await invite_username(single, "63.03.01.2001") == "ikk_bot"
