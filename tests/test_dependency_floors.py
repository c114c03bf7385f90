"""The dependency floors stay past the advisories we know of, in pyproject and in the venv.

A floor lowered by a careless edit would let a fresh install pick a vulnerable release again;
`pip-audit` (docs/deployment.md) finds new advisories, this test keeps the known ones fixed.
"""

from __future__ import annotations

import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"

#: package → first release without the advisory it is pinned for.
FIXED_IN = {
    "aiohttp": "3.12.14",  # CVE-2025-53643, request smuggling through chunked trailers
    "pillow": "10.3",  # CVE-2024-28219, buffer overflow in _imagingcms
    "h11": "0.16",  # CVE-2025-43859, lenient chunked-body parsing
    "tornado": "6.5",  # CVE-2025-47287, unbounded logging on malformed multipart data
}


def _floors() -> dict[str, Version]:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    floors: dict[str, Version] = {}
    for line in project["dependencies"]:
        requirement = Requirement(line)
        for spec in requirement.specifier:
            if spec.operator in (">=", "=="):
                floors[requirement.name.lower()] = Version(spec.version)
    return floors


@pytest.mark.parametrize("package", sorted(FIXED_IN))
def test_pyproject_floor_is_at_or_past_the_fixed_release(package: str) -> None:
    floors = _floors()
    assert package in floors, f"{package} has no lower bound in pyproject.toml"
    assert floors[package] >= Version(FIXED_IN[package])


@pytest.mark.parametrize("package", sorted(FIXED_IN))
def test_installed_release_is_at_or_past_the_fixed_release(package: str) -> None:
    assert Version(version(package)) >= Version(FIXED_IN[package])
