"""The `doitenv` command (also `python -m doitenv`): project set-up that doit cannot do."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from doitenv import __version__, scaffold


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="doitenv", description="Set up projects whose environment doit manages.")
    parser.add_argument("--version", action="version", version=f"doitenv {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    init = commands.add_parser("init", help="create a ready project: git, pyproject.toml, requirements, dodo.py, tests")
    init.add_argument("folder", nargs="?", default=".", type=Path, help="where (default: here)")
    init.add_argument("--name", help="the package name (default: from the folder name)")
    init.add_argument("--force", action="store_true", help="overwrite files that exist")
    args = parser.parse_args(argv)

    try:
        kept = scaffold.init(args.folder, args.name, args.force)
    except ValueError as exc:
        print(f"doitenv init: {exc}", file=sys.stderr)
        return 2
    if kept:
        print(f"kept as they were (use --force to overwrite): {', '.join(kept)}")
    print(f"next: cd {args.folder} && doit dev && doit test")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
