"""The `doitenv` command (also `python -m doitenv`): project set-up that doit cannot do."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

from doitenv import __version__, backends, config, files, graph, provenance, receipts, reqfile, scaffold, workflow
from doitenv.errors import Failure
from doitenv.project import STATE_DIR, Project


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="doitenv", description="Set up projects whose environment doit manages.")
    parser.add_argument("--version", action="version", version=f"doitenv {__version__}")
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
    args = parser.parse_args(argv)

    if args.command == "provenance":
        return _provenance(args.path, args.json, args.all)
    if args.command == "graph":
        return _graph(args.folder or Path.cwd(), args.format)

    if args.command == "init":
        try:
            kept = scaffold.init(args.folder, args.name, args.force)
        except ValueError as exc:
            print(f"doitenv init: {exc}", file=sys.stderr)
            return 2
        if kept:
            print(f"kept as they were (use --force to overwrite): {', '.join(kept)}")
        if args.ci and _write_workflow(args.folder, None, args.force) != 0:
            return 2
        print(f"next: cd {_quoted(str(args.folder))} && doit dev && doit test")
        return 0
    return _write_workflow(args.folder, args.install, args.force)


def _write_workflow(folder: Path, install: str | None, force: bool) -> int:
    try:
        settings = config.load(folder.resolve())
    except config.ConfigError as exc:
        print("\n".join(f"doitenv ci: {error}" for error in exc.errors), file=sys.stderr)
        return 2
    if install is None:
        install = backends.install_name(settings.backend, Project(settings).lock_shape())
    path, written = workflow.write(settings, install, force)
    shown = path.relative_to(settings.root).as_posix()
    if not written:
        print(f"kept {shown} as it was (use --force to overwrite)")
        return 0
    print(f"wrote {shown}: `doit check`, then `doit dev` and `doit test` on Linux, macOS and Windows")
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
        print(f"doitenv graph: no dodo.py in {start} or a folder above it: give a project's folder", file=sys.stderr)
        return 2
    try:
        found = graph.load(root)
    except Failure as failed:
        print("\n".join(f"doitenv graph: {line}" for line in str(failed).splitlines()), file=sys.stderr)
        return 2
    print(graph.mermaid(found) if form == "mermaid" else graph.dot(found), end="")
    return 0


def _provenance(path: Path, as_json: bool, every: bool) -> int:
    """`doitenv provenance PATH`: the receipt of a file, from the project the file is in."""
    path = path.resolve()
    root = _project_of(path)
    if root is None:
        print(
            f"doitenv provenance: {path} is in no project: no folder above it holds dodo.py, "
            f"{config.PYPROJECT} or {STATE_DIR}/",
            file=sys.stderr,
        )
        return 1
    try:
        project = Project(config.load(root))
    except config.ConfigError as exc:
        print("\n".join(exc.errors), file=sys.stderr)
        return 2
    relative = files.shown(path, project.root.resolve())
    receipt = receipts.read_receipt(project.root, project.state_dir, relative)
    if receipt is None:
        print(
            f"doitenv provenance: no receipt for {relative} in {project.root}: receipts are written by steps made "
            "with requires('dev') or requires('prod') that name it among their targets",
            file=sys.stderr,
        )
        return 1
    lock = receipt.environment.lock
    env_now = provenance.environment(project.root, lock, project.venv) if lock else None
    made_by = receipt.notebook.path if receipt.notebook else None
    code_now = _code_now(project.root / made_by) if made_by else None
    found = receipts.report(project.root, receipt, env_now, code_now, _named(project, lock))
    print(json.dumps(found.to_json(), indent=1, sort_keys=True) if as_json else receipts.describe(found, every))
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
    except (StopIteration, config.ConfigError, Failure, OSError):
        return []  # the lock is no layer now, or its inputs are unreadable: the pins alone


def _code_now(notebook: Path) -> str | None:
    from doitenv import notebooks

    try:
        return notebooks.code_digest(notebook)
    except Failure:
        return None  # gone or broken: it changed


def _quoted(path: str) -> str:
    """`path` as the user's shell reads it back."""
    if os.name == "nt":
        return subprocess.list2cmdline([path])
    return shlex.quote(path)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
