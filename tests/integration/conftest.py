"""Real projects in tmp_path, driven by the real `doit` in a subprocess."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from doitenv import interpreter, locks

PYPROJECT = """\
[build-system]
requires = ["flit_core>=3.9"]
build-backend = "flit_core.buildapi"

[project]
name = "{name}"
version = "0.1.0"
description = "a test project"

[tool.doitenv]
test-command = "pytest tests -q -p no:cacheprovider"
{tool}"""


@dataclass
class Result:
    code: int
    output: str

    @property
    def ran(self) -> list[str]:
        """The external commands doitenv started, as it logged them."""
        return re.findall(r"^doitenv: \$ (.*)$", self.output, re.MULTILINE)

    def compiled(self) -> list[str]:
        """The .in files a resolver was run on (pip-compile or uv pip compile)."""
        return [cmd.split()[-1] for cmd in self.ran if " compile " in cmd]

    def synced(self) -> bool:
        return "\ndoitenv: syncing " in "\n" + self.output


class TmpProject:
    def __init__(self, path: Path) -> None:
        self.path = path
        # The Python whose doit runs here: this test run's, or a tools venv's (`readme_install`).
        self.runs_with = sys.executable

    def write(self, name: str, text: str) -> Path:
        target = self.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        return target

    def read(self, name: str) -> str:
        return (self.path / name).read_text()

    def write_lock(self, name: str, text: str) -> None:
        """`text` as the lock `name`, its first line made to cover it: the lock as doitenv wrote it
        on another machine, where the index had what it pins (a hand edit would be pinned again)."""
        header = locks.recorded(self.path / name)
        assert header is not None, f"{name} has no doitenv header"
        body = text.split("\n", 1)[1] if text.startswith(locks.HEADER) else text
        self.write(name, locks.header_line(header.inputs, locks.body_digest(body), header.python) + body)

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [self.runs_with, "-m", "doit", *args],
            cwd=self.path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def doit(self, *args: str, ok: bool | None = True, env: dict[str, str] | None = None) -> Result:
        """Run doit; `ok` says whether it must succeed (True), fail (False) or either (None)."""
        completed = subprocess.run(
            [self.runs_with, "-m", "doit", *args],
            cwd=self.path,
            env={**os.environ, **env} if env else None,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=600,
        )
        result = Result(completed.returncode, completed.stdout)
        if ok and result.code != 0:
            pytest.fail(f"doit {' '.join(args)} exited {result.code}:\n{result.output}")
        if ok is False and result.code == 0:
            pytest.fail(f"doit {' '.join(args)} should have failed:\n{result.output}")
        return result

    @property
    def python(self) -> Path:
        return self.path / "venv" / ("Scripts/python.exe" if os.name == "nt" else "bin/python")

    def installed(self, editable: bool = False, venv: str = "venv") -> set[str]:
        """name==version of every distribution in `venv` (read by the venv's own Python,
        which works whether or not the venv has pip)."""
        code = (
            "import importlib.metadata as m, json, sys\n"
            "out = []\n"
            "for d in m.distributions():\n"
            "    url = json.loads(d.read_text('direct_url.json') or '{}')\n"
            "    if url.get('dir_info', {}).get('editable') and sys.argv[1] == '0':\n"
            "        continue\n"
            "    out.append(d.metadata['Name'] + '==' + d.version)\n"
            "print(json.dumps(out))\n"
        )
        python = self.path / venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
        argv = [str(python), "-c", code, "1" if editable else "0"]
        out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
        return {_normalize(line) for line in json.loads(out)}

    def pins(self, lock: str) -> set[str]:
        return {_normalize(line) for line in self.read(lock).splitlines() if "==" in line and not line.startswith("#")}

    def pip(self, *args: str) -> None:
        """pip, or uv pip in a venv that has no pip (made by the uv backend)."""
        if (self.path / "venv" / "bin" / "pip").exists():
            subprocess.run([str(self.python), "-m", "pip", *args], check=True, capture_output=True)
        else:
            args = tuple(a for a in args if a != "--yes")
            uv = [sys.executable, "-m", "uv", "pip", *args[:1], "--python", str(self.python), *args[1:]]
            subprocess.run(uv, check=True, capture_output=True)


def _normalize(pin: str) -> str:
    name, _, version = pin.strip().partition("==")
    return f"{re.sub(r'[-_.]+', '-', name).lower()}=={version.split()[0] if version else ''}"


ProjectFactory = Callable[..., TmpProject]


@pytest.fixture(scope="session")
def readme_install(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path) -> str:
    """doitenv installed as the README installs it: a tools venv made by `python3 -m venv`, with
    the interpreter's own pip (23.2.1 on Python 3.11.7), whatever pip this test run has. Its
    Python, for TmpProject.runs_with."""
    tools = tmp_path_factory.mktemp("tools") / "venv"
    base = Path(sys.base_prefix) / ("python.exe" if os.name == "nt" else "bin/python3")
    subprocess.run([str(base), "-m", "venv", str(tools)], check=True, capture_output=True)
    python = tools / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    install = [str(python), "-m", "pip", "install", "--quiet", "--no-index", "--find-links", str(wheelhouse)]
    subprocess.run([*install, "doitenv[uv]"], check=True, capture_output=True)
    return str(python)


@pytest.fixture(params=["pip-tools", "uv"])
def backend(request: pytest.FixtureRequest) -> str:
    """Run a test once with each backend."""
    return str(request.param)


@pytest.fixture
def new_project(tmp_path: Path, wheelhouse: Path) -> ProjectFactory:
    def make(
        folder: str = "proj",
        requirements: str = "alpha\n",
        dev_requirements: str = "-r requirements.txt\npytest\n",
        tool: str = "",
        name: str = "demo",
        backend: str = "pip-tools",
    ) -> TmpProject:
        project = TmpProject(tmp_path / folder)
        tool += f'backend = "{backend}"\n'
        project.write("pyproject.toml", PYPROJECT.format(name=name, tool=tool))
        project.write("dodo.py", "from doitenv.tasks import *  # noqa: F403\n")
        project.write("requirements.in", requirements)
        project.write("requirements-dev.in", dev_requirements)
        project.write(f"src/{name}/__init__.py", '"""A test project."""\n\n\ndef answer():\n    return 42\n')
        project.write(
            f"tests/test_{name}.py",
            f"from {name} import answer\n\n\ndef test_answer():\n    assert answer() == 42\n\n\n"
            "def test_other():\n    assert True\n",
        )
        return project

    return make


def have_python(version: str) -> bool:
    """Whether an interpreter of `version` ("3.12") is installed here (pyenv or PATH)."""
    try:
        interpreter.find(version, Path.cwd())
    except interpreter.InterpreterNotFound:
        return False
    return True


def notebook(*cells: str, outputs: bool = False) -> str:
    """A Jupyter notebook (nbformat 4) with one code cell per source; with `outputs`, each cell
    was run and shows what it printed."""
    code = [
        {
            "cell_type": "code",
            "execution_count": n + 1 if outputs else None,
            "id": f"c{n}",
            "metadata": {},
            "outputs": [{"name": "stdout", "output_type": "stream", "text": ["42\n"]}] if outputs else [],
            "source": source,
        }
        for n, source in enumerate(cells)
    ]
    metadata = {"kernelspec": {"display_name": "Python (demo)", "language": "python", "name": "demo"}}
    return json.dumps({"cells": code, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}, indent=1)


def cell_sources(text: str) -> list[str]:
    return ["".join(cell["source"]) for cell in json.loads(text)["cells"]]
