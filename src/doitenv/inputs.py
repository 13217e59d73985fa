"""What a cached task (test, format, a matrix entry) depends on: the files of the project.

By default that is every file git would not ignore (tracked, plus untracked and not ignored),
whatever the layout: a package at the root, a `test/` folder, data the tests read, a
conftest.py three folders down. Venvs, doitenv's state and tool caches are left out.

Reading every byte on every run would cost what the data weighs, so each file's content
hash is cached in `.doitenv/` under its stat signature (size, mtime_ns, ctime_ns, inode):
a no-op reads no file, and an edit re-reads only the files whose stat changed. A file whose
mtime was too close to the moment it was hashed is hashed again next time (git's "racily
clean" rule): an edit within the same clock tick leaves the stat as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from doitenv import files, runner

if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec

CACHE_FILE = "file-hashes.json"
# Written by the tools themselves: never an input, and a test run that writes them must not
# look like an edit made while the tests ran.
_TOOL_DIRS = frozenset(
    (".git", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis", ".tox", ".nox")
    + (".ipynb_checkpoints", "htmlcov", ".eggs")
)
_TOOL_FILES = frozenset((".coverage", "coverage.xml"))
_TOOL_SUFFIXES = (".pyc", ".pyo")
# Filesystems stamp mtimes with a coarse clock (up to 2 s on FAT): a file this fresh when it
# was hashed may still change without changing its stat.
_RACY_NS = 2_000_000_000
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Snapshot:
    """The content of a set of files: {path: hash}, and one digest over all of it."""

    hashes: dict[str, str]

    @property
    def digest(self) -> str:
        return files.digest(part for path in sorted(self.hashes) for part in (path, self.hashes[path]))

    def changes_from(self, before: dict[str, str], limit: int = 3) -> list[str]:
        """What differs from `before`, for a message: 'a.py changed', 'b.py added', ..."""
        found = []
        for path in sorted(self.hashes.keys() | before.keys()):
            if path not in before:
                found.append(f"{path} added")
            elif path not in self.hashes:
                found.append(f"{path} removed")
            elif before[path] != self.hashes[path]:
                found.append(f"{path} changed")
        if len(found) > limit:
            found[limit:] = [f"{len(found) - limit} more"]
        return found


def snapshot(root: Path, state_dir: Path, skip: Sequence[str], patterns: Sequence[str] | None = None) -> Snapshot:
    """Hash the project's input files (only those matching `patterns`, gitignore-style, when
    given), leaving out the folders in `skip` (venvs, state)."""
    paths = project_files(root, skip)
    if patterns is not None:
        spec = _spec(patterns)
        paths = [path for path in paths if spec.match_file(path)]
    return Snapshot(HashCache(state_dir / CACHE_FILE).hashes(root, paths))


# --- which files ------------------------------------------------------------------------


def project_files(root: Path, skip: Sequence[str]) -> list[str]:
    """Project-relative POSIX paths of the files git would not ignore, minus `skip` and tool
    caches. Outside a git work tree (or without git), .gitignore files are read directly."""
    skip_dirs = [s.strip("/") for s in skip]
    listed = _git_files(root, skip_dirs)
    if listed is None:
        listed = _walk_files(root, skip_dirs)
    return sorted(path for path in listed if not _left_out(path, skip_dirs))


def _left_out(path: str, skip_dirs: Sequence[str]) -> bool:
    parts = path.split("/")
    name = parts[-1]
    if name in _TOOL_FILES or name.startswith(".coverage.") or name.endswith(_TOOL_SUFFIXES):
        return True
    if any(part in _TOOL_DIRS or part.endswith(".egg-info") for part in parts[:-1]):
        return True
    return any(path.startswith(folder + "/") for folder in skip_dirs)


def _git_files(root: Path, skip_dirs: Sequence[str]) -> list[str] | None:
    """What git lists, or None when `root` is not in a git work tree (or git is missing)."""
    argv = ["git", "-c", "core.quotepath=off", "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
    # Keep git out of the skipped folders: an unignored venv holds thousands of files.
    argv += [f"--exclude=/{folder}/" for folder in skip_dirs]
    try:
        output = runner.run(argv, capture=True, cwd=str(root), quiet=True)
    except runner.CommandFailed:
        return None
    # A tracked file deleted from the work tree stays listed: its absence is part of the state.
    return sorted(set(output.split("\0")) - {""})


def _walk_files(root: Path, skip_dirs: Sequence[str]) -> list[str]:
    """Walk `root`, honouring every .gitignore in it the way git does (deeper files win)."""
    found: list[str] = []
    # (folder prefix, its rules), outermost first.
    rules: list[tuple[str, GitIgnoreSpec]] = []
    for folder, dirs, names in os.walk(root):
        relative = Path(folder).relative_to(root).as_posix()
        prefix = "" if relative == "." else relative + "/"
        rules = [(p, spec) for p, spec in rules if prefix.startswith(p)]
        if ".gitignore" in names:
            try:
                lines = Path(folder, ".gitignore").read_text(encoding="utf-8", errors="replace").splitlines()
                rules.append((prefix, _spec(lines)))
            except OSError:
                pass
        kept = []
        for name in sorted(dirs):
            path = prefix + name
            if name in _TOOL_DIRS or path in skip_dirs or Path(folder, name, "pyvenv.cfg").exists():
                continue
            if not _ignored(path + "/", rules):
                kept.append(name)
        dirs[:] = kept
        found += [prefix + name for name in names if not _ignored(prefix + name, rules)]
    return found


def _ignored(path: str, rules: Iterable[tuple[str, GitIgnoreSpec]]) -> bool:
    verdict = False
    for prefix, spec in rules:
        result = spec.check_file(path[len(prefix) :])
        if result.include is not None:
            verdict = result.include  # a deeper .gitignore overrides, negations included
    return verdict


def _spec(lines: Iterable[str]) -> GitIgnoreSpec:
    import pathspec  # only when needed: it costs an import on every no-op run otherwise

    return pathspec.GitIgnoreSpec.from_lines(lines)


# --- what they hold ---------------------------------------------------------------------


class HashCache:
    """{path: "size mtime_ns ctime_ns inode hash"} in one JSON file; any version of it is
    valid, so two doit processes writing it in turn lose nothing but work."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def hashes(self, root: Path, paths: Sequence[str]) -> dict[str, str]:
        old = files.read_json(self.path)
        cached: dict[str, str] = old if isinstance(old, dict) else {}
        fresh: dict[str, str] = {}
        result: dict[str, str] = {}
        now = time.time_ns()
        for path in paths:
            full = os.path.join(root, path)
            try:
                st = os.stat(full)
            except OSError:
                result[path] = _unreadable(full)
                continue
            if not _is_regular(st.st_mode):
                result[path] = _unreadable(full)
                continue
            signature = f"{st.st_size} {st.st_mtime_ns} {st.st_ctime_ns} {st.st_ino}"
            entry = cached.get(path, "")
            if entry.rpartition(" ")[0] == signature:
                result[path] = entry.rpartition(" ")[2]
            else:
                result[path] = _hash_file(full)
            if now - st.st_mtime_ns > _RACY_NS and not result[path].startswith("<"):
                fresh[path] = f"{signature} {result[path]}"
        if fresh != cached:
            try:
                self.path.parent.mkdir(exist_ok=True)
                files.write_atomic(self.path, json.dumps(fresh, separators=(",", ":")).encode())
            except OSError:
                pass  # only a cache: the next run hashes again
        return result


def _is_regular(mode: int) -> bool:
    import stat

    return stat.S_ISREG(mode)


def _hash_file(path: str) -> str:
    hasher = hashlib.blake2b(digest_size=16)
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                hasher.update(chunk)
    except OSError:
        return _unreadable(path)
    return hasher.hexdigest()


def _unreadable(path: str) -> str:
    """A stand-in hash for what has no readable content: a dangling symlink, a folder link,
    a file deleted during the walk or one we may not read. It still changes when they do."""
    try:
        target = os.readlink(path)
    except OSError:
        target = ""
    try:
        st = os.lstat(path)
        return f"<unreadable {st.st_mode:o} {st.st_size} {st.st_mtime_ns} {target}>"
    except OSError:
        return "<missing>"
