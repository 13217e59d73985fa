"""The lock tasks: pin a layer's lock when it is stale (`requirements.txt`,
`requirements-dev.txt`), check every lock and the venv (`check`), move pins on purpose (`upgrade`)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from doitenv import (
    adoption,
    files,
    fits,
    indexes,
    interpreter,
    journal,
    layers,
    locks,
    output,
    releases,
    reqfile,
    runner,
    sync,
)
from doitenv.backends import registry
from doitenv.caches import for_the_run
from doitenv.config import lowest_python
from doitenv.errors import Failure, if_stopped
from doitenv.interpreter import InterpreterNotFound
from doitenv.layers import Layer
from doitenv.project import Project
from doitenv.tasks.access import changing
from doitenv.tasks.environments import sync_env, unmet_dependencies


def pin(
    project: Project,
    layer: Layer,
    upgrade: Sequence[str] = (),
    write: Callable[[Path, bytes], None] = files.write_atomic,
) -> None:
    """Pin the layer's lock; `upgrade` (--upgrade, --upgrade-package X) pins even a fresh one.
    `write` puts the lock in place (an upgrade's journal hears of the bytes first)."""
    lock, root = layer.lock, project.root
    with changing(project):
        # Read once: staleness, checks, index options and the lock's digest all come from it.
        inputs, shape = layer.read_inputs(root), project.lock_shape(layer)
        stale = locks.why_stale(lock, inputs, shape)
        if not upgrade and stale is None:
            return  # another doit process pinned it while this one waited
        _refuse_broken_layers(project, layer)
        _refuse_disagreeing_includes(project, layer, bool(upgrade))
        pinner = project.pinner()
        _say_if_resolved_for_another_python(project, lock)
        _say_if_hashes_go(project, lock, shape)
        _say_if_undated(shape, inputs.index_options(), pinner.name)
        for line in indexes.warnings(inputs.index_options(), inputs.texts, root):
            output.warn(line)
        # A hand-edited lock is pinned again from the edits (the resolver keeps a version the
        # inputs allow) but never keeps a hash it did not compute itself.
        conflicted = locks.conflicted(root / lock)
        edited = conflicted or locks.edited_by_hand(root / lock)
        if conflicted:
            agreed = len(reqfile.agreed_requirements(locks.read_requirements(root / lock)))
            output.note(
                f"{stale}: pinning it again from {layer.source} (as merged), starting from the {agreed} "
                f"pins both sides agree on; commit the result"
            )
        elif stale not in (None, locks.INPUTS_CHANGED) and not upgrade and (root / lock).exists():
            # (A first pin is no pin "again": the next line says what happens.)
            output.note(f"{stale}: pinning it again from {layer.source}")
        output.note(f"pinning {layer.source} into {lock} for {shape.target}")

        def pin_argv(input: str, output: str) -> list[str]:
            try:
                return pinner.pin_argv(shape, project.venv, input, output, upgrade)
            except runner.CommandFailed as failed:  # pip-tools could not be made for the venv's Python
                raise Failure(f"{lock}: could not prepare pip-tools ({failed})\n{failed.output}") from None

        def by() -> str:
            return pinner.pinned_by(project.venv)

        def explain(output: str) -> str | None:
            context, said = project.fit_context(layer), pinner.explain_failure(output)
            refused = indexes.refused(said, context.options, context.inputs, root)
            ignored = indexes.ignored(said, context.options, context.inputs, root)
            return refused or ignored or fits.explain(said, output, context)

        environment = pinner.pin_environment(lock, inputs.index_options())
        folder = adoption.resolver_folder(inputs, project.locks_from(layer))
        failure = pinner.explain_failure
        try:
            keep: locks.Keep = "versions" if edited else "pins"
            locks.compile_lock(
                inputs, lock, shape, pin_argv, environment, keep, folder, by, explain, write, failure=failure
            )
        except locks.LockError:
            if not edited:
                raise
            # The edits conflict with the inputs: they are what must go, not the inputs.
            output.note(f"the edits to {lock} do not fit {layer.source}: pinning it afresh from {layer.source}")
            locks.compile_lock(
                inputs, lock, shape, pin_argv, environment, "nothing", folder, by, explain, write, failure=failure
            )


def input_problems(project: Project, layer: Layer, *, environment: bool = True) -> list[str]:
    """What is wrong with the layer's inputs that pinning would meet (locks.check_inputs): read
    from the files alone, no process. `environment`: a ${NAME} that is not set counts."""
    layered = layer.below is None or layers.reaches(project.layers, layer, layer.below)
    inputs = layer.read_inputs(project.root)
    try:
        locks.check_inputs(inputs, layer.below, layered=layered, lock=layer.lock, made=layer.pulls_in, env=environment)
    except locks.LockError as error:
        problems = str(error).splitlines()
        elsewhere = [] if inputs.generated or (project.root / inputs.in_file).exists() else _unread_inputs(project)
        if elsewhere:
            shown = ", ".join(elsewhere[:3]) + (", ..." if len(elsewhere) > 3 else "")
            problems.append(
                f"this project keeps requirements in {shown}: to pin those, set requirements-in and "
                'dev-requirements-in, or locks = ["requirements/*.in"], in [tool.doitenv] (see the README\'s '
                '"Adopting doitenv in a pip-tools project")'
            )
        return problems
    return []


def _unread_inputs(project: Project) -> list[str]:
    """The .in files at the top or one folder down that no layer reads: an adopted project's own."""
    read = {project.root / layer.source for layer in project.layers}
    found = [*project.root.glob("*.in"), *project.root.glob("*/*.in")]
    return sorted(
        files.shown(path, project.root)
        for path in found
        if path.name != "MANIFEST.in" and path not in read and not (path.parent / "pyvenv.cfg").exists()
    )


def _refuse_broken_layers(project: Project, layer: Layer) -> None:
    """Every layer's inputs are checked before the first lock is written: a mistake in the dev
    layer found only after the runtime lock moved leaves the locks apart."""
    own = input_problems(project, layer)
    if own:
        raise locks.LockError("\n".join(own))
    others = [problem for each in project.layers if each != layer for problem in input_problems(project, each)]
    if others:
        raise locks.LockError("\n".join([*others, f"so {layer.lock} is not pinned either, until every layer can be"]))


def disagreeing_includes(project: Project, layer: Layer) -> list[tuple[str, str]]:
    """(package, what two locks the layer pulls in pin of it differently), for each such pair:
    both cannot hold in one lock, and pip's own error names neither lock."""
    pinned = {lock: locks.pins(project.root / lock) for lock in layer.pulls_in}
    found = []
    for first, second in itertools.combinations(layer.pulls_in, 2):
        for name in sorted(pinned[first].keys() & pinned[second].keys()):
            if pinned[first][name] != pinned[second][name]:
                found.append((
                    name,
                    f"{layer.source} pulls in {first}, which pins {name}=={pinned[first][name]}, and {second}, "
                    f"which pins {name}=={pinned[second][name]}",
                ))  # fmt: skip
    return found


def _refuse_disagreeing_includes(project: Project, layer: Layer, upgrading: bool) -> None:
    found = disagreeing_includes(project, layer)
    if not found:
        return
    names = sorted({name for name, _ in found})
    if upgrading:  # the newest each lock allows still differ: their inputs allow no common version
        fix = f"their inputs allow no common version of {', '.join(names)}: give them the same bound"
    else:
        fix = f"run `doit upgrade {' '.join(f'--package {name}' for name in names)}` to move them together"
    state = "is unchanged" if (project.root / layer.lock).exists() else "is not written"
    raise locks.LockError("\n".join([*(line for _, line in found), f"{layer.lock} {state}: {fix}"]))


def _all_or_nothing(project: Project, flags: list[str], package: Sequence[str]) -> None:
    """Pin every layer with `flags`, each on top of the one below as it now is; when one cannot
    be pinned (or the run is stopped), every lock is put back byte for byte. A layer pins against
    the lock below it on disk, so the locks are restored rather than written aside. The locks
    are held from the first pin to the last, and a journal (journal.py) lets the next run undo
    an upgrade killed outright."""
    with changing(project):
        record = journal.Journal.begin(project.state_dir, project.root, [lay.lock for lay in project.layers], package)
        done: list[Layer] = []
        try:
            for layer in project.layers:
                pin(project, layer, flags, record.write)
                done.append(layer)
        except BaseException as exc:
            for entry in record.entries:
                path = project.root / entry.lock
                if entry.before is not None and journal.content(path) != entry.before:
                    files.write_atomic(path, entry.before)
            record.end()  # every lock is as it was: nothing is left for the next run to undo
            if isinstance(exc, Failure) and done:
                failed = next(layer for layer in project.layers if layer not in done)
                below = [layer.lock for layer in done if layer.lock in failed.pinned_after]
                moved = ", ".join(below or [layer.lock for layer in done])
                then = f"doit upgrade: {failed.lock} could not be pinned on top of the upgraded {moved}, so "
                raise exc.add(then=then + "every lock is as it was before the upgrade") from None
            raise
        record.end()


def settle_cut_short_upgrade(project: Project) -> None:
    """Before anything reads the locks: undo a `doit upgrade` that was killed (journal.py). The
    journal is looked for without the locks (one stat a run), then read again holding them: an
    upgrade in another process holds them until its journal is gone."""
    if (project.state_dir / journal.NAME).exists():
        with changing(project):
            journal.recover(project.state_dir, project.root)


def _say_if_hashes_go(project: Project, lock: str, shape: locks.LockShape) -> None:
    """A pip-tools lock with hashes, adopted with hashes off, loses them: say how to keep them."""
    path = project.root / lock
    if shape.hashes or locks.recorded(path) is not None or not path.is_file():
        return
    if "--hash=" in locks.read_requirements(path):
        output.warn(f"{lock} has hashes and tool.doitenv.hashes is off, so they go: set hashes = true to keep them")


def _say_if_undated(shape: locks.LockShape, options: list[reqfile.IndexOption], tool: str) -> None:
    """resolve-as-of cannot hold back the files of a source with no upload times: say which."""
    if shape.as_of is None:
        return
    found = releases.undated(releases.sources(options, tool))
    if found:
        output.warn(
            f"resolve-as-of = {shape.as_of}: {', '.join(found)} give no upload times, so their files are "
            f"taken whatever their age (a find-links folder or a file:// index; {tool} reads them from the .in "
            "files, its environment variables or, for pip, pip's configuration)"
        )


# The Pythons this run has said a lock was resolved for (doit runs every pin in one process).
_TOLD_OF: set[str] = set()
for_the_run(_TOLD_OF.clear)


def _say_if_resolved_for_another_python(project: Project, lock: str) -> None:
    """A lock committed from another Python is pinned again for this one, which rewrites it: say
    so, and how a team stops the locks flipping between its Pythons."""
    found = locks.recorded(project.root / lock)
    resolved_for = found.python if found is not None else adoption.compiled_with(project.root / lock)
    running = project.lock_shape().python
    if resolved_for is None or resolved_for in ("", running) or project.config.universal:
        return
    if found is not None and found.universal:
        output.note(f"{lock} was universal; universal = true is off now, so it is pinned for Python {running}")
        return
    if interpreter.is_version(resolved_for) and interpreter.version_tuple(resolved_for) < interpreter.OLDEST_SUPPORTED:
        older = f"{lock} was resolved for Python {resolved_for}, older than doitenv supports"
        output.note(f"{older}: pinning it again for {running}")
        return
    if project.config.python is not None:  # the team's Python is set already: no advice to give
        said = f"{lock} was resolved for Python {resolved_for}: pinning it again for {running}"
        output.note(f"{said}, as tool.doitenv.python says")
        return
    if resolved_for in _TOLD_OF:  # once a run: a project with many layers has them all from one Python
        output.note(f"{lock} was resolved for Python {resolved_for} too: pinning it again for {running}")
        return
    _TOLD_OF.add(resolved_for)
    output.note(
        f"{lock} was resolved for Python {resolved_for}, and {project.venv.path.name}/ runs Python "
        f"{running}: pinning it again for {running} changes it. To keep one lock for the whole team, set "
        f'tool.doitenv.python = "{resolved_for}" in pyproject.toml (everyone resolves with that Python), '
        "or universal = true (one lock for every Python and platform)"
    )


def check(project: Project, *, environment: bool = False) -> None:
    """Report every way the locks and the venv are out of step, each with the command that
    fixes it. Reads files only: no network, no process, and no credentials. With `environment`
    (`doit check --resolve`, which pins) a ${NAME} that is not set counts, and the venv's sync
    does not: --resolve runs before anything is installed from locks it has yet to prove."""
    config = project.config
    venv = project.venv
    problems = []
    for layer in project.layers:
        lock = layer.lock
        broken = input_problems(project, layer, environment=environment)
        if broken:
            problems += broken  # each names its file and its fix; the lock's freshness means nothing yet
            continue
        configured = project.lock_shape(layer)
        found = locks.recorded(project.root / lock)
        if locks.conflicted(project.root / lock):
            problems.append(
                f"{lock} has merge conflicts from git: run `doit {lock}` to pin it again from {layer.source}"
            )
            continue
        if found is None:
            problems.append(f"{lock} is missing or was not written by doitenv: run `doit {lock}`")
            continue
        # Without a venv or a `python` setting, check the lock against the Python it was resolved for.
        lowest = lowest_python(found.python) if found.universal else None
        shape = (
            configured
            if configured.python
            else replace(configured, python=found.python, universal=found.universal, universal_from=lowest)
        )
        stale = locks.why_stale(lock, layer.read_inputs(project.root), shape)
        if stale is not None:
            if stale == locks.INPUTS_CHANGED:
                stale = f"{lock} is stale for {layer.source} and {shape.target}"
            problems.append(f"{stale}: run `doit {lock}` to pin it again from {layer.source}")

    for layer in project.layers:
        apart = disagreeing_includes(project, layer)
        problems += [f"{line}: run `doit upgrade --package {name}`" for name, line in apart]
        above = locks.pins(project.root / layer.lock)
        for lock in layer.pulls_in:
            below = locks.pins(project.root / lock)
            for name in sorted(below.keys() & above.keys()):
                # Pinning the layer again cannot help while the locks it pulls in disagree.
                if below[name] != above[name] and name not in {each for each, _ in apart}:
                    problems.append(
                        f"{layer.lock} pins {name}=={above[name]} but {lock} pins "
                        f"{name}=={below[name]}: run `doit {layer.lock}`"
                    )

    problems += unmet_dependencies(project)

    runtime, dev = project.runtime, project.dev
    if (venv.path / "pyvenv.cfg").exists():
        try:
            rebuild = venv.problem(project.interpreter(), config.backend, registry.DEFAULT)
        except InterpreterNotFound as exc:
            rebuild = exc.message  # this line says what it is about itself
        if rebuild is not None:
            problems.append(f"{venv.path.name}/ must be made again: {rebuild}: run `doit dev`")
        held = runtime if sync.held_lock(venv) == Path(runtime.lock).name else dev
        reason = sync.why_unsynced(venv, project.root / held.lock, config.editable_inputs, project.root)
        if reason is not None and not environment:
            problems.append(f"{venv.path.name}/ is out of step: {reason}: run `doit {held.sync_task}`")

    if problems:
        raise Failure("\n".join(problems))
    if environment:
        output.note("locks fresh, layers agree")
        return
    venv_state = "venv in step" if (venv.path / "pyvenv.cfg").exists() else f"no {venv.path.name}/ here to check"
    output.note(f"locks fresh, layers agree, {venv_state}")


def _refuse_unknown_packages(project: Project, package: Sequence[str], pinned: dict[str, dict[str, str]]) -> None:
    """The resolvers pass over a --upgrade-package no lock holds in silence, so a misspelt name
    ended in "nothing moved". A name an input asks for that no lock holds yet is pinned."""
    from packaging.requirements import InvalidRequirement, Requirement

    known = {name for pins in pinned.values() for name in pins}
    for layer in project.layers:
        for text in layer.read_inputs(project.root).texts.values():
            for entry in reqfile.entries(text):
                try:
                    known.add(reqfile.normalized(Requirement(entry.requirement).name) if entry.requirement else "")
                except InvalidRequirement:
                    return  # a URL or a path: its name is known only once resolved
    asked = {reqfile.normalized(sync.package_name(name)): name for name in package}
    unknown = sorted(asked.keys() - known)
    if unknown:
        locks_named = ", ".join(layer.lock for layer in project.layers)
        raise Failure(
            f"doit upgrade: no lock pins {', '.join(unknown)} and no input asks for it ({locks_named}), so nothing "
            "was pinned: check the name, or add it to an .in file and run `doit dev`"
        )


def upgrade(project: Project, package: Sequence[str]) -> None:
    """Pin every layer again (only `package` when given), show what moved, then sync dev."""
    flags = [flag for name in package for flag in ("--upgrade-package", name)] or ["--upgrade"]
    before = {layer.lock: locks.pins(project.root / layer.lock) for layer in project.layers}
    _refuse_unknown_packages(project, package, before)
    with if_stopped("every lock is as it was before the upgrade"):
        _all_or_nothing(project, flags, package)
    moved = 0
    for layer in project.layers:
        after = locks.pins(project.root / layer.lock)
        if not before[layer.lock] and after:  # a lock pinned for the first time: every line is new
            output.note(f"{layer.lock}: {len(after)} packages pinned (it had no pins before)")
            moved += len(after)
            continue
        for name, old, new in locks.moves(before[layer.lock], after):
            output.note(f"{layer.lock}: {name} {old or '-'} -> {new or '-'}")
            moved += 1
    if not moved:
        output.note("nothing moved: every pin was already the newest allowed")
    sync_env(project, project.dev)
