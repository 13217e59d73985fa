"""Does the venv import what the project asks for by name? Checked after each sync.

A resolver can pair an old pin with today's release of what it needs: pandas 1.1.3, built
against numpy 1, with numpy 2.0.2. Both install, the sync succeeds, and `import pandas` fails
(`numpy.dtype size changed`). So after a sync, the top-level modules of every package the
inputs name directly (the `.in` lines and `[project].dependencies`, not what those pull in) are
imported in the venv, in one short process. A sync runs only when something changed: a no-op
pays nothing.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from doitenv import files, fits, locks, reqfile, runner
from doitenv.errors import Failure
from doitenv.venv import Venv

# Run by the venv's own Python (3.9 or newer, standard library only), isolated (-I): no
# PYTHONPATH and no current folder on sys.path, so only what the venv holds is imported.
# argv: the distributions, as JSON; the modules not to import, as JSON. Prints, as JSON, one
# [distribution, module, error, where it was raised] for each module that does not import.
_PROBE = r"""
import fnmatch, importlib, importlib.metadata as metadata, json, sys
names, skipped = json.loads(sys.argv[1]), json.loads(sys.argv[2])

def top_level(dist):
    listed = (dist.read_text("top_level.txt") or "").split()
    if listed:
        return listed
    found = set()
    for path in dist.files or []:
        parts = path.parts
        if not parts or parts[0] in ("..", "__pycache__") or parts[0].endswith((".dist-info", ".data")):
            continue
        if len(parts) > 1 and path.suffix in (".py", ".so", ".pyd"):
            found.add(parts[0])
        elif len(parts) == 1 and path.suffix in (".py", ".so", ".pyd"):
            found.add(parts[0].split(".")[0])
    return sorted(found)

failed = []
for name in names:
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:  # asked for only when the lock installs it here
        failed.append([name, name, "NOT_INSTALLED", ""])
        continue
    every = [module for module in top_level(dist) if module.isidentifier() and module not in ("test", "tests")]
    # The distribution's own module when it has one (black, not blackd, which needs black[d]),
    # else its public ones (sklearn for scikit-learn).
    own = [module for module in every if module.lower().replace("_", "-") == name.lower().replace("_", "-")]
    for module in own or [module for module in every if not module.startswith("_")]:
        if any(fnmatch.fnmatchcase(module, pattern) for pattern in skipped):
            continue
        try:
            importlib.import_module(module)
        except BaseException as error:
            lines = str(error).strip().splitlines() or [""]
            failed.append([name, module, (type(error).__name__ + ": " + lines[-1]).strip(": "), raised_in(error)])
print(json.dumps(failed))
"""
# The distribution whose file raised the error (the innermost frame), as "name version": a
# package that does not import may be the victim of another (pydantic of typing-extensions).
_PROBE = _PROBE.replace(
    "failed = []\n",
    """def raised_in(error):
    import os, traceback
    frames = traceback.extract_tb(error.__traceback__)
    where = os.path.realpath(frames[-1].filename) if frames else ""
    for dist in metadata.distributions() if where else ():
        for path in dist.files or []:
            if path.suffix == ".py" and os.path.realpath(dist.locate_file(path)) == where:
                return dist.metadata["Name"] + " " + dist.version
    return ""

failed = []
""",
    1,
)


@dataclass(frozen=True)
class Direct:
    """A package the project names itself, and the file that names it (as the user reads it)."""

    name: str
    named_in: str


class ImportFailed(Failure):
    """A package the project names does not import in the synced venv."""


def check(
    venv: Venv, lock: Path, wanted: list[Direct], skipped: tuple[str, ...], root: Path, as_of: str | None
) -> None:
    """Import the top-level modules of `wanted` in `venv` (synced to `lock`), except `skipped`
    (module or distribution names, or fnmatch patterns of them: `*` skips the check); raise
    ImportFailed, one line per package, when any fails.
    `as_of`: the resolve-as-of setting, which a failure suggests when it is not set."""
    patterns = [reqfile.normalized(pattern) for pattern in skipped]
    # The names the lock installs into the venv: a line whose marker leaves it out for the venv's
    # Python is no import's business, nor is a direct requirement the lock does not pin.
    installs = set(reqfile.pins_for(reqfile.read(lock), venv.marker_environment()))
    names = [
        each.name
        for each in wanted
        if reqfile.normalized(each.name) in installs and not _matches(reqfile.normalized(each.name), patterns)
    ]
    if not names:
        return
    # One process per core, each with its share: a cold venv has no bytecode yet, and writing it
    # is most of the cost (bench/imports.py).
    shares = [names[start :: _cores()] for start in range(min(_cores(), len(names)))]
    argvs = [[str(venv.python), "-I", "-c", _PROBE, json.dumps(share), json.dumps(list(skipped))] for share in shares]
    with runner.heartbeat(f"importing what {files.shown(lock, root)} is pinned for"):
        outputs = runner.probe(argvs, cwd=str(venv.path))
    failed: list[list[str]] = []
    for argv, output in zip(argvs, outputs or [b""] * len(argvs)):
        try:
            failed += json.loads(output.decode("utf-8", "replace").strip().splitlines()[-1])
        except (ValueError, IndexError):  # the interpreter itself broke: ask it again, for its words
            try:
                runner.run(argv, capture=True, quiet=True, cwd=str(venv.path))
                detail = "no answer"
            except runner.CommandFailed as exc:
                detail = " ".join(exc.output.strip().splitlines()[-1:])
            raise ImportFailed(f"{venv.path.name}/: its Python could not import anything ({detail})") from None
    if not failed:
        return
    named_in = {reqfile.normalized(each.name): each.named_in for each in wanted}
    pins = locks.pins(lock)
    lines = []
    for name, module, error, raised_in in failed:
        source = named_in.get(reqfile.normalized(name), files.shown(lock, root))
        shown = name if reqfile.normalized(module) == reqfile.normalized(name) else f"{name} ({module})"
        day = None if as_of else fits.project_day(root, [root / source, lock])
        culprit = raised_in.split(" ")[0] if raised_in else ""
        if culprit and reqfile.normalized(culprit) != reqfile.normalized(name) and error != _NOT_INSTALLED:
            error += f", raised in {raised_in}"
            fix = (
                f"the error is {culprit}'s: `doit upgrade --package {culprit}` moves it to its newest allowed "
                f"release (or pin one that {name} works with in {source})"
            )
        else:
            fix = _fix(error, pins, source, module, day)
        what = "is not installed in" if error == _NOT_INSTALLED else "does not import in"
        why = "" if error == _NOT_INSTALLED else f" ({error})"
        lines.append(f"{source}: {shown} {what} {venv.path.name}/{why}: {fix}")
    # The sync record is not written: the next run syncs and checks again, and no test result
    # is cached over this venv.
    lines[-1] += f"; {venv.path.name}/ stays marked unsynced until it imports"
    raise ImportFailed("\n".join(lines))


def _cores() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def _matches(name: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


# What the probe says of a distribution the lock pins and the venv does not hold.
_NOT_INSTALLED = "NOT_INSTALLED"
# A compiled module built against an older major release of what it links to: numpy's own
# wording for numpy 1 modules under numpy 2, and Cython's check of a type's size.
_BUILT_AGAINST = (
    re.compile(r"compiled using (\w+) (\d+)\.x cannot be run in \w+ (\d+)", re.IGNORECASE),
    re.compile(r"\b(\w+)\.\w+ size changed, may indicate binary incompatibility"),
)


def _fix(error: str, pins: dict[str, str], source: str, module: str, day: str | None) -> str:
    """What to do: for a binary break with what it was built against, the bound to add (and the
    project's day, `day`, for resolve-as-of: the rest of its pins from its time); else a pin
    that imports, or the setting that leaves `module` out."""
    if error == _NOT_INSTALLED:
        return (
            "the lock pins it, and after the sync it is not there: run `doit dev` again, and if it stays missing, "
            "it went elsewhere (Python 3.9 reads a `$` in the venv's path as a variable, so its installers "
            "write beside it: move the project to a path without one)"
        )
    for pattern in _BUILT_AGAINST:
        found = pattern.search(error)
        if not found:
            continue
        needed = reqfile.normalized(found.group(1))
        version = pins.get(needed, "")
        major = version.split(".")[0]
        if major.isdigit():
            then = f'; or set resolve-as-of = "{day}" (the day git last changed {source} or its lock)' if day else ""
            return (
                f"it was built against an older {needed} than the {needed} {version} pinned: add the line "
                f"'{needed}<{major}' to {source}, then run `doit dev`{then}"
            )
    return (
        f"pin a version of it that imports here in {source}, then run `doit dev` (or, when it cannot be imported "
        f'here at all, such as without a display or a GPU, add "{module}" to tool.doitenv.skip-imports)'
    )


def direct(root: Path, inputs: list[locks.Inputs], layer_locks: set[Path], declared: list[str]) -> list[Direct]:
    """The packages named directly: each requirement line of `inputs` (following `-r` from file
    to file, but not into another layer's lock, `layer_locks`, whose own inputs are among
    `inputs`, nor into a `-c` constraint), then `declared` ([project].dependencies)."""
    found: dict[str, Direct] = {}
    for each in inputs:
        pending = [root / each.in_file]
        walked: set[Path] = set()
        while pending:
            path = pending.pop(0)
            if path in walked or path.resolve() in layer_locks or path not in each.texts:
                continue
            walked.add(path)
            text = each.texts[path]
            shown = "pyproject.toml" if each.generated and path == root / each.in_file else files.shown(path, root)
            for entry in reqfile.entries(text):
                name = _name(entry.requirement)
                if name:
                    found.setdefault(reqfile.normalized(name), Direct(name, shown))
            pending += [included for flag, included in reqfile.includes(path, text) if flag == "-r"]
    for requirement in declared:
        name = _name(requirement)
        if name:
            found.setdefault(reqfile.normalized(name), Direct(name, "pyproject.toml"))
    return list(found.values())


def _name(requirement: Any) -> str | None:
    """The distribution a requirement line names (`pandas==1.1.3`, `pkg[x] @ url`), or None."""
    found = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)", str(requirement))
    return found.group(1) if found else None
