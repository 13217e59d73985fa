"""How pip and uv say what went wrong, read for the backends' explain_failure: the lines worth
showing, the words both use for an index out of reach or one that refused the credentials, and
the helpers each backend reads its own tool's words with (a pin not found, a hash that does not
match, a release that failed to build). What the user is told is the callers' (sync.py, locks.py,
fits.py, indexes.py): nothing outside this package reads a tool's output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from doitenv.runner import ToolFailure

# The system's words for a network out of reach, as both tools pass them on.
OFFLINE = r"Temporary failure in name resolution|Name or service not known|Network is unreachable|Connection refused"


@dataclass(frozen=True)
class Words:
    """How one tool says what ToolFailure records: each backend has its own."""

    unreachable: re.Pattern[str]  # an index out of reach (group: the system's reason)
    not_found: re.Pattern[str]  # a pin no index has (group: the name)
    bad_hash: re.Pattern[str]  # a file that does not match its hash (group: the name)
    not_built: tuple[re.Pattern[str], ...]  # a release that failed to build (name, version)
    no_file: tuple[re.Pattern[str], ...]  # a release with no file for the venv's Python (name, version)


def read(output: str, words: Words, **more: Any) -> ToolFailure:
    """What a tool's failed run says, read with its own `words`; `more`: what only that tool says."""
    return ToolFailure(
        tuple(error_lines(output)),
        unreachable=first(words.unreachable, output),
        not_found=first(words.not_found, output),
        bad_hash=first(words.bad_hash, output),
        not_built=release(words.not_built, output),
        no_file=release(words.no_file, output),
        **more,
    )


def first(pattern: re.Pattern[str], output: str) -> str | None:
    """The first group that took part in `pattern`'s first match in `output`, or None."""
    match = pattern.search(output)
    return next((group.strip() for group in match.groups() if group), None) if match else None


def release(patterns: tuple[re.Pattern[str], ...], output: str) -> tuple[str, str | None] | None:
    """(name, version or None) from the first of `patterns` that matches: group 1, and group 2 where
    the pattern has one."""
    match = next((found for pattern in patterns if (found := pattern.search(output))), None)
    if match is None:
        return None
    return match.group(1), match.group(2) if match.re.groups > 1 else None


# A line of pip's or uv's that tells of a 401 or a 403 from a URL it names.
_REFUSAL = re.compile(r'Unauthorized|Forbidden|Credentials not correct|Client Error|HTTP/[\d.]+" 40[13]')
_STATUS = re.compile(r"\b(40[13])\b")
_URL = re.compile(r"https?://[^\s)'\"`,]+")


def refused(output: str, prompt: re.Pattern[str] | None = None) -> tuple[str, str] | None:
    """(host, status) of the first line that tells of an index that answered 401 or 403 (`prompt`:
    the tool's question for a user name, which only a 401 asks); the host never holds the URL's
    user part."""
    for line in output.splitlines():
        asked = prompt.match(line) if prompt is not None else None
        if asked is not None:
            return asked.group(1), "401"
        status = _STATUS.search(line)
        url = _URL.search(line)
        if status is not None and url is not None and _REFUSAL.search(line):
            return urlsplit(url.group(0)).netloc.rpartition("@")[2], status.group(1)
    return None


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
