"""`doit watch [TASK...]`: run tasks, then run them again each time one of their inputs changes.

The inputs are what a cached test run stands on (every file git would not ignore, or the
`test-inputs` patterns), plus the .in files, the locks and pyproject.toml: an edited
requirements-dev.in is pinned and synced before the tests run again. Each round is a `doit`
process of its own, which reads pyproject.toml and dodo.py afresh and decides, as `doit TASK`
does, what is up to date.

File events (from watchfiles) only wake the watcher. Whether anything changed is decided by the
files' content, as the test cache decides it: saving a file unchanged, git rewriting its index or
a tool writing its cache runs nothing. Events are gathered while a round runs, so an edit made
meanwhile runs the tasks again as soon as it ends; what the round's own doit wrote (a lock it
pinned and synced) does not.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from doitenv import config, inputs, output, runner, sync
from doitenv.errors import Failure
from doitenv.project import Project

# watchfiles waits for the events to pause this long (ms) before it reports them, and for at
# most DEBOUNCE: an editor's save, a `git checkout` or a formatter's pass is one round.
STEP = 50
DEBOUNCE = 1600
# How often (ms) the wait wakes up with nothing to report: the first wake-up starts the first
# round, once the watch is in place.
WAKE_UP = 200
# Rounds in a row that a change made while the previous one ran may start: beyond them, the
# tasks themselves must be what changes the file.
SELF_MADE = 3
# Set in the environment of each round's doit (see exit_quietly_when_stopped).
ROUND = "DOITENV_WATCH_ROUND"


class Watch:
    def __init__(self, project: Project, doit: list[str], tasks: list[str]) -> None:
        self.project = project
        self.root = project.root
        # File events may name the folder by its real path (macOS's /tmp is /private/tmp).
        self.real_root = Path(os.path.realpath(self.root))
        self.command = [*doit, *tasks]
        self.shown = "`" + " ".join(["doit", *tasks]) + "`"

    def run(self) -> None:
        """Watch until Ctrl-C; each round's failure is shown and the watch goes on. Raises Failure
        when the operating system would not watch the folder, or a round's doit could not start."""
        import watchfiles  # here: dodo.py imports the tasks, and so this module, on every `doit list`

        output.note(f"watching {self.root.name}/: {self.shown} runs again when one of its inputs changes")
        events = watchfiles.watch(
            self.root,
            watch_filter=self._may_matter,
            step=STEP,
            debounce=DEBOUNCE,
            rust_timeout=WAKE_UP,
            yield_on_timeout=True,
            ignore_permission_denied=True,
        )
        before: inputs.Snapshot | None = None
        try:
            with _stopped_as_by_ctrl_c():
                while True:
                    try:
                        changes = next(events)
                    except (OSError, RuntimeError) as exc:  # watchfiles: the limit of watches, a folder gone
                        raise Failure(
                            f"the system would not watch {self.root}: {exc} (on Linux, raise "
                            "fs.inotify.max_user_watches; where no file events come, set WATCHFILES_FORCE_POLLING=1)",
                            about=["doit watch"],
                        ) from None
                    if before is not None and not changes:
                        continue
                    self.project = _reload(self.project)
                    now = self._inputs()
                    if before is not None:
                        changed = now.changes_from(before.hashes)
                        if not changed:
                            continue
                        output.note(f"{', '.join(changed)}: running {self.shown} again")
                    before = self._rounds(now)
        except KeyboardInterrupt:
            output.note("\nstopped watching")
        except runner.CommandFailed as failed:
            raise Failure(failed.output, about=["doit watch"]) from None
        finally:
            events.close()

    def _rounds(self, before: inputs.Snapshot) -> inputs.Snapshot:
        """Run the tasks, and again while their inputs changed as they ran (an edit made
        meanwhile, or a file they write: doit's own caches make a round that has nothing to do
        cheap). Returns the inputs the watch goes on from."""
        for again in range(SELF_MADE + 1):
            code = runner.run_apart(self.command, cwd=str(self.root), env={ROUND: "1"})
            self.project = _reload(self.project)
            after = self._inputs()
            if self._nothing_new(after.changed_paths(before.hashes)):
                break
            changed = after.changes_from(before.hashes)
            if again == SELF_MADE:
                output.warn(
                    f"{', '.join(changed)} changed during each of the last {again + 1} runs: if "
                    f"{self.shown} writes it, let git ignore it; waiting for the next change",
                )
                break
            output.note(f"while {self.shown} ran: {', '.join(changed)}; running it again")
            before = after
        outcome = "" if code == 0 else f"{self.shown} failed (exit {code}); "
        output.note(f"{outcome}watching for changes (Ctrl-C stops)")
        return after

    def _nothing_new(self, paths: list[str]) -> bool:
        """Were these files, changed while a round ran, all written by that round's doit itself:
        locks pinned from their inputs as they are now and held by the venv, and virtualenv's
        `.venv` pointer beside it? Then the round already ran on them."""
        config = self.project.config
        lock_files = {layer.lock for layer in self.project.layers}
        pointer = (Path(config.venv).parent / ".venv").as_posix()
        if not set(paths) <= {*lock_files, pointer}:
            return False
        venv = self.project.venv
        if all(sync.why_unsynced(venv, self.root / lock, config.editable_inputs, self.root) for lock in lock_files):
            return False  # the venv holds neither lock as it is now
        # Every lock, not only those that changed: a runtime lock pulled by git leaves the dev lock stale.
        return all(self.project.lock_is_fresh(lock) for lock in lock_files)

    def _inputs(self) -> inputs.Snapshot:
        return self.project.files_snapshot(self.project.watched_inputs())

    def _may_matter(self, change: Any, path: str) -> bool:
        """Could this event change an input? Events in venvs, .git, doitenv's state and tool
        caches never do (the content then decides)."""
        try:
            relative = Path(path).relative_to(self.root).as_posix()
        except ValueError:
            try:
                relative = Path(os.path.realpath(path)).relative_to(self.real_root).as_posix()
            except ValueError:
                return False
        return inputs.may_be_input(relative, self.project.unwatched_folders())


def _reload(project: Project) -> Project:
    """The project as pyproject.toml now describes it; while it is invalid, as it was (the round's
    own doit says what is wrong)."""
    try:
        found = Project(config.load(project.root))
        _ = found.layers  # two layers that pull in each other's locks are a setting to fix too
        return found
    except config.ConfigError:
        return project


def dodo_file() -> str:
    """The dodo file this doit loaded: the module that took `task_watch` from doitenv.tasks."""
    for name, module in list(sys.modules.items()):
        task = vars(module).get("task_watch") if name != "doitenv.tasks" else None
        if getattr(task, "__module__", None) == "doitenv.tasks" and getattr(module, "__file__", None):
            return str(module.__file__)
    return "dodo.py"


@contextmanager
def _stopped_as_by_ctrl_c() -> Iterator[None]:
    """SIGTERM and SIGHUP (a closed terminal, an IDE's stop button) stop the watch as Ctrl-C
    does, with the round under way."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    kept = {}
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            try:
                kept[name] = signal.signal(getattr(signal, name), interrupt)
            except ValueError:  # not the main thread (doit -n): leave the signals alone
                pass
    try:
        yield
    finally:
        for name, handler in kept.items():
            signal.signal(getattr(signal, name), handler)


def exit_quietly_when_stopped() -> None:
    """In a round's doit (which dodo.py imports the tasks into): the watch stops a round with
    SIGTERM (CTRL_BREAK on Windows). Exit then as doit exits, running every `finally` (scratch
    files removed, file locks let go), without a traceback."""
    if os.environ.get(ROUND) != "1":
        return
    for name in ("SIGTERM", "SIGBREAK"):
        if hasattr(signal, name):
            try:
                signal.signal(getattr(signal, name), lambda signum, frame: sys.exit(128 + signum))
            except ValueError:
                pass


def doit_command(dodo_file: str, cwd: str) -> list[str]:
    """The `doit` that runs each round: the same interpreter, dodo file and folder as this one."""
    return [sys.executable, "-m", "doit", "--file", dodo_file, "--dir", cwd]
