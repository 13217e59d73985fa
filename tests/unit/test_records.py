"""doitenv's records on disk read back as their types (each beside its one reader and writer), a
record an older doitenv wrote still reads, and a damaged or foreign one is no record."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from doitenv import files, kernel, testrun
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
    assert venv.problem(interpreter, "uv") is None
    assert venv.problem(interpreter, "pip-tools") == "it was made for the uv backend, not pip-tools"
    # Before the backend was recorded, every venv was pip-tools'.
    files.write_json(venv.path / ".doitenv-made-from.json", {"interpreter": interpreter.path, "signature": [1, 2]})
    assert venv.problem(interpreter, "pip-tools") == f"the interpreter {interpreter.path} was upgraded or replaced"


@pytest.mark.parametrize("damaged", [*DAMAGED, '{"signature": "x"}', '{"interpreter": 3}'])
def test_a_damaged_made_from_record_is_a_venv_doitenv_did_not_make(tmp_path: Path, damaged: str) -> None:
    """One that is no JSON object was a traceback (`'list' object has no attribute 'get'`)."""
    venv = _venv(tmp_path)
    (venv.path / ".doitenv-made-from.json").write_text(damaged)
    assert venv.made_from() is None
    assert venv.problem(Interpreter.at(sys.executable), "uv") == "venv/ was not made by doitenv"


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
    assert found.record() is None and not found.wanted()
    found.refresh()  # nothing to register again
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
    files.write_json(path, {"command": "plain", "venv": "venv1", "folder": "/project", "files": {}})
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
