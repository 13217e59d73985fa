"""The one way out for an error a user reads: errors.describe and errors.leave, shared by the
tasks, the `doitenv` command and a watch."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from doitenv import cli, errors, interpreter
from doitenv.config import ConfigError
from doitenv.errors import Failure
from doitenv.runner import CommandFailed


def test_context_is_a_field_rendered_before_the_last_line_and_after_it() -> None:
    failed = Failure("pip said this\nalpha==9 does not exist: fix requirements.in", about=["requirements.txt"])
    failed.add(about="Python 3.10 (venv-3.10/)", then="every lock is as it was")
    assert str(failed) == (
        "pip said this\nPython 3.10 (venv-3.10/): requirements.txt: alpha==9 does not exist: fix requirements.in\n"
        "every lock is as it was"
    )
    assert failed.message.startswith("pip said this")  # what the raiser said, as it said it


def test_every_error_a_user_can_see_is_described_by_the_one_function() -> None:
    assert errors.describe(ConfigError(["a: one", "b: two"])) == "a: one\nb: two"
    assert errors.describe(CommandFailed(["tool", "x y"], 3, "out")) == "tool 'x y' exited with 3"
    missing = interpreter.InterpreterNotFound("no 2.9", about=[interpreter.SETTING])
    assert errors.describe(missing) == "pyproject.toml: tool.doitenv.python: no 2.9"
    refused = OSError(28, "No space left on device", "/nowhere/requirements.txt")
    assert str(errors.describe(refused)).endswith(
        "nowhere/requirements.txt: No space left on device: the disk is full: free some space and run again"
    )
    assert errors.describe(KeyError("x")) is None  # a bug: its traceback stays


def test_leave_prints_one_line_and_gives_the_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert errors.leave(Failure("x.toml: fix it"), 3) == 3
    assert capsys.readouterr().err == "doitenv: x.toml: fix it\n"
    with pytest.raises(KeyError):
        errors.leave(KeyError("a bug"))


def _layers_that_include_each_other(root: Path) -> None:
    (root / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "1"\n')
    (root / "requirements.in").write_text("-r requirements-dev.txt\n")
    (root / "requirements-dev.in").write_text("-r requirements.txt\n")


def test_ci_on_layers_that_include_each_other_is_one_line_and_leaves_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Was: a ConfigError traceback, and an empty .github/ left behind."""
    _layers_that_include_each_other(tmp_path)
    assert cli.main(["ci", "github", str(tmp_path)]) == 2
    said = capsys.readouterr().err
    assert said == (
        "doitenv: requirements.in and requirements-dev.in pull in each other's locks (-r/-c), so none of them can "
        "be pinned first: remove one of those includes\n"
    )
    assert not (tmp_path / ".github").exists()


def test_ci_that_cannot_write_its_workflow_is_one_line_and_leaves_no_empty_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "1"\n')
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "workflows").write_text("a file where the folder goes\n")
    assert cli.main(["ci", "github", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith("doitenv: ")
    assert sorted(path.name for path in (tmp_path / ".github").iterdir()) == ["workflows"]


def test_init_with_a_name_that_is_no_package_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["init", str(tmp_path / "p"), "--name", "no-dashes"]) == 2
    assert capsys.readouterr().err == (
        "doitenv: 'no-dashes' is not a valid package name (ASCII letters, digits and _): pass one with --name\n"
    )
    assert not (tmp_path / "p").exists()


def test_pip_retries_is_read_when_pip_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """PIP_ENV was read when doitenv was imported: a PIP_RETRIES set later was never seen."""
    from doitenv.backends import piptools

    assert piptools.pip_env() == {"PIP_RETRIES": "1"}  # tests/conftest.py removes the machine's PIP_*
    monkeypatch.setenv("PIP_RETRIES", "7")
    assert piptools.pip_env() == {"PIP_RETRIES": "7"}


def test_what_a_run_remembers_is_forgotten_by_one_reset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from doitenv import caches, indexes, runner, tasks

    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "1"\n')
    monkeypatch.chdir(tmp_path)
    first = tasks.project()
    runner.show_commands(True)
    indexes._WARNED.add("http://index")
    assert tasks.project() is first  # read once a run
    caches.reset()
    assert tasks.project() is not first
    assert not indexes._WARNED and not runner._show_commands.is_set()


_IMPORT_ONLY = """
import signal, sys
sys.argv = ["doit", "strace", "test"]
sys.modules["__main__"].__file__ = "/bin/doit"  # as if doit ran: the hook for a Ctrl-C between tasks
hook, term = sys.excepthook, signal.getsignal(signal.SIGTERM)
import doitenv.tasks
assert (sys.excepthook, signal.getsignal(signal.SIGTERM)) == (hook, term), "import took over the process"
print("imported")
doitenv.tasks.project()  # the first task creator: now doitenv refuses `doit strace`
"""


def test_importing_the_tasks_prepares_the_state_folder_and_nothing_else(tmp_path: Path) -> None:
    """The import refused `doit strace`, set SIGTERM's handler in a watch round and took
    sys.excepthook; now the first task creator does, before doit runs any action."""
    import subprocess
    import sys

    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "1"\n')
    env = {**os.environ, "DOITENV_WATCH_ROUND": "1"}
    done = subprocess.run([sys.executable, "-c", _IMPORT_ONLY], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert (done.returncode, done.stdout) == (2, "imported\n"), done.stderr
    assert done.stderr.startswith("doitenv: doit strace traces only shell-command actions")
    assert (tmp_path / ".doitenv" / ".gitignore").exists()


def test_init_that_fails_half_way_is_one_line_and_leaves_no_half_made_project(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A name the filesystem refuses for src/NAME/ (too long): OSError's traceback, and a folder
    holding pyproject.toml and half the rest."""
    name = "p" * 300  # a valid package name, too long for a file name
    assert cli.main(["init", str(tmp_path / "new"), "--name", name]) == 2
    said = capsys.readouterr().err
    assert said.startswith("doitenv: ") and "File name too long" in said and said.count("\n") == 1
    assert not (tmp_path / "new").exists()
