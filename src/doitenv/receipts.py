"""A receipt for each file a project's own step makes, and `doitenv provenance PATH`.

Each run of a step made with `requires("dev")` (or `"prod"`) writes a receipt for each of its
targets into `.doitenv/receipts/`: the task, what its actions ran (each one's program or
function, and a keyed digest of its arguments: never the arguments, which may hold a token), the
environment (provenance.py), the git commit, the digests of its inputs and outputs, when it ran.
`doitenv provenance PATH` reads it back and says what changed since. Receipts describe files the
user keeps, so `doit clean` and `distclean` keep them.
"""

from __future__ import annotations

import hashlib
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from doitenv import files
from doitenv.provenance import Environment, what_moved

RECEIPTS = "receipts"
# In the receipts folder once no receipt in it holds an action's arguments (_scrub_old_receipts).
_SCRUBBED = ".arguments-removed"


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


def _git(root: Path) -> GitState:
    """The commit the project's folder is at, and whether tracked files differ from it."""
    git = ["git", "--no-optional-locks", "-C", str(root)]
    try:
        commit = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True)
        status = subprocess.run([*git, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True)
    except OSError:
        return GitState(None, None)
    if commit.returncode != 0:
        return GitState(None, None)
    return GitState(commit.stdout.strip(), bool(status.stdout.strip()))


@dataclass(frozen=True)
class Action:
    """What one of a step's actions ran, as its receipt names it (api._actions)."""

    name: str  # the program, or the Python function
    arguments: str | None  # a keyed digest of its arguments, never them; None: it had none


@dataclass(frozen=True)
class GitState:
    commit: str | None  # None: not in a git repository
    dirty: bool | None  # tracked files differed from it


@dataclass(frozen=True)
class NotebookCode:
    path: str  # the notebook that made the file
    code: str | None  # notebooks.code_digest: its code cells, not its bytes


@dataclass(frozen=True)
class Receipt:
    """A file a step made, and what made it: write_receipts writes one for each target,
    read_receipt reads it back. The JSON keys are the fields' names."""

    path: str  # relative to the project's folder
    sha256: str | None  # None: the file was not there
    task: str
    actions: tuple[Action, ...] | None  # None: an older doitenv's receipt, its arguments removed
    environment: Environment
    git: GitState
    inputs: dict[str, str | None]  # {file_dep: its sha256}
    started: str  # UTC, as _stamp writes it
    ended: str
    notebook: NotebookCode | None = None  # the notebook step that made it

    def to_json(self) -> dict[str, Any]:
        found = asdict(self)
        return found if self.notebook is not None else {k: v for k, v in found.items() if k != "notebook"}

    @classmethod
    def from_json(cls, data: object) -> Receipt | None:
        kinds: dict[str, type | tuple[type, ...]] = {
            "path": str, "sha256": str, "task": str, "actions": list, "environment": dict, "git": dict,
            "inputs": dict, "started": str, "ended": str, "notebook": dict,
        }  # fmt: skip
        found = files.json_fields(data, kinds)
        environment = Environment.from_json(found["environment"]) if found is not None else None
        if found is None or environment is None or None in (found["path"], found["task"], found["started"]):
            return None
        git = files.json_fields(found["git"] or {}, {"commit": str, "dirty": bool}) or {}
        notebook = files.json_fields(found["notebook"], {"path": str, "code": str})
        actions = [files.json_fields(each, {"name": str, "arguments": str}) for each in found["actions"] or []]
        return cls(
            path=found["path"],
            sha256=found["sha256"],
            task=found["task"],
            actions=None
            if found["actions"] is None
            else tuple(Action(**each) for each in actions if each and each["name"]),
            environment=environment,
            git=GitState(git.get("commit"), git.get("dirty")),
            inputs=found["inputs"] or {},
            started=found["started"],
            ended=found["ended"] or "",
            notebook=NotebookCode(**notebook) if notebook and notebook["path"] else None,
        )


def _receipt_path(state_dir: Path, relative: str) -> Path:
    return state_dir / RECEIPTS / f"{hashlib.sha256(relative.encode()).hexdigest()[:24]}.json"


def write_receipts(
    root: Path,
    state_dir: Path,
    task: str,
    actions: list[Action],
    environment: Environment,
    started: float,
    inputs: list[str],
    targets: list[str],
    notebook: NotebookCode | None = None,
) -> None:
    """A receipt for each of `targets` (paths relative to `root`), made just now by `task` (what
    its `actions` ran, the notebook it runs) in `environment` from `started` (in seconds), with
    the git commit, the digests of `inputs` and of the target, and when it ended."""
    git = _git(root)
    digests = {name: file_digest(root / name) for name in inputs}
    ended = _stamp(time.time())
    for target in targets:
        receipt = Receipt(
            target, file_digest(root / target), task, tuple(actions), environment, git, digests, _stamp(started),
            ended, notebook,
        )  # fmt: skip
        where = _receipt_path(state_dir, target)
        where.parent.mkdir(parents=True, exist_ok=True)
        files.write_json(where, receipt.to_json())
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


def read_receipt(root: Path, state_dir: Path, relative: str) -> Receipt | None:
    """The receipt of the file `relative`; None when there is none, or a damaged one."""
    _scrub_old_receipts(state_dir)
    found = files.read_json(_receipt_path(state_dir, relative))
    return Receipt.from_json(_without_values(found) if isinstance(found, dict) else None)


@dataclass(frozen=True)
class Report:
    """A receipt and what differs now (`doitenv provenance`; to_json is its --json)."""

    receipt: Receipt
    named: list[str]  # the packages the project names itself, shown first
    file_changed: bool
    inputs_changed: list[str]
    notebook_code_changed: bool | None  # None: no notebook made the file
    # What moved in the environment (None: it is the same); not compared when it is not known now.
    environment_changed: str | None = None
    environment_compared: bool = False

    def to_json(self) -> dict[str, Any]:
        now: dict[str, Any] = {"file_changed": self.file_changed, "inputs_changed": self.inputs_changed}
        if self.notebook_code_changed is not None:
            now["notebook_code_changed"] = self.notebook_code_changed
        if self.environment_compared:
            now["environment_changed"] = self.environment_changed
        return {**self.receipt.to_json(), "named": self.named, "now": now}


def report(
    root: Path,
    receipt: Receipt,
    env_now: Environment | None,
    code_now: str | None = None,
    named: list[str] | None = None,
) -> Report:
    """The receipt and what differs now: the file itself, its inputs, the environment, and the
    code of the notebook that made it (`code_now`, for a receipt that names one). `named`: the
    packages the project names itself (Project.direct), which are shown first."""
    changed_inputs = [name for name, was in receipt.inputs.items() if file_digest(root / name) != was]
    notebook = receipt.notebook
    moved = None
    if env_now is not None:
        before = receipt.environment
        same = before.lock_digest is not None and env_now.digest() == before.digest()
        moved = None if same else what_moved(before.pins, before.python, env_now, limit=1000)
    return Report(
        receipt,
        named or [],
        file_digest(root / receipt.path) != receipt.sha256,
        changed_inputs,
        None if notebook is None else code_now != notebook.code,
        moved,
        env_now is not None,
    )


def describe(found: Report, every: bool = False) -> str:
    """A receipt and what differs now, for people: the versions of the packages the project
    names itself first, and with `every`, every pin."""
    receipt = found.receipt
    env, python, git, notebook = receipt.environment, receipt.environment.python, receipt.git, receipt.notebook
    commit = (git.commit or "")[:12] or "no git commit"
    commit += " (tracked files differed from it)" if git.dirty else ""
    lines = [
        receipt.path,
        f"  made by:     doit {receipt.task}, {receipt.started} to {receipt.ended}",
        *_actions(receipt.actions),
        f"  environment: {env.lock} ({len(env.pins)} pins, body {str(env.lock_digest)[:12]}),"
        f" Python {python.version} {python.implementation} {python.platform}",
        *_packages(env.pins, found.named, every),
        f"  git:         {commit}",
        # The notebook counts by its code cells, not its bytes: a save by Jupyter is no edit.
        *(
            [f"  input:       {notebook.path} (the notebook: its code cells, {str(notebook.code)[:12]})"]
            if notebook
            else []
        ),
        *(f"  input:       {name} sha256:{str(value)[:12]}" for name, value in receipt.inputs.items()),
    ]
    lines.append(
        "  now:         " + ("the file changed since this run" if found.file_changed else "the file is as it left it")
    )
    if found.notebook_code_changed and notebook:
        lines.append(f"               a code cell of {notebook.path} changed since")
    if found.inputs_changed:
        lines.append(f"               inputs changed since: {', '.join(found.inputs_changed)}")
    if found.environment_compared:
        moved = found.environment_changed
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


def _actions(actions: tuple[Action, ...] | None) -> list[str]:
    if actions is None:
        return ["  action:      not recorded (an older doitenv wrote this receipt; its arguments were removed)"]
    return [
        f"  action:      {each.name} "
        + (f"(arguments: keyed digest {each.arguments})" if each.arguments else "(no arguments)")
        for each in actions
    ]
