"""doitenv's own locks: universal, so that bootstrap.py rewrites none of them on any Python."""

from __future__ import annotations

import pytest

from doitenv import config, locks
from doitenv.project import Project
from tests.conftest import REPO


@pytest.mark.parametrize("lock", ["requirements.txt", "requirements-dev.txt"])
def test_our_locks_are_universal_and_fresh_whatever_python_runs(lock: str) -> None:
    project = Project(config.load(REPO))
    assert project.config.universal and project.lock_python() == "universal>=3.9"
    in_file, text = project.lock_input(lock)
    options = locks.lock_options(project.config.hashes)
    # The label, not the running Python, is what the digest covers: the same on 3.9 and on 3.13.
    assert locks.is_fresh(REPO, in_file, lock, project.lock_python(), options, text), f"run `doit {lock}`"
    assert locks.recorded(REPO / lock) == (
        locks.inputs_digest(REPO, in_file, "universal>=3.9", options),
        "universal>=3.9",
    )
