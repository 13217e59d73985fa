"""Universal locks: one lock for every Python of a range and every platform, never rewritten by
a teammate whose doit runs another Python."""

from __future__ import annotations

import shutil
from pathlib import Path

from doitenv import interpreter
from tests.helpers import ProjectFactory, have_python

PYTHONS = ("3.10", "3.11", "3.12", "3.13")
REQUIREMENTS = 'alpha\nbeta<2; python_version < "3.12"\nbeta>=2; python_version >= "3.12"\n'


def test_teammates_on_four_pythons_share_one_universal_lock(new_project: ProjectFactory, tmp_path: Path) -> None:
    """Each teammate on another Python recompiled the committed locks for theirs: lock ping-pong."""
    found = [version for version in PYTHONS if have_python(version)]
    project = new_project(
        requirements=REQUIREMENTS,
        dev_requirements="-r requirements.txt\ndelta\n",
        tool='universal = true\nuniversal-python = ">=3.10"\n',
    )
    first = project.doit("requirements-dev.txt")
    assert "pinning requirements.in into requirements.txt for every Python >=3.10 and platform" in first.output
    # uv is told which interpreter to build with: left alone, it looked for the lowest Python of
    # the range and tried to download it, 10 s per lock on a machine without one.
    assert all("--python " in command for command in first.ran if " compile " in command)
    locks = {name: project.read(name) for name in ("requirements.txt", "requirements-dev.txt")}
    assert "# doitenv: inputs=" in locks["requirements.txt"] and " python=universal>=3.10 " in locks["requirements.txt"]
    assert "beta==1.0 ; python_full_version < '3.12'" in locks["requirements-dev.txt"]
    assert "beta==2.0 ; python_full_version >= '3.12'" in locks["requirements-dev.txt"]

    for version in found:
        clone = tmp_path / f"teammate-{version}"
        shutil.copytree(project.path, clone, ignore=shutil.ignore_patterns("venv", ".doitenv", ".venv"))
        teammate = type(project)(clone)
        teammate.write("pyproject.toml", teammate.read("pyproject.toml") + f'python = "{version}"\n')
        assert "locks fresh, layers agree, no venv/ here" in teammate.doit("check").output  # CI, with no venv yet
        result = teammate.doit("dev")
        assert result.compiled() == [], result.output
        assert {name: teammate.read(name) for name in locks} == locks  # no lock rewritten
        beta = "beta==1.0" if version in ("3.10", "3.11") else "beta==2.0"
        assert teammate.installed() >= {"alpha==1.0", beta, "delta==1.0"}
        assert not any(pin.startswith("beta==") and pin != beta for pin in teammate.installed())
        assert "venv in step" in teammate.doit("check").output

    project.write("pyproject.toml", project.read("pyproject.toml").replace("universal = true", "universal = false"))
    off = project.doit("requirements.txt")
    assert "requirements.txt was universal; universal = true is off now, so it is pinned for Python" in off.output
    assert " python=universal" not in project.read("requirements.txt")


def test_a_lock_from_another_python_is_named_before_it_is_pinned_again(new_project: ProjectFactory) -> None:
    """Without universal, a teammate's Python silently re-resolved the committed locks."""
    running = interpreter.running_version()
    # pip-compile for another Python runs from a tools venv made offline: 3.12 or 3.11 need no
    # wheel the test wheelhouse lacks.
    other = "3.12" if running != "3.12" else "3.11"
    project = new_project(dev_requirements="-r requirements.txt\ndelta\n")
    project.doit("requirements-dev.txt")
    project.write("pyproject.toml", project.read("pyproject.toml") + f'python = "{other}"\n')
    result = project.doit("dev")
    # The setting is the team's Python: each lock is named in one line, with no advice to set it
    # (it said to set python back to the locks' Python, the setting just changed).
    for lock in ("requirements.txt", "requirements-dev.txt"):
        assert (
            f"doitenv: {lock} was resolved for Python {running}: pinning it again for {other}, as "
            "tool.doitenv.python says"
        ) in result.output
        assert f" python={other} " in project.read(lock)
    assert "To keep one lock for the whole team" not in result.output
    assert "was resolved for Python" not in project.doit("dev").output  # said once
