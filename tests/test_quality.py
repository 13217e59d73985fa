"""ruff and mypy over the package, as part of the suite, so a lint error fails `doit test`."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO


@pytest.mark.parametrize(
    "argv",
    [
        ["ruff", "check", "src", "tests", "bench", "bootstrap.py"],
        ["ruff", "format", "--check", "src", "tests", "bench", "bootstrap.py"],
        ["mypy", "src"],
    ],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_code_quality(argv: list[str]) -> None:
    completed = subprocess.run([sys.executable, "-m", *argv], cwd=REPO, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stdout + completed.stderr
