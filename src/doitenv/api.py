"""Project tasks in dodo.py, beside the built-in ones, the way Makefile users add targets:

    from doitenv.tasks import *
    from doitenv import in_venv, requires

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
from collections.abc import Callable, Iterable
from typing import Any

from doit.exceptions import TaskFailed

ENVIRONMENTS = ("dev", "prod")


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


def requires(environment: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a task creator so its tasks run after `dev` (or `prod`) brought the venv up to date."""
    if environment not in ENVIRONMENTS:
        raise ValueError(f"requires() takes one of {ENVIRONMENTS}, not {environment!r}")

    def decorate(creator: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(creator)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            made = creator(*args, **kwargs)
            if isinstance(made, dict):
                return _add_dep(made, environment)
            return (_add_dep(task, environment) for task in made)

        return wrapped

    return decorate


def _add_dep(task: dict[str, Any], environment: str) -> dict[str, Any]:
    deps: Iterable[str] = task.get("task_dep", [])
    return {**task, "task_dep": [*deps, environment]}
