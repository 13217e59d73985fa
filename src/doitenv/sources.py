"""Where a lock's requirements come from: requirements files, or tables of pyproject.toml.

A source is a path to a requirements file (`requirements.in`, or the runtime lock for the dev
layer), `project` ([project.dependencies]), `extra:NAME` ([project.optional-dependencies]) or
`group:NAME` ([dependency-groups], PEP 735). Several sources are joined into one input that
the resolver reads; its text is what the lock's digest covers.
"""

from __future__ import annotations

from collections.abc import Mapping

from doitenv.pyproject import Include, Pyproject

TABLE_PREFIXES = ("extra:", "group:")


def is_table(source: str) -> bool:
    return source == "project" or source.startswith(TABLE_PREFIXES)


def problem(source: str, pyproject: Pyproject) -> str | None:
    """Why `source` cannot be read from `pyproject`, or None."""
    if not is_table(source):
        return None
    try:
        requirements(source, pyproject)
    except KeyError as missing:
        return f"names {source!r}, but pyproject.toml has no {missing.args[0]}"
    return None


def requirements(source: str, pyproject: Pyproject) -> list[str]:
    """The requirement strings of a pyproject.toml table source."""
    project = pyproject.metadata
    if source == "project":
        # Without these checks a setup.py project (click 8.1.7) got an empty lock, silently.
        if project is None:
            raise KeyError("[project] table (setup.py's and setup.cfg's requirements are not read: name a file)")
        if "dependencies" in project.dynamic:
            raise KeyError("[project] dependencies of its own (they are dynamic: name a requirements file instead)")
        return list(project.dependencies)
    kind, _, name = source.partition(":")
    if kind == "extra":
        extras = project.optional_dependencies if project else {}
        if name not in extras:
            raise KeyError(f"[project.optional-dependencies] {name}")
        return list(extras[name])
    return _group(name, pyproject.dependency_groups, ())


def _group(name: str, groups: Mapping[str, tuple[str | Include, ...]], seen: tuple[str, ...]) -> list[str]:
    if name not in groups:
        raise KeyError(f"[dependency-groups] {name}")
    if name in seen:
        return []  # an include cycle; PEP 735 forbids it, and there is nothing more to add
    found: list[str] = []
    for item in groups[name]:
        if isinstance(item, Include):
            found += _group(item.group, groups, (*seen, name))
        else:
            found.append(item)
    return found


def described(sources: tuple[str, ...]) -> str:
    """Where a user adds a requirement to the layer pinned from `sources`, as messages name it:
    the tables of pyproject.toml among them (`pyproject.toml's [dependency-groups] dev`), else
    its last file (the first is often the lock below it)."""
    tables = [_table_name(source) for source in sources if is_table(source)]
    if tables:
        return "pyproject.toml's " + " and ".join(tables)
    return sources[-1] if sources else "pyproject.toml"


def _table_name(source: str) -> str:
    if source == "project":
        return "[project] dependencies"
    kind, _, name = source.partition(":")
    return f"[project.optional-dependencies] {name}" if kind == "extra" else f"[dependency-groups] {name}"


def input_text(sources: tuple[str, ...], pyproject: Pyproject) -> str:
    """One requirements file joining `sources`: files are pulled in with -r."""
    lines = []
    for source in sources:
        if is_table(source):
            lines += [f"# from pyproject.toml: {source}", *requirements(source, pyproject)]
        else:
            lines.append(f"-r {source}")
    return "\n".join(lines) + "\n"
