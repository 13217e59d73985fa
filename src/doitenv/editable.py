"""The project's editable install: built once per change of what it depends on, then reused.

pip builds the editable wheel on every sync, in a fresh isolated environment that installs the
build backend each time (about 3 s). doitenv instead:
- keeps one build environment per build requirements, interpreter and backend in the user's cache, so
  build isolation is paid once per backend, not once per sync;
- builds the editable wheel with `build` into .doitenv/editable/<venv>/, under a digest of what the
  wheel depends on: the [project] and [build-system] tables and the build backends' [tool.*]
  tables (or setup.py and setup.cfg), the interpreter, and the project's folder, which an
  editable wheel points at;
- installs that wheel with `installer`, in this process: no pip start-up, and no rebuild until
  one of those changes.
The wheel is built before the venv is touched, so a broken build changes nothing.
"""

from __future__ import annotations

import csv
import glob
import json
import os
import re
import shutil
import warnings
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from doitenv import files, output, runner
from doitenv.errors import Failure
from doitenv.filelock import exclusive
from doitenv.interpreter import Interpreter
from doitenv.venv import Venv

if TYPE_CHECKING:
    from doitenv.backends import Backend
    from doitenv.pyproject import Pyproject

CACHE = "editable"  # in the project's state folder: the cached wheel, under its key
BUILD_LOCK = "editable.build.lock"  # held while a wheel is built or the cache removed
_MARKER = "doitenv_editable.json"  # in the installed dist-info: which wheel it came from


class BuildFailed(Failure):
    """The project's build backend failed; `output` holds what it printed (sync.py shows it)."""

    def __init__(self, output: str) -> None:
        super().__init__("the project's editable build failed")
        self.output = output


# The tables of pyproject.toml's [tool] that build backends read, less their parts that are not
# about the build (environments, dev groups, indexes): an edit there must not rebuild the
# project's editable wheel, nor mark the venv out of step.
_BUILD_TOOLS_ALL = ("setuptools", "setuptools_scm", "setuptools-scm", "flit", "scikit-build", "maturin", "meson-python")
_NOT_BUILD = {
    "hatch": ("envs", "env"),
    "pdm": ("dev-dependencies", "scripts", "source", "resolution", "options"),
    "poetry": ("group", "dev-dependencies", "source"),
}
_ONLY_BUILD = {"uv": ("build-backend",)}


def _build_tables(tool: Mapping[str, Any]) -> dict[str, Any]:
    found = {name: tool[name] for name in _BUILD_TOOLS_ALL if name in tool}
    for name, dropped in _NOT_BUILD.items():
        if isinstance(tool.get(name), dict):
            found[name] = {key: value for key, value in tool[name].items() if key not in dropped}
    for name, kept in _ONLY_BUILD.items():
        if isinstance(tool.get(name), dict) and any(key in tool[name] for key in kept):
            found[name] = {key: value for key, value in tool[name].items() if key in kept}
    return found


# How build backends refuse a [project] table (validate-pyproject in setuptools, hatchling,
# pdm-backend, flit): each becomes `[project].key ...`, the name the user looks for in pyproject.toml.
_MISSING = re.compile(r"`project` must contain \[([^\]]*)\] properties")
_UNKNOWN = re.compile(r"`project` must not contain \{([^}]*)\} properties")
_UNSPECIFIED = re.compile(r"([\w-]+) must be specified under \[project\]")  # flit_core
_FIELD = re.compile(r"(?:Field |field )?`project\.([\w.-]+)` (.+)")
_KEYS = (
    "name version description readme requires-python license license-files authors maintainers keywords "
    "classifiers urls scripts gui-scripts entry-points dependencies optional-dependencies dynamic import-names"
).split()


def refused_project(output: str) -> str | None:
    """What a build backend refused in the [project] table, by key (`[project].version is
    missing`), or None when its output names no [project] key."""
    for line in output.splitlines():
        if found := _MISSING.search(line):
            keys = re.findall(r"'([^']+)'", found.group(1))
            verb = " is missing" if len(keys) == 1 else " are missing"
            return " and ".join(f"[project].{key}" for key in keys) + verb
        if found := _UNKNOWN.search(line):
            problems = []
            for key in re.findall(r"'([^']+)'", found.group(1)):
                spelled = key.replace("_", "-")
                known = f" (it is spelled {spelled})" if spelled != key and spelled in _KEYS else ""
                problems.append(f"[project].{key} is not a [project] key{known}")
            return "; ".join(problems)
        if found := _UNSPECIFIED.search(line):
            return f"[project].{found.group(1)} is missing"
        if found := _FIELD.search(line):
            return f"[project].{found.group(1)} {found.group(2).rstrip('.')}"
    return None


def build_inputs(root: Path, document: Pyproject) -> dict[str, Any] | None:
    """What the project's editable install is built from, or None when it declares no
    installable project: a [project] table, a setup.py, a setup.cfg with [metadata], or a
    Poetry project's [tool.poetry] with a name."""
    found: dict[str, Any] = {}
    for name in ("setup.py", "setup.cfg"):
        try:
            found[name] = (root / name).read_text(encoding="utf-8", errors="replace")
        except OSError:
            pass
    tools = _build_tables(document.tools)
    installable = (
        document.metadata is not None
        or "setup.py" in found
        # `build` needs a pyproject.toml or a setup.py to build from setup.cfg.
        or ("[metadata]" in found.get("setup.cfg", "") and (root / "pyproject.toml").is_file())
        or (document.poetry_name is not None and document.poetry_package)
    )
    if not installable:
        return None
    # The tables as written: the wheel's digest covers every key, not only those doitenv reads.
    if document.metadata is not None:
        found["project"] = document.metadata.table
    if document.build_system is not None:
        found["build-system"] = document.build_system
    if tools:
        found["tool"] = tools
    return found


def key(root: Path, build_inputs: dict[str, Any], interpreter: Interpreter) -> str:
    """What the editable wheel depends on; a new key is a new wheel."""
    described = json.dumps(build_inputs, sort_keys=True, default=str)
    return files.digest([described, interpreter.path, str(interpreter.signature), str(root.resolve())])[:24]


def wheel(
    root: Path, state_dir: Path, build_inputs: dict[str, Any], venv: Venv, backend: Backend, env: Mapping[str, str]
) -> tuple[Path, str]:
    """(the editable wheel for `venv`, its key), built first when it is not cached; `env` holds
    the project's index settings for the build requirements. Raises BuildFailed."""
    try:
        interpreter = Interpreter.at(venv.base_interpreter())
        wanted = key(root, build_inputs, interpreter)
        # One folder per venv: the test matrix syncs its venvs side by side.
        folder = state_dir / CACHE / venv.path.name / wanted
        built = sorted(folder.glob("*.whl"))
        if built:
            return built[0], wanted
        # One build at a time in the source tree: setuptools writes build/ and *.egg-info there.
        state_dir.mkdir(exist_ok=True)
        with exclusive(state_dir / BUILD_LOCK):
            scratch = folder.with_name(f".{wanted}.building")
            shutil.rmtree(scratch, ignore_errors=True)
            scratch.mkdir(parents=True)
            try:
                with warnings.catch_warnings():
                    _hide_backend_warnings()
                    _build(root, scratch, interpreter, backend, env)
                # Older wheels for this venv are of no use any more: one cached wheel per venv.
                for old in folder.parent.iterdir():
                    if old != scratch:
                        shutil.rmtree(old, ignore_errors=True)
                scratch.rename(folder)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
        return next(folder.glob("*.whl")), wanted
    except OSError as exc:
        raise BuildFailed(f"could not build the project's editable wheel: {exc}") from None


def _hide_backend_warnings() -> None:
    """The backend's warnings (deprecated license classifiers, a package it would leave out) come
    back as Python warnings since pyproject_hooks 1.2: hundreds of lines on a build that worked.
    A failed build still shows the backend's output."""
    import pyproject_hooks

    category = getattr(pyproject_hooks, "BuildBackendWarning", None)
    if isinstance(category, type) and issubclass(category, Warning):
        warnings.simplefilter("ignore", category)


def _build(root: Path, wheel_dir: Path, interpreter: Interpreter, backend: Backend, env: Mapping[str, str]) -> None:
    import build  # imported here: `doit list` must not pay for it
    import pyproject_hooks

    isolated: dict[str, str] = {}

    def run_hook(cmd: Sequence[str], cwd: str | None = None, extra_environ: Mapping[str, str] | None = None) -> None:
        # As build isolation runs a hook: the environment's scripts first on PATH (meson,
        # ninja, cmake), and none of the user's PYTHONPATH.
        runner.run(list(cmd), capture=True, cwd=cwd, env={**isolated, **(extra_environ or {})}, quiet=True)

    try:
        requires = sorted(build.ProjectBuilder(root, runner=run_hook).build_system_requires)
        environment = _build_environment(interpreter, requires, backend, env)
        isolated.update(PATH=f"{environment.bin}{os.pathsep}{os.environ.get('PATH', '')}", PYTHONPATH="")
        builder = build.ProjectBuilder(root, python_executable=str(environment.python), runner=run_hook)
        # Held while building: another project's extra build requirements may go into it.
        with exclusive(environment.path.with_name(environment.path.name + ".lock")):
            more = sorted(builder.get_requires_for_build("editable"))
            if more:
                runner.run(backend.install_argv(environment, more), capture=True, env=env)
            output.note(f"building the project's editable wheel with {', '.join(requires) or 'its backend'}")
            builder.build("editable", wheel_dir)
    except build.BuildBackendException as exc:
        cause = exc.exception
        if isinstance(cause, pyproject_hooks.HookMissing):
            raise BuildFailed(
                f"the build backend in [build-system] cannot build editable wheels (no {cause.hook_name} "
                "hook, PEP 660): require a newer one, such as setuptools>=64"
            ) from None
        raise BuildFailed(cause.output if isinstance(cause, runner.CommandFailed) else str(cause)) from None
    except build.BuildException as exc:  # pyproject.toml's [build-system] is not valid
        raise BuildFailed(str(exc)) from None
    except runner.CommandFailed as failed:  # the build requirements could not be installed
        raise BuildFailed(failed.output) from None


def _build_environment(interpreter: Interpreter, requires: list[str], backend: Backend, env: Mapping[str, str]) -> Venv:
    """A venv holding the build requirements, made once per (requirements, interpreter, backend)
    and shared by every project that builds with them."""
    digest = files.digest([interpreter.path, str(interpreter.signature), backend.name, *requires])[:16]
    environment = Venv(files.cache_dir() / "build" / digest)
    with exclusive(environment.path.with_name(environment.path.name + ".lock")):
        ready = environment.path / ".doitenv-ready"
        if not ready.is_file():
            output.note(f"preparing a build environment for {', '.join(requires)} in {environment.path}")
            shutil.rmtree(environment.path, ignore_errors=True)
            runner.run(backend.create_venv(interpreter.path, environment), capture=True)
            if requires:
                runner.run(backend.install_argv(environment, requires), capture=True, env=env)
            ready.write_text("\n".join(requires), encoding="utf-8")
    return environment


def installed(venv: Venv, root: Path) -> list[Path]:
    """The dist-info folders of editable installs of the project at `root` in `venv`."""
    target = os.path.realpath(root)
    return [
        dist_info
        for site in venv.site_packages()
        for dist_info in site.glob("*.dist-info")
        if editable_target(dist_info) == target
    ]


def is_installed(venv: Venv, root: Path, wanted: str) -> bool:
    """Whether the venv holds the project's editable install from the wheel of key `wanted`, alone."""
    found = installed(venv, root)
    return len(found) == 1 and files.read_json(found[0] / _MARKER) == {"key": wanted}


def install(venv: Venv, root: Path, built: Path, wanted: str) -> None:
    """Replace the project's editable install in `venv` with the wheel `built` (of key `wanted`).
    What an interrupted install left is replaced; a failure takes back what it wrote."""
    from installer import install as install_wheel
    from installer.destinations import SchemeDictionaryDestination
    from installer.exceptions import InstallerError
    from installer.sources import WheelFile
    from installer.utils import get_launcher_kind

    probe = "import json, sysconfig; print(json.dumps(sysconfig.get_paths()))"
    paths = json.loads(runner.run([str(venv.python), "-c", probe], capture=True, quiet=True))
    scheme = {name: paths[name] for name in ("purelib", "platlib", "scripts", "data")}
    # sysconfig's include folder is the base Python's; pip puts a venv's headers here.
    name = built.name.split("-")[0]
    scheme["headers"] = str(venv.path / "include" / "site" / f"python{venv.python_version()}" / name)
    written: list[Path] = []

    class Destination(SchemeDictionaryDestination):
        def write_to_fs(self, scheme: Any, path: str, stream: Any, is_executable: bool) -> Any:
            target = Path(self.scheme_dict[scheme], path)
            if target.is_file() or target.is_symlink():
                target.unlink()  # left by an interrupted install, or a script of the same name: pip replaces it too
            written.append(target)
            return super().write_to_fs(scheme, path, stream, is_executable)

    destination = Destination(scheme, str(venv.python), get_launcher_kind())
    direct_url = {"url": root.resolve().as_uri(), "dir_info": {"editable": True}}
    metadata = {
        "INSTALLER": b"doitenv\n",
        "direct_url.json": json.dumps(direct_url).encode(),
        _MARKER: json.dumps({"key": wanted}).encode(),
    }
    for site in venv.site_packages():
        # Every install of the project goes, also one an interruption left without its RECORD.
        for dist_info in {*installed(venv, root), *site.glob(f"{name}-*.dist-info")}:
            uninstall(dist_info, venv)
    try:
        with WheelFile.open(built) as source:
            install_wheel(source, destination, metadata)
    except BaseException as exc:
        for path in written:
            path.unlink(missing_ok=True)
        if isinstance(exc, (InstallerError, zipfile.BadZipFile)):
            raise Failure(f"{built.name} cannot be installed ({exc}); `doit distclean` builds it again") from None
        raise


def python_refused(built: Path, venv: Venv) -> str | None:
    """The project's Requires-Python, when the venv's Python is outside it: pip refuses to
    install such a project, and installer does not ask. None when it fits (or says nothing)."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        with zipfile.ZipFile(built) as archive:
            name = next(each for each in archive.namelist() if each.endswith(".dist-info/METADATA"))
            metadata = archive.read(name).decode("utf-8", "replace")
        found = re.search(r"^Requires-Python:\s*(.+?)\s*$", metadata, re.MULTILINE)
        allowed = SpecifierSet(found.group(1)) if found else None
    except (OSError, StopIteration, zipfile.BadZipFile, InvalidSpecifier):
        return None  # installing it says what is wrong with the wheel
    version = venv.marker_environment()["python_full_version"]
    return str(allowed) if allowed is not None and not allowed.contains(version, prereleases=True) else None


def remove_cut_short(venv: Venv, built: Path) -> None:
    """Remove an install of the wheel `built`'s project that was cut short before its RECORD was
    written: neither pip nor uv can uninstall it, and both refuse to sync around it."""
    name = built.name.split("-")[0]
    for site in venv.site_packages():
        for dist_info in site.glob(f"{name}-*.dist-info"):
            if not (dist_info / "RECORD").exists():
                uninstall(dist_info, venv)


def uninstall(dist_info: Path, venv: Venv) -> None:
    """Remove what an installed distribution's RECORD lists inside `venv`, then its dist-info."""
    site, inside, own = dist_info.parent, venv.path.resolve(), dist_info.resolve()
    try:
        record = (dist_info / "RECORD").read_text(encoding="utf-8")
    except OSError:
        record = ""
    emptied: set[Path] = set()
    for row in csv.reader(record.splitlines()):
        path = (site / row[0]).resolve() if row and row[0] else None
        if path and path.is_file() and path.is_relative_to(inside) and not path.is_relative_to(own):
            path.unlink()
            emptied.add(path.parent)
            # The bytecode Python wrote for it later, which no RECORD lists (pip removes it too).
            for compiled in path.parent.glob(f"__pycache__/{glob.escape(path.stem)}.*.pyc"):
                compiled.unlink()
                emptied.add(compiled.parent)
    shutil.rmtree(dist_info, ignore_errors=True)
    # The folders left empty go too, deepest first, as pip's uninstall does: an empty package
    # folder in site-packages is a namespace package that hides the project's editable install.
    for folder in sorted(emptied, key=lambda path: len(path.parts), reverse=True):
        while folder.is_dir() and folder != site.resolve() and folder.is_relative_to(inside):
            if any(folder.iterdir()):
                break
            folder.rmdir()
            folder = folder.parent


def editable_target(dist_info: Path) -> str | None:
    """The real path of the folder an editable install points at (None if it is no editable)."""
    return installed_from(dist_info, editable=True)


def installed_from(dist_info: Path, editable: bool = False) -> str | None:
    """The real path of the local folder or archive a distribution was installed from (its
    direct_url.json), None when it came from an index or a remote URL (or, `editable`, when it
    is no editable install)."""
    try:
        url = json.loads((dist_info / "direct_url.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(url, dict) or not str(url.get("url", "")).startswith("file:"):
        return None
    if editable and not (url.get("dir_info") or {}).get("editable"):
        return None
    # Imported here: urllib.request pulls in http and ssl, which `doit list` must not pay for.
    from urllib.request import url2pathname

    return os.path.realpath(url2pathname(urlsplit(str(url.get("url", ""))).path))
