"""A failure says what and where, loses nothing, and the next run recovers."""

from __future__ import annotations

import subprocess
import threading
import time
from typing import Callable

import pytest

from doitenv.filelock import exclusive
from tests.helpers import ProjectFactory, TmpProject


def test_a_failed_compile_leaves_the_lock_byte_for_byte(new_project: ProjectFactory, backend: str) -> None:
    project = new_project(backend=backend)
    project.doit("dev")
    before = (project.path / "requirements.txt").read_bytes()
    project.write("requirements.in", "alpha\nno-such-package\n")
    result = project.doit("dev", ok=False)
    assert "requirements.in: could not pin it (requirements.txt is unchanged)" in result.output
    assert "no-such-package" in result.output
    assert "Traceback" not in result.output
    assert (project.path / "requirements.txt").read_bytes() == before
    assert not list(project.path.glob(".requirements.txt*"))  # no scratch file left behind

    project.write("requirements.in", "alpha\n")
    assert project.doit("dev").compiled() == []  # back as it was: the old lock is fresh again


def _venv_state(project: TmpProject) -> tuple[set[str], str]:
    return project.installed(editable=True), (project.path / "venv" / ".doitenv-synced.json").read_text()


def test_a_sync_that_cannot_finish_changes_nothing(
    new_project: ProjectFactory, backend: str, monkeypatch: pytest.MonkeyPatch, readme_install: str
) -> None:
    """pip-sync uninstalled the project and pytest, then failed on the pin that does not exist."""
    project = new_project(backend=backend)
    project.runs_with = readme_install
    project.doit("dev")
    before = _venv_state(project)
    good = project.read("requirements-dev.txt")
    # A lock pinned where the index had alpha 9.9 (a teammate's private index, say): this one has not.
    project.write_lock("requirements-dev.txt", good.replace("alpha==1.0", "alpha==9.9"))
    result = project.doit("dev", ok=False)
    assert _venv_state(project) == before
    assert "Traceback" not in result.output
    assert "requirements-dev.txt: could not sync venv/: alpha==9.9 is not available for Python " in result.output
    assert (
        "venv/ is unchanged (it still holds what requirements-dev.txt held before): `doit upgrade --package alpha`"
        in result.output
    )

    # A new pin while the index is out of reach (a closed port on this machine).
    project.write_lock("requirements-dev.txt", good + "delta==1.0\n")
    for name in ("PIP_NO_INDEX", "PIP_FIND_LINKS", "UV_OFFLINE", "UV_FIND_LINKS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("UV_INDEX_URL", "http://127.0.0.1:9/simple")
    result = project.doit("dev", ok=False)
    assert _venv_state(project) == before
    assert "Traceback" not in result.output
    assert "could not sync venv/: could not reach the package index" in result.output

    # The record still names what the venv holds: back to the good lock, nothing to do.
    project.write_lock("requirements-dev.txt", good)
    assert project.doit("dev").ran == []


def test_a_broken_project_build_changes_nothing(new_project: ProjectFactory, backend: str) -> None:
    project = new_project(backend=backend)
    project.doit("dev")
    before = _venv_state(project)
    # A build backend no index has: the editable build fails, after pip-sync had already run.
    pyproject = project.read("pyproject.toml")
    project.write("pyproject.toml", pyproject.replace("flit_core>=3.9", "flit_core>=99"))
    result = project.doit("dev", ok=False)
    assert _venv_state(project) == before
    assert "Traceback" not in result.output
    expected = "could not sync venv/: the project's editable install failed to build, so venv/ is unchanged"
    assert expected in result.output, result.output


def test_missing_in_file_and_unlayered_dev_file_get_one_clear_message(new_project: ProjectFactory) -> None:
    project = new_project(dev_requirements="pytest\n")
    result = project.doit("requirements-dev.txt", ok=False)
    assert "requirements-dev.in does not layer on requirements.txt: add the line '-r requirements.txt'" in result.output
    assert not (project.path / "requirements.txt").exists()  # not pinned while the dev layer cannot be
    (project.path / "requirements.in").unlink()
    result = project.doit("requirements.txt", ok=False)
    assert "requirements.in is missing: create it" in result.output
    assert "Traceback" not in result.output


def test_a_hand_kept_requirements_txt_is_named_as_the_input_it_is(new_project: ProjectFactory) -> None:
    """Many projects keep their unpinned requirements in requirements.txt and no .in file: the
    message says to make it the input, and the file is never replaced."""
    project = new_project()
    (project.path / "requirements.in").unlink()
    project.write("requirements.txt", "# what the analysis needs\nalpha>=1\nbeta\n")
    result = project.doit("dev", ok=False)
    expected = (
        "requirements.in is missing, and requirements.txt holds requirements that are not pinned (alpha>=1, beta): "
        "it is the input, not a lock: rename it (`git mv requirements.txt requirements.in`), then `doit dev` "
        "pins it into requirements.txt"
    )
    assert expected in result.output, result.output
    assert project.read("requirements.txt") == "# what the analysis needs\nalpha>=1\nbeta\n"


def test_bad_settings_are_all_reported_with_their_full_key(new_project: ProjectFactory) -> None:
    project = new_project(tool='venv = 3\nflavour = "x"\n')
    result = project.doit("list", ok=False)
    assert "tool.doitenv.venv must be a non-empty string, not 3" in result.output
    assert "tool.doitenv.flavour is not a doitenv setting" in result.output
    assert "Traceback" not in result.output


def test_a_missing_interpreter_is_named(new_project: ProjectFactory) -> None:
    project = new_project(tool='python = "2.9"\n')
    result = project.doit("dev", ok=False)
    assert "tool.doitenv.python: no Python interpreter '2.9' found" in result.output
    assert not (project.path / "venv").exists()


def test_syncs_wait_for_each_other(new_project: ProjectFactory) -> None:
    """A sync never starts while another doit process holds the project's venv lock."""
    project = new_project()
    project.doit("dev")
    project.pip("uninstall", "--yes", "beta")  # so that the next `doit dev` must sync
    with exclusive(project.path / ".doitenv" / "venv.lock"):
        waiting = _Output(project.start("dev"))
        # Its own line is the marker that it waits, not a sleep and a process still running.
        _wait_for(lambda: waiting.has_line_starting("doitenv: waiting for another doit"), "the sync to wait")
        assert "beta==2.0" not in project.installed()
    code, output = waiting.finish()
    assert code == 0, output
    assert "beta==2.0" in project.installed()


def test_four_doit_dev_at_once_lose_nothing(new_project: ProjectFactory) -> None:
    project = new_project()
    for _ in range(2):
        runs = [project.start("dev") for _ in range(4)]
        outputs = [run.communicate(timeout=600)[0] for run in runs]
        assert [run.returncode for run in runs] == [0] * 4, "\n".join(outputs)
        compiles = sum(output.count(" compile ") for output in outputs)
        assert compiles <= 2  # each lock compiled once; the others found it fresh
        assert project.doit("dev").ran == []
        assert project.installed() >= project.pins("requirements-dev.txt")
        project.write("requirements-dev.in", "-r requirements.txt\npytest\ndelta\n")


def test_a_sync_waits_for_a_test_run_and_says_so(new_project: ProjectFactory) -> None:
    """`doit prod` in a second terminal used to uninstall pytest under a running `doit test`."""
    project = new_project()
    started, release = project.path / "started", project.path / "release"
    project.write(
        "tests/test_slow.py",
        "import pathlib, time\n\n\ndef test_slow():\n"
        f"    pathlib.Path({str(started)!r}).touch()\n"
        f"    while not pathlib.Path({str(release)!r}).exists():\n        time.sleep(0.1)\n",
    )
    tests = project.start("test")
    try:
        _wait_for(started.exists, "the test run to start")
        prod = _Output(project.start("prod"))
        _wait_for(lambda: prod.has_line_starting("doitenv: waiting for"), "the sync to wait")
        assert "doitenv: waiting for a command running in venv/ to finish before syncing it\n" in prod.lines
        assert any(pin.startswith("pytest==") for pin in project.installed())  # still there
    finally:
        release.touch()
    tests_output, _ = tests.communicate(timeout=300)
    assert tests.returncode == 0 and "3 passed" in tests_output, tests_output
    code, output = prod.finish()
    assert code == 0, output
    assert not any(pin.startswith("pytest==") for pin in project.installed())  # then prod synced


def test_a_test_run_that_waited_on_a_change_of_its_venv_says_so(new_project: ProjectFactory) -> None:
    project = new_project()
    project.doit("dev")
    with exclusive(project.path / ".doitenv" / "venv.users.lock"):  # as a sync in progress holds it
        tests = _Output(project.start("test"))
        _wait_for(lambda: tests.has_line_starting("doitenv: waiting for"), "the tests to wait")
        project.pip("uninstall", "--yes", "beta")  # what that sync changed
    code, output = tests.finish()
    assert code != 0
    assert "another doit changed venv/ meanwhile (packages in venv/ were installed or removed by hand)" in output


def _wait_for(condition: Callable[[], bool], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


class _Output:
    """What a running process prints, line by line as it comes (a thread reads it, so that a
    wait for a line can time out)."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        with self.process.stdout:
            self.lines.extend(iter(self.process.stdout.readline, ""))

    def has_line_starting(self, start: str) -> bool:
        return any(line.startswith(start) for line in self.lines)

    def finish(self) -> tuple[int, str]:
        code = self.process.wait(timeout=300)
        self.reader.join(timeout=60)
        return code, "".join(self.lines)


def test_every_layer_is_checked_before_the_first_lock_moves(new_project: ProjectFactory) -> None:
    """A dev .in that does not layer on the runtime lock passed `doit check`, and `doit dev`
    found it only after it had pinned the runtime lock again."""
    project = new_project()
    project.doit("dev")
    project.write("requirements.in", "alpha\ngamma\n")
    project.write("requirements-dev.in", "pytest\n")
    runtime = project.read("requirements.txt")

    checked = project.doit("check", ok=False)
    unlayered = "requirements-dev.in does not layer on requirements.txt: add the line '-r requirements.txt' at its top"
    assert unlayered in checked.output
    assert "run `doit requirements-dev.txt`" not in checked.output  # pinning it would only fail

    result = project.doit("dev", ok=False)
    assert unlayered in result.output
    assert "so requirements.txt is not pinned either, until every layer can be" in result.output
    assert result.compiled() == [] and project.read("requirements.txt") == runtime
    assert "Traceback" not in result.output


def test_a_project_that_keeps_its_inputs_elsewhere_is_told_where_to_point(new_project: ProjectFactory) -> None:
    """requirements/*.in, as many projects keep them: `doit dev` said only that requirements.in is missing."""
    project = new_project()
    for name in ("requirements.in", "requirements-dev.in"):
        (project.path / name).unlink()
    project.write("requirements/base.in", "alpha\n")
    project.write("requirements/dev.in", "-r base.txt\npytest\n")
    project.write("MANIFEST.in", "include README\n")  # setuptools' file, no requirements
    result = project.doit("dev", ok=False)
    assert "requirements.in is missing: create it" in result.output
    assert (
        "this project keeps requirements in requirements/base.in, requirements/dev.in: to pin those, set "
        'requirements-in and dev-requirements-in, or locks = ["requirements/*.in"], in [tool.doitenv]'
    ) in result.output
    assert "MANIFEST.in" not in result.output and "Traceback" not in result.output


def test_an_upgrade_that_pins_a_lock_for_the_first_time_says_so_in_one_line(new_project: ProjectFactory) -> None:
    """Every pin of a new lock came out as a line of its own ('ansi2html - -> 1.8.0', 55 times)."""
    project = new_project(requirements="alpha\ngamma\n")
    result = project.doit("upgrade")
    assert "doitenv: requirements.txt: 3 packages pinned (it had no pins before)" in result.output
    assert " - -> " not in result.output
