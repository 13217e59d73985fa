"""Every line doitenv writes for a person leaves through here: one prefix, one place per stream,
and one level the user picks.

The level comes from DOITENV_OUTPUT (`quiet`, `normal`, the default, or `verbose`), read on each
call so that one run, one test or `doitenv --quiet` can change it:
- quiet: errors and warnings only (what needs the user);
- normal: also what a task did (`pinning requirements.in into requirements.txt`) and why it ran
  again (`tests run again: src/demo/core.py changed`);
- verbose: also the details of how (each tool's command line).

What a task did goes to stdout, where doit shows an action's output beside its task; errors,
warnings and the commentary on a run (why a task runs again, each tool's command line) go to
stderr, beside the tools' own logs. `result` is what a command was asked for (a graph, a
provenance record): stdout, no prefix, at every level.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Literal, TextIO

from doitenv import caches

Level = Literal["quiet", "normal", "verbose"]
LEVELS: tuple[Level, ...] = ("quiet", "normal", "verbose")
VARIABLE = "DOITENV_OUTPUT"
PREFIX = "doitenv: "


def _chosen() -> str:
    return os.environ.get(VARIABLE, "").strip().lower()


def level() -> Level:
    """The level this run shows: DOITENV_OUTPUT, or normal when it is unset or unknown (an unknown
    word gets one warning from `check`)."""
    chosen = _chosen()
    return next((each for each in LEVELS if each == chosen), "normal")


def problem() -> str | None:
    """The message for a DOITENV_OUTPUT no level has, or None."""
    chosen = _chosen()
    if chosen and chosen not in LEVELS:
        return f"{VARIABLE}={chosen!r} is no output level: use one of {', '.join(LEVELS)}"
    return None


# The unknown DOITENV_OUTPUT values warned about in this process: doit loads the tasks once a run,
# `doitenv graph` loads them inside the doitenv command, and each says it once.
_WARNED: set[str] = set()
caches.for_the_run(_WARNED.clear)


def check() -> None:
    """Warn once when DOITENV_OUTPUT is no level (the run goes on at the normal level)."""
    said = problem()
    if said is not None and said not in _WARNED:
        _WARNED.add(said)
        warn(said)


def shows(wanted: Level) -> bool:
    """Whether a line of level `wanted` is shown at the level of this run."""
    return LEVELS.index(level()) >= LEVELS.index(wanted)


def error(message: str) -> None:
    """A problem that ends what the user asked for: always shown."""
    _write(sys.stderr, message)


def warn(message: str, *, on_stdout: bool = False) -> None:
    """Something the user should know and may act on, while the run goes on: always shown.
    `on_stdout`: from an action of `doit clean`, which hands it no stderr (doit keeps what a
    clean action writes there to itself)."""
    _write(sys.stdout if on_stdout else sys.stderr, message)


def note(message: str, *, bare: bool = False) -> None:
    """What a task did or is doing, at the normal and verbose levels. `bare`: a line of a listing
    with no prefix (`removing venv/`, `wrote pyproject.toml`), as doit's own `doit clean` lists."""
    if shows("normal"):
        _write(sys.stdout, message, "" if bare else PREFIX)


def reason(message: str) -> None:
    """Why a task that ran before runs again (or why it does not), at the normal and verbose
    levels: a test run that did not start is no mystery."""
    if shows("normal"):
        _write(sys.stderr, message)


def detail(message: str, *, asked: bool = False) -> None:
    """How it was done, at the verbose level; at the normal level too when the user `asked` for
    this kind (tool.doitenv.show-commands). Never at the quiet level."""
    if shows("normal" if asked else "verbose"):
        _write(sys.stderr, message)


def result(text: str, end: str = "\n") -> None:
    """The answer a command was asked for, as it is: no prefix, every level."""
    end_redrawn()
    sys.stdout.write(text + end)
    sys.stdout.flush()


# A note redrawn in place on a terminal (how long a step has run) has no newline after it until
# another line comes: whatever is written next starts below it.
_drawn = threading.Event()
_drawn_width = 0


def redraw(message: str) -> None:
    """A note drawn over the last redrawn one, on a terminal: how far a long step has got."""
    global _drawn_width
    if not shows("normal"):
        return
    line = PREFIX + message
    sys.stdout.write("\r" + line.ljust(_drawn_width))  # padded over a longer line drawn before
    sys.stdout.flush()
    _drawn_width = len(line)
    _drawn.set()


def _forget_redrawn() -> None:
    global _drawn_width
    _drawn.clear()
    _drawn_width = 0


caches.for_the_run(_forget_redrawn)


def end_redrawn() -> None:
    """The redrawn line stays as it was last drawn, and what follows starts below it."""
    global _drawn_width
    if _drawn.is_set():
        _drawn.clear()
        _drawn_width = 0
        sys.stdout.write("\n")
        sys.stdout.flush()


def _write(stream: TextIO, message: str, prefix: str = PREFIX) -> None:
    end_redrawn()
    # The prefix goes on the first line only: the lines after it belong to it (a list of changes).
    # Blank lines before it stay before it: a line after a ^C starts below what the terminal echoed.
    text = message.lstrip("\n")
    stream.write("\n" * (len(message) - len(text)) + prefix + text + "\n")
    stream.flush()
