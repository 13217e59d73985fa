"""The backends: what makes a venv, pins a lock and syncs the venv to it, behind one protocol.

A backend is one module here and one line in REGISTRY. It owns its argv, its environment
variables and the flags that shape a lock; nothing outside this package asks which backend
it has. Two backends today: `pip-tools` (virtualenv, pip-compile, the venv's own pip; the
default) and `uv`.

Every backend syncs the same way round: everything the lock needs is fetched, checked and
built before the first package is removed, so a pin that does not exist, a bad hash or an index
out of reach leaves the venv as it was. The project's own editable install is not theirs: see
editable.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from doitenv import reqfile
from doitenv.backends.piptools import PipTools
from doitenv.backends.uv import Uv

if TYPE_CHECKING:
    from doitenv.locks import LockShape
    from doitenv.sync import Fetched
    from doitenv.venv import Venv


class Backend(Protocol):
    name: str  # as `tool.doitenv.backend` names it, and the venv's record keeps it
    extra: str | None  # the extra of doitenv that installs it (`doitenv[uv]`); None: doitenv's own dependencies

    @staticmethod
    def can_pin(shape: LockShape) -> bool:
        """Can it resolve a lock of this shape (pip-compile resolves for one Python only)?"""
        ...

    def create_venv(self, python: str, venv: Venv) -> list[str]:
        """The command that makes `venv` from the interpreter `python`."""
        ...

    def install_argv(self, venv: Venv, requirements: list[str]) -> list[str]:
        """The command that installs `requirements` into `venv` (a build environment)."""
        ...

    def index_environment(self, options: Sequence[reqfile.IndexOption]) -> dict[str, str]:
        """The environment that hands a lock's index options to an install that reads no file."""
        ...

    def sync(
        self,
        venv: Venv,
        lock: Path,
        text: str,
        root: Path,
        with_project: bool,
        fetched: Fetched,
        reinstall: Sequence[str],
    ) -> None:
        """Make `venv` hold exactly `lock` (whose content is `text`), telling `fetched` each package it
        has fetched while it fetches (for the heartbeat), and install again the local folders and
        archives `reinstall` names (as the lock writes them), whatever their version; raises
        runner.CommandFailed."""
        ...

    @staticmethod
    def shaping_flags(shape: LockShape) -> list[str]:
        """The flags that decide what a lock of `shape` holds (see locks.LOCK_FORMAT)."""
        ...

    def pin_argv(self, shape: LockShape, venv: Venv, in_file: str, output: str, upgrade: Sequence[str]) -> list[str]:
        """The command that pins `in_file` into `output` for `shape`, starting from `output`'s pins."""
        ...

    def pinned_by(self, venv: Venv) -> str:
        """The resolver that pins for the venv's Python and its version (`pip-tools==7.6.2`): the lock records it."""
        ...

    def pin_environment(self, lock: str, options: Sequence[reqfile.IndexOption]) -> dict[str, str]:
        """The environment of that command."""
        ...


REGISTRY: dict[str, type[Backend]] = {"pip-tools": PipTools, "uv": Uv}


def get(name: str) -> Backend:
    """The backend `name` (a key of REGISTRY). Raises BackendMissing when its tool is not installed."""
    return REGISTRY[name]()


def _pinning(name: str, shape: LockShape) -> type[Backend]:
    """The backend that pins locks of `shape`: the chosen one if it can, else the first that can
    (a universal lock is uv's whatever the backend: only uv resolves for every Python at once)."""
    chosen = REGISTRY[name]
    if chosen.can_pin(shape):
        return chosen
    return next(each for each in REGISTRY.values() if each.can_pin(shape))


def pinner(name: str, shape: LockShape) -> Backend:
    """What pins the locks of `shape` for a project whose backend is `name` (see get for what it raises)."""
    return _pinning(name, shape)()


def install_name(name: str, shape: LockShape) -> str:
    """What pip installs doitenv from for this backend and lock shape: `doitenv`, or with the extras they need."""
    extras = sorted({each.extra for each in (REGISTRY[name], _pinning(name, shape)) if each.extra})
    return f"doitenv[{','.join(extras)}]" if extras else "doitenv"
