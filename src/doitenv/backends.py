"""The two ways to make and sync a venv: virtualenv and pip (the pip-tools backend, the
default), or uv. What pins the locks for each is in resolvers.py.

Both sync the same way round: every package the lock needs, and the project's editable build,
is fetched, checked and built before the first one is removed. A pin that does not exist, a
bad hash, an index out of reach or a broken build then leaves the venv as it was (with hashes
and pip, the project alone goes first: see PipTools.sync).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import urlsplit

from doitenv import locks, reqfile, runner
from doitenv.tools import PIP_ENV, find_uv
from doitenv.venv import Venv, virtualenv_argv


class PipTools:
    """virtualenv makes the venv, pip-compile pins (resolvers.py), the venv's own pip syncs."""

    name = "pip-tools"

    def create_venv(self, python: str, venv: Venv) -> list[str]:
        return virtualenv_argv(python, venv.path)

    def sync(self, venv: Venv, lock: Path, text: str, root: Path, with_project: bool) -> None:
        """pip-sync uninstalls first and installs after, so a failing install left a half-synced
        venv. pip itself prepares everything before it installs anything: install, then
        remove what the lock does not list. The venv's own pip runs, so no pip-tools enters it."""
        pip = [str(venv.python), "-m", "pip"]
        install = [*pip, "install", "--quiet", "--no-deps", "--requirement", str(lock)]
        project = ["--editable", "."] if with_project else []
        if project and "--hash=" in text:
            # pip refuses an editable in hash-checking mode. The project goes first, on its own:
            # a broken build still changes nothing, and the lock's packages follow.
            runner.run([*pip, "install", "--quiet", "--no-deps", *project], capture=True, cwd=str(root), env=PIP_ENV)
            project = []
        runner.run([*install, *project], capture=True, cwd=str(root), env=PIP_ENV)
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

    def sync(self, venv: Venv, lock: Path, text: str, root: Path, with_project: bool) -> None:
        """uv pip sync resolves, fetches and builds before it changes the venv; the project
        goes in the same command, so its build is checked first too."""
        sources = [str(lock)]
        if with_project:
            # uv pip sync takes requirement files only; `.` is the working folder, the project.
            project = venv.path / ".doitenv-project.txt"
            project.write_text("--editable .\n", encoding="utf-8")
            sources.append(str(project))
        argv = [self.uv, "pip", "sync", "--quiet", "--python", str(venv.python), *sources]
        environment = reqfile.uv_environment(reqfile.index_options({lock: text}))
        runner.run(argv, capture=True, cwd=str(root), env=environment)


def _unlisted(venv: Venv, text: str, root: Path, with_project: bool) -> list[str]:
    """Installed distributions the lock (`text`) does not name, except pip (which does the work)
    and editable installs of the project (`with_project`) or of the lock's own `-e` lines. A pin whose marker
    leaves it out for this venv is counted as named: pip-sync removed it, this keeps it."""
    listed = {*locks.pins_in(text), "pip"}
    kept = [*([root] if with_project else []), *reqfile.editable_paths(text, root)]
    editables = [os.path.realpath(path) for path in kept]
    found = []
    for site in venv.site_packages():
        for dist_info in site.glob("*.dist-info"):
            name = locks.normalized(dist_info.name[: -len(".dist-info")].rsplit("-", 1)[0])
            if name not in listed and _editable_target(dist_info) not in editables:
                found.append(name)
    return sorted(found)


def _editable_target(dist_info: Path) -> str | None:
    """The real path of the folder an editable install points at (None if it is no editable)."""
    try:
        url = json.loads((dist_info / "direct_url.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not (isinstance(url, dict) and (url.get("dir_info") or {}).get("editable")):
        return None
    # Imported here: urllib.request pulls in http and ssl, which `doit list` must not pay for.
    from urllib.request import url2pathname

    return os.path.realpath(url2pathname(urlsplit(str(url.get("url", ""))).path))


def get(name: str) -> PipTools | Uv:
    """Raises tools.BackendMissing when uv is asked for and not installed."""
    return Uv() if name == "uv" else PipTools()
