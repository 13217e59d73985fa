"""How fast `doit watch` answers an edit, and what it costs while it waits.

    venv/bin/python bench/watch.py [--files 100 20000] [--edits 9]

For each `--files` count, makes a git project of that many source files (bench/scale.py's, with
no data), brings its venv up and starts `doit watch`. Then edits one source file `--edits` times,
each once the previous round is over, and times from the write until the watch names the file
(the change is seen) and until the round's tests passed and it waits again. Last, it leaves the
watch idle for 10 s and takes the CPU time the watching process used meanwhile (Linux: from
/proc). Writes its table into docs/benchmarks.md, between the watch markers.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from scale import make_project, write_section

REPO = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- watch: bench/watch.py -->", "<!-- /watch -->"
IDLE_S = 10
WAITING = "watching for changes (Ctrl-C stops)"


class Watching:
    """`doit watch` in `project`, each line of its output with the moment it came."""

    def __init__(self, project: Path, env: dict[str, str]) -> None:
        argv = [sys.executable, "-m", "doit", "watch"]
        self.process = subprocess.Popen(
            argv, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True,
        )  # fmt: skip
        self.lines: list[tuple[float, str]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append((time.perf_counter(), line))

    def when(self, text: str, after: float, timeout: float = 120) -> float:
        """The moment of the first line holding `text` that came after `after`."""
        end = time.perf_counter() + timeout
        while time.perf_counter() < end:
            for moment, line in list(self.lines):
                if moment >= after and text in line:
                    return moment
            time.sleep(0.005)
        sys.exit(f"bench: no {text!r} within {timeout} s:\n{''.join(line for _, line in self.lines)}")

    def cpu_seconds(self) -> float | None:
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGINT)
        self.process.wait(timeout=30)


def bench(files: int, edits: int, work: Path) -> str:
    project = work / f"project-{files}"
    make_project(project, files, 0)
    # As on a user's machine, Python caches bytecode.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(REPO / "src")
    subprocess.run([sys.executable, "-m", "doit", "dev"], cwd=project, env=env, check=True, capture_output=True)
    watch = Watching(project, env)
    try:
        watch.when(WAITING, 0)
        edited = project / "src" / "scalepkg" / "pkg0" / "mod0.py"
        seen, done = [], []
        for edit in range(edits):
            time.sleep(1)  # past the debounce of the last round's own writes
            start = time.perf_counter()
            edited.write_text(f"VALUE = {-1 - edit}\n")  # never the content it had
            seen.append(watch.when("mod0.py changed: running", start) - start)
            done.append(watch.when(WAITING, start) - start)
        time.sleep(1)
        before = watch.cpu_seconds()
        time.sleep(IDLE_S)
        after = watch.cpu_seconds()
    finally:
        watch.stop()
    idle = f"{(after - before) / IDLE_S * 100:.1f} %" if before is not None and after is not None else "n/a"
    return f"| {files:,} | {statistics.median(seen):.2f} | {statistics.median(done):.2f} | {idle} |"


def write(rows: list[str], files: list[int], edits: int) -> str:
    section = "\n".join(
        [
            BEGIN,
            "## doit watch",
            "",
            f"Made by `venv/bin/python bench/watch.py --files {' '.join(map(str, files))} --edits {edits}`: git "
            "projects of that many source files (bench/scale.py's, no data) with one test; one source file "
            f"edited {edits} times, each once the last round was over. Seen: from the write until the watch "
            "names the file (the file events, watchfiles' debounce and one snapshot of the inputs by content). "
            "Round: until the tests passed and the watch waits again (a `doit` process that finds the venv in "
            f"step and runs pytest). Idle: the CPU the watching process used over {IDLE_S} s with nothing to "
            "do. Medians; bytecode cached.",
            "",
            "| files | seen, s | round, s | idle CPU |",
            "| ---: | ---: | ---: | ---: |",
            *rows,
            END,
        ]
    )
    return write_section(section, BEGIN, END)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, nargs="+", default=[100, 20_000])
    parser.add_argument("--edits", type=int, default=9)
    args = parser.parse_args()
    rows = []
    for files in args.files:
        with tempfile.TemporaryDirectory(prefix="doitenv-watch-") as work:
            rows.append(bench(files, args.edits, Path(work)))
    print(write(rows, args.files, args.edits))


if __name__ == "__main__":
    main()
