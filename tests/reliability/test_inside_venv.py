"""doit run from inside the project's own venv (an activated venv) never removes itself."""

from __future__ import annotations

import subprocess

from tests.helpers import ProjectFactory, TmpProject


def _inside(project: TmpProject, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(project.python), "-m", "doit", *args], cwd=project.path, capture_output=True, text=True, timeout=600
    )


def test_a_lock_that_keeps_doit_syncs_from_inside(new_project: ProjectFactory) -> None:
    project = new_project(dev_requirements="-r requirements.txt\npytest\ndoitenv\n")
    project.doit("dev")  # from outside, once
    project.write("requirements-dev.in", "-r requirements.txt\npytest\ndoitenv\ndelta\n")
    inside = _inside(project, "dev")
    assert inside.returncode == 0, inside.stdout + inside.stderr
    assert "delta==1.0" in project.installed()
    again = _inside(project, "dev")
    assert again.returncode == 0 and "doitenv: $" not in again.stderr + again.stdout


def test_a_lock_without_doit_is_not_synced_from_inside(new_project: ProjectFactory) -> None:
    project = new_project()
    project.doit("dev")
    project.pip("install", "doitenv")  # doit and doitenv by hand, not in the lock
    inside = _inside(project, "dev")
    output = inside.stdout + inside.stderr
    assert inside.returncode != 0
    assert "doit runs from inside venv/, and syncing it to requirements-dev.txt would uninstall" in output
    assert "would uninstall doit, pip-tools, doitenv, which doit runs on" in output
    assert {"doit", "doitenv"} <= {pin.split("==")[0] for pin in project.installed()}


def test_the_guard_protects_doitenv_too(new_project: ProjectFactory) -> None:
    project = new_project(dev_requirements="-r requirements.txt\npytest\ndoit\npip-tools\n")
    project.doit("dev")
    project.pip("install", "doitenv")  # doitenv by hand: the lock keeps doit and pip-tools, not doitenv
    project.write("requirements-dev.in", "-r requirements.txt\npytest\ndoit\npip-tools\ndelta\n")
    project.doit("requirements-dev.txt")
    inside = _inside(project, "dev")
    output = inside.stdout + inside.stderr
    assert inside.returncode != 0, output
    assert "would uninstall doitenv, which doit runs on" in output
    assert "doitenv" in {pin.split("==")[0] for pin in project.installed()}
