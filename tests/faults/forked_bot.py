"""`ForkedBot`: `ikk-bot run` in its own process (forked by `bot_forkserver.py`), which a test can
kill with SIGKILL and start again, talking to the emulator in the test's process."""

from __future__ import annotations

import asyncio
import os
import shlex
import signal
import sys
import time
from pathlib import Path
from typing import IO

FORKSERVER = Path(__file__).with_name("bot_forkserver.py")
REPO_ROOT = Path(__file__).resolve().parents[2]


def alive(pid: int) -> bool:
    """True while the process exists (the fork server's children are reaped at once)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class ForkedBot:
    """One fork server; `start()` forks a bot, `kill()` SIGKILLs it, `stop()` ends it politely.

    `env` holds the bot's settings (DATABASE_URL, TELEGRAM_*...); it runs in `workdir` so no
    `.env` of the developer's is read. Its log goes to `log_path`.
    """

    def __init__(
        self, env: dict[str, str], workdir: Path, log_path: Path, arguments: list[str]
    ) -> None:
        self.env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", **env}
        self.workdir = workdir
        self.log_path = log_path
        self.arguments = arguments
        self.pid: int | None = None
        self.starts = 0
        self.kills = 0
        self._server: asyncio.subprocess.Process | None = None
        self._log: IO[bytes] | None = None

    async def open(self) -> None:
        """Start the fork server and wait until the bot's modules are imported."""
        self._log = self.log_path.open("ab")
        self._server = await asyncio.create_subprocess_exec(
            sys.executable, str(FORKSERVER),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=self._log,
            env=self.env,
            cwd=self.workdir,
        )
        assert await self._line(120) == "ready", self.log()

    async def _line(self, seconds: float) -> str:
        assert self._server is not None and self._server.stdout is not None
        raw = await asyncio.wait_for(self._server.stdout.readline(), seconds)
        return raw.decode().strip()

    async def start(self) -> int:
        """Fork a new bot process; returns its pid."""
        assert self._server is not None and self._server.stdin is not None
        self._server.stdin.write(f"start {shlex.join(self.arguments)}\n".encode())
        await self._server.stdin.drain()
        self.pid = int(await self._line(30))
        self.starts += 1
        return self.pid

    async def kill(self) -> None:
        """SIGKILL the bot, as a power cut or the OOM killer would; wait until it is gone."""
        pid, self.pid = self.pid, None
        assert pid is not None and alive(pid), f"the bot died by itself\n{self.log()}"
        os.kill(pid, signal.SIGKILL)
        await self._gone(pid, 10)
        self.kills += 1

    async def stop(self) -> None:
        """SIGTERM (a clean stop), SIGKILL if it takes over 10 s."""
        pid, self.pid = self.pid, None
        if pid is None or not alive(pid):
            return
        os.kill(pid, signal.SIGTERM)
        try:
            await self._gone(pid, 10)
        except TimeoutError:
            os.kill(pid, signal.SIGKILL)
            await self._gone(pid, 5)

    def running(self) -> bool:
        return self.pid is not None and alive(self.pid)

    @staticmethod
    async def _gone(pid: int, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while alive(pid):
            if time.monotonic() > deadline:
                raise TimeoutError(f"process {pid} still alive after {seconds}s")
            await asyncio.sleep(0.01)

    async def close(self) -> None:
        """Stop the bot and the fork server."""
        await self.stop()
        server, self._server = self._server, None
        if server is not None:
            assert server.stdin is not None
            server.stdin.close()
            try:
                await asyncio.wait_for(server.wait(), 10)
            except TimeoutError:
                server.kill()
                await server.wait()
        if self._log is not None:
            self._log.close()

    def log(self) -> str:
        """The end of the bots' log (for failure messages)."""
        if not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")[-6000:]
