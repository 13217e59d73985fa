"""`doitenv ci github`: a workflow GitHub accepts, whose steps are the tasks a developer runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from doitenv import config, workflow
from tests.conftest import REPO

CHECK_JSONSCHEMA = Path(sys.executable).with_name("check-jsonschema")


def _doitenv(*args: str, cwd: Path) -> str:
    completed = subprocess.run([sys.executable, "-m", "doitenv", *args], cwd=cwd, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout + completed.stderr  # what it did on stdout, a file it kept on stderr (a warning)


def _valid(path: Path) -> None:
    """Against the GitHub workflow schema check-jsonschema ships: no network needed."""
    argv = [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.github-workflows", str(path)]
    completed = subprocess.run(argv, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_init_and_ci_write_a_valid_workflow_and_keep_one_that_exists(tmp_path: Path) -> None:
    _doitenv("init", "demo", "--ci", "github", cwd=tmp_path)
    written = tmp_path / "demo" / workflow.PATH
    _valid(written)
    text = written.read_text()
    for step in ("- run: doit check", "- run: doit dev", "- run: doit test", 'python -m pip install "doitenv"'):
        assert step in text
    assert 'os: ["ubuntu-latest", "macos-latest", "windows-latest"]' in text
    assert 'python: ["3.9", "3.13"]' in text  # the scaffold's requires-python, and the newest
    assert "key: ${{ matrix.os }}-py${{ matrix.python }}-${{ steps.locks.outputs.digest }}" in text

    pyproject = tmp_path / "demo" / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + 'pythons = ["3.11", "3.12"]\nuniversal = true\n')
    written.write_text("# mine\n")
    assert "kept .github/workflows/doitenv.yml as it was" in _doitenv("ci", "github", cwd=tmp_path / "demo")
    assert written.read_text() == "# mine\n"
    _doitenv("ci", "github", "--force", cwd=tmp_path / "demo")
    _valid(written)
    text = written.read_text()
    assert 'python: ["3.11", "3.12"]' in text and 'python -m pip install "doitenv[uv]"' in text


def test_this_repository_carries_the_workflow_doitenv_writes_for_it() -> None:
    committed = (REPO / workflow.PATH).read_text()
    assert committed == workflow.github(config.load(REPO), ".[uv]"), "run: doitenv ci github --force --install '.[uv]'"


def test_the_matrix_starts_at_the_oldest_python_doitenv_runs_on(tmp_path: Path) -> None:
    """A project that still supports 3.8 got a 3.8 job, where `pip install doitenv` fails."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "1"\nrequires-python = ">=3.8"\n')
    assert 'python: ["3.9", "3.13"]' in workflow.github(config.load(tmp_path), "doitenv")
