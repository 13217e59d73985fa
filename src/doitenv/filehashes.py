"""What each file holds: git's blob id of its content, cached under its stat signature.

A file is read only when its stat signature (size, mtime_ns, ctime_ns, inode) differs from the
one it had when it was hashed. A file whose mtime was too close to that moment is hashed again
next time (git's "racily clean" rule): an edit within the same clock tick leaves the stat as
it was.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterable
from pathlib import Path
from stat import S_ISREG

from doitenv import files

CACHE_FILE = "file-hashes"
_JSON_CACHE_FILE = "file-hashes.json"  # the same cache, as doitenv kept it before 2026-12
# Filesystems stamp mtimes with a coarse clock (up to 2 s on FAT): a file this fresh when it
# was hashed may still change without changing its stat.
_RACY_NS = 2_000_000_000
_CHUNK = 1 << 20


class HashCache:
    """The content id of each file hashed before, under its stat signature, in one file of
    records `PATH\0SIZE MTIME_NS CTIME_NS INODE ID\0`, sorted by path. Read in that order beside
    the sorted paths asked about, a no-op makes no object per file but the id it returns (a
    JSON dict of 20,000 entries held 6 MB). Any version of the file is valid, so two doit
    processes writing it in turn lose nothing but work; a damaged one only costs a re-read."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def hashes(self, root: Path, paths: Iterable[str]) -> dict[str, str]:
        # Sorted before the records are read: the sort's keys and the records are never held at once.
        ordered = sorted(paths, key=_record_key)
        old, from_json = self._records()
        # The new file, once it differs from `old`: until then, `old[:at]` is what it holds.
        new: list[bytes] | None = None
        at = 0  # where the next record of `old` starts
        result: dict[str, str] = {}
        trusted_before = time.time_ns() - _RACY_NS
        prefix = os.path.join(root, "")
        for path in ordered:
            key = _record_key(path)
            # Records of files no longer asked about sort before `key`: left out of the new file.
            while at < len(old) and not old.startswith(key, at) and old[at : old.find(b"\0", at) + 1] < key:
                new = new if new is not None else [old[:at]]
                at = _record_end(old, at)
            full = prefix + path
            try:
                st = os.stat(full)
            except OSError:
                st = None
            signature = b"" if st is None else b"%d %d %d %d " % (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
            recorded = old.startswith(key, at)
            if recorded and st is not None and old.startswith(signature, at + len(key)):
                found = at + len(key) + len(signature)
                end = old.find(b"\0", found)
                if end - found == _ID_LENGTH:  # whole: a record cut short or damaged is no answer
                    result[path] = old[found:end].decode("latin-1")
                    if new is not None:
                        new.append(old[at : end + 1])
                    at = end + 1
                    continue
            new = new if new is not None else [old[:at]]
            if recorded:
                at = _record_end(old, at)  # a record that no longer holds: replaced or dropped
            if st is None or not S_ISREG(st.st_mode):
                result[path] = _unreadable(full)
                continue
            result[path] = content = _hash_file(full, st.st_size)
            if st.st_mtime_ns < trusted_before and not content.startswith("<"):
                new.append(key + signature + content.encode() + b"\0")
            # else racily clean, or unreadable: hashed again next time
        if new is not None or at < len(old) or from_json:  # new hashes, files that are gone, a new format
            try:
                self.path.parent.mkdir(exist_ok=True)
                files.write_atomic(self.path, b"".join(new if new is not None else [old[:at]]))
                self.path.with_name(_JSON_CACHE_FILE).unlink(missing_ok=True)
            except OSError:
                pass  # only a cache: the next run hashes again
        return result

    def _records(self) -> tuple[bytes, bool]:
        """(the records, whether they come from the JSON file doitenv kept before 2026-12: read
        once, so that no file is hashed again for a new format, then replaced)."""
        try:
            return self.path.read_bytes(), False
        except OSError:
            pass
        before = files.read_json(self.path.with_name(_JSON_CACHE_FILE))
        if not isinstance(before, dict):
            return b"", False
        try:
            kept = sorted(
                (_record_key(path), value.encode()) for path, value in before.items() if isinstance(value, str)
            )
        except UnicodeEncodeError:  # not a file doitenv wrote: start again
            return b"", True
        return b"".join(key + value + b"\0" for key, value in kept), True


_ID_LENGTH = 40  # what _hash_file gives: git's SHA-1 blob id, in hex


def _record_key(path: str) -> bytes:
    """What a record of `path` starts with; records sort by it."""
    return path.encode("utf-8", "surrogateescape") + b"\0"


def _record_end(records: bytes, start: int) -> int:
    """Where the record that starts at `start` ends (the end of the file, when it is cut short)."""
    path_end = records.find(b"\0", start)
    end = -1 if path_end < 0 else records.find(b"\0", path_end + 1)
    return len(records) if end < 0 else end + 1


def _hash_file(path: str, size: int) -> str:
    """git's blob id of the file: the id the index holds once the file is tracked, so a
    touched file is recognised as unchanged."""
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
