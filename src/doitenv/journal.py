"""The record that makes `doit upgrade` all or nothing even when it is killed outright.

An upgrade pins its layers one after another, each on top of the lock below as it now is. A
SIGTERM or a failure puts every lock back on the way out (tasks/pinning.py); a SIGKILL or a
power cut leaves no way out, so before the first lock moves the upgrade writes this journal in
the state folder: every lock's bytes as they were and what was asked. Before each lock is
written, the journal learns the digest of the bytes about to land (write ahead), so whatever a
killed upgrade left, each lock holds either its old bytes or bytes the journal names. The
journal goes once the upgrade is done, or once a failed one has put the locks back.

The next run that reads the locks finds a journal left behind and rolls back: finishing would
need the network, the same request and the same index as the cut-short run, while the old bytes
are here and are what the venv was synced to (an upgrade syncs only after every lock is
pinned). Only when every lock already holds what the upgrade wrote is there nothing to finish
or undo, and the locks are kept. A lock whose bytes the journal does not name was changed
since, by hand or by git, and is left as it is: it is someone's work, not the upgrade's.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from doitenv import files, output

NAME = "upgrade-journal.json"
_VERSION = 1


@dataclass
class Entry:
    lock: str  # relative to the project's root, as the layer names it
    before: bytes | None  # None: there was no lock before the upgrade
    wrote: list[str]  # digests of the bytes the upgrade wrote (or was about to write) there


@dataclass
class Journal:
    path: Path
    root: Path
    packages: list[str]  # what `doit upgrade` was asked for: --package names, none for everything
    entries: list[Entry]

    @classmethod
    def begin(cls, state_dir: Path, root: Path, locks: Sequence[str], packages: Sequence[str]) -> Journal:
        """Write the journal: to be called, with the locks held, before the first lock moves."""
        # Named as write() names them (`./requirements.txt` is requirements.txt).
        entries = [Entry(files.shown(root / lock, root), content(root / lock), []) for lock in locks]
        journal = cls(state_dir / NAME, root, list(packages), entries)
        journal._save()
        return journal

    def write(self, path: Path, data: bytes) -> None:
        """Write a lock, as files.write_atomic, the journal told first of the bytes to come."""
        lock = files.shown(path, self.root)
        for entry in self.entries:
            if entry.lock == lock:
                entry.wrote.append(_digest(data))
        self._save()
        files.write_atomic(path, data)

    def end(self) -> None:
        """The upgrade is over (done, or undone on the way out): nothing is left to roll back."""
        self.path.unlink(missing_ok=True)

    def command(self) -> str:
        """The `doit upgrade` that was asked for, as the user would type it again."""
        asked = (f" --package={name}" if "=" in name else f" --package {name}" for name in self.packages)
        return "doit upgrade" + "".join(asked)

    def _save(self) -> None:
        files.write_json(
            self.path,
            {
                "version": _VERSION,
                "packages": self.packages,
                "locks": [
                    {
                        "lock": entry.lock,
                        "before": None if entry.before is None else base64.b64encode(entry.before).decode(),
                        "before_digest": None if entry.before is None else _digest(entry.before),
                        "wrote": entry.wrote,
                    }
                    for entry in self.entries
                ],
            },
        )


def recover(state_dir: Path, root: Path) -> None:
    """Roll back what a killed `doit upgrade` left, or keep it when it had pinned every lock,
    and say which in one line. To be called with the locks held: an upgrade running in another
    process holds them until its journal is gone."""
    path = state_dir / NAME
    if not path.exists():  # every run asks: one stat
        return
    journal = _read(path, root)
    shown = files.shown(path, root)
    if journal is None:
        output.warn(
            f"{shown} is not a journal doitenv can read, so no lock is put back: if a `doit upgrade` was "
            "cut short, compare the locks with git and run `doit check`"
        )
        path.unlink(missing_ok=True)
        return
    said = f"the last `{journal.command()}` was cut short"
    now = {entry.lock: content(root / entry.lock) for entry in journal.entries}
    pinned = [each for each in journal.entries if now[each.lock] is not None and _digest(now[each.lock]) in each.wrote]
    untouched = [entry.lock for entry in journal.entries if entry not in pinned and now[entry.lock] == entry.before]
    # Neither what was there nor what the upgrade wrote: someone's work since, by hand or by git.
    changed = [entry.lock for entry in journal.entries if entry not in pinned and entry.lock not in untouched]
    if not untouched and not changed:
        output.warn(f"{said} after it pinned every lock, so the upgraded locks are kept")
        journal.end()
        return
    # A lock the upgrade made where there was none stays, as when an upgrade fails (pinning.py).
    restored = [entry for entry in pinned if entry.before is not None and entry.before != now[entry.lock]]
    for entry in restored:
        files.write_atomic(root / entry.lock, entry.before or b"")
    names = [entry.lock for entry in restored]
    if not names and not changed:  # killed before a lock moved, or put back by the user since
        output.warn(f"{said}; every lock is as it was before it: run `{journal.command()}` again")
        journal.end()
        return
    line = said + (f" ({_and(untouched)} {_was(untouched)} not pinned yet)" if untouched else "")
    if names:
        line += f", so {_and(names)} {_is(names)} put back as {_it(names)} {_was(names)} before it"
    if changed:
        line += (
            f"; {_and(changed)} changed since, not by doitenv, so {_it(changed)} {_is(changed)} left as "
            f"{_it(changed)} {_is(changed)} (compare with git, then `doit check`)"
        )
    output.warn(f"{line}: run `{journal.command()}` again")
    journal.end()


def _digest(data: bytes | None) -> str:
    return files.digest([data or b""])


def _read(path: Path, root: Path) -> Journal | None:
    """The journal in `path`, or None unless every part of it is what doitenv writes: a lock
    inside the project, old bytes that match their digest, digests that are digests."""
    data = files.read_json(path)
    if not isinstance(data, dict) or data.get("version") != _VERSION:
        return None
    packages, found = _strings(data.get("packages")), data.get("locks")
    if packages is None or not isinstance(found, list) or not found:
        return None
    entries = [_entry(each, root) for each in found]
    if any(entry is None for entry in entries):
        return None
    return Journal(path, root, packages, [entry for entry in entries if entry is not None])


def _entry(found: Any, root: Path) -> Entry | None:
    if not isinstance(found, dict):
        return None
    lock, before, before_digest = (found.get(key) for key in ("lock", "before", "before_digest"))
    wrote = _strings(found.get("wrote"))
    if not isinstance(lock, str) or not _inside(lock, root) or wrote is None:
        return None
    if before is None:
        return Entry(lock, None, wrote) if before_digest is None else None
    try:
        old = base64.b64decode(before, validate=True) if isinstance(before, str) else None
    except binascii.Error:
        return None
    if old is None or _digest(old) != before_digest:
        return None
    return Entry(lock, old, wrote)


def _inside(lock: str, root: Path) -> bool:
    """A path of the project's own: relative, and no way out of the root (.., a symlinked folder)."""
    relative = PurePosixPath(lock)
    if not lock or relative.is_absolute() or ".." in relative.parts or ":" in lock:
        return False
    folder = os.path.realpath(root / relative.parent)
    return os.path.commonpath([folder, os.path.realpath(root)]) == os.path.realpath(root)


def _strings(value: Any) -> list[str] | None:
    """`value` when it is a list of strings, else None."""
    return value if isinstance(value, list) and all(isinstance(each, str) for each in value) else None


def content(path: Path) -> bytes | None:
    """The bytes of `path`, or None when there is none to read."""
    try:
        return path.read_bytes()
    except OSError:
        return None


def _and(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _was(names: Sequence[str]) -> str:
    return "was" if len(names) == 1 else "were"


def _is(names: Sequence[str]) -> str:
    return "is" if len(names) == 1 else "are"


def _it(names: Sequence[str]) -> str:
    return "it" if len(names) == 1 else "they"
