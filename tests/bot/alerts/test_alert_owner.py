"""Lease owners: which holders a restarted bot may declare dead (only its own machine's
processes that are gone); everyone else keeps their lease until it expires."""

from __future__ import annotations

import os
import subprocess
import sys

from bot.alerts.owner import owner_is_dead, process_owner


def _exited_pid() -> int:
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True, text=True, check=True,
    )
    return int(child.stdout)


def test_an_owner_names_this_machine_this_process_and_fits_the_lease_column() -> None:
    owner = process_owner()
    _machine, pid, start, tag = owner.split(":")
    assert len(owner) <= 40 and int(pid) == os.getpid() and start.isdigit() and tag
    assert process_owner() != owner  # two services in one process hold different leases


def test_this_live_process_is_not_dead() -> None:
    assert not owner_is_dead(process_owner())


def test_a_process_of_this_machine_that_exited_is_dead() -> None:
    machine, _pid, start, tag = process_owner().split(":")
    assert owner_is_dead(f"{machine}:{_exited_pid()}:{start}:{tag}")


def test_a_pid_now_used_by_a_newer_process_counts_as_dead() -> None:
    machine, pid, start, tag = process_owner().split(":")
    assert owner_is_dead(f"{machine}:{pid}:{int(start) - 1}:{tag}")


def test_another_machines_or_an_unknown_owner_is_never_declared_dead() -> None:
    _machine, _pid, start, tag = process_owner().split(":")
    assert not owner_is_dead(f"0000beef:{_exited_pid()}:{start}:{tag}")
    assert not owner_is_dead("dead-process")
    assert not owner_is_dead("0123456789abcdef0123456789abcdef")
