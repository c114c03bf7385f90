"""Who holds an alert lease, and whether that holder is certainly dead.

A lease owner is "<machine>:<pid>:<start>:<random>": `machine` is a short hash of the host
name, the kernel's boot id and the pid namespace (two containers or two reboots never share
it), `start` the process's start time in clock ticks since boot (/proc/<pid>/stat), so a pid
reused by another process is told apart. A restarted bot releases at once the leases of an
owner on the SAME machine whose pid is gone or belongs to a newer process; an owner on another
machine (two bots on one PostgreSQL) cannot be checked and keeps its lease until it expires,
so a live sender's rows are never taken from it.
"""

from __future__ import annotations

import functools
import hashlib
import os
import secrets
import socket
from pathlib import Path
from typing import Final

__all__ = ["owner_is_dead", "process_owner"]

_PROC: Final = Path("/proc")


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


@functools.cache
def _machine() -> str:
    try:
        namespace = str(os.stat(_PROC / "self" / "ns" / "pid").st_ino)
    except OSError:
        namespace = ""
    boot = _read(_PROC / "sys" / "kernel" / "random" / "boot_id")
    seed = f"{socket.gethostname()}|{boot}|{namespace}"
    return hashlib.sha256(seed.encode()).hexdigest()[:8]


def _start_ticks(pid: int) -> str:
    """The process's start time in ticks since boot ("" when it cannot be read)."""
    stat = _read(_PROC / str(pid) / "stat")
    # The command name (field 2) may contain spaces and parentheses: count after the last ")".
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else ""


def process_owner() -> str:
    """A new lease owner for this process (at most 40 characters, the column's width)."""
    pid = os.getpid()
    return f"{_machine()}:{pid}:{_start_ticks(pid) or 0}:{secrets.token_hex(4)}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, belongs to someone else
        return True
    return True


def owner_is_dead(owner: str) -> bool:
    """True only when `owner` is a process of this machine that no longer runs. Owners of
    other machines and owners in any other format count as alive (their leases expire)."""
    parts = owner.split(":")
    if len(parts) != 4 or parts[0] != _machine() or not parts[1].isdigit():
        return False
    pid, start = int(parts[1]), parts[2]
    if pid <= 0 or not _pid_alive(pid):
        return True
    now_start = _start_ticks(pid)
    return bool(now_start) and start != "0" and now_start != start
