"""A failure says what and where, loses nothing, and the next run recovers."""

from __future__ import annotations

import time

from doitenv.filelock import exclusive
from tests.integration.conftest import ProjectFactory


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


def test_a_failed_sync_marks_the_venv_unsynced_and_the_next_run_syncs(
    new_project: ProjectFactory, backend: str
) -> None:
    project = new_project(backend=backend)
    project.doit("dev")
    good = project.read("requirements-dev.txt")
    # A lock edited by hand into something pip cannot install; its digest line still matches.
    project.write("requirements-dev.txt", good.replace("beta==2.0", "beta==9.9"))
    result = project.doit("dev", ok=False)
    assert "could not sync venv/" in result.output
    assert "marked unsynced" in result.output

    project.write("requirements-dev.txt", good)
    again = project.doit("dev")
    assert again.synced()
    assert project.installed() >= project.pins("requirements-dev.txt")


def test_missing_in_file_and_unlayered_dev_file_get_one_clear_message(new_project: ProjectFactory) -> None:
    project = new_project(dev_requirements="pytest\n")
    result = project.doit("requirements-dev.txt", ok=False)
    assert "requirements-dev.in does not layer on requirements.txt: add the line '-r requirements.txt'" in result.output
    (project.path / "requirements.in").unlink()
    (project.path / "requirements.txt").unlink()
    result = project.doit("requirements.txt", ok=False)
    assert "requirements.in is missing: create it" in result.output
    assert "Traceback" not in result.output


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
        waiting = project.start("dev")
        time.sleep(4)
        assert waiting.poll() is None, waiting.communicate()[0]
        assert "beta==2.0" not in project.installed()
    output, _ = waiting.communicate(timeout=300)
    assert waiting.returncode == 0, output
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
