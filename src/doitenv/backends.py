"""The two ways to make and sync a venv: virtualenv and pip (the pip-tools backend, the
default), or uv. What pins the locks for each is in resolvers.py.

Both sync the same way round: every package the lock needs is fetched, checked and built
before the first one is removed. A pin that does not exist, a bad hash or an index out of reach
then leaves the venv as it was. The project's own editable install is not theirs: see editable.py.
"""

from __future__ import annotations

import os
from pathlib import Path

from doitenv import editable, reqfile, runner
from doitenv.tools import PIP_ENV, find_uv
from doitenv.venv import Venv, virtualenv_argv


class PipTools:
    """virtualenv makes the venv, pip-compile pins (resolvers.py), the venv's own pip syncs."""

    name = "pip-tools"

    def create_venv(self, python: str, venv: Venv) -> list[str]:
        return virtualenv_argv(python, venv.path)

    def install_argv(self, venv: Venv, requirements: list[str]) -> list[str]:
        return [str(venv.python), "-m", "pip", "install", "--quiet", *requirements]

    def index_environment(self, options: list[reqfile.IndexOption]) -> dict[str, str]:
        """For installs that read no requirements file: the project's build requirements."""
        return {**PIP_ENV, **reqfile.pip_environment(options)}

    def sync(self, venv: Venv, lock: Path, text: str, root: Path, with_project: bool) -> None:
        """pip-sync uninstalls first and installs after, so a failing install left a half-synced
        venv. pip itself prepares everything before it installs anything: install, then
        remove what the lock does not list (the project's editable install, when `with_project`,
        stays). The venv's own pip runs, so no pip-tools enters it."""
        pip = [str(venv.python), "-m", "pip"]
        # No bytecode up front, as uv does: Python writes it for the modules a run imports.
        # Compiling every installed file took a third of the install (1 s of 3 on a dev lock).
        install = [*pip, "install", "--quiet", "--no-deps", "--no-compile", "--requirement", str(lock)]
        runner.run(install, capture=True, cwd=str(root), env=PIP_ENV)
        unlisted = _unlisted(venv, text, root, with_project)
        if unlisted:
            runner.run([*pip, "uninstall", "--quiet", "--yes", *unlisted], capture=True, cwd=str(root))


class Uv:
    """uv makes, pins (resolvers.py) and syncs."""

    name = "uv"

    def __init__(self) -> None:
        self.uv = find_uv()

    def create_venv(self, python: str, venv: Venv) -> list[str]:
        # No seed packages: uv needs no pip inside the venv, and uv pip sync would keep them.
        return [self.uv, "venv", "--quiet", "--no-project", "--python", python, str(venv.path)]

    def install_argv(self, venv: Venv, requirements: list[str]) -> list[str]:
        return [self.uv, "pip", "install", "--quiet", "--python", str(venv.python), *requirements]

    def index_environment(self, options: list[reqfile.IndexOption]) -> dict[str, str]:
        return reqfile.uv_environment(options)

    def sync(self, venv: Venv, lock: Path, text: str, root: Path, with_project: bool) -> None:
        """uv pip sync resolves, fetches and builds before it changes the venv. It removes the
        project's editable install too (the lock does not list it): sync.py puts it back."""
        argv = [self.uv, "pip", "sync", "--quiet", "--python", str(venv.python), str(lock)]
        runner.run(argv, capture=True, cwd=str(root), env=self.index_environment(reqfile.index_options({lock: text})))


def _unlisted(venv: Venv, text: str, root: Path, with_project: bool) -> list[str]:
    """Installed distributions the lock (`text`) does not name, except pip (which does the work)
    and editable installs of the project (`with_project`) or of the lock's own `-e` lines. A pin whose marker
    leaves it out for this venv is counted as named: pip-sync removed it, this keeps it."""
    listed = {*reqfile.pins(text), "pip"}
    kept = [*([root] if with_project else []), *reqfile.editable_paths(text, root)]
    editables = [os.path.realpath(path) for path in kept]
    found = []
    for site in venv.site_packages():
        for dist_info in site.glob("*.dist-info"):
            name = reqfile.normalized(dist_info.name[: -len(".dist-info")].rsplit("-", 1)[0])
            if name not in listed and editable.editable_target(dist_info) not in editables:
                found.append(name)
    return sorted(found)


def get(name: str) -> PipTools | Uv:
    """Raises tools.BackendMissing when uv is asked for and not installed."""
    return Uv() if name == "uv" else PipTools()
