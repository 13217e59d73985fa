"""What pins a lock: pip-compile or `uv pip compile` for the venv's Python, or uv for every Python.

Each resolver owns its command, its environment and the flags that decide what a lock holds.
A lock's digest covers those flags, every resolver's (see LockShape.parts): change one here
and every user's committed lock is pinned again, so no lock is ever fresh for flags it was not
made with. Covering both resolvers keeps the digest the same whichever backend wrote the lock,
so a team that switches backend re-pins nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from doitenv import reqfile, tools
from doitenv.venv import Venv

# Bumped when the digest's recipe changes (locks.py); it makes every lock stale once.
LOCK_FORMAT = "doitenv-lock-4"


@dataclass(frozen=True)
class LockShape:
    """What a lock is resolved for and how: the digest and the header record it."""

    python: str  # the venv's major.minor, or "universal" and a range such as ">=3.9"
    hashes: bool
    universal_from: str | None = None  # the lowest major.minor of a universal lock

    def parts(self) -> list[str]:
        """What the digest covers besides the inputs."""
        return [
            LOCK_FORMAT,
            self.python,
            *(f"{each.name}: {' '.join(each.shaping_flags(self))}" for each in (PipCompile, UvCompile)),
        ]


class PipCompile:
    """pip-compile, from pip-tools: it resolves for the Python it runs under only."""

    name = "pip-compile"

    def __init__(self, venv: Venv) -> None:
        # Makes a tools venv when the venv's Python is not the one running doit.
        self.tool = tools.piptools_for(venv)

    @staticmethod
    def shaping_flags(shape: LockShape) -> list[str]:
        return [
            *(["--generate-hashes"] if shape.hashes else []),
            # Locks are committed: keep this machine's index, find-links and hosts out of them
            # (doitenv writes the project's own index options into the lock itself).
            "--no-emit-index-url", "--no-emit-find-links", "--no-emit-trusted-host",
            # pkg[extra] in a lock breaks -r/-c layering in pip.
            "--strip-extras",
            # Pin pip and setuptools too when something needs them: the lock is the whole truth.
            "--allow-unsafe",
        ]  # fmt: skip

    def argv(self, shape: LockShape, in_file: str, output: str, upgrade: Sequence[str]) -> list[str]:
        assert shape.universal_from is None, "pip-compile resolves for one Python: universal locks use uv"
        flags = self.shaping_flags(shape)
        return [*self.tool, "compile", *flags, *upgrade, "--quiet", "--output-file", output, in_file]

    def environment(self, lock: str, index_options: Sequence[reqfile.IndexOption]) -> dict[str, str]:
        # pip lets a file's --index-url win over this machine's settings: nothing to pass on.
        return {**tools.PIP_ENV, "CUSTOM_COMPILE_COMMAND": f"doit {lock}"}

    def target(self, shape: LockShape) -> str:
        return f"Python {shape.python}"


class UvCompile:
    """`uv pip compile`: for the venv's Python, or universal (every Python from
    `shape.universal_from` on, every platform, the markers kept on the pins)."""

    name = "uv"

    def __init__(self, venv: Venv) -> None:
        self.venv = venv
        self.uv = tools.find_uv()

    @staticmethod
    def shaping_flags(shape: LockShape) -> list[str]:
        # uv writes no index options and pins pip and setuptools unless told otherwise.
        universal = ["--universal", "--python-version", shape.universal_from] if shape.universal_from else []
        return [*(["--generate-hashes"] if shape.hashes else []), "--strip-extras", *universal]

    def argv(self, shape: LockShape, in_file: str, output: str, upgrade: Sequence[str]) -> list[str]:
        # A universal lock is for every Python from universal_from on, and the interpreter only
        # builds sdists for their metadata; without one named, uv looks for (and tries to
        # download) that lowest Python, which took 10 s on a machine without it.
        python = self.venv.python
        if shape.universal_from and not python.is_file():
            python = Path(sys.executable)  # any interpreter builds sdists for a universal lock
        return [
            self.uv, "pip", "compile", *self.shaping_flags(shape), "--python", str(python), *upgrade,
            "--quiet", "--output-file", output, in_file,
        ]  # fmt: skip

    def environment(self, lock: str, index_options: Sequence[reqfile.IndexOption]) -> dict[str, str]:
        return {**reqfile.uv_environment(index_options), "UV_CUSTOM_COMPILE_COMMAND": f"doit {lock}"}

    def target(self, shape: LockShape) -> str:
        if shape.universal_from:
            return f"every Python {shape.python.removeprefix('universal')} and platform"
        return f"Python {shape.python}"


def get(backend: str, venv: Venv, universal: bool) -> PipCompile | UvCompile:
    """The backend's resolver; uv for universal locks whatever the backend (only uv resolves for
    every Python and platform at once). Raises tools.BackendMissing when uv is not installed, and
    runner.CommandFailed when pip-tools cannot be prepared for the venv's Python."""
    return UvCompile(venv) if universal or backend == "uv" else PipCompile(venv)
