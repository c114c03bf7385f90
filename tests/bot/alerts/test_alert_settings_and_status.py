"""Alert preferences (created lazily with the defaults) and the admin's status, on both
databases; `ikk-bot alerts run-now --dry-run` as an operator runs it."""

from __future__ import annotations

import asyncio

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from telegram.error import Forbidden
from typer.testing import CliRunner

from bot.alerts.status import alert_status
from bot.alerts.subscriptions import (
    DEFAULT_SUBSCRIPTION,
    Subscription,
    ensure_subscription,
    join_sectors,
    load_subscriptions,
    parse_sectors,
    update_subscription,
)
from bot.cli import app
from bot.db.models import AlertSubscription, AppUser, DeliveryStatus
from tests.bot.alerts.conftest import (
    BATAKAN,
    SEPAPAH,
    AlertWorld,
    chat,
    deliveries,
    set_village,
)

runner = CliRunner()


def test_sector_lists_are_stored_comma_separated_without_repeats() -> None:
    assert join_sectors(["Dinas Kesehatan", "BPJS", "bpjs", " "]) == "Dinas Kesehatan, BPJS"
    assert join_sectors([]) is None
    assert parse_sectors("Dinas Kesehatan, BPJS,, ") == ("Dinas Kesehatan", "BPJS")
    assert parse_sectors(None) == ()
    assert join_sectors(["A, B"]) == "A B"  # a comma cannot split one office in two


async def test_a_new_official_has_the_defaults_and_the_row_is_created_on_first_look(
    world: AlertWorld,
) -> None:
    who = world.people.pejabat_kecamatan

    async def look(session: AsyncSession) -> Subscription:
        return await ensure_subscription(session, who)

    async def count(session: AsyncSession) -> int:
        return len((await session.execute(AlertSubscription.__table__.select())).all())

    assert await world.ctx.read(count) == 0
    assert (await world.ctx.read(lambda s: load_subscriptions(s, [who])))[who] == (
        DEFAULT_SUBSCRIPTION
    )
    results = await asyncio.gather(*[world.ctx.write(look) for _ in range(5)])
    assert set(results) == {Subscription(enabled=True, sectors=(), quiet_weeks=False)}
    assert await world.ctx.read(count) == 1


async def test_changing_one_preference_keeps_the_others(world: AlertWorld) -> None:
    who = world.people.pejabat_kecamatan

    async def change(session: AsyncSession) -> Subscription:
        await update_subscription(session, who, sectors=["BPJS", "Dinas Kesehatan"])
        await update_subscription(session, who, quiet_weeks=True)
        return await update_subscription(session, who, enabled=False)

    assert await world.ctx.write(change) == Subscription(
        enabled=False, sectors=("BPJS", "Dinas Kesehatan"), quiet_weeks=True
    )


async def test_the_status_counts_the_last_runs_within_the_admins_scope(world: AlertWorld) -> None:
    await set_village(world, SEPAPAH, {"KF1": (20, 40)})
    await set_village(world, BATAKAN, {"KF2": (10, 40)})
    world.sender.fail(Forbidden("Forbidden: bot was blocked by the user"),
                      chat_id=chat(world, "pejabat_tanah_laut"))
    outcome = await world.service().run_due()
    rows = {d.user_id: d for d in await deliveries(world, outcome.run_id)}

    async def ack(session: AsyncSession) -> None:
        await session.execute(
            update(type(rows[world.people.admin]))
            .where(type(rows[world.people.admin]).id == rows[world.people.admin].id)
            .values(acknowledged_at=world.clock.now)
        )

    await world.ctx.write(ack)
    status = await alert_status(world.ctx, world.people.admin)
    assert status is not None
    (run,) = status.runs
    assert run.period_key == "2026-W49"
    assert (run.total, run.sent, run.blocked, run.failed, run.pending, run.acknowledged) == (
        4, 3, 1, 0, 0, 1
    )
    assert [(u.display_name, u.area_label) for u in status.unreachable] == [
        ("Bu Kadis Tanah Laut", "Kab. Tanah Laut")
    ]
    assert rows[world.people.pejabat_tanah_laut].status is DeliveryStatus.BLOCKED


async def test_an_admin_of_one_kabupaten_counts_and_sees_only_its_officials(
    world: AlertWorld,
) -> None:
    async def narrow(session: AsyncSession) -> None:
        await session.execute(
            update(AppUser).where(AppUser.id == world.people.admin).values(area_code="63.02")
        )
        await session.execute(
            update(AppUser)
            .where(AppUser.id == world.people.pejabat_tanah_laut)
            .values(reachable=False)
        )

    await world.ctx.write(narrow)
    await set_village(world, BATAKAN, {"KF2": (10, 40)})
    await set_village(world, SEPAPAH, {"KF1": (20, 40)})
    await world.service().run_due()
    status = await alert_status(world.ctx, world.people.admin)
    assert status is not None and status.unreachable == ()
    (run,) = status.runs
    assert run.total == 3  # kotabaru, camat, the admin: not Tanah Laut


async def test_only_admins_have_a_status(world: AlertWorld) -> None:
    assert await alert_status(world.ctx, world.people.pejabat_kotabaru) is None
    assert await alert_status(world.ctx, world.people.kader) is None
    assert await alert_status(world.ctx, 999_999) is None


# ------------------------------------------------------------------------------ the CLI


def _cli(world: AlertWorld, *args: str) -> object:
    url = world.session_factory.kw["bind"].url.render_as_string(hide_password=False)
    return runner.invoke(app, ["alerts", "run-now", *args], env={"DATABASE_URL": url})


async def test_run_now_dry_run_prints_each_officials_message_and_why_others_get_none(
    world: AlertWorld,
) -> None:
    await set_village(world, SEPAPAH, {"KF1": (20, 40), "KE7": (28, 40)})
    result = await asyncio.to_thread(_cli, world, "--dry-run")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    out: str = result.stdout  # type: ignore[attr-defined]
    assert "UJI COBA: tidak ada yang dikirim atau dicatat" in out
    assert "Periode: Minggu ke-" in out and "-W" not in out
    assert "setiap Senin pukul 08.00 WITA" in out
    assert "minimal 10 keluarga" in out
    assert "Penerima: 3 dari 4 pejabat/admin aktif." in out
    assert "=== Pak Camat (pejabat, Kec. Sampanahan, Telegram 202) — 1 pesan ===" in out
    assert "🆕 KF1 Kecukupan pangan: 50,00 %" in out and "<b>" not in out
    assert "Bu Kadis Tanah Laut (pejabat, Kab. Tanah Laut, Telegram 203): tidak ada " \
        "indikator merah dan pesan minggu tenang mati" in out
    assert await deliveries(world) == []  # nothing written


async def test_run_now_dry_run_for_one_area_lists_only_its_officials(world: AlertWorld) -> None:
    await set_village(world, BATAKAN, {"KF2": (10, 40)})
    result = await asyncio.to_thread(_cli, world, "--dry-run", "--area", "63.01")
    out: str = result.stdout  # type: ignore[attr-defined]
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "Penerima: 1 dari 1 pejabat/admin aktif." in out and "Batakan" in out
    assert "Pak Camat" not in out and "wilayah 63.01" in out


async def test_run_now_refuses_dry_run_with_force_and_says_why(world: AlertWorld) -> None:
    result = await asyncio.to_thread(_cli, world, "--dry-run", "--force")
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert "--dry-run dan --force tidak dapat dipakai bersama" in result.stderr  # type: ignore[attr-defined]
    assert await deliveries(world) == []


async def test_run_now_refuses_a_bad_or_unknown_area_code(world: AlertWorld) -> None:
    bad = await asyncio.to_thread(_cli, world, "--dry-run", "--area", "kotabaru")
    assert bad.exit_code == 2  # type: ignore[attr-defined]
    unknown = await asyncio.to_thread(_cli, world, "--dry-run", "--area", "63.09")
    assert unknown.exit_code == 2  # type: ignore[attr-defined]
    assert "tidak ada di database" in unknown.stderr  # type: ignore[attr-defined]


async def test_run_now_without_a_token_says_so_and_sends_nothing(world: AlertWorld) -> None:
    await set_village(world, SEPAPAH, {"KF1": (20, 40)})
    url = world.session_factory.kw["bind"].url.render_as_string(hide_password=False)
    result = await asyncio.to_thread(
        runner.invoke, app, ["alerts", "run-now"],
        env={"DATABASE_URL": url, "TELEGRAM_BOT_TOKEN": ""},
    )
    assert result.exit_code == 2
    assert "TELEGRAM_BOT_TOKEN" in result.stderr
