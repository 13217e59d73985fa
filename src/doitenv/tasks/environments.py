"""The environment tasks: sync the venv to a layer's lock (`dev`, `prod`), register it as a
Jupyter kernel (`kernel`), and take it all down again (`doit clean`, `distclean`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from doitenv import clean, declared, editable, fits, imports, indexes, kernel, locks, output, sync, testrun
from doitenv.errors import Failure
from doitenv.filelock import exclusive
from doitenv.interpreter import running_version
from doitenv.layers import Layer
from doitenv.project import DOIT_DEP_FILE, Project
from doitenv.tasks import state
from doitenv.tasks.access import changing, using, writing

# --- dev and prod -----------------------------------------------------------------------


def env_is_synced(project: Project, layer: Layer) -> bool:
    if _hook_changes(project, layer) or project.jupyter_kernel.wanted():
        return False
    return (
        sync.why_unsynced(project.venv, project.root / layer.lock, project.config.editable_inputs, project.root) is None
    )


def sync_env(project: Project, layer: Layer) -> None:
    venv = project.venv
    lock_path = project.root / layer.lock
    with changing(project):
        reason = sync.why_unsynced(venv, lock_path, project.config.editable_inputs, project.root)
        if reason is not None:
            # doit running from this very venv survives a sync only if the sync keeps what runs.
            missing = _running_tools_missing(project, lock_path)
            if venv.is_running() and missing:
                raise Failure(
                    f"doit runs from inside {venv.path.name}/, and syncing it to {layer.lock} would uninstall "
                    f"{', '.join(missing)}, which doit runs on: run doit from outside the venv, or add "
                    f"{', '.join(missing)} to {layer.lock}'s .in file"
                )
            output.note(f"syncing {venv.path.name}/ to {layer.lock}: {reason}")
            with writing(project, "syncing"):
                build_inputs = project.config.editable_inputs

                def verify() -> None:
                    config, wanted = project.config, project.direct(layer)
                    imports.check(venv, lock_path, wanted, config.skip_imports, project.root, config.resolve_as_of)

                backend = project.backend

                def explain(output: str) -> str | None:
                    context, said = project.fit_context(layer), backend.explain_failure(output)
                    refused = indexes.refused(said, context.options, context.inputs, project.root)
                    ignored = indexes.ignored(said, context.options, context.inputs, project.root)
                    return refused or ignored or fits.explain(said, output, context)

                sync.sync(venv, lock_path, project.root, project.state_dir, build_inputs, backend, verify, explain)
    for line in unmet_dependencies(project):
        output.warn(line)
    if project.main_venv is None:  # a matrix entry's venv runs no git hook
        project.pre_commit.settle(dev=layer == project.dev)
    with changing(project), using(project):
        project.jupyter_kernel.refresh()


def _hook_changes(project: Project, layer: Layer) -> bool:
    return project.main_venv is None and project.pre_commit.wanted(dev=layer == project.dev)


def _running_tools_missing(project: Project, lock: Path) -> list[str]:
    """What runs this doit process and a sync to `lock` would remove (doitenv itself stays
    when it is the project being installed)."""
    kept = set(locks.pins(lock))
    metadata = project.config.metadata
    if metadata is not None and metadata.name == "doitenv":
        kept.add("doitenv")
    return [name for name in ("doit", "pip-tools", "doitenv") if name not in kept]


def unmet_dependencies(project: Project) -> list[str]:
    """What `[project].dependencies` declares and the runtime lock does not satisfy."""
    config, runtime = project.config, project.runtime
    if runtime.generated is None:
        source = runtime.in_file
        fix = declared.Fix(f"add it to {source}", f"widen the range in pyproject.toml, or pin it within it in {source}")
    elif "project" in (config.requirements_from or ()):
        # Taken from [project] already: the lock was pinned before the dependency was declared.
        stale = f"{runtime.lock} is stale (tool.doitenv.requirements-from takes [project]'s): pin it again"
        fix = declared.Fix(stale, f"{runtime.lock} is stale: pin it again")
    else:
        fix = declared.Fix(
            "add 'project' to tool.doitenv.requirements-from", "widen the range in pyproject.toml, or change its pin"
        )
    lock = project.root / runtime.lock
    if not lock.is_file():
        return []  # nothing pinned yet: the missing lock is the problem to report
    header = locks.recorded(lock)
    python = project.venv.python_version() or (header.python if header else "")
    if not project.venv.python_version() and header is not None and header.universal:
        python = running_version()  # no venv: the markers of the Python that runs doit
    return declared.unmet(config.metadata, project.root, runtime.lock, fix, python)


# --- kernel -----------------------------------------------------------------------------


def _kernel_place(project: Project, name: str, prefix: str, user: bool) -> tuple[str, str]:
    """(name, prefix) of the kernel `doit kernel` registers: what it is given, else what the
    project's kernel was registered as, else the project's name in the user's kernels (prefix
    ''). `user` asks for the user's kernels; a relative prefix is relative to the project."""
    before = project.jupyter_kernel.record()
    name = name or (before.name if before else "") or kernel.name_for(project.config.project_name)
    if user:
        return name, ""
    return name, os.path.abspath(os.path.expanduser(prefix)) if prefix else (before.prefix if before else "")


def kernel_is_registered(task: Any, values: dict[str, Any], project: Project) -> bool:
    options = task.options or {}  # None under `doit reset-dep`, which parses no task options
    place = _kernel_place(project, options.get("name", ""), options.get("prefix", ""), options.get("user", False))
    return project.jupyter_kernel.is_registered(*place)


def register_kernel(project: Project, name: str, prefix: str, user: bool) -> None:
    if user and prefix:
        raise Failure("doit kernel: give --user or --prefix, not both")
    dev = project.dev
    if "ipykernel" not in locks.pins(project.root / dev.lock):
        raise Failure(
            f"{dev.lock} has no ipykernel, which runs a Jupyter kernel: add ipykernel to {dev.source} "
            "and run `doit kernel` again"
        )
    name, prefix = _kernel_place(project, name, prefix, user)
    with changing(project), using(project):  # one registration at a time, never during a sync
        output.note(project.jupyter_kernel.register(name, prefix))


# --- clean ------------------------------------------------------------------------------


def clean_artifacts(project: Project, dryrun: bool = False) -> None:
    clean.clean_artifacts(project.root, dryrun)


def distclean(project: Project) -> None:
    if project.venv.is_running():
        raise Failure(f"doit runs from inside {project.venv.path.name}/ and cannot delete it: deactivate it first")
    clean.clean_artifacts(project.root)
    project.jupyter_kernel.remove()
    project.pre_commit.remove(f"{project.venv.path.name}/ is gone")
    for each in (project, *(project.for_python(version) for version in project.config.pythons)):
        with changing(each):
            where = each.venv.path.relative_to(project.root).as_posix()
            foreign = each.venv.foreign()
            if foreign:
                output.note(f"keeping {where}/: {foreign}", bare=True)
            elif each.venv.real.exists():
                with writing(each, "removing"):
                    linked = f" (its files in {each.venv.real}: the link stays)" if each.venv.path.is_symlink() else ""
                    output.note(f"removing {where}/{linked}", bare=True)
                    each.venv.remove()
                    each.venv.remove_redirect()
    cached = project.state_dir / editable.CACHE
    if cached.exists():
        # Made again on the next sync: the way out of a wheel that no longer fits the project.
        with changing(project), exclusive(project.state_dir / editable.BUILD_LOCK):
            output.note(f"removing {cached.relative_to(project.root).as_posix()}/", bare=True)
            clean.remove(cached)
    output.note("forgetting doit's state", bare=True)
    state.forget(Path(project.root, DOIT_DEP_FILE))
    # What the last passes stood on goes with doit's record of them: kept, it would tell the
    # next `doit test` that a pass doit no longer holds was never there.
    for last_pass in project.state_dir.glob(f"*{testrun.LAST_PASS_SUFFIX}"):
        last_pass.unlink(missing_ok=True)
