"""Kill doit in every phase of a cold `doit test`; the next run must finish the job.

The signal goes to doit's whole process group, as a Ctrl-C in a terminal (SIGINT) or a
crash of the session (SIGKILL) would: the tool doit was running dies with it.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest

from doitenv import scaffold
from tests.helpers import ProjectFactory

# The log line doitenv prints right before starting each phase's tool.
PHASES = {
    "venv creation": "-m virtualenv",
    "compile": "piptools compile",
    # pip installs the lock and the project in one command, then removes what the lock omits.
    "sync": "-m pip install",
    "test": "bin/pytest",
}


def _start_and_kill(path: os.PathLike[str], marker: str, sig: signal.Signals) -> tuple[str, int]:
    doit = subprocess.Popen(
        [sys.executable, "-m", "doit", "test"],
        cwd=path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert doit.stdout is not None
    seen = []
    for line in doit.stdout:
        seen.append(line)
        if line.startswith("doitenv: $ ") and marker in line:
            time.sleep(0.3)  # let the tool get going
            os.killpg(doit.pid, sig)
            break
    else:
        pytest.fail(f"never reached {marker!r}:\n{''.join(seen)}")
    rest, _ = doit.communicate(timeout=120)
    return "".join(seen) + rest, doit.returncode


# What the one line says each phase leaves behind.
LEAVES = {
    "venv creation": "venv/ is made anew by the next run if it is not whole",
    "compile": "requirements.txt is unchanged",
    "sync": "venv/ is marked unsynced: the next run syncs it again",
    "test": "no pass is recorded: the next `doit test` runs the tests again",
}


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM], ids=["SIGKILL", "SIGINT", "SIGTERM"])
@pytest.mark.parametrize("phase", list(PHASES))
def test_the_next_run_recovers_from_a_kill(new_project: ProjectFactory, phase: str, sig: signal.Signals) -> None:
    project = new_project()
    if phase == "test":  # a test run long enough to be cut off in the middle
        project.write("tests/test_slow.py", "import time\n\n\ndef test_slow():\n    time.sleep(3)\n")
    output, code = _start_and_kill(project.path, PHASES[phase], sig)
    if sig != signal.SIGKILL:  # Ctrl-C or SIGTERM: one line and the shell's code, no traceback
        said = "interrupted" if sig == signal.SIGINT else "stopped"
        lines = [line for line in output.splitlines() if line.startswith(f"doitenv: {said}; ")]
        # virtualenv may be done before the signal comes: the run is stopped in the next phase.
        assert len(lines) == 1 and (phase == "venv creation" or lines[0].endswith(LEAVES[phase])), output
        # No traceback of doit's or doitenv's (pytest, stopped while it starts, may print its own).
        assert not re.search(r"File \"[^\"]*[/\\](doit|doitenv)[/\\]", output) and code == 128 + sig, output

    result = project.doit("test")
    assert ("3 passed" if phase == "test" else "2 passed") in result.output
    for lock in ("requirements.txt", "requirements-dev.txt"):
        text = project.read(lock)
        assert text.startswith("# doitenv: inputs=") and "pytest==" in project.read("requirements-dev.txt"), text
    assert project.installed() == project.pins("requirements-dev.txt") | {
        pin for pin in project.installed() if pin.startswith("pip==")
    }
    assert project.installed(editable=True) - project.installed() == {"demo==0.1.0"}
    assert project.doit("dev").ran == []
    assert not list(project.path.glob(".requirements*.doitenv-compile"))


SLOW_CHECK = """\
import importlib
import pathlib
import time

importlib.import_module("doitenv.tasks").export(globals())


def _slow_check():
    # As doit hashing a large changed input in full: doit's own work, outside any action.
    pathlib.Path("checking").write_text("")
    time.sleep(60)
    return True


def task_slow():
    return {"actions": ["echo never"], "uptodate": [_slow_check]}
"""


def test_a_ctrl_c_while_doit_checks_what_is_up_to_date_is_one_line(new_project: ProjectFactory) -> None:
    """It ended in doit's traceback (KeyboardInterrupt in dependency.get_status)."""
    project = new_project()
    project.write("dodo.py", SLOW_CHECK)
    doit = subprocess.Popen(
        [sys.executable, "-m", "doit", "slow"],
        cwd=project.path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while not (project.path / "checking").exists():
        assert doit.poll() is None and time.monotonic() < deadline, doit.communicate()[0]
        time.sleep(0.1)
    os.killpg(doit.pid, signal.SIGINT)
    output, _ = doit.communicate(timeout=60)
    expected = (
        "doitenv: interrupted between tasks; each task that finished is recorded, and the next run goes on from there"
    )
    assert expected in output, output
    assert "Traceback" not in output, output
    # Python ends an uncaught Ctrl-C by SIGINT itself: a shell sees 130, as after an action.
    assert doit.returncode == -signal.SIGINT, output
    project.write("dodo.py", scaffold.DODO)
    assert "Pin requirements.in" in project.doit("list").output  # doit's state is whole
