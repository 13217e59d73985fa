"""Every record doitenv keeps is checked against what it stands for before it is believed (issue 19):
the venv's against the folder it is in, a pass against the environment of the run, the test
digest against what the files hold, a lock's header against its own body, and every
requirement line read as pip reads it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.helpers import ProjectFactory, TmpProject


def _git(project: TmpProject, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t"}
    env["GIT_COMMITTER_EMAIL"] = "t@t"
    subprocess.run(["git", *args], cwd=project.path, check=True, capture_output=True, env=env)


def _broken(project: TmpProject) -> None:
    project.write("src/demo/__init__.py", '"""Broken in this copy."""\n\n\ndef answer():\n    return 41\n')


# --- 1. a venv copied or moved with its project ------------------------------------------


def test_a_copied_project_tests_its_own_code(new_project: ProjectFactory, backend: str) -> None:
    project = new_project(backend=backend)
    assert "2 passed" in project.doit("test").output
    copy = TmpProject(project.path.with_name("copy"))
    subprocess.run(["cp", "-a", str(project.path), str(copy.path)], check=True)
    _broken(copy)

    check = copy.doit("check", ok=False)
    assert f"venv/ was made in {os.path.realpath(project.path / 'venv')} and copied or moved here" in check.output

    result = copy.doit("test", ok=False)
    assert "doitenv: rebuilding venv/ with" in result.output and "copied or moved here" in result.output
    assert "1 failed, 1 passed" in result.output  # the copy's own broken code, not the original's
    assert "tests passed before" in project.doit("test").output  # the original is untouched, still cached


def test_a_moved_project_is_rebuilt_where_it_is_now(new_project: ProjectFactory) -> None:
    project = new_project()
    project.doit("test")
    moved = TmpProject(project.path.with_name("moved"))
    shutil.move(str(project.path), str(moved.path))

    result = moved.doit("test")
    assert "rebuilding venv/" in result.output
    assert "tests run again: the project is in a new folder" in result.output
    assert "2 passed" in result.output
    moved.doit("check")
    assert moved.doit("dev").ran == []


# --- 2. the environment of a test run -----------------------------------------------------


def test_a_pass_under_pytest_addopts_is_not_reused_without_it(new_project: ProjectFactory) -> None:
    project = new_project()
    project.write("tests/test_more.py", "def test_broken():\n    assert False\n")
    narrowed = project.doit("test", env={"PYTEST_ADDOPTS": "-k answer"})
    assert "1 passed" in narrowed.output
    plain = project.doit("test", ok=False)
    assert "tests run again: PYTEST_ADDOPTS is no longer set" in plain.output
    assert "1 failed" in plain.output
    # Any variable a project names in test-env counts too.
    project.write("tests/test_more.py", "import os\n\n\ndef test_mode():\n    assert os.environ.get('MODE') != 'x'\n")
    tool = project.read("pyproject.toml") + 'test-env = ["MOD*"]\n'
    project.write("pyproject.toml", tool)
    project.doit("test")
    again = project.doit("test", env={"MODE": "x"}, ok=False)
    assert "MODE is set now" in again.output and "1 failed" in again.output
    # While MODE stays set, test-env ceases to name it, then names it again: so says the reason.
    project.write("tests/test_more.py", "def test_mode():\n    assert True\n")
    project.doit("test", env={"MODE": "x"})
    project.write("pyproject.toml", tool.replace('test-env = ["MOD*"]\n', ""))
    unnamed = project.doit("test", env={"MODE": "x"})
    assert "tests run again: tool.doitenv.test-env no longer names MODE" in unnamed.output
    project.write("pyproject.toml", tool)
    assert "tests run again: tool.doitenv.test-env names MODE now" in project.doit("test", env={"MODE": "x"}).output


def test_a_run_that_ran_no_test_is_no_pass(new_project: ProjectFactory) -> None:
    project = new_project()
    collected = project.doit("test", "--", "--collect-only")
    assert "pytest ran no test" in collected.output and "not recorded as a pass" in collected.output
    assert "tests passed before" not in project.doit("test", "--", "--collect-only").output
    deselected = project.doit("test", env={"PYTEST_ADDOPTS": "-k nothing_matches"}, ok=False)
    assert "exited with 5" in deselected.output and "pytest collected no test" in deselected.output
    assert "2 passed" in project.doit("test").output
    assert "tests passed before" in project.doit("test").output


# --- 3. staging, committing and stashing change no content -------------------------------


def test_git_moves_that_keep_the_content_rerun_nothing(new_project: ProjectFactory) -> None:
    project = new_project()
    project.write(".gitignore", "venv/\n.doitenv/\n")
    _git(project, "init", "-q")
    _git(project, "add", "-A")
    _git(project, "commit", "-qm", "start")
    project.doit("test")
    project.write("tests/test_new.py", "def test_new():\n    assert True\n")
    edited = project.doit("test")
    assert "tests run again: tests/test_new.py added" in edited.output
    for step in (("add", "-A"), ("commit", "-qm", "more"), ("stash", "list")):
        _git(project, *step)
        assert "tests passed before" in project.doit("test").output, step
    project.write("tests/test_new.py", "def test_new():\n    assert 1\n")
    changed = project.doit("test")
    assert "tests run again: tests/test_new.py changed" in changed.output
    _git(project, "add", "-A")
    _git(project, "stash", "-q")
    _git(project, "stash", "pop", "-q")
    assert "tests passed before" in project.doit("test").output


# --- 4. a lock edited by hand -----------------------------------------------------------


def test_a_lock_edited_by_hand_fails_check_and_is_pinned_again(new_project: ProjectFactory) -> None:
    project = new_project(requirements="alpha\n", dev_requirements="-r requirements.txt\npytest\ndelta\n")
    project.doit("dev")
    pinned = project.read("requirements-dev.txt")
    for edited in (
        pinned.replace("delta==1.0\n", ""),  # a dependency deleted
        pinned.replace("beta==2.0", "beta==1.0"),  # a pin moved, against the runtime lock's
        pinned + "gamma==1.0\n",  # a package added
    ):
        assert edited != pinned
        project.write("requirements-dev.txt", edited)
        check = project.doit("check", ok=False)
        assert (
            "requirements-dev.txt was edited by hand: its pins are not the ones doitenv wrote from its inputs: "
            "run `doit requirements-dev.txt` to pin it again from requirements-dev.in"
        ) in check.output
        dev = project.doit("dev")
        assert "requirements-dev.txt was edited by hand" in dev.output and "pinning it again" in dev.output
        project.doit("check")
    assert "delta==1.0" in project.read("requirements-dev.txt")
    assert "gamma" not in project.read("requirements-dev.txt")
    assert "beta==2.0" in project.read("requirements-dev.txt")  # as the runtime lock pins it: the layers agree


# --- 5. requirement lines as pip reads them ------------------------------------------------


def test_every_spelling_pip_reads_is_followed(new_project: ProjectFactory) -> None:
    dev = "-r \\\n  requirements.txt\n-c constraints.txt\t# pinned for CI\npytest\ndelta\n"
    project = new_project(dev_requirements=dev)
    project.write("constraints.txt", "delta<3\n")
    project.doit("dev")
    project.doit("check")
    project.write("constraints.txt", "delta<2\n")
    stale = project.doit("check", ok=False)
    assert "requirements-dev.txt is stale for requirements-dev.in" in stale.output
    assert project.doit("dev").compiled() == ["requirements-dev.in"]
    project.doit("check")


def test_a_utf16_input_pip_reads_is_read(new_project: ProjectFactory, tmp_path: Path) -> None:
    project = new_project()
    (project.path / "requirements.in").write_bytes("alpha\ndelta\n".encode("utf-16"))
    project.doit("dev")
    assert "delta==1.0" in project.read("requirements.txt")
    project.doit("check")


def test_a_hash_replaced_by_hand_is_computed_again(new_project: ProjectFactory, backend: str) -> None:
    project = new_project(tool="hashes = true\n", backend=backend)
    project.doit("dev")
    pinned = project.read("requirements-dev.txt")
    start = pinned.index("--hash=sha256:", pinned.index("alpha==")) + len("--hash=sha256:")
    project.write("requirements-dev.txt", pinned[:start] + "0" * 64 + pinned[start + 64 :])
    dev = project.doit("dev")
    assert "requirements-dev.txt was edited by hand" in dev.output
    assert "0" * 64 not in project.read("requirements-dev.txt")
    assert project.read("requirements-dev.txt") == pinned  # the hash the index gives, as before
