"""docs/deployment.md, followed as written: its own shell blocks run in order, as root, with a
throwaway service user, in a throwaway directory, on SQLite; then the systemd unit is checked
and its ExecStart runs as the service user against the Bot API emulator.

The guide marks each fenced block with an HTML comment (invisible when rendered):
``<!-- deploy-test: run -->`` runs it, ``<!-- deploy-test: skip: why -->`` says why not,
``<!-- deploy-test: file PATH -->`` is the content of PATH (written where an operator would use
an editor), ``<!-- deploy-test: cron USER -->`` a crontab line whose command runs as USER.
Every shell block must carry one, so a new command cannot escape the test.

What is substituted, and only this (`SUBSTITUTIONS`, `_command_line`): the absolute paths of the
layout move under the throwaway root; the user `ikk-bot` becomes a throwaway system user;
`sudo` is root already (`sudo -u U` is `runuser -u U`); `sudoedit FILE` writes what the guide
says the file holds; `git clone <URL>` clones this repository; `pip install -e .` installs the
checkout offline (its dependencies from the test's own environment); `apt-get`, `systemctl` and
`journalctl` lines are skipped (packages are present, systemd does not run here); the guide's
example backup name is the newest backup. The service bot runs for a few seconds only.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import re
import shutil
import signal
import site
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.emulator import TelegramEmulator
from bot.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
GUIDE = REPO_ROOT / "docs" / "deployment.md"
SERVICE_USER = "ikk-bot"
LAYOUT = ("/opt/ikk-bot", "/var/lib/ikk-bot", "/etc/ikk-bot", "/var/backups/ikk-bot",
          "/etc/systemd/system", "/tmp/uji-pulih.db")
EXAMPLE_BACKUP = "/var/backups/ikk-bot/ikk-bot-20250602-023000.db"
SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
ADMIN_TELEGRAM_ID = 123456789  # the first admin of §5
SHELL_LANGUAGES = frozenset({"bash", "sh", "shell"})

_FENCE = re.compile(r"^```(\w*)\s*$")
_MARKER = re.compile(r"^<!-- deploy-test: (run|skip: .+|file \S+|cron \S+) -->$")


@dataclass(frozen=True)
class Block:
    """A fenced block of the guide and the deploy-test marker right above it."""

    language: str
    body: str
    marker: str | None
    line: int

    @property
    def action(self) -> str:
        return (self.marker or "").split(" ", 1)[0].rstrip(":")

    @property
    def argument(self) -> str:
        return (self.marker or "").split(" ", 1)[1] if " " in (self.marker or "") else ""


def guide_blocks(text: str) -> list[Block]:
    """The guide's fenced blocks in order."""
    blocks: list[Block] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        fence = _FENCE.match(lines[index])
        if fence is None:
            index += 1
            continue
        start = index
        index += 1
        body: list[str] = []
        while index < len(lines) and lines[index].strip() != "```":
            body.append(lines[index])
            index += 1
        index += 1
        previous = next((ln.strip() for ln in reversed(lines[:start]) if ln.strip()), "")
        marker = _MARKER.match(previous)
        blocks.append(Block(fence.group(1), "\n".join(body) + "\n",
                            marker.group(1) if marker else None, start + 1))
    return blocks


# --------------------------------------------------------------- the guide's own consistency


def test_every_shell_block_of_the_guide_is_run_by_the_test_or_says_why_not() -> None:
    blocks = guide_blocks(GUIDE.read_text(encoding="utf-8"))
    shell = [b for b in blocks if b.language in SHELL_LANGUAGES]
    assert len(shell) > 10
    unmarked = [b.line for b in shell if b.action not in ("run", "skip")]
    assert unmarked == [], f"shell blocks without <!-- deploy-test: … --> at lines {unmarked}"
    assert all(len(b.argument) > 10 for b in shell if b.action == "skip")
    run = [b for b in shell if b.action == "run"]
    assert len(run) >= 2 * len([b for b in shell if b.action == "skip"])


def test_the_settings_table_is_one_table_with_every_setting() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    section = text.split("## 2. Settings reference", 1)[1].split("\n## ", 1)[0]
    table = section[section.index("| variable |"):].split("\n\n", 1)[0]
    documented = re.findall(r"^\| `([A-Z_]+)` \|", table, flags=re.MULTILINE)
    wanted = {name.upper() for name in Settings.model_fields} - {"DEMO_LABEL"}
    assert wanted <= set(documented), wanted - set(documented)


# ----------------------------------------------------------------------- following the guide


@dataclass
class Throwaway:
    """The throwaway root, the operator's home in it, and the service user's name."""

    root: Path
    user: str

    @property
    def home(self) -> Path:
        return self.root / "home" / "operator"

    def path(self, absolute: str) -> Path:
        return self.root / absolute.lstrip("/")


@pytest.fixture
def throwaway() -> Iterator[Throwaway]:
    if os.geteuid() != 0:
        pytest.skip("follows the guide as root (useradd, chown): run the suite as root, as CI does")
    for tool in ("useradd", "userdel", "runuser", "setpriv", "git"):
        if shutil.which(tool, path=SYSTEM_PATH) is None:
            pytest.skip(f"{tool} is not installed")
    if not Path("/usr/bin/python3").exists():
        pytest.skip("the guide's python3 (/usr/bin/python3) is not installed")
    user = f"ikkuji{os.getpid() % 100000}"
    try:
        pwd.getpwnam(user)
        pytest.skip(f"user {user} exists already")
    except KeyError:
        pass
    root = Path(tempfile.mkdtemp(prefix="ikk-deploy-"))
    root.chmod(0o755)  # the service user must reach its directories inside
    (root / "home" / "operator").mkdir(parents=True)
    (root / "tmp").mkdir()
    (root / "tmp").chmod(0o1777)  # the restore practice of §7 works in /tmp
    try:
        yield Throwaway(root, user)
    finally:
        subprocess.run(["userdel", user], capture_output=True, check=False)
        shutil.rmtree(root, ignore_errors=True)


SUBSTITUTIONS = """the layout's absolute paths → under the throwaway root; ikk-bot (the user) → a
throwaway user; sudo → root; sudoedit → the guide's file content; git clone URL → this
repository; pip install -e . → offline install; apt-get/systemctl/journalctl → skipped"""


def _substitute(text: str, env: Throwaway) -> str:
    text = text.replace(EXAMPLE_BACKUP, "$(newest_backup)")
    for absolute in LAYOUT:
        text = text.replace(absolute, str(env.path(absolute)))
    return re.sub(r"(-u |-o |-g |User=|Group=|nologin )ikk-bot\b", rf"\g<1>{env.user}", text)


def _command_line(line: str) -> str:
    stripped = line.strip()
    if re.match(r"(sudo )?(apt-get|systemctl|journalctl)\b", stripped):
        return f": skipped here: {stripped!r}"
    if stripped.startswith("sudo git clone <the project's repository URL>"):
        return line.replace("<the project's repository URL>", f"-q {REPO_ROOT}")
    if stripped == "sudo .venv/bin/pip install -e .":
        return "install_checkout_offline"
    return line


def _preamble(env: Throwaway, staged: dict[str, str]) -> str:
    deps = next(p for p in site.getsitepackages() if p.endswith("site-packages"))
    cases = "\n".join(
        f"    {path!r}) cat > \"$1\" <<'IKK_STAGED'\n{content}IKK_STAGED\n      ;;"
        for path, content in staged.items()
    )
    return f"""set -euo pipefail
sudo() {{  # the test runs as root: sudo is root itself; sudo -u U is runuser, with U's HOME
  if [ "$1" = "-u" ]; then
    local user=$2 home
    shift 2
    home=$(getent passwd "$user" | cut -d: -f6)
    runuser -u "$user" -- env HOME="$home" "$@"
  else
    "$@"
  fi
}}
sudoedit() {{  # writes what the guide says the file holds
  case "$1" in
{cases}
    *) echo "sudoedit of an unexpected file: $1" >&2; return 1;;
  esac
}}
install_checkout_offline() {{  # `pip install -e .` without a network: what an editable install does
  local site_dir
  site_dir=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  echo "$PWD" > "$site_dir/ikk-bot-checkout.pth"
  echo {deps} > "$site_dir/ikk-bot-dependencies.pth"
  printf '#!%s\\nimport sys\\nfrom bot.cli import app\\nsys.exit(app())\\n' \\
    "$PWD/.venv/bin/python" > .venv/bin/ikk-bot
  chmod 755 .venv/bin/ikk-bot
}}
newest_backup() {{ ls -t {env.path('/var/backups/ikk-bot')}/ikk-bot-*.db | head -n 1; }}
operator_edits_the_workbook() {{  # §9 "the province edits it in Excel": raise the version
  sudo -u {env.user} {env.path('/opt/ikk-bot')}/.venv/bin/python -c '
import sys; from openpyxl import load_workbook
book = load_workbook(sys.argv[1])
for row in book["settings"].iter_rows(min_row=2):
    if row[0].value == "version":
        row[1].value = "2026.1-uji"
book.save(sys.argv[1])' {env.path('/var/lib/ikk-bot')}/instrumen.xlsx
}}
"""


def build_script(env: Throwaway, blocks: list[Block], token: str, api_url: str) -> str:
    """The guide's blocks as one bash script, in the guide's order."""
    staged = {str(env.path("/etc/ikk-bot/token.env")):
              f"TELEGRAM_BOT_TOKEN={token}\nTELEGRAM_API_URL={api_url}\n"}
    parts: list[str] = []
    for block in blocks:
        body = _substitute(block.body, env)
        if block.action == "file":
            target = block.argument
            if target.startswith("/") and f"sudoedit {target}" in GUIDE.read_text("utf-8"):
                staged[str(env.path(target))] = body
                continue
            destination = str(env.path(target)) if target.startswith("/") else target
            parts.append(f"# guide line {block.line}: the file {target}\n"
                         f"cd {env.home}\nmkdir -p \"$(dirname {destination})\"\n"
                         f"cat > {destination} <<'IKK_FILE'\n{body}IKK_FILE\n")
        elif block.action == "cron":
            command = body.strip().split(None, 5)[5]
            parts.append(f"# guide line {block.line}: the crontab line, as cron runs it\n"
                         f"runuser -u {env.user} -- sh -c {_quote(command)}\n")
        elif block.action == "run":
            lines = "\n".join(_command_line(line) for line in body.splitlines())
            parts.append(f"# guide line {block.line}\ncd {env.home}\n{lines}\n")
            if "instrument export" in body:
                parts.append("operator_edits_the_workbook\n")
    return _preamble(env, staged) + "\n".join(parts)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


def _unit(path: Path) -> dict[str, str]:
    """The [Service] keys of a unit file (last value wins, as systemd reads them)."""
    keys: dict[str, str] = {}
    section = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            keys[key.strip()] = value.strip()
    return keys


def _environment_file(path: Path) -> dict[str, str]:
    return dict(
        line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    )


async def _run(*command: str, env: dict[str, str], timeout: float) -> tuple[int, str]:  # noqa: ASYNC109
    process = await asyncio.create_subprocess_exec(
        *command, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout)
    assert process.returncode is not None
    return process.returncode, output.decode("utf-8", "replace")


def _mode(path: Path) -> tuple[str, int]:
    info = path.stat()
    return pwd.getpwuid(info.st_uid).pw_name, stat.S_IMODE(info.st_mode)


async def test_the_deployment_guide_works_as_written_on_sqlite(
    throwaway: Throwaway, tmp_path: Path
) -> None:
    env = throwaway
    blocks = guide_blocks(GUIDE.read_text(encoding="utf-8"))
    clean_env = {"PATH": SYSTEM_PATH, "HOME": str(env.home), "LANG": "C.UTF-8"}
    async with TelegramEmulator(quiet_period=0.05, bot_username="ikk_kotabaru_bot") as emulator:
        script = build_script(env, blocks, emulator.token, emulator.url)
        (tmp_path / "guide.sh").write_text(script, encoding="utf-8")
        status, log = await _run("bash", str(tmp_path / "guide.sh"), env=clean_env, timeout=240)
        assert status == 0, f"the guide's commands failed:\n{log[-4000:]}"

        # §4: the layout, with the owners and modes the guide's table promises.
        assert _mode(env.path("/var/lib/ikk-bot")) == (env.user, 0o700)
        assert _mode(env.path("/var/lib/ikk-bot/.env")) == (env.user, 0o600)
        assert _mode(env.path("/var/backups/ikk-bot")) == (env.user, 0o700)
        assert _mode(env.path("/etc/ikk-bot")) == ("root", 0o700)
        assert _mode(env.path("/etc/ikk-bot/token.env")) == ("root", 0o600)
        assert "sekarang pada revisi" in log and "Wilayah: 4 baru" in log
        assert "Tautan: https://t.me/ikk_kotabaru_bot?start=inv_" in log
        # §7 and §8: the backups the commands made, private to the bot user.
        backups = sorted(env.path("/var/backups/ikk-bot").iterdir())
        assert any(p.name.startswith("sebelum-upgrade-") for p in backups), backups
        assert len([p for p in backups if p.name.startswith("ikk-bot-")]) >= 3  # and cron's
        assert all(_mode(p) == (env.user, 0o600) for p in backups)
        assert "dipulihkan dari" in log
        # §9: the shortcut and the service read the same INSTRUMENT_FILE, and the bot user
        # can read it: rescore used the edited workbook.
        assert "versi 2026.1-uji" in log
        assert re.search(r"Instrumen: .*2026\.1-uji", log), log[-2000:]

        # The token is only in token.env: `ikk-bot run` through the shortcut refuses (§4).
        shortcut = (f"cd {env.path('/var/lib/ikk-bot')} && exec "
                    f"{env.path('/opt/ikk-bot')}/.venv/bin/ikk-bot run")
        status, refused = await _run("runuser", "-u", env.user, "--", "sh", "-c", shortcut,
                                     env=clean_env, timeout=60)
        assert status == 2 and "TELEGRAM_BOT_TOKEN belum diisi" in refused

        # §6: the units are valid, and the service's ExecStart, run as its user with its
        # environment and working directory, answers a user through the emulator.
        units = env.path("/etc/systemd/system")
        analyze = shutil.which("systemd-analyze", path=SYSTEM_PATH)
        if analyze is not None:
            for unit in ("ikk-bot.service", "ikk-bot-backup.service", "ikk-bot-backup.timer"):
                status, verdict = await _run(analyze, "verify", "--man=no",
                                             str(units / unit), env=clean_env, timeout=60)
                problems = [ln for ln in verdict.splitlines()
                            if unit.split(".")[0] in ln and "fail" in ln.casefold()]
                assert not problems, verdict
        service = _unit(units / "ikk-bot.service")
        assert service["User"] == service["Group"] == env.user
        assert service["WorkingDirectory"] == str(env.path("/var/lib/ikk-bot"))
        service_env = {**clean_env, "HOME": service["WorkingDirectory"],
                       **_environment_file(Path(service["EnvironmentFile"]))}
        start = (f"umask {service['UMask']} && cd {service['WorkingDirectory']} && "
                 f"exec {service['ExecStart']}")
        bot = await asyncio.create_subprocess_exec(  # setpriv execs: SIGTERM reaches the bot
            "setpriv", f"--reuid={service['User']}", f"--regid={service['Group']}",
            "--init-groups", "--", "sh", "-c", start, env=service_env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        try:
            admin = emulator.user(ADMIN_TELEGRAM_ID, "Operator")
            for _ in range(600):  # the bot sets its command menu once it is ready
                if emulator.state.commands or bot.returncode is not None:
                    break
                await asyncio.sleep(0.1)
            await admin.send("/bantuan")
            replies = await admin.wait_reply(timeout=30)
            assert replies and "/ikk" in replies[0].visible_text
        finally:
            if bot.returncode is None:
                bot.send_signal(signal.SIGTERM)  # what `systemctl stop` sends
            output, _ = await asyncio.wait_for(bot.communicate(), 30)  # TimeoutStopSec=30
        service_log = output.decode("utf-8", "replace")
        assert bot.returncode == 0, service_log[-3000:]
        assert emulator.token not in service_log and emulator.token not in log
