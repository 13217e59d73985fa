"""doit tasks that keep a project's venv and pip-tools locks in step. In dodo.py:

    from doitenv.tasks import *

Settings come from `[tool.doitenv]` in pyproject.toml. Creators only describe tasks: they
run on every `doit list`, so they read pyproject.toml once and start no process.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

from doit.exceptions import InvalidTask

from doitenv import actions, config, files, maintenance, watch
from doitenv.project import DOIT_DEP_FILE, STATE_DIR, Project

__all__ = [
    "DOIT_CONFIG",
    "task_venv",
    "task_locks",
    "task_dev",
    "task_prod",
    "task_test",
    "task_format",
    "task_distclean",
    "task_check",
    "task_upgrade",
    "task_matrix",
    "task_kernel",
    "task_watch",
]

DOIT_CONFIG = {
    "default_tasks": ["dev"],
    # dbm and json lose one side's results when two doit processes share a project.
    "backend": "sqlite3",
    "dep_file": DOIT_DEP_FILE,
    # Show what the tools print as they run: syncs and test runs are long.
    "verbosity": 2,
}


@cache
def _project(root: str) -> Project:
    try:
        return Project(config.load(Path(root)))
    except config.ConfigError as exc:
        raise InvalidTask("\n".join(exc.errors)) from None


def _prepare_state(state_dir: Path, dep_file: Path) -> None:
    """doit opens its state file right after importing dodo.py, before any task creator
    runs: the folder must exist by then, and the file must be one sqlite3 can open."""
    # Two doit processes may start at once on a fresh clone: both may get here first.
    state_dir.mkdir(exist_ok=True)
    ignore = state_dir / ".gitignore"
    if not ignore.exists():
        files.write_atomic(ignore, b"# doitenv's local state: not for git\n*\n")
    try:
        with dep_file.open("rb") as handle:
            head = handle.read(16)
    except OSError:
        return
    if head and head != b"SQLite format 3\x00":
        # Only a cache of what ran: the locks and the venv carry their own state.
        aside = dep_file.with_name(dep_file.name + ".damaged")
        os.replace(dep_file, aside)
        print(f"doitenv: {dep_file} was not a doit state file; moved it to {aside.name} and starting afresh")


_prepare_state(Path(STATE_DIR), Path(DOIT_DEP_FILE))
watch.exit_quietly_when_stopped()


def project() -> Project:
    """The project doit runs in (doit changes into dodo.py's folder first)."""
    return _project(os.getcwd())


def task_venv() -> dict[str, Any]:
    """Create the venv; rebuild it when missing, broken or its Python changed."""
    p = project()
    return {
        "actions": [(actions.make_venv, [p])],
        "uptodate": [(actions.venv_is_ready, [p])],
    }


def task_locks() -> Any:
    """Pin the .in files (or pyproject.toml's sources) into lock files."""
    p = project()
    c = p.config
    runtime_source = c.requirements_in if c.requirements_from is None else "pyproject.toml's sources"
    dev_source = c.dev_requirements_in if c.dev_requirements_from is None else "pyproject.toml's dev sources"
    yield {
        "basename": c.requirements,
        "doc": f"Pin {runtime_source} into {c.requirements} for "
        + ("every Python and platform" if c.universal else "the venv's Python"),
        "actions": [(actions.compile_lock, [p, c.requirements, None])],
        "task_dep": ["venv"],
        "targets": [c.requirements],
        "uptodate": [(p.lock_is_fresh, [c.requirements])],
    }
    yield {
        "basename": c.dev_requirements,
        "doc": f"Pin {dev_source} (layered on {c.requirements}) into {c.dev_requirements}",
        "actions": [(actions.compile_lock, [p, c.dev_requirements, c.requirements])],
        "task_dep": ["venv", c.requirements],
        "targets": [c.dev_requirements],
        "uptodate": [(p.lock_is_fresh, [c.dev_requirements])],
    }


def _sync_task(lock: str, doc: str) -> dict[str, Any]:
    p = project()
    return {
        "doc": doc,
        "actions": [(actions.sync_env, [p, lock])],
        "task_dep": [lock],
        "uptodate": [(actions.env_is_synced, [p, lock])],
        "clean": [(actions.clean_artifacts, [p])],
    }


def task_dev() -> dict[str, Any]:
    """Sync the venv to the dev lock and install the project editable."""
    c = project().config
    return _sync_task(c.dev_requirements, f"Sync the venv to {c.dev_requirements}, project editable")


def task_prod() -> dict[str, Any]:
    """Sync the venv to the runtime lock only."""
    c = project().config
    return _sync_task(c.requirements, f"Sync the venv to {c.requirements} only, project editable")


def task_test() -> dict[str, Any]:
    """Run the tests in the venv; arguments after -- go to the test command."""
    p = project()
    return {
        "actions": [(actions.run_tests, [p])],
        "task_dep": ["dev"],
        "pos_arg": "args",
        "uptodate": [(actions.tests_unchanged, [p])],
    }


def task_format() -> dict[str, Any]:
    """Format and lint with pre-commit, or ruff, as pinned in the dev lock."""
    p = project()
    return {
        "actions": [(actions.run_format, [p])],
        "task_dep": ["dev"],
        "uptodate": [(actions.format_unchanged, [p])],
    }


def task_distclean() -> dict[str, Any]:
    """Remove the venv, its Jupyter kernel, doit's state and build artifacts (the locks stay)."""
    p = project()
    return {
        "actions": [(actions.distclean, [p])],
        "uptodate": [False],
    }


def task_check() -> dict[str, Any]:
    """Check that locks are fresh and agree and the venv is synced (for CI; changes nothing)."""
    return {"actions": [(maintenance.check, [project()])], "uptodate": [False]}


def task_upgrade() -> dict[str, Any]:
    """Move both locks to the newest allowed versions (--package NAME for some), then sync dev."""
    return {
        "actions": [(maintenance.upgrade, [project()])],
        "task_dep": ["venv"],
        "params": [
            {
                "name": "package",
                "long": "package",
                "short": "P",
                "type": list,
                "default": [],
                "help": "upgrade only this package (NAME or NAME==VERSION); repeat for more",
            }
        ],
        "uptodate": [False],
    }


def task_matrix() -> Any:
    """Run the tests on each Python of tool.doitenv.pythons, a venv each (doit -n N for parallel)."""
    p = project()
    for version in p.config.pythons:
        entry = p.for_python(version)
        yield {
            "name": version,
            "doc": f"Run the tests on Python {version}, in {entry.config.venv}/",
            "actions": [(actions.run_matrix_entry, [entry])],
            "task_dep": [p.config.dev_requirements],
            "uptodate": [(actions.matrix_unchanged, [entry])],
        }


def task_kernel() -> dict[str, Any]:
    """Register the venv as a Jupyter kernel (needs ipykernel in the dev lock); again after a rebuild."""
    p = project()
    return {
        "actions": [(actions.register_kernel, [p])],
        "task_dep": ["dev"],
        "params": [
            {
                "name": "name",
                "long": "name",
                "default": "",
                "help": "the kernel's name (default: the name it was registered as, else the project's)",
            },
            {
                "name": "prefix",
                "long": "prefix",
                "default": "",
                "help": "register under PREFIX/share/jupyter/kernels (the environment Jupyter runs from) "
                "instead of the user's kernels",
            },
            {
                "name": "user",
                "long": "user",
                "type": bool,
                "default": False,
                "help": "register in the user's kernels (the default), moving a kernel registered under a prefix",
            },
        ],
        "uptodate": [(actions.kernel_is_registered, [p])],
    }


def task_watch() -> dict[str, Any]:
    """Run TASK... (default: test), then again whenever an input changes; Ctrl-C stops."""
    return {
        "actions": [(actions.watch, [project()])],
        "pos_arg": "tasks",
        "uptodate": [False],
        "verbosity": 2,
    }
