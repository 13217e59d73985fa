"""What a cached task (test, format, a matrix entry) depends on: the files of the project.

By default that is every file git would not ignore (tracked, plus untracked and not ignored),
whatever the layout: a package at the root, a `test/` folder, data the tests read, a
conftest.py three folders down. Venvs, doitenv's state and tool caches are left out.

Reading every byte on every run would cost what the data weighs. In a git work tree, git's
index already records an id and a stat signature for every tracked file: a tracked file counts
by that id unless git sees it changed on disk. Every other file counts by its content (git's
blob id, so that `git add` alone changes nothing), cached in `.doitenv/` under its stat
signature (size, mtime_ns, ctime_ns, inode): a no-op reads no file, and an edit re-reads only
the files whose stat changed. A file whose mtime was too close to the moment it was hashed is
hashed again next time (git's "racily clean" rule): an edit within the same clock tick leaves
the stat as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from functools import cached_property
from pathlib import Path
from stat import S_ISREG
from typing import TYPE_CHECKING

from doitenv import files, runner

if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec

CACHE_FILE = "file-hashes.json"
# Written by the tools themselves: never an input, and a test run that writes them must not
# look like an edit made while the tests ran.
_TOOL_DIRS: tuple[str, ...] = (".git", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis")
_TOOL_DIRS += (".tox", ".nox", ".ipynb_checkpoints", "htmlcov", ".eggs")
_TOOL_OUTPUT = re.compile(
    "(?:^|/)(?:" + "|".join(map(re.escape, _TOOL_DIRS)) + r"|[^/]*\.egg-info)/"
    r"|(?:^|/)(?:\.coverage(?:\.[^/]*)?|coverage\.xml)$|\.py[co]$"
)
# Filesystems stamp mtimes with a coarse clock (up to 2 s on FAT): a file this fresh when it
# was hashed may still change without changing its stat.
_RACY_NS = 2_000_000_000
_CHUNK = 1 << 20


class Snapshot:
    """The content of a set of files: one digest, and {path: content id} when asked for
    (to name what changed; a no-op never needs it)."""

    def __init__(self, digest: str, load: Callable[[], dict[str, str]]) -> None:
        self.digest = digest
        self._load = load

    @cached_property
    def hashes(self) -> dict[str, str]:
        return self._load()

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
    """The project's input files (only those matching `patterns`, gitignore-style, when
    given), leaving out the folders in `skip` (venvs, state) and tool caches."""
    cache = HashCache(state_dir / CACHE_FILE)
    skip_dirs = [folder.strip("/") for folder in skip]
    found = _git_snapshot(root, skip_dirs, cache) if patterns is None else None
    if found is None:
        hashes = _git_hashes(root, skip_dirs, cache) if patterns is not None else None
        if hashes is None:
            hashes = cache.hashes(root, _kept(_walk_files(root, skip_dirs), skip_dirs))
        if patterns is not None:
            spec = _spec(patterns)
            hashes = {path: content for path, content in hashes.items() if spec.match_file(path)}
        found = Snapshot(_digest_of(hashes), lambda: hashes)
    return found


def _digest_of(hashes: dict[str, str]) -> str:
    # One pass in C: a path or a content id never holds a NUL, so the joined text is unambiguous.
    return _sha256("\0".join(f"{path}\0{hashes[path]}" for path in sorted(hashes)))


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def _kept(paths: Iterable[str], skip_dirs: Sequence[str]) -> list[str]:
    skipped = tuple(folder + "/" for folder in skip_dirs)
    left_out = _TOOL_OUTPUT.search
    # dict.fromkeys: git lists a file with a merge conflict once per stage.
    return sorted(p for p in dict.fromkeys(paths) if p and not p.startswith(skipped) and not left_out(p))


# --- in a git work tree: git's index is the stat cache of the tracked files -------------


def _git_snapshot(root: Path, skip_dirs: Sequence[str], cache: HashCache) -> Snapshot | None:
    """Tracked files by the ids in git's index, corrected by `git status` for what differs in
    the work tree, plus the untracked files that are not ignored; None outside git."""
    found = _git_state(root, skip_dirs)
    if found is None:
        return None
    index, worktree, prefix = found
    # git lists a touched file as modified; it counts only when its content left the index's.
    changed = {
        path: content
        for path, content in cache.hashes(root, worktree).items()
        if content != _index_id(index, prefix + path)
    }
    hasher = hashlib.sha256(index)
    hasher.update("\0".join(f"{path}\0{changed[path]}" for path in changed).encode("utf-8", "surrogateescape"))
    return Snapshot(hasher.hexdigest(), lambda: {**_index_ids(index, prefix, skip_dirs), **changed})


def _git_hashes(root: Path, skip_dirs: Sequence[str], cache: HashCache) -> dict[str, str] | None:
    found = _git_state(root, skip_dirs)
    if found is None:
        return None
    index, worktree, prefix = found
    return {**_index_ids(index, prefix, skip_dirs), **cache.hashes(root, worktree)}


def _git_state(root: Path, skip_dirs: Sequence[str]) -> tuple[bytes, list[str], str] | None:
    """(`git ls-files -s` of the project, the paths whose work-tree content git's index does
    not give, the project's folder within the repository), or None outside a git work tree."""
    top = next((folder for folder in (root, *root.parents) if (folder / ".git").exists()), None)
    if top is None:
        return None
    prefix = "" if top == root else root.relative_to(top).as_posix() + "/"
    # Within the project only, and never into a venv or the state folder, even unignored.
    scope = ["--", ".", *(f":(exclude){folder}" for folder in skip_dirs)]
    # Three quick reads side by side: the index (ids of tracked files), the tracked files whose
    # stat no longer matches it, and the untracked files git does not ignore. None writes.
    git = ["git", "--no-optional-locks", "-c", "core.quotepath=off"]
    outputs = runner.probe(
        [
            [*git, "ls-files", "-s", "-z", "--full-name", *scope],
            [*git, "diff-files", "-z", "--name-only", *scope],
            [*git, "ls-files", "-z", "--others", "--exclude-standard", "--full-name", *scope],
        ],
        cwd=str(root),
    )
    if outputs is None:
        return None
    index, modified, untracked = outputs
    names = (modified + b"\0" + untracked).decode("utf-8", "surrogateescape").split("\0")
    worktree = [name[len(prefix) :] for name in names if name.startswith(prefix)]
    return index, _kept(worktree, skip_dirs), prefix


def _index_id(index: bytes, path: str) -> str | None:
    """The id `git ls-files -s -z` gives `path`, found without parsing the whole index."""
    at = index.find(b"\t" + path.encode("utf-8", "surrogateescape") + b"\0")
    if at < 0:
        return None
    return index[index.rfind(b"\0", 0, at) + 1 : at].split(b" ")[1].decode()


def _index_ids(index: bytes, prefix: str, skip_dirs: Sequence[str]) -> dict[str, str]:
    ids = {}
    for entry in index.split(b"\0"):
        meta, _, raw = entry.partition(b"\t")
        path = raw.decode("utf-8", "surrogateescape")
        if raw and path.startswith(prefix):
            ids[path[len(prefix) :]] = meta.split(b" ")[1].decode()
    return {path: ids[path] for path in _kept(ids, skip_dirs)}


# --- outside git: walk the tree, reading .gitignore files ---------------------------------


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
            if _TOOL_OUTPUT.search(path + "/") or path in skip_dirs or Path(folder, name, "pyvenv.cfg").exists():
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
        changed = False
        kept = 0  # entries of `cached` that still describe a listed file
        result: dict[str, str] = {}
        trusted_before = time.time_ns() - _RACY_NS
        prefix = os.path.join(root, "")
        for path in paths:
            full = prefix + path
            try:
                st = os.stat(full)
            except OSError:
                st = None
            if st is None or not S_ISREG(st.st_mode):
                result[path] = _unreadable(full)
                continue
            signature = f"{st.st_size} {st.st_mtime_ns} {st.st_ctime_ns} {st.st_ino} "
            entry = cached.get(path)
            if entry is not None and entry.startswith(signature):
                result[path] = entry[len(signature) :]
                kept += 1
                continue
            result[path] = content = _hash_file(full, st.st_size)
            changed = True
            if st.st_mtime_ns < trusted_before and not content.startswith("<"):
                cached[path] = signature + content
                kept += 1
            else:
                cached.pop(path, None)  # racily clean, or unreadable: hashed again next time
        if changed or kept != len(cached):  # new hashes, or files that are gone
            fresh = {path: cached[path] for path in paths if path in cached}
            try:
                self.path.parent.mkdir(exist_ok=True)
                files.write_atomic(self.path, json.dumps(fresh, separators=(",", ":")).encode())
            except OSError:
                pass  # only a cache: the next run hashes again
        return result


def _hash_file(path: str, size: int) -> str:
    """git's blob id of the file: an unchanged file has the same id whether git tracks it yet
    or not, so `git add` alone changes no digest."""
    hasher = hashlib.sha1(f"blob {size}\0".encode(), usedforsecurity=False)
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
