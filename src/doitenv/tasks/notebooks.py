"""Notebooks as steps: `task_analysis = notebook("analysis.ipynb", inputs=[...], outputs=[...])`.

The notebook is executed top to bottom with nbclient, in the project's venv and its own kernel
(ipykernel), from the notebook's folder, as Jupyter runs it. It runs again when a code cell, an
input or the locked environment changed (steps.requires), never when only outputs, execution
counts or metadata did: a notebook saved by Jupyter after a run is no edit. The executed copy,
with its outputs, goes where `executed` says: by default under `.doitenv/notebooks/`, so that the
notebook you commit stays as you wrote it; `executed="in-place"` writes the outputs into it.
A failing cell is one message with its number and the error, and nothing is written.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from doitenv import files, locks, output
from doitenv.errors import Failure
from doitenv.notebookfile import code_digest
from doitenv.tasks.failures import action
from doitenv.tasks.steps import requires

if TYPE_CHECKING:
    from doitenv.layers import SyncTask

IN_PLACE = "in-place"
EXECUTED_FOLDER = "notebooks"  # under the state folder
NEEDED = ("nbclient", "ipykernel")

# Run inside the venv: nbclient executes the notebook with the venv's own kernel.
_RUNNER = """\
import json
import os
import sys
import tempfile

import nbclient
import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient.exceptions import CellExecutionError

source, executed, folder, failure = sys.argv[1:5]
notebook = nbformat.read(source, as_version=4)
with tempfile.TemporaryDirectory() as work:
    # This venv's own Python as the kernel: a kernel named python3 that Jupyter finds elsewhere
    # (one installed with --user) would run another environment than the lock's.
    spec = os.path.join(work, "kernels", "doitenv-venv")
    os.makedirs(spec)
    with open(os.path.join(spec, "kernel.json"), "w") as handle:
        argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        json.dump({"argv": argv, "display_name": "venv", "language": "python"}, handle)
    specs = KernelSpecManager(kernel_dirs=[os.path.join(work, "kernels")], ensure_native_kernel=False)
    # Local sockets where there are any (the kernel warns about plain TCP), in the same folder.
    where = {} if os.name == "nt" else {"transport": "ipc", "ip": os.path.join(work, "kernel")}
    kernel = KernelManager(kernel_name="doitenv-venv", kernel_spec_manager=specs, **where)
    client = nbclient.NotebookClient(notebook, km=kernel, resources={"metadata": {"path": folder}})
    try:
        client.execute()
    except CellExecutionError as error:
        code = 0
        for number, cell in enumerate(notebook.cells, 1):
            code += cell.cell_type == "code"
            if any(out.get("output_type") == "error" for out in cell.get("outputs", [])):
                where = f"cell {number} (code cell {code})"
                break
        else:
            where = "a cell"
        with open(failure, "w", encoding="utf-8") as handle:
            handle.write(f"{where} failed: {error.ename}: {error.evalue}")
        sys.exit(1)
    finally:
        if kernel.has_kernel:
            kernel.shutdown_kernel(now=True)
nbformat.write(notebook, executed)
"""


def executed_path(notebook: str, executed: str | None, state_dir: str) -> str:
    """Where the executed copy of `notebook` goes (relative to the project)."""
    if executed == IN_PLACE:
        return notebook
    if executed:
        return executed
    return str(PurePosixPath(state_dir, EXECUTED_FOLDER, notebook))


def notebook(
    path: str,
    inputs: Sequence[str] = (),
    outputs: Sequence[str] = (),
    executed: str | None = None,
    environment: SyncTask = "dev",
) -> Callable[[], dict[str, Any]]:
    """A doit task creator that runs the notebook at `path` as a step (see the module's doc)."""

    @requires(environment)
    def creator() -> dict[str, Any]:
        from doitenv.project import STATE_DIR

        copy = executed_path(path, executed, STATE_DIR)
        leaves = f"{path} did not finish: its outputs are as they were"
        return {
            "actions": [action(_run, path, copy, list(outputs), environment, leaves=leaves)],
            "file_dep": [*inputs],
            "targets": [*outputs, *([] if copy == path else [copy])],
            "uptodate": [(_code_unchanged, [path])],
            # What a receipt names: the notebook's code, not doitenv's function that ran it.
            "meta": {
                "doitenv_notebook": path,
                "doitenv_actions": [{"name": f"run {path} with nbclient in the venv", "arguments": None}],
            },
            "verbosity": 2,
        }

    creator.__doc__ = f"Run {path} top to bottom in the venv" + (f" ({', '.join(outputs)})" if outputs else "")
    return creator


def _code_unchanged(task: Any, values: dict[str, Any], path: str) -> bool:
    try:
        now = code_digest(Path(path))
    except Failure:
        return False  # the run says what is wrong with it, in one line
    task.value_savers.append(lambda: {"notebook_code": now})
    before = values.get("notebook_code")
    if before is not None and before != now:
        output.reason(f"{task.name}: a code cell of {path} changed")
    return bool(before == now)


def _run(path: str, copy: str, outputs: list[str], environment: SyncTask) -> None:
    from doitenv.tasks import project
    from doitenv.tasks.runs import RunFailed, run_in_venv

    found = project()
    root = found.root
    layer = found.dev if environment == "dev" else found.runtime
    code_digest(root / path)  # a missing or broken notebook is one message, before anything runs
    missing = [name for name in NEEDED if name not in locks.pins(root / layer.lock)]
    if missing:
        them = "it" if len(missing) == 1 else "them"
        raise Failure(
            f"{path}: running it needs {' and '.join(missing)} in {layer.lock}: add {them} to {layer.source}, "
            "then `doit dev`"
        )
    runner = found.state_dir / "notebook-runner.py"
    if not runner.is_file() or runner.read_text(encoding="utf-8") != _RUNNER:
        files.write_atomic(runner, _RUNNER.encode())
    scratch = files.scratch(root / copy, "tmp")
    failure = files.scratch(root / copy, "failure")
    scratch.parent.mkdir(parents=True, exist_ok=True)
    kept = _keep(root, outputs)
    done = False
    try:
        folder = str((root / path).parent)
        command = ["python", str(runner), path, str(scratch), folder, str(failure)]
        try:
            run_in_venv(found, command, f"the notebook {path}")
        except RunFailed:
            said = failure.read_text(encoding="utf-8") if failure.is_file() else "it failed (see above)"
            raise Failure(f"{path}: {said}; its outputs are as they were") from None
        unwritten = [name for name in outputs if not (root / name).exists()]
        if unwritten:
            raise Failure(f"{path} ran but did not write {', '.join(unwritten)}, which outputs= names: fix one")
        files.write_atomic(root / copy, scratch.read_bytes())  # whole, or not at all
        done = True
    finally:
        if not done:  # the outputs as the last good run left them: put back, or not there at all
            for name in outputs:
                target = root / name
                if target in kept:
                    os.replace(kept[target], target)
                else:
                    target.unlink(missing_ok=True)
        for each in (scratch, failure, *(_backup(root / name) for name in outputs)):
            each.unlink(missing_ok=True)
    output.note(f"{path} ran; its outputs are in {copy}")


def _backup(target: Path) -> Path:
    return files.scratch(target, "tmp")


def _keep(root: Path, outputs: list[str]) -> dict[Path, Path]:
    """A copy of each output that exists, to put back if the run fails."""
    kept = {}
    for name in outputs:
        target = root / name
        if target.is_file():
            shutil.copy2(target, _backup(target))
            kept[target] = _backup(target)
    return kept
