"""The upgrade journal (journal.py) on real files: what it puts back, what it keeps, and that it
believes nothing it cannot check. tests/reliability/test_cut_short_upgrade.py kills a real upgrade."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from doitenv import files, journal

LOCKS = ["requirements.txt", "requirements-dev.txt"]


def _project(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "proj"
    state = root / ".doitenv"
    state.mkdir(parents=True)
    for lock in LOCKS:
        (root / lock).write_bytes(f"old {lock}\n".encode())
    return root, state


def test_a_killed_upgrade_is_put_back_and_a_finished_one_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, state = _project(tmp_path)
    record = journal.Journal.begin(state, root, LOCKS, ["beta", "gamma==2.0"])
    record.write(root / "requirements.txt", b"new runtime\n")  # then the kill, while pinning dev
    journal.recover(state, root)
    assert capsys.readouterr().err == (
        "doitenv: the last `doit upgrade --package beta --package=gamma==2.0` was cut short (requirements-dev.txt was "
        "not pinned yet), so requirements.txt is put back as it was before it: run `doit upgrade --package beta "
        "--package=gamma==2.0` again\n"
    )
    assert [(root / lock).read_bytes() for lock in LOCKS] == [b"old requirements.txt\n", b"old requirements-dev.txt\n"]
    assert not (state / journal.NAME).exists()

    # Killed after the last lock was written, before the journal went: nothing is left to do.
    record = journal.Journal.begin(state, root, LOCKS, [])
    for lock in LOCKS:
        record.write(root / lock, b"new\n")
    journal.recover(state, root)
    said = "doitenv: the last `doit upgrade` was cut short after it pinned every lock, so the upgraded locks are kept\n"
    assert capsys.readouterr().err == said
    assert [(root / lock).read_bytes() for lock in LOCKS] == [b"new\n", b"new\n"]
    journal.recover(state, root)  # and once gone, nothing more is said
    assert capsys.readouterr().err == ""


def _outside(data: dict[str, Any], root: Path) -> None:
    data["locks"][0]["lock"] = "../outside.txt"


def _absolute(data: dict[str, Any], root: Path) -> None:
    data["locks"][0]["lock"] = str(root.parent / "outside.txt")


def _through_a_symlink(data: dict[str, Any], root: Path) -> None:
    os.symlink(root.parent, root / "link")
    data["locks"][0]["lock"] = "link/outside.txt"


def _bytes_not_their_digest(data: dict[str, Any], root: Path) -> None:
    data["locks"][0]["before"] = base64.b64encode(b"something else\n").decode()


def _newer_version(data: dict[str, Any], root: Path) -> None:
    data["version"] = 2


def _wrote_not_a_list(data: dict[str, Any], root: Path) -> None:
    data["locks"][0]["wrote"] = "abc"


FORGED: dict[str, Callable[[dict[str, Any], Path], None]] = {
    "a lock outside the project": _outside,
    "an absolute path": _absolute,
    "a folder linked out of the project": _through_a_symlink,
    "old bytes that are not their digest": _bytes_not_their_digest,
    "another version": _newer_version,
    "digests that are not a list": _wrote_not_a_list,
}


@pytest.mark.parametrize("forge", FORGED.values(), ids=list(FORGED))
def test_a_journal_is_checked_before_it_is_believed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], forge: Callable[[dict[str, Any], Path], None]
) -> None:
    """A journal that is not what doitenv writes puts nothing back: a file outside the project, or a
    lock, would otherwise be overwritten with whatever it holds."""
    root, state = _project(tmp_path)
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"theirs\n")
    record = journal.Journal.begin(state, root, LOCKS, [])
    record.write(root / "requirements.txt", b"new runtime\n")
    data = json.loads((state / journal.NAME).read_text())
    # As a forger would write it: what is there now is named as the upgrade's, so it would be put back.
    data["locks"][0]["wrote"] = [files.digest([b"theirs\n"]), files.digest([b"new runtime\n"])]
    forge(data, root)
    (state / journal.NAME).write_text(json.dumps(data))
    journal.recover(state, root)
    assert capsys.readouterr().err == (
        "doitenv: .doitenv/upgrade-journal.json is not a journal doitenv can read, so no lock is put back: if a "
        "`doit upgrade` was cut short, compare the locks with git and run `doit check`\n"
    )
    assert outside.read_bytes() == b"theirs\n" and (root / "requirements.txt").read_bytes() == b"new runtime\n"
    assert not (state / journal.NAME).exists()


def test_a_journal_that_is_no_json_puts_nothing_back(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root, state = _project(tmp_path)
    (state / journal.NAME).write_bytes(b'{"version": 1, "locks": [')  # as a disk that filled up might leave it
    journal.recover(state, root)
    assert "is not a journal doitenv can read, so no lock is put back" in capsys.readouterr().err
    assert (root / "requirements.txt").read_bytes() == b"old requirements.txt\n"


def test_a_lock_is_known_however_its_path_is_spelt(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`./requirements.txt` as the layer names it, `requirements.txt` as the pin writes it: one lock."""
    root, state = _project(tmp_path)
    record = journal.Journal.begin(state, root, ["./requirements.txt", "requirements-dev.txt"], [])
    record.write(root / "requirements.txt", b"new runtime\n")
    journal.recover(state, root)
    assert "so requirements.txt is put back as it was before it" in capsys.readouterr().err
    assert (root / "requirements.txt").read_bytes() == b"old requirements.txt\n"


def test_a_lock_put_back_is_said_at_the_quiet_level_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What asks something of the user (run the upgrade again) is a warning, which quiet keeps."""
    monkeypatch.setenv("DOITENV_OUTPUT", "quiet")
    root, state = _project(tmp_path)
    record = journal.Journal.begin(state, root, ["requirements.txt", "requirements-dev.txt"], [])
    record.write(root / "requirements.txt", b"new runtime\n")
    journal.recover(state, root)
    assert "so requirements.txt is put back as it was before it" in capsys.readouterr().err
