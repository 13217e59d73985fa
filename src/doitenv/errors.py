"""The one kind of error a user reads, and the one way it leaves: raised where a problem is
found, described by `describe`, printed by `leave`.

A `Failure`'s message names the file or setting and the fix, once: whoever raises it knows it.
Code on the way up that knows more (which matrix entry, what an upgrade left) adds it as a field,
`about` or `then`, never by building a new text around str(error); `Failure.__str__` renders
them, in one place. `tasks/failures.py` hands `describe`'s text to doit as a task's failure (a
watch's too); the `doitenv` command and what runs outside any task (the state folder and file, a
refused doit command) print it through `leave`. Anything else that escapes is a bug in doitenv
and keeps its traceback.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from doitenv import files, output


class Failure(Exception):
    """Something the user can fix, or a tool's failure explained: str() is the whole message.

    `about`: what the message is about, outermost first (`pyproject.toml: tool.doitenv.python`,
    `Python 3.10 (venv-3.10/)`), put before its last line, the one that says what failed.
    `then`: lines after it, on what the failure meant for the run."""

    def __init__(self, message: str, *, about: Sequence[str] = (), then: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.about = tuple(about)
        self.then = tuple(then)

    def __str__(self) -> str:
        if not self.about and not self.then:
            return self.message  # as raised: a tool's lines keep their own ends
        *details, last = self.message.splitlines() or [""]
        return "\n".join([*details, ": ".join([*self.about, last]), *self.then])

    def add(self, *, about: str = "", then: str = "") -> Failure:
        """This failure with what the code on the way up knows: `about` goes before what is known
        already (the outer context first), `then` after."""
        self.about = (about, *self.about) if about else self.about
        self.then = (*self.then, then) if then else self.then
        return self


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


def describe(error: BaseException) -> str | None:
    """What the user reads for `error`, or None when it is no user-facing error (a bug, which
    keeps its traceback)."""
    if isinstance(error, Failure):
        return str(error)
    if isinstance(error, OSError):  # a file doitenv writes or reads, refused by the system
        return file_problem(error)
    return None


def leave(error: BaseException, code: int = 2) -> int:
    """Print `error`'s one message; the exit code to end with. A bug is raised again as it was."""
    text = describe(error)
    if text is None:
        raise error
    output.error(text)
    return code


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
