"""`doit watch`: the real doit, watchfiles and pytest, driven as a user at a terminal drives them.

The watch runs in a session of its own, and Ctrl-C is SIGINT sent to its process group, as a
terminal sends it.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.helpers import WAITING, ProjectFactory, TmpProject, Watching

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="Ctrl-C is sent as a POSIX signal here")

AGAIN = "running `doit test` again"


@pytest.fixture
def watching() -> Iterator[Callable[..., Watching]]:
    started: list[Watching] = []

    def start(project: TmpProject, *args: str) -> Watching:
        started.append(Watching(project, *args))
        return started[-1]

    yield start
    for each in started:
        each.stop()


def test_an_edit_runs_the_tests_again_and_an_edited_in_file_is_pinned_and_synced_first(
    new_project: ProjectFactory, watching: Callable[..., Watching]
) -> None:
    project = new_project()
    watch = watching(project)
    watch.wait_for(WAITING)
    assert "2 passed" in watch.output
    assert "while `doit test` ran" not in watch.output  # the locks it pinned are no edit

    # An edit: the tests run again, the file named (how fast: bench/watch.py).
    project.write("tests/test_more.py", "def test_more():\n    assert True\n")
    watch.wait_for("3 passed", timeout=30)
    assert "tests/test_more.py added: running `doit test` again" in watch.output
    watch.wait_for(WAITING, 2)

    # Several files saved at once (a formatter's pass, a checkout): one round.
    for name in ("a", "b", "c"):
        project.write(f"tests/test_{name}.py", f"def test_{name}():\n    assert True\n")
    watch.wait_for("6 passed", timeout=30)
    watch.wait_for(WAITING, 3)

    # Saved without a change, or a tool's cache written: nothing runs. No sleep says "nothing": an
    # edit made after them is the marker. Events come in order, so by the time the marker's round
    # starts, a round those saves (or a second one of the three files above) started would have
    # been counted, or named beside the marker.
    os.utime(project.path / "tests" / "test_a.py")
    project.write("tests/__pycache__/junk.pyc", "x")
    project.write("tests/test_marker.py", "def test_marker():\n    assert True\n")
    watch.wait_for("7 passed", timeout=30)
    watch.wait_for(WAITING, 4)
    assert watch.count(AGAIN) == 3
    assert "doitenv: tests/test_marker.py added: running `doit test` again" in map(str.strip, watch.lines)

    # A failing round is shown, and the watch goes on.
    project.write("tests/test_a.py", "def test_a():\n    assert False\n")
    watch.wait_for("`doit test` failed", timeout=30)
    project.write("tests/test_a.py", "def test_a():\n    assert True\n")
    watch.wait_for(WAITING, 6)

    # requirements-dev.in: pinned and synced before the tests run again.
    project.write("requirements-dev.in", "-r requirements.txt\npytest\ndelta\n")
    watch.wait_for("requirements-dev.in changed: running `doit test` again", timeout=30)
    watch.wait_for(WAITING, 7, timeout=120)
    after = watch.output[watch.output.index("requirements-dev.in changed") :]
    assert "pinning requirements-dev.in into requirements-dev.txt" in after
    assert after.index("syncing venv/") < after.index("7 passed")
    assert "delta==1.0" in project.installed()
    assert "while `doit test` ran" not in after

    # An edit made while the tests run: one more round as soon as they end.
    slow_test_running(project, watch, seconds=3)
    project.write("src/demo/extra.py", "EXTRA = 1\n")
    watch.wait_for("while `doit test` ran: src/demo/extra.py added; running it again", timeout=60)
    watch.wait_for(WAITING, 8, timeout=60)

    assert watch.ctrl_c() == 0
    assert "doitenv: stopped watching" in watch.output
    assert "Traceback" not in watch.output
    assert "KeyboardInterrupt" not in watch.output


def test_ctrl_c_during_a_round_stops_the_tests_quietly(
    new_project: ProjectFactory, watching: Callable[..., Watching]
) -> None:
    project = new_project()
    watch = watching(project)
    watch.wait_for(WAITING)
    pytest_pid = slow_test_running(project, watch, seconds=120)
    assert watch.ctrl_c() == 0  # within ctrl_c's 30 s: the 120 s test is not waited for
    assert "doitenv: stopped watching" in watch.output
    assert "Traceback" not in watch.output
    assert gone(pytest_pid)  # the test run went with the watch


def slow_test_running(project: TmpProject, watch: Watching, seconds: int) -> int:
    """Add a test that sleeps `seconds`; once the watch's round runs it, the pid of its pytest."""
    started = project.path.parent / "slow-started"  # outside the project: no input
    started.unlink(missing_ok=True)
    project.write(
        "tests/test_slow.py",
        "import os, pathlib, time\n\n\ndef test_slow():\n"
        f"    pathlib.Path({str(started)!r}).write_text(str(os.getpid()))\n    time.sleep({seconds})\n",
    )
    end = time.monotonic() + 60
    while not started.exists() or not started.read_text():
        assert time.monotonic() < end, watch.output
        time.sleep(0.05)
    return int(started.read_text())


def gone(pid: int, timeout: float = 10) -> bool:
    """Whether `pid` ends within `timeout`: the watch's exit need not wait for its reaping."""
    end = time.monotonic() + timeout
    while _running(pid):
        if time.monotonic() > end:
            return False
        time.sleep(0.05)
    return True


def _running(pid: int) -> bool:
    """Is `pid` a live process (not gone, nor a zombie that nobody reaped yet)?"""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    except OSError:  # no /proc (macOS): a signal 0 says whether it exists
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return state not in ("Z", "X")


def test_watch_passes_arguments_to_the_task_and_refuses_to_watch_itself(
    new_project: ProjectFactory, watching: Callable[..., Watching]
) -> None:
    project = new_project()
    watch = watching(project, "test", "--", "-k", "test_answer")
    watch.wait_for(WAITING)
    assert "1 passed, 1 deselected" in watch.output
    assert watch.ctrl_c() == 0

    # The task may be left out; a closed terminal (SIGTERM, SIGHUP) stops the watch as Ctrl-C does.
    short = watching(project, "--", "-k", "test_other")
    short.wait_for(WAITING)
    assert "1 passed, 1 deselected" in short.output
    short.process.send_signal(signal.SIGTERM)
    assert short.process.wait(timeout=30) == 0
    short.reader.join(timeout=10)
    assert "doitenv: stopped watching" in short.output and "Traceback" not in short.output

    refused = project.doit("watch", "watch", ok=False)
    assert "doit watch watches other tasks" in refused.output
    assert "Traceback" not in refused.output
