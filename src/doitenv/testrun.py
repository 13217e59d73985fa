"""What shapes a test run besides the files and the venv, and whether a run ran any test.

A pass is cached under the test command, the environment variables that change what the test
command does, the venv's sync record and the project's files. Each variable counts by a keyed
digest of its value (keyed.py), so neither a token named in `test-env` nor a plain digest of it
that a dictionary could answer reaches `.doitenv/`.

A run that exits 0 without running a test (`--collect-only`, `--fixtures`, every test
deselected through PYTEST_ADDOPTS) is no pass. pytest alone does not say so in its exit code:
when the test command is pytest, doitenv loads a small plugin of its own into it (from
`.doitenv/`, through PYTHONPATH and `-p`) that writes how many tests ran into a report file.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from doitenv import files, keyed

# What changes what a Python test command runs or how (the README's "How it decides").
SHAPING_VARIABLES = (
    "PYTEST_*", "PYTHONPATH", "PYTHONHASHSEED", "PYTHONOPTIMIZE", "PYTHONWARNINGS", "PYTHONDEVMODE",
    "PYTHONSAFEPATH", "PYTHONUTF8", "COVERAGE_*",
)  # fmt: skip
# Set by pytest itself while it runs (so in a doit started from a test): they shape nothing.
_SET_BY_PYTEST = ("PYTEST_CURRENT_TEST", "PYTEST_VERSION", "PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT")

# In the state folder, one per test task: what its last pass stood on (tasks/runs.py).
LAST_PASS_SUFFIX = ".passed.json"
PLUGIN = "doitenv_pytest_report"
REPORT_VARIABLE = "DOITENV_PYTEST_REPORT"
_PLUGIN_SOURCE = f'''"""doitenv's pytest plugin: how many tests ran, for doitenv to tell a pass from a run of none."""
import errno
import json
import os
import sys

_ran = 0


def pytest_runtest_logreport(report):
    global _ran
    if report.when == "call" or (report.when == "setup" and report.skipped):
        _ran += 1


def pytest_sessionfinish(session, exitstatus):
    path = os.environ.get("{REPORT_VARIABLE}")
    if path and not hasattr(session.config, "workerinput"):  # under xdist, the controller reports
        try:
            with open(path, "w", encoding="utf-8") as handle:
                json.dump({{"ran": _ran, "exit": int(exitstatus)}}, handle)
        except OSError as error:  # a full disk: no count, so no pass on record, and one line why
            try:
                os.unlink(path)  # half a report is none
            except OSError:
                pass
            full = error.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))
            fix = "the disk is full: free some space" if full else "fix that"
            why = f"{{error.strerror}}, so this run is not recorded as a pass"
            # On a line of its own: pytest's line of dots is not ended yet.
            print(f"\\ndoitenv: {{_shown(path)}}: {{why}}: {{fix}} and run again", file=sys.stderr)


def _shown(path):
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive
        return path
    return path if relative.startswith("..") else relative
'''


@dataclass(frozen=True)
class StandsOn:
    """What a test run stands on besides the files. Keyed digests, never values: the words after
    `--` may hold a token as a variable may."""

    command: str  # keyed digest of the test command and the words after `--`
    variables: dict[str, str]  # shaping_variables
    key: str  # keyed.key_id: digests under another key cannot be compared
    venv: str  # digest of the venv's sync record (the lock, what is installed, the project's folder)
    folder: str  # the project's folder


@dataclass(frozen=True)
class LastPass:
    """What the tests stood on when they last passed (LAST_PASS_SUFFIX, one per test task), to say
    which change makes them run again. A field an older doitenv did not record is None (`key`:
    its digests were not keyed)."""

    command: str | list[str] | None  # a list: an older doitenv's, the words as they were (not keyed)
    variables: dict[str, str] | None
    key: str | None
    venv: str | None
    folder: str | None
    files: dict[str, str] | None  # Snapshot.hashes
    test_env: list[str] | None  # tool.doitenv.test-env: to tell a variable unset from one it no longer names

    @classmethod
    def of(cls, stands_on: StandsOn, hashes: dict[str, str], test_env: Sequence[str]) -> LastPass:
        return cls(**asdict(stands_on), files=hashes, test_env=list(test_env))

    def write(self, path: Path) -> None:
        # `test-env` as the setting is spelled, as it always was in this record.
        found = {name.replace("_", "-"): value for name, value in asdict(self).items() if value is not None}
        files.write_json(path, found)


_LAST_PASS_FIELDS: dict[str, type | tuple[type, ...]] = {
    "command": (str, list), "variables": dict, "key": str, "venv": str, "folder": str, "files": dict, "test-env": list
}  # fmt: skip


def read_last_pass(path: Path) -> LastPass | None:
    """The last pass on record at `path`; None when there is none, or a damaged one."""
    found = files.json_fields(files.read_json(path), _LAST_PASS_FIELDS)
    if found is None:
        return None
    return LastPass(**{name.replace("-", "_"): value for name, value in found.items()})


def shaping_variables(
    state_dir: Path, extra: Sequence[str], environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """{name: keyed digest of its value} of the set variables that match SHAPING_VARIABLES or `extra`."""
    environ = os.environ if environ is None else environ
    patterns = (*SHAPING_VARIABLES, *extra)
    return {
        name: keyed.digest(state_dir, [value])
        for name, value in sorted(environ.items())
        if name not in _SET_BY_PYTEST and name != REPORT_VARIABLE
        and _matches(name, patterns)
    }  # fmt: skip


def _matches(name: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def variable_changes(
    before: Mapping[str, str], now: Mapping[str, str], named_before: Sequence[str] | None = None
) -> list[str]:
    """What differs, for a message: 'PYTEST_ADDOPTS is set now', 'PYTHONPATH changed', ...
    `named_before`: the test-env patterns of the last pass (None when not recorded), to tell a
    variable set or unset from one that test-env began or ceased to name."""
    found = []
    for name in sorted(before.keys() | now.keys()):
        if name not in before:
            newly_named = named_before is not None and not _matches(name, (*SHAPING_VARIABLES, *named_before))
            found.append(f"tool.doitenv.test-env names {name} now" if newly_named else f"{name} is set now")
        elif name not in now:
            unnamed = name in os.environ
            found.append(f"tool.doitenv.test-env no longer names {name}" if unnamed else f"{name} is no longer set")
        elif before[name] != now[name]:
            found.append(f"{name} changed")
    return found


def is_pytest(command: Sequence[str]) -> bool:
    program = Path(command[0]).name.lower().removesuffix(".exe") if command else ""
    if program in ("pytest", "py.test"):
        return True
    return program.startswith("python") and list(command[1:3]) == ["-m", "pytest"]


def with_report(command: Sequence[str], state_dir: Path, report: Path) -> tuple[list[str], dict[str, str]]:
    """`command` (pytest) with doitenv's plugin loaded, and the environment it needs."""
    folder = state_dir / "pytest-plugin"
    source = folder / f"{PLUGIN}.py"
    if not source.is_file() or source.read_text(encoding="utf-8") != _PLUGIN_SOURCE:
        folder.mkdir(parents=True, exist_ok=True)
        files.write_atomic(source, _PLUGIN_SOURCE.encode())
    report.unlink(missing_ok=True)
    at = 1 if Path(command[0]).name.lower().removesuffix(".exe") in ("pytest", "py.test") else 3
    argv = [*command[:at], "-p", PLUGIN, *command[at:]]
    path = os.pathsep.join(p for p in (str(folder), os.environ.get("PYTHONPATH", "")) if p)
    return argv, {"PYTHONPATH": path, REPORT_VARIABLE: str(report)}


def ran_no_test(report: Path) -> str | None:
    """Why a run that exited 0 is no pass (it ran no test), or None when it ran some."""
    found = files.read_json(report)
    if not isinstance(found, dict):
        return (
            "pytest left no count of the tests it ran (it ended before any ran, as with --help, or could not write it)"
        )
    if not found.get("ran"):
        return "pytest ran no test (as with --collect-only, or every test deselected)"
    return None


def usage_problem(command: Sequence[str], root: Path, installed: Sequence[str], dev_input: str) -> str | None:
    """Why pytest refused `command` as given (its exit code 4), in doitenv's words, when the
    cause is the project's setting: a folder of tests it does not have (tests kept inside the
    package, `src/pkg/tests`), or `--cov` without pytest-cov in the venv (`installed`: its
    `*.dist-info` names; `dev_input`: what the dev lock is pinned from). None when pytest's own
    message says it better."""
    words = list(command[1:])
    covering = [word for word in words if word == "--cov" or word.startswith("--cov=")]
    if covering and not _has_pytest_cov(installed):
        return f"it passes {covering[0]}, which needs pytest-cov: add pytest-cov to {dev_input}, or drop --cov"
    for before, word in zip(["", *words], words):
        # A word after an option may be its value (`-k expr`); a word after a path is a path.
        if word.startswith("-") or (before.startswith("-") and "=" not in before):
            continue
        if not (root / word.split("::")[0]).exists():
            return f"it names {word}, which {root.name}/ does not have: set it to where the tests are"
    return None


def without_coverage(command: Sequence[str], installed: Sequence[str]) -> tuple[str, ...] | None:
    """The default test command without its coverage options when pytest-cov is not in the venv
    (`installed`: its `*.dist-info` names), or None when it is: the reference workflow's command
    asks for coverage, and many projects' dev requirements hold pytest alone."""
    if _has_pytest_cov(installed):
        return None
    return tuple(word for word in command if not word.startswith("--cov"))


def _has_pytest_cov(installed: Sequence[str]) -> bool:
    return any(name.lower().startswith("pytest_cov-") for name in installed)
