"""Find the interpreter a venv is to be made from, without starting any process.

The no-op path of `doit dev` must not spawn anything, so an interpreter is identified by
its real path and the size and mtime of that file: an upgrade in place changes them.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from doitenv import runner
from doitenv.errors import Failure

_VERSION = re.compile(r"^\d+(\.\d+){0,2}$")


OLDEST_SUPPORTED = (3, 9)


class InterpreterNotFound(Failure):
    """No interpreter answers `tool.doitenv.python` (raised `about` that setting, SETTING)."""


class LockedPythonMissing(InterpreterNotFound):
    """The Python the project's locks were pinned for is not installed; the message is whole."""


SETTING = "pyproject.toml: tool.doitenv.python"


def running_version() -> str:
    """major.minor of the Python running doit."""
    return f"{sys.version_info[0]}.{sys.version_info[1]}"


@dataclass(frozen=True)
class Interpreter:
    path: str  # real path, symlinks resolved
    signature: tuple[int, int]  # (size, mtime_ns) of that file

    @classmethod
    def at(cls, path: str) -> Interpreter:
        real = os.path.realpath(path)
        stat = os.stat(real)
        return cls(real, (stat.st_size, stat.st_mtime_ns))


def check_supported(path: str) -> None:
    """Refuse an interpreter older than doitenv supports. Starts it: only when making a venv."""
    probe = "import sys; print('%d.%d' % sys.version_info[:2])"
    try:
        version = runner.run([path, "-c", probe], capture=True, quiet=True).strip()
    except runner.CommandFailed as failed:
        raise InterpreterNotFound(f"{path} does not run: {failed.output.strip()}", about=[SETTING]) from None
    if version_tuple(version) < OLDEST_SUPPORTED:
        oldest = ".".join(map(str, OLDEST_SUPPORTED))
        raise InterpreterNotFound(
            f"Python {version} is older than doitenv supports ({oldest} or newer): {path}", about=[SETTING]
        )


def running_base() -> str:
    """The interpreter behind the running one: doit may itself run from a venv."""
    if sys.prefix != sys.base_prefix:
        base = getattr(sys, "_base_executable", None)
        if base and os.path.exists(base):
            return str(base)
    return sys.executable


def version_tuple(version: str) -> tuple[int, ...]:
    """(3, 9) of "3.9"; for a string is_version accepts."""
    return tuple(int(part) for part in version.split("."))


def is_version(spec: str) -> bool:
    """Whether a `python` setting is a version ("3.12", "3.12.1") rather than a name or path."""
    return bool(_VERSION.match(spec))


def find(spec: str | None, root: Path) -> Interpreter:
    """Resolve the `python` setting: None, a version ("3.12"), a command name, or a path."""
    if spec is None:
        return Interpreter.at(running_base())
    candidates: list[str] = []
    if is_version(spec):
        candidates += _pyenv_versions(spec)
        names = [f"python{spec}", f"python{spec}.exe"]
        candidates += _uv_managed(spec) + _registered(spec)
    else:
        names = [spec]
    if os.sep in spec or "/" in spec:
        candidates.append(str(root / spec))
    else:
        candidates += [found for name in names if (found := _which_real(name))]
    for candidate in candidates:
        if os.path.isfile(candidate):
            return Interpreter.at(candidate)
    raise InterpreterNotFound(
        f"no Python interpreter {spec!r} found on PATH, in pyenv or among uv's Pythons; install it, "
        "or set tool.doitenv.python in pyproject.toml to one that exists",
        about=[SETTING],
    )


def installed(version: str, root: Path) -> str | None:
    """The path of an installed Python `version` ("3.9"), found as the `python` setting finds
    one, or None."""
    try:
        return find(version, root).path
    except InterpreterNotFound:
        return None


def _pyenv_root() -> Path:
    return Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")


def _pyenv_versions(version: str) -> list[str]:
    """Real binaries of pyenv's versions matching "3.12" (newest first); shims are scripts."""
    versions = _pyenv_root() / "versions"
    if not versions.is_dir():
        return []
    matches = [v for v in versions.iterdir() if v.name == version or v.name.startswith(version + ".")]
    matches = [v for v in matches if re.fullmatch(r"\d+\.\d+\.\d+", v.name)]
    matches.sort(key=lambda v: tuple(int(p) for p in v.name.split(".")), reverse=True)
    return [str(v / "bin" / ("python" + ".".join(v.name.split(".")[:2]))) for v in matches]


def _uv_managed(version: str) -> list[str]:
    """The Pythons uv installed (`uv python install 3.9`) for "3.9" or "3.9.18", newest first."""
    if os.environ.get("UV_PYTHON_INSTALL_DIR"):
        folder = Path(os.environ["UV_PYTHON_INSTALL_DIR"])
    elif os.name == "nt":
        folder = Path(os.environ.get("APPDATA", Path.home())) / "uv" / "python"
    else:
        folder = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "uv" / "python"
    if not folder.is_dir():
        return []
    # cpython-3.9.18-linux-x86_64-gnu: only CPython, as pyenv's plain versions.
    found = []
    for each in folder.iterdir():
        match = re.fullmatch(r"cpython-(\d+\.\d+\.\d+)-.*", each.name)
        if match and (match[1] == version or match[1].startswith(version + ".")):
            found.append((tuple(int(p) for p in match[1].split(".")), each))
    found.sort(reverse=True)
    binary = "python.exe" if os.name == "nt" else "bin/python3"
    return [str(each / binary) for _, each in found]


def _registered(version: str) -> list[str]:
    """On Windows, the Pythons the installers registered (PEP 514), which the py launcher
    offers: read from the registry, so no process starts."""
    if sys.platform != "win32" or version.count(".") != 1:  # sys.platform: what mypy narrows on
        return []
    import winreg

    found = []
    for hive in (winreg.HKEY_CURRENT_USER, winreg.HKEY_LOCAL_MACHINE):
        for tag in (version, f"{version}-64", f"{version}-32"):
            try:
                with winreg.OpenKey(hive, rf"Software\Python\PythonCore\{tag}\InstallPath") as key:
                    path = winreg.QueryValueEx(key, "ExecutablePath")[0]
            except OSError:
                continue
            found.append(str(path))
    return found


def _which_real(name: str) -> str | None:
    """`shutil.which`, skipping pyenv's shims: they would hide which version really runs."""
    shims = str(_pyenv_root() / "shims")
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if p != shims)
    return shutil.which(name, path=path)
