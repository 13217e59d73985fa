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

import errno
import os
import sys
from collections.abc import MutableMapping
from functools import cache
from pathlib import Path
from typing import Any

from doit.exceptions import InvalidTask

from doitenv import caches, config, errors, files, output, runner, watch
from doitenv.errors import Failure
from doitenv.layers import Layer
from doitenv.project import DOIT_DEP_FILE, STATE_DIR, Project
from doitenv.tasks import environments, failures, pinning, resolving, runs, state, venv
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


def _prepare_state(state_dir: Path, dep_file: Path) -> None:
    """The state folder exists, is ignored by git, and holds a state file sqlite3 can open."""
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
        output.warn(f"{dep_file} was not a doit state file; moved it to {aside.name} and starting afresh")


# doit's own commands that cannot work on doitenv's tasks, and why, said instead of a traceback.
# (`doit dumpdb` never loads dodo.py: the README says why it cannot read doitenv's state.)
_UNSUPPORTED = {
    "strace": "doit strace traces only shell-command actions, and doitenv's tasks run Python (its report "
    "would reach the test command as an argument): run `strace -f -e trace=file doit test` instead",
}


# Commands that never write doit's state: they work in a read-only checkout (`graph` is
# `doitenv graph`, which loads dodo.py in its own process).
_READ_ONLY_COMMANDS = ("list", "help", "info", "tabcompletion", "graph")


def _state_problem(state_dir: Path, dep_file: Path, command: str) -> str | None:
    """Why doit could not keep its state (sqlite fails on its first write, with a traceback)."""
    fix = "doit keeps what ran there: make the project's folder writable"
    try:
        _prepare_state(state_dir, dep_file)
    except OSError as exc:
        if exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):  # a full disk, say
            return errors.file_problem(exc)
        return f"{state_dir}/ cannot be written ({exc.strerror}): {fix}"
    if command in _READ_ONLY_COMMANDS:
        return None
    if not os.access(state_dir, os.W_OK) or (dep_file.exists() and not os.access(dep_file, os.W_OK)):
        return f"{state_dir}/ is read-only: {fix}"
    return None


def before_doit_starts() -> None:
    """The only work done when dodo.py imports this module: doit opens its state file right
    after importing dodo.py, before any task creator runs, so the state folder must be ready by
    then. The rest waits for the first task creator (_when_doit_starts)."""
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    problem = _state_problem(Path(STATE_DIR), Path(DOIT_DEP_FILE), command)
    if problem:
        raise SystemExit(errors.leave(Failure(problem), 2))


@cache
def _when_doit_starts() -> None:
    """Once a run, from the first task creator (every one asks for the project), before doit runs
    any action: refuse a doit command that cannot work on these tasks, let a round of `doit watch`
    stop quietly (watch.py), and make a Ctrl-C between tasks one line. Not at import: importing
    the tasks (a test, a tool, `doitenv graph`) must not take over the process's signals."""
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command in _UNSUPPORTED:
        raise SystemExit(errors.leave(Failure(_UNSUPPORTED[command]), 2))
    watch.exit_quietly_when_stopped()
    if _run_by_doit():  # not in a process that only imports the tasks (a test, a tool)
        failures.report_interrupts_between_tasks()


caches.for_the_run(_when_doit_starts.cache_clear)


def _run_by_doit() -> bool:
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    return getattr(spec, "name", "") == "doit.__main__" or Path(getattr(main, "__file__", "")).stem == "doit"


before_doit_starts()


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
    if command not in _READ_ONLY_COMMANDS:  # before any task, or doit's look at them, reads a lock
        try:
            pinning.settle_cut_short_upgrade(found)
        except OSError as exc:
            raise InvalidTask(errors.describe(exc)) from None
    return found


caches.for_the_run(_project.cache_clear)


def project() -> Project:
    """The project doit runs in (doit changes into dodo.py's folder first)."""
    _when_doit_starts()
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
