"""`doitenv ci github`: a GitHub Actions workflow whose steps are the doit tasks a developer runs.

A fast `doit check` job (no venv, no network: are the locks fresh and in step?), then
`doit dev` and `doit test` on every operating system and configured Python, with pip's (and
uv's) cache keyed on the digest lines of the locks, which change exactly when a lock's inputs do.
On one runner, `doit check --resolve` pins every lock again with the index and compares: the
offline check proves a lock is what doitenv wrote only against accidents, and a pull request can
forge a lock with its digests recomputed. It runs after `doit venv`, for the venv's Python, and
before `doit dev`, so that nothing of a forged lock is installed (nor its build steps run) before
it is caught; and on Linux, where locks are most often pinned: a lock that is not universal is
resolved for one platform.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from doitenv import files, layers
from doitenv.config import Config, lowest_python
from doitenv.interpreter import OLDEST_SUPPORTED

PATH = ".github/workflows/doitenv.yml"
SYSTEMS = ("ubuntu-latest", "macos-latest", "windows-latest")
NEWEST_PYTHON = "3.13"

TEMPLATE = """\
# Written by `doitenv ci github`: every step is a doit task a developer runs too.
name: doitenv

on:
  push:
  pull_request:

jobs:
  check:
    name: locks fresh and in step
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "{check_python}"
      - run: python -m pip install "{install}"
      - run: doit check

  test:
    needs: check
    strategy:
      fail-fast: false
      matrix:
        os: {systems}
        python: {pythons}
    runs-on: ${{{{ matrix.os }}}}
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: ${{{{ matrix.python }}}}
      - id: locks
        name: digest lines of the locks
        shell: bash
        run: |
          echo "digest=$(python -c "{digest_script}")" >> "$GITHUB_OUTPUT"
          echo "pip-cache=$(python -m pip cache dir)" >> "$GITHUB_OUTPUT"
      - uses: actions/cache@v4
        with:
          path: |
            ${{{{ steps.locks.outputs.pip-cache }}}}
            ${{{{ runner.temp }}}}/uv-cache
          key: ${{{{ matrix.os }}}}-py${{{{ matrix.python }}}}-${{{{ steps.locks.outputs.digest }}}}
      - run: python -m pip install "{install}"
      - name: locks are what their inputs give (a forged lock passes doit check), before any install
        if: matrix.os == 'ubuntu-latest' && matrix.python == '{resolve_python}'
        shell: bash
        run: doit venv && doit check --resolve
        env:
          UV_CACHE_DIR: ${{{{ runner.temp }}}}/uv-cache
      - run: doit dev
        env:
          UV_CACHE_DIR: ${{{{ runner.temp }}}}/uv-cache
      - run: doit test
        env:
          UV_CACHE_DIR: ${{{{ runner.temp }}}}/uv-cache
"""


def github(config: Config, install: str) -> str:
    """The workflow for the project `config` describes; `install` is what pip installs doitenv from."""
    locks = [layer.lock for layer in layers.of(config)]
    # One line of Python, run by bash on every runner: the first line of each lock, hashed.
    digest_script = (
        f"import hashlib; print(hashlib.sha256(b''.join(open(f, 'rb').readline() for f in {locks!r})).hexdigest()[:16])"
    )
    pythons = _pythons(config)
    return TEMPLATE.format(
        check_python=pythons[-1],
        resolve_python=pythons[-1],
        install=install,
        systems=json.dumps(list(SYSTEMS)),
        pythons=json.dumps(pythons),
        digest_script=digest_script,
    )


def _pythons(config: Config) -> list[str]:
    """The test matrix's Pythons: `pythons`, or the one `python` names, or the lowest that
    requires-python allows and the newest."""
    if config.pythons:
        return list(config.pythons)
    if config.python and lowest_python(f">={config.python}") == config.python:
        return [config.python]
    lowest = lowest_python(config.universal_python or config.requires_python or "")
    if lowest and tuple(map(int, lowest.split("."))) < OLDEST_SUPPORTED:
        # The project may support older Pythons; doit with doitenv cannot run on them.
        lowest = ".".join(map(str, OLDEST_SUPPORTED))
    return [lowest, NEWEST_PYTHON] if lowest and lowest != NEWEST_PYTHON else [NEWEST_PYTHON]


def write(config: Config, install: str, force: bool) -> tuple[Path, bool]:
    """Write the workflow into the project; (its path, whether it was written). An existing file
    is kept unless `force`."""
    target = config.root / PATH
    if target.exists() and not force:
        return target, False
    text = github(config, install)  # first: settings it cannot use must leave no empty .github/ behind
    made = [
        folder for folder in reversed(target.relative_to(config.root).parents) if not (config.root / folder).exists()
    ]
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        files.write_atomic(target, text.encode("utf-8"))
    except OSError:
        for folder in reversed(made):  # the folders this made, innermost first, when they are still empty
            with contextlib.suppress(OSError):
                (config.root / folder).rmdir()
        raise
    return target, True
