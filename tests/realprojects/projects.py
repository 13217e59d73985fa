"""Real third-party projects, taken as their sdists from the package index (sdists carry the
projects' own tests), and every wheel needed to pin, install and test them offline.

Each was chosen for a shape doitenv must handle: a lone module with only setup.py, flat and
src layouts, and the build backends setuptools, flit_core, poetry-core, hatchling and
pdm-backend. `breaks` is an edit that makes at least one of the project's own tests fail.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RealProject:
    name: str
    version: str
    shape: str
    requirements: str  # what a user would write in requirements.in
    test_command: str
    breaks: tuple[str, str, str]  # file, text, text with the breaking line added

    @property
    def sdist(self) -> str:
        return f"{self.name.replace('-', '_')}-{self.version}.tar.gz"


_RAISE = '\n    raise RuntimeError("broken on purpose")'
PROJECTS = (
    RealProject(
        "six", "1.17.0", "a lone module, setup.py and no pyproject.toml (setuptools)", "",
        "pytest test_six.py -q -p no:cacheprovider",
        ("six.py", "def add_metaclass(metaclass):", "def add_metaclass(metaclass):" + _RAISE),
    ),
    RealProject(
        "idna", "3.10", "flat layout (flit_core)", "",
        "pytest tests -q -p no:cacheprovider",
        ("idna/core.py", "def ulabel(label: Union[str, bytes, bytearray]) -> str:",
         "def ulabel(label: Union[str, bytes, bytearray]) -> str:" + _RAISE),
    ),
    RealProject(
        # Poetry's own table and no [project]: it went uninstalled.
        "tomlkit", "0.13.2", "flat layout, [tool.poetry] and no [project] (poetry-core)", "",
        # The TOML spec suite needs PyYAML, which the sdist's own dev setup brings.
        "pytest tests -q -p no:cacheprovider --ignore=tests/test_toml_spec_tests.py",
        ("tomlkit/api.py", "def parse(string: str | bytes) -> TOMLDocument:",
         "def parse(string: str | bytes) -> TOMLDocument:" + _RAISE),
    ),
    RealProject(
        "typing-inspection", "0.4.1", "src layout (hatchling)", "typing-extensions\n",
        "pytest tests -q -p no:cacheprovider",
        ("src/typing_inspection/introspection.py",
         '    """Type check the provided literal value against the legal parameters."""',
         '    """Type check the provided literal value against the legal parameters."""' + _RAISE),
    ),
    RealProject(
        "dep-logic", "0.6.0", "src layout (pdm-backend)", "packaging\n",
        "pytest tests -q -p no:cacheprovider",
        ("src/dep_logic/tags/platform.py", "    def compatible_tags(self) -> list[str]:",
         "    def compatible_tags(self) -> list[str]:" + _RAISE.replace("\n    ", "\n        ")),
    ),
)  # fmt: skip

# A project that already keeps pip-tools layers (requirements/*.in, compiled from that folder,
# without --allow-unsafe): adopted with the locks it has (test_real_projects.py).
FLASK = RealProject(
    "flask", "3.0.3", "pip-tools layers in requirements/, compiled from there (flit_core)", "",
    "pytest tests -q -p no:cacheprovider",
    ("src/flask/helpers.py", "def get_debug_flag() -> bool:", "def get_debug_flag() -> bool:" + _RAISE),
)  # fmt: skip
ADOPTED = (FLASK,)

# Build backends, test runner and runtime dependencies, for Python 3.9 to 3.13 (pip download
# does not apply a dependency's Python markers for another Python, so those are listed too).
WHEELS = (
    "editables==0.6", "exceptiongroup==1.3.2", "flit_core==3.12.0", "hatchling==1.27.0",
    "importlib-metadata==8.7.1", "iniconfig==2.1.0", "packaging==26.3", "pathspec==1.1.1",
    "pdm-backend==2.5.0", "pluggy==1.6.0", "poetry-core==2.2.1", "pygments==2.21.0", "pytest==8.4.2",
    "setuptools==82.0.1", "tomli==2.5.0", "trove-classifiers==2026.9.21.13", "typing-extensions==4.16.0",
    "wheel==0.48.0", "zipp==3.23.1",
)  # fmt: skip
# Flask 3.0.3's tests.txt pins, and its runtime dependencies as of its release (its tests fail
# on click 8.2 and Werkzeug 3.1). Fetched apart: pip download takes one version of a name at once.
FLASK_WHEELS = (
    "asgiref==3.8.1", "iniconfig==2.0.0", "packaging==24.0", "pluggy==1.4.0", "pytest==8.1.1",
    "python-dotenv==1.0.1", "blinker==1.7.0", "click==8.1.7", "itsdangerous==2.1.2", "jinja2==3.1.3",
    "markupsafe==3.0.2", "werkzeug==3.0.2",
)  # fmt: skip
# The Python Flask 3.0.3's locks were compiled with, and its one compiled dependency (no dependencies
# of its own, so `pip download --python-version` fetches all it needs).
FLASK_PYTHON, FLASK_COMPILED = "3.12", "markupsafe==3.0.2"


def fetch(cache: Path) -> str | None:
    """Download the sdists and wheels into `cache` once (with this machine's pip settings);
    return pip's error, or None."""
    every = (*PROJECTS, *ADOPTED)
    stamp = cache / (
        ".fetched-" + "-".join(f"{p.name}{p.version}" for p in every) + f"-{len(WHEELS)}-{len(FLASK_WHEELS)}-py312"
    )
    if stamp.exists():
        return None
    cache.mkdir(parents=True, exist_ok=True)
    pip = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
    sdists = [f"{p.name}=={p.version}" for p in every]
    for argv in (
        [*pip, "--no-binary=:all:", "--dest", str(cache / "sdists"), *sdists],
        [*pip, "--only-binary=:all:", "--dest", str(cache / "wheels"), *WHEELS],
        [*pip, "--only-binary=:all:", "--dest", str(cache / "wheels"), *FLASK_WHEELS],
        # Flask's locks say "with Python 3.12": its venv is made from that Python (issue 30).
        [
            *pip,
            "--only-binary=:all:",
            "--python-version",
            FLASK_PYTHON,
            "--dest",
            str(cache / "wheels"),
            FLASK_COMPILED,
        ],
    ):
        completed = subprocess.run(argv, capture_output=True, text=True)
        if completed.returncode != 0:
            return completed.stderr
    stamp.touch()
    return None


def unpack(cache: Path, project: RealProject, into: Path) -> Path:
    """The sdist unpacked into `into`; returns the project's folder."""
    with tarfile.open(cache / "sdists" / project.sdist) as archive:
        top = archive.getnames()[0].split("/")[0]
        if sys.version_info >= (3, 12):
            archive.extractall(into, filter="data")
        else:
            archive.extractall(into)  # noqa: S202 - an sdist from the index, unpacked in tmp_path
    return into / top
