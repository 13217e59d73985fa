"""`doitenv init`: the reference workflow's page of manual set-up steps, as one command.

After it, `doit dev` and `doit test` pass. Files that exist are kept unless forced.
"""

from __future__ import annotations

import re
import shutil
import unicodedata
from pathlib import Path

from doitenv import output, runner
from doitenv.errors import Failure

GITIGNORE = """\
# Python
__pycache__/
*.py[cod]
*.egg-info/
build/
dist/
.eggs/
# environments and tools
venv/
.venv
.doitenv/
.pytest_cache/
.coverage
htmlcov/
.mypy_cache/
.ruff_cache/
.ipynb_checkpoints/
# editors and systems
.idea/
.vscode/
.DS_Store
"""

PYPROJECT = """\
[build-system]
requires = ["flit_core>=3.9"]
build-backend = "flit_core.buildapi"

[project]
name = "{name}"
version = "0.1.0"
description = "{name}"
requires-python = ">=3.9"
dependencies = []

# The runtime lock is pinned from [project].dependencies plus requirements.in, so the two
# lists cannot disagree: declare a dependency once, above, and `doit dev` pins it.
[tool.doitenv]
requirements-from = ["project", "requirements.in"]
# The other settings, all optional, with their defaults:
# venv = "venv"
# python = "3.12"                 # default: the Python that runs doit
# requirements-in = "requirements.in"
# requirements = "requirements.txt"
# dev-requirements-in = "requirements-dev.in"
# dev-requirements = "requirements-dev.txt"
# test-command = "pytest tests --cov=src -v --cov-report=term-missing"
# backend = "pip-tools"           # or "uv"
# hashes = false
"""

REQUIREMENTS_IN = """\
# Runtime requirements the package itself does not declare (an application's extra pins,
# constraints): the lock joins them to [project].dependencies in pyproject.toml.
"""
REQUIREMENTS_DEV_IN = """\
# What development needs on top of the runtime pins.
-r requirements.txt
pytest
pytest-cov
ruff
pre-commit
"""
# dodo.py, as the README gives it too. doitenv lives beside doit, not in the project's venv, where
# the project's checkers run: there a static import of doitenv is unresolved and a star import is
# flagged, so the tasks are handed to doit by a call (tasks.export). With their default settings,
# ruff, flake8, pylint, mypy and pyright accept it (tests/integration/test_dodo_checkers.py): the
# docstring is for pylint, and each line fits flake8's 79 characters.
DODO = '''\
"""Tasks for doit, from doitenv: it keeps the venv and the locks in step."""

import importlib

importlib.import_module("doitenv.tasks").export(globals())
'''
# Hooks that run the formatters pinned in the dev lock: nothing is fetched from a git host.
# Lint's fixes first, then the formatter tidies what they left (a removed import's blank line);
# notebooks too, as `ruff` itself takes them.
PRE_COMMIT = """\
repos:
  - repo: local
    hooks:
      - id: ruff-check
        name: ruff check
        entry: ruff check --fix
        language: system
        types_or: [python, pyi, jupyter]
      - id: ruff-format
        name: ruff format
        entry: ruff format
        language: system
        types_or: [python, pyi, jupyter]
"""


def package_name(folder: Path) -> str:
    """A Python package name from a folder name: 'My Data-Project' -> 'my_data_project',
    'Café' -> 'cafe'. ASCII only: a project's name on the package index (and so in
    pyproject.toml) is letters, digits, `_`, `-` and `.`; '' when the name holds none of them."""
    ascii_name = unicodedata.normalize("NFKD", folder.resolve().name).encode("ascii", "ignore").decode()
    name = re.sub(r"\W+", "_", ascii_name).strip("_").lower()
    if name and name[0].isdigit():
        name = f"project_{name}"
    return name


def _is_valid(package: str) -> bool:
    return package.isascii() and package.isidentifier()


def files_for(package: str) -> dict[str, str]:
    return {
        ".gitignore": GITIGNORE,
        "pyproject.toml": PYPROJECT.format(name=package),
        "requirements.in": REQUIREMENTS_IN,
        "requirements-dev.in": REQUIREMENTS_DEV_IN,
        "dodo.py": DODO,
        ".pre-commit-config.yaml": PRE_COMMIT,
        f"src/{package}/__init__.py": f'"""{package}."""\n\n__version__ = "0.1.0"\n',
        f"tests/test_{package}.py": f"import {package}\n\n\ndef test_version():\n"
        f'    assert {package}.__version__ == "0.1.0"\n',
    }


def init(folder: Path, name: str | None = None, force: bool = False) -> list[str]:
    """Write the project files into `folder`; return the ones kept as they were."""
    package = name or package_name(folder)
    if not _is_valid(package):
        given = f"{package!r} is not a" if name else f"the folder's name {folder.resolve().name!r} makes no"
        raise Failure(f"{given} valid package name (ASCII letters, digits and _): pass one with --name")
    if not name and package != folder.resolve().name:
        output.note(f"the package is named {package} (from the folder's name; --name chooses another)", bare=True)
    new = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    try:
        return _write(folder, package, force)
    except BaseException:
        if new:  # all of it is this run's: no half-made project is left behind
            shutil.rmtree(folder, ignore_errors=True)
        raise


def _write(folder: Path, package: str, force: bool) -> list[str]:
    kept = []
    for relative, text in files_for(package).items():
        path = folder / relative
        if path.exists() and not force:
            kept.append(relative)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        output.note(f"wrote {relative}", bare=True)
    if not (folder / ".git").exists():
        if shutil.which("git"):
            runner.run(["git", "init", "--quiet", str(folder)])
        else:
            output.note("git is not installed: skipped `git init`", bare=True)
    return kept
