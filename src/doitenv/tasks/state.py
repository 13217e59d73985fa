"""doit's state file (.doitenv/doit.sqlite3) as doitenv keeps it: a write that fails is one line.

doit writes its state outside any task: when it opens the file, when a failed task is
forgotten, and when the run ends and it saves what ran (`SqliteDB.dump`). A full disk at any of
those ended in sqlite3's traceback, printed by doit before dodo.py could say a word. So
doitenv's backend is doit's own sqlite3 backend (the same file and table: the two read each
other's state) whose writes say what failed and the fix. doit finds it as a plugin, the
`doitenv-sqlite3` entry point of the `doit.BACKEND` group (pyproject.toml).
"""

from __future__ import annotations

import errno
import sqlite3
from importlib import metadata
from pathlib import Path
from typing import Any, NoReturn

from doit.dependency import DatabaseException, SqliteDB

from doitenv.errors import Failure, file_problem, leave

BACKEND = "doitenv-sqlite3"


def backend() -> str:
    """The backend for DOIT_CONFIG: doitenv's, or doit's own where doitenv's installed metadata
    does not register it (an install older than it, or doitenv run from a source folder), which
    doit could not find: a missing backend is a crash, a traceback on a full disk is not."""
    try:
        found = metadata.distribution("doitenv").entry_points
    except metadata.PackageNotFoundError:
        return "sqlite3"
    registered = any(point.group == "doit.BACKEND" and point.name == BACKEND for point in found)
    return BACKEND if registered else "sqlite3"


def refused(error: sqlite3.Error, dep_file: str | Path) -> OSError:
    """sqlite3's error as the OSError it stands for, so it reads as any refused file does:
    sqlite gives its reason (`database or disk is full`) but no errno."""
    reason = str(error)
    code = errno.ENOSPC if "full" in reason else errno.EROFS if "readonly" in reason else None
    return OSError(code, reason, str(dep_file))


class StateFile(SqliteDB):  # type: ignore[misc]  # doit has no type hints
    """doit's sqlite3 backend, its every write ending a failed run with one line."""

    desc = "doit's sqlite3 backend; a write that fails is one line, not a traceback"

    def __init__(self, name: str, codec: Any, **options: Any) -> None:
        # doit removes a failed task's record so that it runs again. Removed, but not saved, that
        # record would stand: the file must then go (`unremoved`: a removal failed already).
        self.removed = False
        self.unremoved: sqlite3.OperationalError | None = None
        super().__init__(name, codec, **options)

    def _sqlite3(self, name: str) -> Any:
        try:  # creating the table, in a new state file
            return super()._sqlite3(name)
        except DatabaseException as error:
            # doit says any error here means a damaged file, to be removed; sqlite's says which.
            if isinstance(error.__context__, sqlite3.OperationalError):
                _end(refused(error.__context__, name))
            raise

    def remove(self, task_id: str) -> None:
        self.removed = True
        try:
            super().remove(task_id)
        except sqlite3.OperationalError as error:
            self.unremoved = error  # said when doit saves: doit has yet to report the task's failure

    def remove_all(self) -> None:
        self.removed = True
        try:
            super().remove_all()
        except sqlite3.OperationalError as error:
            self.unremoved = error

    def dump(self) -> None:
        try:
            if self.unremoved is not None:
                raise self.unremoved
            super().dump()
        except sqlite3.OperationalError as error:
            # Not committed is rolled back: the file keeps the last run's state, and the next run
            # does again what this one could not record, unless it would count a failed task done.
            self._conn.close()
            problem = refused(error, self.name)
            # Removing a file needs no space. Only on a full disk: a file locked by another doit
            # process holds that process's results too.
            if self.removed and problem.errno == errno.ENOSPC and _removed(self.name):
                _end(problem, "; doit's state is forgotten (it would count a task that failed as done)")
            _end(problem)


def _removed(dep_file: str) -> bool:
    try:
        for path in (dep_file, f"{dep_file}-journal"):
            Path(path).unlink(missing_ok=True)
    except OSError:
        return False
    return True


def _end(problem: OSError, after: str = "") -> NoReturn:
    # Outside any task: doit would print the traceback and exit 3. The same exit code.
    raise SystemExit(leave(Failure(f"{file_problem(problem)}{after}"), 3))


def forget(dep_file: Path) -> None:
    """Empty doit's state in place (`doit distclean`): the running doit holds the file open."""
    if not dep_file.exists():
        return
    try:
        with sqlite3.connect(dep_file) as connection:
            connection.execute("DELETE FROM doit")
        connection.close()
    except sqlite3.OperationalError as error:
        raise refused(error, dep_file) from None
