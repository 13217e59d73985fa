"""The backends: what makes a venv, pins a lock and syncs the venv to it, behind one protocol.

A backend is one module here and one line in registry.REGISTRY. It owns its argv, its environment
variables and the flags that shape a lock; nothing outside this package asks which backend
it has. Two backends today: `pip-tools` (virtualenv, pip-compile, the venv's own pip; the
default) and `uv`.

Every backend syncs the same way round: everything the lock needs is fetched, checked and
built before the first package is removed, so a pin that does not exist, a bad hash or an index
out of reach leaves the venv as it was. The project's own editable install is not theirs: see
editable.py.

This module is the protocol alone, and imports no backend: sync.py and editable.py are handed a
backend and need only its type, while the backends use them (registry.py knows them all).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from packaging.utils import canonicalize_name

from doitenv import reqfile
from doitenv.runner import ToolFailure

if TYPE_CHECKING:
    from doitenv.locks import LockShape
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

    @staticmethod
    def explain_failure(output: str) -> ToolFailure:
        """What the output of one of its commands that failed (runner.CommandFailed.output) says."""
        ...


class Fetched:
    """The packages a backend has fetched so far while it syncs (normalized names), read by the
    heartbeat's thread while the backend's command runs: the backend adds each one as it sees it
    done (pip's output), or gives a `watch` that finds them when asked (uv's cache)."""

    def __init__(self) -> None:
        self._names: frozenset[str] = frozenset()
        self._watches: list[Callable[[], Iterable[str]]] = []

    def add(self, name: str) -> None:
        # A new set each time, swapped in whole: the other thread never reads one half-changed.
        self._names = self._names | {canonicalize_name(name)}

    def watch(self, finds: Callable[[], Iterable[str]]) -> None:
        self._watches.append(finds)

    def names(self) -> frozenset[str]:
        for finds in self._watches:
            for name in finds():
                self.add(name)
        return self._names
