"""Bring a venv to exactly what one lock lists, and remember that it is there.

The record lives inside the venv, so the venv itself says what it holds: `dev`, then
`prod`, then `dev` syncs each time, and a package added or removed by hand shows as a
changed set of `*.dist-info` folders. The record is removed before a sync starts and
written after it ends: an interrupted sync leaves the venv marked unsynced. A sync that
failed before it changed anything (the project's editable wheel is built first, and the
backends fetch, check and build every package before they change the venv) puts the old
record back, so the venv still says which lock it holds.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name, canonicalize_version

from doitenv import editable, files, localpackages, locks, output, reqcheck, reqfile, runner
from doitenv.backends import Backend, Fetched
from doitenv.errors import Failure, if_stopped
from doitenv.runner import ToolFailure
from doitenv.venv import Venv

_SYNCED = ".doitenv-synced.json"


class SyncError(Failure):
    """The venv could not be synced; the message says which lock and why."""


@dataclass(frozen=True)
class SyncRecord:
    """What a venv was last synced to, as its record (`_SYNCED`, inside it) says; or, with no
    `installed`, what a sync to a lock would record now (wanted_state). A field an older doitenv
    did not record is None."""

    folder: str | None  # the project's folder: a copy carries the venv, and so this record, along
    lock: str | None  # the lock's file name
    lock_digest: str | None  # None: there was no lock
    project_digest: str | None  # of the project's build inputs (editable.build_inputs)
    local_packages: dict[str, str] | None  # localpackages.digests
    installed: tuple[str, ...] | None = None  # the venv's `*.dist-info` folders once it was synced

    def to_json(self) -> dict[str, Any]:
        # A field left unrecorded stays out, as an older doitenv left it out.
        return {name: value for name, value in asdict(self).items() if value is not None}


_RECORD_FIELDS = {
    "folder": str, "lock": str, "lock_digest": str, "project_digest": str, "local_packages": dict, "installed": list
}  # fmt: skip


def read_record(venv: Venv) -> SyncRecord | None:
    """The venv's sync record, or None when it has none (unsynced) or one that is damaged."""
    found = files.json_fields(files.read_json(venv.path / _SYNCED), _RECORD_FIELDS)
    if found is None:
        return None
    installed = found["installed"]
    return SyncRecord(**{**found, "installed": tuple(installed) if installed is not None else None})


def wanted_state(lock: Path, build_inputs: dict[str, Any] | None, root: Path) -> SyncRecord:
    content = lock.read_bytes() if lock.exists() else None  # read once: this runs on every no-op
    return SyncRecord(
        folder=os.path.realpath(lock.parent),
        lock=lock.name,
        lock_digest=files.digest([content]) if content is not None else None,
        project_digest=files.digest([json.dumps(build_inputs, sort_keys=True, default=str)]),
        local_packages=localpackages.digests((content or b"").decode("utf-8", "replace"), root),
    )


def record_bytes(venv: Venv) -> bytes:
    """The venv's sync record as it is on disk (empty when unsynced): a digest input."""
    try:
        return (venv.path / _SYNCED).read_bytes()
    except OSError:
        return b""


def held_lock(venv: Venv) -> str | None:
    """The file name of the lock the venv was last synced to, if any."""
    record = read_record(venv)
    return record.lock if record is not None else None


def why_unsynced(venv: Venv, lock: Path, build_inputs: dict[str, Any] | None, root: Path) -> str | None:
    """Why `venv` does not hold exactly `lock` (plus the project built from `build_inputs`,
    editable.build_inputs, and the local folders the lock installs as they are in `root`), or
    None if it does."""
    record = read_record(venv)
    if record is None:
        # (A sync removes the record first: one that failed or was stopped leaves none.)
        return f"{venv.path.name}/ is not synced to any lock yet, or its last sync did not finish"
    wanted = wanted_state(lock, build_inputs, root)
    if record.folder is None:
        return f"{venv.path.name}/ was synced by an older doitenv, whose record did not name the project's folder"
    if record.folder != wanted.folder:
        return f"{venv.path.name}/ was synced to the locks in {record.folder}, not this copy of the project"
    shown = files.shown(lock, venv.path.parent)  # requirements/dev.txt, as the project names it
    if record.lock != wanted.lock:
        return f"{venv.path.name}/ holds {record.lock}, not {lock.name}"
    if record.lock_digest != wanted.lock_digest:
        return f"{shown} changed since the last sync"
    if record.project_digest != wanted.project_digest:
        return "the project's metadata (pyproject.toml, setup.py or setup.cfg) changed since the last sync"
    moved = localpackages.changed(record.local_packages, wanted.local_packages or {})
    if moved:
        return f"{moved[0]}, which {shown} installs (not editable), changed since the last sync"
    if record.installed != tuple(venv.installed()):
        return f"packages in {venv.path.name}/ were installed or removed by hand"
    return None


def sync(
    venv: Venv,
    lock: Path,
    root: Path,
    state_dir: Path,
    build_inputs: dict[str, Any] | None,
    backend: Backend,
    verify: Callable[[], None] = lambda: None,
    explain: Callable[[str], str | None] = lambda output: None,
) -> None:
    """Sync `venv` to `lock`, with the project editable when it declares one. `verify` runs
    before the record is written (imports.check): when it raises, the venv stays unsynced.
    `explain` reads a failed install's output for the line that names the fix (fits.explain)."""
    text = lock.read_text(encoding="utf-8", errors="replace")
    # A lock edited by hand is judged like an .in file, and an index credential it refers to
    # must be set, before the venv is touched.
    problems = reqcheck.problems(lock, root, text)
    if problems:
        raise SyncError("\n".join(problems) + f"; so {venv.path.name}/ is unchanged")
    record = venv.path / _SYNCED
    held = read_record(venv)
    before = venv.installed()
    wanted = wanted_state(lock, build_inputs, root)
    # Installed again though their version is the same: neither pip nor uv looks at the files.
    reinstall = localpackages.changed(held.local_packages if held is not None else None, wanted.local_packages or {})
    # Until the new record is written, a kill or a full disk leaves the venv marked unsynced.
    record.unlink(missing_ok=True)
    with if_stopped(f"{venv.path.name}/ is marked unsynced: the next run syncs it again"):
        try:
            # Built (or found cached) before anything in the venv changes.
            index = backend.index_environment(reqfile.index_options({lock: text}))
            built = (
                editable.wheel(root, state_dir, build_inputs, venv, backend, index)
                if build_inputs is not None
                else None
            )
            if built is not None:
                refused = editable.python_refused(built[0], venv)
                if refused is not None:
                    if held is not None and held.installed == tuple(before):
                        files.write_json(record, held.to_json())  # nothing was touched: the record still holds
                    raise SyncError(
                        f"{files.shown(lock, root)}: could not sync {venv.path.name}/: the project requires Python "
                        f"{refused} (its Requires-Python), and {venv.path.name}/ has Python "
                        f"{venv.marker_environment()['python_full_version']}, so {venv.path.name}/ is unchanged: set "
                        "tool.doitenv.python to a Python it allows (or install-project = false)"
                    )
                editable.remove_cut_short(venv, built[0])
            progress = Progress(venv, reqfile.pins_for(text, venv.marker_environment()))
            with runner.heartbeat(f"syncing {venv.path.name}/ to {files.shown(lock, root)}", progress.detail):
                backend.sync(venv, lock, text, root, build_inputs is not None, progress.fetched, reinstall)
        except (runner.CommandFailed, editable.BuildFailed) as failed:
            unchanged = venv.installed() == before
            # The backends check everything before they change anything: a venv that still holds
            # what its record says gets the record back.
            restored = unchanged and held is not None and held.installed == tuple(before)
            if held is not None and restored:
                files.write_json(record, held.to_json())
            building = isinstance(failed, editable.BuildFailed)
            hint = None if building else explain(failed.output)
            said = backend.explain_failure(failed.output)
            kept = held if restored else None
            message = _failure(venv, lock, root, failed.output, said, unchanged, kept, building, hint)
            raise SyncError(message) from None
        if built is not None and not editable.is_installed(venv, root, built[1]):
            wheel_file, key = built
            try:
                editable.install(venv, root, wheel_file, key)
            except (OSError, ValueError, Failure, runner.CommandFailed) as exc:
                # Failure and ValueError: the wheel or the venv cannot take it (a bad entry point, a
                # path outside the venv, an unreadable answer from its Python; see editable.install).
                name = venv.path.name
                raise SyncError(
                    f"{files.shown(lock, root)}: could not install the project's editable wheel into {name}/ ({exc}), "
                    f"so {name}/ is marked unsynced and the next run tries again"
                ) from None
    after = venv.installed()
    moves = changes(before, after)
    counts = [f"{n} {kind}" for mark, kind in _KINDS if (n := sum(line[0] == mark for line in moves))]
    summary = f"{venv.path.name}/ holds {files.shown(lock, root)}: {', '.join(counts) or '0 changes'}"
    output.note("\n".join([summary, *(f"  {line}" for line in moves)]))
    verify()
    # The local folders as the install left them: building one may write into it (setuptools-scm's
    # version file), and a digest taken before would call it changed on every run after.
    now_local = localpackages.digests(text, root)
    files.write_json(record, replace(wanted, local_packages=now_local, installed=tuple(after)).to_json())


_KINDS = (("+", "added"), ("-", "removed"), ("~", "changed"))


class Progress:
    """How far a sync to a lock is, for the heartbeat: of the packages the lock installs here
    (`wanted`, its markers read for the venv's Python), how many the backend has fetched while
    it fetches (no package is installed until every one is fetched and built), then how many are
    in the venv."""

    def __init__(self, venv: Venv, wanted: dict[str, str]) -> None:
        self.venv, self.wanted = venv, wanted
        self.fetched = Fetched()
        self._before = venv.installed()

    def detail(self) -> str:
        """`downloading: 12 of 59 packages`, or `40 of 59 packages in place`."""
        now = self.venv.installed()
        installed = distributions(now)
        in_place = {name for name, version in self.wanted.items() if _same(installed.get(name), version)}
        total = len(self.wanted)
        if now == self._before:  # nothing installed yet: the backend is still fetching
            got = self.fetched.names() & self.wanted.keys()
            if got - in_place:
                return f"downloading: {len(in_place | got)} of {total} packages"
        return f"{len(in_place)} of {total} packages in place"


def _same(installed: str | None, pinned: str) -> bool:
    """Is the version installed the one pinned ('': the lock names no version, any will do)?"""
    if installed is None:
        return False
    return not pinned or canonicalize_version(installed) == canonicalize_version(pinned)


def distributions(dist_infos: Iterable[str]) -> dict[str, str]:
    """{name: version} of `*.dist-info` folder names (`Six-1.17.0.dist-info`: a version holds no `-`)."""
    found: dict[str, str] = {}
    for folder in dist_infos:
        name, _, version = folder[: -len(".dist-info")].rpartition("-")
        found[canonicalize_name(name)] = version
    return found


def changes(before: list[str], after: list[str]) -> list[str]:
    """What a sync did, a line a package, sorted by name: `+ six 1.17.0`, `- epsilon 1.0`,
    `~ numpy 1.26.4 -> 2.0.0`."""
    lines = []
    for name, old, new in locks.moves(distributions(before), distributions(after)):
        lines.append(
            f"+ {name} {new}" if old is None else f"- {name} {old}" if new is None else f"~ {name} {old} -> {new}"
        )
    return lines


def _failure(
    venv: Venv,
    lock: Path,
    root: Path,
    output: str,
    said: ToolFailure,
    unchanged: bool,
    held: SyncRecord | None,
    building: bool,
    hint: str | None,
) -> str:
    """The tool's error lines, then one line: which lock, which package, what to do (`hint`,
    when fits.explain found a release that does not fit the venv's Python). `said`: what the
    backend read in `output`."""
    what, fix = _what_failed(output, said, venv, building)
    name = venv.path.name
    if not unchanged:
        state = f"{name}/ is marked unsynced and the next run tries again"
    elif held is None:
        state = f"{name}/ is unchanged, and marked unsynced"
    elif held.lock == lock.name:
        state = f"{name}/ is unchanged (it still holds what {held.lock} held before)"
    else:
        state = f"{name}/ is unchanged (it still holds {held.lock})"
    details = "".join(f"  {line}\n" for line in said.lines)
    if hint is not None:
        return f"{details}{files.shown(lock, root)}: could not sync {name}/, so {state}: {hint}"
    return f"{details}{files.shown(lock, root)}: could not sync {name}/: {what}, so {state}: {fix}"


def _what_failed(output: str, said: ToolFailure, venv: Venv, building: bool) -> tuple[str, str]:
    """(what failed, the fix); `building`: it was the project's own editable build."""
    offline = said.unreachable
    if offline:
        return f"could not reach the package index ({offline})", "check the network, or the index settings"
    if building:
        refused = editable.refused_project(output)
        what = "the project's editable install failed to build" + (f" ({refused})" if refused else "")
        fix = "fix [project] in pyproject.toml" if refused else "fix what the lines above say about it"
        return what, f"{fix}, or set tool.doitenv.install-project = false if the project is not meant to be installed"
    bad_hash, missing = said.bad_hash, said.not_found
    pin = bad_hash or missing or ""
    if bad_hash:
        return (
            f"{pin} does not match its hash",
            f"if its index changed the file on purpose, `doit upgrade --package {package_name(pin)}` pins it with "
            "new hashes",
        )
    if missing:
        return (
            f"{pin} is not available for Python {venv.python_version()} here",
            f"`doit upgrade --package {package_name(pin)}` pins a version that is (or correct the line by hand)",
        )
    return "the install failed", "see the lines above"


def package_name(pin: str) -> str:
    """The name a pin or a `--package` value starts with (`numpy==1.26.4`, `numpy[extra]` -> `numpy`)."""
    return re.split(r"[=<>!~\[; @]", pin, maxsplit=1)[0]
