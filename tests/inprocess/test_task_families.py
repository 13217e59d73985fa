"""The middle tier: doit driven in-process (`DoitMain` with `ModuleTaskLoader`), as doit-py's
tests drive it, for what the task families decide before any tool runs: the graph, the
messages of `check` and of a missing tool or setting. Fast: no venv, no resolver, no process."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.inprocess import running

PYPROJECT = """\
[project]
name = "demo"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["alpha"]

[tool.doitenv]
{tool}"""


@pytest.fixture
def doit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Run doit's command line in this process on a project in tmp_path: (exit code, output)."""

    def run(*args: str, tool: str = "", files: dict[str, str] | None = None) -> tuple[int, str]:
        project = tmp_path / "proj"
        project.mkdir(exist_ok=True)
        (project / "pyproject.toml").write_text(PYPROJECT.format(tool=tool))
        for name, text in {
            "requirements.in": "alpha\n",
            "requirements-dev.in": "-r requirements.txt\n",
            **(files or {}),
        }.items():
            (project / name).write_text(text)
        monkeypatch.chdir(project)
        return running.doit(capsys, *args)

    return run


def test_the_graph_lists_every_task_with_its_layer_and_source(doit) -> None:  # type: ignore[no-untyped-def]
    code, output = doit("list")
    assert code == 0, output
    for name in (
        "venv",
        "requirements.txt",
        "requirements-dev.txt",
        "dev",
        "prod",
        "test",
        "format",
        "check",
        "upgrade",
        "kernel",
        "watch",
        "distclean",
    ):
        assert f"\n{name} " in "\n" + output, output
    assert "Sync the venv to requirements-dev.txt, project editable\n" in output, output
    assert not Path("venv").exists()  # listing starts nothing


def test_a_dev_layer_from_pyproject_is_named_as_such(doit) -> None:  # type: ignore[no-untyped-def]
    tool = 'dev-requirements-from = ["requirements.txt", "group:test"]\n'
    code, output = doit("list", tool=tool + "\n[dependency-groups]\ntest = ['pytest']\n")
    assert code == 0, output
    # Named by the table a requirement is added to (it said "pyproject.toml's dev sources").
    assert (
        "Pin pyproject.toml's [dependency-groups] test (layered on requirements.txt) into requirements-dev.txt"
        in output
    )


def test_the_sync_tasks_promise_an_editable_install_only_of_a_project_that_has_one(doit) -> None:  # type: ignore[no-untyped-def]
    # Scripts and notebooks with a pyproject.toml for settings only: nothing is installed.
    # (A project with a [project] table is listed with it in the test above.)
    code, output = doit("list", files={"pyproject.toml": "[tool.doitenv]\n"})
    assert code == 0, output
    assert "Sync the venv to requirements-dev.txt\n" in output, output
    assert "Sync the venv to requirements.txt only\n" in output, output


def test_check_names_every_missing_lock_and_the_command_that_pins_it(doit) -> None:  # type: ignore[no-untyped-def]
    code, output = doit("check")
    assert code != 0
    assert "requirements.txt is missing or was not written by doitenv: run `doit requirements.txt`" in output
    assert "requirements-dev.txt is missing or was not written by doitenv: run `doit requirements-dev.txt`" in output
    assert "Traceback" not in output


def test_a_missing_uv_is_said_once_naming_the_setting(doit, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """It read "pyproject.toml: pyproject.toml: tool.doitenv asks for uv": two places added the file."""
    monkeypatch.setitem(sys.modules, "uv", None)  # the doitenv[uv] extra is not installed ...
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # ... and no uv on PATH
    code, output = doit(
        "venv", tool='backend = "uv"\npython = "' + f"{sys.version_info[0]}.{sys.version_info[1]}" + '"\n'
    )
    assert code != 0
    assert output.count("tool.doitenv asks for uv") == 1, output
    assert "pyproject.toml: pyproject.toml:" not in output and "Traceback" not in output


def test_an_interpreter_that_is_not_there_is_named_with_its_setting(doit) -> None:  # type: ignore[no-untyped-def]
    code, output = doit("venv", tool='python = "2.1"\n')
    assert code != 0
    assert output.count("pyproject.toml: tool.doitenv.python: ") == 1, output
    assert "Traceback" not in output


def test_a_bad_setting_is_one_line_naming_its_key(doit) -> None:  # type: ignore[no-untyped-def]
    code, output = doit("list", tool='backend = "conda"\n')
    assert code != 0
    assert "tool.doitenv.backend must be one of 'pip-tools', 'uv', not 'conda'" in output
    assert "Traceback" not in output


def test_a_matrix_entry_whose_python_is_missing_says_which_entry(doit) -> None:  # type: ignore[no-untyped-def]
    code, output = doit("--single", "matrix:2.1", tool='pythons = ["2.1"]\n')
    assert code != 0
    assert "Python 2.1 (py2.1/): pyproject.toml: tool.doitenv.python: no Python interpreter '2.1'" in output
    assert "Traceback" not in output


def test_a_project_table_of_the_wrong_type_is_one_line_naming_its_key(doit) -> None:  # type: ignore[no-untyped-def]
    """`dependencies = "abc"` was pinned as the three requirements a, b and c."""
    bad = PYPROJECT.format(tool='requirements-from = ["project"]\n').replace('["alpha"]', '"abc"')
    code, output = doit("list", files={"pyproject.toml": bad})
    assert code != 0
    said = "pyproject.toml: project.dependencies must be a list of requirement strings, such as [\"abc\"], not 'abc'"
    assert output.count(said) == 1, output
    assert "Traceback" not in output
