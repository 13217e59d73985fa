"""The project's venv: where its files are, whether it can be trusted, how it is made.

A venv is checked, not trusted: its interpreter link may dangle, or the interpreter it was
made from may have been replaced. doitenv records what it made the venv from in a small
file inside the venv, so the record goes when the venv goes.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from doitenv import files, runner
from doitenv.errors import Failure
from doitenv.interpreter import Interpreter

_MADE_FROM = ".doitenv-made-from.json"
_WINDOWS = os.name == "nt"


@dataclass(frozen=True)
class MadeFrom:
    """What doitenv made a venv from, as the record inside it says (Venv.record writes it,
    Venv.made_from reads it). A field an older doitenv did not record is None."""

    interpreter: str | None  # the interpreter's real path
    signature: tuple[int, ...] | None  # Interpreter.signature: a replaced interpreter is a new one
    backend: str | None  # the backend whose tools made it (None: made before there was a choice)
    # Where: a copy of the project carries the venv along, made for the original's folder.
    path: str | None
    # When: a venv made again from the same interpreter is still a new venv (the Jupyter kernel is
    # registered again for it).
    made: int | None

    def to_json(self) -> dict[str, Any]:
        return {name: value for name, value in asdict(self).items() if value is not None}


_MADE_FROM_FIELDS = {"interpreter": str, "signature": list, "backend": str, "path": str, "made": int}


class Venv:
    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def bin(self) -> Path:
        return self.path / ("Scripts" if _WINDOWS else "bin")

    @property
    def python(self) -> Path:
        return self.bin / ("python.exe" if _WINDOWS else "python")

    def script(self, name: str) -> Path | None:
        """An executable installed in the venv, or None."""
        for candidate in (name, name + ".exe") if _WINDOWS else (name,):
            path = self.bin / candidate
            if path.is_file():
                return path
        return None

    def command(self, name: str) -> list[str] | None:
        """The argv prefix that runs the venv's script `name`, or None when it is not installed.

        pip writes a /bin/sh trampoline instead of a plain shebang when the venv's path has
        spaces, and that trampoline expands `$` in the path. A Python script is therefore
        handed to the venv's interpreter directly; native executables (ruff) run as they are.
        """
        script = self.script(name)
        if script is None:
            return None
        if not _WINDOWS:
            with script.open("rb") as handle:
                head = handle.read(256)
            if head.startswith(b"#!") and b"python" in head:
                return [str(self.python), str(script)]
        return [str(script)]

    def activated(self) -> dict[str, str]:
        """The environment variables `activate` sets: the venv's scripts come first on PATH."""
        return {"VIRTUAL_ENV": str(self.path), "PATH": f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}"}

    def config(self) -> dict[str, str]:
        """pyvenv.cfg as a dict; empty when there is none."""
        try:
            text = (self.path / "pyvenv.cfg").read_text(encoding="utf-8")
        except OSError:
            return {}
        pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line)
        return {key.strip(): value.strip() for key, value in pairs}

    def python_version(self) -> str:
        """major.minor of the venv's Python, read from pyvenv.cfg ('' if unknown)."""
        cfg = self.config()
        version = cfg.get("version_info") or cfg.get("version") or ""
        return ".".join(version.split(".")[:2])

    def marker_environment(self) -> dict[str, str]:
        """What environment markers are evaluated with for the venv's Python: this machine's, with
        the venv's Python version (a lock may hold pins for other Pythons)."""
        from packaging.markers import default_environment

        environment = {key: str(value) for key, value in default_environment().items()}
        # virtualenv writes `version_info = 3.9.18.final.0`, venv `version = 3.9.18`.
        found = re.match(r"\d+\.\d+\.\d+", self.config().get("version_info") or self.config().get("version") or "")
        if found:
            environment.update(python_version=self.python_version(), python_full_version=found.group(0))
        return environment

    def site_packages(self) -> list[Path]:
        if _WINDOWS:
            return [self.path / "Lib" / "site-packages"]
        return sorted(self.path.glob("lib/*/site-packages"))

    def installed(self) -> list[str]:
        """Sorted `*.dist-info` names: they change exactly when the installed set changes."""
        names: list[str] = []
        for folder in self.site_packages():
            try:
                names += [n for n in os.listdir(folder) if n.endswith(".dist-info")]
            except OSError:
                pass
        return sorted(names)

    def is_running(self) -> bool:
        """Is this very process running from the venv (an activated venv running doit)?"""
        return os.path.realpath(sys.prefix) == os.path.realpath(self.path)

    def problem(self, interpreter: Interpreter, backend: str, unrecorded: str) -> str | None:
        """Why the venv cannot be used as it is for `interpreter` and the backend named `backend`, or None
        when it can. `unrecorded`: the backend of a venv whose record names none (made before there were two)."""
        if not (self.path / "pyvenv.cfg").is_file():
            return f"{self.path.name}/ does not exist yet"
        if not os.path.exists(self.python):
            return f"{self.path.name}/ is broken: its interpreter {self.python} is gone"
        made_from = self.made_from()
        if made_from is None:
            return f"{self.path.name}/ was not made by doitenv"
        if made_from.interpreter != interpreter.path:
            return f"the interpreter changed from {made_from.interpreter} to {interpreter.path}"
        if made_from.signature != interpreter.signature:
            return f"the interpreter {interpreter.path} was upgraded or replaced"
        if (made_from.backend or unrecorded) != backend:
            return f"it was made for the {made_from.backend} backend, not {backend}"
        return self.made_elsewhere(made_from.path)

    def made_from(self) -> MadeFrom | None:
        """The record of what doitenv made the venv from; None when there is none, or a damaged one."""
        found = files.json_fields(files.read_json(self.path / _MADE_FROM), _MADE_FROM_FIELDS)
        if found is None:
            return None
        signature = found["signature"]
        return MadeFrom(**{**found, "signature": tuple(signature) if signature is not None else None})

    def made_elsewhere(self, recorded: str | None) -> str | None:
        """Why the venv belongs to another folder (the project was copied or moved with it), or
        None. Its scripts, its editable install and its records name the folder it was made in,
        so a copy would run the original's code. A record from before the path was recorded is
        judged by the scripts' first lines."""
        here = os.path.realpath(self.path)
        if recorded is None:
            recorded = self._scripts_folder()
        if recorded is not None and os.path.normcase(recorded) != os.path.normcase(here):
            return (
                f"{self.path.name}/ was made in {recorded} and copied or moved here: its scripts and "
                "editable install still point there"
            )
        return None

    def _scripts_folder(self) -> str | None:
        """The venv folder that pip's own script names in its first line, if it names one."""
        script = self.script("pip")
        try:
            with open(script or "", "rb") as handle:
                first = handle.readline(1024).decode("utf-8", "replace")
        except OSError:
            return None
        python = first[2:].strip() if first.startswith("#!") and not first.startswith("#!/bin/sh") else ""
        # venv/bin/python -> venv: the folder two levels up, as the script names it.
        return os.path.realpath(os.path.dirname(os.path.dirname(python))) if python else None

    def adoptable(self, interpreter: Interpreter) -> bool:
        """A venv made by hand with `python -m venv` from the right interpreter is kept.

        One made by virtualenv or uv without doitenv's record may be doitenv's own, cut off
        before it was finished: that one is made again.
        """
        if (self.path / _MADE_FROM).exists() or not os.path.exists(self.python):
            return False
        cfg = self.config()
        if "virtualenv" in cfg or "uv" in cfg:
            return False
        has_pip = any(name.startswith("pip-") for name in self.installed())
        if self.made_elsewhere(None) is not None:
            return False
        return has_pip and interpreter.path in (self.base_interpreter(), os.path.realpath(self.python))

    def base_interpreter(self) -> str:
        """The real path of the interpreter the venv was made from. pyvenv.cfg names it from
        Python 3.11 and virtualenv on; before that, the venv's own link points at it."""
        cfg = self.config()
        return os.path.realpath(cfg.get("base-executable") or cfg.get("executable") or self.python)

    def record(self, interpreter: Interpreter, backend: str) -> None:
        made_from = MadeFrom(
            interpreter.path, interpreter.signature, backend, os.path.realpath(self.path), time.time_ns()
        )
        files.write_json(self.path / _MADE_FROM, made_from.to_json())

    def made_record(self) -> bytes:
        """What the venv was made from and when, as recorded (empty when there is no record)."""
        try:
            return (self.path / _MADE_FROM).read_bytes()
        except OSError:
            return b""

    @property
    def _making(self) -> Path:
        """Beside the venv while doitenv makes it: what a cut-off creation left is ours to remove."""
        return self.path.with_name(f".{self.path.name}.doitenv-making")

    @property
    def real(self) -> Path:
        """The folder that holds the venv's files: its path, or where a symlink there points (a
        venv kept on a faster disk). The venv is made and removed there; the link stays."""
        return Path(os.path.realpath(self.path)) if self.path.is_symlink() else self.path

    def foreign(self) -> str | None:
        """Why what is at the venv's path is not doitenv's to delete (the whole line, with the
        fix), or None: nothing there, a venv, an empty folder, or an unfinished creation of its own."""
        name = self.path.name
        if self.path.is_symlink():
            return self._foreign_target()
        if not os.path.lexists(self.path) or (self.path.is_dir() and self._ours(self.path, any_venv=True)):
            return None
        return (
            f"{name}/ holds files that are not a venv, and doitenv deletes only what it made: "
            "move them away, or set tool.doitenv.venv in pyproject.toml to another folder"
        )

    def _foreign_target(self) -> str | None:
        """A symlink's target is the user's choice of place: only a venv with doitenv's record in
        it is doitenv's, not any venv (one made by hand there is no cut-off creation of doitenv's)."""
        real = self.real
        if not os.path.lexists(real) or (real.is_dir() and self._ours(real, any_venv=False)):
            return None  # missing: made there
        held = "files that are not a venv" if real.is_dir() else "a file, not a folder"
        if (real / "pyvenv.cfg").is_file():
            held = "a venv doitenv did not make"
        return (
            f"{self.path.name}/ is a symlink to {real}, which holds {held}, and doitenv deletes only what it "
            f"made: empty {real} (doitenv then makes the venv there) or remove the link, and run again"
        )

    def _ours(self, folder: Path, any_venv: bool) -> bool:
        """Is `folder` a venv (doitenv's, or `any_venv`), doitenv's unfinished creation, or empty?"""
        venv = (folder / "pyvenv.cfg").is_file() and (any_venv or (folder / _MADE_FROM).is_file())
        return venv or self._making.exists() or not any(folder.iterdir())

    def remove(self) -> None:
        """Delete the venv (through a symlink, its files: the link stays); refuses (Failure)
        anything else found at its path."""
        foreign = self.foreign()
        if foreign:
            raise Failure(foreign)
        if self.real.is_dir():
            shutil.rmtree(self.real)
        self._making.unlink(missing_ok=True)

    def remove_redirect(self) -> None:
        """virtualenv's `.venv` redirect to this venv (PEP 832), which would point at nothing once
        the venv is gone for good; a rebuild keeps it (uv would not write it again)."""
        redirect = self.path.with_name(".venv")
        try:
            if redirect != self.path and redirect.read_text(encoding="utf-8").strip() == self.path.name:
                redirect.unlink()
        except OSError:
            pass

    def create(self, interpreter: Interpreter, argv: list[str], backend: str) -> None:
        """Make the venv afresh with `argv`. Until the record is written it counts as broken."""
        self.remove()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._making.touch()
        runner.run(argv)
        self.record(interpreter, backend)
        self._making.unlink()
