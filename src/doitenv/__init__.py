"""doitenv: a doit task graph that keeps a Python project's venv and pip-tools locks in step.

dodo.py's `importlib.import_module("doitenv.tasks").export(globals())` brings the built-in tasks
(doitenv.tasks); `in_venv` and `requires` write a project's own tasks (see doitenv.tasks.steps),
`notebook` runs a notebook as one (doitenv.tasks.notebooks).
"""

from typing import Any

__version__ = "0.1.0"
__all__ = ["in_venv", "requires", "notebook"]


def __getattr__(name: str) -> Any:
    # Loaded on first use: `import doitenv` alone should not import doit.
    # They live in the task layer, whose tasks they name and run in; loading them loads it.
    if name == "notebook":
        from doitenv.tasks import notebooks

        return notebooks.notebook
    if name in __all__:
        from doitenv.tasks import steps

        return getattr(steps, name)
    raise AttributeError(f"module 'doitenv' has no attribute {name!r}")
