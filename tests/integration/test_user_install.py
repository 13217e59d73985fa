"""doitenv installed as a user installs it: the newest releases its metadata allows, not our locks.

Our own venv installs requirements-dev.txt, which pins pip-tools; a user gets the newest pip-tools
that doitenv allows, and it may need a newer Python than the project's. That hid a bug: with
`python = "3.9"`, doitenv made a tools venv for 3.9 and asked it for the pip-tools doitenv itself ran
with (7.7.0, which needs 3.10), so `doit dev` failed on the first lock. The wheels come from the
`user_install_wheels` fixture (tests/conftest.py), fetched once a day; these tests run offline.
DOITENV_USER_INSTALL_SOURCE=<another checkout> installs that one instead: a worktree of an older
commit shows what these tests catch there.
"""

from __future__ import annotations

import email.parser
import functools
import os
import platform
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from doitenv import interpreter
from tests.conftest import USER_INSTALL_OTHER_PYTHON as OTHER
from tests.helpers import ProjectFactory, TmpProject, have_python

pytestmark = pytest.mark.skipif(
    not have_python(OTHER), reason=f"Python {OTHER} is not installed here (pyenv or PATH): these tests pin for it"
)

BIN = "Scripts" if os.name == "nt" else "bin"
PYTHON = "python.exe" if os.name == "nt" else "python"


@pytest.fixture(scope="module")
def user_venv(tmp_path_factory: pytest.TempPathFactory, user_install_wheels: Path) -> Path:
    """The README's install, `python3 -m venv ~/.doitenv && ~/.doitenv/bin/pip install doitenv[uv]`,
    from the user-install folder alone. Its Python."""
    venv = tmp_path_factory.mktemp("user") / "doitenv"
    base = Path(sys.base_prefix) / ("python.exe" if os.name == "nt" else "bin/python3")
    subprocess.run([str(base), "-m", "venv", str(venv)], check=True, capture_output=True)
    python = venv / BIN / PYTHON
    # Nothing but the folder: no index, none of this machine's pip settings, not the other tests' wheelhouse
    # (it holds the pip-tools our locks pin, and a doitenv built from this checkout).
    env = {name: value for name, value in os.environ.items() if not name.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    argv = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-index"]
    installed = subprocess.run(
        [*argv, "--find-links", str(user_install_wheels), "doitenv[uv]"], capture_output=True, text=True, env=env
    )
    if installed.returncode != 0:
        pytest.fail(f"could not install doitenv[uv] from {user_install_wheels}:\n{installed.stderr}")
    return python


def _version_in(python: Path, name: str) -> str:
    """The version of `name` installed where `python` runs."""
    code = "import importlib.metadata, sys; print(importlib.metadata.version(sys.argv[1]))"
    return subprocess.run([str(python), "-c", code, name], capture_output=True, text=True, check=True).stdout.strip()


def _newest(folder: Path, name: str, python: str) -> str:
    """The newest release of `name` among the wheels in `folder` that Python `python` may install."""
    found = []
    for wheel in folder.glob(f"{name.replace('-', '_')}-*.whl"):
        with zipfile.ZipFile(wheel) as archive:
            text = archive.read(next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA")))
        metadata = email.parser.Parser().parsestr(text.decode(), headersonly=True)
        if Version(python) in SpecifierSet(metadata.get("Requires-Python") or ""):
            found.append(Version(metadata["Version"]))
    assert found, f"no wheel of {name} for Python {python} in {folder}"
    return str(max(found))


@functools.cache
def _other_python_version() -> str:
    """The full version of the other Python (3.9.18): Requires-Python may name a patch release."""
    found = interpreter.find(OTHER, Path.cwd()).path
    code = "import platform; print(platform.python_version())"
    return subprocess.run([found, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def _header(project: TmpProject, lock: str) -> dict[str, str]:
    """The Python a lock was pinned for and the resolver that pinned it, from its first line."""
    fields = dict(word.split("=", 1) for word in project.read(lock).splitlines()[0].split() if "=" in word)
    return {key: fields.get(key, "") for key in ("python", "by")}


def _walk_the_readme(
    new_project: ProjectFactory,
    backend: str,
    user_venv: Path,
    folders: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    cache: Path,
) -> TmpProject:
    """A project whose `python` is the other one, with doit from the user's venv: `doit dev`, then
    `doit test`. The tools and project venvs for that Python install from the user-install folder
    (pip-tools and pytest for it) and the wheelhouse (the tiny wheels, the build backend)."""
    monkeypatch.setenv("PIP_FIND_LINKS", " ".join(str(folder) for folder in folders))
    monkeypatch.setenv("UV_FIND_LINKS", ",".join(str(folder) for folder in folders))  # uv's list takes commas
    # A tools cache of its own: another test's tools venv for this Python is not this install's.
    monkeypatch.setenv("DOITENV_CACHE_DIR", str(cache))
    project = new_project(tool=f'python = "{OTHER}"\n', backend=backend)
    project.runs_with = str(user_venv)
    project.doit("dev")
    assert "2 passed" in project.doit("test").output
    assert _version_in(project.python, "pytest") == _newest(folders[0], "pytest", _other_python_version())
    return project


def test_a_user_install_pins_for_an_older_python_with_pip_tools(
    new_project: ProjectFactory,
    user_venv: Path,
    user_install_wheels: Path,
    wheelhouse: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """doitenv's pip-tools is newer than the project's Python allows: the tools venv for that Python
    must get the newest pip-tools it supports, not doitenv's own (`Package 'pip-tools' requires a
    different Python: 3.9.18 not in '>=3.10'`), and each lock says which one pinned it."""
    # What a user gets today, not the pip-tools our locks pin: else this test shows nothing.
    assert _version_in(user_venv, "pip-tools") == _newest(user_install_wheels, "pip-tools", platform.python_version())
    cache = tmp_path / "doitenv-cache"
    project = _walk_the_readme(
        new_project, "pip-tools", user_venv, (user_install_wheels, wheelhouse), monkeypatch, cache
    )

    tools = list((cache / "tools").glob(f"*/{BIN}/{PYTHON}"))
    assert len(tools) == 1, tools  # the tools venv for the other Python
    pinned_by = _version_in(tools[0], "pip-tools")
    assert pinned_by == _newest(user_install_wheels, "pip-tools", _other_python_version())
    for lock in ("requirements.txt", "requirements-dev.txt"):
        assert _header(project, lock) == {"python": OTHER, "by": f"pip-tools=={pinned_by}"}


def test_a_user_install_pins_for_an_older_python_with_uv(
    new_project: ProjectFactory,
    user_venv: Path,
    user_install_wheels: Path,
    wheelhouse: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """The uv of the `uv` extra, the newest release, pins and syncs for the older Python offline, and
    each lock names that uv (not one on PATH, not ours)."""
    cache = tmp_path / "doitenv-cache"
    project = _walk_the_readme(new_project, "uv", user_venv, (user_install_wheels, wheelhouse), monkeypatch, cache)
    uv = _version_in(user_venv, "uv")
    assert uv == _newest(user_install_wheels, "uv", platform.python_version())
    for lock in ("requirements.txt", "requirements-dev.txt"):
        assert _header(project, lock) == {"python": OTHER, "by": f"uv=={uv}"}
