"""Bring doitenv's own dev environment up on a fresh machine: `python3 bootstrap.py`.

Everything goes into venv/, so this works where the system Python refuses `pip install`
(PEP 668, "externally-managed-environment" on Debian and Ubuntu). It installs the pinned
dev lock plus doitenv itself into venv/, then hands over to `doit dev`, which from then on
keeps venv/ in step with the locks. Standard library only: nothing else is there yet.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / "venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def run(*argv: str) -> None:
    print("bootstrap: $", " ".join(argv), flush=True)
    if subprocess.run(argv, cwd=ROOT).returncode != 0:
        sys.exit(f"bootstrap: failed: {' '.join(argv)}")


def main() -> None:
    if sys.version_info < (3, 9):  # noqa: UP036  (this file runs under any python3)
        sys.exit(f"bootstrap: doitenv needs Python 3.9 or newer, this is {sys.version.split()[0]}")
    if not PYTHON.exists():
        try:
            import ensurepip  # noqa: F401  (Debian splits it off into python3-venv)
        except ImportError:
            sys.exit("bootstrap: this Python cannot make a venv: install python3-venv (apt install python3-venv)")
        run(sys.executable, "-m", "venv", str(VENV))
    run(str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", "requirements-dev.txt")
    run(str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps", "-e", ".")
    run(str(PYTHON), "-m", "doit", "dev")
    print(f"bootstrap: ready. Run the tests with: {BIN / 'doit'} test")


if __name__ == "__main__":
    main()
