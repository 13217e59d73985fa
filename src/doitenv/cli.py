"""The `doitenv` command (also `python -m doitenv`): project set-up that doit cannot do."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

from doitenv import __version__, config, errors, files, graph, output, provenance, receipts, reqfile, scaffold, workflow
from doitenv.backends import registry
from doitenv.errors import Failure
from doitenv.project import STATE_DIR, Project


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="doitenv", description="Set up projects whose environment doit manages.")
    parser.add_argument("--version", action="version", version=f"doitenv {__version__}")
    _levels(parser, False)
    commands = parser.add_subparsers(dest="command", required=True)
    init = commands.add_parser("init", help="create a ready project: git, pyproject.toml, requirements, dodo.py, tests")
    init.add_argument("folder", nargs="?", default=".", type=Path, help="where (default: here)")
    init.add_argument("--name", help="the package name (default: from the folder name)")
    init.add_argument("--force", action="store_true", help="overwrite files that exist")
    init.add_argument("--ci", choices=["github"], help="also write a CI workflow (as `doitenv ci github`)")
    ci = commands.add_parser("ci", help=f"write a CI workflow that runs doit check, dev and test ({workflow.PATH})")
    ci.add_argument("service", choices=["github"], help="the CI service (GitHub Actions)")
    ci.add_argument("folder", nargs="?", default=".", type=Path, help="the project (default: here)")
    ci.add_argument("--force", action="store_true", help="overwrite a workflow that exists")
    ci.add_argument(
        "--install",
        help="what CI installs doitenv from with pip (default: doitenv, or doitenv[uv] for uv or universal locks); "
        "e.g. 'doitenv @ git+https://host/doitenv.git'",
    )
    receipts = commands.add_parser("provenance", help="how a file a project step made was made, and what changed since")
    receipts.add_argument("path", type=Path, help="a file a step made (one of its targets), from anywhere")
    receipts.add_argument("--all", action="store_true", help="every pin, not only the packages the project names")
    receipts.add_argument("--json", action="store_true", help="the receipt (with every pin) and what changed, as JSON")
    drawn = commands.add_parser(
        "graph", help="the task graph as Mermaid or Graphviz dot text, each task marked up to date or not"
    )
    drawn.add_argument("folder", nargs="?", type=Path, help="the project, or a folder in it (default: here)")
    drawn.add_argument("--format", choices=graph.FORMATS, default="mermaid", help="mermaid (the default) or dot")
    for each in commands.choices.values():
        _levels(each, True)
    args = parser.parse_args(argv)
    if args.quiet and args.verbose:  # one before the command, the other after it
        parser.error("--quiet and --verbose ask for opposite levels: give one")
    if args.quiet or args.verbose:  # for this process and the tools and doit runs it starts
        os.environ[output.VARIABLE] = "quiet" if args.quiet else "verbose"
    output.check()
    try:
        return _command(args)
    except (Failure, OSError) as error:  # what the user can fix, said once; anything else is a bug
        return errors.leave(error, 2)


def _levels(parser: argparse.ArgumentParser, after_the_command: bool) -> None:
    """--quiet and --verbose, before the command or after it (`doitenv ci github --quiet`). After
    it they default to nothing, so that they do not undo the same flag given before it."""
    default = argparse.SUPPRESS if after_the_command else False
    chatter = parser.add_mutually_exclusive_group()
    chatter.add_argument(
        "--quiet", action="store_true", default=default, help="errors and warnings only (DOITENV_OUTPUT=quiet)"
    )
    chatter.add_argument(
        "--verbose", action="store_true", default=default, help="each tool's command line too (DOITENV_OUTPUT=verbose)"
    )


def _command(args: argparse.Namespace) -> int:
    if args.command == "provenance":
        return _provenance(args.path, args.json, args.all)
    if args.command == "graph":
        return _graph(args.folder or Path.cwd(), args.format)

    if args.command == "init":
        kept = scaffold.init(args.folder, args.name, args.force)
        if kept:
            output.warn(f"kept as they were (use --force to overwrite): {', '.join(kept)}")
        if args.ci:
            _write_workflow(args.folder, None, args.force)
        output.note(f"next: cd {_quoted(str(args.folder))} && doit dev && doit test", bare=True)
        return 0
    return _write_workflow(args.folder, args.install, args.force)


def _write_workflow(folder: Path, install: str | None, force: bool) -> int:
    settings = config.load(folder.resolve())
    if install is None:
        install = registry.install_name(settings.backend, Project(settings).lock_shape())
    path, written = workflow.write(settings, install, force)
    shown = path.relative_to(settings.root).as_posix()
    if not written:
        output.warn(f"kept {shown} as it was (use --force to overwrite)")
        return 0
    output.note(f"wrote {shown}: `doit check`, then `doit dev` and `doit test` on Linux, macOS and Windows", bare=True)
    return 0


def _nearest(start: Path, markers: tuple[str, ...]) -> Path | None:
    """The nearest folder at or above `start` that holds one of `markers`."""
    start = start.resolve()
    return next(
        (folder for folder in (start, *start.parents) if any((folder / name).exists() for name in markers)), None
    )


def _graph(start: Path, form: str) -> int:
    root = _nearest(start, ("dodo.py",))  # where doit would find the project
    if root is None:
        raise Failure(f"no dodo.py in {start} or a folder above it: give a project's folder")
    found = graph.load(root)
    output.result(graph.mermaid(found) if form == "mermaid" else graph.dot(found), end="")
    return 0


def _provenance(path: Path, as_json: bool, every: bool) -> int:
    """`doitenv provenance PATH`: the receipt of a file, from the project the file is in."""
    path = path.resolve()
    root = _project_of(path)
    if root is None:
        problem = f"{path} is in no project: no folder above it holds dodo.py, {config.PYPROJECT} or {STATE_DIR}/"
        return errors.leave(Failure(problem), 1)
    project = Project(config.load(root))
    relative = files.shown(path, project.root.resolve())
    receipt = receipts.read_receipt(project.root, project.state_dir, relative)
    if receipt is None:
        problem = (
            f"no receipt for {relative} in {project.root}: receipts are written by steps made "
            "with requires('dev') or requires('prod') that name it among their targets"
        )
        return errors.leave(Failure(problem), 1)
    lock = receipt.environment.lock
    env_now = provenance.environment(project.root, lock, project.venv) if lock else None
    made_by = receipt.notebook.path if receipt.notebook else None
    code_now = _code_now(project.root / made_by) if made_by else None
    found = receipts.report(project.root, receipt, env_now, code_now, _named(project, lock))
    output.result(json.dumps(found.to_json(), indent=1, sort_keys=True) if as_json else receipts.describe(found, every))
    return 0


def _project_of(path: Path) -> Path | None:
    """The project `path` is in, wherever doitenv runs: the nearest folder above it that holds
    dodo.py or doitenv's state (where doit runs, and the receipts are), else pyproject.toml."""
    return _nearest(path.parent, ("dodo.py", STATE_DIR)) or _nearest(path.parent, (config.PYPROJECT,))


def _named(project: Project, lock: str | None) -> list[str]:
    """The packages the project names itself, for the layer that syncs `lock`: the runtime layer's
    first (a result's own packages before the tools), as the import check reads them."""
    try:
        layer = project.layer(lock or "")
        chain = reversed(project.holding(layer))
        return list(dict.fromkeys(reqfile.normalized(each.name) for one in chain for each in project.direct(one)))
    except (StopIteration, Failure, OSError):
        return []  # the lock is no layer now, or its inputs are unreadable: the pins alone


def _code_now(notebook: Path) -> str | None:
    from doitenv import notebookfile

    try:
        return notebookfile.code_digest(notebook)
    except Failure:
        return None  # gone or broken: it changed


def _quoted(path: str) -> str:
    """`path` as the user's shell reads it back."""
    if os.name == "nt":
        return subprocess.list2cmdline([path])
    return shlex.quote(path)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
