"""One project as doitenv sees it: its settings and the paths derived from them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

from doitenv import backends, files, hooks, inputs, interpreter, kernel, locks, resolvers, sources
from doitenv.config import PYPROJECT, Config, lowest_python
from doitenv.venv import Venv

STATE_DIR = ".doitenv"  # doitenv's and doit's state: outside the venv, which gets rebuilt
DOIT_DEP_FILE = f"{STATE_DIR}/doit.sqlite3"


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

    @cached_property
    def backend(self) -> backends.PipTools | backends.Uv:
        """Raises tools.BackendMissing when uv is asked for and not installed."""
        return backends.get(self.config.backend)

    @cached_property
    def resolver(self) -> resolvers.PipCompile | resolvers.UvCompile:
        """What pins the locks (see resolvers.get for what it raises)."""
        return resolvers.get(self.config.backend, self.venv, self.config.universal)

    def lock_shape(self) -> resolvers.LockShape:
        """What the locks are resolved for: the venv's major.minor, or `universal` and the
        range, which no interpreter running doit changes; and with hashes or not."""
        config = self.config
        if config.universal:
            lowest = lowest_python(config.universal_python or "")
            return resolvers.LockShape(f"universal{config.universal_python}", config.hashes, lowest)
        return resolvers.LockShape(self.locked_python(), config.hashes)

    def locked_python(self) -> str:
        """The major.minor a lock of this project is for when it is not universal: the one
        `python` names, else the venv's ('' when there is neither)."""
        if self.config.python and interpreter.is_version(self.config.python) and "." in self.config.python:
            return ".".join(self.config.python.split(".")[:2])
        return self.venv.python_version()

    def lock_input(self, lock: str) -> tuple[str, str | None]:
        """(the file the resolver reads for `lock`, its generated text or None).
        The text is None when that file is the user's own .in file."""
        config = self.config
        runtime = lock == config.requirements
        chosen = config.requirements_from if runtime else config.dev_requirements_from
        if chosen is None:
            return (config.requirements_in if runtime else config.dev_requirements_in), None
        return f".{Path(lock).name}{sources.GENERATED_SUFFIX}", sources.input_text(chosen, config.pyproject)

    def lock_staleness(self, lock: str) -> str | None:
        """Why `lock` is not as doitenv would pin it now for this lock shape, or None (locks.why_stale)."""
        in_file, text = self.lock_input(lock)
        return locks.why_stale(self.root, in_file, lock, self.lock_shape(), text)

    def lock_is_fresh(self, lock: str) -> bool:
        """Was `lock` pinned from its inputs as they are now, for this lock shape, and left as pinned?"""
        return self.lock_staleness(lock) is None

    def interpreter(self) -> interpreter.Interpreter:
        return interpreter.find(self.config.python, self.root)

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
        own = [PYPROJECT, config.requirements, config.dev_requirements]
        for lock in (config.requirements, config.dev_requirements):
            in_file, text = self.lock_input(lock)
            if text is None:
                own += [files.shown(path, self.root) for path in locks.inputs(self.root, in_file)]
        # Anchored at the project's folder, as in a top-level .gitignore.
        return (*config.test_inputs, *(f"/{path}" for path in dict.fromkeys(own)))

    @cached_property
    def pre_commit(self) -> hooks.Hook:
        return hooks.Hook(self.root, self.venv, self.state_dir)

    @cached_property
    def jupyter_kernel(self) -> kernel.Kernel:
        # A matrix entry's venv is no kernel: only the project's own venv is registered.
        return kernel.Kernel(self.root, self.venv, self.state_dir, self.config.project_name, self.main_venv is None)
