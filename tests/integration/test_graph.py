"""The core task graph on a real project: cold set-up, no-op, freshness by content."""

from __future__ import annotations

import os
import shutil

from tests.helpers import ProjectFactory


def test_cold_dev_builds_everything_and_venv_holds_exactly_the_lock(new_project: ProjectFactory, backend: str) -> None:
    project = new_project(backend=backend)
    result = project.doit("dev")
    assert result.compiled() == ["requirements.in", "requirements-dev.in"]
    assert "alpha==1.0" in project.pins("requirements.txt")
    assert project.pins("requirements.txt") <= project.pins("requirements-dev.txt")
    # Exactly the lock, plus the project (editable) and, with pip-tools, the pip virtualenv seeded.
    extra = project.installed() - project.pins("requirements-dev.txt")
    assert {pin.split("==")[0] for pin in extra} == ({"pip"} if backend == "pip-tools" else set())
    assert project.installed(editable=True) - project.installed() == {"demo==0.1.0"}


def test_no_op_dev_starts_no_process(new_project: ProjectFactory, backend: str) -> None:
    project = new_project(backend=backend)
    project.doit("dev")
    again = project.doit("dev")
    assert again.ran == []
    assert all(line.startswith("-- ") for line in again.output.splitlines()), again.output
    assert project.doit().ran == []  # plain `doit` runs dev


def test_touching_inputs_reruns_nothing_and_fresh_clone_runs_no_resolver(
    new_project: ProjectFactory, backend: str
) -> None:
    project = new_project(backend=backend)
    project.doit("dev")
    for name in ("requirements.in", "requirements-dev.in", "requirements.txt", "requirements-dev.txt"):
        os.utime(project.path / name, (1, 1))  # as if checked out long ago, in any order
    assert project.doit("dev").ran == []

    # A clone: committed files only, no venv, no doit state.
    shutil.rmtree(project.path / "venv")
    shutil.rmtree(project.path / ".doitenv")
    os.utime(project.path / "requirements.in", None)  # the .in now looks newer than its lock
    clone = project.doit("dev")
    assert clone.compiled() == []
    assert clone.synced()


def test_an_edit_recompiles_exactly_the_locks_it_affects(new_project: ProjectFactory, backend: str) -> None:
    project = new_project(backend=backend)
    project.doit("dev")
    runtime_lock = project.read("requirements.txt")

    project.write("requirements-dev.in", "-r requirements.txt\npytest\ndelta\n")
    result = project.doit("dev")
    assert result.compiled() == ["requirements-dev.in"]
    assert project.read("requirements.txt") == runtime_lock
    assert "delta==1.0" in project.installed()

    project.write("requirements.in", "alpha\ngamma\n")
    result = project.doit("dev")
    assert result.compiled() == ["requirements.in", "requirements-dev.in"]
    assert "gamma==1.0" in project.pins("requirements-dev.txt")


def test_a_lock_is_recompiled_when_an_included_file_changes(new_project: ProjectFactory) -> None:
    project = new_project(requirements="-c constraints.txt\nalpha\n")
    project.write("constraints.txt", "beta<2\n")
    project.doit("requirements.txt")  # a task can be run by its target
    assert "beta==1.0" in project.pins("requirements.txt")
    project.write("constraints.txt", "beta>=2\n")
    assert project.doit("requirements.txt").compiled() == ["requirements.in"]
    assert "beta==2.0" in project.pins("requirements.txt")


def test_locks_are_portable(new_project: ProjectFactory, backend: str) -> None:
    project = new_project(requirements="gamma[fast]\n", backend=backend)
    project.doit("requirements-dev.txt")
    for lock in ("requirements.txt", "requirements-dev.txt"):
        text = project.read(lock)
        assert "gamma==1.0" in text and "[fast]" not in text
        for machine_specific in (
            "--find-links",
            "--index-url",
            "--extra-index-url",
            "file:",
            str(project.path),
            "/tmp",
        ):
            assert machine_specific not in text, (lock, machine_specific, text)
        assert f"doit {lock}" in text  # the header says how to remake it


def test_a_lock_from_one_backend_is_fresh_for_the_other(new_project: ProjectFactory) -> None:
    project = new_project(backend="pip-tools")
    project.doit("dev")
    locks = (project.read("requirements.txt"), project.read("requirements-dev.txt"))
    project.write("pyproject.toml", project.read("pyproject.toml").replace('"pip-tools"', '"uv"'))
    switched = project.doit("dev")
    assert "made for the pip-tools backend, not uv" in switched.output  # the venv is remade
    assert switched.compiled() == []
    assert (project.read("requirements.txt"), project.read("requirements-dev.txt")) == locks
    assert project.installed() == project.pins("requirements-dev.txt")
