"""Lock files: what a lock was pinned from, whether it is fresh, and pinning it safely.

A lock's first line records two digests: one of its inputs (the .in file and every file it
pulls in with -r/-c, and its shape, LockShape: the Python it was resolved for, with hashes or
not), and one of its own body (every pin, hash, marker and option in it). A lock is fresh when
both match, so freshness survives `git clone` and branch switches, where mtimes and doit's local
database say nothing, and a lock edited by hand is never taken for one doitenv wrote.

Every user's committed locks carry these digests: a change to how they are made (LockShape.parts,
`Inputs.digest`, `body_digest`) or to a backend's shaping flags (what a lock holds) must bump
LOCK_FORMAT (lockshape.py), which pins every lock again once, with a line saying why. The digest
of a fixed input, and each backend's flags, are pinned by tests/unit/test_locks.py.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from doitenv import files, portable, reqcheck, reqfile, runner
from doitenv.errors import Failure

# The shape and the first line are lockshape.py's; the lock's own modules and tests name them here.
from doitenv.lockshape import HEADER as HEADER
from doitenv.lockshape import LOCK_FORMAT as LOCK_FORMAT
from doitenv.lockshape import Header as Header
from doitenv.lockshape import LockShape as LockShape
from doitenv.lockshape import header_line as header_line
from doitenv.lockshape import recorded as recorded

# why_stale's reason when only the inputs moved: the ordinary re-pin, which needs no explaining.
INPUTS_CHANGED = "its inputs changed since it was pinned"
# What compile_lock starts the resolver from (its docstring says what each keeps).
Keep = Literal["pins", "versions", "nothing"]


class LockError(Failure):
    """A lock cannot be compiled; the message names the file and the fix."""


def read_requirements(path: Path) -> str:
    """A requirements file's text, decoded as pip decodes it (reqfile.decode)."""
    try:
        return reqfile.read(path)
    except reqfile.UnreadableFile as exc:
        raise LockError(f"{exc} and run again") from None


@dataclass(frozen=True)
class Inputs:
    """What a lock is pinned from, read once: the top file (or the text doitenv generates for it
    from pyproject.toml) and every file it includes with -r/-c, transitively, each once, in order."""

    root: Path
    in_file: str  # the file the resolver reads, relative to root
    generated: bool  # its text is made from pyproject.toml's sources, not a file of the user's
    paths: tuple[Path, ...]  # in the order the walk met them
    texts: dict[Path, str]  # each input's text
    unread: dict[Path, str]  # an input that could not be read: why, as the digest records it

    def digest(self, shape: LockShape) -> str:
        parts: list[bytes | str] = [*shape.parts()]
        for path in self.paths:
            # Relative even outside the project: the digest must be the same in every clone.
            parts.append(files.shown(path, self.root))
            parts.append(_requirement_lines(self.texts[path]) if path in self.texts else self.unread[path])
        return files.digest(parts)

    def index_options(self) -> list[reqfile.IndexOption]:
        """The index options the inputs name, in order."""
        return reqfile.index_options(self.texts)


def read_inputs(root: Path, in_file: str, text: str | None = None) -> Inputs:
    """The inputs of a lock pinned from `in_file`, whose content is `text` when doitenv generates it."""
    top = root / in_file
    paths: list[Path] = []
    texts: dict[Path, str] = {}
    unread: dict[Path, str] = {}
    pending = [top]
    while pending:
        path = pending.pop(0)
        if path in paths:
            continue  # an include cycle: pip-compile reports it, the walk just stops
        paths.append(path)
        try:
            content = text if text is not None and path == top else read_requirements(path)
        except OSError:
            unread[path] = "<missing>"
            continue
        except LockError:
            unread[path] = "<not readable>"  # check_inputs says what is wrong with it
            continue
        texts[path] = content
        # Whatever its name: real projects keep unpinned inputs in .txt files that include more.
        pending += [included for _, included in reqfile.includes(path, content)]
    return Inputs(root, in_file, text is not None, tuple(paths), texts, unread)


def body_digest(text: str) -> str:
    """What a lock holds as pip reads it: every pin, hash, marker and option, and no comment (so
    neither the header line nor a `# via` annotation)."""
    return files.digest([_requirement_lines(text)])


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


def moves(old: Mapping[str, str], new: Mapping[str, str]) -> list[tuple[str, str | None, str | None]]:
    """(name, old version or None, new version or None) of each package whose version differs
    between two {name: version} sets, sorted by name: what a sync or an upgrade moved."""
    names = sorted(old.keys() | new.keys())
    return [(name, old.get(name), new.get(name)) for name in names if old.get(name) != new.get(name)]


def why_stale(lock: str, inputs: Inputs, shape: LockShape) -> str | None:
    """Why `lock` is not what doitenv would write from its inputs as they are now, or None
    when it is: missing, never written by doitenv or by an older one, its inputs changed, or its
    body no longer what its first line records (edited by hand)."""
    path = inputs.root / lock
    try:
        text: str | None = read_requirements(path)  # read once: the no-op of `doit dev` asks this
    except (OSError, LockError):
        text = None
    if text is not None and reqfile.conflict_sides(text) is not None:
        return f"{lock} has merge conflicts from git"
    found = recorded(path)
    if found is None:
        return f"{lock} is missing" if not path.exists() else f"{lock} was not written by doitenv"
    if found.body is None:
        return f"{lock} was written by an older doitenv, whose first line did not cover the pins"
    if found.format != LOCK_FORMAT:
        return f"{lock} was written by an older doitenv, whose first line is made another way (only it changes)"
    if found.inputs != inputs.digest(shape):
        return INPUTS_CHANGED
    if text is None:
        return f"{lock} cannot be read"
    if found.body != body_digest(text):
        return f"{lock} was edited by hand: its pins are not the ones doitenv wrote from its inputs"
    placed = portable.absolute(text, inputs.root, inputs.texts.values())
    return f"{lock} names {placed} by an absolute path, which another clone cannot use" if placed else None


def conflicted(lock: Path) -> bool:
    """Did git leave merge conflict markers in the lock?"""
    try:
        return reqfile.conflict_sides(read_requirements(lock)) is not None
    except (OSError, LockError):
        return False


def edited_by_hand(lock: Path) -> bool:
    """Does the lock's body differ from what its first line records?"""
    found = recorded(lock)
    if found is None or found.body is None:
        return False
    try:
        return found.body != body_digest(read_requirements(lock))
    except (OSError, LockError):
        return False


def is_fresh(lock: str, inputs: Inputs, shape: LockShape) -> bool:
    return why_stale(lock, inputs, shape) is None


def check_inputs(
    inputs: Inputs, layered_on: str | None, *, layered: bool, lock: str = "", made: Sequence[str] = (), env: bool = True
) -> None:
    """Report the mistakes pip-compile would explain badly, before running it. When the top input is generated from
    pyproject.toml's sources, the files it names must exist, but for `layered_on` and `made`, locks pinned first.
    `layered`: the inputs hold `layered_on`'s pins. `env`: an unset ${NAME} counts (`doit check` pins nothing)."""
    root, in_file = inputs.root, inputs.in_file
    pinned_first = {os.path.normpath(root / name) for name in (layered_on, *made) if name}
    path = root / in_file
    generated = inputs.generated
    if not generated and path not in inputs.texts:
        if path.is_file():
            read_requirements(path)  # raises, naming the encoding pip-compile would mangle
        loose = _unpinned(root / lock) if lock else []
        if loose:
            shown = ", ".join(loose[:3]) + (", ..." if len(loose) > 3 else "")
            raise LockError(
                f"{in_file} is missing, and {lock} holds requirements that are not pinned ({shown}): it is the "
                f"input, not a lock: rename it (`git mv {lock} {in_file}`), then `doit dev` pins it into {lock}"
            )
        if layered_on is not None:  # its first line is the one a new user cannot guess
            line = Path(os.path.relpath(root / layered_on, path.parent)).as_posix()
            raise LockError(
                f"{in_file} is missing: create it with the line '-r {line}' (it layers on {layered_on}), "
                "then the tools you develop with, one per line"
            )
        raise LockError(f"{in_file} is missing: create it, one requirement per line (it may be empty)")
    problems = []
    for each in inputs.paths:
        if generated and each == path:
            problems += reqcheck.problems(each, root, inputs.texts[each], "pyproject.toml's sources", environment=env)
        elif each in inputs.texts and os.path.normpath(each) not in pinned_first:  # a lock is judged as one
            problems += reqcheck.problems(each, root, inputs.texts[each], environment=env)
            for _, included in reqfile.includes(each, inputs.texts[each]):
                if not included.is_file() and os.path.normpath(included) not in pinned_first:
                    where, what = files.shown(each, root), files.shown(included, root)
                    problems.append(f"{where} includes {what}, which does not exist: create it, or remove that line")
        elif each.is_file():
            read_requirements(each)  # raises, naming the encoding pip-compile would mangle
    if problems:
        raise LockError("\n".join(problems))
    listed = list(reqfile.includes(path, inputs.texts[path]))
    if generated:
        for _, included in listed:
            if not included.is_file() and os.path.normpath(included) not in pinned_first:
                name = included.relative_to(root).as_posix()
                raise LockError(f"{name} is missing: create it, or take it out of tool.doitenv's sources")
    if layered_on is not None and not layered:
        if generated:
            raise LockError(f"the dev sources in pyproject.toml do not layer on {layered_on}: add {layered_on!r}")
        line = Path(os.path.relpath(root / layered_on, path.parent)).as_posix()
        raise LockError(f"{in_file} does not layer on {layered_on}: add the line '-r {line}' at its top")


def _unpinned(lock: Path) -> list[str]:
    """The requirements of a file in a lock's place that pin nothing: a requirements.txt kept by hand."""
    try:
        text = read_requirements(lock)
    except (OSError, LockError):
        return []
    found = (entry.requirement for entry in reqfile.entries(text))
    return [requirement for requirement in found if requirement and not reqfile.pins(requirement)]


def compile_lock(
    inputs: Inputs,
    lock: str,
    shape: LockShape,
    compile_argv: Callable[[str, str], list[str]],
    environment: Mapping[str, str] | None = None,
    keep: Keep = "pins",
    folder: Path | None = None,
    pinned_by: Callable[[], str] = str,
    explain: Callable[[str], str | None] = lambda output: None,
    write: Callable[[Path, bytes], None] = files.write_atomic,
    *,
    failure: Callable[[str], runner.ToolFailure],
) -> None:
    """Pin `inputs` into `lock` with `compile_argv(input, output)`, both named from the folder the resolver runs in
    (`folder`: adoption.resolver_folder; default the project's), and `environment`. On any failure `lock` stays
    byte for byte; `write` puts it in place. A generated top input is written for the resolver and removed after
    it. The inputs' index options are written into the lock, made portable (portable.py). The resolver starts
    from what `keep` says of the current lock: "pins" (all of it), "versions" (its requirement lines without their
    hashes, which both resolvers would otherwise copy; of a lock git left conflicted, those both sides agree on) or
    "nothing". `pinned_by` names the resolver for the header, asked once it has run. Of a failed resolver's output,
    `failure` reads what it said (its backend's explain_failure), and `explain` the line that names the fix
    (fits.explain), when it finds one."""
    root, in_file, target = inputs.root, inputs.in_file, inputs.root / lock
    scratch = files.scratch(target, "compile")
    folder = folder or root
    # The inputs as they were read: one edited during the run makes the lock stale.
    digest = inputs.digest(shape)
    index_lines = reqfile.lock_lines(inputs.index_options(), target.parent)
    generated = root / in_file if inputs.generated else None
    try:
        # The resolver keeps the pins of the file it writes to: start it from the current lock.
        # (In the try: a full disk here must not leave a scratch file behind.)
        if target.exists() and keep == "pins":  # its local paths as the resolver reads them from its folder
            scratch.write_text(portable.relocated(read_requirements(target), root, folder, root), encoding="utf-8")
        elif target.exists() and keep == "versions":
            kept = reqfile.agreed_requirements(read_requirements(target))
            scratch.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
        else:
            scratch.unlink(missing_ok=True)
        if generated is not None:
            generated.write_text(inputs.texts[generated], encoding="utf-8")
        argv = compile_argv(_named_from(folder, root / in_file), _named_from(folder, scratch))
        with runner.heartbeat(f"pinning {lock}"):
            runner.run(argv, capture=True, cwd=str(folder), env=environment)
        body = scratch.read_bytes()
    except runner.CommandFailed as failed:
        source = "pyproject.toml" if generated else in_file
        # A first pin has nothing to keep unchanged.
        state = f"{lock} is unchanged" if target.exists() else f"{lock} is not written"
        said = failure(failed.output)
        if said.unreachable:
            raise LockError(
                f"{source}: could not reach the package index ({said.unreachable}), so {state}: "
                "check the network, or the index settings of pip (or uv)"
            ) from None
        details = "\n".join("  " + line for line in said.lines)
        hint = explain(failed.output)
        raise LockError(
            f"{source}: could not pin it ({state}):\n{details}" + (f"\n{source}: {hint}" if hint else "")
        ) from None
    finally:
        scratch.unlink(missing_ok=True)
        if generated is not None:
            generated.unlink(missing_ok=True)
    if generated is not None:
        # Annotations name the file the resolver read; the user wrote pyproject.toml.
        body = body.replace(f"-r {in_file}".encode(), b"pyproject.toml")
    text = portable.portable(body.decode("utf-8"), inputs.texts, folder, root, lock)
    body = portable.with_index_lines(text.encode("utf-8"), index_lines)
    header = header_line(digest, body_digest(body.decode("utf-8")), shape, pinned_by())
    write(target, header.encode() + body)


def _named_from(folder: Path, path: Path) -> str:
    return Path(os.path.relpath(path, folder)).as_posix()
