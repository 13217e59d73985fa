"""The run tasks: the tests (`test`, one `matrix` entry per Python), the formatters (`format`),
a project's own commands in the venv (api.in_venv) and `watch`.

A test or format run is cached under what it stands on: the synced venv, the project's files,
and for the tests their command and the variables that shape them (testrun.py). A run that
passed is not repeated until one of those changes, and then doitenv says which.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any, NamedTuple

from doitenv import files, hooks, inputs, keyed, output, runner, sync, testrun
from doitenv.config import DEFAULT_TEST_COMMAND
from doitenv.errors import Failure
from doitenv.project import STATE_DIR, Project
from doitenv.tasks.access import using
from doitenv.tasks.environments import sync_env
from doitenv.tasks.failures import saver
from doitenv.tasks.venv import make_venv
from doitenv.watch import Watch, dodo_file, doit_command


class RunFailed(Failure):
    """A command run in the venv exited non-zero; `returncode` says how."""

    def __init__(self, message: str, returncode: int) -> None:
        super().__init__(message)
        self.returncode = returncode


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


def run_in_venv(
    project: Project,
    command: Sequence[str],
    what: str,
    prefix: list[str] | None = None,
    again_on: int | None = None,
    synced_to: str | None = None,
    extra_env: dict[str, str] | None = None,
) -> None:
    """Run `command`, whose first word is a script installed in the venv (or found at `prefix`);
    once more when it exits with `again_on`. With `synced_to`, the venv must still hold that lock
    once no other doit changes it."""
    venv = project.venv
    with using(project):
        if synced_to is not None:
            changed = sync.why_unsynced(venv, project.root / synced_to, project.config.editable_inputs, project.root)
            if changed is not None:
                raise Failure(f"another doit changed {venv.path.name}/ meanwhile ({changed}): run this again")
        prefix = prefix or venv.command(command[0])
        if prefix is None:
            raise Failure(
                f"{command[0]} is not installed in {venv.path.name}/: add it to {project.dev.source} and run `doit dev`"
            )
        env = {**venv.activated(), **(extra_env or {})}
        try:
            try:
                runner.run_stoppable([*prefix, *command[1:]], cwd=str(project.root), env=env)
            except runner.CommandFailed as failed:
                if failed.returncode != again_on:
                    raise
                output.note(f"{what} changed files or found problems; running it again to see what is left")
                runner.run_stoppable([*prefix, *command[1:]], cwd=str(project.root), env=env)
        except runner.CommandFailed as failed:
            raise RunFailed(f"{what} failed: {failed}", failed.returncode) from None


# --- test -------------------------------------------------------------------------------


class _TestState(NamedTuple):
    digest: str  # what a passing run is cached under
    stands_on: testrun.StandsOn
    files: inputs.Snapshot


def _test_state(project: Project, args: Sequence[str]) -> _TestState:
    state_dir = project.state_dir
    stands_on = testrun.StandsOn(
        command=keyed.digest(state_dir, [*test_command(project), "--", *args]),
        variables=testrun.shaping_variables(state_dir, project.config.test_env),
        key=keyed.key_id(state_dir),
        venv=files.digest([sync.record_bytes(project.venv)]),
        folder=str(project.root.resolve()),
    )
    snapshot = project.files_snapshot(project.config.test_inputs)
    # The digest of every pass on record: it must not move for the same run.
    return _TestState(
        files.digest([json.dumps(asdict(stands_on), sort_keys=True), snapshot.digest]), stands_on, snapshot
    )


def _last_pass(project: Project, task_name: str) -> Path:
    """What the tests stood on when they last passed: to say which change makes them run again.
    `doit distclean` removes it with doit's state, whose record of the pass it explains."""
    return project.state_dir / f"{task_name.replace(':', '-')}{testrun.LAST_PASS_SUFFIX}"


def _why_again(last: testrun.LastPass, stands_on: testrun.StandsOn, snapshot: inputs.Snapshot, venv: str) -> str:
    """Every difference from the last pass, or why there is none to name."""
    reasons = []
    if last.key != stands_on.key:
        # Digests under another key, or an older doitenv's unkeyed ones, cannot be compared.
        was = (
            f"{STATE_DIR}/{keyed.KEY_FILE} was made anew since the last pass"
            if last.key is not None
            else "the last pass was recorded by an older doitenv, whose digests were not keyed"
        )
        reasons.append(f"{was}, so the test command and variables cannot be compared")
        last = replace(last, command=stands_on.command, variables=stands_on.variables)
    if last.folder != stands_on.folder:
        reasons.append(f"the project is in a new folder (copied or moved from {last.folder})")
    if last.command != stands_on.command:
        reasons.append("the test command or its arguments changed")
    reasons += testrun.variable_changes(last.variables or {}, stands_on.variables, last.test_env)
    if last.venv != stands_on.venv and last.folder == stands_on.folder:
        reasons.append(f"{venv}/ was synced again")
    reasons += snapshot.changes_from(last.files or {})
    # Nothing changed since the last pass: doit forgot it, after a failed run or `doit forget`.
    return ", ".join(reasons) or "doit has no passing run on record (the last run failed, or `doit forget`)"


def tests_unchanged(task: Any, values: dict[str, Any], project: Project) -> bool:
    # Digested before the run (`dev` has synced by now), and again after it.
    args = arguments_after_dashes(task.pos_arg_val)
    try:
        state = _test_state(project, args)
    except keyed.KeyProblem:
        return False  # run_tests says what is wrong with the key, in one line
    digest, stands_on, before = state
    if values.get("inputs") == digest:
        return _say_if_passed_before(True, task.name)
    last = testrun.read_last_pass(_last_pass(project, task.name))
    if last is not None:
        why = _why_again(last, stands_on, before, project.venv.path.name)
        output.reason(f"tests run again: {why}")
        if last.key is None:  # an older doitenv's record holds the words after `--` as they were
            _last_pass(project, task.name).unlink(missing_ok=True)

    def record_the_pass() -> dict[str, str]:  # doit calls it only when the run exited 0
        cached = _cache_the_pass(project, args, state)
        if cached:
            passed = testrun.LastPass.of(stands_on, before.hashes, project.config.test_env)
            passed.write(_last_pass(project, task.name))
        return cached

    task.value_savers.append(saver(record_the_pass))
    return False


def _cache_the_pass(project: Project, args: Sequence[str], before: _TestState) -> dict[str, str]:
    """What a run that exited 0 is cached under: the inputs it started from, unless it ran no
    test, or one of them changed while it ran (then nothing, and it runs again next time)."""
    if testrun.is_pytest(test_command(project)):
        none_ran = testrun.ran_no_test(_report(project))
        if none_ran is not None:
            output.warn(f"{none_ran}, so this run is not recorded as a pass")
            return {}
    after = _test_state(project, args)
    if after.digest == before.digest:
        return {"inputs": before.digest}
    what = ", ".join(after.files.changes_from(before.files.hashes)) or "the environment changed"
    output.note(f"{what} while the tests ran, so this pass is not cached: they run again next time")
    return {}


def _report(project: Project) -> Path:
    """Where doitenv's pytest plugin says how many tests ran (one per venv: matrix entries run side by side)."""
    return project.state_dir / f"{Path(project.config.venv).name}.pytest-report.json"


def _say_if_passed_before(unchanged: bool, task_name: str) -> bool:
    if unchanged:
        output.reason(
            f"tests passed before and nothing they depend on changed (`doit forget {task_name}` runs them anyway)",
        )
    return unchanged


def test_command(project: Project) -> tuple[str, ...]:
    """The test command: the setting's; the default without coverage when pytest-cov is not in
    the venv (a project whose dev requirements hold pytest alone)."""
    command = project.config.test_command
    if command == DEFAULT_TEST_COMMAND:
        return testrun.without_coverage(command, project.venv.installed()) or command
    return command


def run_tests(project: Project, args: Sequence[str]) -> None:
    keyed.key(project.state_dir)  # a key it cannot read is one line before the tests, not after them
    setting = test_command(project)
    if setting != project.config.test_command:
        output.warn(
            f"pytest-cov is not in {project.config.dev_requirements}, so the tests run without coverage "
            f"(add pytest-cov to {project.dev.source} for it; tool.doitenv.test-command in pyproject.toml sets "
            "the command)"
        )
    command = [*setting, *arguments_after_dashes(args)]
    extra_env: dict[str, str] = {}
    if testrun.is_pytest(command):
        command, extra_env = testrun.with_report(command, project.state_dir, _report(project))
    try:
        run_in_venv(project, command, "the tests", synced_to=project.config.dev_requirements, extra_env=extra_env)
    except RunFailed as failed:
        if failed.returncode == 5 and testrun.is_pytest(command):
            raise failed.add(
                then="pytest collected no test; tool.doitenv.test-command in pyproject.toml says where the tests are"
            ) from None
        if failed.returncode == 4 and testrun.is_pytest(command):  # pytest's usage error
            # The setting alone: arguments after `--` are the user's own, and pytest named them.
            usage = testrun.usage_problem(setting, project.root, project.venv.installed(), project.dev.source)
            if usage:
                raise failed.add(then=f"pyproject.toml: tool.doitenv.test-command: {usage}") from None
        raise


def matrix_unchanged(task: Any, values: dict[str, Any], project: Project) -> bool:
    # The entry makes its own venv, so its digest is recorded by run_matrix_entry.
    try:
        return _say_if_passed_before(values.get("inputs") == _test_state(project, []).digest, task.name)
    except keyed.KeyProblem:
        return False  # run_matrix_entry says what is wrong with the key


def run_matrix_entry(project: Project) -> dict[str, str]:
    """One interpreter of the matrix: its venv, synced to the dev lock, then the tests."""
    where = f"Python {project.config.python} ({project.venv.path.name}/)"
    try:
        make_venv(project)
        sync_env(project, project.dev)
        before = _test_state(project, [])
        run_tests(project, [])
    except Failure as failed:
        # The last line says what and where: name the entry first on it.
        raise failed.add(about=where) from None
    return _cache_the_pass(project, [], before)


# --- format -----------------------------------------------------------------------------

# Format, fix what lint can fix, then format what the fixes left (a removed import leaves a
# blank line behind).
RUFF_STEPS = (("ruff", "format", "."), ("ruff", "check", "--fix", "."), ("ruff", "format", "."))
PRE_COMMIT_RUN = ("pre-commit", "run", "--all-files")
PRE_COMMIT_STEPS = (PRE_COMMIT_RUN,)


def format_steps(project: Project) -> tuple[tuple[str, ...], ...]:
    if project.config.format_commands is not None:
        return project.config.format_commands
    return PRE_COMMIT_STEPS if project.pre_commit.configured() else RUFF_STEPS


def format_unchanged(task: Any, values: dict[str, Any], project: Project) -> bool:
    return values.get("inputs") == _format_digest(project)


def _format_digest(project: Project) -> str:
    """The files as the formatters saw them. Which of them git tracks counts too: pre-commit
    formats tracked files only, so a file it skipped is formatted once `git add` tracks it (and
    a format command that formats every file runs once more, which costs one run, no more)."""
    snapshot = project.files_snapshot(project.config.format_inputs)
    untracked = "\0".join(snapshot.untracked)
    return files.digest([files.digest([sync.record_bytes(project.venv)]), snapshot.digest, untracked])


def run_format(project: Project) -> dict[str, str]:
    steps = format_steps(project)
    if steps == PRE_COMMIT_STEPS:
        pre_commit = project.pre_commit.command()
        if pre_commit is None:
            raise Failure(
                f"{hooks.CONFIG} asks for pre-commit, which is not installed in {project.venv.path.name}/ or on "
                f"PATH: add pre-commit to {project.dev.source} and run `doit dev` "
                "(or `pipx install pre-commit`)"
            )
        _prepare_hooks(project, pre_commit)
        # pre-commit exits 1 when a hook changed files; a second pass shows whether any problem
        # is left. Any other exit is an error of pre-commit's own, which a second pass repeats.
        run_in_venv(project, PRE_COMMIT_RUN, "pre-commit", pre_commit, again_on=1)
    else:
        for step in steps:
            run_in_venv(project, step, " ".join(step[:2]))
    # Recorded after the run: the files as the formatters left them count as clean.
    return {"inputs": _format_digest(project)}


def _prepare_hooks(project: Project, pre_commit: list[str]) -> None:
    """Fetch and install the hooks before they run, so that a fetch that fails is one line
    with its fix, not pre-commit's traceback."""
    with using(project):
        try:
            argv = [*pre_commit, "install-hooks", f"--config={hooks.CONFIG}"]
            runner.run(argv, capture=True, cwd=str(project.root), env=project.venv.activated(), quiet=True)
        except runner.CommandFailed as failed:
            raise Failure(
                f"{hooks.CONFIG}: pre-commit could not prepare its hooks ({hooks.preparation_problem(failed.output)}), "
                "so nothing was formatted: when a git host is out of reach, make the hooks local (`repo: local`, "
                "running the tools of the dev lock) or set tool.doitenv.format-commands"
            ) from None


# --- watch ------------------------------------------------------------------------------


def watch(project: Project, tasks: Sequence[str]) -> None:
    """`doit watch [TASK...]`: the arguments after `--` reach the watched task, as in `doit test -- -k x`."""
    words = list(tasks or ["test"])
    if words[0].startswith("-"):  # `doit watch -- -k x`: doit drops the `--` itself
        words = ["test", "--", *words]
    if "--" in words:
        cut = words.index("--")
        words = [*words[:cut], "--", *arguments_after_dashes(words[cut + 1 :])]
    if "watch" in words[: words.index("--") if "--" in words else None]:
        raise Failure("doit watch watches other tasks: `doit watch test`, `doit watch format test`")
    Watch(project, doit_command(dodo_file(), str(project.root)), words).run()
