"""pre-commit's git hook: optional tooling that `dev` sets up when it can, never a failure.

Most people install pre-commit with pipx rather than in each project's dev lock, so the
pre-commit in the venv is used when the lock has one, else the one on PATH. When neither
exists, or git will not take the hook (core.hooksPath), `dev` says so in one line, succeeds
and stays up to date: optional tooling must not block the environment.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from doitenv import files, runner
from doitenv.venv import Venv

CONFIG = ".pre-commit-config.yaml"
# Why the last `pre-commit install` failed, and for which config and git settings.
_DECLINED = "pre-commit-declined.json"


class Hook:
    def __init__(self, root: Path, venv: Venv, state_dir: Path) -> None:
        self.root = root
        self.venv = venv
        self.state_dir = state_dir

    def configured(self) -> bool:
        return (self.root / CONFIG).is_file()

    def command(self) -> list[str] | None:
        """How to run pre-commit: the venv's, else one on PATH; None when there is none."""
        found = self.venv.command("pre-commit")
        if found is None:
            on_path = shutil.which("pre-commit")
            found = [on_path] if on_path else None
        return found

    def missing(self) -> bool:
        """Does the config ask for a hook that is not there?"""
        return self.configured() and not (self.root / ".git" / "hooks" / "pre-commit").exists()

    def wanted(self) -> bool:
        """Should `dev` install the hook now? Cheap, no process: `dev`'s no-op asks it."""
        if not self.missing() or not (self.root / ".git").is_dir():
            return False
        # Until it was tried (or found impossible, and said so) in this very situation.
        return bool(files.read_json(self.state_dir / _DECLINED) != self._situation())

    def install(self) -> None:
        """Install the hook if it can be; otherwise say in one line why not and how."""
        if not self.missing():
            return
        if not (self.root / ".git").is_dir():
            print(f"doitenv: no .git folder here, so the pre-commit hook is not installed ({CONFIG} asks for it)")
            return
        command = self.command()
        if command is None:
            print(
                f"doitenv: the pre-commit hook is not installed: no pre-commit in {self.venv.path.name}/ or on PATH "
                "(add pre-commit to the dev requirements, or `pipx install pre-commit`, then `doit dev`)"
            )
            self._remember_declined()
            return
        try:
            runner.run([*command, "install"], capture=True, cwd=str(self.root), env=self.venv.activated())
        except runner.CommandFailed as failed:
            reason = " ".join(runner.error_lines(failed.output))
            print(f"doitenv: the pre-commit hook is not installed: pre-commit install failed: {reason}")
            self._remember_declined()

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
