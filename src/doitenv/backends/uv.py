"""The uv backend: uv makes the venv, pins and syncs. It alone pins universal locks (every
Python from a lowest one on, every platform, the markers kept on the pins), whatever the backend."""

from __future__ import annotations

import os
import re
import shutil
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from doitenv import reqfile, runner, sync
from doitenv.backends import toolerrors
from doitenv.errors import Failure
from doitenv.runner import ToolFailure
from doitenv.venv import Venv

# What pip-compile leaves out of a lock without --allow-unsafe (piptools.UNSAFE_PACKAGES).
UNSAFE = ("distribute", "pip", "setuptools")

if TYPE_CHECKING:
    from doitenv.backends import Fetched
    from doitenv.locks import LockShape


class BackendMissing(Failure):
    """uv is asked for and not installed where doit runs."""


# uv's words for a pin it found no release for, a file that does not match its hash, an index out of reach.
_NOT_FOUND = re.compile(r"there is no version of (\S+?)[ ,]|Because (\S+?) was not found")
_BAD_HASH = re.compile(r"[Hh]ash mismatch for `([^`]+)`")
_UNREACHABLE = re.compile(rf"({toolerrors.OFFLINE}|dns error|error sending request)")
# uv's words for a release that failed to build, and one with no file for the venv's Python.
_NOT_BUILT = (re.compile(r"Failed to (?:download and )?build `([A-Za-z0-9._-]+)(?:==([^`\s]+))?`"),)
_NO_FILE = (re.compile(r"Because ([A-Za-z0-9._-]+)==(\S+?) has no wheels with a matching Python"),)
_WORDS = toolerrors.Words(_UNREACHABLE, _NOT_FOUND, _BAD_HASH, _NOT_BUILT, _NO_FILE)


class Uv:
    name: str = "uv"
    extra: str | None = "uv"

    def __init__(self) -> None:
        self.uv = find_uv()

    @staticmethod
    def can_pin(shape: LockShape) -> bool:
        return True

    @staticmethod
    def explain_failure(output: str) -> ToolFailure:
        return toolerrors.read(output, _WORDS, refused=toolerrors.refused(output))  # uv's hint names the index

    def create_venv(self, python: str, venv: Venv) -> list[str]:
        # No seed packages: uv needs no pip inside the venv, and uv pip sync would keep them.
        return [self.uv, "venv", "--quiet", "--no-project", "--python", python, str(venv.path)]

    def install_argv(self, venv: Venv, requirements: list[str]) -> list[str]:
        return [self.uv, "pip", "install", "--quiet", "--python", str(venv.python), *requirements]

    def index_environment(self, options: Sequence[reqfile.IndexOption]) -> dict[str, str]:
        return uv_environment(options)

    def sync(
        self,
        venv: Venv,
        lock: Path,
        text: str,
        root: Path,
        with_project: bool,
        fetched: Fetched,
        reinstall: Sequence[str],
    ) -> None:
        """uv pip sync resolves, fetches and builds before it changes the venv. It removes the
        project's editable install too (the lock does not list it): sync.py puts it back."""
        environment = uv_environment(reqfile.index_options({lock: text}))
        fetched.watch(_Unpacked(self.uv, environment, time.time()))
        argv = [self.uv, "pip", "sync", "--quiet", "--python", str(venv.python), str(lock)]
        runner.run(argv, capture=True, cwd=str(root), env=environment)
        if reinstall:  # uv keeps an installed version, and its build of the folder: the files changed
            python = ["--python", str(venv.python)]
            again = [self.uv, "pip", "install", "--quiet", "--no-deps", "--reinstall", *python, *reinstall]
            runner.run(again, capture=True, cwd=str(root), env=environment)

    @staticmethod
    def shaping_flags(shape: LockShape) -> list[str]:
        # uv writes no index options and pins pip and setuptools unless told otherwise.
        universal = ["--universal", "--python-version", shape.universal_from] if shape.universal_from else []
        unsafe = [] if shape.allow_unsafe else [flag for name in UNSAFE for flag in ("--no-emit-package", name)]
        extras = "--strip-extras" if shape.strip_extras else "--no-strip-extras"
        as_of = ["--exclude-newer", shape.cutoff] if shape.cutoff else []
        return [*(["--generate-hashes"] if shape.hashes else []), extras, *unsafe, *universal, *as_of]

    def pin_argv(self, shape: LockShape, venv: Venv, in_file: str, output: str, upgrade: Sequence[str]) -> list[str]:
        # A universal lock is for every Python from universal_from on, and the interpreter only
        # builds sdists for their metadata; without one named, uv looks for (and tries to
        # download) that lowest Python, which took 10 s on a machine without it.
        python = venv.python
        if shape.universal_from and not python.is_file():
            python = Path(sys.executable)  # any interpreter builds sdists for a universal lock
        return [
            self.uv, "pip", "compile", *self.shaping_flags(shape), "--python", str(python), *upgrade,
            "--quiet", "--output-file", output, in_file,
        ]  # fmt: skip

    def pinned_by(self, venv: Venv) -> str:
        # `uv 0.9.5 (...)`: the binary that pinned, whichever install of uv it came from.
        words = runner.run([self.uv, "--version"], capture=True, quiet=True).split()
        return f"uv=={words[1]}" if len(words) > 1 else "uv"

    def pin_environment(self, lock: str, options: Sequence[reqfile.IndexOption]) -> dict[str, str]:
        return {**uv_environment(options), "UV_CUSTOM_COMPILE_COMMAND": f"doit {lock}"}


class _Unpacked:
    """The packages uv has fetched since `since` (seconds), found in its cache: uv prints nothing
    while it fetches side by side, and unpacks each wheel it fetches or builds into a folder of its
    own under archive-v0/, which holds the wheel's `.dist-info`. Looked for only when the heartbeat
    asks (a short sync pays nothing); the folders there before are looked at once."""

    def __init__(self, uv: str, environment: dict[str, str], since: float) -> None:
        self.uv, self.environment, self.since = uv, environment, since
        self.archive: Path | None = None
        self.seen: set[str] = set()

    def __call__(self) -> list[str]:
        if self.archive is None:
            try:  # wherever UV_CACHE_DIR, --cache-dir or uv.toml put it
                where = runner.run([self.uv, "cache", "dir"], capture=True, quiet=True, env=self.environment)
            except runner.CommandFailed:
                where = ""
            self.archive = Path(where.strip(), "archive-v0") if where.strip() else Path()
        try:
            entries = os.listdir(self.archive) if self.archive.name else []
        except OSError:
            return []
        found: list[str] = []
        for entry in entries:
            if entry in self.seen or entry.startswith("."):  # .tmp...: still being unpacked
                continue
            try:
                folder = self.archive / entry
                info = folder.stat()
                if max(info.st_mtime, info.st_ctime) < self.since:
                    self.seen.add(entry)  # in the cache before this sync
                    continue
                names = [name for name in os.listdir(folder) if name.endswith(".dist-info")]
            except OSError:
                continue
            if names:
                self.seen.add(entry)
                found += sync.distributions(names)
        return found


def find_uv() -> str:
    try:
        from uv import find_uv_bin  # the `doitenv[uv]` extra

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
    if found is None:
        raise BackendMissing(
            "pyproject.toml: tool.doitenv asks for uv (backend = 'uv' or universal = true), and uv is not "
            "installed where doit runs: pip install 'doitenv[uv]' (or uv itself)"
        )
    return found


def uv_environment(options: Iterable[reqfile.IndexOption]) -> dict[str, str]:
    """uv lets UV_INDEX_URL (and uv.toml) override a file's --index-url, where pip lets the file
    win: hand uv the file's index the strongest way, so the index the project names wins."""
    index_urls = [option.value for option in options if option.flag == "--index-url"]
    if not index_urls:
        return {}
    # UV_DEFAULT_INDEX is the newer name, and wins over UV_INDEX_URL when both are set.
    return {"UV_INDEX_URL": reqfile.expand(index_urls[-1]), "UV_DEFAULT_INDEX": reqfile.expand(index_urls[-1])}
