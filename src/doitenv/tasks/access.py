"""Who may touch the venv and the locks while another doit process works on them (filelock.py).

Everything that changes the venv or the locks holds the project's lock exclusive (`changing`)
and looks again, inside it, whether another doit already did the work. A command that runs in
the venv holds the venv's users lock shared (`using`); making or syncing the venv holds it
exclusive (`writing`), so no test run sees a venv half-changed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from doitenv import files
from doitenv.filelock import exclusive, shared
from doitenv.project import Project


class _Held(threading.local):
    """The project locks this thread holds: a second open of one would wait for itself forever."""

    def __init__(self) -> None:
        self.paths: set[Path] = set()


_HELD = _Held()


@contextmanager
def changing(project: Project) -> Iterator[None]:
    """One doit process at a time changes the venv and the locks; the others wait, and say so.
    Whoever holds it removes the scratch files a killed run left beside the locks: no other
    process can be writing them now. Held already by this thread (an upgrade holds it from its
    first pin to its last), it is simply kept."""
    if project.lock_file in _HELD.paths:
        yield
        return
    waiting = f"waiting for another doit to finish with {project.venv.path.name}/ and the locks"
    with exclusive(project.lock_file, waiting):
        _HELD.paths.add(project.lock_file)
        try:
            if project.main_venv is None:  # a matrix entry holds its own venv's lock: a pin may be running
                root = project.root
                files.remove_scratch([root, *((root / layer.lock).parent for layer in project.layers)])
            yield
        finally:
            _HELD.paths.discard(project.lock_file)


def writing(project: Project, doing: str) -> AbstractContextManager[None]:
    """Hold the venv alone: no test run or other command of the venv runs while it changes."""
    name = project.venv.path.name
    return exclusive(project.users_lock_file, f"waiting for a command running in {name}/ to finish before {doing} it")


def using(project: Project) -> AbstractContextManager[None]:
    """Hold the venv beside other commands that run in it, never while it changes."""
    name = project.venv.path.name
    return shared(project.users_lock_file, f"waiting for another doit to be done with {name}/")
