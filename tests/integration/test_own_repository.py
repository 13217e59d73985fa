"""doitenv's own repository on every Python it supports: the README's quick start and its CI
snippet, in a copy of the repository, offline, with each installed interpreter.

The committed locks are universal, so neither bootstrap.py nor `doit check` may find them stale
or rewrite them on any of these Pythons (a Python that is not installed here is skipped).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from doitenv import interpreter
from tests.conftest import REPO, fetching

PYTHONS = ("3.9", "3.10", "3.11", "3.12", "3.13")
LOCKS = ("requirements.txt", "requirements-dev.txt")
BUILD_BACKEND = "flit_core>=3.9"  # pyproject.toml's [build-system]: `pip install -e .` needs it
# This machine's pip settings, read before the tests isolate pip: they fetch the wheels.
MACHINE_ENV = dict(os.environ)


def _wheels_for(python: str) -> Path:
    """The dev lock's wheels for `python`, fetched once with that interpreter's own pip and this
    machine's pip settings (before the test isolates pip); kept until the dev lock changes."""
    version = subprocess.run(
        [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], capture_output=True, text=True, check=True
    ).stdout.strip()
    with fetching():
        return _fetch_wheels(python, version)


def _fetch_wheels(python: str, version: str) -> Path:
    lock_line = (REPO / "requirements-dev.txt").read_text().splitlines()[0]
    folder = REPO / ".cache" / "own-wheels" / f"py{version}"
    stamp = folder / ".fetched"
    if stamp.is_file() and stamp.read_text() == lock_line:
        return folder
    download = [python, "-m", "pip", "download", "--quiet", "--only-binary=:all:", "--dest", str(folder)]
    for argv in ([*download, "--no-deps", "-r", str(REPO / "requirements-dev.txt")], [*download, BUILD_BACKEND]):
        completed = subprocess.run(argv, capture_output=True, text=True, env=MACHINE_ENV)
        if completed.returncode != 0:
            # Offline, or a pin with no release for this Python: bootstrap would fail the same way.
            pytest.fail(f"could not fetch the wheels of the dev lock for Python {version}:\n{completed.stderr}")
    stamp.write_text(lock_line)
    return folder


def _copy_of_repository(target: Path) -> Path:
    """The files git tracks, as a fresh clone has them (no venv, no caches)."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def _run(argv: list[str], cwd: Path, env: dict[str, str]) -> str:
    completed = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert completed.returncode == 0, f"{' '.join(argv)} exited {completed.returncode}:\n{completed.stdout}"
    return completed.stdout


@pytest.mark.parametrize("version", PYTHONS)
def test_bootstrap_and_the_ci_snippet_work_on_every_python_and_rewrite_no_lock(
    version: str, tmp_path: Path, wheelhouse: Path
) -> None:
    """On locks resolved on 3.11: bootstrap failed on 3.10 (a pin with no release for it) and
    rewrote both locks on 3.12, and the CI snippet's `doit check` found both stale."""
    try:
        python = interpreter.find(version, REPO).path
    except interpreter.InterpreterNotFound:
        pytest.skip(f"Python {version} is not installed here")
    # The wheelhouse holds doitenv's wheel, built from this checkout.
    env = {**os.environ, "PIP_FIND_LINKS": f"{_wheels_for(python)} {wheelhouse}"}
    clone = _copy_of_repository(tmp_path / "clone")
    committed = {name: (clone / name).read_bytes() for name in LOCKS}
    bin_dir = "Scripts" if os.name == "nt" else "bin"

    # The README's CI snippet: doitenv in a tools venv, `doit check` with no venv in the project.
    tools = tmp_path / "tools"
    _run([python, "-m", "venv", str(tools)], tmp_path, env)
    _run([str(tools / bin_dir / "pip"), "install", "--quiet", "doitenv"], tmp_path, env)
    checked = _run([str(tools / bin_dir / "doit"), "check"], clone, env)
    assert "locks fresh, layers agree" in checked

    # The README's quick start.
    booted = _run([python, "bootstrap.py"], clone, env)
    assert "pinning" not in booted, booted
    assert {name: (clone / name).read_bytes() for name in LOCKS} == committed
    assert "venv in step" in _run([str(clone / "venv" / bin_dir / "doit"), "check"], clone, env)
