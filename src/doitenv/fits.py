"""A pin that does not fit the venv's Python: one line naming the release, the Pythons it serves,
and the fixes.

An old project's pins meet a newer Python: pandas 1.1.3 has wheels for CPython 3.6 to 3.9, so
on 3.11 pip builds it from its sdist, and the build fails on lines that name no fix. Whether
pinning or syncing, with pip or uv, the backend reads the failure for the package it names; the index
says which Pythons that release has wheels for; the fixes are the `python` setting (naming an
installed Python that fits), the line of the `.in` file to move, and pins from the project's
time (`resolve-as-of`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from doitenv import files, interpreter, releases, reqfile, runner

# The Pythons doitenv may suggest, newest first.
_SUGGESTED = tuple(f"3.{minor}" for minor in range(14, interpreter.OLDEST_SUPPORTED[1] - 1, -1))


@dataclass(frozen=True)
class Context:
    """What the explanation names: the venv's Python and folder, the lock's pins, the inputs
    (path: text) whose lines may be moved, and the index options they give."""

    python: str
    venv: str
    pins: Mapping[str, str]
    inputs: Mapping[Path, str]
    root: Path
    options: Sequence[reqfile.IndexOption]
    installed: tuple[str, ...] = ()  # set by tests; else looked up


def explain(said: runner.ToolFailure, output: str, context: Context) -> str | None:
    """One line for a release that does not fit the venv's Python, from a failed pin's or
    sync's output (`said`: as its backend read it); None when it shows no such failure."""
    if said.fix:
        return said.fix
    wrong, found = said.wrong_python, said.not_built
    only_no_file = wrong is None and found is None  # a pinned release with no file here, if any
    if only_no_file:
        found = said.no_file
    if wrong is None and found is None:
        return None
    name = wrong[0] if wrong is not None else found[0]  # type: ignore[index]
    named = found[1] if found is not None else None
    version = named or _version(name, output, context)
    shown = f"{name} {version}" if version else name
    runs = f"{context.venv}/ runs Python {context.python}"
    listed = releases.files(name, releases.sources(context.options)) if version else []
    release = releases.of_version(name, version, listed) if version else []
    if only_no_file and not releases.coverage(release).has_wheels:
        return None  # no such release at all: the resolver's own words say it
    if wrong is not None:
        what = f"{shown} needs Python {wrong[1]} (its Requires-Python), and {runs}"
        fit = next((python for python in _installed(context) if _admits(wrong[1], python)), None)
    else:
        covered = releases.coverage(release) if release else None
        if covered is not None and covered.has_wheels and covered.fits(context.python):
            return None  # its wheels serve this Python: something else failed (a platform?)
        if covered is not None and covered.has_wheels:
            what = f"{shown} has wheels for {covered.described()}, and {runs}"
            fit = next((python for python in _installed(context) if covered.fits(python)), None)
        elif covered is not None:
            what = f"{shown} has only an sdist, which failed to build for Python {context.python} (the lines above)"
            fit = None
        else:
            what = f"{shown} could not be built for Python {context.python} (the lines above)"
            fit = None
    fixes = []
    if fit is not None and fit != context.python:
        # The rest of an old project's pins may want that release's time too (pandas 1.1.3
        # imports only beside numpy 1): the day it was uploaded, where the index says.
        day = releases.uploaded(release)
        then = f'; resolve-as-of = "{day}" there too pins the rest from {shown}\'s time' if day else ""
        fixes.append(f'set python = "{fit}" in pyproject.toml\'s [tool.doitenv] (installed here{then})')
    fixes.append(_move(name, version, context, listed))
    return f"{what}: {', or '.join(fixes)}"


def _version(name: str, output: str, context: Context) -> str | None:
    """The version that failed: as the lock pins it, else as the output names its sdist."""
    pinned = context.pins.get(reqfile.normalized(name))
    if pinned:
        return pinned
    for text in context.inputs.values():
        found = reqfile.pins(text).get(reqfile.normalized(name))
        if found:
            return found
    sdist = re.search(rf"{re.escape(name)}-(\d[A-Za-z0-9.+!_-]*?)\.(?:tar\.gz|zip)\b", output, re.IGNORECASE)
    return sdist.group(1) if sdist else None


def _move(name: str, version: str | None, context: Context, listed: Sequence[releases.File]) -> str:
    """The line of an input that names the package, to move (to the first release after
    `version` whose wheels fit, where the index lists one); or the line to add when none does."""
    first = releases.first_fitting(name, version, listed, context.python)
    to = f"a release that fits Python {context.python}" + (f" ({name} {first} is the first)" if first else "")
    for path, text in context.inputs.items():
        for entry in reqfile.entries(text):
            found = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)", entry.requirement)
            if found and reqfile.normalized(found.group(1)) == reqfile.normalized(name):
                where = files.shown(path, context.root)
                if _allows(entry.requirement, first):  # only the lock holds the old pin
                    allowed = f"the line '{entry.line.text}' in {where} allows it"
                    return f"`doit upgrade --package {name}` pins {to} ({allowed})"
                return f"move the line '{entry.line.text}' in {where} to {to}"
    first = files.shown(next(iter(context.inputs)), context.root) if context.inputs else "the .in file"
    bound = f"{name}!={version}" if version else name
    return f"add a line such as '{bound}' to {first} so that another release of it is pinned"


def _allows(requirement: str, first: str | None) -> bool:
    """Whether an input's requirement allows `first` (the first release that fits), or, with
    no such release known, bounds the version from above in no way."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        specifier = Requirement(requirement).specifier
    except InvalidRequirement:
        return False
    if first is not None:
        return specifier.contains(first, prereleases=True)
    return not any(each.operator in ("==", "===", "<", "<=", "~=") for each in specifier)


def _installed(context: Context) -> Sequence[str]:
    """The Pythons installed here that doitenv could use, newest first."""
    if context.installed:
        return context.installed
    return [python for python in _SUGGESTED if interpreter.installed(python, context.root)]


def _admits(requires: str, python: str) -> bool:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        return SpecifierSet(requires).contains(f"{python}.0")
    except InvalidSpecifier:
        return False


def project_day(root: Path, paths: Sequence[Path]) -> str | None:
    """The day (YYYY-MM-DD) git last committed any of `paths` (an .in file and its lock): when
    the project last chose its pins. None outside git or for files git does not track."""
    argv = ["git", "log", "-1", "--format=%cs", "--", *(files.shown(path, root) for path in paths)]
    try:
        day = runner.run(argv, capture=True, quiet=True, cwd=str(root)).strip()
    except runner.CommandFailed:
        return None
    return day if re.fullmatch(r"\d{4}-\d{2}-\d{2}", day) else None
