"""Benchmark doitenv (pip-tools and uv backends) against the Makefile workflow and bare uv.

    venv/bin/python bench/run.py [--stack tiny|small|science] [--repeat N]

Runs every scenario for every system side by side on clones of one project with committed
locks, with the machine's normal pip settings and warm caches, and writes medians and ratios
into docs/benchmarks.md (one section per stack). The project is a real package (flit_core,
[project]): doitenv installs it editable, as does bare uv; the Makefile (bench/Makefile) never
installs it. Not part of the test suite: it needs the package index and takes minutes (the
science stack about half an hour).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import write_section  # noqa: E402 - bench/ is no package

from doitenv import locks, scaffold  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
MAKEFILE = REPO / "bench" / "Makefile"
DOIT = ""  # set by main(): the doit of a tools venv holding doitenv as a user installs it
UV = ""  # and the uv beside it

# (runtime requirements, dev requirements) of each stack.
STACKS = {
    "tiny": ("requests\n", "-r requirements.txt\npytest\npytest-cov\n"),
    "small": ("requests\nclick\n", "-r requirements.txt\npytest\npytest-cov\nruff\n"),
    # A data scientist's: issue 12's stack.
    "science": (
        "numpy\npandas\nscikit-learn\nmatplotlib\nrequests\n",
        "-r requirements.txt\npytest\npytest-cov\nruff\njupyterlab\nipykernel\n",
    ),
}
PYPROJECT = """\
[build-system]
requires = ["flit_core>=3.9"]
build-backend = "flit_core.buildapi"

[project]
name = "benchproj"
version = "0.1"
description = "a benchmark project"
{dependencies}
[tool.doitenv]
backend = "{backend}"
"""
FILES = {
    "dodo.py": scaffold.DODO,
    "src/benchproj/__init__.py": "def answer():\n    return 42\n",
    # The Makefile never installs the project: the test finds it on its own.
    "tests/test_answer.py": "import sys\nsys.path.insert(0, 'src')\n\nfrom benchproj import answer\n\n\n"
    "def test_answer():\n    assert answer() == 42\n",
    ".gitignore": "venv/\n.venv\n.doitenv/\n",
}
SYSTEMS = ("doitenv pip-tools", "doitenv uv", "Makefile", "bare uv", "uv sync")
TEST = ["tests", "--cov=src", "-v", "--cov-report=term-missing"]  # the reference's test command

# As on a user's machine: Python may cache bytecode (some shells and CI set this off).
ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


@dataclass
class Row:
    scenario: str
    system: str
    seconds: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def run(argv: list[str], cwd: Path) -> tuple[float, str]:
    start = time.perf_counter()
    completed = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, env=ENV)
    elapsed = time.perf_counter() - start
    if completed.returncode != 0:
        sys.exit(f"bench: {' '.join(argv)} failed in {cwd}:\n{completed.stdout}\n{completed.stderr}")
    return elapsed, completed.stdout + completed.stderr


def write_files(path: Path, stack: str, backend: str, dependencies: str = "") -> None:
    runtime, dev = STACKS[stack]
    texts = {
        **FILES,
        "requirements.in": runtime,
        "requirements-dev.in": dev,
        "pyproject.toml": PYPROJECT.format(backend=backend, dependencies=dependencies),
    }
    for name, text in texts.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    shutil.copy(MAKEFILE, path / "Makefile")


def make_template(root: Path, system: str, stack: str, locked: Path | None) -> Path:
    """A git repository with committed locks, as a teammate clones it, for one system. Every
    system starts from the same pins: the locks of `locked` (made first, by doitenv)."""
    path = root / f"template-{system.replace(' ', '-')}"
    path.mkdir()
    write_files(path, stack, "uv" if system == "doitenv uv" else "pip-tools")
    if locked is None:
        run([DOIT, "requirements-dev.txt"], path)
        shutil.rmtree(path / "venv")
        shutil.rmtree(path / ".doitenv")
    else:
        for lock in ("requirements.txt", "requirements-dev.txt"):
            shutil.copy(locked / lock, path / lock)
    if system == "uv sync":
        # uv's own project workflow on the same pins: runtime pins as the project's
        # dependencies, the dev layer's as its dev group, then uv's lock.
        runtime = locks.pins(path / "requirements.txt")
        dev = {k: v for k, v in locks.pins(path / "requirements-dev.txt").items() if k not in runtime}
        # uv locks for every Python and platform; the pins are for this one, so say so.
        table = (
            'requires-python = "=={}"\ndependencies = [{}]\n\n[dependency-groups]\ndev = [{}]\n\n'
            "[tool.uv]\nenvironments = [\"sys_platform == '{}'\"]\n"
        ).format(
            platform.python_version(),
            ", ".join(f'"{k}=={v}"' for k, v in sorted(runtime.items())),
            ", ".join(f'"{k}=={v}"' for k, v in sorted(dev.items())),
            sys.platform,
        )
        write_files(path, stack, "pip-tools", dependencies=table)
        run([UV, "lock", "--quiet"], path)
    for argv in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-qm", "template"]):
        run(argv, path)
    return path


def clone(template: Path, dest: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(template), str(dest)], check=True)
    return dest


def commands(system: str) -> dict[str, list[list[str]]]:
    if system == "Makefile":
        return {
            "setup": [["make", "venv"], ["make", "dev"]],
            "dev": [["make", "dev"]],
            "test": [["make", "test"]],
            "edit": [["make", "requirements-dev.txt"], ["make", "dev"]],
            "clone": [["make", target] for target in ("venv", "requirements.txt", "requirements-dev.txt", "dev")],
        }
    if system == "bare uv":
        # What a user scripts around uv's pip interface: make, sync, install the project.
        python = ["--python", "venv/bin/python"]
        sync = [[UV, "pip", "sync", "--quiet", *python, "requirements-dev.txt"]]
        install = [[UV, "pip", "install", "--quiet", *python, "-e", "."]]
        setup = [[UV, "venv", "--quiet", "venv"], *sync, *install]
        compile_dev = [[UV, "pip", "compile", "--quiet", "-o", "requirements-dev.txt", "requirements-dev.in"]]
        return {
            "setup": setup,
            "dev": [*sync, *install],
            "test": [*sync, *install, ["venv/bin/pytest", *TEST]],
            "edit": [*compile_dev, *sync, *install],
            "clone": setup,
        }
    if system == "uv sync":
        return {
            "setup": [[UV, "sync", "--quiet"]],
            "dev": [[UV, "sync", "--quiet"]],
            "test": [[UV, "run", "--quiet", "pytest", *TEST]],
            "edit": [[UV, "add", "--quiet", "--dev", "iniconfig"]],
            "clone": [[UV, "sync", "--quiet"]],
        }
    return {
        "setup": [[DOIT, "dev"]],
        "dev": [[DOIT, "dev"]],
        "test": [[DOIT, "test"]],
        "edit": [[DOIT, "dev"]],
        "clone": [[DOIT, "dev"]],
    }


def timed(steps: list[list[str]], cwd: Path) -> tuple[float, str]:
    total, output = 0.0, ""
    for argv in steps:
        seconds, out = run(argv, cwd)
        total += seconds
        output += out
    return total, output


def install_tools(work: Path) -> Path:
    """doitenv as the README tells users to install it: a tools venv of its own, holding
    doitenv (not editable) and its pinned dependencies, plus uv for the uv backend."""
    tools = work / "tools"
    run([sys.executable, "-m", "virtualenv", "--quiet", "--no-periodic-update", str(tools)], work)
    python = str(tools / "bin" / "python")
    uv = "uv==" + locks.pins(REPO / "requirements-dev.txt")["uv"]
    run([python, "-m", "pip", "install", "--quiet", "-r", str(REPO / "requirements.txt"), uv], work)
    run([python, "-m", "pip", "install", "--quiet", "--no-deps", str(REPO)], work)
    return tools / "bin" / "doit"


def bench(stack: str, repeat: int, work: Path) -> tuple[list[Row], int]:
    global DOIT, UV
    DOIT = str(install_tools(work))
    UV = str(Path(DOIT).with_name("uv"))
    rows: list[Row] = []
    first = make_template(work, SYSTEMS[0], stack, None)
    templates = {system: make_template(work, system, stack, first) if system != SYSTEMS[0] else first
                 for system in SYSTEMS}  # fmt: skip
    pins = len(locks.pins(first / "requirements-dev.txt"))
    for system in SYSTEMS:
        cmds = commands(system)
        template = templates[system]
        cold, noop, test, edit, fresh = (
            Row(s, system) for s in ("cold", "no-op dev", "no-op test", "edit", "fresh clone")
        )
        for i in range(repeat):
            project = clone(template, work / f"{system}-{i}".replace(" ", "-"))
            cold.seconds.append(timed(cmds["setup"], project)[0])
            timed(cmds["test"], project)  # a first, passing test run to cache
            for _ in range(3):
                noop.seconds.append(timed(cmds["dev"], project)[0])
                test.seconds.append(timed(cmds["test"], project)[0])
            if system != "uv sync":
                with (project / "requirements-dev.in").open("a") as handle:
                    handle.write("iniconfig\n")
            edit.seconds.append(timed(cmds["edit"], project)[0])
            fresh_project = clone(template, work / f"{system}-clone-{i}".replace(" ", "-"))
            fresh.seconds.append(timed(cmds["clone"], fresh_project)[0])
            for folder in (project, fresh_project):
                shutil.rmtree(folder)  # the science stack's venvs are large
        rows += [cold, noop, test, edit, fresh]
    project = clone(templates[SYSTEMS[0]], work / "floor")
    run([DOIT, "dev"], project)
    for label, argv in (
        ("python -c pass", [str(Path(DOIT).with_name("python")), "-c", "pass"]),
        ('python -c "import doit"', [str(Path(DOIT).with_name("python")), "-c", "import doit"]),
        ("doit list", [DOIT, "list"]),
    ):
        rows.append(Row("floor", label, [run(argv, project)[0] for _ in range(10)]))
    return rows, pins


def versions() -> str:
    def version(argv: list[str]) -> str:
        return subprocess.run(argv, capture_output=True, text=True).stdout.strip().splitlines()[0]

    python = str(Path(DOIT).with_name("python"))
    script = "import importlib.metadata as m, sys; print(', '.join(n + ' ' + m.version(n) for n in sys.argv[1:]))"
    names = ["doit", "pip-tools", "pip", "virtualenv", "uv", "doitenv"]
    return ", ".join(
        [f"Python {platform.python_version()}", version([python, "-c", script, *names]), version(["make", "--version"])]
    )


def report(stack: str, rows: list[Row], repeat: int, pins: int) -> str:
    reference = {row.scenario: row.median for row in rows if row.system == "Makefile"}
    bare = {row.scenario: row.median for row in rows if row.system == "bare uv"}
    floor = {row.system: row.median for row in rows if row.scenario == "floor"}
    runtime, dev = (text.replace("\n", " ").replace("-r requirements.txt ", "").strip() for text in STACKS[stack])
    begin, end = f"<!-- run: {stack} -->", f"<!-- /run: {stack} -->"
    lines = [
        begin,
        f"## The {stack} stack: {pins} pins",
        "",
        f"Made by `venv/bin/python bench/run.py --stack {stack}`: runtime {runtime}; dev {dev}; the project "
        f"itself built by flit_core. On {platform.platform()}, {os.cpu_count()} cores; {versions()}. Medians of "
        f"{repeat} runs (no-op rows: {repeat * 3}). Caches (pip, uv, virtualenv, bytecode) warm.",
        "",
        "| scenario | system | median s | vs Makefile | vs bare uv | vs `doit list` |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        ratio = f"{row.median / reference[row.scenario]:.2f}x" if row.scenario in reference else ""
        to_bare = f"{row.median / bare[row.scenario]:.2f}x" if row.scenario in bare else ""
        vs_list = f"{row.median / floor['doit list']:.2f}x" if row.scenario.startswith("no-op") else ""
        lines.append(f"| {row.scenario} | {row.system} | {row.median:.3f} | {ratio} | {to_bare} | {vs_list} |")
    lines.append(end)
    return write_section("\n".join(lines), begin, end)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", choices=sorted(STACKS), default="small")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="doitenv-bench-") as work:
        rows, pins = bench(args.stack, args.repeat, Path(work))
        print(report(args.stack, rows, args.repeat, pins))  # while the tools venv still exists


if __name__ == "__main__":
    main()
