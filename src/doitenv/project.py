"""One project as doitenv sees it: its settings, its layers, and what they make of each other."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

from doitenv import adoption, files, fits, hooks, imports, inputs, interpreter, kernel, layers, locks, reqfile
from doitenv.backends import Backend, registry
from doitenv.config import PYPROJECT, Config, lowest_python
from doitenv.layers import Layer
from doitenv.venv import Venv

STATE_DIR = ".doitenv"  # doitenv's and doit's state: outside the venv, which gets rebuilt
DOIT_DEP_FILE = f"{STATE_DIR}/doit.sqlite3"


@dataclass(frozen=True)
class LocksPython:
    """The Python a project's locks name (Project.locks_python), and the one its venv is made
    from: the same, or the oldest doitenv supports for a lock pinned for an older one (the
    nearest to what its pins were chosen for)."""

    pinned_for: str  # major.minor
    lock: str

    @property
    def wanted(self) -> str:
        return ".".join(map(str, max(interpreter.version_tuple(self.pinned_for), interpreter.OLDEST_SUPPORTED)))

    @property
    def older(self) -> str:
        """Said after the version of a lock pinned for a Python doitenv does not support."""
        return "" if self.wanted == self.pinned_for else ", older than doitenv supports"


@dataclass(frozen=True)
class Project:
    config: Config
    # A matrix entry's venv lives in the state folder; the project's own venv is still no input.
    main_venv: str | None = None

    @property
    def root(self) -> Path:
        return self.config.root

    @cached_property
    def venv(self) -> Venv:
        return Venv(self.root / self.config.venv)

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    @property
    def lock_file(self) -> Path:
        """Held while anything changes this venv or the locks."""
        return self.state_dir / f"{Path(self.config.venv).name}.lock"

    @property
    def users_lock_file(self) -> Path:
        """Held shared while a command runs in this venv, exclusive while the venv is made or synced."""
        return self.state_dir / f"{Path(self.config.venv).name}.users.lock"

    def for_python(self, version: str) -> Project:
        """The same project with a venv of its own for another interpreter (the test matrix)."""
        entry = replace(self.config, venv=f"{STATE_DIR}/py{version}", python=version)
        return Project(entry, main_venv=self.config.venv)

    # --- layers and locks ---------------------------------------------------------------

    @cached_property
    def layers(self) -> tuple[Layer, ...]:
        """Every layer, each after the layers whose locks it pulls in (raises ConfigError when
        two pull in each other's)."""
        return layers.of(self.config)

    @property
    def runtime(self) -> Layer:
        """The layer `prod` syncs."""
        return next(layer for layer in self.layers if layer.sync_task == "prod")

    @property
    def dev(self) -> Layer:
        """The layer `dev` syncs, on top of the runtime layer."""
        return next(layer for layer in self.layers if layer.sync_task == "dev")

    def layer(self, lock: str) -> Layer:
        return next(layer for layer in self.layers if layer.lock == lock)

    def lock_shape(self, layer: Layer | None = None) -> locks.LockShape:
        """What the locks are resolved for: the venv's major.minor, or `universal` and the
        range, which no interpreter running doit changes; and with hashes or not. For a
        layer, also in the style the project's locks are in (adoption.project_style)."""
        config = self.config
        if config.universal:
            lowest = lowest_python(config.universal_python or "")
            shape = locks.LockShape(config.universal_python or "", config.hashes, universal=True, universal_from=lowest)
        else:
            shape = locks.LockShape(self.locked_python(), config.hashes)
        shape = replace(shape, as_of=config.resolve_as_of)
        if layer is None:
            return shape
        allow_unsafe, strip_extras = adoption.project_style(
            self.locks_from(layer), self.config.allow_unsafe, self.config.strip_extras
        )
        return replace(shape, allow_unsafe=allow_unsafe, strip_extras=strip_extras)

    def locks_from(self, layer: Layer) -> list[Path]:
        """The layer's lock, then the project's other locks: what adoption reads, in order."""
        return [self.root / each.lock for each in (layer, *(other for other in self.layers if other is not layer))]

    def locked_python(self) -> str:
        """The major.minor a lock of this project is for when it is not universal: the one
        `python` names, else the venv's ('' when there is neither)."""
        if self.config.python and interpreter.is_version(self.config.python) and "." in self.config.python:
            return ".".join(self.config.python.split(".")[:2])
        return self.venv.python_version()

    def lock_staleness(self, layer: Layer) -> str | None:
        """Why the layer's lock is not as doitenv would pin it now, or None (locks.why_stale)."""
        return locks.why_stale(layer.lock, layer.read_inputs(self.root), self.lock_shape(layer))

    def lock_is_fresh(self, lock: str) -> bool:
        """Was `lock` pinned from its inputs as they are now, for this lock shape, and left as pinned?"""
        return self.lock_staleness(self.layer(lock)) is None

    def holding(self, layer: Layer) -> list[Layer]:
        """`layer`, then the layers whose pins its lock holds (the dev layer: the runtime one)."""
        by_lock = {each.lock: each for each in self.layers}
        found, pending = [], [layer]
        while pending:
            each = pending.pop(0)
            if each not in found:
                found.append(each)
                pending += [by_lock[lock] for lock in each.holds_pins_of if lock in by_lock]
        return found

    def direct(self, layer: Layer) -> list[imports.Direct]:
        """What the inputs of `layer`, and of the layers whose pins it holds, name directly, and
        [project].dependencies; not the project itself: what the import check imports after a sync,
        and what provenance names first."""
        chain = self.holding(layer)
        layer_locks = {(self.root / each.lock).resolve() for each in self.layers}
        metadata = self.config.metadata
        declared = list(metadata.dependencies) if metadata else []
        found = imports.direct(self.root, [each.read_inputs(self.root) for each in chain], layer_locks, declared)
        own = reqfile.normalized(self.config.project_name)
        return [each for each in found if reqfile.normalized(each.name) != own]

    def fit_context(self, layer: Layer) -> fits.Context:
        """What fits.explain needs to say why a pin of `layer` does not fit the venv's Python:
        the inputs the user writes, of the layer and of those whose pins it holds (not their locks)."""
        every = [each.read_inputs(self.root) for each in self.holding(layer)]
        layer_locks = {self.root / each.lock for each in self.layers}
        texts = {path: text for inputs in every for path, text in inputs.texts.items() if path not in layer_locks}
        python = self.locked_python() or interpreter.running_version()
        pins = locks.pins(self.root / layer.lock)
        options = [option for inputs in every for option in inputs.index_options()]
        return fits.Context(python, self.venv.path.name, pins, texts, self.root, options)

    # --- backends -----------------------------------------------------------------------

    @cached_property
    def backend(self) -> Backend:
        """What makes and syncs the venv (raises uv.BackendMissing when uv is asked for and missing)."""
        return registry.get(self.config.backend)

    def pinner(self) -> Backend:
        """What pins the locks, for this lock shape (as `backend` raises)."""
        return registry.pinner(self.config.backend, self.lock_shape())

    def interpreter(self) -> interpreter.Interpreter:
        """What the venv is made from: the `python` setting; without one, the Python the locks
        were pinned for (locks_python) when that is not the one running doit; else the running one.
        Raises InterpreterNotFound (LockedPythonMissing for the locks' Python)."""
        locked = self.locks_python()
        if locked is None or locked.wanted == interpreter.running_version():
            return interpreter.find(self.config.python, self.root)
        found = interpreter.installed(locked.wanted, self.root)
        if found is None:
            running, wanted = interpreter.running_version(), locked.wanted
            raise interpreter.LockedPythonMissing(
                f"{locked.lock} was pinned for Python {locked.pinned_for}{locked.older}, and Python {wanted} is not "
                f"installed here: install it (such as `pyenv install {wanted}` or `uv python install {wanted}`); or "
                f'set, in pyproject.toml\'s [tool.doitenv], python = "{running}" to pin it again for this Python on '
                "purpose, or universal = true for one lock that fits every Python"
            )
        return interpreter.Interpreter.at(found)

    def locks_python(self) -> LocksPython | None:
        """The Python the project's locks were pinned for, as the first lock (the runtime one
        first) names it in its first line (doitenv's, or pip-compile's `autogenerated by
        pip-compile with Python 3.9`); None when a setting says which Python (`python`,
        `universal`) or no lock names one. A lock is not pinned again for another Python without
        being asked: its pins may have no wheels there."""
        if self.config.python is not None or self.config.universal:
            return None
        for layer in self.layers:
            path = self.root / layer.lock
            found = locks.recorded(path)
            python = found.python if found is not None else adoption.compiled_with(path)
            if python and interpreter.is_version(python):
                return LocksPython(".".join(python.split(".")[:2]), layer.lock)
        return None

    # --- files a cached run stands on ---------------------------------------------------

    def unwatched_folders(self) -> list[str]:
        """The folders none of whose files is an input: venvs and doitenv's state."""
        return [STATE_DIR, self.config.venv, *([self.main_venv] if self.main_venv else [])]

    def files_snapshot(self, patterns: tuple[str, ...] | None) -> inputs.Snapshot:
        """The project's files as a cached test or format run sees them (see inputs.py)."""
        return inputs.snapshot(self.root, self.state_dir, self.unwatched_folders(), patterns)

    def watched_inputs(self) -> tuple[str, ...] | None:
        """What `doit watch` watches, as patterns (None: every file git would not ignore): the
        test run's inputs, plus what the locks are pinned from, the locks and pyproject.toml."""
        config = self.config
        if config.test_inputs is None:
            return None
        own = [PYPROJECT, *(layer.lock for layer in self.layers)]
        for layer in self.layers:
            if layer.generated is None:
                own += [files.shown(path, self.root) for path in layer.read_inputs(self.root).paths]
        # Anchored at the project's folder, as in a top-level .gitignore.
        return (*config.test_inputs, *(f"/{path}" for path in dict.fromkeys(own)))

    # --- optional tooling ---------------------------------------------------------------

    @cached_property
    def pre_commit(self) -> hooks.Hook:
        return hooks.Hook(self.root, self.venv, self.state_dir, self.config.pre_commit_hook)

    @cached_property
    def jupyter_kernel(self) -> kernel.Kernel:
        # A matrix entry's venv is no kernel: only the project's own venv is registered.
        return kernel.Kernel(self.root, self.venv, self.state_dir, self.config.project_name, self.main_venv is None)
