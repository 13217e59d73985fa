"""Lock files: what a lock was compiled from, whether it is fresh, and compiling it safely.

A lock's first line records two digests: one of its inputs (the .in file and every file it
pulls in with -r/-c, and its shape, resolvers.LockShape: the resolvers' flags and the Python it
was resolved for), and one of its own body (every pin, hash, marker and option in it). A lock
is fresh when both match, so freshness survives `git clone` and branch switches, where mtimes
and doit's local database say nothing, and a lock edited by hand is never taken for one
doitenv wrote.

Every user's committed locks carry these digests: a change to `inputs_digest`, to `body_digest`
or to what LockShape.parts gives them, makes all of them stale, and each user's next `doit` pins
them again. Bump resolvers.LOCK_FORMAT when the recipe changes. The digest of a fixed input is
pinned by tests/unit/test_locks.py.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import NamedTuple

from doitenv import files, reqfile, runner
from doitenv.resolvers import LockShape

HEADER = "# doitenv: inputs="
# why_stale's reason when only the inputs moved: the ordinary re-pin, which needs no explaining.
INPUTS_CHANGED = "its inputs changed since it was pinned"


class LockError(Exception):
    """A lock cannot be compiled; the message names the file and the fix."""


def read_requirements(path: Path) -> str:
    """A requirements file's text, decoded as pip decodes it (reqfile.decode)."""
    try:
        return reqfile.read(path)
    except reqfile.UnreadableFile as exc:
        raise LockError(f"{exc} and run again") from None


def includes(path: Path, text: str | None = None) -> list[tuple[str, Path]]:
    """The (`-r` or `-c`, path) lines of a requirements file (`text`, when it is not on disk
    yet), resolved as pip resolves them."""
    return reqfile.includes(path, read_requirements(path) if text is None else text)


def inputs(root: Path, in_file: str, text: str | None = None) -> list[Path]:
    """`in_file` (whose content is `text` when given) and every file it includes,
    transitively, each once."""
    top = root / in_file
    seen: list[Path] = []
    pending = [top]
    while pending:
        path = pending.pop(0)
        if path in seen:
            continue  # an include cycle: pip-compile reports it, the digest just stops
        seen.append(path)
        # Whatever its name: real projects keep unpinned inputs in .txt files that include more.
        if path == top and text is not None:
            pending += [included for _, included in includes(path, text)]
        elif path.is_file():
            try:
                pending += [included for _, included in includes(path)]
            except (LockError, OSError):
                pass  # check_inputs says what is wrong with it
    return seen


def inputs_digest(root: Path, in_file: str, shape: LockShape, text: str | None = None) -> str:
    parts: list[bytes | str] = [*shape.parts()]
    for path in inputs(root, in_file, text):
        # Relative even outside the project: the digest must be the same in every clone.
        parts.append(files.shown(path, root))
        try:
            parts.append(_requirement_lines(_content(path, root / in_file, text)))
        except OSError:
            parts.append("<missing>")
        except LockError:
            parts.append("<not readable>")
    return files.digest(parts)


def body_digest(text: str) -> str:
    """What a lock holds as pip reads it: every pin, hash, marker and option, and no comment (so
    neither the header line nor a `# via` annotation)."""
    return files.digest([_requirement_lines(text)])


def _content(path: Path, top: Path, text: str | None) -> str:
    """An input's text: `text` for the top file when it is generated, else the file's."""
    return text if text is not None and path == top else read_requirements(path)


def index_options(root: Path, in_file: str, text: str | None = None) -> list[reqfile.IndexOption]:
    """The index options `in_file` and every file it includes name, in order."""
    texts = {}
    for path in inputs(root, in_file, text):
        try:
            texts[path] = _content(path, root / in_file, text)
        except (OSError, LockError):
            pass  # check_inputs says what is wrong with it
    return reqfile.index_options(texts)


def _requirement_lines(text: str) -> str:
    """What a resolver reads from a requirements file, one logical line each. So an included
    lock counts by its pins, not by its digest line or its `# via` annotations."""
    return "\n".join(line.text for line in reqfile.logical_lines(text))


def pins(lock: Path) -> dict[str, str]:
    """{normalized name: version} of the packages a lock pins (empty when there is no lock)."""
    try:
        return reqfile.pins(reqfile.read(lock))
    except (OSError, reqfile.UnreadableFile):  # missing, or not written by doitenv
        return {}


class Header(NamedTuple):
    """A lock's first line: the digest of its inputs, the digest of its body (None in a lock
    written before the body was covered) and the Python it was resolved for."""

    inputs: str
    body: str | None
    python: str


def header_line(inputs: str, body: str, python: str) -> str:
    return f"{HEADER}{inputs} body={body} python={python}\n"


def recorded(lock: Path) -> Header | None:
    """What a lock's first line records, or None when it has no doitenv header."""
    try:
        with lock.open(encoding="utf-8") as handle:
            first = handle.readline()
    except (OSError, ValueError):
        return None
    if not first.startswith(HEADER):
        return None
    digest, *fields = first[len(HEADER) :].split()
    named = dict(field.partition("=")[::2] for field in fields)
    return Header(digest, named.get("body"), named.get("python", ""))


def why_stale(root: Path, in_file: str, lock: str, shape: LockShape, text: str | None = None) -> str | None:
    """Why `lock` is not what doitenv would write from its inputs as they are now, or None
    when it is: missing, never written by doitenv, its inputs changed, or its body no longer
    what its first line records (edited by hand)."""
    path = root / lock
    found = recorded(path)
    if found is None:
        return f"{lock} is missing" if not path.exists() else f"{lock} was not written by doitenv"
    if found.body is None:
        return f"{lock} was written by an older doitenv, whose first line did not cover the pins"
    if found.inputs != inputs_digest(root, in_file, shape, text):
        return INPUTS_CHANGED
    try:
        body = read_requirements(path)
    except (OSError, LockError):
        return f"{lock} cannot be read"
    if found.body != body_digest(body):
        return f"{lock} was edited by hand: its pins are not the ones doitenv wrote from its inputs"
    return None


def edited_by_hand(lock: Path) -> bool:
    """Does the lock's body differ from what its first line records?"""
    found = recorded(lock)
    if found is None or found.body is None:
        return False
    try:
        return found.body != body_digest(read_requirements(lock))
    except (OSError, LockError):
        return False


def is_fresh(root: Path, in_file: str, lock: str, shape: LockShape, text: str | None = None) -> bool:
    return why_stale(root, in_file, lock, shape, text) is None


def check_inputs(root: Path, in_file: str, layered_on: str | None, text: str | None = None) -> None:
    """Report the mistakes pip-compile would explain badly, before running it. With `text`,
    in_file is made from pyproject.toml's sources, and the files it names must exist."""
    path = root / in_file
    if text is None and not path.is_file():
        raise LockError(f"{in_file} is missing: create it, one requirement per line (it may be empty)")
    problems = []
    for each in inputs(root, in_file, text):
        if text is not None and each == path:
            problems += reqfile.problems(each, root, text, label="pyproject.toml's sources")
        elif each.is_file():
            # Raises on an encoding pip-compile would mangle.
            problems += reqfile.problems(each, root, read_requirements(each))
            for _, included in includes(each):
                if not included.is_file() and included != root / (layered_on or ""):
                    where, what = files.shown(each, root), files.shown(included, root)
                    problems.append(f"{where} includes {what}, which does not exist: create it, or remove that line")
    if problems:
        raise LockError("\n".join(problems))
    listed = list(includes(path, text))
    if text is not None:
        for _, included in listed:
            if not included.is_file() and included != root / (layered_on or ""):
                name = included.relative_to(root).as_posix()
                raise LockError(f"{name} is missing: create it, or take it out of tool.doitenv's sources")
    if layered_on is not None and (root / layered_on).resolve() not in {p.resolve() for f, p in listed if f == "-r"}:
        if text is not None:
            raise LockError(f"the dev sources in pyproject.toml do not layer on {layered_on}: add {layered_on!r}")
        line = Path(os.path.relpath(root / layered_on, path.parent)).as_posix()
        raise LockError(f"{in_file} does not layer on {layered_on}: add the line '-r {line}' at its top")


def compile_lock(
    root: Path,
    in_file: str,
    lock: str,
    shape: LockShape,
    compile_argv: Callable[[str], list[str]],
    text: str | None = None,
    environment: Mapping[str, str] | None = None,
    keep: str = "pins",
) -> None:
    """Pin `in_file` into `lock` with `compile_argv(output)` (and `environment`). On any failure
    `lock` stays byte for byte. With `text`, in_file is written for the resolver and removed
    after it. The index options of the inputs are written into the lock. The resolver starts
    from what `keep` says of the current lock: "pins" (all of it), "versions" (its requirement
    lines without their hashes, which both resolvers would otherwise copy) or "nothing"."""
    target = root / lock
    scratch = target.with_name(f".{target.name}.doitenv-compile")
    # The resolver keeps the pins of the file it writes to: start it from the current lock.
    if target.exists() and keep == "pins":
        shutil.copyfile(target, scratch)
    elif target.exists() and keep == "versions":
        kept = [entry.requirement for entry in reqfile.entries(read_requirements(target)) if entry.requirement]
        scratch.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
    else:
        scratch.unlink(missing_ok=True)
    # Digest the inputs as the resolver reads them: an edit during the run makes the lock stale.
    digest = inputs_digest(root, in_file, shape, text)
    index_lines = reqfile.lock_lines(index_options(root, in_file, text), target.parent)
    generated = root / in_file if text is not None else None
    try:
        if generated is not None:
            generated.write_text(text or "", encoding="utf-8")
        # The resolver runs in the project root: name the scratch file from there.
        runner.run(compile_argv(scratch.relative_to(root).as_posix()), capture=True, cwd=str(root), env=environment)
        body = scratch.read_bytes()
    except runner.CommandFailed as failed:
        source = "pyproject.toml" if generated else in_file
        offline = runner.unreachable(failed.output)
        if offline:
            raise LockError(
                f"{source}: could not reach the package index ({offline}), so {lock} is unchanged: "
                "check the network, or the index settings of pip (or uv)"
            ) from None
        details = "\n".join("  " + line for line in runner.error_lines(failed.output))
        raise LockError(f"{source}: could not pin it ({lock} is unchanged):\n{details}") from None
    finally:
        scratch.unlink(missing_ok=True)
        if generated is not None:
            generated.unlink(missing_ok=True)
    if generated is not None:
        # Annotations name the file the resolver read; the user wrote pyproject.toml.
        body = body.replace(f"-r {in_file}".encode(), b"pyproject.toml")
    body = _with_index_lines(body, index_lines)
    header = header_line(digest, body_digest(body.decode("utf-8")), shape.python)
    files.write_atomic(target, header.encode() + body)


def _with_index_lines(body: bytes, index_lines: list[str]) -> bytes:
    """The resolver writes no index options (this machine's pip settings must stay out of the
    lock); the project's own go where pip-compile would put them, after the header comment."""
    if not index_lines:
        return body
    lines = body.decode("utf-8").splitlines(keepends=True)
    first = next((i for i, line in enumerate(lines) if not line.startswith("#")), len(lines))
    block = "".join(line + "\n" for line in index_lines) + "\n"
    return "".join([*lines[:first], block, *lines[first:]]).encode("utf-8")
