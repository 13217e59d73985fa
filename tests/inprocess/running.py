"""What the in-process tests share: a project whose locks doitenv would call fresh, written here
with doitenv's own first line (no resolver runs), and doit's command line run in this process."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from doit.cmd_base import ModuleTaskLoader
from doit.doit_cmd import DoitMain

from doitenv import config, locks, tasks
from doitenv.project import Project
from doitenv.tasks import start

PYTHON = f"{sys.version_info[0]}.{sys.version_info[1]}"
PYPROJECT = f"""\
[project]
name = "demo"
version = "0.1.0"
dependencies = ["alpha"]

[tool.doitenv]
python = "{PYTHON}"
install-project = false
"""
RUNTIME = "alpha==1.0\n    # via -r requirements.in\n"
DEV = "alpha==1.0\n    # via -r requirements.txt\npytest==8.0\n    # via -r requirements-dev.in\n"


def fresh_project(root: Path) -> Path:
    """A project in `root` whose two locks are fresh, as doitenv would have pinned them (no venv)."""
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "requirements.in").write_text("alpha\n")
    (root / "requirements-dev.in").write_text("-r requirements.txt\npytest\n")
    pin(root, "requirements.txt", RUNTIME)
    pin(root, "requirements-dev.txt", DEV)
    return root


def pin(root: Path, lock: str, body: str) -> None:
    """Write `lock` with `body` and the first line doitenv writes for its inputs as they are now."""
    found = Project(config.load(root))
    layer = found.layer(lock)
    shape = found.lock_shape(layer)
    digest = layer.read_inputs(root).digest(shape)
    (root / lock).write_text(locks.header_line(digest, locks.body_digest(body), shape) + body)


def doit(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """doit's command line in this process, in the current folder: (exit code, all it printed)."""
    start.prepare_state(Path(".doitenv"), Path(".doitenv/doit.sqlite3"))  # what importing dodo.py does
    capsys.readouterr()
    # doit's default output stream is the sys.stdout of when doit was imported: hand it this one.
    main = DoitMain(ModuleTaskLoader(vars(tasks)), extra_config={"GLOBAL": {"outfile": sys.stdout}})
    code = main.run(list(args))
    captured = capsys.readouterr()
    return code, captured.out + captured.err
