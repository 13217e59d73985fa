"""What a cached task (test, format, a matrix entry) depends on: the files of the project.

By default that is every file git would not ignore (tracked, plus untracked and not ignored),
whatever the layout: a package at the root, a `test/` folder, data the tests read, a
conftest.py three folders down. Venvs, doitenv's state, tool caches and editors' scratch
files are left out.

Reading every byte on every run would cost what the data weighs. In a git work tree, git's
index already records an id and a stat signature for every tracked file: a tracked file counts
by that id unless git sees it changed on disk. Every other file counts by its content (the
blob id git would give it), cached in `.doitenv/` under its stat signature (filehashes.py): a
no-op reads no file, and an edit re-reads only the files whose stat changed.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING

from doitenv import files, runner
from doitenv.filehashes import CACHE_FILE, HashCache

if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec

# Written by the tools themselves: never an input, and a test run that writes them must not
# look like an edit made while the tests ran.
_TOOL_DIRS: tuple[str, ...] = (".git", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis")
_TOOL_DIRS += (".tox", ".nox", ".ipynb_checkpoints", "htmlcov", ".eggs")
# Matched against "/" + path + "\0" (see _is_tool_output): every branch starts with a fixed
# character, so the regex engine jumps to the few places where a match can begin; the same
# rules written with ^ and $ cost 5x more (57 ms against 11 ms on 20,000 untracked paths).
# Unlike $, the end mark is not also found before a last newline: `mod.pyc\n` is a file to keep.
_TOOL_OUTPUT = re.compile(
    "/(?:" + "|".join(map(re.escape, _TOOL_DIRS)) + r"|[^/\0]*\.egg-info)/"
    r"|/(?:\.coverage(?:\.[^/\0]*)?|coverage\.xml)\0|\.py[co]\0"
    # Editors' scratch files: vim's swap files, emacs' locks and backups, macOS's folder views.
    r"|\.sw[po]\0|~\0|/(?:\.#[^/\0]*|\.DS_Store)\0"
    # doitenv's own scratch files beside a lock, and a venv it is making.
    r"|/" + files.SCRATCH_STEM + r"\0|/\.[^/\0]+\.doitenv-making\0"
)


class Snapshot:
    """The content of a set of files: one digest, and {path: content id} when asked for
    (to name what changed; a no-op never needs it)."""

    def __init__(self, digest: str, load: Callable[[], dict[str, str]], untracked: Sequence[str] = ()) -> None:
        self.digest = digest
        self._load = load
        # The files among them git does not track: pre-commit never sees them (see runs.py).
        self.untracked = tuple(sorted(untracked))

    @cached_property
    def hashes(self) -> dict[str, str]:
        return self._load()

    def changed_paths(self, before: dict[str, str]) -> list[str]:
        """The paths whose content differs from `before` (added, removed or changed), sorted."""
        paths = self.hashes.keys() | before.keys()
        return sorted(path for path in paths if self.hashes.get(path) != before.get(path))

    def changes_from(self, before: dict[str, str], limit: int = 3) -> list[str]:
        """What differs from `before`, for a message: 'a.py changed', 'b.py added', ..."""
        found = []
        for path in self.changed_paths(before):
            if path not in before:
                found.append(f"{path} added")
            elif path not in self.hashes:
                found.append(f"{path} removed")
            else:
                found.append(f"{path} changed")
        if len(found) > limit:
            found[limit:] = [f"{len(found) - limit} more"]
        return found


def snapshot(root: Path, state_dir: Path, skip: Sequence[str], patterns: Sequence[str] | None = None) -> Snapshot:
    """The project's input files (only those matching `patterns`, gitignore-style, when
    given), leaving out the folders in `skip` (venvs, state) and tool caches."""
    cache = HashCache(state_dir / CACHE_FILE)
    skip_dirs = [folder.strip("/") for folder in skip]
    tree = _git_tree(root, skip_dirs, cache)
    if tree is not None and patterns is None:
        index, changed, untracked = tree
        digest = _tree_digest(index, changed)
        return Snapshot(digest, lambda: {**_index_ids(index, skip_dirs), **changed}, untracked)
    untracked = []
    if tree is not None:
        hashes = {**_index_ids(tree[0], skip_dirs), **tree[1]}
        untracked = tree[2]
    else:
        hashes = cache.hashes(root, _kept(_walk_files(root, skip_dirs), skip_dirs))
    if patterns is not None:
        spec = _spec(patterns)
        hashes = {path: content for path, content in hashes.items() if spec.match_file(path)}
        untracked = [path for path in untracked if spec.match_file(path)]
    return Snapshot(_digest_of(hashes), lambda: hashes, untracked)


def _tree_digest(index: bytes, changed: dict[str, str]) -> str:
    """The digest of {path: content id} for the index's files, with `changed` over them: what
    the files hold, never how git's index holds it, so staging, committing, or a stash and its
    pop, leave it as it was. A tracked tool output counts by its id in the index, as before."""
    if changed and (len(changed) > _FEW or _CONFLICTED.search(index)):
        hasher = hashlib.sha256()
        for piece in _merged(index, changed):
            hasher.update(piece)
        return hasher.hexdigest()
    return hashlib.sha256(_edited(_listed(index), changed)).hexdigest()


_PIECE = 1 << 16  # bytes of the index rewritten at a time (see _listed)


def _listed(index: bytes) -> bytes:
    """Each entry of `index` as "\0ID\tPATH", in git's order (by path), then "\0". Made in C
    by literal replacements (a template, or a look-behind, costs 10 ms more on 20,000 files),
    64 KB at a time: a substitution holds every piece it cuts until it joins them, 7 MB at
    once for a 20,000-file index."""
    pieces, start = [], 0
    while True:
        end = index.find(b"\0", start + _PIECE)  # each piece but the first starts at an entry's NUL
        end = len(index) if end < 0 else end
        piece = index[start:end]
        pieces.append(_TAG_AND_MODE.sub(b"\0", piece if start else b"\0" + piece))
        if end == len(index):
            return b"".join(pieces).replace(b" 0\t", b"\t")
        start = end


_FEW = 200  # changed files placed one by one; more are merged by sorting all of them
_CONFLICTED = re.compile(rb" [123]\t")  # an entry of a merge conflict's stage


def _edited(listed: bytes, changed: dict[str, str]) -> bytes:
    """`listed` (see _tree_digest) with each changed path's id replaced, or its entry put where
    git's order puts it: one search each, no sort of the whole index."""
    edits: list[tuple[int, bytes, int, bytes]] = []  # (from, path, to, what goes there)
    for name, content in changed.items():
        # A stand-in id names a link's target, which may be any bytes.
        path, blob = name.encode("utf-8", "surrogateescape"), content.encode("utf-8", "surrogateescape")
        at = _entry_of(listed, path)
        if at >= 0:  # tracked: its id replaced
            start = listed.rfind(b"\0", 0, at) + 1
            edits.append((start, path, at, blob))
        else:
            slot = _slot(listed, path)
            edits.append((slot, path, slot, b"\0" + blob + b"\t" + path))
    pieces, done = [], 0
    for start, _, end, what in sorted(edits):
        pieces += [listed[done:start], what]
        done = end
    return b"".join([*pieces, listed[done:]])


def _slot(listed: bytes, path: bytes) -> int:
    """The offset of the NUL before which an entry for `path` goes, in git's order."""
    low, high = 0, len(listed) - 1  # entries starting before `low` sort before path; from `high` on, after
    while low < high:
        start = listed.rfind(b"\0", low, (low + high) // 2 + 1)
        end = listed.index(b"\0", start + 1)
        if listed[listed.index(b"\t", start + 1, end) + 1 : end] < path:
            low = end
        else:
            high = start
    return low


def _merged(index: bytes, changed: dict[str, str]) -> Iterator[bytes]:
    """The same text as _edited gives, made by sorting every entry (a conflict, many changes).
    In pieces of a thousand entries, from the strings already held: 20,000 untracked files
    cost 5 MB more as one text of bytes made from copies."""
    merged = {_decode(raw): blob.decode() for blob, raw in _INDEX_ENTRY.findall(index)}
    merged.update(changed)
    # git's order is by the bytes of a path: for ASCII names, Python's own order of strings.
    ascii_only = all(path.isascii() for path in merged)
    order = sorted(merged) if ascii_only else sorted(merged, key=lambda path: path.encode("utf-8", "surrogateescape"))
    for start in range(0, len(order), 1000):
        text = "".join(f"\0{merged[path]}\t{path}" for path in order[start : start + 1000])
        yield text.encode("utf-8", "surrogateescape")
    yield b"\0"


def _digest_of(hashes: dict[str, str]) -> str:
    # One pass in C: a path or a content id never holds a NUL, so the joined text is unambiguous.
    joined = "\0".join(f"{path}\0{hashes[path]}" for path in sorted(hashes))
    return hashlib.sha256(joined.encode("utf-8", "surrogateescape")).hexdigest()


def may_be_input(path: str, skip: Sequence[str]) -> bool:
    """Can the file at `path` (relative, with `/`) be an input? Not in a folder of `skip`, and
    not a tool's output or an editor's scratch file."""
    return bool(_kept([path], [folder.strip("/") for folder in skip]))


def _kept(paths: Iterable[str], skip_dirs: Sequence[str]) -> list[str]:
    skipped = tuple(folder + "/" for folder in skip_dirs)
    # dict.fromkeys: git lists a file with a merge conflict once per stage.
    return sorted(p for p in dict.fromkeys(paths) if p and not p.startswith(skipped) and not _is_tool_output(p))


def _is_tool_output(path: str) -> bool:
    """Is `path` (relative, with `/`; a folder's ends with `/`) a tool's output or a scratch file?"""
    return _TOOL_OUTPUT.search(f"/{path}\0") is not None


# --- in a git work tree: git's index is the stat cache of the tracked files -------------

# `git ls-files -s -v -z` entries: "TAG MODE ID STAGE\tPATH". A lowercase tag (assume-unchanged)
# or S (skip-worktree) is a file git no longer compares with the disk; mode 160000 a submodule.
_UNWATCHED = re.compile(rb"\0(?:[a-zS] |\S 160000 )")


def _git_tree(root: Path, skip_dirs: Sequence[str], cache: HashCache) -> tuple[bytes, dict[str, str], list[str]] | None:
    """(git's index for the project, {path: content id} of every file whose content the index
    does not give: changed on disk, untracked, or out of git's sight, the untracked files), or
    None when git has nothing to say (no git, not a work tree, or a folder the repository ignores)."""
    # Within the project only, never into a venv or the state folder even when unignored;
    # every path relative to the project. Three reads side by side, none writes.
    scope = ["--", ".", *(f":(exclude){folder}" for folder in skip_dirs)]
    git = ["git", "--no-optional-locks", "-c", "core.quotepath=off"]
    outputs = runner.probe(
        [
            [*git, "ls-files", "-s", "-v", "-z", *scope],
            [*git, "diff-files", "-z", "--name-only", "--relative", *scope],
            [*git, "ls-files", "-z", "--others", "--exclude-standard", *scope],
        ],
        cwd=str(root),
    )
    if outputs is None or not (outputs[0] or outputs[2]):
        return None
    index, modified, untracked = outputs
    unwatched = _unwatched(index)
    tracked = _kept([*_names(modified), *unwatched], skip_dirs)
    others = _kept(_names(untracked), skip_dirs)
    del outputs, untracked  # 1.5 MB for 20,000 untracked files, not needed while they are hashed
    # A repository inside the project (a submodule, or one git lists as `name/`): its files.
    # Only the few unwatched entries are asked of the disk: an untracked tree can hold 20,000
    # files, and git already marks a repository among them with its trailing `/`.
    inner = [folder.rstrip("/") for folder in others if folder.endswith("/")]
    inner += [folder for folder in unwatched if (root / folder).is_dir()]
    others += [f"{folder}/{name}" for folder in inner for name in _kept(_walk_files(root / folder, []), [])]
    tracked = [path for path in tracked if path not in inner]  # a submodule counts by its commit and files
    untracked_files = [path for path in others if not path.endswith("/")]
    # One call: the cache keeps only the paths it is asked about, so two calls would each drop
    # the other's entries, and every untracked file would be read again on every run.
    changed = cache.hashes(root, [*tracked, *untracked_files])
    # git lists a touched file as modified; it counts only when its content left the index's.
    # Every file of a copied project is touched: then one parse of the index, not a search each.
    index_id = _all_index_ids(index).get if len(tracked) > _FEW else partial(_index_id, index)
    for path in tracked:
        if changed[path] == index_id(path):
            del changed[path]
    return index, changed, untracked_files


def _unwatched(index: bytes) -> list[str]:
    """The index entries whose files git does not compare with the disk, and submodules."""
    entries = b"\0" + index  # each entry now starts after a NUL: one quick scan finds them
    found = []
    for match in _UNWATCHED.finditer(entries):
        start = entries.index(b"\t", match.end()) + 1
        found.append(_decode(entries[start : entries.index(b"\0", start)]))
    return found


def _names(output: bytes) -> list[str]:
    return [_decode(name) for name in output.split(b"\0") if name]


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def _index_id(index: bytes, path: str) -> str | None:
    """The id the index gives `path`, found without parsing the whole index."""
    at = _entry_of(index, path.encode("utf-8", "surrogateescape"))
    if at < 0:
        return None
    return index[index.rfind(b"\0", 0, at) + 1 : at].split(b" ")[2].decode()


def _entry_of(listing: bytes, path: bytes) -> int:
    """Where `path`'s entry in `listing` ("...\0HEAD\tPATH\0...", no tab in HEAD) has its tab,
    or -1. The tab must be its entry's first: `y` is not the end of a file named `x<tab>y`."""
    needle = b"\t" + path + b"\0"
    at = listing.find(needle)
    while at >= 0 and b"\t" in listing[listing.rfind(b"\0", 0, at) + 1 : at]:
        at = listing.find(needle, at + 1)
    return at


# One index entry: "TAG MODE ID STAGE\tPATH\0".
_INDEX_ENTRY = re.compile(rb"\S+ \d+ ([0-9a-f]+) \d\t([^\0]*)\0")
_TAG_AND_MODE = re.compile(rb"\0[^ \0]+ [0-7]+ ")  # an entry's start, after the NUL before it


def _index_ids(index: bytes, skip_dirs: Sequence[str]) -> dict[str, str]:
    """{path: content id} of the index's entries that can be inputs."""
    ids = _all_index_ids(index)
    return {path: ids[path] for path in _kept(ids, skip_dirs)}


def _all_index_ids(index: bytes) -> dict[str, str]:
    """{path: content id} of every entry of the index (a conflicted file's last stage)."""
    return {_decode(raw): blob.decode() for blob, raw in _INDEX_ENTRY.findall(index)}


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
            if _is_tool_output(path + "/") or path in skip_dirs or Path(folder, name, "pyvenv.cfg").exists():
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

    lines = list(lines)
    try:
        return pathspec.GitIgnoreSpec.from_lines(lines)
    except (ValueError, TypeError, re.error):
        # git skips a line it cannot read as a pattern; so does this.
        return pathspec.GitIgnoreSpec.from_lines([line for line in lines if pattern_problem(line) is None])


def pattern_problem(line: str) -> str | None:
    """Why `line` is no gitignore pattern, or None when it is one."""
    import pathspec

    try:
        pathspec.GitIgnoreSpec.from_lines([line])
    except (ValueError, TypeError, re.error) as exc:
        return str(exc) or "not a pattern"
    return None
