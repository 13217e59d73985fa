"""`doit clean` and `doit distclean`: remove what can be made again, keep what cannot.

Locks are committed work and are never removed. Nothing inside a venv (any folder with a
pyvenv.cfg) or inside .git is touched.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from doitenv import files, runner

ARTIFACT_FILES = (".coverage",)
ARTIFACT_SUFFIXES = (".pyc", ".pyo")
ARTIFACT_DIRS = (".pytest_cache", "__pycache__", ".ipynb_checkpoints")
TOP_LEVEL_DIRS = ("build", "dist")


def artifacts(root: Path) -> Iterator[Path]:
    """Every artifact under `root` that `make clean` removed, plus build outputs."""
    for folder, dirs, filenames in os.walk(root):
        here = Path(folder)
        kept = []
        for name in sorted(dirs):
            path = here / name
            if name == ".git" or (path / "pyvenv.cfg").exists():
                continue
            top_level_output = here == root and name in TOP_LEVEL_DIRS
            if name in ARTIFACT_DIRS or name.endswith(".egg-info") or top_level_output:
                yield path
            else:
                kept.append(name)
        dirs[:] = kept
        for name in sorted(filenames):
            if name in ARTIFACT_FILES or name.endswith(ARTIFACT_SUFFIXES) or files.SCRATCH_NAME.search(name):
                yield here / name


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def clean_artifacts(root: Path, dryrun: bool = False) -> None:
    files, folders = _tracked(root)
    for path in list(artifacts(root)):
        name = path.relative_to(root).as_posix()
        # A project may commit a folder called build, or a file it should not have: git's
        # copy is the user's work, not an artifact.
        if name in files:
            print(f"keeping {name}: git tracks it")
        elif name in folders:
            print(f"keeping {name}: git tracks files in it")
        else:
            print(f"{'would remove' if dryrun else 'removing'} {name}")
            if not dryrun:
                remove(path)


def _tracked(root: Path) -> tuple[set[str], set[str]]:
    """(the files git tracks under `root`, the folders holding them); empty outside git."""
    found = runner.probe([["git", "-c", "core.quotepath=off", "ls-files", "-z"]], cwd=str(root))
    files = set(found[0].decode("utf-8", "surrogateescape").split("\0")) - {""} if found else set()
    folders = {parent for name in files for parent in _parents(name)}
    return files, folders


def _parents(name: str) -> Iterator[str]:
    while "/" in name:
        name = name.rsplit("/", 1)[0]
        yield name


def forget_doit_state(dep_file: Path) -> None:
    """Empty doit's sqlite3 state in place: the running doit holds the file open."""
    if not dep_file.exists():
        return
    with sqlite3.connect(dep_file) as connection:
        connection.execute("DELETE FROM doit")
    connection.close()
