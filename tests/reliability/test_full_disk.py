"""A full disk under .doitenv/: one line naming the file and the fix, and the next run recovers.

The disk is real: a 1 MiB tmpfs, filled to the last byte, mounted over the project's .doitenv/
in a mount namespace of the test's own (`unshare -rm`: no root needed where user namespaces are
allowed). Writes there fail with ENOSPC, as on a full disk; RLIMIT_FSIZE would give EFBIG.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.helpers import ProjectFactory, Result, TmpProject

# Runs inside the namespace: the state folder on a full tmpfs for one doit run, then back on
# the real disk as the run left it, so the next run (outside) starts from what a full disk kept.
ON_A_FULL_DISK = """
import os, shutil, subprocess, sys
state, small, fill, *doit = sys.argv[1:]
subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "doitenv-test", small], check=True)
shutil.copytree(state, os.path.join(small, "state"), symlinks=True)
subprocess.run(["mount", "--bind", os.path.join(small, "state"), state], check=True)
filler = os.open(os.path.join(small, "filler"), os.O_WRONLY | os.O_CREAT)
try:
    while fill == "now":
        os.write(filler, bytes(4096))
except OSError:
    pass
code = subprocess.run(doit).returncode
subprocess.run(["umount", state], check=True)
shutil.rmtree(state)
shutil.copytree(os.path.join(small, "state"), state, symlinks=True)
sys.exit(code)
"""


def _namespaces_allowed() -> bool:
    if not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "-rm", "true"], capture_output=True).returncode == 0


needs_namespace = pytest.mark.skipif(not _namespaces_allowed(), reason="no user and mount namespaces (unshare -rm)")


def doit_on_full_disk(project: TmpProject, *args: str, fill: str = "now") -> Result:
    """`doit *args` with .doitenv/ on a full disk; `fill="later"`: on one that something in the
    run fills (its filler is `small-disk/filler`, beside the project)."""
    small = project.path.parent / "small-disk"
    small.mkdir(exist_ok=True)
    argv = [sys.executable, "-c", ON_A_FULL_DISK, str(project.path / ".doitenv"), str(small), fill]
    completed = subprocess.run(
        ["unshare", "-rm", *argv, project.runs_with, "-m", "doit", *args],
        cwd=project.path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600,
    )
    return Result(completed.returncode, completed.stdout)


def assert_one_line_for_the_full_disk(result: Result) -> None:
    assert result.code != 0, result.output
    assert "Traceback" not in result.output, result.output
    full = [line for line in result.output.splitlines() if "the disk is full: free some space and run again" in line]
    assert full and all(line.startswith(("doitenv: .doitenv/", "TaskFailed")) for line in full), result.output


@needs_namespace
def test_a_full_disk_during_a_sync_is_one_line_and_the_next_run_recovers(new_project: ProjectFactory) -> None:
    project = new_project()
    project.doit("dev")
    project.write("requirements.in", "alpha\ndelta\n")
    assert_one_line_for_the_full_disk(doit_on_full_disk(project, "dev"))
    project.doit("dev")
    assert "delta==1.0" in project.installed()


@needs_namespace
def test_a_full_disk_when_doit_saves_its_state_is_one_line(new_project: ProjectFactory) -> None:
    """`doit forget` writes nothing but doit's state file, at the end of the run."""
    project = new_project()
    project.doit("dev")
    assert_one_line_for_the_full_disk(doit_on_full_disk(project, "forget"))
    assert project.doit("dev").ran == []  # the state file holds what it held


@needs_namespace
def test_a_full_disk_before_doit_has_a_state_file_is_one_line(new_project: ProjectFactory) -> None:
    project = new_project()
    project.doit("dev")
    (project.path / ".doitenv" / "doit.sqlite3").unlink()
    result = doit_on_full_disk(project, "dev")
    assert_one_line_for_the_full_disk(result)
    assert "doitenv: .doitenv/doit.sqlite3: database or disk is full" in result.output
    assert "corrupted" not in result.output  # doit's word for any error while it opens the file
    project.doit("dev")


# The last test fills the disk: the tests pass, and then their pass cannot be written down.
# Given room for pytest's report (a page it frees and takes again), the report is written and
# doitenv's record of the pass is what fails.
FILL = """import os


def test_fill():
    if not os.path.exists(os.path.join("..", "small-disk", "filler")):
        return  # not on the small disk: never fill a real one
    if {room_for_the_report}:
        with open(os.environ["DOITENV_PYTEST_REPORT"], "w") as report:
            report.write(" " * 100)
    filler = os.open(os.path.join("..", "small-disk", "filler"), os.O_WRONLY | os.O_APPEND)
    try:
        while True:
            os.write(filler, bytes(4096))
    except OSError:
        pass
    finally:
        os.close(filler)
"""


@needs_namespace
@pytest.mark.parametrize("room_for_the_report", [False, True])
def test_a_full_disk_when_a_pass_is_recorded_is_one_line(
    new_project: ProjectFactory, room_for_the_report: bool
) -> None:
    project = new_project()
    project.doit("dev")
    project.write("tests/test_zz_fill.py", FILL.format(room_for_the_report=room_for_the_report))
    result = doit_on_full_disk(project, "test", fill="later")
    assert "3 passed" in result.output, result.output
    assert_one_line_for_the_full_disk(result)
    unwritten = ".doitenv/test.passed.json" if room_for_the_report else ".doitenv/venv.pytest-report.json"
    assert f"\ndoitenv: {unwritten}: No space left on device" in result.output, result.output
    again = project.doit("test")
    assert "3 passed" in again.output  # not recorded as a pass: it runs again
