"""Every line doitenv writes for a person leaves through here: one prefix, one place per stream,
and one level the user picks.

The level comes from DOITENV_OUTPUT (`quiet`, `normal`, the default, or `verbose`), read on each
call so that one run, one test or `doitenv --quiet` can change it:
- quiet: errors and warnings only (what needs the user);
- normal: also what a task did (`pinning requirements.in into requirements.txt`);
- verbose: also the details of how (each tool's command line, why a task was out of date).

Errors and warnings go to stderr, progress to stdout, where doit shows an action's output beside
its task. `result` is what a command was asked for (a graph, a provenance record): stdout, no
prefix, at every level.
"""

from __future__ import annotations

import os
import sys
from typing import Literal, TextIO

Level = Literal["quiet", "normal", "verbose"]
LEVELS: tuple[Level, ...] = ("quiet", "normal", "verbose")
VARIABLE = "DOITENV_OUTPUT"
PREFIX = "doitenv: "


def level() -> Level:
    """The level this run shows: DOITENV_OUTPUT, or normal when it is unset or unknown (an unknown
    word gets one warning from `problem`, where the settings are checked)."""
    chosen = os.environ.get(VARIABLE, "").strip().lower()
    for each in LEVELS:
        if chosen == each:
            return each
    return "normal"


def problem() -> str | None:
    """The message for a DOITENV_OUTPUT no level has, or None."""
    chosen = os.environ.get(VARIABLE, "").strip().lower()
    if chosen and chosen not in LEVELS:
        return f"{VARIABLE}={chosen!r} is no output level: use one of {', '.join(LEVELS)}"
    return None


def shows(wanted: Level) -> bool:
    """Whether a line of level `wanted` is shown at the level of this run."""
    return LEVELS.index(level()) >= LEVELS.index(wanted)


def error(message: str) -> None:
    """A problem that ends what the user asked for: always shown."""
    _write(sys.stderr, message)


def warn(message: str) -> None:
    """Something the user should know and may act on, while the run goes on: always shown."""
    _write(sys.stderr, message)


def note(message: str) -> None:
    """What a task did or is doing, at the normal and verbose levels."""
    if shows("normal"):
        _write(sys.stdout, message)


def detail(message: str) -> None:
    """How it was done, at the verbose level only."""
    if shows("verbose"):
        _write(sys.stdout, message)


def result(text: str, end: str = "\n") -> None:
    """The answer a command was asked for, as it is: no prefix, every level."""
    sys.stdout.write(text + end)
    sys.stdout.flush()


def _write(stream: TextIO, message: str) -> None:
    # The prefix goes on the first line only: the lines after it belong to it (a list of changes).
    stream.write(PREFIX + message + "\n")
    stream.flush()
