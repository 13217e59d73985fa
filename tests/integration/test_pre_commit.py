"""pre-commit is optional tooling: `dev` installs the hook when some pre-commit is at hand,
and otherwise says so in one line and succeeds."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from doitenv import scaffold
from tests.helpers import ProjectFactory, TmpProject, cell_sources, notebook


@pytest.fixture
def no_pre_commit_on_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """PATH as on a machine without pre-commit (the Python running the tests stays on it)."""
    monkeypatch.setenv("PRE_COMMIT_HOME", str(tmp_path / "pre-commit-home"))
    kept = [Path(sys.executable).parent, Path("/usr/bin"), Path("/bin")]
    monkeypatch.setenv("PATH", os.pathsep.join(str(p) for p in kept if not (p / "pre-commit").exists()))


def _with_config(new_project: ProjectFactory, git: bool = True, folder: str = "proj") -> TmpProject:
    project = new_project(folder=folder)  # its dev requirements do not list pre-commit
    project.write(".pre-commit-config.yaml", scaffold.PRE_COMMIT)
    if git:
        subprocess.run(["git", "init", "-q"], cwd=project.path, check=True)
    return project


@pytest.mark.usefixtures("no_pre_commit_on_path")
def test_dev_succeeds_without_any_pre_commit_and_says_how_to_get_the_hook(new_project: ProjectFactory) -> None:
    project = _with_config(new_project)
    first = project.doit("dev")
    assert "the pre-commit hook is not installed: no pre-commit in venv/ or on PATH" in first.output
    assert project.doit("dev").ran == []
    assert "2 passed" in project.doit("test").output

    failed = project.doit("format", ok=False)
    assert ".pre-commit-config.yaml asks for pre-commit, which is not installed" in failed.output
    assert "Traceback" not in failed.output


@pytest.mark.usefixtures("no_pre_commit_on_path")
def test_a_pre_commit_on_path_installs_the_hook(
    new_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    project = _with_config(new_project)
    project.doit("dev")
    # Installed the way most people do it, in an environment of its own (pipx).
    tools = tmp_path / "pipx-venv"
    subprocess.run([sys.executable, "-m", "virtualenv", "-q", str(tools)], check=True)
    subprocess.run([str(tools / "bin" / "python"), "-m", "pip", "install", "-q", "pre-commit"], check=True)
    shown = tmp_path / "shown"
    shown.mkdir()
    (shown / "pre-commit").symlink_to(tools / "bin" / "pre-commit")
    monkeypatch.setenv("PATH", f"{shown}{os.pathsep}{os.environ['PATH']}")
    again = project.doit("dev")
    assert (project.path / ".git" / "hooks" / "pre-commit").exists() and not again.synced()
    assert project.doit("dev").ran == []


@pytest.mark.usefixtures("no_pre_commit_on_path")
def test_no_git_or_a_hooks_path_is_one_line_and_no_failure(new_project: ProjectFactory) -> None:
    project = _with_config(new_project, git=False)
    assert "no .git folder here, so the pre-commit hook is not installed" in project.doit("dev").output
    assert project.doit("dev").ran == []

    project = _with_config(new_project, git=True, folder="hooks-path")
    subprocess.run(["git", "config", "core.hooksPath", "elsewhere"], cwd=project.path, check=True)
    project.write("requirements-dev.in", project.read("requirements-dev.in") + "pre-commit\n")
    first = project.doit("dev")
    assert "the pre-commit hook is not installed: git's core.hooksPath is set (elsewhere)" in first.output
    assert project.doit("dev").ran == []


README = Path(__file__).resolve().parents[2] / "README.md"


def readme_nbstripout_config() -> str:
    """The .pre-commit-config.yaml the README shows notebook users, as written there."""
    section = README.read_text(encoding="utf-8").split("## Notebooks and Jupyter\n", 1)[1].split("\n## ", 1)[0]
    return section.split("```yaml\n", 1)[1].split("```", 1)[0]


def test_format_runs_the_scaffold_hooks_and_nbstripout_on_notebooks(new_project: ProjectFactory) -> None:
    project = new_project(dev_requirements="-r requirements.txt\npytest\nruff\npre-commit\nnbstripout\n")
    config = readme_nbstripout_config()
    assert config.startswith(scaffold.PRE_COMMIT) and "entry: nbstripout" in config  # the scaffold's hooks kept
    project.write(".pre-commit-config.yaml", config)
    project.write("notebooks/explore.ipynb", notebook("import os\nx = [1,2,\n  3]", "print( 42 )", outputs=True))
    subprocess.run(["git", "init", "-q"], cwd=project.path, check=True)
    subprocess.run(["git", "add", "-A"], cwd=project.path, check=True)  # pre-commit runs on what git tracks

    project.doit("format")
    explored = json.loads(project.read("notebooks/explore.ipynb"))
    assert cell_sources(project.read("notebooks/explore.ipynb")) == ["x = [1, 2, 3]", "print(42)"]
    assert [cell["outputs"] for cell in explored["cells"]] == [[], []]
    assert [cell["execution_count"] for cell in explored["cells"]] == [None, None]
    assert project.doit("format").ran == []


def _commit(project: TmpProject) -> subprocess.CompletedProcess[str]:
    """Commit a change (one more line in a notes file, and whatever else changed)."""
    notes = project.path / "notes.txt"
    notes.write_text((notes.read_text() if notes.exists() else "") + "a line\n")
    subprocess.run(["git", "add", "-A"], cwd=project.path, check=True)
    argv = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "change"]
    return subprocess.run(argv, cwd=project.path, capture_output=True, text=True)


@pytest.mark.usefixtures("no_pre_commit_on_path")
def test_the_hook_never_blocks_a_commit_and_goes_when_pre_commit_does(new_project: ProjectFactory) -> None:
    """After `doit prod`, `doit distclean` or pre-commit leaving the dev lock, every commit failed
    ("No module named pre_commit"), and the way out was --no-verify."""
    project = _with_config(new_project)
    project.write(".gitignore", "venv/\n.doitenv/\n")
    project.write("requirements-dev.in", "-r requirements.txt\npytest\nruff\npre-commit\n")
    hook = project.path / ".git" / "hooks" / "pre-commit"
    assert "installed the pre-commit hook" in project.doit("dev").output
    project.write("src/demo/ugly.py", "x = [1,2,\n  3]\n")
    committed = _commit(project)
    assert committed.returncode != 0 and "ruff format" in committed.stdout + committed.stderr  # the hooks ran
    assert project.read("src/demo/ugly.py") == "x = [1, 2, 3]\n"
    assert _commit(project).returncode == 0, "the hooks' fixes are committed on the second try"

    prod = project.doit("prod")
    assert "removed the pre-commit hook doitenv installed: venv/ holds the runtime lock only" in prod.output
    assert not hook.exists() and _commit(project).returncode == 0
    assert project.doit("prod").ran == []  # and prod stays up to date without the hook

    project.doit("dev")
    assert hook.exists()
    shutil.rmtree(project.path / "venv")  # a commit while the venv is gone
    skipped = _commit(project)
    assert skipped.returncode == 0 and "no pre-commit in venv/ or on PATH" in skipped.stderr

    project.doit("dev")
    project.write("requirements-dev.in", "-r requirements.txt\npytest\n")  # pre-commit leaves the dev lock
    left = project.doit("dev")
    assert "removed the pre-commit hook doitenv installed: no pre-commit in venv/ or on PATH" in left.output
    assert not hook.exists() and project.doit("dev").ran == []

    hook.write_text("#!/bin/sh\necho mine\n")  # a hook of the user's own is never touched
    hook.chmod(0o755)
    project.doit("prod")
    project.doit("distclean")
    assert hook.read_text() == "#!/bin/sh\necho mine\n"


@pytest.mark.usefixtures("no_pre_commit_on_path")
def test_distclean_removes_the_hook_doitenv_installed(new_project: ProjectFactory) -> None:
    project = _with_config(new_project)
    project.write("requirements-dev.in", "-r requirements.txt\npytest\npre-commit\n")
    project.doit("dev")
    hook = project.path / ".git" / "hooks" / "pre-commit"
    assert hook.exists()
    assert "removed the pre-commit hook doitenv installed: venv/ is gone" in project.doit("distclean").output
    assert not hook.exists()


# A hook from a git host, as most configs have: here a port on this machine where nothing
# answers, as with no network or the host down.
UNREACHABLE_HOOK = """\
  - repo: https://127.0.0.1:9/psf/black
    rev: 24.1.0
    hooks:
      - id: black
"""


def test_a_hook_that_cannot_be_fetched_never_blocks_a_commit(
    new_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PRE_COMMIT_HOME", str(tmp_path / "pre-commit-home"))
    project = _with_config(new_project)
    project.write(".gitignore", "venv/\n.doitenv/\n")
    project.write(".pre-commit-config.yaml", scaffold.PRE_COMMIT + UNREACHABLE_HOOK)
    project.write("requirements-dev.in", "-r requirements.txt\npytest\nruff\npre-commit\n")
    hook = project.path / ".git" / "hooks" / "pre-commit"
    assert "installed the pre-commit hook" in project.doit("dev").output

    committed = _commit(project)
    assert committed.returncode == 0, committed.stderr
    said = [line for line in committed.stderr.splitlines() if line.strip()]
    assert len(said) == 1, committed.stderr
    assert said[0].startswith("doitenv: the hooks of .pre-commit-config.yaml did not run, so this commit is not")
    assert "unable to access 'https://127.0.0.1:9/psf/black/'" in said[0]

    formatted = project.doit("format", ok=False)
    assert "Traceback" not in formatted.output and "An unexpected error" not in formatted.output
    assert (
        ".pre-commit-config.yaml: pre-commit could not prepare its hooks (unable to access "
        "'https://127.0.0.1:9/psf/black/'" in formatted.output
    )
    assert "make the hooks local (`repo: local`" in formatted.output
    assert "or set tool.doitenv.format-commands" in formatted.output

    # A setting leaves the hook out, and takes away the one doitenv wrote.
    project.write("pyproject.toml", project.read("pyproject.toml") + "pre-commit-hook = false\n")
    assert "removed the pre-commit hook doitenv installed: tool.doitenv.pre-commit-hook is false" in (
        project.doit("dev").output
    )
    assert not hook.exists() and project.doit("dev").ran == []


def test_format_formats_a_file_once_git_tracks_it(
    new_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """pre-commit skips untracked files: recorded as formatted, a new file stayed unformatted
    after `git add`, until `doit forget format`."""
    monkeypatch.setenv("PRE_COMMIT_HOME", str(tmp_path / "pre-commit-home"))
    project = _with_config(new_project)
    project.write(".gitignore", "venv/\n.doitenv/\n")
    project.write("requirements-dev.in", "-r requirements.txt\npytest\nruff\npre-commit\n")
    subprocess.run(["git", "add", "-A"], cwd=project.path, check=True)
    project.doit("format")
    assert project.doit("format").ran == []

    project.write("src/demo/new.py", "def f( x ):\n    return x\n")
    project.doit("format")
    assert project.read("src/demo/new.py") == "def f( x ):\n    return x\n"  # pre-commit did not see it
    subprocess.run(["git", "add", "src/demo/new.py"], cwd=project.path, check=True)
    assert any("pre-commit run" in command for command in project.doit("format").ran)
    assert project.read("src/demo/new.py") == "def f(x):\n    return x\n"
    assert project.doit("format").ran == []
