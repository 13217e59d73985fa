"""The output level a user picks (DOITENV_OUTPUT), on a real `doit dev`: quiet says only what
needs the user, verbose shows each tool's command line."""

from __future__ import annotations

import pytest

from tests.helpers import ProjectFactory

QUIET = {"DOITENV_OUTPUT": "quiet"}


def _doitenv_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("doitenv: ")]


def test_quiet_says_only_a_failure_and_verbose_shows_the_command_lines(
    new_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every run printed each step it took, with no way to ask for less, or for the command
    lines without a setting in pyproject.toml."""
    monkeypatch.delenv("DOITENV_SHOW_COMMANDS")
    project = new_project()
    project.doit("dev")
    assert _doitenv_lines(project.doit("dev", env=QUIET).output) == []  # up to date

    project.write("requirements.in", "alpha\ngamma\n")  # work to do: a pin and a sync, said at normal
    quiet = project.doit("dev", env=QUIET)
    assert _doitenv_lines(quiet.output) == [], quiet.output
    assert "gamma==" in project.read("requirements.txt")

    project.write("requirements.in", "alpha\nno-such-package\n")
    failed = project.doit("dev", ok=False, env=QUIET).output
    assert "requirements.in: could not pin it (requirements.txt is unchanged)" in failed
    assert "pinning requirements.in" not in failed

    project.write("requirements.in", "alpha\n")
    verbose = project.doit("dev", env={"DOITENV_OUTPUT": "verbose"})
    assert verbose.compiled() == ["requirements.in", "requirements-dev.in"], verbose.output
    assert "doitenv: pinning requirements.in into requirements.txt" in verbose.output

    unknown = project.doit("dev", env={"DOITENV_OUTPUT": "loud"}).output
    said = "doitenv: DOITENV_OUTPUT='loud' is no output level: use one of quiet, normal, verbose"
    assert unknown.splitlines().count(said) == 1, unknown
