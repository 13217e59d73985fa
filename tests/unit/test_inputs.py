"""The files a cached task depends on (inputs), and the per-file hash cache (filehashes), on trees
in tmp_path."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from doitenv import filehashes, inputs


def _tree(root: Path, names: dict[str, str]) -> None:
    for name, text in names.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.mark.parametrize("git", [True, False], ids=["git", "no-git"])
def test_every_file_git_would_not_ignore_minus_venvs_state_and_caches(tmp_path: Path, git: bool) -> None:
    _tree(
        tmp_path,
        {
            ".gitignore": "*.log\n!keep.log\n/build/\n",
            "pkg/__init__.py": "",
            "pkg/sub/.gitignore": "local.dat\n",
            "pkg/sub/local.dat": "",
            "pkg/sub/data.csv": "",
            "pkg/__pycache__/x.pyc": "",
            "run.log": "",
            "keep.log": "",
            "build/out.txt": "",
            "venv/pyvenv.cfg": "",
            "venv/lib/site.py": "",
            "other-env/pyvenv.cfg": "",
            ".doitenv/doit.sqlite3": "",
            ".coverage": "",
            ".pytest_cache/v": "",
            "x.egg-info/PKG-INFO": "",
        },
    )
    if git:
        subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    listed = sorted(inputs.snapshot(tmp_path, tmp_path / ".doitenv", ["venv", ".doitenv"]).hashes)
    expected = [".gitignore", "keep.log", "pkg/__init__.py", "pkg/sub/.gitignore", "pkg/sub/data.csv"]
    # A folder holding a venv is skipped on the walk; git lists it unless it is ignored.
    assert [name for name in listed if not name.startswith("other-env")] == expected


def test_links_unreadable_and_vanished_files_give_no_traceback(tmp_path: Path) -> None:
    _tree(tmp_path, {"a.py": "a", "folder/b.py": "b"})
    os.symlink("nowhere", tmp_path / "dangling")
    os.symlink("folder", tmp_path / "folder-link")
    os.symlink("a.py", tmp_path / "a-link.py")
    state = tmp_path / ".doitenv"
    paths = ["a.py", "a-link.py", "dangling", "folder-link", "gone.py"]
    hashes = filehashes.HashCache(state / filehashes.CACHE_FILE).hashes(tmp_path, paths)
    assert hashes["a-link.py"] == hashes["a.py"]  # a link to a file counts by what it holds
    assert hashes["gone.py"] == "<missing>"
    assert hashes["dangling"].startswith("<unreadable") and "nowhere" in hashes["dangling"]
    os.symlink("elsewhere", tmp_path / "dangling2")
    os.replace(tmp_path / "dangling2", tmp_path / "dangling")
    relinked = filehashes.HashCache(state / filehashes.CACHE_FILE).hashes(tmp_path, ["dangling"])
    assert relinked["dangling"] != hashes["dangling"]


def test_a_file_rehashed_only_when_its_stat_changes_or_it_was_racy(tmp_path: Path) -> None:
    _tree(tmp_path, {"old.txt": "old", "new.txt": "new"})
    old = (tmp_path / "old.txt").stat().st_mtime_ns - 10_000_000_000
    os.utime(tmp_path / "old.txt", ns=(old, old))
    cache = filehashes.HashCache(tmp_path / "cache.json")
    first = cache.hashes(tmp_path, ["old.txt", "new.txt"])
    # Only the file whose mtime was safely in the past is trusted from the cache.
    assert set(_read(cache)) == {"old.txt"}
    # Same stat, other bytes: a cache hit (what makes a no-op cheap) ...
    before = (tmp_path / "old.txt").stat()
    (tmp_path / "old.txt").write_text("OLD")
    os.utime(tmp_path / "old.txt", ns=(before.st_atime_ns, before.st_mtime_ns))
    # ... unless the ctime moved, as any write moves it.
    assert cache.hashes(tmp_path, ["old.txt", "new.txt"])["old.txt"] != first["old.txt"]


def test_the_cache_answers_in_any_order_drops_what_is_gone_and_survives_damage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = ["b.txt", "a b.txt", "a/c.txt", "a-c.txt", "\u00fc.txt", "\u4e2d.txt"]
    if os.name == "posix":  # any name the disk allows; a byte that is not UTF-8 sorts apart as a string
        names += ["line\nbreak.txt", os.fsdecode(b"latin-\xe9.txt"), os.fsdecode(b"\xe0x.txt")]
    for index, name in enumerate(names):
        path = tmp_path / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(str(index))
        old = path.stat().st_mtime_ns - 10_000_000_000  # safely in the past: cacheable
        os.utime(path, ns=(old, old))
    cache = filehashes.HashCache(tmp_path / ".doitenv" / filehashes.CACHE_FILE)
    first = cache.hashes(tmp_path, names)
    assert len(set(first.values())) == len(names) and not any(value.startswith("<") for value in first.values())
    written = cache.path.read_bytes()
    read: list[str] = []
    hash_file = filehashes._hash_file
    monkeypatch.setattr(filehashes, "_hash_file", lambda path, size: read.append(path) or hash_file(path, size))
    # Asked again, in another order: every answer comes from the cache, which stays as it was.
    assert cache.hashes(tmp_path, reversed(names)) == first
    assert cache.path.read_bytes() == written
    # A file no longer asked about leaves the cache; the others are still answered from it.
    fewer = [name for name in names if name != "a/c.txt"]
    assert cache.hashes(tmp_path, fewer) == {name: first[name] for name in fewer}
    assert b"a/c.txt" not in cache.path.read_bytes() and cache.path.read_bytes() != written
    kept = cache.path.read_bytes()
    assert cache.hashes(tmp_path, fewer) == {name: first[name] for name in fewer}
    assert cache.path.read_bytes() == kept
    assert read == []
    # A damaged file (cut short, out of order, not a cache at all) costs a re-read, never a
    # wrong answer, and is written whole again.
    fields = kept.split(b"\0")[:-1]
    records = [fields[i] + b"\0" + fields[i + 1] + b"\0" for i in range(0, len(fields), 2)]
    assert b"".join(records) == kept
    cut_short = (kept[: len(kept) // 2], kept[:-5], kept[:-1])  # the last two inside the last id
    for damaged in (*cut_short, b"".join(reversed(records)), b"\0\0\0junk", b"junk", b"b.txt\0\xff\xfe\0"):
        cache.path.write_bytes(damaged)
        read.clear()
        assert cache.hashes(tmp_path, fewer) == {name: first[name] for name in fewer}
        assert cache.path.read_bytes() == kept and read


def test_the_cache_doitenv_kept_as_json_is_taken_over_without_reading_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    names = ["data/big.bin", "a.py"]
    _tree(tmp_path, {name: name for name in names})
    for name in names:
        old = (tmp_path / name).stat().st_mtime_ns - 10_000_000_000
        os.utime(tmp_path / name, ns=(old, old))
    state = tmp_path / ".doitenv"
    ids = filehashes.HashCache(state / "scratch").hashes(tmp_path, names)
    entries = {}
    for name in names:
        st = (tmp_path / name).stat()
        entries[name] = f"{st.st_size} {st.st_mtime_ns} {st.st_ctime_ns} {st.st_ino} {ids[name]}"
    (state / "file-hashes.json").write_text(json.dumps(entries))
    read: list[str] = []
    monkeypatch.setattr(filehashes, "_hash_file", lambda path, size: read.append(path) or "")
    cache = filehashes.HashCache(state / filehashes.CACHE_FILE)
    assert cache.hashes(tmp_path, names) == ids and read == []
    assert _read(cache) == entries and not (state / "file-hashes.json").exists()
    # One that doitenv did not write (a name no file system gives) is left for a new cache.
    cache.path.unlink()
    (state / "file-hashes.json").write_text('{"a.py": "1 2 3 4 \\ud800"}')
    assert cache.hashes(tmp_path, names) == {name: "" for name in names}
    assert not (state / "file-hashes.json").exists()


def _read(cache: filehashes.HashCache) -> dict[str, str]:
    """{path: "SIZE MTIME_NS CTIME_NS INODE ID"} of the cache's file."""
    fields = cache.path.read_bytes().split(b"\0")
    assert fields[-1] == b"", "the last record is whole"
    return {path.decode(): value.decode() for path, value in zip(fields[0:-1:2], fields[1:-1:2])}


def test_patterns_narrow_the_set_and_changes_are_named(tmp_path: Path) -> None:
    _tree(tmp_path, {"src/a.py": "1", "docs/index.md": "x", "pyproject.toml": ""})
    state = tmp_path / ".doitenv"
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(["git", "add", "src/a.py"], cwd=tmp_path, check=True)
    narrowed = inputs.snapshot(tmp_path, state, [], ["src/", "pyproject.toml"])
    assert sorted(narrowed.hashes) == ["pyproject.toml", "src/a.py"]
    _tree(tmp_path, {"src/a.py": "2", "src/b.py": "", "docs/index.md": "y"})
    again = inputs.snapshot(tmp_path, state, [], ["src/", "pyproject.toml"])
    assert again.changes_from(narrowed.hashes) == ["src/a.py changed", "src/b.py added"]
    assert again.digest != narrowed.digest


def test_in_git_an_unchanged_file_keeps_its_id_when_added_and_a_subfolder_project_sees_its_own(tmp_path: Path) -> None:
    _tree(tmp_path, {"other/x.py": "", "proj/a.py": "a", "proj/data/d.csv": "1"})
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    project, state = tmp_path / "proj", tmp_path / "proj" / ".doitenv"
    untracked = inputs.snapshot(project, state, [".doitenv"])
    assert sorted(untracked.hashes) == ["a.py", "data/d.csv"]
    subprocess.run(["git", "add", "-A"], cwd=tmp_path, check=True)
    tracked = inputs.snapshot(project, state, [".doitenv"])
    assert tracked.hashes == untracked.hashes  # git's blob ids, whoever computed them
    old = (project / "a.py").stat().st_mtime_ns - 10_000_000_000
    os.utime(project / "a.py", ns=(old, old))  # git now sees its stat change, not its content
    assert inputs.snapshot(project, state, [".doitenv"]).digest == tracked.digest
    _tree(tmp_path, {"proj/data/d.csv": "2"})
    edited = inputs.snapshot(project, state, [".doitenv"])
    assert edited.digest != tracked.digest
    assert edited.changes_from(tracked.hashes) == ["data/d.csv changed"]
    (project / "a.py").unlink()  # deleted, still tracked: now "<missing>"
    deleted = inputs.snapshot(project, state, [".doitenv"])
    assert deleted.changes_from(edited.hashes) == ["a.py changed"]


def test_in_git_a_no_op_reads_no_file_it_read_before(tmp_path: Path) -> None:
    """Untracked files and tracked files git sees as modified were hashed in two calls, each of
    which dropped the other's entries from the cache: every untracked file was read on every run
    (20,000 files of a fresh `git init`, 1 s a no-op)."""
    _tree(tmp_path, {"tracked.py": "1", "data/a.csv": "a", "data/b.csv": "b"})
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "tracked.py")
    _git(tmp_path, "commit", "-qm", "one")
    (tmp_path / "tracked.py").write_text("2")
    for name in ("tracked.py", "data/a.csv", "data/b.csv"):  # safely in the past: cacheable
        old = (tmp_path / name).stat().st_mtime_ns - 10_000_000_000
        os.utime(tmp_path / name, ns=(old, old))
    state = tmp_path / ".doitenv"
    first = inputs.snapshot(tmp_path, state, [".doitenv"])
    cached = _read(filehashes.HashCache(state / filehashes.CACHE_FILE))
    assert set(cached) == {"tracked.py", "data/a.csv", "data/b.csv"}
    assert inputs.snapshot(tmp_path, state, [".doitenv"]).digest == first.digest
    assert _read(filehashes.HashCache(state / filehashes.CACHE_FILE)) == cached


@pytest.mark.skipif(os.name != "posix", reason="a tab or a non-UTF-8 byte in a file name: POSIX only")
def test_a_file_whose_name_ends_another_s_is_not_taken_for_it(tmp_path: Path) -> None:
    """`y` is how the entry of a file named `x<tab>y` ends: an edit that gives y that file's
    content, or a new y holding it, must still count."""
    _tree(tmp_path, {"x\ty": "same", "y": "other"})
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "one")
    state = tmp_path / ".doitenv"
    before = inputs.snapshot(tmp_path, state, [".doitenv"])
    (tmp_path / "y").write_text("same")
    edited = inputs.snapshot(tmp_path, state, [".doitenv"])
    assert edited.digest != before.digest and edited.changes_from(before.hashes) == ["y changed"]
    _git(tmp_path, "rm", "-q", "--cached", "y")  # y untracked now, with x<tab>y's content
    assert inputs.snapshot(tmp_path, state, [".doitenv"]).digest == edited.digest


@pytest.mark.skipif(os.name != "posix", reason="a link to a name that is not UTF-8: POSIX only")
def test_a_dangling_link_to_a_name_that_is_not_utf8_counts_by_that_name(tmp_path: Path) -> None:
    _tree(tmp_path, {"a.py": ""})
    _git(tmp_path, "init", "-q")
    os.symlink(b"\xe9", tmp_path / "dangling")
    state = tmp_path / ".doitenv"
    first = inputs.snapshot(tmp_path, state, [".doitenv"]).digest
    os.remove(tmp_path / "dangling")
    os.symlink(b"\xea", tmp_path / "dangling")
    assert inputs.snapshot(tmp_path, state, [".doitenv"]).digest != first


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd, check=True, capture_output=True
    )


def _sees_every_edit(project: Path, name: str) -> None:
    state = project / ".doitenv"
    before = inputs.snapshot(project, state, [".doitenv"])
    for text in ("one", "two"):  # the second edit as well as the first
        (project / name).write_text(text)
        after = inputs.snapshot(project, state, [".doitenv"])
        assert after.digest != before.digest, f"{name} := {text} went unseen"
        before = after


def test_a_project_in_a_folder_its_outer_repository_ignores_is_walked(tmp_path: Path) -> None:
    _tree(tmp_path, {".gitignore": "*\n", "code/proj/m.py": "", "code/proj/.gitignore": "build\\\n!\n[z-a]\n"})
    _git(tmp_path, "init", "-q")
    _sees_every_edit(tmp_path / "code" / "proj", "m.py")  # the bad .gitignore lines are skipped


def test_edits_inside_nested_repositories_and_unwatched_files_are_seen(tmp_path: Path) -> None:
    _tree(tmp_path, {"inner/pkg/m.py": "", "settings.py": "", "top.py": ""})
    _git(tmp_path / "inner", "init", "-q")
    _git(tmp_path / "inner", "add", "-A")
    _git(tmp_path / "inner", "commit", "-qm", "inner")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "settings.py", "top.py")
    _git(tmp_path, "update-index", "--skip-worktree", "settings.py")
    _sees_every_edit(tmp_path, "inner/pkg/m.py")  # an untracked repository inside
    _sees_every_edit(tmp_path, "settings.py")  # git does not look at it any more
    _git(tmp_path, "add", "inner")  # now a gitlink, as a submodule is
    _sees_every_edit(tmp_path, "inner/pkg/m.py")


def test_the_digest_of_a_tree_is_one_whatever_git_holds_of_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Placing a few changed files into git's listing gives what sorting every entry gives, so a
    file counts the same untracked, staged or committed."""
    import random

    from doitenv import inputs

    rng = random.Random(19)
    # Enough entries that the listing is made in several pieces (see inputs._listed).
    names = sorted({f"{rng.choice('abz')}/{rng.randrange(10**6)}.py".encode() for _ in range(3000)})
    # Names whose order as bytes (git's) is not their order as Python strings: a byte that is
    # not UTF-8 (read as a lone surrogate) against a CJK character.
    names += [b"a b/x.py", b"\xc3\xa9t\xc3\xa9.py", b"\xe0x.py", "\u4e2d.py".encode()]
    names.sort()
    blob = "{:040x}".format
    index = b"".join(b"H 100644 %s 0\t%s\0" % (blob(i).encode(), name) for i, name in enumerate(names))
    assert len(index) > 2 * inputs._PIECE
    listed = inputs._listed(index)
    for trial in range(50):
        changed = {name.decode("utf-8", "surrogateescape"): blob(10**9 + trial) for name in rng.sample(names, 3)}
        changed |= {f"{rng.choice('0abz~')}/new{trial}-{k}.txt": blob(k) for k in range(rng.randrange(4))}
        assert inputs._edited(listed, changed) == b"".join(inputs._merged(index, changed))
    assert inputs._edited(listed, {}) == b"".join(inputs._merged(index, {}))

    # The listing is the same wherever the pieces are cut.
    def in_one_piece(index: bytes) -> bytes:
        return inputs._TAG_AND_MODE.sub(b"\0", b"\0" + index).replace(b" 0\t", b"\t")

    assert listed == in_one_piece(index)
    some = index[: index.index(b"\0", 2000) + 1]
    for size in range(1, 130):
        monkeypatch.setattr(inputs, "_PIECE", size)
        assert inputs._listed(some) == in_one_piece(some)
    # A fresh `git init`: nothing in the index yet, every file untracked.
    untracked = {"b.py": blob(2), "a.py": blob(1)}
    assert inputs._edited(inputs._listed(b""), untracked) == b"".join(inputs._merged(b"", untracked))


def test_doitenv_s_scratch_files_are_never_inputs_nor_watched() -> None:
    """`doit watch` ran a round on `.requirements.txt.doitenv-compile` in the middle of `doit upgrade`."""
    scratch = [".requirements.txt.doitenv-compile", "requirements/.tests.txt.doitenv-compile", ".dev.txt.doitenv-in"]
    scratch += [".requirements.txt.abc123.doitenv-tmp", ".venv.doitenv-making"]  # a file
    assert [path for path in scratch if inputs.may_be_input(path, [])] == []
    assert inputs.may_be_input("requirements.txt", []) and inputs.may_be_input("notes.doitenv-in.md", [])
