"""A notebook file as doitenv reads it: what of it decides whether a notebook step runs again.
Below the task layer, so that the step's receipts (tasks/steps.py), the notebook step itself
(tasks/notebooks.py) and `doitenv why` (cli.py) read a notebook the same way.
"""

from __future__ import annotations

import json
from pathlib import Path

from doitenv import files
from doitenv.errors import Failure


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
