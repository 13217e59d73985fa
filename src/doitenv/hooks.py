"""pre-commit's git hook: optional tooling that `dev` sets up when it can, never a failure.

Most people install pre-commit with pipx rather than in each project's dev lock, so the hook
runs the pre-commit of the venv when the lock has one, else the one on PATH, and when neither
is there it skips with one line: a commit never fails for want of a tool. doitenv writes that
hook itself (pre-commit's own falls over when its venv lacks pre-commit), marks it as its own,
and removes it again when the venv holds the runtime lock only (`prod`) and on `distclean`,
or when no pre-commit is left anywhere. A hook doitenv did not write is never touched. When no
pre-commit exists, or git keeps its hooks elsewhere (core.hooksPath), `dev` says so in one line,
succeeds and stays up to date.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import stat
from pathlib import Path

from doitenv import files, output, runner
from doitenv.venv import Venv

CONFIG = ".pre-commit-config.yaml"
# Why the hook was last not installed, and for which config and git settings.
_DECLINED = "pre-commit-declined.json"
_MARK = "# doitenv's pre-commit hook"
_HOOK = """#!/bin/sh
{mark}: written by `doit dev`, removed by `doit prod` and `doit distclean`.
# It runs pre-commit from the project's venv, else from PATH, and skips with one line when
# neither has it: a commit never fails for want of a tool.
here="$(cd "$(dirname "$0")" && pwd)"
if {python} -c "import pre_commit" >/dev/null 2>&1; then
    pre_commit() {{ PATH="$PWD/{bin}:$PATH" {python} -m pre_commit "$@"; }}
elif command -v pre-commit >/dev/null 2>&1; then
    pre_commit() {{ command pre-commit "$@"; }}
else
    printf '%s%s\\n' "doitenv: no pre-commit in {venv}/ or on PATH, so the hooks of {config} did not run" \\
        " (doit dev brings it back)" >&2
    exit 0
fi
# Hooks from a git host are fetched the first time: with no network, or the host down, that is
# no verdict on the code, and neither is a config pre-commit cannot read. The commit goes on.
if ! prepared="$(pre_commit install-hooks --config={config} 2>&1)"; then
    why="$(printf '%s\\n' "$prepared" | sed -n 's/^ *fatal: //p' | head -n 1)"
    [ -n "$why" ] || why="$(printf '%s\\n' "$prepared" | sed -n 's/^An .*rror has occurred: //p' | head -n 1)"
    printf '%s%s\\n' "doitenv: the hooks of {config} did not run, so this commit is not checked: pre-commit" \\
        " could not prepare them ($why); \\`pre-commit install-hooks\\` says more" >&2
    exit 0
fi
pre_commit hook-impl --config={config} --hook-type=pre-commit --hook-dir "$here" -- "$@"
"""


def preparation_problem(output: str) -> str:
    """Why `pre-commit install-hooks` failed, in a few words (the hook's sed does the same):
    git's own `fatal:` line for a fetch, else pre-commit's error line."""
    for pattern in (r"^ *fatal: (.*)$", r"^An .*rror has occurred: (.*)$"):
        found = re.search(pattern, output, re.MULTILINE)
        if found and found.group(1).strip():
            return found.group(1).strip()
    return output.strip().splitlines()[-1] if output.strip() else "no output"


class Hook:
    def __init__(self, root: Path, venv: Venv, state_dir: Path, enabled: bool = True) -> None:
        self.root = root
        self.venv = venv
        self.state_dir = state_dir
        self.enabled = enabled  # tool.doitenv.pre-commit-hook: false leaves the git hook out

    def configured(self) -> bool:
        return (self.root / CONFIG).is_file()

    def command(self) -> list[str] | None:
        """How to run pre-commit: the venv's, else one on PATH; None when there is none."""
        found = self.venv.command("pre-commit")
        if found is None:
            on_path = shutil.which("pre-commit")
            found = [on_path] if on_path else None
        return found

    @property
    def path(self) -> Path:
        return self.root / ".git" / "hooks" / "pre-commit"

    def missing(self) -> bool:
        """Does the config ask for a hook that is not there?"""
        return self.configured() and not os.path.lexists(self.path)

    def ours(self) -> bool:
        """Is the hook there the one doitenv wrote?"""
        try:
            with self.path.open(encoding="utf-8", errors="replace") as handle:
                return _MARK in handle.read(512)
        except OSError:
            return False

    def wanted(self, dev: bool) -> bool:
        """Has the hook to change after a sync to the dev lock (`dev`) or the runtime lock? Cheap,
        no process: the no-op of `dev` and `prod` asks it."""
        if not dev or not self.enabled:
            return self.ours()
        if not self.missing() or not (self.root / ".git").is_dir():
            return False
        # Until it was tried (or found impossible, and said so) in this very situation.
        return bool(files.read_json(self.state_dir / _DECLINED) != self._situation())

    def settle(self, dev: bool) -> None:
        """After a sync: install the hook for the dev lock, remove doitenv's for the runtime lock."""
        if not dev:
            self.remove(f"{self.venv.path.name}/ holds the runtime lock only")
        elif not self.enabled:
            self.remove("tool.doitenv.pre-commit-hook is false")
        elif self.command() is None and self.ours():
            self.remove(f"no pre-commit in {self.venv.path.name}/ or on PATH")
        else:
            self.install()

    def remove(self, why: str) -> None:
        """Remove the hook doitenv wrote (a hook of anyone else's stays)."""
        if self.ours():
            self.path.unlink()
            output.note(f"removed the pre-commit hook doitenv installed: {why}")

    def install(self) -> None:
        """Install the hook if it can be; otherwise say in one line why not and how."""
        if not self.missing():
            return
        if not (self.root / ".git").is_dir():
            output.warn(f"no .git folder here, so the pre-commit hook is not installed ({CONFIG} asks for it)")
            return
        command = self.command()
        if command is None:
            output.warn(
                f"the pre-commit hook is not installed: no pre-commit in {self.venv.path.name}/ or on PATH "
                "(add pre-commit to the dev requirements, or `pipx install pre-commit`, then `doit dev`)"
            )
            self._remember_declined()
            return
        found = runner.probe([["git", "config", "--get", "core.hooksPath"]], cwd=str(self.root))
        if found and found[0].strip():
            elsewhere = found[0].decode("utf-8", "replace").strip()
            output.warn(
                f"the pre-commit hook is not installed: git's core.hooksPath is set ({elsewhere}), so git "
                "runs the hooks of that folder: add pre-commit's there yourself"
            )
            self._remember_declined()
            return
        python = Path(os.path.relpath(self.venv.python, self.root)).as_posix()  # git runs hooks at the top
        scripts = Path(os.path.relpath(self.venv.bin, self.root)).as_posix()  # system hooks find the dev lock's tools
        text = _HOOK.format(
            mark=_MARK, python=shlex.quote(python), bin=scripts, config=CONFIG, venv=self.venv.path.name
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        files.write_atomic(self.path, text.encode())
        self.path.chmod(self.path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        output.note(f"installed the pre-commit hook (.git/hooks/pre-commit), which runs {CONFIG}'s hooks")

    def _remember_declined(self) -> None:
        """Not tried again until the config, git's settings or the pre-commit at hand change."""
        self.state_dir.mkdir(exist_ok=True)
        files.write_json(self.state_dir / _DECLINED, self._situation())

    def _situation(self) -> list[str]:
        command = " ".join(self.command() or [])
        return [files.digest([_read(self.root / CONFIG), _read(self.root / ".git" / "config"), command])]


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""
