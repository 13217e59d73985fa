"""`test`, `format`, `clean` and `distclean` on real projects."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from doitenv import scaffold
from tests.helpers import ProjectFactory, cell_sources, notebook


def test_test_runs_in_the_venv_passes_arguments_and_caches_only_a_pass(
    new_project: ProjectFactory, backend: str
) -> None:
    project = new_project(backend=backend)
    first = project.doit("test", "--", "-k", "answer", "-o", "console_output_style=classic")
    assert "1 passed, 1 deselected" in first.output
    # Nothing changed: not run again, and the output says so.
    cached = project.doit("test", "--", "-k", "answer", "-o", "console_output_style=classic")
    assert "tests passed before and nothing they depend on changed" in cached.output
    assert cached.ran == []
    # Other arguments are another run.
    assert "2 passed" in project.doit("test").output

    project.write(
        "tests/test_demo.py", project.read("tests/test_demo.py") + "\n\ndef test_broken():\n    assert False\n"
    )
    failed = project.doit("test", ok=False)
    assert "the tests failed" in failed.output
    assert "1 failed" in project.doit("test", ok=False).output  # a failure is never cached

    (project.path / "tests" / "test_demo.py").touch()
    project.write("tests/test_demo.py", project.read("tests/test_demo.py").replace("assert False", "assert True"))
    assert "3 passed" in project.doit("test").output
    project.write("src/demo/__init__.py", project.read("src/demo/__init__.py") + "\n")
    assert "3 passed" in project.doit("test").output  # a source edit reruns the tests


def test_the_default_test_command_runs_with_coverage(new_project: ProjectFactory) -> None:
    project = new_project(dev_requirements="-r requirements.txt\npytest\npytest-cov\n")
    pyproject = project.read("pyproject.toml").replace('test-command = "pytest tests -q -p no:cacheprovider"\n', "")
    project.write("pyproject.toml", pyproject)
    output = project.doit("test").output
    assert "2 passed" in output and "Missing" in output  # --cov-report=term-missing


def test_a_test_command_missing_from_the_venv_is_named(new_project: ProjectFactory) -> None:
    project = new_project(dev_requirements="-r requirements.txt\n")
    result = project.doit("test", ok=False)
    assert "pytest is not installed in venv/: add it to requirements-dev.in" in result.output


def test_format_runs_ruff_and_leaves_clean_files_alone(new_project: ProjectFactory) -> None:
    project = new_project(dev_requirements="-r requirements.txt\npytest\nruff\n")
    project.write("src/demo/ugly.py", "import os\nx = [1,2,\n  3]\n")
    first = project.doit("format")
    assert project.read("src/demo/ugly.py") == "x = [1, 2, 3]\n"  # formatted, unused import fixed
    assert any("ruff format" in cmd for cmd in first.ran)
    assert project.doit("format").ran == []
    project.write("src/demo/ugly.py", "y = {1:2}\n")
    project.doit("format")
    assert project.read("src/demo/ugly.py") == "y = {1: 2}\n"


def test_format_formats_and_lints_notebooks(new_project: ProjectFactory) -> None:
    project = new_project(dev_requirements="-r requirements.txt\npytest\nruff\n")
    project.write("notebooks/explore.ipynb", notebook("import os\nx = [1,2,\n  3]", "y = {1:2}"))
    checkpoint = project.write("notebooks/.ipynb_checkpoints/explore-checkpoint.ipynb", notebook("z = {1:2}"))
    project.doit("format")
    assert cell_sources(project.read("notebooks/explore.ipynb")) == ["x = [1, 2, 3]", "y = {1: 2}"]
    assert cell_sources(checkpoint.read_text()) == ["z = {1:2}"]  # Jupyter's copy is Jupyter's
    assert project.doit("format").ran == []

    # An edited notebook is formatted again; lint problems that cannot be fixed fail the task.
    project.write("notebooks/explore.ipynb", notebook("print(undefined_name)"))
    result = project.doit("format", ok=False)
    assert "notebooks/explore.ipynb" in result.output and "undefined_name" in result.output


def test_clean_removes_artifacts_but_not_locks_or_venv(new_project: ProjectFactory) -> None:
    project = new_project()
    project.doit("dev")
    junk = [
        ".coverage",
        "src/demo/__pycache__/x.pyc",
        "tests/old.pyc",
        "build/lib/x",
        "dist/demo.whl",
        "src/demo.egg-info/PKG-INFO",
        "notes/.ipynb_checkpoints/n.ipynb",
        ".pytest_cache/v",
    ]
    for name in junk:
        project.write(name, "")
    # Bytecode inside the venv is the venv's (syncs write none: Python does, on import).
    site = next((project.path / "venv").rglob("site-packages"))
    (site / "__pycache__").mkdir(exist_ok=True)
    (site / "__pycache__" / "kept.cpython-311.pyc").write_bytes(b"")
    venv_cache = list((project.path / "venv").rglob("__pycache__"))

    dry = project.doit("clean", "-n")
    assert "would remove .coverage" in dry.output and (project.path / ".coverage").exists()
    project.doit("clean")
    assert [name for name in junk if (project.path / name).exists()] == []
    assert all(path.exists() for path in venv_cache)
    assert project.doit("dev").ran == []  # venv and locks untouched


def test_clean_never_removes_what_git_tracks(new_project: ProjectFactory) -> None:
    project = new_project()
    project.write("build/Dockerfile", "FROM python\n")  # a tracked folder that happens to be called build
    project.write(".coverage", "committed by mistake, but committed")
    project.write("dist/demo.whl", "")
    subprocess.run(["git", "init", "-q"], cwd=project.path, check=True)
    subprocess.run(["git", "add", "build", ".coverage"], cwd=project.path, check=True)
    result = project.doit("clean")
    assert "keeping build: git tracks files in it" in result.output
    assert "keeping .coverage: git tracks it" in result.output
    assert (project.path / "build" / "Dockerfile").exists() and (project.path / ".coverage").exists()
    assert not (project.path / "dist").exists()


# Each a real way for git to give no answer in a repository: not installed, refusing a repository
# owned by someone else (git's own switch for that check: only root could chown the folder), broken.
GIT_CANNOT_ANSWER = {
    "git missing from PATH": ({"PATH": "/nonexistent"}, None, "cannot start git"),
    "dubious ownership": ({"GIT_TEST_ASSUME_DIFFERENT_OWNER": "1"}, None, "git: detected dubious ownership in"),
    "corrupt HEAD": ({}, ".git/HEAD", "git: not a git repository"),
}


@pytest.mark.parametrize("way", GIT_CANNOT_ANSWER)
def test_clean_removes_nothing_git_may_track_when_git_cannot_answer(new_project: ProjectFactory, way: str) -> None:
    env, broken, reason = GIT_CANNOT_ANSWER[way]
    project = new_project()
    project.write("build/Dockerfile", "FROM python\n")
    project.write("dist/notes.txt", "committed\n")
    subprocess.run(["git", "init", "-q"], cwd=project.path, check=True)
    subprocess.run(["git", "add", "build", "dist"], cwd=project.path, check=True)
    project.write("build/Dockerfile", "FROM python\nRUN an uncommitted edit\n")
    scratch = project.write(".requirements.txt.doitenv-tmp", "")  # doitenv's own: removed all the same
    if broken:
        project.write(broken, "garbage\n")
    result = project.doit("clean", env=env)
    assert project.read("build/Dockerfile") == "FROM python\nRUN an uncommitted edit\n"
    assert project.read("dist/notes.txt") == "committed\n"
    assert not scratch.exists()
    line = next(line for line in result.output.splitlines() if "are kept" in line)
    assert line.startswith("doitenv: build/ and dist/ are kept: git could not say which files it tracks ("), line
    assert reason in line and line.endswith("once `git ls-files` works here, `doit clean` removes the rest"), line


def test_distclean_removes_venv_and_state_and_dev_comes_back(new_project: ProjectFactory) -> None:
    project = new_project()
    project.doit("test")
    project.doit("distclean")
    assert not (project.path / "venv").exists()
    assert not (project.path / ".venv").exists()  # virtualenv's redirect to it goes with it
    assert (project.path / "requirements.txt").exists() and (project.path / "requirements-dev.txt").exists()
    result = project.doit("test")
    assert "2 passed" in result.output  # doit's state was forgotten: the tests run again
    assert result.compiled() == []
    assert "no passing run on record" not in result.output  # the last run passed; distclean forgot it


def test_paths_with_spaces_quotes_and_dollars_work(new_project: ProjectFactory, backend: str) -> None:
    project = new_project(folder="my project 'q' $HOME é", backend=backend)
    if sys.version_info < (3, 10):
        # Python 3.9's sysconfig expands $HOME in the venv's own path, so pip and uv install
        # elsewhere: the sync looked green over an empty venv; the check after it says so.
        failed = project.doit("dev", ok=False).output
        assert "requirements-dev.in: pytest is not installed in venv/: the lock pins it" in failed
        return
    assert "2 passed" in project.doit("test").output
    assert project.doit("dev").ran == []


def test_pre_commit_is_installed_by_dev_and_runs_format(
    new_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PRE_COMMIT_HOME", str(tmp_path / "pre-commit-home"))
    project = new_project(dev_requirements="-r requirements.txt\npytest\nruff\npre-commit\n")
    project.write(".pre-commit-config.yaml", scaffold.PRE_COMMIT)  # what `doitenv init` writes
    project.write("src/demo/ugly.py", "x = [1,2,\n  3]\n")
    subprocess.run(["git", "init", "-q"], cwd=project.path, check=True)
    subprocess.run(["git", "add", "-A"], cwd=project.path, check=True)

    project.doit("dev")
    hook = project.path / ".git" / "hooks" / "pre-commit"
    assert hook.exists()
    hook.unlink()
    again = project.doit("dev")
    assert hook.exists() and not again.synced()

    project.doit("format")
    assert project.read("src/demo/ugly.py") == "x = [1, 2, 3]\n"
    assert project.doit("format").ran == []


def test_a_test_command_the_project_does_not_fit_is_named(new_project: ProjectFactory) -> None:
    """Tests inside the package (src/pkg/tests) met pytest's bare "file or directory not found:
    tests"; the default --cov without pytest-cov met "unrecognized arguments" (issue 30: the
    reference workflow's own project stopped there)."""
    project = new_project()
    project.write(
        "pyproject.toml",
        project.read("pyproject.toml").replace('test-command = "pytest tests -q -p no:cacheprovider"\n', ""),
    )
    # The default command asks for coverage: without pytest-cov (the reference workflow's own dev
    # requirements hold pytest alone) it runs without, and says so; a command set so does not.
    passed = project.doit("test").output
    assert (
        "doitenv: pytest-cov is not in requirements-dev.txt, so the tests run without coverage "
        "(add pytest-cov to requirements-dev.in for it; tool.doitenv.test-command in pyproject.toml sets the command)"
    ) in passed
    assert "2 passed" in passed
    project.write("pyproject.toml", project.read("pyproject.toml") + 'test-command = "pytest tests --cov=src"\n')
    failed = project.doit("test", ok=False).output
    needs = "pyproject.toml: tool.doitenv.test-command: it passes --cov=src, which needs pytest-cov: add pytest-cov to"
    assert f"{needs} requirements-dev.in, or drop --cov" in failed
    project.write(
        "pyproject.toml", project.read("pyproject.toml").replace('test-command = "pytest tests --cov=src"\n', "")
    )
    (project.path / "tests").rename(project.path / "src" / "demo" / "tests")
    project.write("pyproject.toml", project.read("pyproject.toml") + 'test-command = "pytest tests -q"\n')
    failed = project.doit("test", ok=False).output
    assert "pyproject.toml: tool.doitenv.test-command: it names tests, which proj/ does not have" in failed


def test_command_lines_show_on_request_and_doit_list_names_doit_clean(
    new_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each tool's command line was printed on every run; `doit clean` (doit's own command, not
    a task) was missing from `doit list` although the README lists it."""
    monkeypatch.delenv("DOITENV_SHOW_COMMANDS")
    project = new_project()
    quiet = project.doit("dev").output
    assert "doitenv: pinning requirements.in into requirements.txt" in quiet
    assert "doitenv: $" not in quiet and " compile " not in quiet
    assert "`doit clean`" in project.doit("list").output

    project.write("requirements.in", "alpha\ngamma\n")
    project.write("pyproject.toml", project.read("pyproject.toml") + "show-commands = true\n")
    shown = project.doit("dev")
    assert shown.compiled() == ["requirements.in", "requirements-dev.in"], shown.output
