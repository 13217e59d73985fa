"""Test-wide set-up: an offline wheelhouse and a pip environment isolated from this machine.

Real wheels (pytest, pip-tools, ...) are fetched once into .cache/test-wheels before the
suite, with the machine's normal pip settings; the tests themselves then run with no index,
no pip configuration and only the wheelhouse to install from. What a user gets by installing
doitenv (the newest releases its metadata allows, not our locks) is fetched the same way into
.cache/user-install/<date>, once a day; the checkers a project runs on its dodo.py (ruff, flake8,
pylint, mypy, pyright) into .cache/checkers, once.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shlex
import shutil
import subprocess
import sys
import zipfile
from datetime import date
from importlib.metadata import version
from pathlib import Path
from typing import NoReturn

import pytest

from doitenv import caches, filelock, interpreter, scaffold
from tests.helpers import PYPROJECT, ProjectFactory, TmpProject
from tests.wheels import build_tiny_wheels

REPO = Path(__file__).resolve().parents[1]
WHEEL_CACHE = Path(os.environ.get("DOITENV_TEST_WHEELS", REPO / ".cache" / "test-wheels"))
# What test projects install: the test runner and its plugins, a build backend for the
# editable install, formatters, pip-tools for tools venvs of other Pythons, and what a
# project needs to run doitenv from inside its own venv (doitenv's wheel is built here too),
# what pytest needs on other Pythons and platforms, which a universal lock pins as well, and
# ipykernel for the Jupyter kernel.
REAL_WHEELS = (
    "pytest", "pytest-cov", "flit_core", "ruff", "pip-tools", "pre-commit", "doit", "virtualenv", "pathspec", "uv",
    "colorama", "exceptiongroup", "tomli", "installer", "watchfiles",
    # a Jupyter kernel (`doit kernel`), notebooks' outputs stripped by a pre-commit hook, notebooks as steps
    "ipykernel", "nbstripout", "nbclient",
)  # fmt: skip

# doitenv as a user installs it (tests/integration/test_user_install.py): the newest releases its metadata
# allows, not our locks. Fetched into a folder of the day, so a new release is seen within a day.
USER_INSTALL_CACHE = REPO / ".cache" / "user-install"
# The checkout whose wheel that test installs: a worktree of an older commit shows the test failing there.
USER_INSTALL_SOURCE = Path(os.environ.get("DOITENV_USER_INSTALL_SOURCE", REPO))
# The oldest Python doitenv supports: newer pip-tools releases no longer do.
OLDEST_PYTHON = "3.9"
# The other Python the user-install tier pins for: the oldest, or, run on it, the newest here (the
# tools venv for another Python, the other way round).
USER_INSTALL_OTHER_PYTHON = OLDEST_PYTHON if sys.version_info[:2] != (3, 9) else "3.13"


# Held while a cache under .cache/ is filled: with pytest -n, every worker runs the session
# fixtures, and two `pip download`s into one folder would each see the other's half-written files.
FETCH_LOCK = REPO / ".cache" / ".fetching.lock"


def cannot_fetch(message: str) -> NoReturn:
    """Stop: a cache the tests need cannot be filled (offline?). Inside an xdist worker
    pytest.exit is an INTERNALERROR that loses the message, so there each test that needs the
    cache fails with it instead."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        pytest.fail(message, pytrace=False)
    pytest.exit(message, returncode=3)


def fetching() -> contextlib.AbstractContextManager[None]:
    """Fill a cache alone: the caller checks its stamp again inside, where no other worker writes."""
    return filelock.exclusive(FETCH_LOCK)


# The slow tiers, by folder. `pytest -m "not slow"` is the quick loop: the unit and in-process
# tiers, where the decisions are tested (why a lock is stale, why a venv is out of step, what
# `doit check` says, the task graph), the shape and quality checks, and of the integration tier
# the modules below: an end-to-end run of both backends (test_secrets.py) and the commands that
# run no resolver. The rest of the integration tier runs the real tools for what only they show.
SLOW_TIERS = ("integration", "realprojects", "reliability")
QUICK_INTEGRATION = (
    "test_ci.py", "test_init.py", "test_graph_picture.py", "test_pyproject_sources.py", "test_secrets.py",
    "test_teams.py",
)  # fmt: skip


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        path = Path(str(item.path))
        tier = path.parent.name
        if tier in SLOW_TIERS and path.name not in QUICK_INTEGRATION:
            if tier != "integration":
                item.add_marker(getattr(pytest.mark, tier))
            item.add_marker(pytest.mark.slow)


def _wanted_wheels() -> list[str]:
    """REAL_WHEELS, pip-tools at the version running here: the index's newest may need a newer
    Python than some tests pin for."""
    return [f"pip-tools=={version('pip-tools')}" if name == "pip-tools" else name for name in REAL_WHEELS]


# A tools venv for the oldest Python doitenv supports, made offline (a lock pinned for it, or
# for an older one, is pinned there): pip-tools and pytest with what they need on that Python.
OLDEST_WHEELS = ("pip-tools", "pytest")


def _fetch_real_wheels() -> None:
    with fetching():
        _fetch_real_wheels_alone()


def _fetch_real_wheels_alone() -> None:
    wanted = _wanted_wheels()
    stamp = WHEEL_CACHE / (".fetched-" + "-".join(wanted) + f"-py{sys.version_info[0]}{sys.version_info[1]}-oldest")
    if stamp.exists():
        return
    WHEEL_CACHE.mkdir(parents=True, exist_ok=True)
    download = ["-m", "pip", "download", "--quiet", "--only-binary=:all:", "--dest", str(WHEEL_CACHE)]
    argvs = [[sys.executable, *download, *wanted]]
    try:
        oldest = interpreter.find(OLDEST_PYTHON, REPO).path
    except interpreter.InterpreterNotFound:
        pass  # the tests that need it skip
    else:
        # With that Python's own pip: `pip download --python-version` reads the markers of what
        # a package needs (`tomli; python_version < "3.11"`) as the running Python's.
        argvs.append([oldest, *download, *OLDEST_WHEELS])
    for argv in argvs:
        completed = subprocess.run(argv, capture_output=True, text=True)
        if completed.returncode != 0:
            cannot_fetch(f"could not fetch the test wheels into {WHEEL_CACHE}:\n{completed.stderr}")
    stamp.touch()


# The checkers a project runs on its dodo.py (tests/integration/test_dodo_checkers.py), with what they
# need, in a folder of their own: no test project installs them. pyright's wheel carries pyright itself
# and, with the nodejs extra, a node to run it, so no npm download is needed, here or in the test.
CHECKERS = ("ruff", "flake8", "pylint", "mypy", "pyright[nodejs]")
CHECKERS_CACHE = REPO / ".cache" / "checkers"


@pytest.fixture(scope="session")
def checker_wheels() -> Path:
    """CHECKERS_CACHE, fetched once (with this machine's pip settings) for this Python."""
    stamp = CHECKERS_CACHE / (".fetched-" + "-".join(CHECKERS) + f"-py{sys.version_info[0]}{sys.version_info[1]}")
    with fetching():
        if stamp.exists():
            return CHECKERS_CACHE
        CHECKERS_CACHE.mkdir(parents=True, exist_ok=True)
        download = [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:"]
        completed = subprocess.run(
            [*download, "--dest", str(CHECKERS_CACHE), *CHECKERS], capture_output=True, text=True
        )
        if completed.returncode != 0:
            cannot_fetch(f"could not fetch the checkers into {CHECKERS_CACHE}:\n{completed.stderr}")
        stamp.touch()
    return CHECKERS_CACHE


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _fetch_real_wheels()
    house = tmp_path_factory.mktemp("wheelhouse")
    for wheel in WHEEL_CACHE.glob("*.whl"):
        shutil.copy(wheel, house)
    build_tiny_wheels(house)
    argv = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-index", "--find-links", str(house)]
    subprocess.run([*argv, "--wheel-dir", str(house), str(REPO)], check=True, capture_output=True)
    return house


def _fetch(argv: list[str]) -> None:
    completed = subprocess.run(argv, capture_output=True, text=True)
    if completed.returncode != 0:
        message = f"could not gather the user-install wheels:\n$ {shlex.join(argv)}\n{completed.stderr}"
        cannot_fetch(message)


def _fetch_user_install(own_wheel: Path, other_python: str) -> Path:
    with fetching():
        return _fetch_user_install_alone(own_wheel, other_python)


def _fetch_user_install_alone(own_wheel: Path, other_python: str) -> Path:
    """The day's folder of what `own_wheel` with the uv extra installs on this Python (the newest
    releases its metadata allows), and of pip-tools and pytest for `other_python`: fetched with this
    machine's pip settings, once a day and again when doitenv's own requirements change."""
    with zipfile.ZipFile(own_wheel) as archive:
        metadata = archive.read(next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA")))
    requires = sorted(line for line in metadata.decode().splitlines() if line.startswith("Requires-Dist:"))
    digest = hashlib.sha256("\n".join(requires).encode()).hexdigest()[:12]
    day = USER_INSTALL_CACHE / date.today().isoformat()
    stamp = day / f".fetched-py{sys.version_info[0]}{sys.version_info[1]}-{digest}"
    if stamp.exists():
        return day
    for stale in USER_INSTALL_CACHE.glob("*"):
        if stale != day:
            shutil.rmtree(stale)
    day.mkdir(parents=True, exist_ok=True)
    download = ["-m", "pip", "download", "--quiet", "--only-binary=:all:", "--dest", str(day)]
    _fetch([sys.executable, *download, f"{own_wheel}[uv]"])
    # With the other Python's own pip: `pip download --python-version 3.9` reads dependencies' markers
    # (`tomli; python_version < "3.11"`) as the running Python's, and leaves out what 3.9 needs.
    _fetch([other_python, *download, "pip-tools", "pytest"])
    for own in day.glob("doitenv-*.whl"):
        own.unlink()  # built afresh each session: the checkout changes
    stamp.touch()
    return day


@pytest.fixture(scope="session")
def user_install_wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder to install doitenv from as a user does: its wheel, built from USER_INSTALL_SOURCE for
    this session, and the day's fetch (_fetch_user_install), which none of our locks constrain."""
    try:
        other = interpreter.find(USER_INSTALL_OTHER_PYTHON, REPO)
    except interpreter.InterpreterNotFound:
        pytest.skip(f"Python {USER_INSTALL_OTHER_PYTHON} is not installed here (pyenv or PATH)")
    folder = tmp_path_factory.mktemp("user-install")
    build = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(folder)]
    _fetch([*build, str(USER_INSTALL_SOURCE)])
    for wheel in _fetch_user_install(next(folder.glob("doitenv-*.whl")), other.path).glob("*.whl"):
        shutil.copy(wheel, folder)
    return folder


@pytest.fixture(scope="session")
def empty_pip_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pipconf") / "pip.conf"
    path.write_text("")
    return path


@pytest.fixture(scope="session")
def tools_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("doitenv-cache")


@pytest.fixture(autouse=True)
def isolated_pip(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, empty_pip_config: Path, tools_cache: Path
) -> None:
    """No index, no machine pip settings: only the wheelhouse (for tests that ask for it)."""
    for name in list(os.environ):
        if name.startswith(("PIP_", "VIRTUALENV_", "UV_")) or name in ("VIRTUAL_ENV", "PYTHONPATH"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PIP_CONFIG_FILE", str(empty_pip_config))
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    monkeypatch.setenv("DOITENV_CACHE_DIR", str(tools_cache))
    # The tests read which tools ran from their logged command lines (helpers.Result.ran), and
    # what doitenv said at the normal level, whatever level the machine's user chose.
    monkeypatch.setenv("DOITENV_SHOW_COMMANDS", "1")
    monkeypatch.delenv("DOITENV_OUTPUT", raising=False)
    # uv reads no pip configuration: offline, it takes packages only from find-links and
    # its cache, which is a fresh one for the session.
    monkeypatch.setenv("UV_OFFLINE", "1")
    monkeypatch.setenv("UV_CACHE_DIR", str(tools_cache / "uv"))
    monkeypatch.setenv("UV_PYTHON_DOWNLOADS", "never")
    if "wheelhouse" in request.fixturenames:
        house = str(request.getfixturevalue("wheelhouse"))
        monkeypatch.setenv("PIP_FIND_LINKS", house)
        monkeypatch.setenv("UV_FIND_LINKS", house)


@pytest.fixture(autouse=True)
def fresh_run() -> None:
    """Each test starts as a new doit run would: nothing doitenv remembers for a run (the project
    read once, the warnings given once, the commands shown) is left from the test before."""
    caches.reset()


@pytest.fixture
def jupyter_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user's Jupyter folders, in tmp_path, for doit and for this test's Jupyter client."""
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter-data"))
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path / "jupyter-config"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "jupyter-runtime"))
    monkeypatch.delenv("JUPYTER_PATH", raising=False)
    return tmp_path / "jupyter-data"


@pytest.fixture(scope="session")
def readme_install(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path) -> str:
    """doitenv installed as the README installs it: a tools venv made by `python3 -m venv`, with
    the interpreter's own pip (23.2.1 on Python 3.11.7), whatever pip this test run has. Its
    Python, for TmpProject.runs_with."""
    tools = tmp_path_factory.mktemp("tools") / "venv"
    base = Path(sys.base_prefix) / ("python.exe" if os.name == "nt" else "bin/python3")
    subprocess.run([str(base), "-m", "venv", str(tools)], check=True, capture_output=True)
    python = tools / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    install = [str(python), "-m", "pip", "install", "--quiet", "--no-index", "--find-links", str(wheelhouse)]
    subprocess.run([*install, "doitenv[uv]"], check=True, capture_output=True)
    return str(python)


@pytest.fixture(params=["pip-tools", "uv"])
def backend(request: pytest.FixtureRequest) -> str:
    """Run a test once with each backend."""
    return str(request.param)


@pytest.fixture
def new_project(tmp_path: Path, wheelhouse: Path) -> ProjectFactory:
    def make(
        folder: str = "proj",
        requirements: str = "alpha\n",
        dev_requirements: str = "-r requirements.txt\npytest\n",
        tool: str = "",
        name: str = "demo",
        backend: str = "pip-tools",
    ) -> TmpProject:
        project = TmpProject(tmp_path / folder)
        tool += f'backend = "{backend}"\n'
        project.write("pyproject.toml", PYPROJECT.format(name=name, tool=tool))
        project.write("dodo.py", scaffold.DODO)
        project.write("requirements.in", requirements)
        project.write("requirements-dev.in", dev_requirements)
        project.write(f"src/{name}/__init__.py", '"""A test project."""\n\n\ndef answer():\n    return 42\n')
        project.write(
            f"tests/test_{name}.py",
            f"from {name} import answer\n\n\ndef test_answer():\n    assert answer() == 42\n\n\n"
            "def test_other():\n    assert True\n",
        )
        return project

    return make
