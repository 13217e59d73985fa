"""`doit check --resolve`: are the committed locks what their inputs give, asked of the index?

The offline `doit check` compares each lock with the digests of its own first line: that catches
an accident (a hand edit, a merge gone wrong), not a forger, who can compute the digests as
doitenv does. With `--resolve`, each lock is pinned again as `doit <lock>` pins it (the same
backend, argv, environment and folder), but into a scratch file beside it, starting from the
lock's own versions, and the two are compared. The committed locks, the venv and doit's state are
never written. Each layer is pinned against the locks below it as they are committed (its input
reads them), so each lock is judged on its own.

What is compared is what the `body=` digest covers: every line pip reads (each pin with its
marker and hashes, and the index options), in order; comments (the resolver's header, `# via`
annotations) and blank lines are not, since they differ between resolvers and machines.
"""

from __future__ import annotations

import shutil

from packaging.requirements import InvalidRequirement, Requirement

from doitenv import adoption, files, fits, locks, output, reqfile, runner
from doitenv.errors import Failure
from doitenv.layers import Layer
from doitenv.project import Project
from doitenv.tasks import pinning
from doitenv.tasks.access import changing

# How many differing packages a line names before "and N more".
SHOWN = 3


def check(project: Project, resolve: bool = False) -> None:
    """`doit check`, then, with `resolve`, every lock pinned again from its inputs and compared."""
    # A stale lock says so first: pinning it again would prove nothing. So does a ${NAME} of an
    # index that is not set, which only pinning needs.
    pinning.check(project, environment=resolve)
    if not resolve:
        return
    if not project.config.universal and not (project.venv.path / "pyvenv.cfg").exists():
        raise Failure(
            f"doit check --resolve pins with {project.venv.path.name}/'s Python, and there is no "
            f"{project.venv.path.name}/ here: run `doit venv` first "
            "(it makes the venv and installs nothing from the locks)"
        )
    problems: list[str] = []
    with changing(project):  # nobody pins while the locks are read and pinned aside
        for layer in project.layers:
            try:
                problem = _differs(project, layer)
            except locks.LockError as error:  # such as a lock below it that pins what its inputs refuse
                problem = str(error)
            problems += [problem] if problem else []
    if problems:
        raise Failure("\n".join(problems))
    output.note("every lock is what its inputs give (pinned again with the index, into scratch files)")


def _differs(project: Project, layer: Layer) -> str | None:
    """How the layer's lock differs from what pinning its inputs gives now, as one line, or None."""
    root, lock = project.root, layer.lock
    inputs, shape = layer.read_inputs(root), project.lock_shape(layer)
    pinner = project.pinner()
    # The lock's twin beside it: the resolver names the files it reads from the same folder, and
    # the index options of the inputs are written into it as into the lock. It starts from the
    # lock's versions without their hashes (keep="versions"): both resolvers copy the hashes of
    # the file they pin into, so a forged hash would be kept.
    aside = files.scratch(root / lock, "resolve")
    twin = aside.relative_to(root).as_posix()

    def pin_argv(input: str, output: str) -> list[str]:
        try:  # the argv `doit <lock>` runs, with no upgrade
            return pinner.pin_argv(shape, project.venv, input, output, ())
        except runner.CommandFailed as failed:  # pip-tools could not be made for the venv's Python
            raise Failure(f"{lock}: could not prepare pip-tools ({failed})\n{failed.output}") from None

    def explain(output: str) -> str | None:
        return fits.explain(pinner.explain_failure(output), output, project.fit_context(layer))

    output.note(f"pinning {layer.source} again into a scratch file, to compare with {lock}")
    environment = pinner.pin_environment(lock, inputs.index_options())
    folder = adoption.resolver_folder(inputs, project.locks_from(layer))
    try:
        shutil.copyfile(root / lock, aside)
        locks.compile_lock(
            inputs, twin, shape, pin_argv, environment, "versions", folder, str, explain, failure=pinner.explain_failure
        )
        committed, pinned = locks.read_requirements(root / lock), locks.read_requirements(aside)
    except locks.LockError as error:  # it names the file it would have written: the twin
        raise locks.LockError(f"doit check --resolve: {str(error).replace(twin, lock)}") from None
    finally:
        aside.unlink(missing_ok=True)
    found = differences(committed, pinned)
    if not found:
        return None
    more = f"; and {len(found) - SHOWN} more" if len(found) > SHOWN else ""
    return (
        f"{lock}: not what {layer.source} gives: {'; '.join(found[:SHOWN])}{more}: if you did not make this "
        f"change, take {lock} from a commit you trust; else pin it afresh: delete it and run `doit {lock}`"
    )


def differences(committed: str, pinned: str) -> list[str]:
    """What differs between two locks' bodies as pip reads them, package by package (the index
    options first), each as a reader says it; empty when every line pip reads is the same, in order."""
    ours, theirs = reqfile.logical_lines(committed), reqfile.logical_lines(pinned)
    if [line.text for line in ours] == [line.text for line in theirs]:
        return []
    lock, pinning = _by_package(committed), _by_package(pinned)
    found = []
    for name in sorted(lock.keys() | pinning.keys()):
        had, gives = lock.get(name, []), pinning.get(name, [])
        if had == gives:
            continue
        if not name:
            found.append(f"the lock has {_listed(had, 1)}, pinning gives {_listed(gives, 1)}")
        elif _listed(had) == _listed(gives):
            found.append(f"the lock's hashes of {_listed(had)} are not the index's")
        else:
            found.append(f"the lock pins {_listed(had, name=name)}, pinning gives {_listed(gives, name=name)}")
    # The same lines in another order: pip reads the index options in order.
    return found or ["the lock holds the same lines in another order"]


def _by_package(text: str) -> dict[str, list[tuple[str, str]]]:
    """{normalized name, or '' for a line of options alone: [(requirement, the whole line)]}."""
    found: dict[str, list[tuple[str, str]]] = {}
    for entry in reqfile.entries(text):
        try:
            name = reqfile.normalized(Requirement(entry.requirement).name) if entry.requirement else ""
        except InvalidRequirement:  # `-e ./path`, a URL: the line stands for itself
            name = entry.requirement
        found.setdefault(name, []).append((entry.requirement or entry.line.text, entry.line.text))
    return found


def _listed(lines: list[tuple[str, str]], part: int = 0, name: str = "") -> str:
    """The requirements (part 0) or the whole lines (1) of `lines`, for a reader."""
    return ", ".join(line[part] for line in lines) if lines else f"no {name}" if name else "none"
