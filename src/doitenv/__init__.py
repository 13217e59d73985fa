"""doitenv: a doit task graph that keeps a Python project's venv and pip-tools locks in step.

dodo.py's `importlib.import_module("doitenv.tasks").export(globals())` brings the built-in tasks
(doitenv.tasks); `in_venv` and `requires` write a project's own tasks (see doitenv.api), `notebook`
runs a notebook as one (doitenv.notebooks).
"""

from typing import Any

__version__ = "0.1.0"
__all__ = ["in_venv", "requires", "notebook"]


def __getattr__(name: str) -> Any:
    # Loaded on first use: `import doitenv` alone should not import doit.
    if name == "notebook":
        from doitenv import notebooks

        return notebooks.notebook
    if name in __all__:
        from doitenv import api

        return getattr(api, name)
    raise AttributeError(f"module 'doitenv' has no attribute {name!r}")
