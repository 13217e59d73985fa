"""`pythons = [...]`: a venv per interpreter and `matrix:X.Y` test tasks that run in parallel.

The interpreters are the ones installed here, so that the matrix runs wherever the suite does (our
CI included): others than the running one where there are, else the running one again, which
still has a venv and a task of its own.
"""

from __future__ import annotations

import pytest

from doitenv import interpreter
from tests.helpers import ProjectFactory, have_python

RUNNING = interpreter.running_version()
SUPPORTED = ("3.9", "3.10", "3.11", "3.12", "3.13")


def _minor(version: str) -> int:
    return int(version.split(".")[1])


def _others(fitting_the_running_lock: bool) -> list[str]:
    """The installed Pythons other than the running one. Fitting: those a lock pinned for the running
    one installs and runs pytest on (pytest needs tomli and exceptiongroup below 3.11 only, so a lock
    pinned on 3.11 or newer lacks them for an older Python)."""
    found = [v for v in SUPPORTED if v != RUNNING and have_python(v)]
    if fitting_the_running_lock and _minor(RUNNING) >= 11:
        found = [v for v in found if _minor(v) >= 11]
    return found


def _two_pythons() -> list[str]:
    """Two entries for the matrix: other Pythons, or the running one where there is no second."""
    others = _others(True)
    return others[:2] if len(others) >= 2 else [*others, RUNNING]


def test_the_matrix_tests_on_each_python_in_parallel(new_project: ProjectFactory) -> None:
    pythons = _two_pythons()
    project = new_project(tool=f"pythons = {pythons!r}\n".replace("'", '"'))
    listing = project.doit("list", "--all").output
    assert all(f"matrix:{version}" in listing for version in pythons), listing
    result = project.doit("-n", "2", "matrix")
    assert result.output.count("2 passed") == len(pythons), result.output
    for version in pythons:
        cfg = (project.path / ".doitenv" / f"py{version}" / "pyvenv.cfg").read_text()
        assert f"version_info = {version}." in cfg
    again = project.doit("-n", "2", "matrix")
    assert again.ran == [] and again.output.count("tests passed before") == len(pythons)
    project.doit("distclean")
    assert not any((project.path / ".doitenv" / f"py{version}").exists() for version in pythons)


@pytest.mark.skipif(not _others(False), reason="needs a second Python installed (pyenv or PATH)")
def test_a_lock_one_python_cannot_install_fails_there_and_nowhere_else(new_project: ProjectFactory) -> None:
    other = _others(False)[-1]
    project = new_project(requirements="onlyhere\n", tool=f'pythons = ["{other}"]\n')
    assert "2 passed" in project.doit("test").output
    failed = project.doit("--continue", "matrix", ok=False)
    assert f"Python {other} (py{other}/): requirements-dev.txt: could not sync py{other}/" in failed.output
    assert "tests passed before" in project.doit("test").output  # the main venv is untouched
    assert project.doit("dev").ran == []


@pytest.mark.skipif(not _others(False), reason="needs a second Python installed (pyenv or PATH)")
def test_the_matrix_syncs_one_universal_lock_on_every_python(new_project: ProjectFactory) -> None:
    pythons = _others(False)[-2:]
    lowest = min([RUNNING, *pythons], key=_minor)
    project = new_project(
        requirements=f'alpha\nbeta<2; python_version == "{RUNNING}"\nbeta>=2; python_version != "{RUNNING}"\n',
        tool=f'universal = true\nuniversal-python = ">={lowest}"\npythons = {pythons!r}\n'.replace("'", '"'),
    )
    assert "2 passed" in project.doit("test").output
    locks = {name: project.read(name) for name in ("requirements.txt", "requirements-dev.txt")}
    result = project.doit("-n", "2", "matrix")
    assert result.compiled() == [] and result.output.count("2 passed") == len(pythons), result.output
    assert {name: project.read(name) for name in locks} == locks
    # One lock, and each interpreter gets what its markers give it.
    assert "beta==1.0" in project.installed()
    for version in pythons:
        assert "beta==2.0" in project.installed(venv=f".doitenv/py{version}")
