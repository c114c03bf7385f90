"""Each role's command menu lists exactly the commands that role can use."""

from __future__ import annotations

from bot.db.models import Role
from bot.telegram.menus import commands_for


def _names(role: Role | None) -> list[str]:
    return [name for name, _ in commands_for(role)]


def test_officials_can_open_their_weekly_alert_settings_from_the_menu() -> None:
    assert "peringatan" in _names(Role.PEJABAT)
    assert "status_peringatan" not in _names(Role.PEJABAT)


def test_admins_also_see_the_alert_delivery_status() -> None:
    names = _names(Role.ADMIN)
    assert {"ikk", "ekspor", "progres", "undang", "peringatan", "status_peringatan"} <= set(names)


def test_a_kader_menu_has_the_questionnaire_commands_and_no_official_ones() -> None:
    assert _names(Role.KADER) == ["survei", "lanjut", "keluarga", "bantuan", "jeda"]


def test_every_menu_entry_is_a_valid_telegram_command_with_an_indonesian_description() -> None:
    for role in (None, *Role):
        for name, description in commands_for(role):
            assert name.islower() and 1 <= len(name) <= 32 and name.replace("_", "").isalnum()
            assert 3 <= len(description) <= 256
