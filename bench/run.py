"""Benchmark doitenv (pip-tools and uv backends) against the reference Makefile.

    venv/bin/python bench/run.py [--repeat N] [--output docs/benchmarks.md]

Runs every scenario for every system side by side on copies of one small real project
(requests and click at run time; pytest and ruff for dev), with the machine's normal pip
settings and warm caches, and writes medians and ratios to docs/benchmarks.md. It is not
part of the test suite: it needs the package index and takes a few minutes.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from doitenv import locks

REPO = Path(__file__).resolve().parents[1]
MAKEFILE = REPO.parent / "shared" / "reference" / "Makefile"
DOIT = ""  # set by main(): the doit of a tools venv holding doitenv as a user installs it

# The reference workflow's project: no [project] table, so neither system installs it and
# both do the same work (the Makefile never installs the project).
PYPROJECT = """\
[tool.doitenv]
backend = "{backend}"
"""
FILES = {
    "requirements.in": "requests\nclick\n",
    # pytest-cov: both run the reference's test command, `pytest tests --cov=src ...`.
    "requirements-dev.in": "-r requirements.txt\npytest\npytest-cov\nruff\n",
    "dodo.py": "from doitenv.tasks import *  # noqa: F403\n",
    "src/benchproj/__init__.py": "def answer():\n    return 42\n",
    "tests/test_answer.py": "import sys\nsys.path.insert(0, 'src')\n\nfrom benchproj import answer\n\n\n"
    "def test_answer():\n    assert answer() == 42\n",
}
SYSTEMS = ("doitenv pip-tools", "doitenv uv", "Makefile")


@dataclass
class Row:
    scenario: str
    system: str
    seconds: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


# As on a user's machine: Python may cache bytecode (some shells and CI set this off).
ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def run(argv: list[str], cwd: Path) -> tuple[float, str]:
    start = time.perf_counter()
    completed = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, env=ENV)
    elapsed = time.perf_counter() - start
    if completed.returncode != 0:
        sys.exit(f"bench: {' '.join(argv)} failed in {cwd}:\n{completed.stdout}\n{completed.stderr}")
    return elapsed, completed.stdout + completed.stderr


def make_template(root: Path, system: str) -> Path:
    """A project with committed locks, as a git repository, for one system."""
    path = root / f"template-{system.replace(' ', '-')}"
    path.mkdir()
    for name, text in FILES.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    backend = "uv" if system.endswith("uv") else "pip-tools"
    (path / "pyproject.toml").write_text(PYPROJECT.format(backend=backend))
    shutil.copy(MAKEFILE, path / "Makefile")
    (path / ".gitignore").write_text("venv/\n.doitenv/\n")
    if system == "Makefile":
        run(["make", "venv", "requirements.txt"], path)
        run(["make", "requirements-dev.txt"], path)
        shutil.rmtree(path / "venv")
    else:
        run([DOIT, "requirements-dev.txt"], path)
        shutil.rmtree(path / "venv")
        shutil.rmtree(path / ".doitenv")
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
            "lock": [["make", "requirements.txt"], ["make", "requirements-dev.txt"]],
            "clone": [["make", target] for target in ("venv", "requirements.txt", "requirements-dev.txt", "dev")],
        }
    return {
        "setup": [[DOIT, "dev"]],
        "dev": [[DOIT, "dev"]],
        "test": [[DOIT, "test"]],
        "edit": [[DOIT, "dev"]],
        "lock": [[DOIT, "requirements-dev.txt"]],
        "clone": [[DOIT, "dev"]],
    }


def timed(steps: list[list[str]], cwd: Path) -> tuple[float, str]:
    total, output = 0.0, ""
    for argv in steps:
        seconds, out = run(argv, cwd)
        total += seconds
        output += out
    return total, output


def resolver_ran(output: str) -> bool:
    return bool(re.search(r"pip-compile|piptools compile|uv pip compile|Generating requirements", output))


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


def bench(repeat: int, work: Path) -> list[Row]:
    global DOIT
    DOIT = str(install_tools(work))
    rows: list[Row] = []
    templates = {system: make_template(work, system) for system in SYSTEMS}
    for system in SYSTEMS:
        cmds = commands(system)
        template = templates[system]
        cold, noop, test, edit, lock, fresh = (
            Row(s, system) for s in ("cold", "no-op dev", "no-op test", "edit", "lock", "fresh clone")
        )
        for i in range(repeat):
            project = clone(template, work / f"{system}-{i}".replace(" ", "-"))
            seconds, _ = timed(cmds["setup"], project)
            cold.seconds.append(seconds)
            timed(cmds["test"], project)  # a first, passing test run to cache
            for _ in range(3):
                noop.seconds.append(timed(cmds["dev"], project)[0])
                test.seconds.append(timed(cmds["test"], project)[0])
            with (project / "requirements-dev.in").open("a") as handle:
                handle.write("iniconfig\n")
            seconds, output = timed(cmds["edit"], project)
            edit.seconds.append(seconds)
            edit.note = "resolver ran on: " + ", ".join(sorted(set(re.findall(r"requirements(?:-dev)?\.in", output))))
            with (project / "requirements.in").open("a") as handle:
                handle.write("idna\n")
            lock.seconds.append(timed(cmds["lock"], project)[0])

            fresh_project = clone(template, work / f"{system}-clone-{i}".replace(" ", "-"))
            seconds, output = timed(cmds["clone"], fresh_project)
            fresh.seconds.append(seconds)
            fresh.note = "a resolver ran" if resolver_ran(output) else "no resolver ran"
        rows += [cold, noop, test, edit, lock, fresh]
    project = work / "doitenv-pip-tools-0"
    for label, argv in (
        ("python -c pass", [str(Path(DOIT).with_name("python")), "-c", "pass"]),
        ('python -c "import doit"', [str(Path(DOIT).with_name("python")), "-c", "import doit"]),
        ("doit list", [DOIT, "list"]),
    ):
        rows.append(Row("floor", label, [run(argv, project)[0] for _ in range(10)]))
    return rows


def versions() -> str:
    def version(argv: list[str]) -> str:
        return subprocess.run(argv, capture_output=True, text=True).stdout.strip().splitlines()[0]

    from importlib.metadata import version as dist_version

    return ", ".join(
        [
            f"Python {platform.python_version()}",
            *(f"{name} {dist_version(name)}" for name in ("doit", "pip-tools", "virtualenv", "uv", "doitenv")),
            version(["make", "--version"]),
        ]
    )


def report(rows: list[Row], repeat: int) -> str:
    reference = {row.scenario: row.median for row in rows if row.system == "Makefile"}
    floor = {row.system: row.median for row in rows if row.scenario == "floor"}
    lines = [
        "# Benchmarks",
        "",
        "Made by `venv/bin/python bench/run.py` (see bench/run.py for the scenarios; doit runs from a "
        "tools venv holding doitenv and its pinned dependencies, as the README installs it), on "
        f"{platform.platform()}, {os.cpu_count()} cores; {versions()}.",
        f"Medians of {repeat} runs (no-op rows: {repeat * 3}). Caches (pip, uv, virtualenv, bytecode) warm.",
        "",
        "| scenario | system | median s | vs Makefile | vs `doit list` | note |",
        "| --- | --- | ---: | ---: | ---: | --- |",
    ]
    for row in rows:
        ratio = f"{row.median / reference[row.scenario]:.2f}x" if row.scenario in reference else ""
        vs_list = f"{row.median / floor['doit list']:.2f}x" if row.scenario.startswith("no-op") else ""
        lines.append(f"| {row.scenario} | {row.system} | {row.median:.3f} | {ratio} | {vs_list} | {row.note} |")
    lines += [
        "",
        "Scenarios: **cold** is a clone with committed locks and no venv, `doit dev` against "
        "`make venv dev`; **no-op** repeats `doit dev` (`make dev`) and `doit test` with a cached pass "
        "(`make test`, which always syncs and runs); **edit** adds one package to requirements-dev.in "
        "then `doit dev` (`make requirements-dev.txt dev`); **lock** recompiles both locks after an edit "
        "of requirements.in; **fresh clone** is `git clone` with committed locks (mtimes as git leaves "
        "them) then `doit dev` (`make venv requirements.txt requirements-dev.txt dev`).",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "benchmarks.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="doitenv-bench-") as work:
        rows = bench(args.repeat, Path(work))
    text = report(rows, args.repeat)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    # Keep the section bench/scale.py writes.
    old = args.output.read_text() if args.output.exists() else ""
    marker = "<!-- scale: bench/scale.py -->"
    args.output.write_text(text + ("\n" + old[old.index(marker) :] if marker in old else ""))
    print(text)


if __name__ == "__main__":
    main()
