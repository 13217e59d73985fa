"""The project's editable install: built once per change of what it depends on, installed
without pip, and still importable and editable."""

from __future__ import annotations

import subprocess

from tests.helpers import ProjectFactory

# An in-tree build backend (PEP 517 backend-path) that wraps flit_core and notes, for each
# editable build, the prefix of the environment it ran in.
COUNTING_BACKEND = """\
import os
import sys

from flit_core import buildapi
from flit_core.buildapi import *  # noqa: F403


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    with open(os.path.join(os.path.dirname(__file__), "..", "builds.log"), "a") as log:
        log.write(sys.prefix + "\\n")
    return buildapi.build_editable(wheel_directory, config_settings, metadata_directory)
"""


def test_the_editable_build_runs_once_per_metadata_change_in_one_build_environment(
    new_project: ProjectFactory, backend: str
) -> None:
    """Every sync built the project again, in a fresh isolated environment each time."""
    project = new_project(backend=backend)
    pyproject = project.read("pyproject.toml").replace(
        'build-backend = "flit_core.buildapi"', 'build-backend = "counting"\nbackend-path = ["_backend"]'
    )
    project.write("pyproject.toml", pyproject)
    project.write("_backend/counting.py", COUNTING_BACKEND)
    project.write(".gitignore", "builds.log\n")

    def builds() -> list[str]:
        log = project.path / "builds.log"
        return log.read_text().splitlines() if log.exists() else []

    project.doit("dev")
    assert len(builds()) == 1

    # A new lock syncs the venv again; the project's metadata did not change: no build.
    project.write("requirements-dev.in", project.read("requirements-dev.in") + "gamma\n")
    result = project.doit("dev")
    assert result.synced() and "gamma==1.0" in project.installed()
    assert len(builds()) == 1, result.output
    assert "demo==0.1.0" in project.installed(editable=True)

    # Still editable: a source edit shows without any doit run.
    project.write("src/demo/__init__.py", "def answer():\n    return 43\n")
    code = "import demo; print(demo.answer())"
    assert subprocess.run([str(project.python), "-c", code], capture_output=True, text=True).stdout == "43\n"

    # New metadata: built again, in the same build environment.
    project.write("pyproject.toml", project.read("pyproject.toml").replace('version = "0.1.0"', 'version = "0.2.0"'))
    project.doit("dev")
    assert len(builds()) == 2 and builds()[0] == builds()[1]
    assert "demo==0.2.0" in project.installed(editable=True)
    assert not any(pin.startswith("demo==0.1.0") for pin in project.installed(editable=True))

    # distclean removes the cached wheel too: built again, still in that environment.
    assert "removing .doitenv/editable/" in project.doit("distclean").output
    project.doit("dev")
    assert len(builds()) == 3 and len(set(builds())) == 1
    assert project.doit("check").code == 0


def test_an_install_cut_short_is_replaced_on_the_next_run(new_project: ProjectFactory) -> None:
    """A kill during the install left the wheel's files and a dist-info without RECORD: every
    next run failed on the files already there."""
    project = new_project()
    project.doit("dev")
    dist_info = next((project.path / "venv").rglob("demo-0.1.0.dist-info"))
    for name in ("RECORD", "direct_url.json"):
        (dist_info / name).unlink()
    (project.path / "venv" / ".doitenv-synced.json").unlink()  # a cut-short sync leaves none
    project.doit("dev")
    assert "demo==0.1.0" in project.installed(editable=True)
    assert project.doit("dev").ran == []
