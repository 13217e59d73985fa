"""The backends by name, as `tool.doitenv.backend` names them, and which one pins a lock of a
given shape. The one place that knows every backend (the protocol is the package's __init__).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from doitenv.backends import Backend
from doitenv.backends.piptools import PipTools
from doitenv.backends.uv import Uv

if TYPE_CHECKING:
    from doitenv.locks import LockShape

REGISTRY: dict[str, type[Backend]] = {"pip-tools": PipTools, "uv": Uv}
# What a project that names no backend gets (config.py), and what made a venv whose record names
# none (doitenv's records named no backend while pip-tools was the only one).
DEFAULT = PipTools.name


def get(name: str) -> Backend:
    """The backend `name` (a key of REGISTRY). Raises BackendMissing when its tool is not installed."""
    return REGISTRY[name]()


def _pinning(name: str, shape: LockShape) -> type[Backend]:
    """The backend that pins locks of `shape`: the chosen one if it can, else the first that can
    (a universal lock is uv's whatever the backend: only uv resolves for every Python at once)."""
    chosen = REGISTRY[name]
    if chosen.can_pin(shape):
        return chosen
    return next(each for each in REGISTRY.values() if each.can_pin(shape))


def pinner(name: str, shape: LockShape) -> Backend:
    """What pins the locks of `shape` for a project whose backend is `name` (see get for what it raises)."""
    return _pinning(name, shape)()


def install_name(name: str, shape: LockShape) -> str:
    """What pip installs doitenv from for this backend and lock shape: `doitenv`, or with the extras they need."""
    extras = sorted({each.extra for each in (REGISTRY[name], _pinning(name, shape)) if each.extra})
    return f"doitenv[{','.join(extras)}]" if extras else "doitenv"
