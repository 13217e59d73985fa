"""doitenv's records on disk read back as their types (each beside its one reader and writer), a
record an older doitenv wrote still reads, and a damaged or foreign one is no record."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

import pytest

from doitenv import files, kernel, provenance, receipts, testrun
from doitenv.inputs import Snapshot
from doitenv.interpreter import Interpreter
from doitenv.tasks import runs
from doitenv.venv import Venv

DAMAGED = ["[]", '"text"', "{"]  # no JSON object; each test adds fields of the wrong type


def _venv(tmp_path: Path, *installed: str) -> Venv:
    """A folder that looks like a venv to doitenv: pyvenv.cfg, an interpreter, `installed`."""
    venv = Venv(tmp_path / "venv")
    venv.bin.mkdir(parents=True)
    venv.python.symlink_to(sys.executable)
    (venv.path / "pyvenv.cfg").write_text("home = /usr\n")
    for name in installed:
        (venv.path / "lib" / "python3.11" / "site-packages" / name).mkdir(parents=True)
    return venv


def test_the_made_from_record_reads_back_what_making_the_venv_wrote(tmp_path: Path) -> None:
    venv = _venv(tmp_path)
    interpreter = Interpreter.at(sys.executable)
    venv.record(interpreter, "uv")
    made_from = venv.made_from()
    assert made_from is not None and made_from.interpreter == interpreter.path
    assert made_from.signature == interpreter.signature and made_from.backend == "uv"
    assert venv.problem(interpreter, "uv", "pip-tools") is None
    assert venv.problem(interpreter, "pip-tools", "pip-tools") == "it was made for the uv backend, not pip-tools"
    # Before the backend was recorded, every venv was pip-tools'.
    files.write_json(venv.path / ".doitenv-made-from.json", {"interpreter": interpreter.path, "signature": [1, 2]})
    assert (
        venv.problem(interpreter, "pip-tools", "pip-tools")
        == f"the interpreter {interpreter.path} was upgraded or replaced"
    )


@pytest.mark.parametrize("damaged", [*DAMAGED, '{"signature": "x"}', '{"interpreter": 3}'])
def test_a_damaged_made_from_record_is_a_venv_doitenv_did_not_make(tmp_path: Path, damaged: str) -> None:
    """One that is no JSON object was a traceback (`'list' object has no attribute 'get'`)."""
    venv = _venv(tmp_path)
    (venv.path / ".doitenv-made-from.json").write_text(damaged)
    assert venv.problem(Interpreter.at(sys.executable), "uv", "pip-tools") == "venv/ was not made by doitenv"
    assert venv.made_from() is None


def test_the_kernel_record_reads_back_what_registering_wrote(tmp_path: Path) -> None:
    venv = _venv(tmp_path, "ipykernel-6.0.dist-info")
    found = kernel.Kernel(tmp_path, venv, tmp_path, "demo")
    assert found.record() is None and not found.wanted()
    record = kernel.KernelRecord("demo", "", str(tmp_path / "kernels" / "demo"), found.stamp())
    files.write_json(tmp_path / kernel.RECORD, record.to_json())
    assert found.record() == record and not found.wanted()
    assert "failed" not in json.loads((tmp_path / kernel.RECORD).read_text())


@pytest.mark.parametrize("damaged", [*DAMAGED, '{"name": 3, "prefix": ""}', '{"prefix": "", "stamp": "old"}'])
def test_a_damaged_kernel_record_is_no_kernel(tmp_path: Path, damaged: str) -> None:
    """One without the kernel's name was a KeyError from `doit dev` once the venv was rebuilt."""
    venv = _venv(tmp_path, "ipykernel-6.0.dist-info")
    found = kernel.Kernel(tmp_path, venv, tmp_path, "demo")
    (tmp_path / kernel.RECORD).write_text(damaged)
    found.refresh()  # nothing to register again
    assert found.record() is None and not found.wanted()
    found.remove()
    assert not (tmp_path / kernel.RECORD).exists()


STANDS_ON = testrun.StandsOn("cmd", {"PYTHONPATH": "v1"}, "key1", "venv1", "/project")


def test_the_last_pass_reads_back_what_a_pass_wrote(tmp_path: Path) -> None:
    path = tmp_path / f"test{testrun.LAST_PASS_SUFFIX}"
    passed = testrun.LastPass.of(STANDS_ON, {"a.py": "h1"}, ["MY_*"])
    passed.write(path)
    assert testrun.read_last_pass(path) == passed
    assert json.loads(path.read_text())["test-env"] == ["MY_*"]  # as the setting is spelled, as before
    now = Snapshot("d", lambda: {"a.py": "h2"})
    moved = testrun.StandsOn("cmd", {}, "key1", "venv2", "/project")
    why = runs._why_again(passed, moved, now, "venv")
    assert why == "PYTHONPATH is no longer set, venv/ was synced again, a.py changed"
    assert runs._why_again(passed, STANDS_ON, Snapshot("d", lambda: {"a.py": "h1"}), "venv").startswith("doit has no")


def test_an_older_doitenv_s_last_pass_is_read_and_its_unkeyed_digests_not_compared(tmp_path: Path) -> None:
    path = tmp_path / f"test{testrun.LAST_PASS_SUFFIX}"
    files.write_json(path, {"command": ["pytest", "--", "-k", "x"], "venv": "venv1", "folder": "/project", "files": {}})
    last = testrun.read_last_pass(path)
    assert last is not None and last.key is None and last.test_env is None
    why = runs._why_again(last, STANDS_ON, Snapshot("d", dict), "venv")
    assert why.startswith("the last pass was recorded by an older doitenv, whose digests were not keyed")
    assert "test command" not in why.split(", so the test command")[1]


@pytest.mark.parametrize("damaged", [*DAMAGED, '{"files": "a.py"}', '{"test-env": "MY_*"}'])
def test_a_damaged_last_pass_is_none(tmp_path: Path, damaged: str) -> None:
    path = tmp_path / f"test{testrun.LAST_PASS_SUFFIX}"
    path.write_text(damaged)
    assert testrun.read_last_pass(path) is None


ENV = provenance.Environment(
    "requirements.txt", "body1", {"alpha": "1.0"}, provenance.StepPython("3.11.7", "CPython", "x")
)


def _receipt(tmp_path: Path, notebook: receipts.NotebookCode | None = None) -> receipts.Receipt | None:
    (tmp_path / "in.csv").write_text("a\n")
    (tmp_path / "out.txt").write_text("made\n")
    actions = [receipts.Action("python", "digest1"), receipts.Action("cp", None)]
    state = tmp_path / ".doitenv"
    receipts.write_receipts(tmp_path, state, "build", actions, ENV, 0.0, ["in.csv"], ["out.txt"], notebook)
    return receipts.read_receipt(tmp_path, tmp_path / ".doitenv", "out.txt")


def test_a_receipt_reads_back_what_the_step_wrote_and_says_what_changed(tmp_path: Path) -> None:
    receipt = _receipt(tmp_path, receipts.NotebookCode("nb.ipynb", "code1"))
    assert receipt is not None and receipt.environment == ENV and receipt.started == "1970-01-01T00:00:00Z"
    assert receipt.actions == (receipts.Action("python", "digest1"), receipts.Action("cp", None))
    (tmp_path / "in.csv").write_text("b\n")
    moved = provenance.Environment("requirements.txt", "body2", {"alpha": "2.0"}, ENV.python)
    found = receipts.report(tmp_path, receipt, moved, "code2")
    now = found.to_json()["now"]
    assert now == {
        "file_changed": False,
        "inputs_changed": ["in.csv"],
        "notebook_code_changed": True,
        "environment_changed": "requirements.txt changed: alpha 1.0 -> 2.0",
    }
    text = receipts.describe(found)
    assert "  action:      python (arguments: keyed digest digest1)" in text
    assert "a code cell of nb.ipynb changed since" in text and "requirements.txt changed: alpha 1.0 -> 2.0" in text
    same = receipts.report(tmp_path, receipt, ENV, "code1").to_json()["now"]
    assert same["environment_changed"] is None and not same["notebook_code_changed"]
    # Without an environment to compare (its lock is not named now) and no notebook, neither is said.
    plain = _receipt(tmp_path)
    assert plain is not None and plain.notebook is None
    assert "notebook" not in json.loads(next((tmp_path / ".doitenv" / "receipts").glob("*.json")).read_text())
    assert set(receipts.report(tmp_path, plain, None).to_json()["now"]) == {"file_changed", "inputs_changed"}


def test_an_older_doitenv_s_receipt_is_read_with_its_arguments_taken_out(tmp_path: Path) -> None:
    old = {**receipts.Receipt("out.txt", None, "build", (), ENV, receipts.GitState(None, None), {}, "s", "e").to_json()}
    old.pop("actions")
    old["commands"] = [["upload", "--token", "secret"]]
    old["environment"] = {**old["environment"], "lock_digest": None}
    (tmp_path / receipts.RECEIPTS).mkdir()
    files.write_json(receipts._receipt_path(tmp_path, "out.txt"), old)
    receipt = receipts.read_receipt(tmp_path, tmp_path, "out.txt")
    assert receipt is not None and receipt.actions is None and receipt.environment.lock_digest is None
    assert "secret" not in receipts._receipt_path(tmp_path, "out.txt").read_text()
    found = receipts.report(tmp_path, receipt, ENV)
    assert found.environment_changed == "requirements.txt changed (its hashes or options)"
    assert "not recorded (an older doitenv wrote this receipt" in receipts.describe(found)


@pytest.mark.parametrize(
    "damaged", [*DAMAGED, '{"path": "out.txt", "task": "t", "started": "s"}', '{"path": 1, "environment": {}}']
)
def test_a_damaged_receipt_is_none(tmp_path: Path, damaged: str) -> None:
    """No environment, or a field of the wrong type: `doitenv provenance` says there is no receipt."""
    where = receipts._receipt_path(tmp_path, "out.txt")
    where.parent.mkdir(parents=True)
    where.write_text(damaged)
    assert receipts.read_receipt(tmp_path, tmp_path, "out.txt") is None


def test_what_moved_reads_the_environment_doit_kept_for_the_step() -> None:
    now = provenance.Environment("dev.txt", "b", {"alpha": "2.0"}, provenance.StepPython("3.12.1", "CPython", "x"))
    kept = {"environment_pins": {"alpha": "1.0"}, "environment_python": asdict(ENV.python)}
    python = provenance.StepPython.from_json(kept["environment_python"])
    assert provenance.what_moved(kept["environment_pins"], python, now) == (
        "dev.txt changed: alpha 1.0 -> 2.0, the venv's Python 3.11.7 -> 3.12.1"
    )
    assert provenance.what_moved({}, provenance.StepPython.from_json(None), now).endswith("Python ? -> 3.12.1")
