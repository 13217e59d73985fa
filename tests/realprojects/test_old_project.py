"""The reference workflow's own example, an old project on a new machine (issue 30): `requests`,
`numpy`, `pandas==1.1.3`, with pytest in the dev layer; doit on this Python, Python 3.9 installed
beside it. A newcomer reaches a venv where `import pandas` works and `doit test` passes by doing
only what doitenv's messages say, twice. Real wheels and pandas' real sdist, offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from doitenv import interpreter, scaffold
from tests.conftest import REPO, cannot_fetch, fetching
from tests.helpers import TmpProject, have_python

CACHE = Path(os.environ.get("DOITENV_REAL_PROJECTS", REPO / ".cache" / "real-projects")) / "reference-example-py39"
# What pip picks for Python 3.9 today: pandas 1.1.3 beside numpy 2, and numpy 1 once bounded.
# (One pip download takes one version of a name: numpy<2 is fetched apart.)
WHEELS = (("pandas==1.1.3", "requests", "numpy", "pytest"), ("numpy<2",))
SDIST, SDIST_INDEX = "pandas-1.1.3.tar.gz", "https://pypi.org/simple/pandas/"


@pytest.fixture(scope="session")
def example_wheels() -> Path:
    """The example's files for Python 3.9, fetched once before the tests isolate pip."""
    if not have_python("3.9"):
        pytest.skip("needs Python 3.9 installed")
    python = interpreter.find("3.9", REPO).path
    with fetching():
        return _fetch_example(python)


def _fetch_example(python: str) -> Path:
    stamp = CACHE / f".fetched-2-py{sys.version_info[0]}{sys.version_info[1]}"
    if stamp.exists():
        return CACHE
    download = [python, "-m", "pip", "download", "--quiet", "--dest", str(CACHE)]
    # And for the Python running doit, where the example is tried first.
    running = [sys.executable, *download[1:], "--only-binary=:all:", "requests", "numpy"]
    for argv in [*([*download, "--only-binary=:all:", *names] for names in WHEELS), running]:
        completed = subprocess.run(argv, capture_output=True, text=True)
        if completed.returncode != 0:
            cannot_fetch(f"could not fetch the reference example's wheels into {CACHE}:\n{completed.stderr}")
    # pandas 1.1.3's sdist, what pip falls back to on a Python its wheels do not serve, taken as a
    # file: `pip download` of an sdist builds its metadata (minutes, for pandas).
    request = urllib.request.Request(SDIST_INDEX, headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        listed = json.load(response)["files"]
    url = next(each["url"] for each in listed if each["filename"] == SDIST)
    with urllib.request.urlopen(url, timeout=300) as response:
        (CACHE / SDIST).write_bytes(response.read())
    stamp.touch()
    return CACHE


@pytest.mark.skipif(interpreter.running_version() == "3.9", reason="pandas 1.1.3 fits the running Python")
def test_the_reference_example_comes_back_on_python_39_in_two_fixes(
    tmp_path: Path, wheelhouse: Path, example_wheels: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = example_wheels
    # The example's wheels, and pip-tools for a 3.9 tools venv from the test wheelhouse.
    monkeypatch.setenv("PIP_FIND_LINKS", f"{cache} {wheelhouse}")
    running = interpreter.running_version()
    project = TmpProject(tmp_path / "analysis")
    project.write("requirements.in", "requests\nnumpy\npandas==1.1.3\n")
    project.write("requirements-dev.in", "-r requirements.txt\npytest\n")
    project.write("dodo.py", scaffold.DODO)
    project.write(
        "tests/test_frame.py", "import pandas\n\n\ndef test_sum():\n    assert pandas.Series([1, 2]).sum() == 3\n"
    )

    first = project.doit("dev", ok=False).output
    # The build's own lines (offline, its build requirements are missing), then doitenv's.
    assert "ERROR: No matching distribution found for Cython" in first
    assert (
        f"requirements.in: pandas 1.1.3 has wheels for CPython 3.9 only, and venv/ runs Python {running}: set "
        "python = \"3.9\" in pyproject.toml's [tool.doitenv] (installed here), or move the line 'pandas==1.1.3' in "
        f"requirements.in to a release that fits Python {running}"
    ) in first
    assert "pinning it again" not in first and "(requirements.txt is not written)" in first

    project.write("pyproject.toml", '[tool.doitenv]\npython = "3.9"\n')  # the first fix
    second = project.doit("dev", ok=False).output
    assert (
        "requirements.in: pandas does not import in venv/ (ValueError: numpy.dtype size changed, may indicate "
        "binary incompatibility. Expected 96 from C header, got 88 from PyObject): it was built against an older "
        "numpy than the numpy 2.0.2 pinned: add the line 'numpy<2' to requirements.in, then run `doit dev`"
    ) in second
    assert "passed" not in project.doit("test", ok=False).output

    project.write("requirements.in", "requests\nnumpy\npandas==1.1.3\nnumpy<2\n")  # the second fix
    project.doit("dev")
    assert "numpy==1.26.4" in project.pins("requirements.txt")
    tested = project.doit("test").output
    assert "1 passed" in tested
    assert "pytest-cov is not in requirements-dev.txt, so the tests run without coverage" in tested
    assert project.doit("dev").ran == []
