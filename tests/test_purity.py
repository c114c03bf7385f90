"""The functional core stays pure: `ikk_core` and `conversations` never reach a network or database.

Two independent checks, because each misses what the other sees: importing every module in a
fresh interpreter catches indirect imports (a helper that pulls in sqlalchemy); reading the source
catches imports inside functions that an import alone never executes.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PURE_PACKAGES = ("ikk_core", "conversations")
FORBIDDEN = ("telegram", "sqlalchemy", "httpx", "aiohttp", "asyncpg", "aiosqlite")


def _modules(package: str) -> list[str]:
    base = ROOT / package
    names = []
    for path in sorted(base.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.append(".".join(parts))
    return names


def _is_forbidden(module: str) -> bool:
    top = module.split(".")[0]
    return top in FORBIDDEN


def test_every_pure_package_has_modules_to_check() -> None:
    for package in PURE_PACKAGES:
        assert len(_modules(package)) > 1, package


def test_importing_the_pure_packages_loads_no_network_or_database_library() -> None:
    modules = [m for package in PURE_PACKAGES for m in _modules(package)]
    script = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(modules) <= set(loaded)
    assert [m for m in loaded if _is_forbidden(m)] == []


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
            in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


@pytest.mark.parametrize("package", PURE_PACKAGES)
def test_no_source_file_of_the_pure_packages_imports_a_network_or_database_library(
    package: str,
) -> None:
    offending = [
        f"{path.relative_to(ROOT)}:{line}: {name}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for line, name in _imports(path)
        if _is_forbidden(name)
    ]
    assert offending == []


def test_the_source_scan_would_notice_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os\n"
        "def later():\n"
        "    from telegram.ext import Application\n"
        "    import sqlalchemy.orm as orm\n"
        "    return importlib.import_module('httpx')\n",
        encoding="utf-8",
    )
    names = [name for _, name in _imports(sample) if _is_forbidden(name)]
    assert sorted(names) == ["httpx", "sqlalchemy.orm", "telegram.ext"]
