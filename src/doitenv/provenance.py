"""What a project's own step stands on (receipts.py writes a receipt for each file it makes).

A step made with `requires("dev")` (or `"prod"`) counts the locked environment among its inputs:
the lock that environment syncs (every pin and hash, as pip reads it) and the venv's Python. When
either moved since the step last ran, it runs again, and says which pins moved. Every pin counts,
not only those the step imports: what a step uses reaches far past its imports (plugins, a
backend chosen at run time, a dependency's dependency), and an environment that is the same for
every pin is the only one known to give the same result.
"""

from __future__ import annotations

import json
import platform
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from doitenv import caches, files, locks
from doitenv.venv import Venv


@dataclass(frozen=True)
class StepPython:
    """The venv's Python as a step's environment records it ('' for what pyvenv.cfg does not say)."""

    version: str
    implementation: str
    platform: str  # sys.platform and the machine of the Python running doit

    @classmethod
    def from_json(cls, data: object) -> StepPython | None:
        found = files.json_fields(data, {"version": str, "implementation": str, "platform": str})
        return cls(**{name: value or "" for name, value in found.items()}) if found is not None else None


@dataclass(frozen=True)
class Environment:
    """The environment a step runs in: the lock its environment syncs and the venv's Python.
    Recorded in each receipt, and (its digest, pins and Python) in doit's state of the step."""

    lock: str  # relative to the project's folder
    lock_digest: str | None  # locks.body_digest; None in a receipt of an older doitenv
    pins: dict[str, str]
    python: StepPython

    def digest(self) -> str:
        """What decides whether a step runs again: the lock's body and the Python, not its file name."""
        return files.digest([self.lock_digest or "", json.dumps(asdict(self.python), sort_keys=True)])

    @classmethod
    def from_json(cls, data: object) -> Environment | None:
        found = files.json_fields(data, {"lock": str, "lock_digest": str, "pins": dict, "python": dict})
        python = StepPython.from_json(found["python"]) if found is not None else None
        if found is None or found["lock"] is None or python is None:
            return None
        return cls(found["lock"], found["lock_digest"], found["pins"] or {}, python)


# {(lock, venv): (their stats, the environment)}: fifty steps ask within one doit run.
_SEEN: dict[tuple[str, str], tuple[tuple[Any, ...], Environment]] = {}
caches.for_the_run(_SEEN.clear)


def _stat(path: Path) -> tuple[Any, ...]:
    try:
        st = path.stat()
    except OSError:
        return ()
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def environment(root: Path, lock: str, venv: Venv) -> Environment:
    """The environment a step runs in, as a lock (relative to `root`) and a venv's Python describe it."""
    key = (str(root / lock), str(venv.path))
    stats = (_stat(root / lock), _stat(venv.path / "pyvenv.cfg"))
    seen = _SEEN.get(key)
    if seen is not None and seen[0] == stats:
        return seen[1]
    found = _environment(root, lock, venv)
    _SEEN[key] = (stats, found)
    return found


def _environment(root: Path, lock: str, venv: Venv) -> Environment:
    path = root / lock
    text = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
    config = venv.config()
    python = StepPython(
        version=config.get("version_info") or config.get("version") or "",
        implementation=config.get("implementation", ""),
        platform=f"{sys.platform}-{platform.machine()}",
    )
    return Environment(lock, locks.body_digest(text), locks.pins(path), python)


def what_moved(pins: Mapping[str, str], python: StepPython | None, now: Environment, limit: int = 3) -> str:
    """Why the environment a step last ran in (its `pins` and `python`) is not `now`, for one line:
    the pins that moved, or the Python, or the hashes."""
    moves = [
        f"{name} {new} added" if old is None else f"{name} {old} removed" if new is None else f"{name} {old} -> {new}"
        for name, old, new in locks.moves(pins, now.pins)
    ]
    if not now.python.version:
        return "the venv is gone (`doit dev` makes it again)"
    if python != now.python:
        moves.append(f"the venv's Python {python.version if python else '?'} -> {now.python.version}")
    if not moves:
        return f"{now.lock} changed (its hashes or options)"
    more = f" and {len(moves) - limit} more" if len(moves) > limit else ""
    return f"{now.lock} changed: {', '.join(moves[:limit])}{more}"
