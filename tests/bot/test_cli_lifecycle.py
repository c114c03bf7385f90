"""`ikk-bot invite list|revoke` and `ikk-bot users set-role|set-area|reactivate`, run as an
operator would, against both databases: what they change, and the refusals they explain."""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from bot.cli import app
from bot.db.engine import create_engine, create_session_factory
from bot.db.models import AppUser, Role, UserArea
from bot.repositories.invites import RedeemOutcome, redeem_invite

runner = CliRunner()
SAMPANAHAN = "63.02.12.2005"
SEPAPAH = "63.02.12.2001"


def ikk_bot(url: str, *args: str) -> Result:
    return runner.invoke(app, list(args), env={"DATABASE_URL": url, "COLUMNS": "200"})


def create(url: str, *args: str) -> tuple[str, str]:
    """A new invite's code and its number in `invite list`."""
    result = ikk_bot(url, "invite", "create", *args)
    assert result.exit_code == 0, result.output
    found = re.search(r"Kode: (inv_[A-Za-z0-9_-]+)", result.stdout)
    assert found is not None
    listed = ikk_bot(url, "invite", "list")
    number = re.search(r"│\s*(\d+)\s*│", listed.stdout)  # the newest invite comes first
    assert number is not None, listed.stdout
    return found.group(1), number.group(1)


def redeem(url: str, code: str, telegram_id: int) -> RedeemOutcome:
    async def run() -> RedeemOutcome:
        engine = create_engine(url)
        try:
            return (await redeem_invite(create_session_factory(engine), code, telegram_id,
                                        "Siti")).outcome
        finally:
            await engine.dispose()

    return asyncio.run(run())


def stored(url: str, telegram_id: int) -> tuple[AppUser, list[str]]:
    async def run() -> tuple[AppUser, list[str]]:
        engine = create_engine(url)
        try:
            async with create_session_factory(engine)() as session:
                user = (await session.scalars(
                    select(AppUser).where(AppUser.telegram_id == telegram_id))).one()
                villages = (await session.scalars(
                    select(UserArea.area_code).where(UserArea.user_id == user.id))).all()
                return user, sorted(villages)
        finally:
            await engine.dispose()

    return asyncio.run(run())


@pytest.fixture
def url(migrated_database_url: str) -> str:
    assert ikk_bot(migrated_database_url, "areas", "load-demo").exit_code == 0
    return migrated_database_url


def test_invite_list_shows_usable_invites_without_their_codes(url: str) -> None:
    code, _ = create(url, "--role", "kader", "--area", SAMPANAHAN, "--uses", "2")
    listed = ikk_bot(url, "invite", "list")
    assert listed.exit_code == 0, listed.output
    assert SAMPANAHAN in listed.stdout and "0/2" in listed.stdout and "aktif" in listed.stdout
    assert code not in listed.stdout and code[4:12] not in listed.stdout
    assert "ikk-bot invite revoke NO" in listed.stdout


def test_a_revoked_invite_registers_no_one_and_leaves_the_default_list(url: str) -> None:
    code, number = create(url, "--role", "kader", "--area", SAMPANAHAN)
    revoked = ikk_bot(url, "invite", "revoke", number)
    assert revoked.exit_code == 0, revoked.output
    assert f"Undangan no. {number} (kader, {SAMPANAHAN}) dicabut" in revoked.stdout
    assert redeem(url, code, 4242) is RedeemOutcome.REVOKED
    assert "Tidak ada undangan aktif" in ikk_bot(url, "invite", "list").stdout
    everything = ikk_bot(url, "invite", "list", "--all")
    assert "dicabut" in everything.stdout and "0/1" in everything.stdout
    again = ikk_bot(url, "invite", "revoke", code)  # by the code itself this time
    assert again.exit_code == 0 and "sudah dicabut sebelumnya" in again.stdout


def test_an_invite_can_be_revoked_by_its_link(url: str) -> None:
    code, _ = create(url, "--role", "pejabat", "--area", "63.02")
    result = ikk_bot(url, "invite", "revoke", f"https://t.me/ikk_bot?start={code}")
    assert result.exit_code == 0 and "dicabut" in result.stdout
    assert redeem(url, code, 4243) is RedeemOutcome.REVOKED


def test_a_used_invite_is_listed_as_used_with_all(url: str) -> None:
    code, _ = create(url, "--role", "kader", "--area", SAMPANAHAN)
    assert redeem(url, code, 4244) is RedeemOutcome.OK
    assert "Tidak ada undangan aktif" in ikk_bot(url, "invite", "list").stdout
    assert "terpakai" in ikk_bot(url, "invite", "list", "--all").stdout


@pytest.mark.parametrize("what", ["999", "inv_AAAAAAAAAAAAAAAAAAAAAA", "salah-ketik"])
def test_revoking_an_unknown_invite_says_where_to_find_the_number(url: str, what: str) -> None:
    result = ikk_bot(url, "invite", "revoke", what)
    assert result.exit_code == 1
    assert "tidak ada undangan" in result.stderr and "invite list --all" in result.stderr


def test_set_role_turns_a_kader_into_a_pejabat_of_her_kecamatan(url: str) -> None:
    ikk_bot(url, "users", "add", "--telegram-id", "11", "--role", "kader", "--area", SAMPANAHAN)
    result = ikk_bot(url, "users", "set-role", "11", "pejabat", "--area", "63.02.12")
    assert result.exit_code == 0, result.output
    assert "Pengguna 11 sekarang: pejabat untuk Kecamatan Sampanahan (63.02.12)" in result.stdout
    user, villages = stored(url, 11)
    assert (user.role, user.area_code, villages) == (Role.PEJABAT, "63.02.12", [])
    back = ikk_bot(url, "users", "set-role", "11", "kader", "--area", SEPAPAH)
    assert back.exit_code == 0, back.output
    user, villages = stored(url, 11)
    assert (user.role, villages) == (Role.KADER, [SEPAPAH])


def test_set_area_moves_a_kader_to_one_village_and_a_pejabat_anywhere(url: str) -> None:
    ikk_bot(url, "users", "add", "--telegram-id", "12", "--role", "kader", "--area", SAMPANAHAN)
    ikk_bot(url, "users", "add", "--telegram-id", "13", "--role", "pejabat", "--area", "63.02")
    assert ikk_bot(url, "users", "set-area", "12", SEPAPAH).exit_code == 0
    assert stored(url, 12)[1] == [SEPAPAH]
    moved = ikk_bot(url, "users", "set-area", "13", "63")
    assert moved.exit_code == 0 and "dipindahkan: pejabat untuk" in moved.stdout
    assert stored(url, 13)[0].area_code == "63"


def test_reactivate_brings_a_deactivated_user_back_with_role_and_area(url: str) -> None:
    ikk_bot(url, "users", "add", "--telegram-id", "14", "--role", "pejabat", "--area", "63.02")
    assert ikk_bot(url, "users", "deactivate", "14").exit_code == 0
    result = ikk_bot(url, "users", "reactivate", "14")
    assert result.exit_code == 0, result.output
    assert "diaktifkan lagi: pejabat" in result.stdout and "aktif." in result.stdout
    assert stored(url, 14)[0].active
    again = ikk_bot(url, "users", "reactivate", "14")
    assert again.exit_code == 1 and "sudah aktif" in again.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["set-role", "99", "pejabat"], "tidak ada pengguna dengan Telegram ID 99"),
        (["set-role", "15", "kader"], "kader harus terikat pada desa/kelurahan"),
        (["set-role", "15", "pejabat"], "sudah pejabat"),
        (["set-role", "15", "pejabat", "--area", "63.99"], "tidak ada di database"),
        (["set-area", "15", "63.77"], "tidak ada di database"),
        (["reactivate", "99"], "tidak ada pengguna"),
    ],
)
def test_user_changes_refuse_bad_input_with_a_reason_and_change_nothing(
    url: str, args: list[str], message: str
) -> None:
    ikk_bot(url, "users", "add", "--telegram-id", "15", "--role", "pejabat", "--area", "63.02")
    result = ikk_bot(url, "users", *args)
    assert result.exit_code == 1
    assert result.stderr.startswith("Galat: ") and message in result.stderr
    user, _ = stored(url, 15)
    assert (user.role, user.area_code, user.active) == (Role.PEJABAT, "63.02", True)


def test_set_role_with_an_unknown_role_is_refused_by_the_command_line(url: str) -> None:
    result = ikk_bot(url, "users", "set-role", "15", "camat")
    assert result.exit_code == 2 and "camat" in result.output
