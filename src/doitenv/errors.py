"""The one kind of error a user reads: raised where a problem is found, shown in one place.

A `Failure`'s message names the file or setting and the fix, once: whoever raises it knows
the context, and nobody on the way up adds to it. `tasks/failures.py` turns it into doit's
failure; the `doitenv` command prints it. Anything else that escapes is a bug in doitenv and
keeps its traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class Failure(Exception):
    """Something the user can fix, or a tool's failure explained: str() is the whole message."""


class Stopped(KeyboardInterrupt):
    """SIGTERM, raised where the code is as Ctrl-C raises KeyboardInterrupt: whatever cleans up
    after one cleans up after both (tasks/failures.py installs it)."""


@contextmanager
def if_stopped(leaves: str) -> Iterator[None]:
    """What a Ctrl-C or SIGTERM inside the block leaves behind (`venv/ is marked unsynced: the
    next run syncs it again`), for the one line the user reads. The innermost block knows best."""
    try:
        yield
    except KeyboardInterrupt as stop:
        if not hasattr(stop, "leaves"):
            stop.leaves = leaves  # type: ignore[attr-defined]
        raise
