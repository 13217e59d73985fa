"""The `venv` task: make the venv, and make it again when it is missing, broken, made from
another interpreter or backend, or copied here from another folder."""

from __future__ import annotations

from doitenv import output, runner
from doitenv.backends import registry
from doitenv.errors import Failure
from doitenv.interpreter import InterpreterNotFound, check_supported, running_version
from doitenv.project import Project
from doitenv.tasks.access import changing, writing
from doitenv.venv import Venv


def venv_is_ready(project: Project) -> bool:
    try:
        return project.venv.problem(project.interpreter(), project.config.backend, registry.DEFAULT) is None
    except (InterpreterNotFound, OSError):
        return False  # the action says what is wrong


def make_venv(project: Project) -> None:
    venv = project.venv
    interpreter = project.interpreter()
    backend = project.backend
    with changing(project):
        problem = venv.problem(interpreter, backend.name, registry.DEFAULT)
        if problem is None:
            return  # another doit process made it while this one waited
        if venv.adoptable(interpreter):
            output.note(f"keeping {venv.path.name}/, made from {interpreter.path}")
            venv.record(interpreter, backend.name)
            return
        if venv.is_running():
            raise Failure(
                f"{venv.path.name}/ must be rebuilt ({problem}), but doit runs from inside it: "
                "run doit with a Python outside the venv"
            )
        foreign = venv.foreign()
        if foreign:
            raise Failure(foreign)
        doing = "rebuilding" if (venv.path / "pyvenv.cfg").is_file() else "creating"
        output.note(f"{doing} {venv.path.name}/ with {interpreter.path}: {problem}")
        locked = project.locks_python()
        if locked is not None and locked.wanted != running_version():
            output.note(
                f"Python {locked.wanted}, as {locked.lock} was pinned for Python {locked.pinned_for}"
                f'{locked.older} (doit runs on {running_version()}); python = "{locked.wanted}" in '
                "pyproject.toml's [tool.doitenv] says so for everyone"
            )
        check_supported(interpreter.path)
        try:
            with writing(project, "rebuilding"):
                venv.create(interpreter, backend.create_venv(interpreter.path, Venv(venv.real)), backend.name)
        except runner.CommandFailed as failed:
            raise Failure(f"{venv.path.name}/: could not create it ({failed})") from None
