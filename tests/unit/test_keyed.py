"""The project's key for digests of environment values (keyed.py), and the names receipts give
a step's actions (tasks/steps.py)."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import stat
from pathlib import Path

import pytest

from doitenv import keyed
from doitenv.tasks import steps


def test_the_key_is_made_once_private_and_keys_the_digest(tmp_path: Path) -> None:
    state = tmp_path / ".doitenv"
    first = keyed.digest(state, ["hunter2"])
    key = state / keyed.KEY_FILE
    if os.name != "nt":
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert keyed.digest(state, ["hunter2"]) == first != keyed.digest(state, ["hunter3"])
    assert first not in hashlib.sha256(b"hunter2").hexdigest()
    assert keyed.digest(state, ["ab", "c"]) != keyed.digest(state, ["a", "bc"])
    other = tmp_path / "clone" / ".doitenv"
    assert keyed.digest(other, ["hunter2"]) != first and keyed.key_id(other) != keyed.key_id(state)


def _key_of(state: str) -> bytes:
    return keyed.key(Path(state))


def test_runs_that_start_together_share_one_key(tmp_path: Path) -> None:
    state = tmp_path / ".doitenv"
    with multiprocessing.get_context("spawn").Pool(6) as pool:
        found = pool.map(_key_of, [str(state)] * 12)
    assert len(set(found)) == 1 and (state / keyed.KEY_FILE).read_bytes().strip() == found[0].hex().encode()


@pytest.mark.parametrize(
    ("command", "program"),
    [
        ("deploy --token $T", "deploy"),
        ("API_TOKEN=abc deploy --token abc", "deploy"),
        ("'my tool' 'unclosed", "'my"),
        (["/usr/bin/upload", "--token", "abc"], "/usr/bin/upload"),
        ("", ""),
    ],
)
def test_an_action_is_named_by_its_program_never_its_arguments(command: str | list[str], program: str) -> None:
    assert steps._program(command) == program
