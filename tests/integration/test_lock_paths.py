"""What a lock says stays true in a clone in another folder: local paths relative to the project,
and the `${VAR}` references of the inputs unexpanded, whichever backend pins."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import Handler, ProjectFactory, TmpProject, serving

SUBFOLDER = """\
requirements-in = "requirements/base.in"
requirements = "requirements/base.txt"
dev-requirements-in = "requirements/dev.in"
dev-requirements = "requirements/dev.txt"
"""


def _package(project: TmpProject, folder: str, name: str, where: str) -> None:
    """A package of the project's own folders, that says where it was installed from."""
    project.write(
        f"{folder}/pyproject.toml",
        '[build-system]\nrequires = ["flit_core>=3.9"]\nbuild-backend = "flit_core.buildapi"\n\n'
        f'[project]\nname = "{name}"\nversion = "1.0"\ndescription = "a local package"\n',
    )
    project.write(f"{folder}/{name}/__init__.py", f"WHERE = {where!r}\n")


@pytest.mark.parametrize("layout", ["root", "subfolder"])
def test_a_clone_in_another_folder_installs_its_own_local_packages(
    new_project: ProjectFactory, backend: str, wheelhouse: Path, tmp_path: Path, layout: str
) -> None:
    """pip-compile wrote `localpkg @ file:///.../orig/libs/localpkg` and `-e file:///.../orig/sub`: a
    clone's `doit check` said fresh, and its venv held the original's code (or, the original moved
    away, could not be made)."""
    runtime, dev = ("requirements.txt", "requirements-dev.txt")
    if layout == "subfolder":
        runtime, dev = ("requirements/base.txt", "requirements/dev.txt")
    wheel = next(wheelhouse.glob("delta-1.0-*.whl")).name
    # pip and uv read a requirement's relative path from the folder they run in: the project's.
    requirements = f"alpha\n./libs/localpkg\n./vendor/{wheel}\n"
    dev_requirements = f"-r {Path(runtime).name}\n-e ./sub\n-e file:nested/tool\npytest\n"
    project = new_project("orig", requirements, dev_requirements, tool=SUBFOLDER if layout != "root" else "",
                          backend=backend)  # fmt: skip
    if layout == "subfolder":
        for name in ("requirements.in", "requirements-dev.in"):
            (project.path / name).unlink()
        project.write("requirements/base.in", requirements)
        project.write("requirements/dev.in", dev_requirements)
    for folder, name in (("libs/localpkg", "localpkg"), ("sub", "subpkg"), ("nested/tool", "toolpkg")):
        _package(project, folder, name, "orig")
    (project.path / "vendor").mkdir()
    shutil.copy(wheelhouse / wheel, project.path / "vendor")
    project.write(
        "tests/test_demo.py",
        "import delta, localpkg, subpkg, toolpkg\n\n\ndef test_own_copies():\n"
        "    assert (localpkg.WHERE, subpkg.WHERE, toolpkg.WHERE) == ('clone',) * 3\n",
    )
    project.doit("dev")
    for lock in (runtime, dev):
        text = project.read(lock)
        assert str(tmp_path) not in text and "file:" not in text, text
    assert "\n./libs/localpkg\n" in project.read(runtime)
    assert f"\n./vendor/{wheel}\n" in project.read(runtime)
    assert "\n-e ./sub\n" in project.read(dev) and "\n-e ./nested/tool\n" in project.read(dev)
    assert {"localpkg==1.0", "delta==1.0", "subpkg==1.0", "toolpkg==1.0"} <= project.installed(editable=True)
    assert "venv in step" in project.doit("check").output

    # A clone, as git makes it (no venv, no doit state); the original moves away.
    skip = shutil.ignore_patterns("venv", ".doit*", ".doitenv", "__pycache__")
    shutil.copytree(project.path, tmp_path / "clone", ignore=skip)
    project.path.rename(tmp_path / "moved")
    clone = TmpProject(tmp_path / "clone")
    for folder, name in (("libs/localpkg", "localpkg"), ("sub", "subpkg"), ("nested/tool", "toolpkg")):
        _package(clone, folder, name, "clone")
    clone.doit("check")
    result = clone.doit("test")
    assert result.compiled() == [], result.output  # the committed locks serve the clone as they are
    assert "1 passed" in result.output
    assert "locks fresh, layers agree, venv in step" in clone.doit("check").output

    # A lock an older doitenv wrote names the original's folder: not fresh, and pinned again.
    moved = (tmp_path / "moved" / "libs" / "localpkg").as_uri()
    clone.write_lock(runtime, clone.read(runtime).replace("\n./libs/localpkg\n", f"\nlocalpkg @ {moved}\n"))
    stale = clone.doit("check", ok=False).output
    assert f"{runtime} names {moved} by an absolute path, which another clone cannot use" in stale
    clone.doit("dev")
    assert "\n./libs/localpkg\n" in clone.read(runtime)
    clone.doit("check")


@contextlib.contextmanager
def _served(folder: Path) -> Iterator[str]:
    """The files of `folder` over http on 127.0.0.1, for the test's length; yields the base URL."""

    class Files(Handler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            path = folder / self.path.split("?")[0].lstrip("/")
            if path.is_file():
                self.reply(path.read_bytes())
            else:
                self.send_error(404)

    with serving(Files) as host:
        yield f"http://{host}"


def test_variables_of_the_inputs_stay_unexpanded_in_every_lock_line(
    new_project: ProjectFactory, backend: str, wheelhouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pip-compile expanded `${VAR}` into `# via -r http://...` and `# via -c http://...` lines and
    into a direct URL's pin, credential and all; uv kept the references."""
    served = tmp_path / "served" / "private-area"
    served.mkdir(parents=True)
    (served / "more.txt").write_text("gamma\n")
    (served / "limits.txt").write_text("beta<2\n")
    wheel = next(wheelhouse.glob("delta-1.0-*.whl")).name
    shutil.copy(wheelhouse / wheel, served)
    secret = "s3cr3t-t0ken-4-test"
    monkeypatch.setenv("AREA", "private-area")
    monkeypatch.setenv("SECRET_TOKEN", secret)
    # uv fetches the served files. Packages come from the wheel folder alone: `--no-index` below
    # (uv reads no UV_NO_INDEX; without it, uv asked PyPI and cached what it said for later tests).
    monkeypatch.delenv("UV_OFFLINE")
    with _served(tmp_path / "served") as base:
        requirements = (
            f"--no-index\nneeds-old-beta\n-r {base}/${{AREA}}/more.txt\n-c {base}/${{AREA}}/limits.txt\n"
            f"delta @ http://user:${{SECRET_TOKEN}}@{base.removeprefix('http://')}/${{AREA}}/{wheel}\n"
        )
        # Not installed: building it would fetch its build backend from an index.
        project = new_project(requirements=requirements, backend=backend, tool="install-project = false\n")
        result = project.doit("dev")
        assert {"gamma==1.0", "beta==1.0", "delta==1.0"} <= project.installed()
        for lock in ("requirements.txt", "requirements-dev.txt"):
            text = project.read(lock)
            assert secret not in text and "private-area" not in text, text
            assert f"delta @ http://user:${{SECRET_TOKEN}}@{base.removeprefix('http://')}/${{AREA}}/{wheel}" in text
            if backend == "pip-tools" and lock == "requirements.txt":  # uv writes no such `# via` line
                assert f"-r {base}/${{AREA}}/more.txt" in text and f"-c {base}/${{AREA}}/limits.txt" in text
        assert secret not in result.output
        project.doit("check")


WRITER = """\
import time

from flit_core.buildapi import *  # noqa: F403
from flit_core import buildapi


def build_wheel(*args, **kwargs):
    with open("localpkg/_built.py", "w") as out:
        out.write(f"AT = {time.time()!r}\\n")
    return buildapi.build_wheel(*args, **kwargs)
"""


def test_an_edit_to_a_local_package_installed_without_e_reaches_the_venv(
    new_project: ProjectFactory, backend: str
) -> None:
    """`./libs/localpkg` in a lock installs a copy. Its code edited at the same version, `doit dev`
    did nothing, `doit check` passed, and the tests ran against the old copy."""
    project = new_project(requirements="./libs/localpkg\n", backend=backend)
    _package(project, "libs/localpkg", "localpkg", "first")
    # Its build writes into its folder, as setuptools-scm writes a version file: no edit of the user's.
    project.write("libs/localpkg/writer.py", WRITER)
    pyproject = project.read("libs/localpkg/pyproject.toml")
    built_by_writer = pyproject.replace('"flit_core.buildapi"', '"writer"\nbackend-path = ["."]')
    project.write("libs/localpkg/pyproject.toml", built_by_writer)
    test = "import localpkg\n\n\ndef test_edited():\n    assert localpkg.WHERE == 'edited'\n"
    project.write("tests/test_demo.py", test)
    assert "1 failed" in project.doit("test", ok=False).output
    assert project.doit("dev").ran == []

    _package(project, "libs/localpkg", "localpkg", "edited")
    stale = project.doit("check", ok=False).output
    expected = "venv/ is out of step: ./libs/localpkg, which requirements-dev.txt installs (not editable), changed"
    assert expected in stale, stale
    result = project.doit("test")
    assert "1 passed" in result.output
    assert result.compiled() == []  # the lock is as it was: only the copy in the venv moved
    assert project.doit("dev").ran == []
    assert "venv in step" in project.doit("check").output
