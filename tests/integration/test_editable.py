"""The project's editable install: built once per change of what it depends on, installed
without pip, and still importable and editable."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.helpers import ProjectFactory
from tests.wheels import build_wheel

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


# A [project] table written for tools that read it (a Makefile project never built it): no
# version, and optional dependencies spelled with an underscore. setuptools refuses it.
UNBUILDABLE = """\
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "demo"

[project.optional_dependencies]
docs = ["alpha"]

[tool.doitenv]
backend = "{backend}"
{more}"""


def test_a_project_not_meant_to_be_installed_is_left_out(new_project: ProjectFactory, backend: str) -> None:
    project = new_project(backend=backend)
    project.write("pyproject.toml", UNBUILDABLE.format(backend=backend, more=""))
    result = project.doit("dev", ok=False)
    assert "Traceback" not in result.output
    assert "the project's editable install failed to build ([project].version is missing)" in result.output
    assert "or set tool.doitenv.install-project = false if the project is not meant to be installed" in result.output

    project.write("pyproject.toml", UNBUILDABLE.format(backend=backend, more="install-project = false\n"))
    assert "Sync the venv to requirements-dev.txt\n" in project.doit("list").output  # no "project editable"
    project.doit("dev")
    assert not any(pin.startswith("demo==") for pin in project.installed(editable=True))  # not in the venv
    assert project.doit("dev").ran == []

    # Once the table builds, the project is installed; uv's own word for leaving it out is
    # honoured as well, and takes out the install that is there.
    mended = UNBUILDABLE.format(backend=backend, more="").replace("_dependencies", "-dependencies")
    project.write("pyproject.toml", mended.replace('name = "demo"', 'name = "demo"\nversion = "1"'))
    result = project.doit("dev")
    assert "demo==1" in project.installed(editable=True), result.output
    project.write("pyproject.toml", project.read("pyproject.toml") + "\n[tool.uv]\npackage = false\n")
    project.doit("dev")
    assert "demo==1" not in project.installed(editable=True)


def test_a_refused_project_table_is_named_by_its_key(new_project: ProjectFactory) -> None:
    project = new_project()
    broken = UNBUILDABLE.format(backend="pip-tools", more="").replace('name = "demo"', 'name = "demo"\nversion = "1"')
    project.write("pyproject.toml", broken)
    result = project.doit("dev", ok=False)
    refused = "[project].optional_dependencies is not a [project] key (it is spelled optional-dependencies)"
    assert f"({refused})" in result.output
    assert "fix [project] in pyproject.toml, or set tool.doitenv.install-project = false" in result.output


def test_a_released_copy_of_the_project_leaves_nothing_that_hides_the_editable_install(
    new_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A dev lock that pins the project's own release (a linter plugin needs it, say): the sync
    installs it, and the editable install replaced it by its files alone. The empty folders left
    were a namespace package that hid the project: `import demo` outside the project found nothing."""
    released = tmp_path / "released"
    released.mkdir()
    build_wheel(released, "demo", "0.0.1", more=(("demo/sub/__init__.py", ""), ("demo/sub/data.txt", "x")))
    monkeypatch.setenv("PIP_FIND_LINKS", f"{released} {__import__('os').environ['PIP_FIND_LINKS']}")
    project = new_project(dev_requirements="-r requirements.txt\npytest\ndemo==0.0.1\n")
    project.doit("dev")
    site = next((project.path / "venv" / "lib").glob("python*/site-packages"))
    assert not (site / "demo").exists()
    where = subprocess.run(
        [str(project.python), "-c", "import demo; print(demo.__file__)"],
        cwd=tmp_path, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert where == str(project.path / "src" / "demo" / "__init__.py")


def test_a_project_that_does_not_allow_the_venv_s_python_is_refused(new_project: ProjectFactory) -> None:
    """pip refuses to install a project whose Requires-Python leaves the venv's Python out;
    the editable install went ahead, and `doit dev` was green."""
    project = new_project()
    project.doit("dev")
    record = (project.path / "venv" / ".doitenv-synced.json").read_text()
    allowing = project.read("pyproject.toml").replace("[project]", '[project]\nrequires-python = ">=3.99"')
    project.write("pyproject.toml", allowing)
    result = project.doit("dev", ok=False)
    assert "the project requires Python >=3.99 (its Requires-Python), and venv/ has Python 3." in result.output
    assert "so venv/ is unchanged: set tool.doitenv.python to a Python it allows" in result.output
    assert "Traceback" not in result.output
    assert (project.path / "venv" / ".doitenv-synced.json").read_text() == record


NOISY_BACKEND = """\
import warnings

from flit_core import buildapi
from flit_core.buildapi import *  # noqa: F403


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    warnings.warn("License classifiers are deprecated, and more lines of advice")
    return buildapi.build_editable(wheel_directory, config_settings, metadata_directory)
"""


def test_a_build_that_works_keeps_the_backend_s_warnings_to_itself(new_project: ProjectFactory) -> None:
    """setuptools' deprecation warnings came back as Python warnings: 240 lines on a green dev."""
    project = new_project()
    pyproject = project.read("pyproject.toml").replace(
        'build-backend = "flit_core.buildapi"', 'build-backend = "noisy"\nbackend-path = ["_backend"]'
    )
    project.write("pyproject.toml", pyproject)
    project.write("_backend/noisy.py", NOISY_BACKEND)
    result = project.doit("dev")
    assert "demo==0.1.0" in project.installed(editable=True)
    assert "License classifiers" not in result.output and "Warning" not in result.output
