"""The local folders and archives a lock installs without `-e`, and whether one changed.

`./libs/pkg` in a lock installs a copy of that folder. Neither pip nor uv installs it again while
its version stays the same, so an edit to its code never reached the venv: the tests ran against
the old copy and said nothing. The venv's sync record keeps a digest of each such folder (the
size and mtime of every file, as git's index does: an edit changes them, and a fresh clone only
costs one more install), and a sync installs again those whose digest moved. Editable installs
need none of this: the venv reads their files where they are.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from doitenv import files, reqfile

# What a package's folder holds that is not its source: built or cached by tools (hidden folders
# too: .git, .pytest_cache, doitenv's own .doitenv/, which every run writes), or a venv.
_NOT_SOURCE = {"__pycache__", "venv", "build", "dist", "node_modules"}
# A cheap look before a lock is parsed on every no-op run: a local path or file: URL starts a
# line, or follows ` @ ` (uv and doitenv write `./libs/pkg`; older locks `pkg @ file:///…`).
_MAYBE_LOCAL = re.compile(r"^\s*(\.|/|[A-Za-z]:[\\/]|file:|\S+\s*@\s*file:)", re.MULTILINE)


def digests(text: str, root: Path) -> dict[str, str]:
    """{path as the lock writes it: digest of its files} of each local folder or archive the lock
    `text` installs without -e, read from `root` (pip and uv read such paths from the folder they
    run in: the project's). A path that is missing has the digest "missing"."""
    if not _MAYBE_LOCAL.search(text):
        return {}
    return {
        reference.value: _digest(reference.path(root))
        for reference in reqfile.local_references(text)
        if not reference.editable
    }


def changed(recorded: object, now: dict[str, str]) -> list[str]:
    """The paths of `now` whose digest differs from the record's (all of them for a record from
    before digests were kept)."""
    before = recorded if isinstance(recorded, dict) else {}
    return [path for path, digest in now.items() if before.get(path) != digest]


def _is_source(folder: Path) -> bool:
    name = folder.name
    if name in _NOT_SOURCE or name.startswith(".") or name.endswith(".egg-info"):
        return False
    return not (folder / "pyvenv.cfg").exists()  # a venv of any name (`.` names the project itself)


def _digest(path: Path) -> str:
    try:
        if path.is_file():
            stat = path.stat()
            return files.digest([str(stat.st_size), str(stat.st_mtime_ns)])
        if not path.is_dir():
            return "missing"
        parts: list[str] = []
        for folder, subfolders, names in os.walk(path):
            subfolders[:] = sorted(name for name in subfolders if _is_source(Path(folder, name)))
            for name in sorted(names):
                stat = os.stat(os.path.join(folder, name))
                relative = os.path.relpath(os.path.join(folder, name), path)
                parts += [relative, str(stat.st_size), str(stat.st_mtime_ns)]
        return files.digest(parts)
    except OSError:
        return "missing"
