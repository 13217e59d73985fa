"""`doit check` for CI and `doit upgrade` to move pins on purpose."""

from __future__ import annotations

import shutil
import sys

import pytest

from tests.helpers import ProjectFactory, have_python

PYTHON = f"{sys.version_info[0]}.{sys.version_info[1]}"  # the venv's, made from the Python running doit


def test_check_passes_when_in_step_and_names_each_problem_with_its_fix(new_project: ProjectFactory) -> None:
    project = new_project()
    project.doit("dev")
    ok = project.doit("check")
    assert "locks fresh, layers agree, venv in step" in ok.output and ok.ran == []

    shutil.rmtree(project.path / "venv")  # CI: a fresh clone has no venv
    without = project.doit("check")
    assert without.ran == [] and "locks fresh, layers agree, no venv/ here to check" in without.output
    project.doit("dev")

    project.write("requirements.in", "alpha\ndelta\n")
    lock = project.read("requirements-dev.txt")
    project.write("requirements-dev.txt", lock.replace("beta==2.0", "beta==1.0"))
    project.pip("install", "gamma")
    result = project.doit("check", ok=False)
    problems = result.output.split("TaskFailed - taskid:check\n", 1)[1].strip().splitlines()
    assert problems == [
        f"requirements.txt is stale for requirements.in and Python {PYTHON}: run `doit requirements.txt` to pin it "
        "again from requirements.in",
        "requirements-dev.txt was edited by hand: its pins are not the ones doitenv wrote from its inputs: run "
        "`doit requirements-dev.txt` to pin it again from requirements-dev.in",
        "requirements-dev.txt pins beta==1.0 but requirements.txt pins beta==2.0: run `doit requirements-dev.txt`",
        "venv/ is out of step: requirements-dev.txt changed since the last sync: run `doit dev`",
    ]
    assert result.ran == []


def test_upgrade_moves_pins_on_purpose_in_both_layers(new_project: ProjectFactory) -> None:
    project = new_project(requirements="beta<2\n")
    project.doit("dev")
    assert "beta==1.0" in project.pins("requirements-dev.txt")

    project.write("requirements.in", "beta\n")
    project.doit("dev")
    assert "beta==1.0" in project.pins("requirements.txt")  # a plain compile keeps existing pins

    result = project.doit("upgrade", "--package", "beta")
    assert "doitenv: requirements.txt: beta 1.0 -> 2.0" in result.output
    assert "doitenv: requirements-dev.txt: beta 1.0 -> 2.0" in result.output
    assert "beta==2.0" in project.installed()

    back = project.doit("upgrade", "--package=beta==1.0")  # a bare NAME==VERSION is a doit variable
    assert "doitenv: requirements.txt: beta 2.0 -> 1.0" in back.output
    everything = project.doit("upgrade")
    assert "beta 1.0 -> 2.0" in everything.output
    assert "nothing moved" in project.doit("upgrade").output
    assert project.doit("check").ran == []

    # A name no lock holds (misspelt, say) is not "nothing moved": it is said, and nothing is pinned.
    unknown = project.doit("upgrade", "--package", "btea", ok=False)
    assert "doit upgrade: no lock pins btea and no input asks for it" in unknown.output
    assert unknown.compiled() == [] and "Traceback" not in unknown.output
    # One an input asks for, before any lock holds it, is pinned.
    project.write("requirements.in", "beta\ngamma\n")
    assert "requirements.txt: gamma - -> 1.0" in project.doit("upgrade", "--package", "gamma").output


def test_check_sees_a_changed_python_setting(new_project: ProjectFactory) -> None:
    """Locks and a venv of the running Python, `python` set to another: check said all was well,
    and the next `doit dev` rebuilt the venv and pinned both locks again."""
    other = "3.12" if PYTHON != "3.12" else "3.11"
    if not have_python(other):
        pytest.skip(f"Python {other} is not installed here")
    project = new_project()
    project.doit("dev")
    project.write("pyproject.toml", project.read("pyproject.toml") + f'python = "{other}"\n')
    problems = project.doit("check", ok=False).output
    assert f"requirements.txt is stale for requirements.in and Python {other}: run `doit requirements.txt`" in problems
    assert "venv/ must be made again: " in problems and "run `doit dev`" in problems
    shutil.rmtree(project.path / "venv")  # CI, with no venv: the setting still decides
    assert (
        f"requirements-dev.txt is stale for requirements-dev.in and Python {other}"
        in project.doit("check", ok=False).output
    )


def test_check_before_the_first_lock_names_only_the_missing_lock(new_project: ProjectFactory) -> None:
    """It also told the user to add the project's dependencies to a lock that did not exist yet."""
    project = new_project()
    project.write(
        "pyproject.toml", project.read("pyproject.toml").replace("description", 'dependencies = ["alpha"]\ndescription')
    )
    output = project.doit("check", ok=False).output
    assert "requirements.txt is missing or was not written by doitenv: run `doit requirements.txt`" in output
    assert "depends on" not in output


def test_an_upgrade_the_dev_layer_cannot_follow_changes_no_lock(new_project: ProjectFactory) -> None:
    """The runtime lock was left upgraded and the dev lock not: dev, test and check failed after."""
    project = new_project(requirements="alpha\nbeta<2\n", dev_requirements="-r requirements.txt\nneeds-old-beta\n")
    project.doit("dev")
    project.write("requirements.in", "alpha\n")  # beta may move to 2.0 now, but the dev layer needs beta<2
    project.doit("dev")
    assert "beta==1.0" in project.pins("requirements.txt")
    before = {lock: (project.path / lock).read_bytes() for lock in ("requirements.txt", "requirements-dev.txt")}
    result = project.doit("upgrade", ok=False)
    last = result.output.strip().splitlines()[-1]
    assert last == (
        "doit upgrade: requirements-dev.txt could not be pinned on top of the upgraded requirements.txt, so "
        "every lock is as it was before the upgrade"
    ), result.output
    assert {lock: (project.path / lock).read_bytes() for lock in before} == before
    project.doit("check")
    assert project.doit("dev").ran == []
