"""doitenv's own locks: universal, so that bootstrap.py rewrites none of them on any Python."""

from __future__ import annotations

import pytest

from doitenv import config, locks
from doitenv.locks import LockShape
from doitenv.project import Project
from tests.conftest import REPO


@pytest.mark.parametrize("lock", ["requirements.txt", "requirements-dev.txt"])
def test_our_locks_are_universal_and_fresh_whatever_python_runs(lock: str) -> None:
    project = Project(config.load(REPO))
    shape = project.lock_shape()
    assert project.config.universal and shape == LockShape(">=3.9", hashes=False, universal=True, universal_from="3.9")
    inputs = project.layer(lock).read_inputs(REPO)
    # The label, not the running Python, is what the digest covers: the same on 3.9 and on 3.13.
    assert locks.is_fresh(lock, inputs, shape), f"run `doit {lock}`"
    header = locks.recorded(REPO / lock)
    assert header is not None and header.universal and header.python == ">=3.9"
    assert header.inputs == inputs.digest(shape)
