"""Read pyproject.toml: the one place that loads the file and checks the tables doitenv reads.

`[project]` (PEP 621), Poetry's name and `[dependency-groups]` (PEP 735) come out as typed
values; a wrong type is a problem with its full key and the fix, every one of them at once
(`config.load` raises them with its own). A value of the wrong type is never used: before this
check, `dependencies = "abc"` was pinned as the three requirements a, b and c. `[tool.doitenv]`
is config.py's to check; other tools' tables stay as written, for the editable wheel's digest.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.9 and 3.10
    import tomli as tomllib

PYPROJECT = "pyproject.toml"
Wrong = Callable[[str, str, Any], None]  # (full key, what it must be, the value found): one problem


@dataclass(frozen=True)
class Metadata:
    """The `[project]` table: the keys doitenv reads, checked, and `table` as written (the
    editable wheel is built from all of it)."""

    name: str | None = None
    version: str | None = None
    requires_python: str | None = None
    dependencies: tuple[str, ...] = ()
    optional_dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Keys the build backend fills in: `dependencies` listed here means none of its own (PEP 621).
    dynamic: tuple[str, ...] = ()
    table: Mapping[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class Include:
    """`{include-group = "name"}` in a dependency group (PEP 735)."""

    group: str


@dataclass(frozen=True)
class Pyproject:
    """One pyproject.toml as doitenv reads it; the defaults are a project without the file."""

    metadata: Metadata | None = None  # None: no [project] table
    poetry_name: str | None = None  # [tool.poetry] name
    poetry_package: bool = True  # [tool.poetry] package-mode: false is a project Poetry does not install
    dependency_groups: Mapping[str, tuple[str | Include, ...]] = field(default_factory=dict)
    build_system: Any = None  # [build-system] as written (None without one): the build backend checks it
    tools: Mapping[str, Any] = field(default_factory=dict)  # [tool] as written, each tool's table its own
    problems: tuple[str, ...] = ()  # what is wrong in the file, one line each

    @property
    def name(self) -> str:
        """[project].name, else Poetry's; '' when neither names one."""
        for name in (self.metadata.name if self.metadata else None, self.poetry_name):
            if name and name.strip():
                return name.strip()
        return ""


def read(folder: Path) -> Pyproject:
    """The pyproject.toml in `folder`, checked; a folder without one reads as an empty file."""
    path = folder / PYPROJECT
    try:
        return parse(tomllib.loads(path.read_text(encoding="utf-8")), str(path))
    except FileNotFoundError:
        return Pyproject()
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        return Pyproject(problems=(f"{path}: not valid TOML ({exc}); fix the file",))
    except OSError as exc:
        return Pyproject(problems=(f"{path}: cannot be read ({exc.strerror or exc}); fix the file",))


def parse(data: Mapping[str, Any], path: str = PYPROJECT) -> Pyproject:
    """The tables of a loaded pyproject.toml, checked; each problem starts with `path`."""
    problems: list[str] = []

    def wrong(key: str, wanted: str, value: Any) -> None:
        problems.append(f"{path}: {key} must be {wanted}, not {value!r}")

    tools = data.get("tool", {})
    if not isinstance(tools, dict):
        problems.append(f"{path}: tool must be a table, as in [tool.doitenv]")
        tools = {}
    poetry = tools.get("poetry", {})
    if not isinstance(poetry, dict):
        wrong("tool.poetry", 'a table, as in [tool.poetry] name = "my-package"', poetry)
        poetry = {}
    poetry_name = _string(poetry, "name", "tool.poetry.name", '"my-package"', wrong)
    package = poetry.get("package-mode", True)
    if not isinstance(package, bool):
        wrong("tool.poetry.package-mode", "true or false", package)
        package = True
    return Pyproject(
        metadata=_metadata(data["project"], wrong) if "project" in data else None,
        poetry_name=poetry_name,
        poetry_package=package,
        dependency_groups=_groups(data.get("dependency-groups", {}), wrong),
        build_system=data.get("build-system"),
        tools=tools,
        problems=tuple(problems),
    )


def _metadata(table: Any, wrong: Wrong) -> Metadata | None:
    if not isinstance(table, dict):
        wrong("project", 'a table, as in [project] name = "my-package"', table)
        return None
    return Metadata(  # the keys in the order PEP 621 lists them, so are their problems
        name=_string(table, "name", "project.name", '"my-package"', wrong),
        version=_string(table, "version", "project.version", '"1.0"', wrong),
        requires_python=_string(table, "requires-python", "project.requires-python", '">=3.9"', wrong),
        dependencies=_strings(table.get("dependencies", []), "project.dependencies", wrong),
        optional_dependencies=_extras(table.get("optional-dependencies", {}), wrong),
        dynamic=_strings(table.get("dynamic", []), "project.dynamic", wrong, "[project] keys", "version"),
        table=table,
    )


def _extras(optional: Any, wrong: Wrong) -> dict[str, tuple[str, ...]]:
    if not isinstance(optional, dict):
        wanted = 'a table of lists, as in [project.optional-dependencies] test = ["pytest"]'
        wrong("project.optional-dependencies", wanted, optional)
        return {}
    return {
        extra: _strings(requirements, f"project.optional-dependencies.{extra}", wrong)
        for extra, requirements in optional.items()
    }


def _groups(groups: Any, wrong: Wrong) -> dict[str, tuple[str | Include, ...]]:
    if not isinstance(groups, dict):
        wrong("dependency-groups", 'a table of lists, as in [dependency-groups] dev = ["pytest"]', groups)
        return {}
    found: dict[str, tuple[str | Include, ...]] = {}
    for name, items in groups.items():
        if not isinstance(items, list) or not all(isinstance(item, str) or _include(item) for item in items):
            wanted = f'a list of requirement strings and {{include-group = "..."}} tables, such as {_listed(items)}'
            wrong(f"dependency-groups.{name}", wanted, items)
            continue
        found[name] = tuple(item if isinstance(item, str) else Include(item["include-group"]) for item in items)
    return found


def _include(item: Any) -> bool:
    return isinstance(item, dict) and isinstance(item.get("include-group"), str)


def _strings(
    value: Any, key: str, wrong: Wrong, what: str = "requirement strings", example: str = "requests>=2"
) -> tuple[str, ...]:
    if isinstance(value, list) and all(isinstance(each, str) for each in value):
        return tuple(value)
    wrong(key, f"a list of {what}, such as {_listed(value, example)}", value)
    return ()


def _string(table: dict[str, Any], key: str, full_key: str, example: str, wrong: Wrong) -> str | None:
    value = table.get(key)
    if value is None or isinstance(value, str):
        return value
    wrong(full_key, f"a string, such as {example}", value)
    return None


def _listed(value: Any, example: str = "requests>=2") -> str:
    """The list a user meant (`"abc"` -> `["abc"]`), else one like it: the fix, in TOML."""
    return json.dumps([value] if isinstance(value, str) and value.strip() else [example])
