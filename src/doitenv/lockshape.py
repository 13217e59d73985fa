"""What a lock is resolved for (LockShape) and its first line, which records that shape and the
two digests (locks.py says what they cover): the one writer (header_line) and the one reader
(recorded) of that line.

Every user's committed locks carry these digests: a change to how they are made (LockShape.parts,
`Inputs.digest`, `body_digest`) or to a backend's shaping flags (what a lock holds) must bump
LOCK_FORMAT, which pins every lock again once, with a line saying why.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

HEADER = "# doitenv: inputs="
# Bumped when the digests' recipe or what a lock holds changes: every lock is pinned again once.
LOCK_FORMAT = "5"
# How a universal lock's Python is written in its header and its digest ("universal>=3.9"): every
# committed universal lock carries it, so it stays this text (LockShape.recorded_python, recorded).
_UNIVERSAL = "universal"


@dataclass(frozen=True)
class LockShape:
    """What a lock is resolved for and how: the digest and the header record it. It names no
    backend: a team that switches backend, or a backend added to doitenv, re-pins nothing."""

    python: str  # the venv's major.minor; of a universal lock, the range of Pythons it is for (">=3.9")
    hashes: bool
    universal: bool = False  # one lock for every Python in the range and every platform
    universal_from: str | None = None  # of a universal lock, the lowest major.minor of its range
    allow_unsafe: bool = True  # pip and setuptools pinned too (False: left out, as pip-compile's default)
    strip_extras: bool = True  # `pkg` rather than `pkg[extra]`
    as_of: str | None = None  # pinned from the releases uploaded by then (config.as_of); None: today's

    @property
    def recorded_python(self) -> str:
        """The Python as the header and the digest write it: `universal>=3.9` for a universal lock."""
        return f"{_UNIVERSAL}{self.python}" if self.universal else self.python

    @property
    def cutoff(self) -> str | None:
        """The moment no release uploaded after counts, as the resolvers take it (RFC 3339, UTC):
        a day counts whole."""
        if self.as_of is None or "T" in self.as_of:
            return self.as_of
        following = datetime.date.fromisoformat(self.as_of) + datetime.timedelta(days=1)
        return f"{following.isoformat()}T00:00:00Z"

    def parts(self) -> list[str]:
        """What the digest covers besides the inputs. A style other than doitenv's own adds a
        part: the digests of every lock of that style stay as they were."""
        style = [*([] if self.allow_unsafe else ["unsafe left out"]), *([] if self.strip_extras else ["extras kept"])]
        style += [f"as of {self.as_of}"] if self.as_of else []
        return [f"doitenv-lock-{LOCK_FORMAT}", self.recorded_python, "hashes" if self.hashes else "no hashes", *style]

    @property
    def target(self) -> str:
        """What the lock is for, as a user reads it."""
        if self.universal:
            return f"every Python {self.python} and platform"
        return f"Python {self.python}"


class Header(NamedTuple):
    """A lock's first line: the digest of its inputs, the digest of its body (None in a lock
    written before the body was covered), the Python it was resolved for (as LockShape.python and
    .universal hold it), the lock format ('' before the format was recorded), its style (LockShape's
    allow_unsafe, strip_extras) and the resolver that pinned it."""

    inputs: str
    body: str | None
    python: str  # a major.minor, or a universal lock's range (">=3.9"); '' when not recorded
    format: str
    allow_unsafe: bool = True
    strip_extras: bool = True
    by: str = ""  # the resolver that pinned it (`pip-tools==7.6.2`), when recorded
    universal: bool = False


def header_line(inputs: str, body: str, shape: LockShape, pinned_by: str = "") -> str:
    # The style is written only when it is not doitenv's own: such a lock keeps it (adoption.style).
    style = ("" if shape.allow_unsafe else " allow-unsafe=no") + ("" if shape.strip_extras else " strip-extras=no")
    # Which resolver pinned it, for the reader: no digest covers it, so a teammate whose newer
    # pip-tools pins the same lock changes nothing.
    by = f" by={pinned_by}" if pinned_by else ""
    style += f" as-of={shape.as_of}" if shape.as_of else ""
    return f"{HEADER}{inputs} body={body} python={shape.recorded_python} format={LOCK_FORMAT}{style}{by}\n"


def recorded(lock: Path) -> Header | None:
    """What a lock's first line records, or None when it has no doitenv header."""
    try:
        with lock.open(encoding="utf-8") as handle:
            first = handle.readline()
    except (OSError, ValueError):
        return None
    words = first[len(HEADER) :].split()
    if not first.startswith(HEADER) or not words:  # a first line cut short is no record of anything
        return None
    digest, *fields = words
    named = dict(field.partition("=")[::2] for field in fields)
    style = named.get("allow-unsafe") != "no", named.get("strip-extras") != "no"
    python = named.get("python", "")
    universal = python.startswith(_UNIVERSAL)  # the one place that reads how the header writes it
    return Header(
        digest,
        named.get("body"),
        python.removeprefix(_UNIVERSAL) if universal else python,
        named.get("format", ""),
        *style,
        named.get("by", ""),
        universal,
    )
