"""The one door from doitenv's errors to doit's: every action runs through `reported`.

Actions raise where they find a problem (errors.Failure, with the whole message); doit shows a
TaskFailed's message as the task's failure. A message is made here only for errors that do not
know the setting they are about. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from doit.exceptions import TaskFailed

from doitenv.config import ConfigError
from doitenv.errors import Failure
from doitenv.interpreter import InterpreterNotFound


def message(error: Exception) -> str | None:
    """What the user reads for `error`, or None when it is no user-facing error (a bug)."""
    if isinstance(error, Failure):
        return str(error)
    if isinstance(error, InterpreterNotFound):
        return f"pyproject.toml: tool.doitenv.python: {error}"
    if isinstance(error, ConfigError):
        return "\n".join(error.errors)
    return None


def reported(action: Callable[..., Any]) -> Callable[..., Any]:
    """`action` as doit runs it: what it returns, or its error as one TaskFailed. doit reads the
    action's parameters (`task`, `args`, a task's params) through functools.wraps."""

    @functools.wraps(action)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return action(*args, **kwargs)
        except (Failure, InterpreterNotFound, ConfigError) as error:
            return TaskFailed(message(error) or str(error))

    return run


def action(function: Callable[..., Any], *args: Any) -> tuple[Callable[..., Any], list[Any]]:
    """A doit python-action of `function(*args)`, its errors reported."""
    return (reported(function), list(args))
