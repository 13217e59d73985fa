"""Project tasks in dodo.py, beside the built-in ones, the way Makefile users add targets:

    import importlib

    from doitenv import in_venv, requires

    importlib.import_module("doitenv.tasks").export(globals())

    @requires("dev")
    def task_serve():
        '''Start the app; arguments after -- reach it.'''
        return {"actions": [in_venv("python", "-m", "myapp")], "pos_arg": "args"}

A task written this way is a plain doit task: `file_dep`, `targets`, `clean`, `doc`, `params`
and `pos_arg` mean what they mean in doit. `requires` only makes the environment task run
first, so an up-to-date environment costs the same as a no-op `doit dev`.

While an `in_venv` command runs it holds the venv shared, as a test run does: a sync in another
terminal waits until it ends (a server started this way holds off syncs until it stops), and the
command itself must not run `doit dev` on the same project, which would wait for it forever.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shlex
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from doit.exceptions import TaskFailed

from doitenv import output

if TYPE_CHECKING:
    from doitenv.layers import SyncTask
    from doitenv.receipts import Action

ENVIRONMENTS: tuple[SyncTask, ...] = ("dev", "prod")


def in_venv(*command: str) -> tuple[Callable[..., TaskFailed | None], list[Any]]:
    """A doit action running `command` in the project's venv, as an argument list.

    The first word is a script installed in the venv (`pytest`, `flask`) or `python` for the
    venv's interpreter. When the task declares `pos_arg`, the words after `--` are appended.
    """
    if not command or not all(isinstance(word, str) for word in command):
        raise TypeError("in_venv() takes the command as separate strings: in_venv('python', '-m', 'app')")
    return (_run, [list(command)])


def _run(command: list[str], task: Any) -> TaskFailed | None:
    # Imported here: dodo.py imports this module on every `doit list`.
    from doitenv.tasks import project
    from doitenv.tasks.failures import reported
    from doitenv.tasks.runs import arguments_after_dashes, run_in_venv

    extra = arguments_after_dashes(task.pos_arg_val) if task.pos_arg else []
    leaves = f"{task.name} did not finish, so it runs again next time"
    result: TaskFailed | None = reported(run_in_venv, leaves)(project(), [*command, *extra], f"task {task.name}")
    return result


def requires(
    environment: SyncTask, environment_is_input: bool = True
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a task creator so its tasks run after `dev` (or `prod`) brought the venv up to
    date. A task doit caches (one with `file_dep` or `uptodate`) also runs again when that
    environment moved since it last ran, and leaves a receipt for each of its targets
    (receipts.py); `environment_is_input=False` for a step whose result does not depend on it."""
    if environment not in ENVIRONMENTS:
        raise ValueError(f"requires() takes one of {ENVIRONMENTS}, not {environment!r}")

    def decorate(creator: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(creator)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            made = creator(*args, **kwargs)
            if isinstance(made, dict):
                return _add_dep(made, environment, environment_is_input)
            return (_add_dep(task, environment, environment_is_input) for task in made)

        return wrapped

    return decorate


def _add_dep(task: dict[str, Any], environment: SyncTask, environment_is_input: bool) -> dict[str, Any]:
    deps: Iterable[str] = task.get("task_dep", [])
    task = {**task, "task_dep": [*deps, environment]}
    # A task without file_dep or uptodate runs every time: an uptodate added here would cache it.
    if environment_is_input and (task.get("file_dep") or task.get("uptodate")):
        task["uptodate"] = [*task.get("uptodate", []), (_environment_unchanged, [environment])]
    if task.get("file_dep"):
        # Returns None, so doit's decision is its own: it only notes whether the task ran before.
        task["uptodate"] = [*task.get("uptodate", []), _ran_before]
        task["actions"] = [(_say_which_inputs_changed,), *task.get("actions", [])]
    return task


_RAN = "doitenv_ran"


def _ran_before(task: Any, values: dict[str, Any]) -> None:
    task.meta = {**(task.meta or {}), _RAN: bool(values)}
    task.value_savers.append(lambda: {_RAN: True})


def _say_which_inputs_changed(task: Any) -> None:
    """Say why doit runs a task again for its files, as _environment_unchanged does for the
    environment. doit knows (task.dep_changed) but prints nothing; a first run needs no reason."""
    if not (task.meta or {}).get(_RAN) or not task.dep_changed:
        return
    missing = [str(target) for target in task.targets if not os.path.exists(target)]
    if missing:  # doit then counts every file_dep as changed: the target is the reason
        named, verb = missing, "is missing" if len(missing) == 1 else "are missing"
    else:
        named, verb = sorted(str(dep) for dep in task.dep_changed), "changed"
    listed = ", ".join(named[:-1]) + " and " + named[-1] if len(named) > 1 else named[0]
    if len(named) > 4:
        listed = f"{', '.join(named[:3])} and {len(named) - 3} more"
    output.reason(f"{task.name}: {listed} {verb}")


def _environment_unchanged(task: Any, values: dict[str, Any], environment: SyncTask) -> bool:
    """doit's uptodate check: the environment is as it was when the task last ran. Whenever the
    task runs and succeeds, the environment is recorded and each target gets its receipt."""
    from doitenv import provenance, receipts
    from doitenv.keyed import KeyProblem
    from doitenv.notebookfile import code_digest
    from doitenv.tasks import project
    from doitenv.tasks.failures import saver

    found = project()
    layer = found.dev if environment == "dev" else found.runtime
    env = provenance.environment(found.root, layer.lock, found.venv)
    now = env.digest()
    started = time.time()

    meta = task.meta or {}

    def record() -> dict[str, Any]:
        # A receipt stands for a file that is there: a target the run did not write gets none.
        targets = [str(target) for target in task.targets if (found.root / str(target)).exists()]
        inputs = sorted(str(dep) for dep in task.file_dep)
        notebook = meta.get("doitenv_notebook")
        try:
            named = [receipts.Action(**each) for each in meta.get("doitenv_actions") or []]  # a notebook step's
            actions = named or _actions(task, found.state_dir)
        except KeyProblem as problem:  # the step did its work: only its receipts are missing
            output.warn(f"{task.name}: no receipt written: {problem}")
        else:
            # A notebook step: the notebook and the digest of its code cells.
            code = receipts.NotebookCode(notebook, code_digest(found.root / notebook)) if notebook else None
            receipts.write_receipts(
                found.root, found.state_dir, task.name, actions, env, started, inputs, targets, code
            )
        # doit keeps plain data.
        return {"environment": now, "environment_pins": env.pins, "environment_python": asdict(env.python)}

    task.value_savers.append(saver(record))
    before = values.get("environment")
    if before is None or before == now:
        return before is not None  # None: it never ran with the environment recorded
    python = provenance.StepPython.from_json(values.get("environment_python"))
    output.reason(f"{task.name}: {provenance.what_moved(values.get('environment_pins', {}), python, env)}")
    return False


def _actions(task: Any, state_dir: Path) -> list[Action]:
    """What the task's actions run, for its receipts: each one's name (the program, or the
    Python function) and a keyed digest of its arguments, never the arguments themselves: a
    step that uploads with `os.environ["API_TOKEN"]` must not leave the token in a receipt."""
    # Imported here: dodo.py imports this module on every `doit list`.
    from doitenv import keyed
    from doitenv.receipts import Action
    from doitenv.tasks.runs import arguments_after_dashes

    described = []
    for action in task.actions:
        function = getattr(action, "py_callable", None)
        if function is _say_which_inputs_changed:
            continue  # doitenv's, not the step's
        if function is _run:
            extra = arguments_after_dashes(task.pos_arg_val) if task.pos_arg else []
            name, arguments = action.args[0][0], [*action.args[0][1:], *extra]
        elif function is not None:
            name, arguments = _qualified(function), [list(action.args), action.kwargs]
        else:  # a command: a shell string, an argument list, or a callable that makes one
            command = getattr(action, "_action", action)
            if isinstance(command, (str, list)):
                command = _expanded(action, command)
                name, arguments = _program(command), [command]
            elif isinstance(command, tuple) and command and callable(command[0]):
                name, arguments = _qualified(command[0]), list(command[1:])
            else:
                name, arguments = _qualified(command) if callable(command) else type(command).__name__, []
        plain = json.dumps(_plain(arguments), sort_keys=True)
        described.append(Action(name, keyed.digest(state_dir, [plain]) if arguments else None))
    return described


def _expanded(action: Any, command: str | list[Any]) -> str | list[Any]:
    """The command as it ran, with the task's params and `pos_arg` put in (only into the digest)."""
    try:
        return action.expand_action()  # type: ignore[no-any-return]
    except Exception:  # a template doit itself could not fill: the run failed and said so
        return command


def _program(command: str | list[Any]) -> str:
    """The program a command runs: its first word, after any `NAME=value` it sets first."""
    if isinstance(command, list):
        return str(command[0]) if command else ""
    try:
        words = shlex.split(command)
    except ValueError:  # an unclosed quote: the shell said so when it ran
        words = command.split()
    programs = [word for word in words if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", word)]
    return programs[0] if programs else ""


def _qualified(function: Any) -> str:
    return f"{getattr(function, '__module__', '')}.{getattr(function, '__qualname__', type(function).__name__)}"


def _plain(value: Any) -> Any:
    """An argument as its digest reads it: plain data as it is, anything else by its type (its
    repr may hold an address that changes on every run)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (list, tuple)):
        return [_plain(each) for each in value]
    if isinstance(value, dict):
        return {str(key): _plain(each) for key, each in value.items()}
    return type(value).__name__
