"""What a cached `doit test` depends on: every file git would not ignore, whatever the layout,
read again only when its stat changed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.helpers import ProjectFactory, TmpProject


def _flat(new_project: ProjectFactory, git: bool) -> TmpProject:
    """A flat layout: the package at the root, tests in test/, data the tests read, and a
    conftest.py one folder down."""
    project = new_project(name="flatpkg", folder=f"flat-git{git}")
    project.write("pyproject.toml", project.read("pyproject.toml").replace("pytest tests", "pytest test"))
    for name in ("src", "tests"):
        shutil.rmtree(project.path / name)
    project.write("flatpkg/__init__.py", "")
    project.write("flatpkg/core.py", "def answer():\n    return 42\n")
    project.write("test/data/expected.txt", "42\n")
    project.write("test/helpers/conftest.py", "")
    project.write(
        "test/test_core.py",
        "from pathlib import Path\n\nfrom flatpkg.core import answer\n\n\n"
        "def test_answer():\n"
        "    expected = (Path(__file__).parent / 'data' / 'expected.txt').read_text()\n"
        "    assert answer() == int(expected)\n",
    )
    project.write(".gitignore", "venv/\n.venv\nignored.txt\n")
    if git:
        subprocess.run(["git", "init", "-q"], cwd=project.path, check=True)
    return project


def test_a_flat_layout_edit_is_never_hidden_by_the_cache(new_project: ProjectFactory) -> None:
    for git in (True, False):
        project = _flat(new_project, git)
        assert "1 passed" in project.doit("test").output
        project.write("ignored.txt", "git ignores me")
        assert project.doit("test").ran == []  # an ignored file is no input

        project.write("flatpkg/core.py", "def answer():\n    raise RuntimeError('broken')\n")
        failed = project.doit("test", ok=False)
        assert "RuntimeError: broken" in failed.output
        assert "tests run again: flatpkg/core.py changed" in failed.output

        project.write("flatpkg/core.py", "def answer():\n    return 42\n")
        assert "1 passed" in project.doit("test").output
        project.write("test/data/expected.txt", "43\n")  # data the tests read
        assert "test/data/expected.txt changed" in project.doit("test", ok=False).output
        project.write("test/data/expected.txt", "42\n")
        project.doit("test")
        project.write("test/helpers/conftest.py", "import nowhere_to_be_found\n")  # a nested conftest
        assert "test/helpers/conftest.py changed" in project.doit("test", ok=False).output
        project.write("test/helpers/conftest.py", "")
        project.doit("test")
        project.write(".coveragerc", "[run]\nbranch = true\n")
        assert "tests run again: .coveragerc added" in project.doit("test").output
        project.path.joinpath(".coveragerc").unlink()
        assert ".coveragerc removed" in project.doit("test").output


# Records every file the doit process opens under the project, through an audit hook
# that a sitecustomize module installs in it.
_AUDIT = """\
import os, sys
_root, _log = os.environ["AUDIT_ROOT"], os.environ["AUDIT_LOG"]
def _hook(event, args):
    if event == "open" and isinstance(args[0], str) and args[0].startswith(_root):
        with open(_log, "a") as handle:
            handle.write(os.path.relpath(args[0], _root) + "\\n")
sys.addaudithook(_hook)
"""


def _opened(project: TmpProject, hook: Path, *args: str, ok: bool = True) -> tuple[list[str], str]:
    log = hook / "opened.log"
    log.write_text("")
    environment = {"PYTHONPATH": str(hook), "AUDIT_ROOT": str(project.path), "AUDIT_LOG": str(log)}
    output = project.doit(*args, ok=ok, env=environment).output
    return log.read_text().splitlines(), output


def test_a_cached_test_run_reads_only_the_files_whose_stat_changed(new_project: ProjectFactory, tmp_path: Path) -> None:
    project = new_project()
    for index in range(5):
        project.write(f"tests/data/blob{index}.bin", str(index) * 200_000)
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(_AUDIT)
    _opened(project, hook, "test")  # the hook is on PYTHONPATH, which a cached pass depends on

    opened, output = _opened(project, hook, "test")
    assert "tests passed before" in output
    assert not [name for name in opened if name.startswith(("tests", "src"))]

    project.write("tests/data/blob3.bin", "x" * 200_000)
    opened, output = _opened(project, hook, "test")
    assert "2 passed" in output
    data_read_by_doitenv = {name for name in opened if name.startswith("tests/data")}
    assert data_read_by_doitenv == {"tests/data/blob3.bin"}


def test_a_file_changed_while_the_tests_ran_is_never_recorded_as_tested(new_project: ProjectFactory) -> None:
    project = new_project()
    project.write(
        "tests/test_writes.py",
        "from pathlib import Path\n\n\ndef test_writes():\n"
        "    out = Path(__file__).parent / 'output.txt'\n"
        "    out.write_text(out.read_text() + 'x' if out.exists() else 'x')\n",
    )
    first = project.doit("test")
    assert "tests/output.txt added while the tests ran, so this pass is not cached" in first.output
    second = project.doit("test")
    assert "3 passed" in second.output and "tests/output.txt changed while the tests ran" in second.output


def test_scratch_files_a_killed_run_left_are_no_inputs_and_go_on_the_next_change(new_project: ProjectFactory) -> None:
    """A run killed while pinning left `.requirements.txt.doitenv-compile` and its generated
    input in the project: counted as test inputs ("tests run again: ... added"), never removed."""
    project = new_project()
    assert "2 passed" in project.doit("test").output
    left = [".requirements.txt.doitenv-compile", ".requirements-dev.txt.doitenv-in", ".requirements.txt.x1.doitenv-tmp"]
    for name in left:
        project.write(name, "alpha==1.0\n")
    assert "tests passed before" in project.doit("test").output
    assert project.doit("clean", "-n").output.count("doitenv-") == len(left)  # doitenv's to remove
    project.write("requirements-dev.in", project.read("requirements-dev.in") + "delta\n")
    project.doit("dev")
    assert [name for name in left if (project.path / name).exists()] == []
