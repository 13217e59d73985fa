"""`pythons = [...]`: a venv per interpreter and `matrix:X.Y` test tasks that run in parallel."""

from __future__ import annotations

import sys

import pytest

from tests.helpers import ProjectFactory, have_python

pytestmark = pytest.mark.skipif(
    sys.version_info[:2] != (3, 11) or not (have_python("3.12") and have_python("3.13")),
    reason="needs CPython 3.11 running the tests, and 3.12 and 3.13 installed",
)


def test_the_matrix_tests_on_each_python_in_parallel(new_project: ProjectFactory) -> None:
    project = new_project(tool='pythons = ["3.12", "3.13"]\n')
    listing = project.doit("list", "--all").output
    assert "matrix:3.13" in listing and "matrix:3.12" in listing
    result = project.doit("-n", "2", "matrix")
    assert result.output.count("2 passed") == 2
    for version in ("3.12", "3.13"):
        cfg = (project.path / ".doitenv" / f"py{version}" / "pyvenv.cfg").read_text()
        assert f"version_info = {version}." in cfg
    again = project.doit("-n", "2", "matrix")
    assert again.ran == [] and again.output.count("tests passed before") == 2
    project.doit("distclean")
    assert not (project.path / ".doitenv" / "py3.12").exists()


def test_a_lock_one_python_cannot_install_fails_there_and_nowhere_else(new_project: ProjectFactory) -> None:
    project = new_project(requirements="only311\n", tool='pythons = ["3.12"]\n')
    assert "2 passed" in project.doit("test").output
    failed = project.doit("--continue", "matrix", ok=False)
    assert "Python 3.12 (py3.12/): requirements-dev.txt: could not sync py3.12/" in failed.output
    assert "tests passed before" in project.doit("test").output  # the main venv is untouched
    assert project.doit("dev").ran == []


def test_the_matrix_syncs_one_universal_lock_on_every_python(new_project: ProjectFactory) -> None:
    project = new_project(
        requirements='alpha\nbeta<2; python_version < "3.12"\nbeta>=2; python_version >= "3.12"\n',
        tool='universal = true\nuniversal-python = ">=3.10"\npythons = ["3.12", "3.13"]\n',
    )
    assert "2 passed" in project.doit("test").output
    locks = {name: project.read(name) for name in ("requirements.txt", "requirements-dev.txt")}
    result = project.doit("-n", "2", "matrix")
    assert result.compiled() == [] and result.output.count("2 passed") == 2, result.output
    assert {name: project.read(name) for name in locks} == locks
    # One lock, and each interpreter gets what its markers give it.
    assert "beta==1.0" in project.installed()
    for version in ("3.12", "3.13"):
        assert "beta==2.0" in project.installed(venv=f".doitenv/py{version}")
