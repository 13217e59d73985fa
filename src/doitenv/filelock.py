"""Locks between doit processes on one project: one writer, or many readers.

doit runs tasks of one process in order, but two `doit` commands on one project (or
`doit -n 4`) would otherwise run two syncs into the same venv, or a sync under a running test
suite. Whatever changes the venv or the locks holds a lock exclusive; whatever runs in the venv
(tests, formatters, a project's own tasks) holds the venv's lock shared. The lock files live
outside the venv, because rebuilding the venv deletes everything inside it.
"""

from __future__ import annotations

import errno
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from doitenv import output

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int, exclusive: bool) -> bool:
        # msvcrt has no shared locks: on Windows readers take turns too.
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EDEADLK):  # held by another process
                return False
            raise
        return True

    def _lock(fd: int, exclusive: bool) -> None:
        # LK_LOCK gives up after ten seconds; a sync or a test run can take far longer.
        while not _try_lock(fd, exclusive):
            time.sleep(0.2)

    def _unlock(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int, exclusive: bool) -> bool:
        try:
            fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _lock(fd: int, exclusive: bool) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


@contextmanager
def exclusive(path: Path, waiting: str | None = None) -> Iterator[None]:
    """Hold `path` alone for the duration; waits for any other holder, saying `waiting` first."""
    with _held(path, True, waiting):
        yield


@contextmanager
def shared(path: Path, waiting: str | None = None) -> Iterator[None]:
    """Hold `path` beside other shared holders; waits for an exclusive one, saying `waiting` first."""
    with _held(path, False, waiting):
        yield


@contextmanager
def _held(path: Path, exclusive: bool, waiting: str | None) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if not _try_lock(fd, exclusive):
            if waiting:
                output.warn(waiting)  # a wait the user may have to end (a server holding the venv)
            _lock(fd, exclusive)
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)
