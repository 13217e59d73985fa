"""`doit check`'s decisions, driven in-process on locks written here with doitenv's own header:
every way a lock can be out of step with its inputs or with the locks below it, each with the
command that fixes it, and all of them in one run. No resolver runs: the real tools' part is in
tests/integration (test_check_upgrade.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.inprocess.running import DEV, PYTHON, RUNTIME, doit, fresh_project, pin


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = fresh_project(tmp_path / "proj")
    monkeypatch.chdir(root)
    return root


def check(capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    return doit(capsys, "check")


def test_fresh_locks_and_no_venv_pass(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, output = check(capsys)
    assert code == 0, output
    assert "locks fresh, layers agree, no venv/ here to check" in output


def test_an_edited_input_makes_its_own_lock_stale_not_the_one_above(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "requirements.in").write_text("alpha\nbeta\n")
    code, output = check(capsys)
    assert code != 0
    assert (
        f"requirements.txt is stale for requirements.in and Python {PYTHON}: "
        "run `doit requirements.txt` to pin it again from requirements.in"
    ) in output
    # The dev lock's inputs include the runtime lock, not requirements.in: it is still fresh.
    assert "requirements-dev.txt is stale" not in output


def test_a_lock_edited_by_hand_is_named_with_its_fix(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lock = project / "requirements-dev.txt"
    lock.write_text(lock.read_text().replace("pytest==8.0", "pytest==7.0"))
    code, output = check(capsys)
    assert code != 0
    assert (
        "requirements-dev.txt was edited by hand: its pins are not the ones doitenv wrote from its inputs: "
        "run `doit requirements-dev.txt` to pin it again from requirements-dev.in"
    ) in output


def test_merge_conflicts_are_named_before_anything_else_about_the_lock(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lock = project / "requirements.txt"
    header, body = lock.read_text().split("\n", 1)
    lock.write_text(f"{header}\n<<<<<<< HEAD\nalpha==1.0\n=======\nalpha==2.0\n>>>>>>> theirs\n")
    code, output = check(capsys)
    assert code != 0
    assert (
        "requirements.txt has merge conflicts from git: run `doit requirements.txt` to pin it again "
        "from requirements.in"
    ) in output
    assert "requirements.txt was edited by hand" not in output


NOT_OURS = "requirements.txt is missing or was not written by doitenv: run `doit requirements.txt`"


@pytest.mark.parametrize(
    ("first_line", "said"),
    [
        (None, NOT_OURS),
        ("# pinned by hand\n", NOT_OURS),
        (
            "# doitenv: inputs=0123 python=3.11\n",
            "requirements.txt was written by an older doitenv, whose first line did not cover the pins: "
            "run `doit requirements.txt`",
        ),
    ],
)
def test_a_lock_doitenv_did_not_write_or_cannot_vouch_for(
    project: Path, capsys: pytest.CaptureFixture[str], first_line: str | None, said: str
) -> None:
    lock = project / "requirements.txt"
    if first_line is None:
        lock.unlink()
    else:
        lock.write_text(first_line + RUNTIME)
    code, output = check(capsys)
    assert code != 0
    assert said in output


def test_layers_that_disagree_name_the_lock_to_pin_again(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Fresh by its own header, and yet it pins alpha apart from the lock it pulls in.
    pin(project, "requirements-dev.txt", DEV.replace("alpha==1.0", "alpha==2.0"))
    code, output = check(capsys)
    assert code != 0
    assert (
        "requirements-dev.txt pins alpha==2.0 but requirements.txt pins alpha==1.0: run `doit requirements-dev.txt`"
    ) in output


def test_every_problem_is_told_in_one_run(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "requirements.in").write_text("alpha\nbeta\n")
    lock = project / "requirements-dev.txt"
    lock.write_text(lock.read_text().replace("pytest==8.0", "pytest==7.0"))
    code, output = check(capsys)
    assert code != 0
    assert "requirements.txt is stale for requirements.in" in output
    assert "requirements-dev.txt was edited by hand" in output
