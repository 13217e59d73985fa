"""What a project's own step stands on, and a receipt for each file it makes.

A step made with `requires("dev")` (or `"prod"`) counts the locked environment among its inputs:
the lock that environment syncs (every pin and hash, as pip reads it) and the venv's Python. When
either moved since the step last ran, it runs again, and says which pins moved. Every pin counts,
not only those the step imports: what a step uses reaches far past its imports (plugins, a
backend chosen at run time, a dependency's dependency), and an environment that is the same for
every pin is the only one known to give the same result.

Each run of such a step writes a receipt for each of its targets into `.doitenv/receipts/`: the
task, what its actions ran (each one's program or function, and a keyed digest of its arguments:
never the arguments, which may hold a token), the environment, the git commit, the digests of its
inputs and outputs, when it ran. `doitenv provenance PATH` reads it back and says what changed since. Receipts describe
files the user keeps, so `doit clean` and `distclean` keep them.
"""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from doitenv import caches, files, locks
from doitenv.venv import Venv

RECEIPTS = "receipts"
# In the receipts folder once no receipt in it holds an action's arguments (_scrub_old_receipts).
_SCRUBBED = ".arguments-removed"


# {(lock, venv): (their stats, the environment)}: fifty steps ask within one doit run.
_SEEN: dict[tuple[str, str], tuple[tuple[Any, ...], dict[str, Any]]] = {}
caches.for_the_run(_SEEN.clear)


def _stat(path: Path) -> tuple[Any, ...]:
    try:
        st = path.stat()
    except OSError:
        return ()
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def environment(root: Path, lock: str, venv: Venv) -> dict[str, Any]:
    """The environment a step runs in, as a lock (relative to `root`) and a venv's Python describe it."""
    key = (str(root / lock), str(venv.path))
    stats = (_stat(root / lock), _stat(venv.path / "pyvenv.cfg"))
    seen = _SEEN.get(key)
    if seen is not None and seen[0] == stats:
        return seen[1]
    found = _environment(root, lock, venv)
    _SEEN[key] = (stats, found)
    return found


def _environment(root: Path, lock: str, venv: Venv) -> dict[str, Any]:
    path = root / lock
    text = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
    config = venv.config()
    python = {
        "version": config.get("version_info") or config.get("version") or "",
        "implementation": config.get("implementation", ""),
        "platform": f"{sys.platform}-{platform.machine()}",
    }
    return {"lock": lock, "lock_digest": locks.body_digest(text), "pins": locks.pins(path), "python": python}


def digest(env: dict[str, Any]) -> str:
    """What decides whether a step runs again: the lock's body and the Python, not its file name."""
    return files.digest([env["lock_digest"], json.dumps(env["python"], sort_keys=True)])


def what_moved(before: dict[str, Any], now: dict[str, Any], limit: int = 3) -> str:
    """Why `before` is not `now`, for one line: the pins that moved, or the Python, or the hashes."""
    moves = [
        f"{name} {new} added" if old is None else f"{name} {old} removed" if new is None else f"{name} {old} -> {new}"
        for name, old, new in locks.moves(before.get("pins", {}), now["pins"])
    ]
    if not now["python"]["version"]:
        return "the venv is gone (`doit dev` makes it again)"
    if before.get("python") != now["python"]:
        was, is_now = (before.get("python") or {}).get("version", "?"), now["python"]["version"]
        moves.append(f"the venv's Python {was} -> {is_now}")
    if not moves:
        return f"{now['lock']} changed (its hashes or options)"
    more = f" and {len(moves) - limit} more" if len(moves) > limit else ""
    return f"{now['lock']} changed: {', '.join(moves[:limit])}{more}"


def file_digest(path: Path) -> str | None:
    """sha256 of a file's content, or None when it is missing or unreadable."""
    hasher = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                hasher.update(chunk)
    except OSError:
        return None
    return hasher.hexdigest()


def _git(root: Path) -> dict[str, Any]:
    """The commit the project's folder is at, and whether tracked files differ from it."""
    git = ["git", "--no-optional-locks", "-C", str(root)]
    try:
        commit = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True)
        status = subprocess.run([*git, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True)
    except OSError:
        return {"commit": None, "dirty": None}
    if commit.returncode != 0:
        return {"commit": None, "dirty": None}
    return {"commit": commit.stdout.strip(), "dirty": bool(status.stdout.strip())}


def _receipt_path(state_dir: Path, relative: str) -> Path:
    return state_dir / RECEIPTS / f"{hashlib.sha256(relative.encode()).hexdigest()[:24]}.json"


def write_receipts(root: Path, state_dir: Path, facts: dict[str, Any], inputs: list[str], targets: list[str]) -> None:
    """A receipt for each of `targets` (paths relative to `root`), made just now: `facts` (the
    task, its commands, its environment, `started` in seconds) with the git commit, the digests
    of `inputs` and of the target, and the time it ended."""
    common = {
        **facts,
        "git": _git(root),
        "inputs": {name: file_digest(root / name) for name in inputs},
        "started": _stamp(facts["started"]),
        "ended": _stamp(time.time()),
    }
    for target in targets:
        receipt = {"path": target, "sha256": file_digest(root / target), **common}
        where = _receipt_path(state_dir, target)
        where.parent.mkdir(parents=True, exist_ok=True)
        files.write_json(where, receipt)
    _scrub_old_receipts(state_dir)


def _scrub_old_receipts(state_dir: Path) -> None:
    """An older doitenv kept each action's arguments in its receipts as they were, a token among
    them: the first time this one reads or writes receipts, it takes them out of every receipt."""
    folder = state_dir / RECEIPTS
    if not folder.is_dir() or (folder / _SCRUBBED).exists():
        return
    for path in folder.glob("*.json"):
        found = files.read_json(path)
        if isinstance(found, dict) and "commands" in found:
            try:
                files.write_json(path, _without_values(found))
            except OSError:
                return  # a folder it may not write: it is tried again next time, and never shown
    try:
        (folder / _SCRUBBED).touch()
    except OSError:
        pass


def _without_values(receipt: dict[str, Any]) -> dict[str, Any]:
    """A receipt with no action's arguments in it: an older doitenv's `commands` held them."""
    if "commands" not in receipt:
        return receipt
    return {**{key: value for key, value in receipt.items() if key != "commands"}, "actions": None}


def _stamp(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def read_receipt(root: Path, state_dir: Path, relative: str) -> dict[str, Any] | None:
    _scrub_old_receipts(state_dir)
    found = files.read_json(_receipt_path(state_dir, relative))
    return _without_values(found) if isinstance(found, dict) else None


def report(
    root: Path,
    receipt: dict[str, Any],
    env_now: dict[str, Any] | None,
    code_now: str | None = None,
    named: list[str] | None = None,
) -> dict[str, Any]:
    """The receipt and what differs now: the file itself, its inputs, the environment, and the
    code of the notebook that made it (`code_now`, for a receipt that names one). `named`: the
    packages the project names itself (Project.direct), which are shown first."""
    path = receipt["path"]
    changed_inputs = [name for name, was in receipt.get("inputs", {}).items() if file_digest(root / name) != was]
    now: dict[str, Any] = {
        "file_changed": file_digest(root / path) != receipt.get("sha256"),
        "inputs_changed": changed_inputs,
    }
    if "notebook" in receipt:
        now["notebook_code_changed"] = code_now != receipt["notebook"].get("code")
    if env_now is not None:
        before = receipt.get("environment", {})
        same = digest(env_now) == digest(before) if "lock_digest" in before else False
        now["environment_changed"] = None if same else what_moved(before, env_now, limit=1000)
    return {**receipt, "named": named or [], "now": now}


def describe(found: dict[str, Any], every: bool = False) -> str:
    """A receipt and what differs now, for people: the versions of the packages the project
    names itself first, and with `every`, every pin."""
    env = found.get("environment", {})
    python = env.get("python", {})
    git = found.get("git", {})
    commit = (git.get("commit") or "")[:12] or "no git commit"
    commit += " (tracked files differed from it)" if git.get("dirty") else ""
    notebook = found.get("notebook")
    lines = [
        found["path"],
        f"  made by:     doit {found['task']}, {found['started']} to {found['ended']}",
        *_actions(found.get("actions")),
        f"  environment: {env.get('lock')} ({len(env.get('pins', {}))} pins, body {str(env.get('lock_digest'))[:12]}),"
        f" Python {python.get('version')} {python.get('implementation')} {python.get('platform')}",
        *_packages(env.get("pins", {}), found.get("named", []), every),
        f"  git:         {commit}",
        # The notebook counts by its code cells, not its bytes: a save by Jupyter is no edit.
        *(
            [f"  input:       {notebook['path']} (the notebook: its code cells, {str(notebook.get('code'))[:12]})"]
            if notebook
            else []
        ),
        *(f"  input:       {name} sha256:{str(value)[:12]}" for name, value in found.get("inputs", {}).items()),
    ]
    now = found["now"]
    lines.append(
        "  now:         " + ("the file changed since this run" if now["file_changed"] else "the file is as it left it")
    )
    if now.get("notebook_code_changed"):
        lines.append(f"               a code cell of {found['notebook']['path']} changed since")
    if now["inputs_changed"]:
        lines.append(f"               inputs changed since: {', '.join(now['inputs_changed'])}")
    if "environment_changed" in now:
        moved = now["environment_changed"]
        lines.append("               the environment is the same" if moved is None else f"               {moved}")
    return "\n".join(lines)


def _packages(pins: dict[str, str], named: list[str], every: bool) -> list[str]:
    """The pins of the packages the project names (`named`), in its order, then the rest: a
    count, or with `every` one a line."""
    first = [_pin(name, pins[name]) for name in named if name in pins]
    rest = [_pin(name, version) for name, version in sorted(pins.items()) if name not in named]
    shown = ", ".join(first)
    if every:
        label = "  other pins:  " if first else "  pins:        "
        listed = [f"{label if n == 0 else ' ' * len(label)}{each}" for n, each in enumerate(rest)]
        return [*([f"  packages:    {shown}"] if first else []), *listed]
    if not rest:
        return [f"  packages:    {shown or 'none pinned'}"]
    more = f"{shown} and {len(rest)} more" if first else f"{len(rest)} pinned"
    return [f"  packages:    {more} (--all lists them)"]


def _pin(name: str, version: str) -> str:
    return f"{name} {version}" if version else f"{name} (a direct reference)"


def _actions(actions: list[dict[str, Any]] | None) -> list[str]:
    if actions is None:
        return ["  action:      not recorded (an older doitenv wrote this receipt; its arguments were removed)"]
    return [
        f"  action:      {each.get('name')} "
        + (f"(arguments: keyed digest {each['arguments']})" if each.get("arguments") else "(no arguments)")
        for each in actions
    ]
