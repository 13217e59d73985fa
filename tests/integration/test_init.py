"""`doitenv init`: a ready project in one command, after which `doit dev` and `doit test` pass."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import TmpProject, cell_sources, notebook


def _init(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "doitenv", "init", *args], capture_output=True, text=True)


def test_init_makes_a_project_whose_dev_and_test_pass(
    tmp_path: Path, wheelhouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRE_COMMIT_HOME", str(tmp_path / "pre-commit-home"))
    folder = tmp_path / "My Data-Project"
    made = _init(str(folder))
    assert made.returncode == 0, made.stderr
    assert (folder / "src" / "my_data_project" / "__init__.py").exists()
    assert (folder / ".git").is_dir()
    project = TmpProject(folder)
    project.doit("dev")
    assert (folder / ".git" / "hooks" / "pre-commit").exists()
    # The first commit passes the hooks the scaffold configures (ruff, as the dev lock pins it).
    subprocess.run(["git", "add", "-A"], cwd=folder, check=True)
    commit = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "start"]
    first = subprocess.run(commit, cwd=folder, capture_output=True, text=True)
    assert first.returncode == 0, first.stdout + first.stderr
    output = project.doit("test").output
    assert "1 passed" in output and "Missing" in output  # the default test command, with coverage
    # A notebook, and the checkpoint Jupyter keeps beside it, which git must not see.
    project.write("notebooks/explore.ipynb", notebook("import os\nx = [1,2,\n  3]"))
    project.write("notebooks/.ipynb_checkpoints/explore-checkpoint.ipynb", notebook("x = 1"))
    subprocess.run(["git", "add", "-A"], cwd=folder, check=True)
    status = subprocess.run(["git", "status", "--porcelain"], cwd=folder, capture_output=True, text=True).stdout
    assert "notebooks/explore.ipynb" in status and "ipynb_checkpoints" not in status
    project.doit("format")  # pre-commit with the hooks pinned in the dev lock
    assert cell_sources(project.read("notebooks/explore.ipynb")) == ["x = [1, 2, 3]"]


def test_init_keeps_existing_files_unless_forced(tmp_path: Path) -> None:
    (tmp_path / "requirements.in").write_text("mine\n")
    kept = _init(str(tmp_path), "--name", "pkg")
    # A warning: the user asked for the files, and quiet shows it too.
    assert "doitenv: kept as they were (use --force to overwrite): requirements.in" in kept.stderr
    assert (tmp_path / "requirements.in").read_text() == "mine\n"
    assert (tmp_path / "src" / "pkg" / "__init__.py").exists()
    _init(str(tmp_path), "--name", "pkg", "--force")
    assert (tmp_path / "requirements.in").read_text() != "mine\n"


def test_init_refuses_a_name_that_is_no_package_name(tmp_path: Path) -> None:
    refused = _init(str(tmp_path), "--name", "no-dashes")
    assert refused.returncode == 2
    assert (
        "'no-dashes' is not a valid package name (ASCII letters, digits and _): pass one with --name" in refused.stderr
    )
    assert "'é' is not a valid package name" in _init(str(tmp_path), "--name", "é").stderr


def test_init_derives_a_name_pyproject_accepts_and_says_so(tmp_path: Path) -> None:
    """'café' became the package (and [project] name) café, which `doit dev` then rejected; the
    closing `cd` line was not quoted for the shell."""
    folder = tmp_path / "Café data"
    made = _init(str(folder))
    assert "the package is named cafe_data (from the folder's name; --name chooses another)" in made.stdout
    assert f"next: cd {shlex.quote(str(folder))} && doit dev" in made.stdout
    assert 'name = "cafe_data"' in (folder / "pyproject.toml").read_text()
    nameless = _init(str(tmp_path / "日本"))
    assert nameless.returncode == 2 and "makes no valid package name" in nameless.stderr
    assert not (tmp_path / "日本").exists()
