"""Damaged state and failed writes: a clear message or a rebuild, never a lost lock."""

from __future__ import annotations

import resource
import signal
import subprocess
import sys

from tests.helpers import ProjectFactory


def test_a_damaged_doit_state_file_is_put_aside(new_project: ProjectFactory) -> None:
    project = new_project()
    project.doit("test")
    (project.path / ".doitenv" / "doit.sqlite3").write_bytes(b"\x00garbage, not sqlite" * 50)
    result = project.doit("test")
    assert "was not a doit state file; moved it to doit.sqlite3.damaged" in result.output
    assert "2 passed" in result.output and "Traceback" not in result.output
    assert result.compiled() == [] and not result.synced()  # locks and venv carry their own state


def test_a_failed_write_leaves_the_old_lock_intact(new_project: ProjectFactory) -> None:
    project = new_project()
    project.doit("dev")
    before = (project.path / "requirements.txt").read_bytes()
    project.write("requirements.in", "alpha\ndelta\n")

    def tiny_disk() -> None:  # writes past 200 bytes fail with EFBIG, as on a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (200, 200))

    full = subprocess.run(
        [sys.executable, "-m", "doit", "requirements.txt"],
        cwd=project.path,
        capture_output=True,
        text=True,
        preexec_fn=tiny_disk,
    )
    assert full.returncode != 0
    assert (project.path / "requirements.txt").read_bytes() == before
    # doit cannot write its state on such a disk either: one line says so (doitenv's backend).
    assert "Traceback" not in full.stdout + full.stderr, full.stdout + full.stderr
    project.doit("dev")
    assert "delta==1.0" in project.pins("requirements.txt")
