"""Read `[tool.doitenv]` from pyproject.toml into one frozen `Config`.

Nothing else in doitenv reads pyproject.toml's settings (pyproject.py loads the file and checks
its other tables). Every problem, theirs and these, is collected and reported at once, each with
its full TOML key.
"""

from __future__ import annotations

import datetime
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from doitenv import editable, pyproject, sources
from doitenv.backends import registry
from doitenv.errors import Failure
from doitenv.pyproject import PYPROJECT as PYPROJECT  # the file's name, as the modules above know it
from doitenv.pyproject import Metadata, Pyproject

DEFAULT_TEST_COMMAND = ("pytest", "tests", "--cov=src", "-v", "--cov-report=term-missing")


class ConfigError(Failure):
    """pyproject.toml holds settings doitenv cannot use; `errors` lists them all, a line each."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass(frozen=True)
class Config:
    root: Path
    venv: str = "venv"
    python: str | None = None  # None: the interpreter that runs doit
    requirements_in: str = "requirements.in"
    requirements: str = "requirements.txt"
    dev_requirements_in: str = "requirements-dev.in"
    dev_requirements: str = "requirements-dev.txt"
    test_command: tuple[str, ...] = DEFAULT_TEST_COMMAND
    backend: str = registry.DEFAULT
    hashes: bool = False  # --generate-hashes: every sync runs in pip's hash-checking mode
    # Pin pip and setuptools / keep `pkg[extra]` out of the locks. None: as each lock already
    # is (a project adopting doitenv keeps its locks' style), else as the other locks, else yes (Project.lock_shape).
    allow_unsafe: bool | None = None
    strip_extras: bool | None = None
    # More layers: .in files (tool.doitenv.locks, globs expanded), each pinned into the .txt beside it.
    layer_inputs: tuple[str, ...] = ()
    pythons: tuple[str, ...] = ()  # more interpreters to test on, each with a venv of its own
    # One lock for every Python of a range and every platform, pinned by uv (see backends/uv.py).
    universal: bool = False
    universal_python: str | None = None  # the range; None: [project].requires-python
    # Where each lock's requirements come from (see sources.py); None: the .in file alone.
    requirements_from: tuple[str, ...] | None = None
    dev_requirements_from: tuple[str, ...] | None = None
    # The text of the input each `*-from` setting makes (sources.input_text); None without one.
    requirements_from_text: str | None = None
    dev_requirements_from_text: str | None = None
    requires_python: str | None = None  # [project].requires-python
    metadata: Metadata | None = field(default=None, compare=False)  # [project], checked (pyproject.py)
    # [project].name, Poetry's, else the folder's: the project's name as its users know it.
    project_name: str = field(default="", compare=False)
    # None: pre-commit when configured, else ruff. A tuple of commands replaces both.
    format_commands: tuple[tuple[str, ...], ...] | None = None
    # None: every file git would not ignore. Patterns in .gitignore syntax narrow the set.
    test_inputs: tuple[str, ...] | None = None
    # More environment variables (fnmatch patterns) that shape a test run, beyond testrun's own.
    test_env: tuple[str, ...] = ()
    format_inputs: tuple[str, ...] | None = None
    # Modules or distributions (fnmatch patterns) the check after a sync does not import: those
    # that cannot be imported without a display or a GPU, or slow ones; "*" turns it off (imports.py).
    skip_imports: tuple[str, ...] = ()
    # Pin from the releases uploaded by this day ("2020-10-15") or moment (ISO 8601, UTC): an old
    # project's pins from its own time. None: today's releases.
    resolve_as_of: str | None = None
    # What the editable install is built from (editable.build_inputs). None: the project
    # declares nothing to install.
    build_inputs: dict[str, Any] | None = field(default=None, compare=False)
    # False: the venv holds the locks alone, never the project (uv's `package = false`): a
    # project of scripts and notebooks, or one whose [project] table was never meant to build.
    install_project: bool = True
    pre_commit_hook: bool = True  # False: `dev` leaves pre-commit's git hook out (and removes doitenv's)
    show_commands: bool = False  # True: each tool's command line is printed before it runs

    @property
    def editable_inputs(self) -> dict[str, Any] | None:
        """What the project's editable install is built from, or None when the venv holds no install of it."""
        return self.build_inputs if self.install_project else None

    def __post_init__(self) -> None:
        if not self.project_name:
            object.__setattr__(self, "project_name", self.root.name)


# TOML key -> (Config attribute, kind). Paths are project-relative file names.
_KEYS = {
    "venv": ("venv", "path"),
    "python": ("python", "str"),
    "requirements-in": ("requirements_in", "path"),
    "requirements": ("requirements", "path"),
    "dev-requirements-in": ("dev_requirements_in", "path"),
    "dev-requirements": ("dev_requirements", "path"),
    "test-command": ("test_command", "command"),
    "backend": ("backend", "backend"),
    "format-commands": ("format_commands", "commands"),
    "hashes": ("hashes", "bool"),
    "allow-unsafe": ("allow_unsafe", "bool"),
    "strip-extras": ("strip_extras", "bool"),
    "locks": ("layer_inputs", "strings"),  # patterns, expanded at load
    "pythons": ("pythons", "strings"),
    "universal": ("universal", "bool"),
    "universal-python": ("universal_python", "str"),
    "requirements-from": ("requirements_from", "sources"),
    "dev-requirements-from": ("dev_requirements_from", "sources"),
    "test-inputs": ("test_inputs", "patterns"),
    "test-env": ("test_env", "strings"),
    "format-inputs": ("format_inputs", "patterns"),
    "skip-imports": ("skip_imports", "strings"),
    "resolve-as-of": ("resolve_as_of", "date"),
    "install-project": ("install_project", "bool"),
    "pre-commit-hook": ("pre_commit_hook", "bool"),
    "show-commands": ("show_commands", "bool"),
}
_SOURCE_FOLDERS = ("src", "tests", ".git", ".doitenv")


def load(root: Path) -> Config:
    """Read the settings of the project at `root`; raise ConfigError listing every problem."""
    path = root / PYPROJECT
    document = pyproject.read(root)
    table = document.tools.get("doitenv", {})
    if not isinstance(table, dict):
        raise ConfigError([*document.problems, f"{path}: tool.doitenv must be a table"])
    requires_python = document.metadata.requires_python if document.metadata else None

    errors: list[str] = list(document.problems)  # [project]'s, reported with [tool.doitenv]'s
    values: dict[str, Any] = {}
    for key, value in table.items():
        full_key = f"tool.doitenv.{key}"
        if key not in _KEYS:
            errors.append(f"{path}: {full_key} is not a doitenv setting (known: {', '.join(_KEYS)})")
            continue
        attribute, kind = _KEYS[key]
        problem = _check(kind, value, document)
        if problem:
            errors.append(f"{path}: {full_key} {problem}")
        else:
            values[attribute] = _convert(kind, value)
    if errors:
        raise ConfigError(errors)
    if values.get("universal"):
        requires = values.get("universal_python") or requires_python
        if not isinstance(requires, str) or lowest_python(requires) is None:
            raise ConfigError([
                f"{path}: tool.doitenv.universal = true needs the range of Pythons to resolve for, with a lower "
                "bound: set [project].requires-python (such as '>=3.9') or tool.doitenv.universal-python"
            ])  # fmt: skip
        values["universal_python"] = requires
    if "layer_inputs" in values:
        venv = values.get("venv", "venv")
        values["layer_inputs"], errors = _layer_inputs(root, values["layer_inputs"], venv, path)
        if errors:
            raise ConfigError(errors)
    for setting in ("requirements_from", "dev_requirements_from"):
        if values.get(setting) is not None:
            values[f"{setting}_text"] = sources.input_text(values[setting], document)
    uv_table = document.tools.get("uv")
    if "install_project" not in values and isinstance(uv_table, dict) and uv_table.get("package") is False:
        values["install_project"] = False  # the project already told uv not to install it
    config = Config(
        root=root,
        build_inputs=editable.build_inputs(root, document),
        requires_python=requires_python,
        project_name=document.name,
        metadata=document.metadata,
        **values,
    )
    errors = _check_layout(config, path)
    if errors:
        raise ConfigError(errors)
    return config


def lowest_python(requires: str) -> str | None:
    """The lowest major.minor a `requires-python` range allows, or None when it has no lower bound."""
    bounds = [(int(major), int(minor)) for major, minor in re.findall(r"(?:>=|~=|==|>)\s*(\d+)\.(\d+)", requires)]
    return "{}.{}".format(*max(bounds)) if bounds else None


def _check(kind: str, value: Any, data: Pyproject) -> str | None:
    if kind == "date":
        if as_of(value) is None:
            return f'must be a day or a moment, such as "2020-10-15" or "2020-10-15T12:00:00Z", not {value!r}'
        return None
    if kind == "command":
        return None if _is_command(value) else f"must be a command: a string or a list of strings, not {value!r}"
    if kind == "bool":
        return None if isinstance(value, bool) else f"must be true or false, not {value!r}"
    if kind in ("strings", "sources", "patterns"):
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            return f"must be a list of strings, not {value!r}"
    if kind == "patterns":
        from doitenv.inputs import pattern_problem

        for pattern in value:
            problem = pattern_problem(pattern)
            if problem:
                return f"has {pattern!r}, which is no .gitignore-style pattern ({problem})"
        return None
    if kind == "sources":
        for source in value:
            problem = sources.problem(source, data) if sources.is_table(source) else _check("path", source, data)
            if problem:
                return problem
        return None
    if kind == "strings":
        return None
    if kind == "commands":
        if isinstance(value, list) and value and all(_is_command(v) for v in value):
            return None
        return f"must be a list of commands (each a string or a list of strings), not {value!r}"
    if not isinstance(value, str) or not value.strip():
        return f"must be a non-empty string, not {value!r}"
    if kind == "backend" and value not in registry.REGISTRY:
        return f"must be one of {', '.join(map(repr, registry.REGISTRY))}, not {value!r}"
    if kind == "path":
        pure = PurePosixPath(value.replace("\\", "/"))
        if pure.is_absolute() or ":" in value or ".." in pure.parts:
            return f"must be a path inside the project, relative to pyproject.toml, not {value!r}"
    return None


def as_of(value: Any) -> str | None:
    """A `resolve-as-of` value as doitenv records it ("2020-10-15", or "2020-10-15T12:00:00Z" in
    UTC), or None when it is neither: a TOML date or date-time, or a string of either."""
    if isinstance(value, str):
        try:
            value = datetime.date.fromisoformat(value.strip())
        except ValueError:
            try:
                value = datetime.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            except ValueError:
                return None
    if isinstance(value, datetime.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)
        return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return None


def _is_command(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)


def _convert(kind: str, value: Any) -> Any:
    if kind == "date":
        return as_of(value)
    if kind == "command":
        return tuple(shlex.split(value) if isinstance(value, str) else value)
    if kind == "commands":
        return tuple(_convert("command", command) for command in value)
    if kind in ("strings", "sources", "patterns"):
        return tuple(value)
    if kind == "path":
        # Task names and doit targets are compared as strings: keep one spelling.
        return str(PurePosixPath(value.replace("\\", "/")))
    return value


def _layer_inputs(root: Path, patterns: tuple[str, ...], venv: str, path: Path) -> tuple[tuple[str, ...], list[str]]:
    """The .in files `tool.doitenv.locks` names, its globs expanded, in a stable order; and what
    is wrong with the setting (a pattern outside the project or not a glob, matching nothing or
    no .in file). A glob leaves out hidden files and folders (doitenv's scratch inputs, .git,
    .tox), the venv, and setuptools' MANIFEST.in, which no pattern means."""
    found: dict[str, None] = {}
    errors = []
    for pattern in patterns:
        problem = _check("path", pattern, Pyproject())
        if problem:
            errors.append(f"{path}: tool.doitenv.locks {problem}")
            continue
        pattern = pattern.replace("\\", "/")
        try:
            every = [match.relative_to(root) for match in root.glob(pattern) if match.is_file()]
        except ValueError as exc:  # such as '**.in' (`**` must be a whole path part)
            errors.append(
                f"{path}: tool.doitenv.locks has {pattern!r}, which is no glob ({exc}): such as 'requirements/*.in'"
            )
            continue
        matches = sorted(
            match.as_posix()
            for match in every
            if not any(part.startswith(".") for part in match.parts)
            and match.parts[0] != PurePosixPath(venv).parts[0]
            and match.name != "MANIFEST.in"
        )
        if not matches:
            errors.append(
                f"{path}: tool.doitenv.locks has {pattern!r}, which matches no file: name .in files, such as "
                "'requirements/*.in'"
            )
        for match in matches:
            if not match.endswith(".in"):
                errors.append(f"{path}: tool.doitenv.locks matches {match}, which is no .in file: narrow {pattern!r}")
            found[match] = None
    return tuple(found), errors


def _check_layout(config: Config, path: Path) -> list[str]:
    errors = []
    if config.venv in (".", *_SOURCE_FOLDERS):
        errors.append(
            f"{path}: tool.doitenv.venv = {config.venv!r} would put the venv over the project's "
            "own files; pick a folder of its own, such as 'venv'"
        )
    files = {
        "requirements-in": config.requirements_in,
        "requirements": config.requirements,
        "dev-requirements-in": config.dev_requirements_in,
        "dev-requirements": config.dev_requirements,
    }
    for in_file in config.layer_inputs:
        if in_file not in (config.requirements_in, config.dev_requirements_in):
            files[f"locks ({in_file})"] = in_file[: -len(".in")] + ".txt"
    seen: dict[str, str] = {}
    for key, name in files.items():
        if name in seen:
            errors.append(f"{path}: tool.doitenv.{key} and tool.doitenv.{seen[name]} both name {name!r}")
        seen[name] = key
    return errors
