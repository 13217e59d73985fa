"""The default backend: virtualenv makes the venv, pip-compile (pip-tools) pins, the venv's own pip syncs.

pip-compile resolves for the Python it runs under and cannot be told another one. When the
venv's Python is the one running doit, pip-tools runs right here; otherwise doitenv keeps a
small tools venv for that interpreter in the user's cache, made once and reused, so pip-tools
never has to live in the project's venv.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Sequence
from importlib.metadata import PackageNotFoundError, requires, version
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.requirements import Requirement
from packaging.utils import InvalidSdistFilename, InvalidWheelFilename, parse_sdist_filename, parse_wheel_filename
from packaging.version import InvalidVersion

from doitenv import editable, files, output, reqfile, runner
from doitenv.backends import toolerrors
from doitenv.interpreter import Interpreter, running_version
from doitenv.runner import ToolFailure
from doitenv.venv import Venv

if TYPE_CHECKING:
    from doitenv.backends import Fetched
    from doitenv.locks import LockShape


def pip_env() -> dict[str, str]:
    """pip retries an unreachable index five times with back-off by default; once is enough to
    ride out a hiccup and still say "offline" in seconds. The user's own setting wins (read when
    pip runs, not at import)."""
    return {"PIP_RETRIES": os.environ.get("PIP_RETRIES", "1")}


# pip's words for a pin it found no file for, a file that does not match its hash, an index out of reach.
_NOT_FOUND = re.compile(r"No matching distribution found for (\S+)")
_BAD_HASH = re.compile(r"DO NOT MATCH THE HASHES.*?\n\s+(\S+) from", re.DOTALL)
_UNREACHABLE = re.compile(rf"Failed to establish a new connection: \[Errno -?\d+\] ([^'\"\)]+)|({toolerrors.OFFLINE})")
# pip's words for a release that failed to build, and one with no file for the venv's Python.
_NOT_BUILT = (
    re.compile(r"Failed to build '([A-Za-z0-9._-]+)' when"),  # pip 25 and later
    re.compile(
        r"(?:installing build dependencies|Getting requirements to build \w+|Preparing metadata "
        r"\(pyproject\.toml\)|Building wheel) for ([A-Za-z0-9._-]+) did not run successfully"
    ),  # fmt: skip
    re.compile(r"Failed building wheel for ([A-Za-z0-9._-]+)"),
    re.compile(r"Could not build wheels for ([A-Za-z0-9._-]+)"),
    # pip's "metadata generation failed" names the package only in its build folder's name.
    re.compile(r"/pip-(?:resolve|install|req-build|download)-[^/\s]+/([A-Za-z0-9.-]+?)_[0-9a-f]{32}\b"),
)
_NO_FILE = (re.compile(r"No matching distribution found for ([A-Za-z0-9._-]+)==([^\s;,]+)"),)
_WORDS = toolerrors.Words(_UNREACHABLE, _NOT_FOUND, _BAD_HASH, _NOT_BUILT, _NO_FILE)
# A release whose Requires-Python leaves out the venv's Python (pip names no version).
_WRONG_PYTHON = re.compile(r"Package '([A-Za-z0-9._-]+)' requires a different Python: \S+ not in '([^']+)'")
# pip's prompt after a 401 to a URL without credentials (it reads no input from doit: it stops).
_PROMPT = re.compile(r"^\s*User for (\S+?):(\s|$)")
# pip found nothing: what a refusing index, or one it ignored, looks like in its output.
_NOTHING_FOUND = re.compile(r"Could not find a version that satisfies|No matching distribution found")
_TOO_OLD = (  # resolve-as-of is pip's --uploaded-prior-to
    "no such option: --uploaded-prior-to",
    "tool.doitenv.resolve-as-of needs pip 26 or newer where pip-compile runs: upgrade pip there "
    '(pip install -U pip), or set backend = "uv"',
)


class PipTools:
    name: str = "pip-tools"
    extra: str | None = None

    @staticmethod
    def can_pin(shape: LockShape) -> bool:
        return shape.universal_from is None

    @staticmethod
    def explain_failure(output: str) -> ToolFailure:
        wrong = _WRONG_PYTHON.search(output)
        return toolerrors.read(
            output,
            _WORDS,
            wrong_python=(wrong.group(1), wrong.group(2)) if wrong else None,
            refused=toolerrors.refused(output, _PROMPT),
            found_nothing=bool(_NOTHING_FOUND.search(output)),
            fix=_TOO_OLD[1] if _TOO_OLD[0] in output else None,
        )

    def create_venv(self, python: str, venv: Venv) -> list[str]:
        return virtualenv_argv(python, venv.path)

    def install_argv(self, venv: Venv, requirements: list[str]) -> list[str]:
        return [str(venv.python), "-m", "pip", "install", "--quiet", *requirements]

    def index_environment(self, options: Sequence[reqfile.IndexOption]) -> dict[str, str]:
        return {**pip_env(), **pip_environment(options)}

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
        """pip-sync uninstalls first and installs after, so a failing install left a half-synced
        venv. pip itself prepares everything before it installs anything: install, then
        remove what the lock does not list (the project's editable install, when `with_project`,
        stays). The venv's own pip runs, so no pip-tools enters it."""
        pip = [str(venv.python), "-m", "pip"]
        # No bytecode up front, as uv does: Python writes it for the modules a run imports.
        # Compiling every installed file took a third of the install (1 s of 3 on a dev lock).
        # Not --quiet: pip's line for each file it fetches is how far it is (the output is captured).
        install = [
            *pip, "install", "--no-deps", "--no-compile", "--progress-bar", "off", "--requirement", str(lock)
        ]  # fmt: skip
        runner.run(install, capture=True, cwd=str(root), env=pip_env(), on_line=_PipFetches(fetched))
        if reinstall:  # pip keeps an installed version: the files of these changed all the same
            again = [*pip, "install", "--no-deps", "--no-compile", "--force-reinstall", "--quiet", *reinstall]
            runner.run(again, capture=True, cwd=str(root), env=pip_env())
        unlisted = _unlisted(venv, text, root, with_project)
        if unlisted:
            runner.run([*pip, "uninstall", "--quiet", "--yes", *unlisted], capture=True, cwd=str(root))

    @staticmethod
    def shaping_flags(shape: LockShape) -> list[str]:
        return [
            *(["--generate-hashes"] if shape.hashes else []),
            # Locks are committed: keep this machine's index, find-links and hosts out of them
            # (doitenv writes the project's own index options into the lock itself).
            "--no-emit-index-url", "--no-emit-find-links", "--no-emit-trusted-host",
            # pkg[extra] in a lock breaks -c layering in pip.
            "--strip-extras" if shape.strip_extras else "--no-strip-extras",
            # Pin pip and setuptools too when something needs them: the lock is the whole truth
            # (unless the project's locks leave them out: Project.lock_shape).
            *(["--allow-unsafe"] if shape.allow_unsafe else []),
            # Only releases uploaded by then (pip 26 and later; pip-tools hands it on to pip).
            *([f"--pip-args=--uploaded-prior-to={shape.cutoff}"] if shape.cutoff else []),
        ]  # fmt: skip

    def pin_argv(self, shape: LockShape, venv: Venv, in_file: str, output: str, upgrade: Sequence[str]) -> list[str]:
        tool = piptools_for(venv)  # may make the tools venv: only when a lock is pinned
        return [*tool, "compile", *self.shaping_flags(shape), *upgrade, "--quiet", "--output-file", output, in_file]

    def pinned_by(self, venv: Venv) -> str:
        return pinned_by(venv)

    def pin_environment(self, lock: str, options: Sequence[reqfile.IndexOption]) -> dict[str, str]:
        # pip lets a file's --index-url win over this machine's settings: nothing to pass on.
        return {**pip_env(), "CUSTOM_COMPILE_COMMAND": f"doit {lock}"}


class _PipFetches:
    """pip's output, read as it comes for the packages pip has fetched. pip says when it starts on
    a file (`Downloading x-1.0-py3-none-any.whl (1.2 MB)`, `Using cached ...`, `Processing
    ./wheels/x-1.0-...whl`); a package is fetched once pip goes on past it: to the next one
    (`Collecting`, `Requirement already satisfied`, another file) or to installing them all."""

    _STARTS = re.compile(r"^\s*(?:Downloading|Using cached|Processing) (\S+)")
    _GOES_ON = ("Collecting ", "Requirement already satisfied", "Installing collected packages")

    def __init__(self, fetched: Fetched) -> None:
        self.fetched = fetched
        self.current: str | None = None

    def __call__(self, line: str) -> None:
        starts = self._STARTS.match(line)
        name = _distribution_of(starts.group(1)) if starts else None
        if name is None and not line.lstrip().startswith(self._GOES_ON):
            return  # a metadata file (`x.whl.metadata`), a folder, anything else
        if self.current is not None:
            self.fetched.add(self.current)
        self.current = name


def _distribution_of(file: str) -> str | None:
    """The distribution a wheel or sdist is of, from its path or URL; None for anything else."""
    name = re.split(r"[/\\]", file.split("#")[0].split("?")[0])[-1]
    try:
        if name.endswith(".whl"):
            return parse_wheel_filename(name)[0]
        if name.endswith((".tar.gz", ".zip")):
            return parse_sdist_filename(name)[0]
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        pass
    return None


def virtualenv_argv(python: str, path: Path) -> list[str]:
    """virtualenv's command for a venv of `python` at `path`."""
    return [
        sys.executable, "-m", "virtualenv",
        # No setuptools: the venv must hold only the lock.
        "--no-setuptools",
        # No check against the index on every creation.
        "--no-periodic-update",
        "--quiet",
        "--python", python,
        str(path),
    ]  # fmt: skip


def piptools_for(venv: Venv) -> list[str]:
    """The argv prefix of pip-tools resolving for the venv's Python."""
    if venv.python_version() == running_version():
        return [sys.executable, "-m", "piptools"]
    tools, interpreter = _tools_venv(venv), Interpreter.at(venv.base_interpreter())
    if tools.problem(interpreter, PipTools.name, PipTools.name) is not None or not tools.script("pip-compile"):
        output.note(f"preparing pip-tools for Python {venv.python_version()} in {tools.path}")
        tools.create(interpreter, virtualenv_argv(interpreter.path, tools.path), PipTools.name)
        # The newest pip-tools that this interpreter supports, within doitenv's own bounds: the
        # release doitenv runs with may need a newer Python (pip-tools 7.7 needs 3.10).
        runner.run([str(tools.python), "-m", "pip", "install", "--quiet", own_requirement("pip-tools")])
    return [str(tools.python), "-m", "piptools"]


def _tools_venv(venv: Venv) -> Venv:
    """The tools venv that pins for the venv's Python: one per interpreter, and per bound of
    doitenv's on pip-tools (a new doitenv that needs a newer pip-tools makes a new one)."""
    interpreter = os.path.realpath(venv.base_interpreter())
    return Venv(files.cache_dir() / "tools" / files.digest([interpreter, own_requirement("pip-tools")])[:16])


def pinned_by(venv: Venv) -> str:
    """Which pip-tools pins for the venv's Python, as `pip-tools==7.6.2` (what the lock records)."""
    if venv.python_version() == running_version():
        return f"pip-tools=={version('pip-tools')}"
    for name in _tools_venv(venv).installed():
        distribution, _, found = name[: -len(".dist-info")].rpartition("-")
        if reqfile.normalized(distribution) == "pip-tools":
            return f"pip-tools=={found}"
    return "pip-tools"


def own_requirement(name: str) -> str:
    """doitenv's own requirement on `name`, as its metadata states it (`pip-tools>=7.4`)."""
    try:
        declared = [Requirement(line) for line in requires("doitenv") or []]
    except PackageNotFoundError:  # doitenv run from a source tree that was never installed
        return name
    found = [each for each in declared if reqfile.normalized(each.name) == name and not each.marker]
    return f"{name}{found[0].specifier}" if found else name


_PIP_VARIABLES = {
    "--index-url": "PIP_INDEX_URL",
    "--extra-index-url": "PIP_EXTRA_INDEX_URL",
    "--find-links": "PIP_FIND_LINKS",
    "--trusted-host": "PIP_TRUSTED_HOST",
}


def pip_environment(options: Iterable[reqfile.IndexOption]) -> dict[str, str]:
    """The options as pip's environment, for a pip run that reads no file holding them (the
    build requirements of the project): the file's index replaces this machine's, the rest adds."""
    found: dict[str, str] = {}
    for option in options:
        if option.flag == "--no-index":
            found["PIP_NO_INDEX"] = "1"
            continue
        value = reqfile.expand(option.value)
        if option.flag == "--find-links" and reqfile.is_local(value):
            value = str(reqfile.local_path(value, option.source))
        name = _PIP_VARIABLES[option.flag]
        before = found.get(name, "" if option.flag == "--index-url" else os.environ.get(name, ""))
        found[name] = f"{before} {value}".strip()
    return found


def _unlisted(venv: Venv, text: str, root: Path, with_project: bool) -> list[str]:
    """Installed distributions the lock (`text`) does not name, except pip (which does the work),
    the project's editable install (`with_project`) and what was installed from the lock's own
    local folders and archives (`-e ./sub`, `./libs/pkg`: a lock names them by path, not by name).
    A pin whose marker leaves it out for this venv is counted as named: pip-sync removed it, this keeps it."""
    listed = {*reqfile.pins(text), "pip"}
    # pip reads the lock's relative paths from the folder it runs in: the project's (sync).
    local = [reference.path(root) for reference in reqfile.local_references(text)]
    kept = {os.path.realpath(path) for path in local}
    found = []
    for site in venv.site_packages():
        for dist_info in site.glob("*.dist-info"):
            name = reqfile.normalized(dist_info.name[: -len(".dist-info")].rsplit("-", 1)[0])
            if name in listed or (with_project and editable.editable_target(dist_info) == os.path.realpath(root)):
                continue
            if editable.installed_from(dist_info) not in kept:
                found.append(name)
    return sorted(found)
