"""The one door from doitenv's errors to doit's: every action runs through `reported`.

Actions raise where they find a problem (errors.Failure, with the whole message); doit shows a
TaskFailed's message as the task's failure, and that message is errors.describe's, the text the
`doitenv` command and a watch print too. Ctrl-C and SIGTERM end the run here with one line saying
what they left (errors.if_stopped) and the shell's exit code, 130 or 143. Anything else is a bug
and keeps its traceback.
"""

from __future__ import annotations

import functools
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any, NoReturn

from doit.exceptions import TaskFailed

from doitenv import output
from doitenv.errors import Failure, Stopped, describe, leave


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
        except (Failure, OSError) as error:  # OSError: a file doitenv writes or reads, refused by the system
            return TaskFailed(describe(error))
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
            raise SystemExit(leave(error, 1)) from None

    return run


def _raise_stopped(signum: int, frame: Any) -> NoReturn:
    raise Stopped


def _end_stopped(stop: KeyboardInterrupt, leaves: str) -> NoReturn:
    """One line instead of doit's traceback; SystemExit passes doit by, after it saved what the
    tasks before this one did."""
    terminated = isinstance(stop, Stopped)
    sys.stderr.write("\n")  # off the line where the terminal echoed ^C
    output.error(f"{'stopped' if terminated else 'interrupted'}; {leaves}")
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
        sys.stderr.write("\n")
        output.error(
            "interrupted between tasks; each task that finished is recorded, and the next run goes on from there"
        )

    sys.excepthook = hook


def action(function: Callable[..., Any], *args: Any, leaves: str) -> tuple[Callable[..., Any], list[Any]]:
    """A doit python-action of `function(*args)`, its errors reported; `leaves`: what a Ctrl-C
    during it leaves behind."""
    return (reported(function, leaves), list(args))
