"""`doit check` (is everything in step? for CI) and `doit upgrade` (move pins on purpose)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from doit.exceptions import TaskFailed

from doitenv import actions, locks, sync
from doitenv.interpreter import InterpreterNotFound
from doitenv.project import Project


def check(project: Project) -> TaskFailed | None:
    """Report every way the locks and the venv are out of step, each with the command that
    fixes it. Reads files only: no network, no process."""
    config = project.config
    venv = project.venv
    problems = []
    configured = project.lock_shape()
    for lock in (config.requirements, config.dev_requirements):
        in_file, text = project.lock_input(lock)
        found = locks.recorded(project.root / lock)
        if found is None:
            problems.append(f"{lock} is missing or was not written by doitenv: run `doit {lock}`")
            continue
        # Without a venv or a `python` setting, check the lock against the Python it was resolved for.
        shape = configured if configured.python else replace(configured, python=found.python)
        stale = locks.why_stale(project.root, in_file, lock, shape, text)
        if stale is not None:
            source = in_file if text is None else "pyproject.toml's sources"
            if stale == locks.INPUTS_CHANGED:
                stale = f"{lock} is stale for {source} and Python {shape.python}"
            problems.append(f"{stale}: run `doit {lock}` to pin it again from {source}")

    runtime = locks.pins(project.root / config.requirements)
    dev = locks.pins(project.root / config.dev_requirements)
    for name in sorted(runtime.keys() & dev.keys()):
        if runtime[name] != dev[name]:
            problems.append(
                f"{config.dev_requirements} pins {name}=={dev[name]} but {config.requirements} pins "
                f"{name}=={runtime[name]}: run `doit {config.dev_requirements}`"
            )

    problems += actions.unmet_dependencies(project)

    if (venv.path / "pyvenv.cfg").exists():
        try:
            rebuild = venv.problem(project.interpreter(), config.backend)
        except InterpreterNotFound as exc:
            rebuild = str(exc)
        if rebuild is not None:
            problems.append(f"{venv.path.name}/ must be made again: {rebuild}: run `doit dev`")
        runtime_held = sync.held_lock(venv) == Path(config.requirements).name
        target = config.requirements if runtime_held else config.dev_requirements
        reason = sync.why_unsynced(venv, project.root / target, config.project)
        if reason is not None:
            task = "prod" if target == config.requirements else "dev"
            problems.append(f"{venv.path.name}/ is out of step: {reason}: run `doit {task}`")

    if problems:
        return TaskFailed("\n".join(problems))
    venv_state = "venv in step" if (venv.path / "pyvenv.cfg").exists() else f"no {venv.path.name}/ here to check"
    print(f"doitenv: locks fresh, layers agree, {venv_state}")
    return None


def upgrade(project: Project, package: Sequence[str]) -> TaskFailed | None:
    """Re-resolve both locks (only `package` when given), show what moved, then sync dev."""
    config = project.config
    flags = [flag for name in package for flag in ("--upgrade-package", name)] or ["--upgrade"]
    layers = ((config.requirements, None), (config.dev_requirements, config.requirements))
    before = {lock: locks.pins(project.root / lock) for lock, _ in layers}
    for lock, layered_on in layers:
        failed = actions.compile_lock(project, lock, layered_on, flags)
        if failed:
            return failed
    moved = 0
    for lock, _ in layers:
        after = locks.pins(project.root / lock)
        for name in sorted(before[lock].keys() | after.keys()):
            old, new = before[lock].get(name, "-"), after.get(name, "-")
            if old != new:
                print(f"doitenv: {lock}: {name} {old} -> {new}")
                moved += 1
    if not moved:
        print("doitenv: nothing moved: every pin was already the newest allowed")
    return actions.sync_env(project, config.dev_requirements)
