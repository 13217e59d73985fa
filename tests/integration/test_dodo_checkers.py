"""The dodo.py doitenv gives (`doitenv init` writes it, the README shows it) passes the checkers a
project runs, with their default settings, from the project's folder, in a venv that does not hold
doitenv: doitenv lives beside doit. The star import given before failed flake8, pylint, mypy and
pyright there (`F401 'doitenv.tasks.*' imported but unused`, `Import "doitenv.tasks" could not be
resolved`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CHECKERS

BIN = "Scripts" if os.name == "nt" else "bin"
CHECKS = {
    "ruff": ["ruff", "check", "dodo.py"],
    # The scaffold's pre-commit hooks format dodo.py too: it is already as ruff writes it.
    "ruff-format": ["ruff", "format", "--check", "dodo.py"],
    "flake8": ["flake8", "dodo.py"],
    "pylint": ["pylint", "dodo.py"],
    "mypy": ["mypy", "dodo.py"],
    "pyright": ["pyright", "dodo.py"],
}


@pytest.fixture(scope="module")
def scaffolded(tmp_path_factory: pytest.TempPathFactory, checker_wheels: Path) -> tuple[Path, dict[str, str]]:
    """A project `doitenv init` made, whose venv/ holds the checkers and not doitenv, and the
    environment of a shell with that venv activated and no configuration of any checker."""
    scratch = tmp_path_factory.mktemp("checked")
    folder = scratch / "proj"
    made = subprocess.run([sys.executable, "-m", "doitenv", "init", str(folder)], capture_output=True, text=True)
    assert made.returncode == 0, made.stdout + made.stderr
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = str(venv / BIN / ("python.exe" if os.name == "nt" else "python"))
    dropped = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYLINTRC", "MYPY_CONFIG_FILE_DIR")
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in dropped and not name.startswith(("PIP_", "UV_", "PYRIGHT_PYTHON_", "npm_config_", "NPM_CONFIG_"))
    }
    install = [sys.executable, "-m", "uv", "pip", "install", "--quiet", "--python", python, "--offline", "--no-index"]
    # A cache kept beside the wheels: unpacking them (node alone is 60 MB) took most of the set-up.
    uv_env = {**env, "UV_CACHE_DIR": str(checker_wheels / "uv-cache"), "UV_NO_CONFIG": "1"}
    subprocess.run([*install, "--find-links", str(checker_wheels), *CHECKERS], env=uv_env, check=True)
    imports = subprocess.run([python, "-c", "import doitenv"], capture_output=True, text=True)
    assert imports.returncode != 0, "the checkers' venv must not hold doitenv, as a project's does not"
    (scratch / "home").mkdir()
    env.update(
        PATH=str(venv / BIN) + os.pathsep + env.get("PATH", ""),
        VIRTUAL_ENV=str(venv),
        # No user configuration of any checker (~/.config/flake8, ~/.pylintrc, ~/.config/ruff, ...).
        HOME=str(scratch / "home"),
        USERPROFILE=str(scratch / "home"),
        XDG_CONFIG_HOME=str(scratch / "home" / ".config"),
        XDG_CACHE_HOME=str(scratch / "home" / ".cache"),
        # pyright's wheel would ask the package index whether it is the newest (a warning only)...
        PYRIGHT_PYTHON_IGNORE_WARNINGS="1",
        # ... and, did it not carry pyright, would fetch it from npm: that fails here, and loudly.
        npm_config_offline="true",
    )
    return folder, env


@pytest.mark.parametrize("check", list(CHECKS))
def test_the_dodo_file_doitenv_gives_passes_each_checker_with_its_defaults(
    check: str, scaffolded: tuple[Path, dict[str, str]]
) -> None:
    folder, env = scaffolded
    argv = CHECKS[check]
    if check == "pyright":
        where = [
            str(folder / "venv" / BIN / "python"),
            "-c",
            "import pyright, os; print(os.path.dirname(pyright.__file__))",
        ]
        package = Path(subprocess.run(where, env=env, capture_output=True, text=True, check=True).stdout.strip())
        assert (package / "dist" / "index.js").is_file(), (
            f"the pyright wheel in {package} no longer carries pyright: fetch it from npm once with the wheels "
            "(conftest's checker_wheels, PYRIGHT_PYTHON_CACHE_DIR) so that this test runs offline"
        )
    checked = subprocess.run(
        [str(folder / "venv" / BIN / argv[0]), *argv[1:]],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
    )
    dodo = (folder / "dodo.py").read_text()
    assert checked.returncode == 0, f"{' '.join(argv)} exited {checked.returncode} on\n{dodo}\n{checked.stdout}"
