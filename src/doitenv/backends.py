"""The two ways to make, pin and sync a venv: pip-tools with virtualenv (the default), or uv.

Both write the same lock format with the same options, so a lock written by one is fresh for
the other: the digest on a lock's first line does not depend on the backend.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from doitenv.venv import Venv


class BackendMissing(Exception):
    pass


class PipTools:
    name = "pip-tools"

    def create_venv(self, python: str, venv: Venv) -> list[str]:
        return [
            sys.executable, "-m", "virtualenv",
            # No setuptools: pip-sync never removes it, and the venv must hold only the lock.
            "--no-setuptools",
            # No check against the index on every creation.
            "--no-periodic-update",
            "--quiet",
            "--python", python,
            str(venv.path),
        ]  # fmt: skip

    def compile(
        self, tool: list[str], venv: Venv, in_file: str, output: str, hashes: bool, upgrade: Sequence[str]
    ) -> list[str]:
        return [
            *tool, "compile",
            *(["--generate-hashes"] if hashes else []),
            *upgrade,
            "--quiet",
            "--output-file", output,
            # Locks are committed: keep this machine's index, find-links and hosts out of them.
            "--no-emit-index-url", "--no-emit-find-links", "--no-emit-trusted-host",
            # pkg[extra] in a lock breaks -r/-c layering in pip.
            "--strip-extras",
            # Pin pip and setuptools too when something needs them: the lock is the whole truth.
            "--allow-unsafe",
            in_file,
        ]  # fmt: skip

    def sync(self, venv: Venv, lock: Path) -> list[str]:
        # pip-sync from doit's environment: pip-tools never enters the project's venv.
        return [sys.executable, "-m", "piptools", "sync", "--python-executable", str(venv.python), str(lock)]

    def install_editable(self, venv: Venv) -> list[str]:
        return [str(venv.python), "-m", "pip", "install", "--quiet", "--no-deps", "--editable", "."]


class Uv:
    name = "uv"

    def __init__(self) -> None:
        self.uv = _find_uv()

    def create_venv(self, python: str, venv: Venv) -> list[str]:
        # No seed packages: uv needs no pip inside the venv, and uv pip sync would keep them.
        return [self.uv, "venv", "--quiet", "--no-project", "--python", python, str(venv.path)]

    def compile(
        self, tool: list[str], venv: Venv, in_file: str, output: str, hashes: bool, upgrade: Sequence[str]
    ) -> list[str]:
        return [
            self.uv, "pip", "compile",
            *(["--generate-hashes"] if hashes else []),
            *upgrade,
            "--quiet",
            "--python", str(venv.python),
            "--output-file", output,
            "--strip-extras",
            in_file,
        ]  # fmt: skip

    def sync(self, venv: Venv, lock: Path) -> list[str]:
        return [self.uv, "pip", "sync", "--quiet", "--python", str(venv.python), str(lock)]

    def install_editable(self, venv: Venv) -> list[str]:
        return [self.uv, "pip", "install", "--quiet", "--python", str(venv.python), "--no-deps", "--editable", "."]


def get(name: str) -> PipTools | Uv:
    return Uv() if name == "uv" else PipTools()


def _find_uv() -> str:
    try:
        from uv import find_uv_bin  # the `doitenv[uv]` extra

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
    if found is None:
        raise BackendMissing(
            "tool.doitenv.backend = 'uv' needs uv where doit runs: pip install 'doitenv[uv]' (or uv itself)"
        )
    return found
