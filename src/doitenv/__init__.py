"""doitenv: a doit task graph that keeps a Python project's venv and pip-tools locks in step."""

__version__ = "0.1.0"
