"""`doit clean` and `doit distclean`: remove what can be made again, keep what cannot.

Locks are committed work and are never removed. Nothing inside a venv (any folder with a
pyvenv.cfg), inside .git or inside another repository (a submodule, a clone kept in the
project) is touched. Nothing git tracks is removed either, and when git cannot say what it
tracks, only what doitenv made is.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from doitenv import files, output, runner

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
            # Another repository's files are its own: its tracked files are not in our `git ls-files`.
            if name == ".git" or (path / "pyvenv.cfg").exists() or (path / ".git").exists():
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
    found = list(artifacts(root))
    try:
        tracked, folders = _tracked(root)
    except runner.CommandFailed as failed:
        # Without git's answer nothing is proved untracked: a committed build/ would go, edits
        # and all. Only doitenv's own scratch files are surely nobody's work.
        unknown = [path for path in found if not files.SCRATCH_NAME.search(path.name)]
        if unknown:
            output.warn(
                f"{_listed(unknown, root)} {'is' if len(unknown) == 1 else 'are'} kept: git could not say "
                f"which files it tracks ({_why(failed)}), so doit clean removes only what doitenv made; "
                "once `git ls-files` works here, `doit clean` removes the rest",
                on_stdout=True,
            )
        found = [path for path in found if path not in unknown]
        tracked, folders = set(), set()
    for path in found:
        name = path.relative_to(root).as_posix()
        # A project may commit a folder called build, or a file it should not have: git's
        # copy is the user's work, not an artifact.
        if name in tracked:
            output.note(f"keeping {name}: git tracks it", bare=True)
        elif name in folders:
            output.note(f"keeping {name}: git tracks files in it", bare=True)
        elif dryrun:  # `doit clean -n`: the list is what was asked for, at every level
            output.result(f"would remove {name}")
        else:
            output.note(f"removing {name}", bare=True)
            remove(path)


def _tracked(root: Path) -> tuple[set[str], set[str]]:
    """(the files git tracks under `root`, the folders holding them); empty outside any
    repository. Raises CommandFailed when there is a repository and git cannot list it."""
    if not _in_repository(root):
        return set(), set()  # nothing is tracked: everything goes, as `make clean` did
    found = runner.read(["git", "-c", "core.quotepath=off", "ls-files", "-z"], cwd=str(root))
    tracked = set(found.decode("utf-8", "surrogateescape").split("\0")) - {""}
    folders = {parent for name in tracked for parent in _parents(name)}
    return tracked, folders


def _in_repository(root: Path) -> bool:
    """Whether git would look for tracked files here. Asked without git: git missing from PATH,
    or refusing a repository, is not the same as no repository. A `.git` file counts too (a
    worktree, a submodule), and so does GIT_DIR."""
    if os.environ.get("GIT_DIR"):
        return True
    real = root.resolve()
    return any((folder / ".git").exists() for folder in (real, *real.parents))


def _why(failed: runner.CommandFailed) -> str:
    """git's own reason, first line: `git: detected dubious ownership in repository at '/p'`."""
    line = next((line for line in failed.output.splitlines() if line.strip()), f"exit code {failed.returncode}")
    return line if failed.returncode == 127 else f"git: {line.removeprefix('fatal: ')}"


def _listed(paths: list[Path], root: Path, shown: int = 3) -> str:
    """`build/, dist/ and .coverage`; past `shown` names, `and 12 more`."""
    names = [path.relative_to(root).as_posix() + ("/" if path.is_dir() else "") for path in paths]
    if len(names) > shown:
        return f"{', '.join(names[:shown])} and {len(names) - shown} more"
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _parents(name: str) -> Iterator[str]:
    while "/" in name:
        name = name.rsplit("/", 1)[0]
        yield name
