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

_VERSION = re.compile(r"^\d+(\.\d+){0,2}$")


OLDEST_SUPPORTED = (3, 9)


class InterpreterNotFound(Exception):
    """No interpreter answers `tool.doitenv.python` (tasks/failures.py names the setting)."""


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
        raise InterpreterNotFound(f"{path} does not run: {failed.output.strip()}") from None
    if tuple(int(part) for part in version.split(".")) < OLDEST_SUPPORTED:
        oldest = ".".join(map(str, OLDEST_SUPPORTED))
        raise InterpreterNotFound(f"Python {version} is older than doitenv supports ({oldest} or newer): {path}")


def running_base() -> str:
    """The interpreter behind the running one: doit may itself run from a venv."""
    if sys.prefix != sys.base_prefix:
        base = getattr(sys, "_base_executable", None)
        if base and os.path.exists(base):
            return str(base)
    return sys.executable


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
        f"no Python interpreter {spec!r} found on PATH or in pyenv; install it, "
        "or set tool.doitenv.python in pyproject.toml to one that exists"
    )


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


def _which_real(name: str) -> str | None:
    """`shutil.which`, skipping pyenv's shims: they would hide which version really runs."""
    shims = str(_pyenv_root() / "shims")
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if p != shims)
    return shutil.which(name, path=path)
