"""doit tasks that keep a project's venv and pip-tools locks in step. dodo.py hands them to doit
with `export`, below a module docstring (scaffold.DODO is the file `doitenv init` writes):

    import importlib

    importlib.import_module("doitenv.tasks").export(globals())

`from doitenv.tasks import *`, the line given before, does the same and still works.

Settings come from `[tool.doitenv]` in pyproject.toml. The creators here only describe tasks,
as data: they run on every `doit list`, so they read pyproject.toml once and start no process.
What each task does is in the module of its family: venv.py, pinning.py (the locks, `check`,
`upgrade`; resolving.py, `check --resolve`), environments.py (`dev`, `prod`, `kernel`, `distclean`) and runs.py (`test`,
`format`, `matrix`, `watch`). Every action goes through failures.action, the one place where
doitenv's errors become doit's.
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping
from functools import cache
from pathlib import Path
from typing import Any

from doit.exceptions import InvalidTask

from doitenv import caches, config, errors, output, runner
from doitenv.layers import Layer
from doitenv.project import DOIT_DEP_FILE, Project
from doitenv.tasks import environments, pinning, resolving, runs, start, state, venv
from doitenv.tasks.failures import action

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
    # dbm and json lose one side's results when two doit processes share a project; doit's sqlite3
    # prints a traceback when it cannot write, doitenv's one line.
    "backend": state.backend(),
    "dep_file": DOIT_DEP_FILE,
    # Show what the tools print as they run: syncs and test runs are long.
    "verbosity": 2,
}


def export(namespace: MutableMapping[str, Any]) -> None:
    """Put the tasks and DOIT_CONFIG into `namespace`, dodo.py's `globals()`: the names
    `from doitenv.tasks import *` binds (`__all__`), bound to the same objects, at the line that
    calls it. So, as with the star import, a name dodo.py defined before that line is replaced, and
    one it defines after the line replaces doitenv's (a creator named like a built-in task changes
    that task; a DOIT_CONFIG of its own replaces doitenv's whole).

    Why a call and not an import statement: doitenv lives beside doit, not in the project's venv,
    where a project's checkers run. There a static `import doitenv` is unresolved (pyright, mypy,
    pylint) and a star import is flagged (flake8, pylint), while `importlib.import_module(...)`
    gives a module whose attributes are Any to a type checker.
    """
    names = globals()
    namespace.update({name: names[name] for name in __all__})


start.before_doit_starts()  # only the state folder: see start.py


@cache
def _project(root: str) -> Project:
    output.check()  # once a run: doit makes the tasks once
    try:
        found = Project(config.load(Path(root)))
        runner.show_commands(found.config.show_commands)
        _ = found.layers  # reads how the layers include each other: a cycle is a setting to fix
    except config.ConfigError as exc:
        raise InvalidTask(errors.describe(exc)) from None
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command not in start.READ_ONLY_COMMANDS:  # before any task, or doit's look at them, reads a lock
        try:
            pinning.settle_cut_short_upgrade(found)
        except OSError as exc:
            raise InvalidTask(errors.describe(exc)) from None
    return found


caches.for_the_run(_project.cache_clear)


def project() -> Project:
    """The project doit runs in (doit changes into dodo.py's folder first)."""
    start.when_doit_starts()
    return _project(os.getcwd())


def task_venv() -> dict[str, Any]:
    """Create the venv; rebuild it when missing, broken or its Python changed."""
    p = project()
    return {
        "actions": [
            action(venv.make_venv, p, leaves=f"{p.venv.path.name}/ is made anew by the next run if it is not whole")
        ],
        "uptodate": [(venv.venv_is_ready, [p])],
    }


def task_locks() -> Any:
    """Pin the .in files (or pyproject.toml's sources) into lock files."""
    p = project()
    target = "every Python and platform" if p.config.universal else "the venv's Python"
    for layer in p.layers:
        constrained = [lock for lock in layer.pulls_in if lock not in layer.holds_pins_of]
        how = [
            *([f"layered on {', '.join(layer.holds_pins_of)}"] if layer.holds_pins_of else []),
            *([f"constrained by {', '.join(constrained)}"] if constrained else []),
        ]
        layered = f" ({'; '.join(how)})" if how else ""
        yield {
            "basename": layer.lock,
            "doc": f"Pin {layer.source}{layered} into {layer.lock}" + ("" if layer.pulls_in else f" for {target}"),
            "actions": [action(pinning.pin, p, layer, leaves=f"{layer.lock} is unchanged")],
            "task_dep": ["venv", *layer.pinned_after],
            "targets": [layer.lock],
            "uptodate": [(p.lock_is_fresh, [layer.lock])],
        }


def _sync_task(p: Project, layer: Layer, doc: str, pinned_first: list[str]) -> dict[str, Any]:
    return {
        "doc": doc,
        "actions": [action(environments.sync_env, p, layer, leaves="the next run finishes what is left")],
        "task_dep": pinned_first,
        "uptodate": [(environments.env_is_synced, [p, layer])],
        "clean": [(environments.clean_artifacts, [p])],
    }


def task_dev() -> dict[str, Any]:
    """Sync the venv to the dev lock and install the project editable."""
    p = project()
    # Every layer is pinned, the ones dev does not sync too: `doit dev` leaves no lock stale.
    return _sync_task(p, p.dev, f"Sync the venv to {p.dev.lock}{_editable(p)}", [lay.lock for lay in p.layers])


def task_prod() -> dict[str, Any]:
    """Sync the venv to the runtime lock only."""
    p = project()
    return _sync_task(p, p.runtime, f"Sync the venv to {p.runtime.lock} only{_editable(p)}", [p.runtime.lock])


def _editable(p: Project) -> str:
    # A project of scripts and notebooks has no package to install.
    return ", project editable" if p.config.editable_inputs is not None else ""


def task_test() -> dict[str, Any]:
    """Run the tests in the venv; arguments after -- go to the test command."""
    p = project()
    return {
        "actions": [action(runs.run_tests, p, leaves="no pass is recorded: the next `doit test` runs the tests again")],
        "task_dep": ["dev"],
        "pos_arg": "args",
        "uptodate": [(runs.tests_unchanged, [p])],
    }


def task_format() -> dict[str, Any]:
    """Format and lint with pre-commit, or ruff, as pinned in the dev lock."""
    p = project()
    return {
        "actions": [action(runs.run_format, p, leaves="no clean run is recorded: the next `doit format` runs again")],
        "task_dep": ["dev"],
        "uptodate": [(runs.format_unchanged, [p])],
    }


def task_distclean() -> dict[str, Any]:
    """Remove the venv, its kernel, doit's state and build artifacts; `doit clean`: the artifacts alone."""
    leaves = "some of it is removed: `doit distclean` again removes the rest"
    return {"actions": [action(environments.distclean, project(), leaves=leaves)], "uptodate": [False]}


def task_check() -> dict[str, Any]:
    """Check that locks are fresh and agree and the venv is synced (for CI; changes nothing)."""
    return {
        "actions": [action(resolving.check, project(), leaves="nothing was changed")],
        "params": [
            {
                "name": "resolve",
                "long": "resolve",
                "type": bool,
                "default": False,
                "help": "also pin every lock again with the index, into a scratch file, and compare: proves the "
                "committed locks are what their inputs give (a digest proves that only against accidents)",
            }
        ],
        "uptodate": [False],
    }


def _package_option_problem(argv: list[str]) -> str | None:
    """doit's own word on `--package NAME==1.0` is "option --package requires argument": it takes
    a bare word holding `=` for one of its variables before any task sees it."""
    argv = argv[: argv.index("--")] if "--" in argv else argv
    if "upgrade" not in argv:
        return None
    for at, word in enumerate(argv):
        if word not in ("--package", "-P"):
            continue
        value = argv[at + 1] if at + 1 < len(argv) else ""
        if "=" in value:
            return f"doit upgrade: write `--package={value}` as one word: doit reads a bare {value} as a variable"
        if not value or value.startswith("-"):
            return "doit upgrade: --package needs a name: `--package NAME`, or `--package=NAME==VERSION`"
    return None


def task_upgrade() -> dict[str, Any]:
    """Move every lock to the newest allowed versions (--package NAME for some), then sync dev."""
    problem = _package_option_problem(sys.argv[1:])
    if problem:
        raise InvalidTask(problem)
    return {
        "actions": [action(pinning.upgrade, project(), leaves="the locks are upgraded: `doit dev` syncs the venv")],
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
            "actions": [action(runs.run_matrix_entry, entry, leaves=f"no pass on Python {version} is recorded")],
            "task_dep": [p.dev.lock],
            "uptodate": [(runs.matrix_unchanged, [entry])],
        }


def task_kernel() -> dict[str, Any]:
    """Register the venv as a Jupyter kernel (needs ipykernel in the dev lock); again after a rebuild."""
    p = project()
    return {
        "actions": [action(environments.register_kernel, p, leaves="`doit kernel` again finishes the registration")],
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
        "uptodate": [(environments.kernel_is_registered, [p])],
    }


def task_watch() -> dict[str, Any]:
    """Run TASK... (default: test), then again whenever an input changes; Ctrl-C stops."""
    return {
        "actions": [action(runs.watch, project(), leaves="the watch stopped")],
        "pos_arg": "tasks",
        "uptodate": [False],
        "verbosity": 2,
    }
