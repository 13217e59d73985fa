"""The one door from doitenv's errors to doit's: every action runs through `reported`.

Actions raise where they find a problem (errors.Failure, with the whole message); doit shows a
TaskFailed's message as the task's failure. A message is made here only for errors that do not
know the setting they are about. Ctrl-C and SIGTERM end the run here with one line saying what
they left (errors.if_stopped) and the shell's exit code, 130 or 143. Anything else is a bug and
keeps its traceback.
"""

from __future__ import annotations

import errno
import functools
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from doit.exceptions import TaskFailed

from doitenv import files
from doitenv.config import ConfigError
from doitenv.errors import Failure, Stopped
from doitenv.interpreter import InterpreterNotFound, LockedPythonMissing


def message(error: Exception) -> str | None:
    """What the user reads for `error`, or None when it is no user-facing error (a bug)."""
    if isinstance(error, Failure):
        return str(error)
    if isinstance(error, LockedPythonMissing):
        return str(error)
    if isinstance(error, InterpreterNotFound):
        return f"pyproject.toml: tool.doitenv.python: {error}"
    if isinstance(error, ConfigError):
        return "\n".join(error.errors)
    return None


# What to do about a file the system refused, by the reason it gave.
_FIXES = {
    errno.ENOSPC: "the disk is full: free some space and run again",
    errno.EACCES: "it may not be written: make it (and its folder) writable, or close the program using it",
    errno.EPERM: "it may not be changed (an immutable file?): make it writable, and run again",
    errno.EROFS: "it is on a read-only filesystem: run doit where the project can be written",
    errno.ENOENT: "it went away during the run (a folder removed meanwhile?): run again",
}
if hasattr(errno, "EDQUOT"):  # not on Windows
    _FIXES[errno.EDQUOT] = "the disk quota is used up: free some space and run again"


def file_problem(error: OSError) -> str:
    """One line for an OSError: the file, what the system said, and the fix."""
    where = error.filename if error.filename is not None else "a file"
    try:
        where = files.shown(Path(where), Path.cwd()) if error.filename is not None else where
    except (OSError, ValueError):
        pass
    fix = _FIXES.get(error.errno or 0, "fix that and run again")
    return f"{where}: {error.strerror or error}: {fix}"


def reported(action: Callable[..., Any], leaves: str) -> Callable[..., Any]:
    """`action` as doit runs it: what it returns, or its error as one TaskFailed. `leaves`: what
    stopping it leaves, unless the code running then says better. doit reads the action's
    parameters (`task`, `args`, a task's params) through functools.wraps."""

    @functools.wraps(action)
    def run(*args: Any, **kwargs: Any) -> Any:
        # Only the main thread may set a handler (doit -P thread runs actions in others), and a
        # handler already set is kept: a `doit watch` round ends quietly by its own (watch.py).
        main = threading.current_thread() is threading.main_thread()
        main = main and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
        before = signal.signal(signal.SIGTERM, _raise_stopped) if main else None
        try:
            return action(*args, **kwargs)
        except (Failure, InterpreterNotFound, ConfigError) as error:
            return TaskFailed(message(error) or str(error))
        except OSError as error:  # a file doitenv writes or reads, refused by the system
            return TaskFailed(file_problem(error))
        except KeyboardInterrupt as stop:
            _end_stopped(stop, getattr(stop, "leaves", leaves))
        finally:
            if main:
                signal.signal(signal.SIGTERM, before)

    return run


def saver(save: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    """`save` as a doit value saver: doit calls it after the task's actions, outside `reported`,
    and records the task only once it returns. A file it cannot write is one line, and the run
    ends there (doit first saves what the tasks before did): the task runs again next time."""

    @functools.wraps(save)
    def run() -> dict[str, Any]:
        try:
            return save()
        except OSError as error:
            print(f"doitenv: {file_problem(error)}", file=sys.stderr, flush=True)
            raise SystemExit(1) from None

    return run


def _raise_stopped(signum: int, frame: Any) -> NoReturn:
    raise Stopped


def _end_stopped(stop: KeyboardInterrupt, leaves: str) -> NoReturn:
    """One line instead of doit's traceback; SystemExit passes doit by, after it saved what the
    tasks before this one did."""
    terminated = isinstance(stop, Stopped)
    print(f"\ndoitenv: {'stopped' if terminated else 'interrupted'}; {leaves}", file=sys.stderr, flush=True)
    raise SystemExit(143 if terminated else 130) from None


def report_interrupts_between_tasks() -> None:
    """A Ctrl-C while doit itself works, between actions (it hashes a changed file_dep in full to
    decide whether a task is up to date, which takes seconds for a large data file), reaches no
    action: one line then too, not doit's traceback. The process still ends as Python ends on
    an uncaught Ctrl-C, by SIGINT (130 in a shell); doit has saved what the finished tasks did."""
    previous = sys.excepthook

    def hook(kind: type[BaseException], value: BaseException, traceback: Any) -> None:
        if not issubclass(kind, KeyboardInterrupt):
            previous(kind, value, traceback)
            return
        print(
            "\ndoitenv: interrupted between tasks; each task that finished is recorded, "
            "and the next run goes on from there",
            file=sys.stderr,
            flush=True,
        )

    sys.excepthook = hook


def action(function: Callable[..., Any], *args: Any, leaves: str) -> tuple[Callable[..., Any], list[Any]]:
    """A doit python-action of `function(*args)`, its errors reported; `leaves`: what a Ctrl-C
    during it leaves behind."""
    return (reported(function, leaves), list(args))
