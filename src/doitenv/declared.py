"""Does the runtime lock satisfy what pyproject.toml's `[project].dependencies` declares?

The project is installed editable with --no-deps: the lock alone decides what is installed.
A dependency declared in pyproject.toml and missing from the lock (or pinned outside its
specifier) would surface as an ImportError at run time, so it is named before that.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from doitenv import locks, portable, reqfile
from doitenv.pyproject import Metadata


class Fix(NamedTuple):
    """What to tell the user when a dependency is not pinned at all, or pinned outside its range."""

    unpinned: str
    outside: str


def unmet(metadata: Metadata | None, root: Path, lock_name: str, fix: Fix, python_version: str) -> list[str]:
    """One line per dependency `metadata` ([project]) declares (markers evaluated for `python_version`)
    that the lock `lock_name` (in `root`) leaves out or pins outside its specifier; each names `fix`."""
    if metadata is None or not metadata.dependencies:
        return []
    from packaging.markers import default_environment
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    environment = {key: str(value) for key, value in default_environment().items()}
    if python_version:
        environment["python_version"] = python_version
    own_name = canonicalize_name(metadata.name or "")
    lock = root / lock_name
    try:  # its local folders too (`./libs/pkg`), which it names by path
        pinned = {**portable.local_names(reqfile.read(lock), root), **locks.pins(lock)}
    except (OSError, reqfile.UnreadableFile):
        pinned = {}
    problems = []
    for text in metadata.dependencies:
        try:
            requirement = Requirement(text)
        except InvalidRequirement as exc:
            problems.append(f"pyproject.toml: project.dependencies has {text!r}, which is not a requirement ({exc})")
            continue
        if requirement.marker is not None and not requirement.marker.evaluate(environment):
            continue
        name = canonicalize_name(requirement.name)
        if name == own_name:
            continue  # the project's own extras: its other dependencies are checked anyway
        if name not in pinned:
            problems.append(
                f"pyproject.toml: [project] depends on {requirement.name}, which {lock_name} does not pin: "
                f"{fix.unpinned} and run `doit dev`"
            )
        elif pinned[name] and not requirement.specifier.contains(pinned[name], prereleases=True):
            problems.append(
                f"pyproject.toml: [project] depends on {requirement.name}{requirement.specifier}, but "
                f"{lock_name} pins {requirement.name}=={pinned[name]}: {fix.outside}, then run `doit dev`"
            )
    return problems
