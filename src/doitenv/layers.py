"""A layer: one lock and what it is pinned from. A project has two, the runtime layer and the
dev layer pinned on top of it (its input includes the runtime lock with `-r`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from doitenv import locks
from doitenv.config import Config

# A generated input lives in the project's folder while it is pinned; the lock names pyproject.toml.
GENERATED_SUFFIX = ".doitenv-in"


@dataclass(frozen=True)
class Layer:
    lock: str  # the lock file, relative to the project
    in_file: str  # the .in file the user writes, unless `generated` replaces it
    generated: str | None  # the input made from pyproject.toml's tables (tool.doitenv.*-from), or None
    below: str | None  # the lock this one is pinned on top of (the dev layer's: the runtime lock)
    sync_task: str  # the task that syncs the venv to this lock
    source: str  # what the lock is pinned from, as messages name it

    @property
    def resolver_input(self) -> str:
        """The file the resolver reads: the .in file, or the generated one written for it."""
        if self.generated is None:
            return self.in_file
        return f".{PurePosixPath(self.lock).name}{GENERATED_SUFFIX}"

    def read_inputs(self, root: Path) -> locks.Inputs:
        return locks.read_inputs(root, self.resolver_input, self.generated)


def of(config: Config) -> tuple[Layer, Layer]:
    """The runtime layer and the dev layer on top of it."""
    runtime = Layer(
        lock=config.requirements,
        in_file=config.requirements_in,
        generated=config.requirements_from_text,
        below=None,
        sync_task="prod",
        source=config.requirements_in if config.requirements_from is None else "pyproject.toml's sources",
    )
    dev = Layer(
        lock=config.dev_requirements,
        in_file=config.dev_requirements_in,
        generated=config.dev_requirements_from_text,
        below=config.requirements,
        sync_task="dev",
        source=config.dev_requirements_in if config.dev_requirements_from is None else "pyproject.toml's dev sources",
    )
    return runtime, dev
