"""What the import check after a sync costs (issue 30): on the science stack, a cold `doit dev`,
the check on its own (first with no bytecode, as after a cold sync, then again), and a no-op
`doit dev` beside `doit list`, which must be equal: a no-op imports nothing.

    venv/bin/python bench/imports.py [--backend uv|pip-tools] [--repeat N]

Needs the package index (the stack's wheels), like bench/run.py; writes a section of
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import run, write_files  # noqa: E402 - bench/ is no package
from scale import write_section  # noqa: E402

from doitenv import config, imports  # noqa: E402
from doitenv.project import Project  # noqa: E402

BEGIN, END = "<!-- bench/imports.py -->", "<!-- /bench/imports.py -->"
DOIT = str(Path(sys.executable).with_name("doit"))


def seconds(argv: list[str], cwd: Path, repeat: int) -> float:
    return statistics.median(run(argv, cwd)[0] for _ in range(repeat))


def probe_seconds(project: Project) -> float:
    """One run of the check, as a sync runs it."""
    venv, lock = project.venv, project.root / project.config.dev_requirements
    wanted = project.direct(project.dev)
    start = time.perf_counter()
    imports.check(venv, lock, wanted, (), project.root, None)
    return time.perf_counter() - start


def bytecode_of(venv: Path) -> None:
    """Remove the venv's bytecode: a cold sync installs none (pip --no-compile, uv)."""
    for folder in venv.rglob("__pycache__"):
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="uv", choices=["uv", "pip-tools"])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="doitenv-imports-") as work:
        path = Path(work) / "science"
        path.mkdir()
        write_files(path, "science", args.backend)
        run([DOIT, "requirements-dev.txt"], path)  # the locks, as a clone finds them committed
        cold = run([DOIT, "dev"], path)[0]
        project = Project(config.load(path))
        names = [each.name for each in project.direct(project.dev)]
        bytecode_of(project.venv.path)
        first = probe_seconds(project)
        again = statistics.median(probe_seconds(project) for _ in range(args.repeat))
        noop = seconds([DOIT, "dev"], path, args.repeat)
        listing = seconds([DOIT, "list"], path, args.repeat)
        installed = len(project.venv.installed())
    section = "\n".join([
        BEGIN,
        "## The import check after a sync (issue 30)",
        "",
        f"`venv/bin/python bench/imports.py --backend {args.backend}`: the science stack "
        f"({installed} packages installed; {len(names)} named directly: {', '.join(names)}), "
        f"medians of {args.repeat}.",
        "",
        "| what | seconds |",
        "| --- | --- |",
        f"| cold `doit dev` (committed locks, empty venv), the check included | {cold:.2f} |",
        f"| the check alone, no bytecode yet (as right after a cold sync) | {first:.2f} |",
        f"| the check alone, again | {again:.2f} |",
        f"| no-op `doit dev` | {noop:.2f} |",
        f"| `doit list` | {listing:.2f} |",
        "",
        f"The check is most of a cold set-up with uv ({first:.2f} s of {cold:.2f} s: the sync itself takes "
        f"about {max(cold - first, 0):.1f} s with warm caches). Half of it writes the bytecode that the first "
        "test run would otherwise write; jupyterlab alone takes about 3 s to import. `skip-imports` leaves such "
        "an application out. A no-op runs no check: it costs what `doit list` does.",
        END,
    ])  # fmt: skip
    print(write_section(section, BEGIN, END))


if __name__ == "__main__":
    main()
