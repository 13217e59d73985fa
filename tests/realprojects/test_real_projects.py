"""The real-project tier: doitenv used as a new user would, on real projects' sdists, offline.

For each project: write the two .in files and dodo.py, `doit dev`, run the project's own test
suite with `doit test`; a second `doit dev` runs nothing; an edit that breaks a module makes
`doit test` fail and a revert makes it pass; a `.pre-commit-config.yaml` does not break `dev`.
One project also takes its dependency from a private index its requirements.in names, and one
is a notebook user's: its venv a Jupyter kernel, its tests under `doit watch`.
"""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from doitenv import interpreter, locks, scaffold
from tests.conftest import REPO, cannot_fetch, fetching
from tests.helpers import WAITING, TmpProject, Watching, have_python, run_in_kernel
from tests.realprojects.projects import FLASK, FLASK_PYTHON, PROJECTS, RealProject, fetch, unpack

CACHE = Path(os.environ.get("DOITENV_REAL_PROJECTS", REPO / ".cache" / "real-projects"))


@pytest.fixture(scope="session")
def real_cache() -> Path:
    with fetching():
        problem = fetch(CACHE)
    if problem:
        cannot_fetch(f"could not fetch the real projects into {CACHE}:\n{problem}")
    return CACHE


@pytest.fixture
def offline(real_cache: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Only the real projects' wheels to install from, and no pre-commit on PATH."""
    monkeypatch.setenv("PIP_FIND_LINKS", str(real_cache / "wheels"))
    monkeypatch.setenv("PRE_COMMIT_HOME", str(tmp_path / "pre-commit-home"))
    return real_cache


def _as_a_new_user(cache: Path, real: RealProject, into: Path) -> TmpProject:
    project = TmpProject(unpack(cache, real, into))
    project.write("requirements.in", real.requirements)
    project.write("requirements-dev.in", "-r requirements.txt\npytest\n")
    project.write("dodo.py", scaffold.DODO)
    pyproject = project.path / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8") if pyproject.exists() else ""
    pyproject.write_text(f'{text}\n[tool.doitenv]\ntest-command = "{real.test_command}"\n', encoding="utf-8")
    return project


@pytest.mark.parametrize("real", PROJECTS, ids=[p.name for p in PROJECTS])
def test_a_real_project_managed_as_the_readme_says(real: RealProject, offline: Path, tmp_path: Path) -> None:
    project = _as_a_new_user(offline, real, tmp_path)
    first = project.doit("dev")
    assert first.synced() and "Traceback" not in first.output
    assert f"{real.name}=={real.version}" in project.installed(editable=True)  # importable from anywhere
    assert "passed" in project.doit("test").output
    assert project.doit("dev").ran == []

    module, text, broken = real.breaks
    original = project.read(module)
    assert text in original
    project.write(module, original.replace(text, broken, 1))
    failed = project.doit("test", ok=False)
    assert "broken on purpose" in failed.output
    assert f"tests run again: {module} changed" in failed.output
    project.write(module, original)
    assert "passed" in project.doit("test").output
    assert "tests passed before" in project.doit("test").output

    # Most projects keep a pre-commit config and install pre-commit with pipx, not in the lock.
    subprocess.run(["git", "init", "-q"], cwd=project.path, check=True)
    project.write(".pre-commit-config.yaml", scaffold.PRE_COMMIT)
    dev = project.doit("dev")
    assert "the pre-commit hook is not installed" in dev.output or "pre-commit install" in " ".join(dev.ran)
    assert project.doit("dev").ran == []


def test_a_real_project_pinned_from_a_private_index_keeps_its_venv_through_a_bad_pin(
    offline: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """typing-inspection (hatchling) with its one dependency served by a private index that
    requirements.in names: the lock keeps the index, and a pin no index has changes nothing."""
    real = next(each for each in PROJECTS if each.name == "typing-inspection")
    private, public = tmp_path / "private" / "simple", tmp_path / "public"
    (private / "typing-extensions").mkdir(parents=True)
    public.mkdir()
    for wheel in (offline / "wheels").glob("*.whl"):
        private_one = wheel.name.lower().startswith("typing_extensions-")
        shutil.copy(wheel, private / "typing-extensions" if private_one else public)
        if private_one:
            (private / "typing-extensions" / "index.html").write_text(f'<a href="{wheel.name}">{wheel.name}</a>\n')
    monkeypatch.setenv("PIP_FIND_LINKS", str(public))
    monkeypatch.delenv("PIP_NO_INDEX")
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")  # this machine's index: never reached
    monkeypatch.setenv("PRIVATE_INDEX", private.parent.as_posix())
    project = _as_a_new_user(offline, real, tmp_path / "work")
    project.write("requirements.in", "--index-url file://${PRIVATE_INDEX}/simple\ntyping-extensions\n")

    project.doit("dev")
    assert "\n--index-url file://${PRIVATE_INDEX}/simple\n" in project.read("requirements-dev.txt")
    assert "passed" in project.doit("test").output
    before = project.installed(editable=True)
    good = project.read("requirements-dev.txt")
    pinned = next(line for line in good.splitlines() if line.startswith("typing-extensions=="))
    project.write_lock("requirements-dev.txt", good.replace(pinned, "typing-extensions==0.0.1"))
    failed = project.doit("dev", ok=False)
    assert "could not sync venv/: typing-extensions==0.0.1 is not available" in failed.output
    assert "Traceback" not in failed.output
    assert project.installed(editable=True) == before
    project.write_lock("requirements-dev.txt", good)
    assert project.doit("dev").ran == []


@pytest.mark.skipif(os.name == "nt", reason="Ctrl-C is sent as a POSIX signal here")
def test_a_real_project_as_a_jupyter_kernel_and_under_watch(
    offline: Path, wheelhouse: Path, jupyter_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """idna (flit_core, flat layout) with ipykernel in its dev lock, from the test wheelhouse."""
    monkeypatch.setenv("PIP_FIND_LINKS", f"{offline / 'wheels'} {wheelhouse}")
    real = next(each for each in PROJECTS if each.name == "idna")
    project = _as_a_new_user(offline, real, tmp_path)
    project.write("requirements-dev.in", "-r requirements.txt\npytest\nipykernel\n")
    subprocess.run(["git", "init", "-q"], cwd=project.path, check=True)

    assert "is the Jupyter kernel 'idna'" in project.doit("kernel").output
    code = "import sys, idna; print(idna.encode('bücher.example').decode(), sys.prefix)"
    assert run_in_kernel("idna", code) == f"xn--bcher-kva.example {project.path / 'venv'}"

    watch = Watching(project)
    try:
        watch.wait_for(WAITING)
        module, text, broken = real.breaks
        original = project.read(module)
        project.write(module, original.replace(text, broken, 1))
        watch.wait_for(f"{module} changed: running `doit test` again")
        watch.wait_for("`doit test` failed")
        project.write(module, original)
        watch.wait_for(WAITING, 3)
        assert watch.ctrl_c() == 0
        assert "Traceback" not in watch.output
    finally:
        watch.stop()
    project.doit("distclean")
    assert not (jupyter_data / "kernels" / "idna").exists()


_COPY_MOVE_STAGE = [p for p in PROJECTS if p.name in ("idna", "typing-inspection")]


@pytest.mark.parametrize("real", _COPY_MOVE_STAGE, ids=[p.name for p in _COPY_MOVE_STAGE])
def test_a_real_project_copied_moved_and_staged(real: RealProject, offline: Path, tmp_path: Path) -> None:
    """Issue 19: a copy tests its own code, a move rebuilds in place, and git's index moves
    that keep the content rerun nothing (a flat layout with flit_core, a src layout with hatchling)."""
    project = _as_a_new_user(offline, real, tmp_path / "original")
    project.write(".gitignore", "venv/\n.doitenv/\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], cwd=project.path, check=True)
    subprocess.run([*git, "add", "-A"], cwd=project.path, check=True)
    subprocess.run([*git, "commit", "-qm", "as unpacked"], cwd=project.path, check=True)
    assert "passed" in project.doit("test").output

    copy = TmpProject(tmp_path / "copy")
    subprocess.run(["cp", "-a", str(project.path), str(copy.path)], check=True)
    module, text, broken = real.breaks
    copy.write(module, copy.read(module).replace(text, broken, 1))
    failed = copy.doit("test", ok=False)
    assert "rebuilding venv/" in failed.output and "broken on purpose" in failed.output
    assert "tests passed before" in project.doit("test").output

    moved = TmpProject(tmp_path / "moved")
    shutil.move(str(project.path), str(moved.path))
    again = moved.doit("test")
    assert "rebuilding venv/" in again.output and "tests run again: the project is in a new folder" in again.output

    tests_file = sorted((moved.path / "tests").rglob("test_*.py"))[0]
    tests_file.write_text(tests_file.read_text(encoding="utf-8") + "\n\ndef test_added():\n    assert True\n")
    assert "passed" in moved.doit("test").output
    for step in (["add", "-A"], ["commit", "-qm", "a test"]):
        subprocess.run([*git, *step], cwd=moved.path, check=True, capture_output=True)
        assert "tests passed before" in moved.doit("test").output, step
    tests_file.write_text(tests_file.read_text(encoding="utf-8") + "\n\ndef test_more():\n    assert True\n")
    assert "passed" in moved.doit("test").output
    subprocess.run([*git, "stash", "-q"], cwd=moved.path, check=True)
    subprocess.run([*git, "stash", "pop", "-q"], cwd=moved.path, check=True)
    assert "tests passed before" in moved.doit("test").output


@pytest.mark.skipif(sys.version_info < (3, 11), reason="below 3.11 Flask's tests.in adds greenlet, not in the cache")
@pytest.mark.skipif(not have_python(FLASK_PYTHON), reason=f"Flask's locks name Python {FLASK_PYTHON}")
def test_a_real_pip_tools_project_adopted_with_the_locks_it_has(
    offline: Path, tmp_path: Path, wheelhouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Flask 3.0.3 keeps requirements/*.in, each compiled into its .txt from that folder (`# via -r
    tests.in`) without --allow-unsafe. Adopted, its tests layer changes in header comments only;
    the runtime lock it lacked comes from [project].dependencies; its venv is made from the Python
    its locks were compiled with."""
    project = TmpProject(unpack(offline, FLASK, tmp_path))
    before = project.read("requirements/tests.txt")
    project.write("requirements/local.in", "-r base.txt\n-r tests.txt\n")
    project.write("dodo.py", scaffold.DODO)
    settings = (
        '\n[tool.doitenv]\nrequirements-from = ["project"]\nrequirements = "requirements/base.txt"\n'
        'dev-requirements-in = "requirements/local.in"\ndev-requirements = "requirements/local.txt"\n'
        f'locks = ["requirements/tests.in"]\ntest-command = "{FLASK.test_command}"\n'
    )
    project.write("pyproject.toml", project.read("pyproject.toml") + settings)
    # The first lock, which keeps its pins, with the test wheelhouse too: pip-tools for a tools
    # venv of the locks' Python comes from there (its click, newer than Flask's tests allow, must
    # not reach the runtime lock pinned next).
    with monkeypatch.context() as tools:
        tools.setenv("PIP_FIND_LINKS", f"{offline / 'wheels'} {wheelhouse}")
        first = project.doit("requirements/tests.txt")
    first.output += project.doit("dev").output
    assert "Traceback" not in first.output
    if interpreter.running_version() != FLASK_PYTHON:
        said = f"doitenv: Python {FLASK_PYTHON}, as requirements/tests.txt was pinned for Python {FLASK_PYTHON}"
        assert said in first.output
    after = project.read("requirements/tests.txt")
    assert locks.body_digest(after) == locks.body_digest(before)  # every pin, marker and option kept
    changed = [line for line in difflib.ndiff(before.splitlines(), after.splitlines()) if line[:1] in "+-"]
    assert all(line[2:].startswith("#") for line in changed), changed
    assert "-     # via -r tests.in" not in changed and "    # via -r tests.in" in after
    assert "# via -r tests.txt" in project.read("requirements/local.txt")  # from requirements/, as the project
    assert "passed" in project.doit("test").output
    assert project.doit("dev").ran == []
    project.doit("check")


# Flask 3.0.3's own .pre-commit-config.yaml (the sdist leaves it out): hooks from git hosts, as
# most projects have. Without network, or with the host down, pre-commit cannot fetch them.
FLASK_PRE_COMMIT = """\
ci:
  autoupdate_commit_msg: '[pre-commit.ci] pre-commit autoupdate'
  autoupdate_schedule: monthly
repos:
  - repo: https://github.com/astral-sh/ruff-pre-commit
    rev: v0.4.2
    hooks:
      - id: ruff
      - id: ruff-format
  - repo: https://github.com/pre-commit/pre-commit-hooks
    rev: v4.6.0
    hooks:
      - id: check-merge-conflict
      - id: debug-statements
      - id: fix-byte-order-marker
      - id: trailing-whitespace
      - id: end-of-file-fixer
"""


def test_a_real_project_s_remote_hooks_never_block_a_commit_offline(
    offline: Path, tmp_path: Path, wheelhouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Adopted as it is, with its own hooks from github.com: every commit failed with pre-commit's
    traceback (exit 3), and `doit format` too."""
    project = TmpProject(unpack(offline, FLASK, tmp_path))
    project.write("requirements/local.in", "-r base.txt\npre-commit\n")  # today's pre-commit, not tests.txt's
    project.write("dodo.py", scaffold.DODO)
    settings = (
        '\n[tool.doitenv]\nrequirements-from = ["project"]\nrequirements = "requirements/base.txt"\n'
        'dev-requirements-in = "requirements/local.in"\ndev-requirements = "requirements/local.txt"\n'
        "install-project = false\n"
        # The Python running the tests: the test wheels (pre-commit's pyyaml) are built for it.
        f'python = "{interpreter.running_version()}"\n'
    )
    project.write("pyproject.toml", project.read("pyproject.toml") + settings)
    project.write(".pre-commit-config.yaml", FLASK_PRE_COMMIT)
    project.write(".gitignore", "venv/\n.venv\n.doitenv/\n")
    subprocess.run(["git", "init", "-q"], cwd=project.path, check=True)
    # No network in a test: git's fetches from github.com go to a port on this machine where
    # nothing answers, as they would find no host offline (pre-commit passes GIT_CONFIG_* on).
    for name, value in {
        "COUNT": "1",
        "KEY_0": "url.https://127.0.0.1:9/.insteadOf",
        "VALUE_0": "https://github.com/",
    }.items():
        monkeypatch.setenv(f"GIT_CONFIG_{name}", value)
    monkeypatch.setenv("PIP_FIND_LINKS", f"{offline / 'wheels'} {wheelhouse}")
    assert "installed the pre-commit hook" in project.doit("dev").output

    subprocess.run(["git", "add", "-A"], cwd=project.path, check=True)
    argv = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "adopt doitenv"]
    committed = subprocess.run(argv, cwd=project.path, capture_output=True, text=True)
    assert committed.returncode == 0, committed.stderr
    said = committed.stderr.strip().splitlines()
    assert len(said) == 1, committed.stderr
    assert said[0].startswith(
        "doitenv: the hooks of .pre-commit-config.yaml did not run, so this commit is not checked: pre-commit "
        "could not prepare them (unable to access 'https://127.0.0.1:9/astral-sh/ruff-pre-commit/': "
    )
    formatted = project.doit("format", ok=False)
    assert "pre-commit could not prepare its hooks (unable to access" in formatted.output
    assert "Traceback" not in formatted.output
