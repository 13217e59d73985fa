"""What the environment check of a project's own steps costs, against a no-op `doit dev`.

    venv/bin/python bench/steps.py [--steps 50] [--repeat 7]

Makes a project with `--steps` steps made with `requires("dev")`, each with an input and a target,
brings its venv up and runs every step once, then times, interleaved, a no-op `doit dev` and a
`doit` of every step (all up to date: each checks its inputs and the locked environment). Medians,
peak resident memory the highest. Writes its table into docs/benchmarks.md, between the steps
markers. Needs the package index (pytest for the dev lock), as a user's machine has it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import measure, write_section  # noqa: E402 - bench/ is no package

BEGIN, END = "<!-- steps: bench/steps.py -->", "<!-- /steps -->"

STEP = """

@requires("dev")
def task_step{index}():
    return {{
        "actions": [in_venv("python", "-c", "import sys; open(sys.argv[2], 'w').write(open(sys.argv[1]).read())",
                            "data/in{index}.txt", "out/out{index}.txt")],
        "file_dep": ["data/in{index}.txt"],
        "targets": ["out/out{index}.txt"],
    }}
"""


def make_project(path: Path, steps: int) -> None:
    texts = {
        "pyproject.toml": "[tool.doitenv]\n",
        "requirements.in": "",
        "requirements-dev.in": "-r requirements.txt\npytest\n",
        "dodo.py": "import importlib\n\nfrom doitenv import in_venv, requires\n\n"
        'importlib.import_module("doitenv.tasks").export(globals())\n'
        + "".join(STEP.format(index=index) for index in range(steps)),
    }
    texts.update({f"data/in{index}.txt": f"{index}\n" for index in range(steps)})
    for name, text in texts.items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    (path / "out").mkdir()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1] / "src")
    doit = [sys.executable, "-m", "doit"]
    names = [f"step{index}" for index in range(args.steps)]
    with tempfile.TemporaryDirectory(prefix="doitenv-steps-") as work:
        project = Path(work)
        make_project(project, args.steps)
        measure([*doit, *names], project, env)  # pins, syncs, runs every step once
        noop, steps = [], []
        for _ in range(args.repeat):
            noop.append(measure([*doit, "dev"], project, env))
            steps.append(measure([*doit, *names], project, env))
    dev_s, dev_mb = statistics.median(s for s, _ in noop), max(m for _, m in noop)
    rows = []
    for label, runs in (("no-op `doit dev`", noop), (f"`doit` of {args.steps} up-to-date steps", steps)):
        seconds, peak = statistics.median(s for s, _ in runs), max(m for _, m in runs)
        rows.append(f"| {label} | {seconds:.3f} | {seconds / dev_s:.2f}x | {peak} | {peak / dev_mb:.2f}x |")
    section = "\n".join(
        [
            BEGIN,
            "## Steps that know their environment",
            "",
            f"Made by `venv/bin/python bench/steps.py --steps {args.steps}`: a project of {args.steps} steps made "
            'with `requires("dev")`, each with an input and a target, all up to date; medians of '
            f"{args.repeat} runs, interleaved; peak resident memory the highest; bytecode cached. Target (issue "
            "23): within 1.2x of a no-op `doit dev`.",
            "",
            "| run | median s | vs no-op `doit dev` | peak MB | vs no-op `doit dev` |",
            "| --- | ---: | ---: | ---: | ---: |",
            *rows,
            "",
            "Each step reads the lock and the venv's `pyvenv.cfg` only when their stat changed since the "
            "previous step of the same run asked (provenance.environment), so fifty steps cost one read of "
            "the lock, fifty stats, and doit's own check of each step's `file_dep`.",
            END,
        ]
    )
    print(write_section(section, BEGIN, END))


if __name__ == "__main__":
    main()
