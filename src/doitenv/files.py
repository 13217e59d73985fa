"""Small file helpers: atomic writes, JSON records, content digests, the user's cache folder."""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

# What doitenv writes beside a file while it makes it: `.requirements.txt.doitenv-compile` (the
# resolver's output), `.requirements.txt.doitenv-in` (an input made from pyproject.toml),
# `.requirements.txt.k2j9.doitenv-tmp` (write_atomic) and `.requirements.txt.doitenv-resolve` (the lock
# pinned again aside by `doit check --resolve`). A run that was killed leaves them; they are
# never inputs, and the next run that changes the locks removes them (remove_scratch).
SCRATCH_KINDS = ("compile", "in", "tmp", "failure", "resolve")
# A scratch file's name without its ends, for patterns that mark the ends their own way.
SCRATCH_STEM = r"\.[^/\0]+\.doitenv-(?:" + "|".join(SCRATCH_KINDS) + ")"
SCRATCH_NAME = re.compile(r"(?:^|/)" + SCRATCH_STEM + "$")


def scratch(path: Path, kind: str) -> Path:
    """Where doitenv writes `path`'s scratch file of `kind` (one of SCRATCH_KINDS)."""
    return path.with_name(f".{path.name}.doitenv-{kind}")


def remove_scratch(folders: Iterable[Path]) -> None:
    """Remove what an interrupted run left in `folders`: only files named as doitenv names them."""
    for folder in dict.fromkeys(folders):
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            if SCRATCH_NAME.search(name):
                try:
                    os.unlink(folder / name)
                except OSError:
                    pass  # gone already, or not ours to remove after all: it is never an input


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that a reader sees the old file or the new one, never half.
    The file keeps its permissions, or gets those of any new file (a lock is for the team). A
    symlink stays one: its target is what is written (a project may keep its locks elsewhere)."""
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".doitenv-tmp")
    except OSError as exc:  # named by the file the user knows, not the scratch file's name
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, _mode_of(path))  # mkstemp makes the file readable by its owner alone
        os.replace(tmp, path)
    except BaseException as exc:
        os.unlink(tmp)
        if isinstance(exc, OSError):
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        raise


def _mode_of(path: Path) -> int:
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        umask = os.umask(0)  # the only way to read it
        os.umask(umask)
        return 0o666 & ~umask


def read_json(path: Path) -> Any:
    """The JSON in `path`, or None when it is missing or unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def json_fields(data: object, kinds: Mapping[str, type | tuple[type, ...]]) -> dict[str, Any] | None:
    """The fields `kinds` names of a record read back with read_json (one it lacks is None: an
    older doitenv wrote it), or None when `data` is no JSON object or a field holds another type:
    a damaged or foreign record is no record."""
    if not isinstance(data, dict):
        return None
    found = {name: data.get(name) for name in kinds}
    if any(value is not None and not isinstance(value, kinds[name]) for name, value in found.items()):
        return None
    return found


def write_json(path: Path, value: Any) -> None:
    write_atomic(path, json.dumps(value, indent=1, sort_keys=True).encode())


def digest(parts: Iterable[bytes | str]) -> str:
    """sha256 over `parts`, each length-prefixed so that no two sequences collide."""
    hasher = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        hasher.update(len(data).to_bytes(8, "big"))
        hasher.update(data)
    return hasher.hexdigest()


def cache_dir() -> Path:
    """doitenv's folder in the user's cache: tools venvs and build environments, shared by projects."""
    if os.environ.get("DOITENV_CACHE_DIR"):
        return Path(os.environ["DOITENV_CACHE_DIR"])
    if os.name == "nt":
        return Path(os.environ.get("LOCALAPPDATA", Path.home())) / "doitenv" / "cache"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "doitenv"


def shown(path: Path, root: Path) -> str:
    """`path` relative to `root`, as in every clone (absolute only on another Windows drive)."""
    try:
        return Path(os.path.relpath(path, root)).as_posix()
    except ValueError:
        return str(path)
