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
            if name in ARTIFACT_FILES or name.endswith(ARTIFACT_SUFFIXES):
                yield here / name


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def clean_artifacts(root: Path, dryrun: bool = False) -> None:
    for path in list(artifacts(root)):
        print(f"{'would remove' if dryrun else 'removing'} {path.relative_to(root)}")
        if not dryrun:
            remove(path)


def forget_doit_state(dep_file: Path) -> None:
    """Empty doit's sqlite3 state in place: the running doit holds the file open."""
    if not dep_file.exists():
        return
    with sqlite3.connect(dep_file) as connection:
        connection.execute("DELETE FROM doit")
    connection.close()
