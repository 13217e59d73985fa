"""How pip and uv say what went wrong, read for the backends' explain_failure: the lines worth
showing, and the words both use for an index out of reach. Each backend reads its own tool's words
for the rest (a pin not found, a hash that does not match); what the user is told about it is its
callers' (sync.py, locks.py): nothing outside this package reads a tool's output.
"""

from __future__ import annotations

import re

# The system's words for a network out of reach, as both tools pass them on.
OFFLINE = r"Temporary failure in name resolution|Name or service not known|Network is unreachable|Connection refused"


def first(pattern: re.Pattern[str], output: str) -> str | None:
    """The first group that took part in `pattern`'s first match in `output`, or None."""
    match = pattern.search(output)
    return next((group.strip() for group in match.groups() if group), None) if match else None


def error_lines(output: str) -> list[str]:
    """The lines of a tool's output that say what went wrong, without any traceback. pip's marks
    and uv's alike: a failed build or script shows what other programs printed inside it."""
    lines = [line.rstrip() for line in output.splitlines() if line.strip() and not line.startswith("WARNING")]
    marker = "Traceback (most recent call last):"
    if marker in lines:
        first = lines.index(marker)
        before = lines[:first]
        if any(line.lstrip().startswith("ERROR") for line in before):
            # The tool said what was wrong; the traceback after it is about the tool itself.
            lines = before
        else:
            # A crash with nothing said first: the message is the last unindented line (it may
            # go on over indented lines), without the exception's class path.
            last = max(i for i, line in enumerate(lines) if not line.startswith(" "))
            return [lines[last].split(": ", 1)[-1], *lines[last + 1 :]]
    errors: list[str] = []
    for line in lines:
        if line.lstrip().startswith(("ERROR", "error:", "Error:")):
            errors.append(line.strip())
        elif errors and line.lstrip().startswith(("cause:", "hint:", "╰─▶")):
            errors.append(line.strip())  # uv explains its error on the lines after it
    return errors or [line.strip() for line in lines[-3:]]
