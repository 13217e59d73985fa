"""Bad input that doitenv judges itself, before any resolver runs: one message naming the file and
the line, a non-zero exit, no traceback, no secret echoed, and the locks as they were. `doit check`
finds them with no venv and no resolver; tests/integration/test_bad_input.py has the cases a
resolver must judge (a package no index has, conflicting pins, an option pip does not know) and
two of these through `doit dev`, end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.inprocess.running import doit, fresh_project

# file to write, its content, what the message must say
CASES = [
    # Each judged by doitenv, whatever pip runs it: pip 23.2 took `beta>=>2` as beta==2.0.
    ("requirements.in", "beta[\n", "requirements.in, line 1: 'beta[' is not a valid requirement"),
    ("requirements.in", "alpha\nbeta>=>2\n", "requirements.in, line 2: 'beta>=>2' is not a valid requirement"),
    ("requirements.in", 'beta; python_version >> "3"\n', "line 1: 'beta; python_version >> \"3\"' is not a valid"),
    ("requirements.in", "beta @ notaurl\n", "requirements.in, line 1: 'notaurl' is not a URL"),
    ("requirements.in", "--index-url https://me:s3cret@example.invalid/simple\nalpha\n", "holds a credential"),
    ("requirements.in", "--extra-index-url https://example.invalid/simple?token=s3cret\nalpha\n", "holds a credential"),
    ("requirements.in", "-ihttps://me:s3cret@example.invalid/simple\nalpha\n", "holds a credential"),
    ("requirements.in", "--index-url 'https://me:s3cret@example.invalid/simple'\nalpha\n", "holds a credential"),
    ("requirements.in", "-i https://ghp_s3cret:@example.invalid/simple\nalpha\n", "holds a credential"),
    ("requirements.in", "-r nowhere.in\nalpha\n", "nowhere.in"),
    ("requirements-dev.in", "pytest\n", "does not layer on requirements.txt"),
]


@pytest.mark.parametrize(("name", "content", "expected"), CASES, ids=[case[1].strip() for case in CASES])
def test_a_bad_input_is_one_message_and_changes_no_lock(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    content: str,
    expected: str,
) -> None:
    root = fresh_project(tmp_path / "proj")
    monkeypatch.chdir(root)
    locks = {lock: (root / lock).read_bytes() for lock in ("requirements.txt", "requirements-dev.txt")}
    (root / name).write_text(content)
    code, output = doit(capsys, "check")  # no venv and no resolver: what doitenv judges alone
    assert code != 0
    assert name in output and expected in output, output
    assert "Traceback" not in output and "s3cret" not in output, output
    assert {lock: (root / lock).read_bytes() for lock in locks} == locks
