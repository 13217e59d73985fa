"""The project's venv as a Jupyter kernel.

`doit kernel` registers it. `dev` registers it again after the venv was rebuilt or its
ipykernel changed, so the spec is always the one this venv's ipykernel writes for it, and
`distclean` removes it. Jupyter may run from any environment: it finds kernels by name in the
user's Jupyter data folder, or under the prefix of the environment it runs from.

The spec is written by the venv's own ipykernel, exactly as `ipykernel install` writes it, into
a staging folder, then moved into place whole. Its kernel.json carries a mark naming this
project: doitenv replaces or removes only a kernel it registered for this project.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import unicodedata
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from doitenv import files, output, runner
from doitenv.backends import toolerrors
from doitenv.errors import Failure
from doitenv.venv import Venv

RECORD = "jupyter-kernel.json"  # in the state folder: the registered kernel's name, place, venv
_MARK = "doitenv"  # the key of kernel.json's metadata that says which project made it
# Names Jupyter accepts for a kernel folder. A folder name outside them (with `~`) is one
# Jupyter skips: the staged spec is invisible until it is renamed into place.
_VALID_NAME = re.compile(r"^[a-z0-9._-]+$")

# Runs in the venv: ipykernel writes the spec under a staging prefix (as `ipykernel install
# --prefix` does), then jupyter_core says where this user's kernels live.
_WRITE_SPEC = """\
import json, sys
from ipykernel.kernelspec import InstallIPythonKernelSpecApp
from jupyter_core.paths import jupyter_data_dir
staging, name, display = sys.argv[1:]
InstallIPythonKernelSpecApp.launch_instance(["--prefix", staging, "--name", name, "--display-name", display])
print(json.dumps(jupyter_data_dir()))
"""


class KernelError(Failure):
    """The kernel could not be registered; the message says why and what to do."""


@dataclass(frozen=True)
class KernelRecord:
    """The kernel doitenv registered for the project (RECORD, in the state folder): Kernel.register
    writes it, Kernel.record reads it."""

    name: str
    prefix: str  # '' for the user's kernels
    spec: str  # the kernel's folder
    stamp: str | None  # Kernel.stamp when it was written
    failed: str | None = None  # Kernel.stamp when `dev` last failed to register it again

    def to_json(self) -> dict[str, Any]:
        return {name: value for name, value in asdict(self).items() if value is not None}


_RECORD_FIELDS = {"name": str, "prefix": str, "spec": str, "stamp": str, "failed": str}


def name_for(project: str) -> str:
    """A kernel name Jupyter accepts, made from the project's name (accents dropped: ü is u)."""
    plain = unicodedata.normalize("NFKD", project).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9._-]+", "-", plain.lower()).strip("-.") or "python"


def check_name(name: str) -> None:
    if not _VALID_NAME.match(name):
        raise KernelError(f"doit kernel --name {name}: a Jupyter kernel name holds only a-z, 0-9, '.', '_' and '-'")


class Kernel:
    """The kernel of one project's venv: `project_name` is the name users see ("Python (<name>)")."""

    def __init__(self, root: Path, venv: Venv, state_dir: Path, project_name: str, project_venv: bool = True) -> None:
        self.root = root
        self.venv = venv
        self.state_dir = state_dir
        self.project_name = project_name
        self.project_venv = project_venv  # False: a venv that is never the kernel (a matrix entry's)

    def display_name(self, name: str) -> str:
        """What Jupyter's launcher shows: the project's name, or the kernel's when it was given
        another (two clones of a project must not show the same entry)."""
        return f"Python ({self.project_name if name == name_for(self.project_name) else name})"

    def record(self) -> KernelRecord | None:
        """The kernel registered for the project; None when there is none, or its record is damaged."""
        found = files.json_fields(files.read_json(self.state_dir / RECORD), _RECORD_FIELDS)
        if found is None or found["name"] is None or found["prefix"] is None:
            return None
        return KernelRecord(**{**found, "spec": found["spec"] or ""})

    def stamp(self) -> str:
        """What the spec was written for: this very venv (each rebuild makes a new one) and the
        ipykernel installed in it."""
        return files.digest([self.venv.made_record(), str(self.venv.python), *self._ipykernel()])

    def _ipykernel(self) -> list[str]:
        return [name for name in self.venv.installed() if name.lower().startswith("ipykernel-")]

    def is_registered(self, name: str, prefix: str) -> bool:
        """Is the kernel in place as `doit kernel --name name --prefix prefix` would put it?"""
        record = self.record()
        if record is None or (record.name, record.prefix) != (name, prefix):
            return False
        return record.stamp == self.stamp() and self._ours(Path(record.spec))

    def wanted(self) -> bool:
        """Must `dev` register the kernel again (the venv was rebuilt, ipykernel changed)?
        Cheap, no process: `dev`'s no-op asks it."""
        record = self.record()
        if record is None or not self.project_venv:
            return False
        stamp = self.stamp()
        return stamp not in (record.stamp, record.failed) and bool(self._ipykernel())

    def refresh(self) -> None:
        """After a sync: register the kernel again where it was, if it must be. A failure is
        said in one line and not tried again by `dev` until the venv changes (it must not block
        `dev`); `doit kernel` tries again and fails with it."""
        record = self.record()
        if record is None or not self.project_venv:
            return
        if not self._ipykernel():
            output.warn(
                f"the Jupyter kernel '{record.name}' cannot start until {self.venv.path.name}/ holds "
                "ipykernel again (`doit dev`, with ipykernel in the dev requirements)"
            )
            return
        if not self.wanted():
            return
        try:
            output.note(f"{self.register(record.name, record.prefix)} (again, for the new venv)")
        except KernelError as exc:
            output.warn(str(exc.add(about=f"the Jupyter kernel '{record.name}' was not registered again")))
            files.write_json(self.state_dir / RECORD, replace(record, failed=self.stamp()).to_json())

    def register(self, name: str, prefix: str) -> str:
        """Register the venv as kernel `name`, in the user's kernels or under `prefix` (an
        absolute path, or ''); move it there from where it was before. Returns what was done."""
        check_name(name)
        if prefix and not os.path.isdir(prefix):
            raise KernelError(f"--prefix {prefix}: no such folder (the environment Jupyter runs from)")
        with tempfile.TemporaryDirectory(prefix="kernel-", dir=self.state_dir) as staging:
            argv = [str(self.venv.python), "-c", _WRITE_SPEC, staging, name, self.display_name(name)]
            try:
                said = runner.run(argv, capture=True, env=self.venv.activated(), cwd=str(self.root), quiet=True)
            except runner.CommandFailed as failed:
                why = " ".join(toolerrors.error_lines(failed.output))
                raise KernelError(f"ipykernel could not write the kernel's spec: {why}") from None
            try:
                data_dir = json.loads(said.strip().splitlines()[-1])
            except (ValueError, IndexError):
                raise KernelError(f"ipykernel wrote no kernel spec: {said.strip()}") from None
            staged = Path(staging, "share", "jupyter", "kernels", name)
            spec = json.loads((staged / "kernel.json").read_text(encoding="utf-8"))
            spec.setdefault("metadata", {})[_MARK] = {"project": str(self.root)}
            (staged / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")
            kernels = Path(prefix, "share", "jupyter", "kernels") if prefix else Path(data_dir, "kernels")
            target = kernels / name
            try:
                self._place(staged, target)
            except OSError as exc:
                raise KernelError(f"could not write {target}: {exc.strerror or exc}") from None
        before = self.record()
        files.write_json(self.state_dir / RECORD, KernelRecord(name, prefix, str(target), self.stamp()).to_json())
        if before is not None and Path(before.spec) != target:
            self._remove(Path(before.spec))
        return f"{self.venv.path.name}/ is the Jupyter kernel '{name}' (\"{self.display_name(name)}\") in {target}"

    def remove(self) -> None:
        """Unregister the kernel this project registered (`distclean`)."""
        record = self.record()
        if record is not None and self._ours(Path(record.spec)):
            output.note(f"removing the Jupyter kernel '{record.name}' from {record.spec}", bare=True)
            self._remove(Path(record.spec))
        (self.state_dir / RECORD).unlink(missing_ok=True)  # a damaged record goes too

    def _ours(self, spec: Path) -> bool:
        """Did doitenv register the kernel folder `spec` for this project? (Never a link.)"""
        owner = _owner(spec)
        return owner is not None and not spec.is_symlink() and _same_folder(owner, self.root)

    def _remove(self, spec: Path) -> None:
        """Remove our kernel folder `spec`; say so in one line when it cannot be (it is harmless)."""
        if not self._ours(spec):
            return
        try:
            shutil.rmtree(spec)
        except OSError as exc:
            output.warn(f"could not remove the old Jupyter kernel {spec}: {exc.strerror or exc}")

    def _place(self, staged: Path, target: Path) -> None:
        """Put the staged spec at `target` whole: Jupyter sees the old kernel or the new one. A
        kernel there that doitenv made for a project folder that is gone is replaced."""
        owner = _owner(target)
        orphan = owner is not None and not target.is_symlink() and not os.path.isdir(owner)
        if os.path.lexists(target) and not self._ours(target) and not orphan:
            whose = f"for {owner}" if owner else "not by doitenv"
            raise KernelError(
                f"a Jupyter kernel named '{target.name}' is already registered in {target.parent} ({whose}): "
                f"choose another name, e.g. `doit kernel --name {target.name}-2`"
            )
        incoming = target.with_name(target.name + "~doitenv-new")
        outgoing = target.with_name(target.name + "~doitenv-old")
        for leftover in (incoming, outgoing):  # from a registration cut short: ours by their name
            _delete(leftover)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(staged, incoming)
        if os.path.lexists(target):
            os.replace(target, outgoing)
        os.replace(incoming, target)
        _delete(outgoing)


def _delete(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)


def _same_folder(a: str | Path, b: str | Path) -> bool:
    """Do two paths name one folder (Windows: whatever the case of the drive letter)?"""
    return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


def _owner(spec: Path) -> str | None:
    """The project doitenv registered the kernel folder `spec` for; None if doitenv did not."""
    found = files.read_json(spec / "kernel.json")
    metadata = found.get("metadata") if isinstance(found, dict) else None
    mark = metadata.get(_MARK) if isinstance(metadata, dict) else None
    project = mark.get("project") if isinstance(mark, dict) else None
    return project if isinstance(project, str) else None
