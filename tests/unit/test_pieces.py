"""Pure functions: error extraction, artifact discovery, test arguments, task dicts."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from doitenv import clean, files, interpreter, runner, scaffold, tasks
from doitenv.backends import toolerrors
from doitenv.errors import Failure
from doitenv.tasks import runs, start
from doitenv.venv import Venv


def test_error_lines_keep_the_tools_message_and_drop_the_traceback() -> None:
    output = "WARNING: x\nERROR: Cannot install a==1 and a==2\nTraceback (most recent call last):\n  File x\nBoom: y\n"
    assert toolerrors.error_lines(output) == ["ERROR: Cannot install a==1 and a==2"]


def test_error_lines_of_a_bare_crash_give_its_message() -> None:
    crash = "pip._internal.exceptions.InstallationError: Invalid requirement: 'a['"
    output = f"Traceback (most recent call last):\n  File x\n{crash}\n"
    assert toolerrors.error_lines(output) == ["Invalid requirement: 'a['"]


def test_run_takes_an_argument_list_and_raises_one_typed_error(tmp_path: Path) -> None:
    odd = tmp_path / "a b 'c' $d"
    odd.mkdir()
    out = runner.run([sys.executable, "-c", "import os; print(os.getcwd())"], capture=True, cwd=str(odd))
    assert out.strip() == str(odd)
    with pytest.raises(runner.CommandFailed) as caught:
        runner.run([sys.executable, "-c", "raise SystemExit(3)"], capture=True)
    assert caught.value.returncode == 3
    with pytest.raises(runner.CommandFailed, match="exited with 127"):
        runner.run([str(tmp_path / "no-such-tool")])


def test_artifacts_skip_venvs_and_git(tmp_path: Path) -> None:
    for name in [
        "a/__pycache__/m.pyc",
        "b.pyo",
        ".coverage",
        "venv/lib/__pycache__/x.pyc",
        ".git/x.pyc",
        "build/x",
        "sub/build/keep",
        "x.egg-info/PKG-INFO",
        "vendor/lib/.git/HEAD",  # another repository (a clone, a submodule): its files are its own
        "vendor/lib/__pycache__/m.pyc",
    ]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    (tmp_path / "venv" / "pyvenv.cfg").write_text("")
    found = sorted(p.relative_to(tmp_path).as_posix() for p in clean.artifacts(tmp_path))
    assert found == [".coverage", "a/__pycache__", "b.pyo", "build", "x.egg-info"]


def test_arguments_after_dashes_recover_key_value_tokens_doit_took_as_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "argv", ["doit", "test", "--", "-o", "a=b", "-k", "x"])
    assert runs.arguments_after_dashes(["-o", "-k", "x"]) == ["-o", "a=b", "-k", "x"]
    # When sys.argv is not doit's command line (doit run in-process), doit's list stands.
    assert runs.arguments_after_dashes(["-x"]) == ["-x"]
    assert runs.arguments_after_dashes(None) == []  # type: ignore[arg-type]


def test_pyenv_versions_resolve_to_real_binaries_not_shims() -> None:
    try:
        found = interpreter.find("3.11", Path.cwd())
    except interpreter.InterpreterNotFound:
        pytest.skip("no Python 3.11 here")
    assert "shims" not in found.path and Path(found.path).is_file()


def test_task_graph_as_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.doitenv]\nrequirements = 'locks/run.txt'\n")
    monkeypatch.chdir(tmp_path)
    lock_tasks = {t["basename"]: t for t in tasks.task_locks()}
    assert set(lock_tasks) == {"locks/run.txt", "requirements-dev.txt"}
    assert lock_tasks["locks/run.txt"]["targets"] == ["locks/run.txt"]
    assert lock_tasks["requirements-dev.txt"]["task_dep"] == ["venv", "locks/run.txt"]
    assert tasks.task_dev()["task_dep"] == ["locks/run.txt", "requirements-dev.txt"]  # every lock
    assert tasks.task_prod()["task_dep"] == ["locks/run.txt"]
    assert tasks.task_test()["task_dep"] == ["dev"] and tasks.task_test()["pos_arg"] == "args"
    assert tasks.task_format()["task_dep"] == ["dev"]
    assert "clean" not in lock_tasks["locks/run.txt"]  # `doit clean` must never delete a lock
    assert tasks.DOIT_CONFIG["default_tasks"] == ["dev"] and tasks.DOIT_CONFIG["backend"] == "doitenv-sqlite3"
    docs = [f.__doc__.splitlines()[0] for f in (tasks.task_venv, tasks.task_test, tasks.task_format)]
    assert len(set(docs)) == len(docs)


def _doit_names(namespace: dict[str, object]) -> dict[str, object]:
    """What doit takes from a dodo module: its task creators and DOIT_CONFIG."""
    return {name: value for name, value in namespace.items() if name.startswith("task_") or name == "DOIT_CONFIG"}


def test_the_dodo_file_gives_doit_what_the_star_import_gave_with_the_same_order_rules() -> None:
    """scaffold.DODO (`export`) and `from doitenv.tasks import *`, the line given before: the same
    names and objects; a name defined before the line is replaced, one defined after it is kept."""
    mine = "def task_test():\n    return {'actions': []}\n\n\nDOIT_CONFIG = {'verbosity': 0}\n"
    star: dict[str, object] = {}
    exec(mine + "from doitenv.tasks import *\n", star)
    called: dict[str, object] = {}
    exec(mine + scaffold.DODO, called)
    assert _doit_names(called) == _doit_names(star) == {name: getattr(tasks, name) for name in tasks.__all__}
    assert "export" not in star and "export" not in called  # not a task: doit sees only what it did
    after: dict[str, object] = {}
    exec(scaffold.DODO + "\n\n" + mine, after)
    assert after["task_test"] is not tasks.task_test and after["DOIT_CONFIG"] == {"verbosity": 0}
    assert _doit_names(after).keys() == _doit_names(star).keys()


def test_the_readme_gives_the_dodo_file_doitenv_init_writes() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert readme.split("```python\n", 1)[1].split("```", 1)[0] == scaffold.DODO


def test_the_state_folder_is_ignored_even_when_another_process_made_it_first(tmp_path: Path) -> None:

    state = tmp_path / ".doitenv"
    state.mkdir()  # another doit process got here first, and has not written .gitignore yet
    start.prepare_state(state, state / "doit.sqlite3")
    assert (state / ".gitignore").read_text().endswith("*\n")


@pytest.mark.skipif(os.name == "nt", reason="symlinks need privileges on Windows")
def test_an_atomic_write_through_a_symlink_writes_its_target(tmp_path: Path) -> None:
    (tmp_path / "locks").mkdir()
    target = tmp_path / "locks" / "requirements.txt"
    target.write_bytes(b"alpha==1.0\n")
    link = tmp_path / "requirements.txt"
    link.symlink_to(Path("locks") / "requirements.txt")
    files.write_atomic(link, b"alpha==2.0\n")
    assert link.is_symlink() and os.readlink(link) == os.path.join("locks", "requirements.txt")
    assert target.read_bytes() == b"alpha==2.0\n"
    assert sorted(p.name for p in (tmp_path / "locks").iterdir()) == ["requirements.txt"]  # no scratch left


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_an_atomic_write_keeps_a_files_permissions_or_gives_a_new_one_the_usual(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        new = tmp_path / "requirements.txt"
        files.write_atomic(new, b"alpha==1.0\n")
        assert stat.S_IMODE(new.stat().st_mode) == 0o644  # mkstemp's 0600 would hide a lock from the team
        new.chmod(0o640)
        files.write_atomic(new, b"alpha==2.0\n")
        assert stat.S_IMODE(new.stat().st_mode) == 0o640
    finally:
        os.umask(umask)


def test_a_pytest_usage_error_from_the_setting_is_named(tmp_path: Path) -> None:
    from doitenv import testrun

    (tmp_path / "src" / "pkg" / "tests").mkdir(parents=True)
    default = ["pytest", "-p", "doitenv_pytest_report", "tests", "--cov=src", "-v", "--cov-report=term-missing"]
    with_cov = ["pytest_cov-7.0.0.dist-info", "pytest-9.0.dist-info"]
    needs = "which needs pytest-cov: add pytest-cov to requirements/dev.in"
    assert needs in str(testrun.usage_problem(default, tmp_path, ["pytest-9.0.dist-info"], "requirements/dev.in"))
    assert "names tests, which" in str(testrun.usage_problem(default, tmp_path, with_cov, "dev.in"))
    inside = ["python", "-m", "pytest", "src/pkg/tests", "-k", "answer", "-o", "x=1"]
    assert testrun.usage_problem(inside, tmp_path, with_cov, "dev.in") is None  # option values are no paths
    assert testrun.usage_problem(["pytest", "src/pkg/tests::test_x", "--frobnicate"], tmp_path, [], "dev.in") is None


@pytest.fixture
def full_disk(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A real filesystem with no space left: a tiny tmpfs, filled (root on Linux only)."""
    mount = tmp_path / "full"
    mount.mkdir()
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root on Linux")
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"no tmpfs here: {made.stderr.decode().strip()}")
    try:
        (mount / "requirements.txt").write_text("alpha==1.0\n")
        with open(mount / "filler", "wb") as filler:
            try:
                filler.write(b"x" * (1 << 20))
            except OSError:
                pass
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_a_full_disk_is_one_line_naming_the_lock_and_leaves_it_whole(full_disk: Path) -> None:
    """A full disk while a lock was written: OSError 28 from locks.py as a traceback, and a
    zero-byte scratch file left beside the lock."""
    from doitenv.tasks.failures import reported

    lock = full_disk / "requirements.txt"
    failed = reported(files.write_atomic, "")(lock, b"alpha==2.0\n" * 1000)
    assert failed.message.endswith(
        "requirements.txt: No space left on device: the disk is full: free some space and run again"
    )
    assert lock.read_text() == "alpha==1.0\n"
    assert sorted(path.name for path in full_disk.iterdir()) == ["filler", "requirements.txt"]


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "soon", ""])
def test_a_heartbeat_setting_that_is_no_positive_number_keeps_the_default(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DOITENV_HEARTBEAT=0 printed in a tight loop (about a million lines a second); inf crashed."""
    monkeypatch.setenv(runner.HEARTBEAT_VARIABLE, value)
    assert runner._heartbeat_every(on_terminal=False) == 10.0
    monkeypatch.setenv(runner.HEARTBEAT_VARIABLE, "2.5")
    assert runner._heartbeat_every(on_terminal=False) == 2.5


def test_a_venv_symlink_is_doitenvs_to_delete_only_behind_it_is_nothing_or_doitenvs_venv(tmp_path: Path) -> None:
    link = tmp_path / "proj" / "venv"
    link.parent.mkdir()
    target = tmp_path / "fast" / "venv"
    link.symlink_to(target)
    assert Venv(link).foreign() is None  # missing: made there
    target.mkdir(parents=True)
    assert Venv(link).foreign() is None  # empty
    (target / "pyvenv.cfg").write_text("home = /usr\n")
    assert f"venv/ is a symlink to {target}, which holds a venv doitenv did not make" in (Venv(link).foreign() or "")
    (target / ".doitenv-made-from.json").write_text("{}")
    assert Venv(link).foreign() is None and Venv(link).real == target
    (target / "pyvenv.cfg").unlink()
    assert "which holds files that are not a venv" in (Venv(link).foreign() or "")
    link.unlink()
    link.symlink_to(target / ".doitenv-made-from.json")
    assert "which holds a file, not a folder" in (Venv(link).foreign() or "")
    Venv(tmp_path / "proj" / "other").remove()  # nothing there: nothing to do
    with pytest.raises(Failure, match="is a symlink to"):
        Venv(link).remove()
    assert (target / ".doitenv-made-from.json").exists()
