"""What each task does and when it is up to date, as plain functions doit calls.

Actions report a user's mistake or a tool's failure as one TaskFailed message naming the
file and the fix. Everything that changes the venv or a lock runs under the project's
file lock and looks again, inside it, whether another doit process already did the work.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from doit.exceptions import TaskFailed

from doitenv import clean, declared, editable, files, hooks, inputs, kernel, locks, runner, sync, testrun, tools
from doitenv.filelock import exclusive, shared
from doitenv.interpreter import InterpreterNotFound, check_supported
from doitenv.project import DOIT_DEP_FILE, Project
from doitenv.tools import BackendMissing
from doitenv.watch import Watch, dodo_file, doit_command

# --- venv -------------------------------------------------------------------------------


def venv_is_ready(project: Project) -> bool:
    try:
        return project.venv.problem(project.interpreter(), project.config.backend) is None
    except (InterpreterNotFound, OSError):
        return False  # the action says what is wrong


def make_venv(project: Project) -> TaskFailed | None:
    venv = project.venv
    try:
        interpreter = project.interpreter()
        backend = project.backend
    except InterpreterNotFound as exc:
        return TaskFailed(f"pyproject.toml: tool.doitenv.python: {exc}")
    except BackendMissing as exc:
        return TaskFailed(f"pyproject.toml: {exc}")
    with _changing(project):
        problem = venv.problem(interpreter, backend.name)
        if problem is None:
            return None
        if venv.adoptable(interpreter):
            print(f"doitenv: keeping {venv.path.name}/, made from {interpreter.path}")
            venv.record(interpreter, backend.name)
            return None
        if venv.is_running():
            return TaskFailed(
                f"{venv.path.name}/ must be rebuilt ({problem}), but doit runs from inside it: "
                "run doit with a Python outside the venv"
            )
        if venv.foreign():
            return TaskFailed(
                f"{venv.path.name}/ holds files that are not a venv, and doitenv deletes only what it made: "
                "move them away, or set tool.doitenv.venv in pyproject.toml to another folder"
            )
        doing = "rebuilding" if (venv.path / "pyvenv.cfg").is_file() else "creating"
        print(f"doitenv: {doing} {venv.path.name}/ with {interpreter.path}: {problem}")
        try:
            check_supported(interpreter.path)
            with _writing(project, "rebuilding"):
                venv.create(interpreter, backend.create_venv(interpreter.path, venv), backend.name)
        except runner.CommandFailed as failed:
            return TaskFailed(f"{venv.path.name}/: could not create it ({failed})")
        except InterpreterNotFound as exc:
            return TaskFailed(f"pyproject.toml: tool.doitenv.python: {exc}")
    return None


# --- locks ------------------------------------------------------------------------------


def compile_lock(project: Project, lock: str, layered_on: str | None, upgrade: Sequence[str] = ()) -> TaskFailed | None:
    """Pin `lock`'s requirements; `upgrade` (--upgrade, --upgrade-package X) compiles even a fresh lock."""
    in_file, text = project.lock_input(lock)
    with _changing(project):
        stale = project.lock_staleness(lock)
        if not upgrade and stale is None:
            return None  # another doit process compiled it while this one waited
        try:
            locks.check_inputs(project.root, in_file, layered_on, text)
            source = in_file if text is None else "pyproject.toml's sources"
            shape, resolver = project.lock_shape(), project.resolver
            _say_if_resolved_for_another_python(project, lock)
            # A hand-edited lock is pinned again from the edits (the resolver keeps a version
            # the inputs allow) but never keeps a hash it did not compute itself.
            edited = locks.edited_by_hand(project.root / lock)
            keep = "versions" if edited else "pins"
            if stale not in (None, locks.INPUTS_CHANGED) and not upgrade:
                print(f"doitenv: {stale}: pinning it again from {source}")
            print(f"doitenv: pinning {source} into {lock} for {resolver.target(shape)}")

            def compile_argv(output: str) -> list[str]:
                return resolver.argv(shape, in_file, output, upgrade)

            environment = resolver.environment(lock, locks.index_options(project.root, in_file, text))
            try:
                locks.compile_lock(project.root, in_file, lock, shape, compile_argv, text, environment, keep)
            except locks.LockError:
                if not edited:
                    raise
                # The edits conflict with the inputs: they are what must go, not the inputs.
                print(f"doitenv: the edits to {lock} do not fit {source}: pinning it afresh from {source}")
                locks.compile_lock(project.root, in_file, lock, shape, compile_argv, text, environment, "nothing")
        except (locks.LockError, BackendMissing) as exc:
            return TaskFailed(str(exc))
        except runner.CommandFailed as failed:
            return TaskFailed(f"{lock}: could not prepare pip-tools ({failed})\n{failed.output}")
    return None


def _say_if_resolved_for_another_python(project: Project, lock: str) -> None:
    """A lock committed from another Python is pinned again for this one, which rewrites it: say
    so, and how a team stops the locks flipping between its Pythons."""
    recorded = locks.recorded(project.root / lock)
    running = project.lock_shape().python
    if recorded is None or recorded.python in ("", running) or project.config.universal:
        return
    if recorded.python.startswith("universal"):
        print(f"doitenv: {lock} was universal; universal = true is off now, so it is pinned for Python {running}")
        return
    print(
        f"doitenv: {lock} was resolved for Python {recorded.python}, and {project.venv.path.name}/ runs Python "
        f"{running}: pinning it again for {running} changes it. To keep one lock for the whole team, set "
        f'tool.doitenv.python = "{recorded.python}" in pyproject.toml (everyone resolves with that Python), '
        "or universal = true (one lock for every Python and platform)"
    )


# --- dev and prod -----------------------------------------------------------------------


def env_is_synced(project: Project, lock: str) -> bool:
    if project.pre_commit.wanted() or project.jupyter_kernel.wanted():
        return False
    project_table = project.config.project
    return sync.why_unsynced(project.venv, project.root / lock, project_table) is None


def sync_env(project: Project, lock: str) -> TaskFailed | None:
    venv = project.venv
    lock_path = project.root / lock
    with _changing(project):
        reason = sync.why_unsynced(venv, lock_path, project.config.project)
        if reason is not None:
            # doit running from this very venv survives a sync only if the sync keeps what runs.
            missing = _running_tools_missing(project, lock_path)
            if venv.is_running() and missing:
                return TaskFailed(
                    f"doit runs from inside {venv.path.name}/, and syncing it to {lock} would uninstall "
                    f"{', '.join(missing)}, which doit runs on: run doit from outside the venv, or add "
                    f"{', '.join(missing)} to {lock}'s .in file"
                )
            print(f"doitenv: syncing {venv.path.name}/ to {lock}: {reason}")
            try:
                with _writing(project, "syncing"):
                    sync.sync(venv, lock_path, project.root, project.state_dir, project.config.project, project.backend)
            except (sync.SyncError, BackendMissing) as exc:
                return TaskFailed(str(exc))
    for line in unmet_dependencies(project):
        print(f"doitenv: {line}")
    project.pre_commit.install()
    with _changing(project), _using(project):
        project.jupyter_kernel.refresh()
    return None


def _changing(project: Project) -> AbstractContextManager[None]:
    """One doit process at a time changes the venv and the locks; the others wait, and say so."""
    waiting = f"waiting for another doit to finish with {project.venv.path.name}/ and the locks"
    return exclusive(project.lock_file, waiting)


def _writing(project: Project, doing: str) -> AbstractContextManager[None]:
    """Hold the venv alone: no test run or other command of the venv runs while it changes."""
    name = project.venv.path.name
    return exclusive(project.users_lock_file, f"waiting for a command running in {name}/ to finish before {doing} it")


def _using(project: Project) -> AbstractContextManager[None]:
    """Hold the venv beside other commands that run in it, never while it changes."""
    name = project.venv.path.name
    return shared(project.users_lock_file, f"waiting for another doit to be done with {name}/")


def _running_tools_missing(project: Project, lock: Path) -> list[str]:
    """What runs this doit process and a sync to `lock` would remove (doitenv itself stays
    when it is the project being installed)."""
    kept = set(locks.pins(lock))
    if ((project.config.project or {}).get("project") or {}).get("name") == "doitenv":
        kept.add("doitenv")
    return [name for name in ("doit", "pip-tools", "doitenv") if name not in kept]


def unmet_dependencies(project: Project) -> list[str]:
    """What `[project].dependencies` declares and the runtime lock does not satisfy."""
    config = project.config
    if config.requirements_from is None:
        source = config.requirements_in
        fix = declared.Fix(f"add it to {source}", f"widen the range in pyproject.toml, or pin it within it in {source}")
    else:
        fix = declared.Fix(
            "add 'project' to tool.doitenv.requirements-from", "widen the range in pyproject.toml, or change its pin"
        )
    lock = project.root / config.requirements
    if not lock.is_file():
        return []  # nothing pinned yet: the missing lock is the problem to report
    header = locks.recorded(lock)
    python = project.venv.python_version() or (header.python if header else "")
    if python.startswith("universal"):  # no venv: the markers of the Python that runs doit
        python = tools.running_version()
    return declared.unmet(config.project, lock, config.requirements, fix, python)


# --- test and format --------------------------------------------------------------------


def _env_digest(project: Project, extra: Sequence[str]) -> str:
    """The synced environment plus `extra`: what a cached test or format run stands on."""
    return files.digest([sync.record_bytes(project.venv), *extra])


def arguments_after_dashes(args: Sequence[str]) -> list[str]:
    """The arguments after `--`. doit drops any `key=value` among them as a doit variable,
    but the command line in sys.argv still has them; use it when it agrees with doit's."""
    args = list(args or ())
    if "--" in sys.argv:
        tail = sys.argv[sys.argv.index("--") + 1 :]
        without_variables = [a for a in tail if a.startswith("-") or "=" not in a]
        if without_variables == args:
            return tail
    return args


def _test_state(project: Project, args: Sequence[str]) -> tuple[str, dict[str, Any], inputs.Snapshot]:
    """(the digest a passing run is cached under, what it stands on besides the files, the files)."""
    stands_on = {
        "command": [*project.config.test_command, "--", *args],
        "variables": testrun.shaping_variables(project.config.test_env),
        # The venv's sync record names the lock, what is installed and the project's folder.
        "venv": files.digest([sync.record_bytes(project.venv)]),
        "folder": str(project.root.resolve()),
    }
    snapshot = project.files_snapshot(project.config.test_inputs)
    return files.digest([json.dumps(stands_on, sort_keys=True), snapshot.digest]), stands_on, snapshot


def _last_pass(project: Project, task_name: str) -> Path:
    """What the tests stood on when they last passed: to say which change makes them run again."""
    return project.state_dir / f"{task_name.replace(':', '-')}.passed.json"


def _why_again(last: dict[str, Any], stands_on: dict[str, Any], snapshot: inputs.Snapshot, venv: str) -> str:
    """Every difference from the last pass, or why there is none to name."""
    reasons = []
    if last.get("folder") != stands_on["folder"]:
        reasons.append(f"the project is in a new folder (copied or moved from {last.get('folder')})")
    if last.get("command") != stands_on["command"]:
        reasons.append("the test command or its arguments changed")
    reasons += testrun.variable_changes(last.get("variables") or {}, stands_on["variables"])
    if last.get("venv") != stands_on["venv"] and last.get("folder") == stands_on["folder"]:
        reasons.append(f"{venv}/ was synced again")
    reasons += snapshot.changes_from(last.get("files") or {})
    # Nothing changed since the last pass: doit forgot it, after a failed run or `doit forget`.
    return ", ".join(reasons) or "doit has no passing run on record (the last run failed, or `doit forget`)"


def tests_unchanged(task: Any, values: dict[str, Any], project: Project) -> bool:
    # Digested before the run (`dev` has synced by now), and again after it.
    args = arguments_after_dashes(task.pos_arg_val)
    digest, stands_on, before = _test_state(project, args)
    if values.get("inputs") == digest:
        return _say_if_passed_before(True, task.name)
    last = files.read_json(_last_pass(project, task.name))
    if isinstance(last, dict):
        why = _why_again(last, stands_on, before, project.venv.path.name)
        print(f"doitenv: tests run again: {why}", file=sys.stderr)

    def record_the_pass() -> dict[str, str]:  # doit calls it only when the run exited 0
        cached = _cache_the_pass(project, args, (digest, stands_on, before))
        if cached:
            files.write_json(_last_pass(project, task.name), {**stands_on, "files": before.hashes})
        return cached

    task.value_savers.append(record_the_pass)
    return False


def _cache_the_pass(
    project: Project, args: Sequence[str], before: tuple[str, dict[str, Any], inputs.Snapshot]
) -> dict[str, str]:
    """What a run that exited 0 is cached under: the inputs it started from, unless it ran no
    test, or one of them changed while it ran (then nothing, and it runs again next time)."""
    if testrun.is_pytest(project.config.test_command):
        none_ran = testrun.ran_no_test(_report(project))
        if none_ran is not None:
            print(f"doitenv: {none_ran}, so this run is not recorded as a pass")
            return {}
    after = _test_state(project, args)
    if after[0] == before[0]:
        return {"inputs": before[0]}
    what = ", ".join(after[2].changes_from(before[2].hashes)) or "the environment changed"
    print(f"doitenv: {what} while the tests ran, so this pass is not cached: they run again next time")
    return {}


def _report(project: Project) -> Path:
    """Where doitenv's pytest plugin says how many tests ran (one per venv: matrix entries run side by side)."""
    return project.state_dir / f"{Path(project.config.venv).name}.pytest-report.json"


def matrix_unchanged(task: Any, values: dict[str, Any], project: Project) -> bool:
    # The entry makes its own venv, so its digest is recorded by run_matrix_entry.
    return _say_if_passed_before(values.get("inputs") == _test_state(project, [])[0], task.name)


def _say_if_passed_before(unchanged: bool, task_name: str) -> bool:
    if unchanged:
        print(
            f"doitenv: tests passed before and nothing they depend on changed (`doit forget {task_name}` runs "
            "them anyway)",
            file=sys.stderr,
        )
    return unchanged


def run_tests(project: Project, args: Sequence[str]) -> TaskFailed | None:
    command = [*project.config.test_command, *arguments_after_dashes(args)]
    extra_env: dict[str, str] = {}
    if testrun.is_pytest(command):
        command, extra_env = testrun.with_report(command, project.state_dir, _report(project))
    failed = run_in_venv(project, command, "the tests", synced_to=project.config.dev_requirements, extra_env=extra_env)
    if failed is not None and "exited with 5" in str(failed.message) and testrun.is_pytest(command):
        return TaskFailed(
            f"{failed.message}: pytest collected no test; tool.doitenv.test-command in pyproject.toml "
            "says where the tests are"
        )
    return failed


def format_unchanged(task: Any, values: dict[str, Any], project: Project) -> bool:
    return values.get("inputs") == _format_digest(project)


def _format_digest(project: Project) -> str:
    return files.digest([_env_digest(project, []), project.files_snapshot(project.config.format_inputs).digest])


# Format, fix what lint can fix, then format what the fixes left (a removed import leaves a
# blank line behind).
RUFF_STEPS = (("ruff", "format", "."), ("ruff", "check", "--fix", "."), ("ruff", "format", "."))
PRE_COMMIT_RUN = ("pre-commit", "run", "--all-files")
PRE_COMMIT_STEPS = (PRE_COMMIT_RUN,)


def format_steps(project: Project) -> tuple[tuple[str, ...], ...]:
    if project.config.format_commands is not None:
        return project.config.format_commands
    return PRE_COMMIT_STEPS if project.pre_commit.configured() else RUFF_STEPS


def run_format(project: Project) -> TaskFailed | dict[str, str]:
    steps = format_steps(project)
    if steps == PRE_COMMIT_STEPS:
        pre_commit = project.pre_commit.command()
        if pre_commit is None:
            return TaskFailed(
                f"{hooks.CONFIG} asks for pre-commit, which is not installed in {project.venv.path.name}/ or on "
                f"PATH: add pre-commit to {project.config.dev_requirements_in} and run `doit dev` "
                "(or `pipx install pre-commit`)"
            )
        # pre-commit exits 1 when a hook changed files; a second pass shows whether any problem
        # is left. Any other exit is an error of pre-commit's own, which a second pass repeats.
        failed = run_in_venv(project, PRE_COMMIT_RUN, "pre-commit", pre_commit, again_on=1)
        return failed or {"inputs": _format_digest(project)}
    failed = None
    for step in steps:
        failed = failed or run_in_venv(project, step, " ".join(step[:2]))
    # Recorded after the run: the files as the formatters left them count as clean.
    return failed or {"inputs": _format_digest(project)}


# --- kernel -----------------------------------------------------------------------------


def _kernel_place(project: Project, name: str, prefix: str, user: bool) -> tuple[str, str]:
    """(name, prefix) of the kernel `doit kernel` registers: what it is given, else what the
    project's kernel was registered as, else the project's name in the user's kernels (prefix
    ''). `user` asks for the user's kernels; a relative prefix is relative to the project."""
    before = project.jupyter_kernel.record() or {}
    name = name or before.get("name") or kernel.name_for(project.config.project_name)
    if user:
        return name, ""
    return name, os.path.abspath(os.path.expanduser(prefix)) if prefix else before.get("prefix") or ""


def kernel_is_registered(task: Any, values: dict[str, Any], project: Project) -> bool:
    options = task.options
    place = _kernel_place(project, options.get("name", ""), options.get("prefix", ""), options.get("user", False))
    return project.jupyter_kernel.is_registered(*place)


def register_kernel(project: Project, name: str, prefix: str, user: bool) -> TaskFailed | None:
    config = project.config
    if user and prefix:
        return TaskFailed("doit kernel: give --user or --prefix, not both")
    if "ipykernel" not in locks.pins(project.root / config.dev_requirements):
        source = config.dev_requirements_in if config.dev_requirements_from is None else "pyproject.toml's dev sources"
        return TaskFailed(
            f"{config.dev_requirements} has no ipykernel, which runs a Jupyter kernel: add ipykernel to {source} "
            "and run `doit kernel` again"
        )
    name, prefix = _kernel_place(project, name, prefix, user)
    try:
        with _changing(project), _using(project):  # one registration at a time, never during a sync
            print(f"doitenv: {project.jupyter_kernel.register(name, prefix)}")
    except kernel.KernelError as exc:
        return TaskFailed(str(exc))
    return None


# --- watch ------------------------------------------------------------------------------


def watch(project: Project, tasks: Sequence[str]) -> TaskFailed | None:
    """`doit watch [TASK...]`: the arguments after `--` reach the watched task, as in `doit test -- -k x`."""
    words = list(tasks or ["test"])
    if words[0].startswith("-"):  # `doit watch -- -k x`: doit drops the `--` itself
        words = ["test", "--", *words]
    if "--" in words:
        cut = words.index("--")
        words = [*words[:cut], "--", *arguments_after_dashes(words[cut + 1 :])]
    if "watch" in words[: words.index("--") if "--" in words else None]:
        return TaskFailed("doit watch watches other tasks: `doit watch test`, `doit watch format test`")
    failed = Watch(project, doit_command(dodo_file(), str(project.root)), words).run()
    return TaskFailed(failed) if failed else None


def run_in_venv(
    project: Project,
    command: Sequence[str],
    what: str,
    prefix: list[str] | None = None,
    again_on: int | None = None,
    synced_to: str | None = None,
    extra_env: dict[str, str] | None = None,
) -> TaskFailed | None:
    """Run `command`, whose first word is a script installed in the venv (or found at `prefix`);
    once more when it exits with `again_on`. With `synced_to`, the venv must still hold that lock
    once no other doit changes it."""
    venv = project.venv
    with _using(project):
        if synced_to is not None:
            changed = sync.why_unsynced(venv, project.root / synced_to, project.config.project)
            if changed is not None:
                return TaskFailed(f"another doit changed {venv.path.name}/ meanwhile ({changed}): run this again")
        prefix = prefix or venv.command(command[0])
        if prefix is None:
            return TaskFailed(
                f"{command[0]} is not installed in {venv.path.name}/: add it to "
                f"{project.config.dev_requirements_in} and run `doit dev`"
            )
        env = {**venv.activated(), **(extra_env or {})}
        try:
            try:
                runner.run([*prefix, *command[1:]], env=env, cwd=str(project.root))
            except runner.CommandFailed as failed:
                if failed.returncode != again_on:
                    raise
                print(
                    f"doitenv: {what} changed files or found problems; running it again to see what is left", flush=True
                )
                runner.run([*prefix, *command[1:]], env=env, cwd=str(project.root))
        except runner.CommandFailed as failed:
            return TaskFailed(f"{what} failed: {failed}")
    return None


def run_matrix_entry(project: Project) -> TaskFailed | dict[str, str]:
    """One interpreter of the matrix: its venv, synced to the dev lock, then the tests."""
    where = f"Python {project.config.python} ({project.venv.path.name}/)"
    failed = make_venv(project) or sync_env(project, project.config.dev_requirements)
    if failed:
        return _at(where, failed)
    before = _test_state(project, [])
    failed = run_tests(project, [])
    if failed:
        return _at(where, failed)
    return _cache_the_pass(project, [], before)


def _at(where: str, failed: TaskFailed) -> TaskFailed:
    """`failed`, its last line (the one that says what and where) naming `where` first."""
    *details, last = str(failed.message).splitlines() or [""]
    return TaskFailed("\n".join([*details, f"{where}: {last}"]))


# --- clean ------------------------------------------------------------------------------


def clean_artifacts(project: Project, dryrun: bool = False) -> None:
    clean.clean_artifacts(project.root, dryrun)


def distclean(project: Project) -> TaskFailed | None:
    if project.venv.is_running():
        return TaskFailed(f"doit runs from inside {project.venv.path.name}/ and cannot delete it: deactivate it first")
    clean.clean_artifacts(project.root)
    project.jupyter_kernel.remove()
    for each in (project, *(project.for_python(version) for version in project.config.pythons)):
        with _changing(each):
            where = each.venv.path.relative_to(project.root).as_posix()
            if each.venv.foreign():
                print(f"keeping {where}/: it holds files that are not a venv, and doitenv deletes only what it made")
            elif each.venv.path.exists():
                with _writing(each, "removing"):
                    print(f"removing {where}/")
                    each.venv.remove()
                    each.venv.remove_redirect()
    cached = project.state_dir / editable.CACHE
    if cached.exists():
        # Made again on the next sync: the way out of a wheel that no longer fits the project.
        with _changing(project), exclusive(project.state_dir / editable.BUILD_LOCK):
            print(f"removing {cached.relative_to(project.root).as_posix()}/")
            clean.remove(cached)
    print("forgetting doit's state")
    clean.forget_doit_state(Path(project.root, DOIT_DEP_FILE))
    return None
