"""The one kind of error a user reads: raised where a problem is found, shown in one place.

A `Failure`'s message names the file or setting and the fix, once: whoever raises it knows
the context, and nobody on the way up adds to it. `tasks/failures.py` turns it into doit's
failure; the `doitenv` command prints it. Anything else that escapes is a bug in doitenv and
keeps its traceback.
"""

from __future__ import annotations


class Failure(Exception):
    """Something the user can fix, or a tool's failure explained: str() is the whole message."""
