"""`doit check --resolve`: a lock forged with its digests made to match passes the offline check
(it proves the lock is what doitenv wrote only against accidents) and fails once the lock is
pinned again from its inputs with the index; nothing the project keeps is written."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3

import pytest

from doitenv import config, locks
from doitenv.project import DOIT_DEP_FILE, Project
from tests.helpers import ProjectFactory, TmpProject

SUBFOLDER = """\
requirements-in = "requirements/base.in"
requirements = "requirements/base.txt"
dev-requirements-in = "requirements/dev.in"
dev-requirements = "requirements/dev.txt"
"""


def _layout(new_project: ProjectFactory, layout: str, backend: str) -> tuple[TmpProject, str, str]:
    """A project whose runtime lock pins beta==1.0 (needs-old-beta asks for beta<2), in `layout`:
    (the project, its runtime lock, its dev lock)."""
    if layout == "subfolder":
        project = new_project(tool=SUBFOLDER, backend=backend)
        for name in ("requirements.in", "requirements-dev.in"):
            (project.path / name).unlink()
        project.write("requirements/base.in", "needs-old-beta\n")
        project.write("requirements/dev.in", "-r base.txt\npytest\n")
        return project, "requirements/base.txt", "requirements/dev.txt"
    if layout == "pyproject":
        tool = 'requirements-from = ["project"]\ndev-requirements-from = ["requirements.txt", "group:dev"]\n'
        project = new_project(tool=tool, backend=backend)
        text = project.read("pyproject.toml").replace(
            'description = "a test project"\n', 'description = "x"\ndependencies = ["needs-old-beta"]\n'
        )
        project.write("pyproject.toml", text + '\n[dependency-groups]\ndev = ["pytest"]\n')
        for name in ("requirements.in", "requirements-dev.in"):
            (project.path / name).unlink()
        return project, "requirements.txt", "requirements-dev.txt"
    tool = 'universal = true\nuniversal-python = ">=3.10"\n' if layout == "universal" else ""
    project = new_project(requirements="needs-old-beta\n", tool=tool, backend=backend)
    return project, "requirements.txt", "requirements-dev.txt"


def _kept(project: TmpProject, locks: tuple[str, ...]) -> dict[str, object]:
    """What --resolve must leave as it was: the locks byte for byte (and their mtimes), every file
    of the venv byte for byte, what doit's state records of each task, and which files the project
    holds at all (no scratch file left behind). doit itself rewrites its state file at every run,
    plain `doit check` too: it records that `check` passed, and drops that record when it fails. So
    the records of every other task are compared, as doit reads them."""
    root = project.path
    found: dict[str, object] = {"files": sorted(path.relative_to(root).as_posix() for path in root.rglob("*"))}
    for lock in locks:
        found[lock] = ((root / lock).read_bytes(), (root / lock).stat().st_mtime_ns)
    for path in sorted((root / "venv").rglob("*")):
        if path.is_file() and not path.is_symlink():
            found[path.relative_to(root).as_posix()] = (path.read_bytes(), path.stat().st_mtime_ns)
    with contextlib.closing(sqlite3.connect(root / DOIT_DEP_FILE)) as state:
        found[DOIT_DEP_FILE] = sorted(state.execute("SELECT * FROM doit WHERE task_id != 'check'"))
    return found


def _forge(project: TmpProject, lock: str, old: str, new: str) -> None:
    """`lock` with `old` replaced by `new`, its first line's digests computed as locks.py computes
    them: of its body, and of its inputs as they are now (the lock below included)."""
    text = project.read(lock)
    assert old in text
    body = text.replace(old, new).split("\n", 1)[1]
    found = Project(config.load(project.path))
    layer = found.layer(lock)
    shape = found.lock_shape(layer)
    header = locks.recorded(project.path / lock)
    assert header is not None
    digest = layer.read_inputs(project.path).digest(shape)
    project.write(lock, locks.header_line(digest, locks.body_digest(body), shape, header.by) + body)


@pytest.mark.parametrize("layout", ["in-files", "subfolder", "pyproject", "universal"])
def test_a_forged_lock_passes_check_and_fails_check_resolve(
    new_project: ProjectFactory, backend: str, layout: str
) -> None:
    if layout == "universal" and backend == "pip-tools":
        pytest.skip("a universal lock is uv's whatever the backend")
    project, runtime, dev = _layout(new_project, layout, backend)
    project.doit("dev")
    assert "beta==1.0" in project.pins(runtime) and "beta==1.0" in project.pins(dev)

    kept = _kept(project, (runtime, dev))
    honest = project.doit("check", "--resolve")
    assert "doitenv: every lock is what its inputs give" in honest.output
    assert _kept(project, (runtime, dev)) == kept

    # The forger moves beta in both locks (so the layers agree) and computes their digests as
    # doitenv does; CI syncs the venv to the forged locks, which pins nothing again.
    for lock in (runtime, dev):
        _forge(project, lock, "\nbeta==1.0", "\nbeta==2.0")
    synced = project.doit("dev")
    assert synced.compiled() == [] and "beta==2.0" in project.installed()
    assert "locks fresh, layers agree, venv in step" in project.doit("check").output  # the digests match

    kept = _kept(project, (runtime, dev))
    forged = project.doit("check", "--resolve", ok=False)
    source = {"subfolder": "requirements/base.in", "pyproject": "pyproject.toml's [project] dependencies"}
    assert (
        f"{runtime}: not what {source.get(layout, 'requirements.in')} gives: the lock pins beta==2.0, pinning gives "
        f"beta==1.0: if you did not make this change, take {runtime} from a commit you trust; else pin it afresh: "
        f"delete it and run `doit {runtime}`"
    ) in forged.output, forged.output
    assert "Traceback" not in forged.output
    assert _kept(project, (runtime, dev)) == kept


def test_a_forged_hash_fails_check_resolve_without_a_venv(new_project: ProjectFactory) -> None:
    """A universal lock needs no venv to be pinned again: a hash changed (the forger's own file
    for the same version) is found, though the resolver starts from the lock's versions."""
    tool = 'universal = true\nuniversal-python = ">=3.10"\nhashes = true\n'
    project = new_project(requirements="needs-old-beta\n", tool=tool)
    project.doit("requirements-dev.txt")
    shutil.rmtree(project.path / "venv")  # as in a CI job that only checks
    line = next(line for line in project.read("requirements.txt").splitlines() if "--hash=sha256:" in line)
    _forge(project, "requirements.txt", line, line[:-8] + "00000000")
    _forge(project, "requirements-dev.txt", "\n", "\n")  # its inputs include the runtime lock
    assert "locks fresh, layers agree, no venv/ here to check" in project.doit("check").output

    forged = project.doit("check", "--resolve", ok=False)
    assert "requirements.txt: not what requirements.in gives: the lock's hashes of " in forged.output, forged.output
    assert "are not the index's: if you did not make this change" in forged.output
    assert not (project.path / "venv").exists()


def test_check_resolve_asks_for_the_venv_of_a_lock_for_one_python(new_project: ProjectFactory) -> None:
    project = new_project()
    project.doit("requirements-dev.txt")
    shutil.rmtree(project.path / "venv")
    assert "no venv/ here to check" in project.doit("check").output
    alone = project.doit("check", "--resolve", ok=False)
    assert (
        "doit check --resolve pins with venv/'s Python, and there is no venv/ here: run `doit venv` first "
        "(it makes the venv and installs nothing from the locks)"
    ) in alone.output


def test_check_resolve_catches_a_forged_lock_before_anything_of_it_is_installed(new_project: ProjectFactory) -> None:
    """The CI workflow ran `doit dev` before `doit check --resolve`, which wanted a venv in step: a
    forged lock was installed, its build steps run, before it was caught."""
    project = new_project(requirements="beta<2\n")
    project.doit("requirements-dev.txt")
    shutil.rmtree(project.path / "venv")
    project.doit("venv")
    _forge(project, "requirements.txt", "beta==1.0", "beta==2.0")
    _forge(project, "requirements-dev.txt", "beta==1.0", "beta==2.0")
    before = project.installed()
    assert not any(pin.startswith(("beta==", "demo==")) for pin in before)

    forged = project.doit("check", "--resolve", ok=False)
    assert "requirements.txt: not what requirements.in gives: the lock pins beta==2.0, pinning gives beta==1.0" in (
        forged.output
    )
    assert "out of step" not in forged.output
    assert project.installed() == before
