"""What a sync costs, with this checkout and with an earlier doitenv, with both backends.

    venv/bin/python bench/sync.py [--repeat 3] [--baseline 64cbdc8]

On one small real project (requests and click at run time; pytest, pytest-cov and ruff for dev;
the project itself installed editable, built by flit_core), times `doit dev` into an empty venv,
`doit prod` and `doit dev` switching the venv between the locks, and a `doit dev` that fails
on a pin no index has. Each row is measured with this checkout's doitenv and with the one at
`--baseline`, runs interleaved. Needs the package index
(pip's and uv's caches warm after the first round). Writes its table into docs/benchmarks.md,
between the sync markers.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import baseline_source, write_section  # noqa: E402 - bench/ is no package

REPO = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- sync: bench/sync.py -->", "<!-- /sync -->"
FILES = {
    "pyproject.toml": '[build-system]\nrequires = ["flit_core>=3.9"]\nbuild-backend = "flit_core.buildapi"\n\n'
    '[project]\nname = "benchproj"\nversion = "0.1"\ndescription = "bench"\n\n'
    '[tool.doitenv]\nbackend = "{backend}"\n',
    "requirements.in": "requests\nclick\n",
    "requirements-dev.in": "-r requirements.txt\npytest\npytest-cov\nruff\n",
    # The star import, not scaffold.DODO: the earlier doitenv measured beside this one may predate tasks.export.
    "dodo.py": "from doitenv.tasks import *  # noqa: F403\n",
    "src/benchproj/__init__.py": "def answer():\n    return 42\n",
}


def doit(args: list[str], cwd: Path, source: Path, ok: bool = True) -> float:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(source)
    start = time.perf_counter()
    completed = subprocess.run([sys.executable, "-m", "doit", *args], cwd=cwd, env=env, capture_output=True)
    elapsed = time.perf_counter() - start
    if (completed.returncode == 0) != ok:
        sys.exit(f"bench: doit {' '.join(args)} in {cwd}:\n{completed.stdout.decode()}{completed.stderr.decode()}")
    return elapsed


def make_project(path: Path, backend: str, source: Path) -> None:
    for name, text in FILES.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text.replace("{backend}", backend))
    doit(["requirements-dev.txt"], path, source)


def bench(repeat: int, baseline: str, work: Path) -> list[str]:
    codes = {"today": REPO / "src", f"before ({baseline})": baseline_source(baseline, work / "baseline")}
    rows = []
    for backend in ("pip-tools", "uv"):
        template = work / f"template-{backend}"
        make_project(template, backend, REPO / "src")
        times: dict[tuple[str, str], list[float]] = {}
        for round_ in range(repeat + 1):  # the first round warms the caches and is not counted
            for label, source in codes.items():
                project = work / f"{backend}-{round_}-{label.split()[0]}"
                shutil.copytree(template, project, symlinks=True)
                doit(["venv"], project, source)
                good = (project / "requirements-dev.txt").read_text()
                runs = {
                    "dev into an empty venv": doit(["dev"], project, source),
                    "prod after dev (removes the dev layer)": doit(["prod"], project, source),
                    "dev after prod (adds it back)": doit(["dev"], project, source),
                }
                (project / "requirements-dev.txt").write_text(good.replace("\nruff==", "\nruff==0.0.1.dev99\n#"))
                runs["dev that fails on a pin no index has"] = doit(["dev"], project, source, ok=False)
                if round_:
                    for scenario, seconds in runs.items():
                        times.setdefault((scenario, label), []).append(seconds)
        for (scenario, label), seconds in times.items():
            rows.append(f"| {backend} | {scenario} | {label} | {statistics.median(seconds):.2f} |")
    return sorted(rows, key=lambda row: row.split(" | ")[:2])


def write(rows: list[str], repeat: int, baseline: str) -> str:
    section = "\n".join(
        [
            BEGIN,
            "## Syncs",
            "",
            f"Made by `venv/bin/python bench/sync.py --baseline {baseline}`: medians of {repeat} runs, caches "
            "warm, the venv already made. Today the pip-tools backend runs one `pip install --no-deps -r LOCK` "
            "(pip fetches and builds everything before it changes anything) and one `pip uninstall` of what the "
            "lock does not list; the uv backend one `uv pip sync LOCK`. The project's editable wheel is built "
            "once per change of its metadata, in a build environment kept per backend, and installed with "
            "`installer` (issue 12). Before (`64cbdc8`), pip and uv built it in a fresh isolated environment "
            "on every sync (issue 10's figures, against pip-sync, are in its closing note).",
            "",
            "| backend | sync | doitenv | median s |",
            "| --- | --- | --- | ---: |",
            *rows,
            END,
        ]
    )
    return write_section(section, BEGIN, END)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", default="64cbdc8")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="doitenv-sync-") as work:
        rows = bench(args.repeat, args.baseline, Path(work))
    print(write(rows, args.repeat, args.baseline))


if __name__ == "__main__":
    main()
