"""Locks and .in files anywhere in the project, and every file the resolver reads in the digest."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import ProjectFactory

SUBFOLDER = """\
requirements-in = "requirements/base.in"
requirements = "requirements/base.txt"
dev-requirements-in = "requirements/dev.in"
dev-requirements = "requirements/dev.txt"
"""


def test_locks_in_a_subfolder_pin_repin_sync_check_and_upgrade(new_project: ProjectFactory) -> None:
    project = new_project(tool=SUBFOLDER)
    for name in ("requirements.in", "requirements-dev.in"):
        (project.path / name).unlink()
    project.write("requirements/base.in", "needs-old-beta\n")
    project.write("requirements/dev.in", "-r base.txt\npytest\n")
    project.doit("dev")
    assert "needs-old-beta==1.0" in project.pins("requirements/base.txt")
    assert "beta==1.0" in project.pins("requirements/dev.txt")
    assert not list(project.path.glob(".*doitenv-compile")) and not (project.path / "base.txt").exists()
    assert "delta==1.0" not in project.installed()

    project.write("requirements/base.in", "needs-old-beta\ndelta\n")
    result = project.doit("dev")
    assert result.compiled() == ["requirements/base.in", "requirements/dev.in"]
    assert "delta==1.0" in project.pins("requirements/base.txt")
    assert "delta==1.0" in project.pins("requirements/dev.txt")
    assert "delta==1.0" in project.installed()
    assert project.doit("dev").ran == []
    project.doit("check")

    # A lock a pull brought (the venv's record said only `dev.txt`, without its folder).
    project.write_lock("requirements/dev.txt", project.read("requirements/dev.txt") + "# pulled\n")
    stale = project.doit("check", ok=False).output
    assert "venv/ is out of step: requirements/dev.txt changed since the last sync: run `doit dev`" in stale

    project.write("requirements/base.in", "alpha\ndelta\n")  # beta may move to 2.0 now
    project.doit("dev")
    assert "beta==1.0" in project.pins("requirements/base.txt")  # pins are kept ...
    upgraded = project.doit("upgrade")  # ... until an upgrade moves them
    assert "requirements/base.txt: beta 1.0 -> 2.0" in upgraded.output
    assert "beta==2.0" in project.installed()
    project.doit("check")


def test_an_edit_two_includes_down_repins_and_syncs(new_project: ProjectFactory) -> None:
    project = new_project(dev_requirements="-r requirements.txt\n-r requirements/development.txt\n")
    project.write("requirements/development.txt", "-r testing.txt\n")
    project.write("requirements/testing.txt", "pytest\n")
    project.doit("dev")
    assert "delta==1.0" not in project.installed()
    project.write("requirements/testing.txt", "pytest\ndelta\n")
    result = project.doit("dev")
    assert result.compiled() == ["requirements-dev.in"]
    assert "delta==1.0" in project.installed()
    project.doit("check")


def test_a_byte_order_mark_works_and_an_unknown_encoding_gets_one_message(new_project: ProjectFactory) -> None:
    project = new_project()
    (project.path / "requirements.in").write_bytes(b"\xef\xbb\xbfalpha\n")
    project.doit("requirements.txt")
    assert "alpha==1.0" in project.pins("requirements.txt")
    # pip would fall back on this machine's locale: the same file must read the same everywhere.
    (project.path / "requirements.in").write_bytes("alpha\ndélta\n".encode("latin-1"))
    result = project.doit("requirements.txt", ok=False)
    assert "requirements.in is not valid utf-8 (byte 7): save it as UTF-8" in result.output
    assert "Traceback" not in result.output


@pytest.mark.skipif(os.name == "nt", reason="symlinks need privileges on Windows")
def test_a_lock_that_is_a_symlink_stays_one_and_its_target_is_pinned(new_project: ProjectFactory) -> None:
    """`requirements.txt -> locks/requirements.txt` was replaced by a regular file, the target left stale."""
    project = new_project()
    project.doit("requirements.txt")
    (project.path / "locks").mkdir()
    (project.path / "requirements.txt").rename(project.path / "locks" / "requirements.txt")
    (project.path / "requirements.txt").symlink_to(Path("locks") / "requirements.txt")
    project.write("requirements.in", "alpha\ndelta\n")
    project.doit("dev")
    assert (project.path / "requirements.txt").is_symlink()
    assert "delta==1.0" in project.pins("locks/requirements.txt")
    assert "delta==1.0" in project.installed()
    assert project.doit("dev").ran == []
    project.doit("check")
