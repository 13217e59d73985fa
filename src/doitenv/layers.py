"""A layer: one lock and what it is pinned from. A project has the runtime layer and the dev
layer pinned on top of it (its input includes the runtime lock with `-r`), and as many more as
`tool.doitenv.locks` names: each .in file pinned into the .txt beside it. A layer whose input
pulls in another layer's lock (`-r` or `-c`) is pinned after it, and again when it moves."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Literal

from doitenv import files, locks, reqfile, sources
from doitenv.config import Config, ConfigError

# The tasks that sync the venv to a layer's lock; a project's step `requires` one of them (api.py).
SyncTask = Literal["prod", "dev"]


@dataclass(frozen=True)
class Layer:
    lock: str  # the lock file, relative to the project
    in_file: str  # the .in file the user writes, unless `generated` replaces it
    generated: str | None  # the input made from pyproject.toml's tables (tool.doitenv.*-from), or None
    below: str | None  # the lock this one must hold the pins of (the dev layer's: the runtime lock)
    sync_task: SyncTask | None  # the task that syncs the venv to this lock (`prod`, `dev`; None for more layers)
    source: str  # what the lock is pinned from, as messages name it
    pulls_in: tuple[str, ...] = ()  # the locks of other layers its inputs pull in (-r or -c)
    holds_pins_of: tuple[str, ...] = ()  # those of them pulled in with -r all the way: their pins are in this lock

    @property
    def pinned_after(self) -> tuple[str, ...]:
        """The locks pinned before this one: those it pulls in, and the one it must layer on."""
        return tuple(dict.fromkeys([*([self.below] if self.below else []), *self.pulls_in]))

    @property
    def resolver_input(self) -> str:
        """The file the resolver reads: the .in file, or the generated one written for it."""
        if self.generated is None:
            return self.in_file
        # In the project's folder, whatever the lock's: its `-r` lines are named from there.
        return files.scratch(Path(PurePosixPath(self.lock).name), "in").as_posix()

    def read_inputs(self, root: Path) -> locks.Inputs:
        return locks.read_inputs(root, self.resolver_input, self.generated)


def of(config: Config) -> tuple[Layer, ...]:
    """Every layer of the project, each after the layers whose locks it pulls in; the runtime
    layer and the dev layer among them."""
    runtime = Layer(
        lock=config.requirements,
        in_file=config.requirements_in,
        generated=config.requirements_from_text,
        below=None,
        sync_task="prod",
        source=config.requirements_in
        if config.requirements_from is None
        else sources.described(config.requirements_from),
    )
    dev = Layer(
        lock=config.dev_requirements,
        in_file=config.dev_requirements_in,
        generated=config.dev_requirements_from_text,
        below=config.requirements,
        sync_task="dev",
        source=(
            config.dev_requirements_in
            if config.dev_requirements_from is None
            else sources.described(config.dev_requirements_from)
        ),
    )
    more = [
        Layer(
            lock=in_file[: -len(".in")] + ".txt",
            in_file=in_file,
            generated=None,
            below=None,
            sync_task=None,
            source=in_file,
        )
        for in_file in config.layer_inputs
        if in_file not in (runtime.in_file, dev.in_file)
    ]
    named = [runtime, dev, *more]
    return _in_pinning_order([_with_includes(layer, named, config.root) for layer in named])


def reaches(layers: Sequence[Layer], start: Layer, lock: str) -> bool:
    """Does `start`'s lock hold the pins of `lock`: its inputs pull `lock` in with -r, or the
    lock of a layer that does?"""
    by_lock = {layer.lock: layer for layer in layers}
    seen: set[str] = set()
    pending = list(start.holds_pins_of)
    while pending:
        each = pending.pop()
        if each == lock:
            return True
        if each not in seen and each in by_lock:
            seen.add(each)
            pending += by_lock[each].holds_pins_of
    return False


def _with_includes(layer: Layer, layers: Sequence[Layer], root: Path) -> Layer:
    """`layer` with the locks of other layers its inputs pull in, as pip follows -r and -c from
    file to file. A layer's lock holds no includes: the walk stops there."""
    others = {os.path.realpath(root / each.lock): each.lock for each in layers if each is not layer}
    pulled: dict[str, None] = {}
    held: dict[str, None] = {}
    top = root / layer.resolver_input
    pending: list[tuple[Path, str]] = [(top, "-r")]
    walked: set[str] = set()
    while pending:
        path, kind = pending.pop(0)
        if os.path.realpath(path) in walked:
            continue
        walked.add(os.path.realpath(path))
        try:
            text = layer.generated if path == top and layer.generated is not None else reqfile.read(path)
        except (OSError, reqfile.UnreadableFile):
            continue  # pinning names the file and what is wrong with it
        for flag, included in reqfile.includes(path, text):
            # A -c anywhere on the way constrains; only -r all the way installs.
            chain = "-r" if kind == flag == "-r" else "-c"
            other = others.get(os.path.realpath(included))
            if other is None:
                pending.append((included, chain))
                continue
            pulled[other] = None
            if chain == "-r":
                held[other] = None
    return replace(layer, pulls_in=tuple(pulled), holds_pins_of=tuple(held))


def _in_pinning_order(layers: list[Layer]) -> tuple[Layer, ...]:
    """The layers, each after those whose locks it pulls in (else in the order given)."""
    ordered: list[Layer] = []
    placed: set[str] = set()
    waiting = list(layers)
    while waiting:
        ready = next((layer for layer in waiting if placed.issuperset(set(layer.pinned_after) & _locks(layers))), None)
        if ready is None:
            circle = " and ".join(_circle(waiting))
            raise ConfigError([
                f"{circle} pull in each other's locks (-r/-c), so none of them can be pinned first: remove one "
                "of those includes"
            ])  # fmt: skip
        ordered.append(ready)
        placed.add(ready.lock)
        waiting.remove(ready)
    return tuple(ordered)


def _circle(waiting: Sequence[Layer]) -> list[str]:
    """The inputs of the layers on one include circle among `waiting` (each waits on another)."""
    by_lock = {layer.lock: layer for layer in waiting}
    path = [waiting[0]]
    while True:
        following = next(by_lock[lock] for lock in path[-1].pinned_after if lock in by_lock)
        if following in path:
            return [layer.source for layer in path[path.index(following) :]]
        path.append(following)


def _locks(layers: Sequence[Layer]) -> set[str]:
    return {layer.lock for layer in layers}
