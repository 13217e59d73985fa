"""Notebooks as steps: `task_analysis = notebook("analysis.ipynb", inputs=[...], outputs=[...])`.

The notebook is executed top to bottom with nbclient, in the project's venv and its own kernel
(ipykernel), from the notebook's folder, as Jupyter runs it. It runs again when a code cell, an
input or the locked environment changed (api.requires), never when only outputs, execution
counts or metadata did: a notebook saved by Jupyter after a run is no edit. The executed copy,
with its outputs, goes where `executed` says: by default under `.doitenv/notebooks/`, so that the
notebook you commit stays as you wrote it; `executed="in-place"` writes the outputs into it.
A failing cell is one message with its number and the error, and nothing is written.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from doitenv import files, locks
from doitenv.errors import Failure

IN_PLACE = "in-place"
EXECUTED_FOLDER = "notebooks"  # under the state folder
NEEDED = ("nbclient", "ipykernel")

# Run inside the venv: nbclient executes the notebook with the venv's own kernel.
_RUNNER = """\
import os
import sys
import tempfile

import nbclient
import nbformat
from jupyter_client.manager import KernelManager
from nbclient.exceptions import CellExecutionError

source, executed, folder = sys.argv[1:4]
notebook = nbformat.read(source, as_version=4)
with tempfile.TemporaryDirectory() as sockets:
    # Local sockets where there are any (the kernel warns about plain TCP), in a folder of their own.
    where = {} if os.name == "nt" else {"transport": "ipc", "ip": os.path.join(sockets, "kernel")}
    kernel = KernelManager(kernel_name="python3", **where)
    client = nbclient.NotebookClient(notebook, km=kernel, resources={"metadata": {"path": folder}})
    try:
        client.execute()
    except CellExecutionError as error:
        cells = notebook.cells
        failed = next((i for i, cell in enumerate(cells, 1) if any(
            out.get("output_type") == "error" for out in cell.get("outputs", []))), None)
        where = f"cell {failed}" if failed else "a cell"
        print(f"doitenv: {source}: {where} failed: {error.ename}: {error.evalue}", file=sys.stderr)
        sys.exit(1)
    finally:
        if kernel.has_kernel:
            kernel.shutdown_kernel(now=True)
nbformat.write(notebook, executed)
"""


def code_digest(path: Path) -> str:
    """What decides whether a notebook runs again: its code cells' sources, in order, and its
    kernel's language; not outputs, execution counts or metadata."""
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise Failure(f"{path.name}: cannot read it as a notebook ({exc})") from None
    cells = notebook.get("cells", []) if isinstance(notebook, dict) else []
    sources = []
    for cell in cells:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = cell.get("source", "")
            sources.append("".join(source) if isinstance(source, list) else str(source))
    language = (notebook.get("metadata", {}).get("kernelspec") or {}).get("language", "python")
    return files.digest([language, *sources])


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
    environment: str = "dev",
) -> Callable[[], dict[str, Any]]:
    """A doit task creator that runs the notebook at `path` as a step (see the module's doc)."""
    from doitenv.api import requires
    from doitenv.tasks.failures import action

    @requires(environment)
    def creator() -> dict[str, Any]:
        from doitenv.project import STATE_DIR

        copy = executed_path(path, executed, STATE_DIR)
        return {
            "actions": [action(_run, path, copy, environment, leaves=f"{path} did not finish: nothing was written")],
            "file_dep": [*inputs],
            "targets": [*outputs, *([] if copy == path else [copy])],
            "uptodate": [(_code_unchanged, [path])],
            "verbosity": 2,
        }

    creator.__doc__ = f"Run {path} top to bottom in the venv" + (f" ({', '.join(outputs)})" if outputs else "")
    return creator


def _code_unchanged(task: Any, values: dict[str, Any], path: str) -> bool:
    now = code_digest(Path(path))
    task.value_savers.append(lambda: {"notebook_code": now})
    return bool(values.get("notebook_code") == now)


def _run(path: str, copy: str, environment: str) -> None:
    from doitenv.tasks import project
    from doitenv.tasks.runs import run_in_venv

    found = project()
    layer = found.dev if environment == "dev" else found.runtime
    missing = [name for name in NEEDED if name not in locks.pins(found.root / layer.lock)]
    if missing:
        needs = " and ".join(missing)
        raise Failure(f"{path}: running it needs {needs} in {layer.lock}: add them to {layer.source}, then `doit dev`")
    runner = found.state_dir / "notebook-runner.py"
    if not runner.is_file() or runner.read_text(encoding="utf-8") != _RUNNER:
        files.write_atomic(runner, _RUNNER.encode())
    scratch = files.scratch(found.root / copy, "tmp")
    scratch.parent.mkdir(parents=True, exist_ok=True)
    try:
        folder = str((found.root / path).parent)
        run_in_venv(found, ["python", str(runner), path, str(scratch), folder], f"the notebook {path}")
        files.write_atomic(found.root / copy, scratch.read_bytes())  # whole, or not at all
    finally:
        scratch.unlink(missing_ok=True)
    print(f"doitenv: {path} ran; its outputs are in {copy}")
