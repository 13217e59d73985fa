"""The two ways to make, pin and sync a venv: pip-tools with virtualenv (the default), or uv.

Both write the same lock format with the same options, so a lock written by one is fresh for
the other: the digest on a lock's first line does not depend on the backend.

Both sync the same way round: every package the lock needs, and the project's editable build,
is fetched, checked and built before the first one is removed. A pin that does not exist, a
bad hash, an index out of reach or a broken build then leaves the venv as it was (with hashes
and pip, the project alone goes first: see PipTools.sync).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from doitenv import locks, reqfile, runner
from doitenv.venv import Venv

# pip retries an unreachable index five times with back-off by default; once is enough to
# ride out a hiccup and still say "offline" in seconds. The user's own setting wins.
TOOL_ENV = {"PIP_RETRIES": os.environ.get("PIP_RETRIES", "1")}


class BackendMissing(Exception):
    pass


class PipTools:
    name = "pip-tools"

    def create_venv(self, python: str, venv: Venv) -> list[str]:
        return [
            sys.executable, "-m", "virtualenv",
            # No setuptools: the venv must hold only the lock.
            "--no-setuptools",
            # No check against the index on every creation.
            "--no-periodic-update",
            "--quiet",
            "--python", python,
            str(venv.path),
        ]  # fmt: skip

    def compile(
        self,
        tool: list[str],
        venv: Venv,
        in_file: str,
        output: str,
        hashes: bool,
        upgrade: Sequence[str],
        universal_from: str | None = None,
    ) -> list[str]:
        assert universal_from is None, "pip-compile resolves for one Python only: universal locks use uv"
        return [
            *tool, "compile",
            *(["--generate-hashes"] if hashes else []),
            *upgrade,
            "--quiet",
            "--output-file", output,
            # Locks are committed: keep this machine's index, find-links and hosts out of them.
            "--no-emit-index-url", "--no-emit-find-links", "--no-emit-trusted-host",
            # pkg[extra] in a lock breaks -r/-c layering in pip.
            "--strip-extras",
            # Pin pip and setuptools too when something needs them: the lock is the whole truth.
            "--allow-unsafe",
            in_file,
        ]  # fmt: skip

    def environment(self, index_options: Sequence[reqfile.IndexOption]) -> dict[str, str]:
        """For pip-compile; pip lets a file's --index-url win over this machine's settings."""
        return TOOL_ENV

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
            runner.run([*pip, "install", "--quiet", "--no-deps", *project], capture=True, cwd=str(root), env=TOOL_ENV)
            project = []
        runner.run([*install, *project], capture=True, cwd=str(root), env=TOOL_ENV)
        unlisted = _unlisted(venv, text, root, with_project)
        if unlisted:
            runner.run([*pip, "uninstall", "--quiet", "--yes", *unlisted], capture=True, cwd=str(root))


class Uv:
    name = "uv"

    def __init__(self) -> None:
        self.uv = _find_uv()

    def create_venv(self, python: str, venv: Venv) -> list[str]:
        # No seed packages: uv needs no pip inside the venv, and uv pip sync would keep them.
        return [self.uv, "venv", "--quiet", "--no-project", "--python", python, str(venv.path)]

    def compile(
        self,
        tool: list[str],
        venv: Venv,
        in_file: str,
        output: str,
        hashes: bool,
        upgrade: Sequence[str],
        universal_from: str | None = None,
    ) -> list[str]:
        """For the venv's Python; with `universal_from` (a major.minor), for that Python and every
        later one and every platform, the markers kept on the pins."""
        target = (
            ["--universal", "--python-version", universal_from] if universal_from else ["--python", str(venv.python)]
        )
        return [
            self.uv, "pip", "compile",
            *(["--generate-hashes"] if hashes else []),
            *upgrade,
            "--quiet",
            *target,
            "--output-file", output,
            "--strip-extras",
            in_file,
        ]  # fmt: skip

    def environment(self, index_options: Sequence[reqfile.IndexOption]) -> dict[str, str]:
        return reqfile.uv_environment(index_options)

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
        options = reqfile.index_options({lock: text})
        runner.run(argv, capture=True, cwd=str(root), env=self.environment(options))


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
    return Uv() if name == "uv" else PipTools()


def _find_uv() -> str:
    try:
        from uv import find_uv_bin  # the `doitenv[uv]` extra

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
    if found is None:
        raise BackendMissing(
            "tool.doitenv.backend = 'uv' needs uv where doit runs: pip install 'doitenv[uv]' (or uv itself)"
        )
    return found
