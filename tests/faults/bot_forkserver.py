"""A fork server for `ikk-bot run` in the fault tests: imports the bot once, then forks a fresh
bot process per "start" line on stdin and prints its pid.

Why: importing the bot (PTB, SQLAlchemy, pandas, matplotlib) costs seconds of CPU, and a test
that kills the bot with SIGKILL and restarts it several times would spend most of its time
importing. A forked child is still a separate process running the real command line
(`bot.cli` with the arguments given, settings from the environment), killed for real.

    python tests/faults/bot_forkserver.py      # then write: start run --webhook-url ...

With IKK_TEST_NO_RATE_CAP=1 the bot-wide cap of 30 messages/s is off (see below).
"""

from __future__ import annotations

import functools
import os
import shlex
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import bot.cli_run
from bot.cli import app
from bot.telegram.application import build_application

if os.environ.get("IKK_TEST_NO_RATE_CAP") == "1":
    # The emulator has no flood limit; the bot-wide 30 messages/s cap would only make a
    # durability test slow (20 kaders wait for each other's replies), as in the benchmark.
    vars(bot.cli_run)["build_application"] = functools.partial(
        build_application, overall_max_rate=0
    )


def child(arguments: list[str]) -> None:
    """Run `ikk-bot <arguments>` in this (forked) process and exit with its status."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.dup2(2, 1)  # stdout carries pids to the test: the bot writes to stderr only
    code = 0
    try:
        app(arguments, prog_name="ikk-bot")
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:  # show it in the test's log, then die like a crashed process
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        sys.stderr.flush()
        os._exit(code)


def main() -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    print("ready", flush=True)
    for line in sys.stdin:
        words = shlex.split(line)
        if not words or words[0] != "start":
            continue
        pid = os.fork()
        if pid == 0:
            sys.stdin.close()
            child(words[1:])
        print(pid, flush=True)


if __name__ == "__main__":
    main()
