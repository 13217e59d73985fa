"""`dev` and `prod` follow the venv's own record, not doit's task history."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from doitenv import interpreter
from tests.helpers import ProjectFactory, json_index


def _synced(result) -> bool:  # type: ignore[no-untyped-def]
    return bool(result.synced())


def test_dev_prod_dev_syncs_every_time(new_project: ProjectFactory, backend: str) -> None:
    project = new_project(backend=backend)
    project.doit("dev")
    prod = project.doit("prod")
    assert _synced(prod)
    assert project.installed() == project.pins("requirements.txt") | {
        p for p in project.installed() if p.startswith("pip==")
    }
    assert _synced(project.doit("dev"))
    assert "pytest==" in " ".join(project.installed())
    assert not _synced(project.doit("dev"))


def test_hand_made_changes_are_put_back(new_project: ProjectFactory, backend: str) -> None:
    project = new_project(backend=backend)
    project.doit("dev")
    wanted = project.installed()
    project.pip("install", "delta")
    project.pip("uninstall", "--yes", "beta")
    result = project.doit("dev")
    assert "installed or removed by hand" in result.output
    assert project.installed() == wanted


def test_deleting_the_venv_rebuilds_what_it_needs_and_nothing_more(new_project: ProjectFactory, backend: str) -> None:
    project = new_project(backend=backend)
    project.doit("dev")
    locks = (project.read("requirements.txt"), project.read("requirements-dev.txt"))
    shutil.rmtree(project.path / "venv")
    result = project.doit("dev")
    assert "does not exist yet" in result.output
    assert result.compiled() == []
    assert _synced(result)
    assert (project.read("requirements.txt"), project.read("requirements-dev.txt")) == locks


def test_a_broken_venv_is_rebuilt_and_the_output_says_why(new_project: ProjectFactory) -> None:
    project = new_project()
    project.doit("dev")
    project.python.unlink()
    project.python.symlink_to(project.path / "no-such-python")
    result = project.doit("dev")
    assert "is broken" in result.output
    assert project.installed() >= project.pins("requirements-dev.txt")


def test_a_venv_made_by_hand_from_the_same_python_is_kept(new_project: ProjectFactory) -> None:
    project = new_project()
    subprocess.run([interpreter.running_base(), "-m", "venv", str(project.path / "venv")], check=True)
    marker = project.path / "venv" / "kept.txt"
    marker.write_text("still here")
    result = project.doit("venv")
    assert "keeping venv/" in result.output and result.ran == []
    assert marker.exists()


def test_a_venv_whose_creation_was_cut_off_is_made_again(new_project: ProjectFactory) -> None:
    project = new_project()
    project.doit("venv")
    (project.path / "venv" / ".doitenv-made-from.json").unlink()  # as if killed before the end
    result = project.doit("venv")
    assert "was not made by doitenv" in result.output and len(result.ran) == 1


def test_an_interpreter_change_rebuilds_the_venv_and_relocks_for_it(new_project: ProjectFactory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    pythons = {v: _real_python(v) for v in ("3.11", "3.12")}
    link = tmp_path / "python-of-the-day"
    link.symlink_to(pythons["3.11"] or sys.executable)
    project = new_project(tool=f'python = "{link}"\n')
    project.doit("dev")
    assert _venv_version(project).startswith("3.11")

    if not pythons["3.12"]:
        return
    link.unlink()
    link.symlink_to(pythons["3.12"])
    result = project.doit("dev")
    assert "the interpreter changed" in result.output
    assert result.compiled() == ["requirements.in", "requirements-dev.in"]  # resolved for 3.12 now
    assert "with Python 3.12" in project.read("requirements.txt")
    assert _venv_version(project).startswith("3.12")
    assert project.installed() >= project.pins("requirements-dev.txt")
    assert project.doit("dev").ran == []


def _real_python(version: str) -> str | None:
    try:
        return interpreter.find(version, Path.cwd()).path
    except interpreter.InterpreterNotFound:
        return None


def _venv_version(project) -> str:  # type: ignore[no-untyped-def]
    argv = [str(project.python), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"]
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip()


def test_a_venv_path_that_holds_other_files_is_refused_never_removed(new_project: ProjectFactory) -> None:
    project = new_project(tool='venv = "data"\n')
    project.write("data/results.csv", "precious\n")
    result = project.doit("dev", ok=False)
    assert "data/ holds files that are not a venv, and doitenv deletes only what it made" in result.output
    assert "Traceback" not in result.output
    assert "keeping data/" in project.doit("distclean").output
    assert project.read("data/results.csv") == "precious\n"


def test_a_venv_that_is_a_symlink_is_made_used_and_rebuilt_where_it_points(
    new_project: ProjectFactory, backend: str
) -> None:
    """A venv kept on another disk: the link is the user's, the venv behind it doitenv's."""
    project = new_project(backend=backend)
    fast = project.path.parent / "fast disk" / "venv"
    (project.path / "venv").symlink_to(fast)  # dangling: the venv is made there
    project.doit("dev")
    assert (project.path / "venv").is_symlink() and (fast / "pyvenv.cfg").is_file()
    assert project.installed() >= project.pins("requirements-dev.txt")
    assert project.doit("dev").ran == []
    (fast / "bin" / "python").unlink()  # broken: made again, behind the link
    assert "rebuilding venv/" in project.doit("dev").output
    assert (project.path / "venv").is_symlink() and project.installed() >= project.pins("requirements-dev.txt")
    removed = project.doit("distclean").output
    assert f"removing venv/ (its files in {fast}: the link stays)" in removed, removed
    assert (project.path / "venv").is_symlink() and not fast.exists()
    project.doit("dev")
    assert project.installed() >= project.pins("requirements-dev.txt")


def test_a_venv_symlink_to_what_doitenv_did_not_make_is_named_and_kept(new_project: ProjectFactory) -> None:
    project = new_project()
    theirs = project.path.parent / "theirs"
    subprocess.run([sys.executable, "-m", "virtualenv", "-q", "--no-periodic-update", str(theirs)], check=True)
    (theirs / "notes.txt").write_text("theirs\n")
    (project.path / "venv").symlink_to(theirs)
    result = project.doit("dev", ok=False)
    assert (
        f"venv/ is a symlink to {theirs}, which holds a venv doitenv did not make, and doitenv deletes only what "
        f"it made: empty {theirs} (doitenv then makes the venv there) or remove the link, and run again"
    ) in result.output, result.output
    assert "Traceback" not in result.output
    assert f"keeping venv/: venv/ is a symlink to {theirs}" in project.doit("distclean").output
    assert (theirs / "notes.txt").read_text() == "theirs\n" and (theirs / "pyvenv.cfg").is_file()


def test_a_sync_says_what_it_changed(new_project: ProjectFactory, backend: str) -> None:
    """A sync printed the commands it ran and nothing of the result; a removal showed only a
    `pip uninstall` command line."""
    project = new_project(backend=backend)
    first = project.doit("dev").output
    assert "doitenv: venv/ holds requirements-dev.txt: " in first
    assert "\n  + alpha 1.0\n" in first and "\n  + beta 2.0\n" in first and "\n  + demo 0.1.0\n" in first

    project.write("requirements-dev.in", project.read("requirements-dev.in") + "delta\n")
    added = project.doit("dev").output
    assert "doitenv: venv/ holds requirements-dev.txt: 1 added\n  + delta 1.0\n" in added

    project.write("requirements-dev.in", project.read("requirements-dev.in").replace("delta\n", ""))
    project.write("requirements.in", "alpha\nneeds-old-beta\n")
    moved = project.doit("dev").output
    summary = "doitenv: venv/ holds requirements-dev.txt: 1 added, 1 removed, 1 changed\n"
    assert summary + "  ~ beta 2.0 -> 1.0\n  - delta 1.0\n  + needs-old-beta 1.0\n" in moved

    (project.path / "venv" / ".doitenv-synced.json").unlink()  # the record alone is made again
    assert "doitenv: venv/ holds requirements-dev.txt: 0 changes\n" in project.doit("dev").output


def test_long_work_shows_a_heartbeat_when_the_output_is_no_terminal(new_project: ProjectFactory) -> None:
    """A cold sync ran ~14 s under `pip --quiet` with no sign of life (a 112-pin lock)."""
    project = new_project()
    output = project.doit("dev", env={"DOITENV_HEARTBEAT": "0.2"}).output
    assert re.search(r"^doitenv: still pinning requirements\.txt \(\d+ s\)$", output, re.MULTILINE), output
    assert re.search(
        r"^doitenv: still syncing venv/ to requirements-dev\.txt \(\d+ s, (downloading: )?\d+ of \d+ packages",
        output,
        re.MULTILINE,
    ), output
    project.write("requirements-dev.in", project.read("requirements-dev.in") + "delta\n")
    assert "still" not in project.doit("dev").output  # a short run in a CI log: not a line more


# Seconds the slow index takes to serve each file of the lock: uv fetches them side by side, so
# each one later than the one before shows uv's count moving too.
SLOW = {"alpha": 0.3, "beta": 0.6, "delta": 0.9, "gamma": 1.2, "numlike": 1.5}


def test_the_heartbeat_counts_the_lock_s_packages_while_they_download_and_install(
    new_project: ProjectFactory, backend: str, wheelhouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The heartbeat said `0 packages in place` for as long as pip or uv downloaded, and never how
    many packages the lock holds."""
    project = new_project(
        requirements="alpha\ndelta\ngamma\nnumlike\n", dev_requirements="-r requirements.txt\n", backend=backend
    )
    project.doit("requirements-dev.txt")  # the locks, as a clone finds them committed
    total = len(project.pins("requirements-dev.txt"))
    assert total == len(SLOW)

    def delay(filename: str) -> float:
        return SLOW.get(filename.split("-")[0], 0.0)

    with json_index(wheelhouse, lambda filename: "2020-01-01T00:00:00Z", delay) as index:
        for name in ("PIP_FIND_LINKS", "PIP_NO_INDEX", "UV_FIND_LINKS", "UV_OFFLINE"):
            monkeypatch.delenv(name)
        fresh = {"PIP_CACHE_DIR": str(tmp_path / "pip-cache"), "UV_CACHE_DIR": str(tmp_path / "uv-cache")}
        index_urls = {"PIP_INDEX_URL": index, "UV_INDEX_URL": index}
        output = project.doit("dev", env={**fresh, **index_urls, "DOITENV_HEARTBEAT": "0.1"}).output
    details = re.findall(r"^doitenv: still syncing venv/ to requirements-dev\.txt \(\d+ s, (.*)\)$", output, re.M)
    said = rf"downloading: (\d+) of {total} packages|(\d+) of {total} packages in place"
    assert details and all(re.fullmatch(said, each) for each in details), output
    downloaded = [int(n) for each in details for n in re.findall(rf"^downloading: (\d+) of {total}", each)]
    assert any(0 < n < total for n in downloaded), output
    assert downloaded == sorted(downloaded), output
    assert project.pins("requirements-dev.txt") <= project.installed()
