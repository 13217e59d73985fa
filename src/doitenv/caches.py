"""What doitenv remembers for the length of one doit run (the project read once, a warning given
once), each registered here with how to forget it: a process that runs doit more than once (a
test suite, doit in-process) forgets it all with `reset()`, as tests/conftest.py does before each
test. Nothing remembered across runs lives in memory: that is doit's state and .doitenv/.
"""

from __future__ import annotations

from collections.abc import Callable

_RESETS: list[Callable[[], None]] = []


def for_the_run(forget: Callable[[], None]) -> None:
    """Register how to forget one thing remembered for the run (a cache's `clear`)."""
    _RESETS.append(forget)


def reset() -> None:
    """Forget everything remembered for the run, in every module loaded so far."""
    for forget in _RESETS:
        forget()
