"""Bring a venv to exactly what one lock lists, and remember that it is there.

The record lives inside the venv, so the venv itself says what it holds: `dev`, then
`prod`, then `dev` syncs each time, and a package added or removed by hand shows as a
changed set of `*.dist-info` folders. The record is removed before a sync starts and
written after it ends: an interrupted sync leaves the venv marked unsynced.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from doitenv import files, runner
from doitenv.backends import PipTools, Uv
from doitenv.venv import Venv

_SYNCED = ".doitenv-synced.json"


class SyncError(Exception):
    """The venv could not be synced; the message says which lock and why."""


def wanted_state(lock: Path, project: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "lock": lock.name,
        "lock_digest": files.digest([lock.read_bytes()]) if lock.exists() else None,
        "project_digest": files.digest([json.dumps(project, sort_keys=True, default=str)]),
    }


def record_bytes(venv: Venv) -> bytes:
    """The venv's sync record as it is on disk (empty when unsynced): a digest input."""
    try:
        return (venv.path / _SYNCED).read_bytes()
    except OSError:
        return b""


def held_lock(venv: Venv) -> str | None:
    """The file name of the lock the venv was last synced to, if any."""
    record = files.read_json(venv.path / _SYNCED)
    return record.get("lock") if isinstance(record, dict) else None


def why_unsynced(venv: Venv, lock: Path, project: dict[str, Any] | None) -> str | None:
    """Why `venv` does not hold exactly `lock` (plus the project), or None if it does."""
    record = files.read_json(venv.path / _SYNCED)
    if record is None:
        return f"{venv.path.name}/ is not synced to any lock yet"
    wanted = wanted_state(lock, project)
    if record.get("lock") != wanted["lock"]:
        return f"{venv.path.name}/ holds {record.get('lock')}, not {lock.name}"
    if record.get("lock_digest") != wanted["lock_digest"]:
        return f"{lock.name} changed since the last sync"
    if record.get("project_digest") != wanted["project_digest"]:
        return "pyproject.toml's [project] changed since the last sync"
    if record.get("installed") != venv.installed():
        return f"packages in {venv.path.name}/ were installed or removed by hand"
    return None


def sync(venv: Venv, lock: Path, root: Path, project: dict[str, Any] | None, backend: PipTools | Uv) -> None:
    """Sync `venv` to `lock`, then install the project editable when it declares one."""
    record = venv.path / _SYNCED
    record.unlink(missing_ok=True)
    wanted = wanted_state(lock, project)
    try:
        runner.run(backend.sync(venv, lock), cwd=str(root))
        if project is not None:
            runner.run(backend.install_editable(venv), cwd=str(root))
    except runner.CommandFailed as failed:
        raise SyncError(
            f"{lock.name}: could not sync {venv.path.name}/ ({failed}); "
            f"{venv.path.name}/ is marked unsynced and the next run tries again"
        ) from None
    files.write_json(record, {**wanted, "installed": venv.installed()})
