"""Where doitenv's own tools run from, so they never have to live in the project's venv.

pip-compile resolves for the Python it runs under and cannot be told another one. When the
venv's Python is the one running doit, pip-tools runs right here. Otherwise doitenv keeps a
small tools venv for that interpreter in the user's cache, made once and reused. uv comes
from the `doitenv[uv]` extra, or from PATH.
"""

from __future__ import annotations

import os
import shutil
import sys
from importlib.metadata import version
from pathlib import Path

from doitenv import files, runner
from doitenv.interpreter import Interpreter
from doitenv.venv import Venv, virtualenv_argv

# pip retries an unreachable index five times with back-off by default; once is enough to
# ride out a hiccup and still say "offline" in seconds. The user's own setting wins.
PIP_ENV = {"PIP_RETRIES": os.environ.get("PIP_RETRIES", "1")}


class BackendMissing(Exception):
    pass


def cache_dir() -> Path:
    if os.environ.get("DOITENV_CACHE_DIR"):
        return Path(os.environ["DOITENV_CACHE_DIR"])
    if os.name == "nt":
        return Path(os.environ.get("LOCALAPPDATA", Path.home())) / "doitenv" / "cache"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "doitenv"


def running_version() -> str:
    return f"{sys.version_info[0]}.{sys.version_info[1]}"


def piptools_for(venv: Venv) -> list[str]:
    """The argv prefix of pip-tools resolving for the venv's Python."""
    if venv.python_version() == running_version():
        return [sys.executable, "-m", "piptools"]
    interpreter = Interpreter.at(venv.base_interpreter())
    wanted = version("pip-tools")
    tools = Venv(cache_dir() / "tools" / files.digest([interpreter.path, wanted])[:16])
    if tools.problem(interpreter, "pip-tools") is not None or not tools.script("pip-compile"):
        print(f"doitenv: preparing pip-tools {wanted} for Python {venv.python_version()} in {tools.path}")
        tools.create(interpreter, virtualenv_argv(interpreter.path, tools.path), "pip-tools")
        runner.run([str(tools.python), "-m", "pip", "install", "--quiet", f"pip-tools=={wanted}"])
    return [str(tools.python), "-m", "piptools"]


def find_uv() -> str:
    try:
        from uv import find_uv_bin  # the `doitenv[uv]` extra

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
    if found is None:
        raise BackendMissing(
            "pyproject.toml: tool.doitenv asks for uv (backend = 'uv' or universal = true), and uv is not "
            "installed where doit runs: pip install 'doitenv[uv]' (or uv itself)"
        )
    return found
