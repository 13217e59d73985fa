"""The one door to external commands: an argument list in, output or one typed error out.

Never a shell string: paths with spaces, quotes or `$` must reach the tool unchanged,
and there is no shell on the way to interpret them.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from doitenv import caches, output
from doitenv.errors import Failure


class CommandFailed(Failure):
    """An external command exited non-zero (or could not be started). Whoever runs it knows what
    the failure means and says so; one that reaches the user unexplained still reads as one line."""

    def __init__(self, argv: Sequence[str], returncode: int, output: str) -> None:
        self.argv = list(argv)
        self.returncode = returncode
        self.output = output
        super().__init__(f"{shlex.join(self.argv)} exited with {returncode}")


@dataclass(frozen=True)
class ToolFailure:
    """What the output of a failed command says, as the backend whose tool it ran reads it
    (backends.Backend.explain_failure): only the backends read a tool's words."""

    lines: tuple[str, ...]  # the lines that say what went wrong, without any traceback
    unreachable: str | None = None  # why the package index could not be reached
    not_found: str | None = None  # a pin with no release for the venv's Python (`alpha==9.9`)
    bad_hash: str | None = None  # a pin whose file does not match its hash
    # A release that does not fit the venv's Python (fits.py): (name, version or None) of one that
    # failed to build, (name, version) of a pin with no file for it, (name, Requires-Python).
    not_built: tuple[str, str | None] | None = None
    no_file: tuple[str, str | None] | None = None
    wrong_python: tuple[str, str] | None = None
    refused: tuple[str, str] | None = None  # (host, "401" or "403"): an index refused the credentials
    found_nothing: bool = False  # no version at all: what an index that refused or was ignored looks like
    fix: str | None = None  # the fix, when the failure is the backend's own (a tool too old for a setting)


def run(
    argv: Sequence[str],
    *,
    capture: bool = False,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    quiet: bool = False,
    on_line: Callable[[str], None] | None = None,
) -> str:
    """Run `argv`; return its output when `capture`, else let it print as it goes.
    Each command is logged first, unless `quiet` (a probe the user need not see). `on_line`
    (with `capture`) is handed each line of the output as it comes: how far a tool has got."""
    if not quiet:
        _log(argv)
    full_env = {**os.environ, **env} if env else None
    if capture:
        # Captured output is read line by line: a tool that wraps at the terminal's width (uv
        # does) would split a package's name from its error.
        full_env = {**(full_env or os.environ), "COLUMNS": "1000"}
    try:
        if capture and on_line is not None:
            returncode, output = _streamed(argv, cwd, full_env, on_line)
        else:
            completed = subprocess.run(
                list(argv),
                cwd=cwd,
                env=full_env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE if capture else None,
                stderr=subprocess.STDOUT if capture else None,
                text=True,
                errors="replace",
            )
            returncode, output = completed.returncode, completed.stdout or ""
    except OSError as exc:
        raise CommandFailed(argv, 127, f"cannot start {argv[0]}: {exc.strerror}") from None
    if returncode != 0:
        raise CommandFailed(argv, returncode, output)
    return output


def _streamed(
    argv: Sequence[str], cwd: str | None, env: Mapping[str, str] | None, on_line: Callable[[str], None]
) -> tuple[int, str]:
    """`argv`'s exit code and output, each line handed to `on_line` as it comes (subprocess.run
    gives the output only at the end)."""
    process = subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    )
    lines = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            on_line(line)
        returncode = process.wait()
    except BaseException:  # as subprocess.run does: a Ctrl-C leaves no tool running on
        process.kill()
        process.wait()
        raise
    finally:
        if process.stdout is not None:
            process.stdout.close()
    return returncode, "".join(lines)


# Seconds between two lines of a heartbeat when the output is no terminal (a CI log): a line a
# while shows the run is alive without filling the log. On a terminal one line is redrawn.
HEARTBEAT_VARIABLE = "DOITENV_HEARTBEAT"
_HEARTBEAT_DEFAULT = 10.0
_REDRAW_EVERY = 1.0


# Each tool's command line is noise to most users (a failure names its command anyway):
# shown at the verbose level (DOITENV_OUTPUT=verbose), and at the normal one with
# tool.doitenv.show-commands = true, or DOITENV_SHOW_COMMANDS=1 for one run.
SHOW_COMMANDS = "DOITENV_SHOW_COMMANDS"
_show_commands = threading.Event()
caches.for_the_run(_show_commands.clear)


def show_commands(shown: bool) -> None:
    """Log each command before it runs (the project's show-commands setting)."""
    if shown:
        _show_commands.set()
    else:
        _show_commands.clear()


def _log(argv: Sequence[str]) -> None:
    asked = _show_commands.is_set() or os.environ.get(SHOW_COMMANDS, "0") not in ("", "0")
    output.detail(f"$ {shlex.join(argv)}", asked=asked)


def _heartbeat_every(on_terminal: bool) -> float:
    """Seconds between two heartbeat lines: DOITENV_HEARTBEAT, unless it is no positive number."""
    if on_terminal:
        return _REDRAW_EVERY
    try:
        every = float(os.environ.get(HEARTBEAT_VARIABLE) or _HEARTBEAT_DEFAULT)
    except ValueError:
        return _HEARTBEAT_DEFAULT
    return every if 0 < every < 86_400 else _HEARTBEAT_DEFAULT


@contextmanager
def heartbeat(doing: str, detail: Callable[[], str] | None = None) -> Iterator[None]:
    """Show that `doing` (`syncing venv/ to requirements-dev.txt`) goes on, with `detail()`
    (`37 packages in place`) when given, for as long as the block runs: the tools run quiet,
    and a cold sync or a pin against a real index can take a minute."""
    on_terminal = sys.stdout.isatty()
    every = _heartbeat_every(on_terminal)
    done = threading.Event()
    start = time.monotonic()

    def beat() -> None:
        while not done.wait(every):
            extra = ""
            if detail is not None:
                try:
                    extra = f", {detail()}"
                except OSError:
                    pass
            line = f"still {doing} ({time.monotonic() - start:.0f} s{extra})"
            if on_terminal:
                output.redraw(line)
            else:
                output.note(line)

    thread = threading.Thread(target=beat, name="doitenv-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        output.end_redrawn()


def run_stoppable(argv: Sequence[str], cwd: str, env: Mapping[str, str] | None = None) -> None:
    """Run `argv` as `run` does, its output straight to the terminal, but apart (run_apart): a
    Ctrl-C stops it quietly instead of cutting into it with a traceback of its own. Raises
    CommandFailed (with no output: the user saw it) when it exits non-zero."""
    _log(argv)
    returncode = run_apart(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, gentle=True)
    if returncode != 0:
        raise CommandFailed(argv, returncode, "")


def run_apart(
    argv: Sequence[str],
    cwd: str | None = None,
    env: Mapping[str, str] | None = None,
    stdin: int | None = None,
    gentle: bool = False,
) -> int:
    """Run `argv` in a process group of its own and return its exit code.

    Ctrl-C at the terminal then reaches only this process, not the command, which would print a
    traceback of its own if it came while it starts. Whatever ends this process meanwhile (Ctrl-C,
    or the SystemExit of a stopped watch round) stops the command and whatever it started first:
    `gentle`, a Ctrl-C reaches it as SIGINT (a test run tears its fixtures down and says where it
    stopped), then SIGTERM; otherwise SIGTERM (CTRL_BREAK on Windows) at once.
    """
    apart: dict[str, Any] = {"start_new_session": True}
    if sys.platform == "win32":
        apart = {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    full_env = {**os.environ, **env} if env else None
    try:
        process = subprocess.Popen(list(argv), cwd=cwd, env=full_env, stdin=stdin, **apart)
    except OSError as exc:
        raise CommandFailed(argv, 127, f"cannot start {argv[0]}: {exc.strerror}") from None
    try:
        while True:
            try:
                # In short waits: on Windows, Ctrl-C cannot interrupt a wait without a timeout.
                return process.wait(timeout=0.25)
            except subprocess.TimeoutExpired:
                pass
    except BaseException as stopped:
        _stop(process, interrupt=gentle and type(stopped) is KeyboardInterrupt)
        raise


def _stop(process: subprocess.Popen[bytes], interrupt: bool = False) -> None:
    """Stop `process` and its group; kill them if they are still there after 10 s. `interrupt`:
    SIGINT first, as a Ctrl-C in the terminal would have sent it, and SIGTERM 5 s later."""
    try:
        if sys.platform == "win32":
            process.send_signal(signal.CTRL_BREAK_EVENT)
        else:
            if interrupt:
                os.killpg(process.pid, signal.SIGINT)
                try:
                    process.wait(timeout=5)
                    return
                except subprocess.TimeoutExpired:
                    pass
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        if sys.platform == "win32":
            process.kill()
        else:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except (ProcessLookupError, PermissionError):
        process.wait()


def probe(argvs: Sequence[Sequence[str]], cwd: str) -> list[bytes] | None:
    """Run quick read-only commands side by side, unlogged; their outputs, or None when any
    fails or cannot start."""
    try:
        processes = [
            subprocess.Popen(
                list(argv), cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
            )
            for argv in argvs
        ]
    except OSError:
        return None
    outputs = [process.communicate()[0] for process in processes]
    return None if any(process.returncode for process in processes) else outputs


def read(argv: Sequence[str], cwd: str) -> bytes:
    """A quick read-only command's output as bytes (file names need not be UTF-8), unlogged;
    stderr apart, so a warning never reads as output. Raises CommandFailed with the stderr."""
    try:
        done = subprocess.run(list(argv), cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True)
    except OSError as exc:
        raise CommandFailed(argv, 127, f"cannot start {argv[0]}: {exc.strerror}") from None
    if done.returncode != 0:
        raise CommandFailed(argv, done.returncode, done.stderr.decode("utf-8", "replace"))
    return done.stdout
