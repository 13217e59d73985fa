"""What runs before doit acts on doitenv's tasks. At import, when dodo.py loads the tasks, only
the state folder is prepared: doit opens its state file right after, before any task creator
runs. The rest waits for the first task creator (`when_doit_starts`): importing the tasks (a test,
a tool, `doitenv graph`) must not refuse the command line or take over the process's signals.
"""

from __future__ import annotations

import errno
import os
import sys
from functools import cache
from pathlib import Path

from doitenv import caches, errors, files, output, watch
from doitenv.errors import Failure
from doitenv.project import DOIT_DEP_FILE, STATE_DIR
from doitenv.tasks import failures


def prepare_state(state_dir: Path, dep_file: Path) -> None:
    """The state folder exists, is ignored by git, and holds a state file sqlite3 can open."""
    # Two doit processes may start at once on a fresh clone: both may get here first.
    state_dir.mkdir(exist_ok=True)
    ignore = state_dir / ".gitignore"
    if not ignore.exists():
        files.write_atomic(ignore, b"# doitenv's local state: not for git\n*\n")
    try:
        with dep_file.open("rb") as handle:
            head = handle.read(16)
    except OSError:
        return
    if head and head != b"SQLite format 3\x00":
        # Only a cache of what ran: the locks and the venv carry their own state.
        aside = dep_file.with_name(dep_file.name + ".damaged")
        os.replace(dep_file, aside)
        output.warn(f"{dep_file} was not a doit state file; moved it to {aside.name} and starting afresh")


# doit's own commands that cannot work on doitenv's tasks, and why, said instead of a traceback.
# (`doit dumpdb` never loads dodo.py: the README says why it cannot read doitenv's state.)
_UNSUPPORTED = {
    "strace": "doit strace traces only shell-command actions, and doitenv's tasks run Python (its report "
    "would reach the test command as an argument): run `strace -f -e trace=file doit test` instead",
}


# Commands that never write doit's state: they work in a read-only checkout (`graph` is
# `doitenv graph`, which loads dodo.py in its own process).
READ_ONLY_COMMANDS = ("list", "help", "info", "tabcompletion", "graph")


def _state_problem(state_dir: Path, dep_file: Path, command: str) -> str | None:
    """Why doit could not keep its state (sqlite fails on its first write, with a traceback)."""
    fix = "doit keeps what ran there: make the project's folder writable"
    try:
        prepare_state(state_dir, dep_file)
    except OSError as exc:
        if exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):  # a full disk, say
            return errors.file_problem(exc)
        return f"{state_dir}/ cannot be written ({exc.strerror}): {fix}"
    if command in READ_ONLY_COMMANDS:
        return None
    if not os.access(state_dir, os.W_OK) or (dep_file.exists() and not os.access(dep_file, os.W_OK)):
        return f"{state_dir}/ is read-only: {fix}"
    return None


def before_doit_starts() -> None:
    """The only work done when dodo.py imports this module: doit opens its state file right
    after importing dodo.py, before any task creator runs, so the state folder must be ready by
    then. The rest waits for the first task creator (when_doit_starts)."""
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    problem = _state_problem(Path(STATE_DIR), Path(DOIT_DEP_FILE), command)
    if problem:
        raise SystemExit(errors.leave(Failure(problem), 2))


@cache
def when_doit_starts() -> None:
    """Once a run, from the first task creator (every one asks for the project), before doit runs
    any action: refuse a doit command that cannot work on these tasks, let a round of `doit watch`
    stop quietly (watch.py), and make a Ctrl-C between tasks one line. Not at import: importing
    the tasks (a test, a tool, `doitenv graph`) must not take over the process's signals."""
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command in _UNSUPPORTED:
        raise SystemExit(errors.leave(Failure(_UNSUPPORTED[command]), 2))
    watch.exit_quietly_when_stopped()
    if _run_by_doit():  # not in a process that only imports the tasks (a test, a tool)
        failures.report_interrupts_between_tasks()


caches.for_the_run(when_doit_starts.cache_clear)


def _run_by_doit() -> bool:
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    return getattr(spec, "name", "") == "doit.__main__" or Path(getattr(main, "__file__", "")).stem == "doit"
