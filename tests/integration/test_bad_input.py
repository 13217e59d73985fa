"""Bad input: one clear message naming the file, non-zero exit, no traceback, nothing changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from doitenv import interpreter
from tests.helpers import ProjectFactory, TmpProject

# file to write, its content, what the message must say. What doitenv judges alone, before a
# resolver runs, is tested case by case in-process (tests/inprocess/test_bad_input.py); two of
# those cases are here too, for the whole way through `doit dev`.
CASES = [
    ("requirements.in", "alpha\nno-such-package\n", "no-such-package"),
    ("requirements.in", "beta==1.0\nbeta>=2.0\n", "beta"),
    ("requirements.in", "alpha\nneeds-old-beta\nbeta>=2\n", "beta"),  # only a transitive conflict
    ("requirements.in", "alpha\n--frobnicate\n", "frobnicate"),
    ("requirements.in", "alpha\nbeta>=>2\n", "requirements.in, line 2: 'beta>=>2' is not a valid requirement"),
    ("requirements.in", "-ihttps://me:s3cret@example.invalid/simple\nalpha\n", "holds a credential"),
]


def _snapshot(project: TmpProject) -> tuple[bytes, bytes, set[str]]:
    return (
        (project.path / "requirements.txt").read_bytes(),
        (project.path / "requirements-dev.txt").read_bytes(),
        project.installed(),
    )


def test_each_bad_requirement_file_is_reported_and_changes_nothing(
    new_project: ProjectFactory, readme_install: str
) -> None:
    project = new_project()
    project.runs_with = readme_install
    project.doit("dev")
    before = _snapshot(project)
    originals = {name: project.read(name) for name in ("requirements.in", "requirements-dev.in")}
    for name, content, expected in CASES:
        project.write(name, content)
        result = project.doit("dev", ok=False)
        assert name in result.output.split("TaskFailed")[-1], (content, result.output)
        assert expected in result.output, (content, result.output)
        assert "Traceback" not in result.output and "s3cret" not in result.output, (content, result.output)
        assert _snapshot(project) == before, content
        project.write(name, originals[name])
    assert project.doit("dev").ran == []  # and everything is as fresh as before


def test_an_include_cycle_is_reported(new_project: ProjectFactory) -> None:
    project = new_project(requirements="-r more.in\nalpha\n")
    project.write("more.in", "-r requirements.in\nbeta\n")
    result = project.doit("requirements.txt", ok=False)
    assert "recursively references itself" in result.output
    assert not (project.path / "requirements.txt").exists()


def test_an_interpreter_older_than_supported_is_refused(new_project: ProjectFactory) -> None:
    try:
        old = interpreter.find("3.8", Path.cwd())
    except interpreter.InterpreterNotFound:
        pytest.skip("no Python 3.8 on this machine")
    project = new_project(tool=f'python = "{old.path}"\n')
    result = project.doit("venv", ok=False)
    assert "Python 3.8 is older than doitenv supports (3.9 or newer)" in result.output
    assert not (project.path / "venv").exists()


def test_hashes_make_every_sync_check_them(new_project: ProjectFactory) -> None:
    project = new_project(tool="hashes = true\n")
    project.doit("dev")
    for lock in ("requirements.txt", "requirements-dev.txt"):
        assert "--hash=sha256:" in project.read(lock)
    # Tamper with one hash: the sync fails and nothing of the lock gets installed.
    project.pip("uninstall", "--yes", "alpha")
    lock = project.read("requirements-dev.txt")
    start = lock.index("--hash=sha256:", lock.index("alpha==")) + len("--hash=sha256:")
    project.write_lock("requirements-dev.txt", lock[:start] + "0" * 64 + lock[start + 64 :])
    result = project.doit("dev", ok=False)
    assert "could not sync venv/: alpha==1.0 does not match its hash, so venv/ is unchanged" in result.output
    assert "alpha==1.0" not in project.installed()


def test_index_credentials_reach_the_lock_only_as_a_reference(
    new_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    line = "--extra-index-url https://${PRIVATE_TOKEN}@example.invalid/simple"
    project = new_project(requirements=f"{line}\nalpha\n")
    result = project.doit("requirements.txt", ok=False)
    assert "requirements.in, line 1: uses ${PRIVATE_TOKEN}, which is not set" in result.output
    assert not (project.path / "requirements.txt").exists()

    monkeypatch.setenv("PRIVATE_TOKEN", "s3cret")
    result = project.doit("requirements.txt")
    assert "s3cret" not in result.output
    assert f"\n{line}\n" in project.read("requirements.txt") and "s3cret" not in project.read("requirements.txt")


def test_an_unreachable_index_gets_a_short_honest_message(
    new_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = new_project()
    project.doit("requirements.txt")
    before = (project.path / "requirements.txt").read_bytes()
    project.write("requirements.in", "alpha\ndelta\n")
    # A closed port on this machine: a network that answers nothing but "no".
    monkeypatch.delenv("PIP_NO_INDEX")
    monkeypatch.delenv("PIP_FIND_LINKS")
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    result = project.doit("requirements.txt", ok=False)
    assert (
        "requirements.in: could not reach the package index (Connection refused), so requirements.txt" in result.output
    )
    assert "Traceback" not in result.output
    assert (project.path / "requirements.txt").read_bytes() == before


def test_doit_s_own_commands_work_or_say_in_one_line_why_not(new_project: ProjectFactory) -> None:
    """`doit reset-dep` crashed in the kernel task's check, `doit strace test` passed its report
    to pytest, `doit upgrade --package NAME==1.0` got doit's raw "requires argument"."""
    project = new_project()
    assert "2 passed" in project.doit("test").output
    reset = project.doit("reset-dep")
    assert "Traceback" not in reset.output and "processed kernel" in reset.output
    project.write("tests/test_demo.py", project.read("tests/test_demo.py") + "\ndef test_new():\n    assert False\n")
    assert "1 failed" in project.doit("test", ok=False).output  # reset-dep made no pass of anything

    strace = project.doit("strace", "test", ok=False)
    assert strace.code == 2 and strace.output.startswith("doitenv: doit strace traces only shell-command actions")
    for args, said in (
        (["--package", "beta==1.0"], "write `--package=beta==1.0` as one word"),
        (["--package"], "--package needs a name"),
    ):
        result = project.doit("upgrade", *args, ok=False)
        assert said in result.output and "Traceback" not in result.output and "requires argument" not in result.output
