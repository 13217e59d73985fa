"""fits.explain: a release that does not fit the venv's Python, read from every way pip and uv
say so, with the Pythons its files serve (a find-links folder here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from doitenv import fits, releases, reqfile
from doitenv.backends.piptools import PipTools
from doitenv.backends.uv import Uv

PANDAS = (
    "pandas-1.1.3-cp36-cp36m-manylinux1_x86_64.whl",
    "pandas-1.1.3-cp37-cp37m-manylinux1_x86_64.whl",
    "pandas-1.1.3-cp38-cp38-manylinux1_x86_64.whl",
    "pandas-1.1.3-cp39-cp39-manylinux1_x86_64.whl",
    "pandas-1.1.3.tar.gz",
    "pandas-2.2.3-cp311-cp311-manylinux_2_17_x86_64.whl",
)


def _context(tmp_path: Path, names: tuple[str, ...], installed: tuple[str, ...] = ("3.11", "3.9")) -> fits.Context:
    folder = tmp_path / "wheels"
    folder.mkdir(exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"")
    source = tmp_path / "requirements.in"
    text = f"--find-links {folder}\nrequests\npandas==1.1.3\n"
    source.write_text(text)
    options = reqfile.index_options({source: text})
    return fits.Context("3.11", "venv", {}, {source: text}, tmp_path, options, installed)


def _explain(output: str, context: fits.Context, tool: str = "pip") -> str | None:
    """fits.explain on `output` as the backend whose tool printed it reads it."""
    said = (Uv if tool == "uv" else PipTools).explain_failure(output)
    return fits.explain(said, output, context)


WHEELS_STOP_AT_39 = (
    'pandas 1.1.3 has wheels for CPython 3.6 to 3.9 only, and venv/ runs Python 3.11: set python = "3.9" in '
    "pyproject.toml's [tool.doitenv] (installed here), or move the line 'pandas==1.1.3' in requirements.in to a "
    "release that fits Python 3.11 (pandas 2.2.3 is the first)"
)


@pytest.mark.parametrize(
    ("tool", "output"),
    [
        ("pip", "Failed to build 'pandas' when installing build dependencies for pandas"),  # pip 25 and later
        ("pip", "× Getting requirements to build wheel for pandas did not run successfully."),
        ("pip", "× installing build dependencies for pandas did not run successfully."),
        ("pip", "ERROR: Failed building wheel for pandas"),
        ("pip", "ERROR: Could not build wheels for pandas, which is required to install pyproject.toml-based projects"),
        ("uv", "error: Failed to build `pandas==1.1.3`"),
        ("uv", "error: Failed to download and build `pandas==1.1.3`"),
        ("pip", "ERROR: No matching distribution found for pandas==1.1.3"),  # no sdist: pip finds nothing
        ("uv", "cause: Because pandas==1.1.3 has no wheels with a matching Python ABI tag (e.g., `cp311`) and you"),
        # pip's metadata generation failed, naming the package only in its build folder
        (
            "pip",
            '  Running from numpy source directory.\n  File "/tmp/pip-resolve-k2j4/'
            'pandas_0123456789abcdef0123456789abcdef/setup.py", line 3\nmetadata generation failed',
        ),
    ],
)
def test_every_way_a_release_fails_for_the_venvs_python_is_named(tmp_path: Path, tool: str, output: str) -> None:
    assert _explain(output, _context(tmp_path, PANDAS), tool) == WHEELS_STOP_AT_39


def test_no_fitting_python_installed_leaves_the_line_to_move(tmp_path: Path) -> None:
    found = _explain("ERROR: Failed building wheel for pandas", _context(tmp_path, PANDAS, ("3.11",)))
    assert found == (
        "pandas 1.1.3 has wheels for CPython 3.6 to 3.9 only, and venv/ runs Python 3.11: move the line "
        "'pandas==1.1.3' in requirements.in to a release that fits Python 3.11 (pandas 2.2.3 is the first)"
    )


def test_a_release_with_only_an_sdist_keeps_the_builds_lines(tmp_path: Path) -> None:
    found = _explain("ERROR: Failed building wheel for pandas", _context(tmp_path, ("pandas-1.1.3.tar.gz",)))
    assert found is not None
    assert found.startswith("pandas 1.1.3 has only an sdist, which failed to build for Python 3.11 (the lines above)")


def test_requires_python_that_leaves_the_venvs_python_out(tmp_path: Path) -> None:
    context = _context(tmp_path, PANDAS)
    output = "ERROR: Package 'pandas' requires a different Python: 3.11.7 not in '<3.10,>=3.6.1'"
    assert _explain(output, context) == (
        "pandas 1.1.3 needs Python <3.10,>=3.6.1 (its Requires-Python), and venv/ runs Python 3.11: set python = "
        "\"3.9\" in pyproject.toml's [tool.doitenv] (installed here), or move the line 'pandas==1.1.3' in "
        "requirements.in to a release that fits Python 3.11 (pandas 2.2.3 is the first)"
    )


@pytest.mark.parametrize(
    "names",
    [
        ("pandas-1.1.3-cp311-cp311-manylinux1_x86_64.whl", "pandas-1.1.3.tar.gz"),  # a wheel for 3.11
        ("pandas-1.1.3-py3-none-any.whl",),
        ("pandas-1.1.3-cp38-abi3-manylinux1_x86_64.whl",),  # the stable ABI: 3.8 and newer
    ],
)
def test_a_release_that_serves_the_venvs_python_is_no_python_problem(tmp_path: Path, names: tuple[str, ...]) -> None:
    assert _explain("ERROR: Failed building wheel for pandas", _context(tmp_path, names)) is None


def test_no_such_release_anywhere_is_left_to_the_resolvers_words(tmp_path: Path) -> None:
    output = "ERROR: No matching distribution found for pandas==1.1.3"
    assert _explain(output, _context(tmp_path, ("pandas-2.2.3-cp311-cp311-manylinux_2_17_x86_64.whl",))) is None
    assert _explain("ERROR: something else broke", _context(tmp_path, PANDAS)) is None


def test_coverage_is_described_as_the_wheels_tags_say() -> None:
    def described(*names: str) -> str:
        return releases.coverage([releases.File(name, None) for name in names]).described()

    assert described("x-1.0-cp39-cp39-win_amd64.whl") == "CPython 3.9 only"
    assert described("x-1.0-cp38-abi3-manylinux1_x86_64.whl") == "Python 3.8 and newer"
    assert described("x-1.0-py3-none-any.whl") == "every Python 3"
    assert described("x-1.0.tar.gz") == "no Python (it has only an sdist)"
    assert described("x-1.0-cp310-cp310-linux.whl", "x-1.0-cp39-cp39-linux.whl") == "CPython 3.9 to 3.10 only"


def test_the_day_of_a_release_is_its_last_files_upload() -> None:
    files = [releases.File("a.whl", "2020-10-05T19:50:27Z"), releases.File("b.whl", "2020-10-29T01:00:00Z")]
    assert releases.uploaded(files) == "2020-10-29"
    assert releases.uploaded([releases.File("a.whl", None)]) is None


def test_a_line_that_allows_a_fitting_release_names_the_upgrade(tmp_path: Path) -> None:
    """The input asks for pandas at any version: only the lock holds 1.1.3, so moving the line
    was no fix; `doit upgrade --package` is."""
    context = _context(tmp_path, PANDAS, ("3.11",))
    source = next(iter(context.inputs))
    text = context.inputs[source].replace("pandas==1.1.3", "pandas; python_version >= '3.8'")
    loose = fits.Context("3.11", "venv", {"pandas": "1.1.3"}, {source: text}, tmp_path, context.options, ("3.11",))
    assert _explain("ERROR: Failed building wheel for pandas", loose) == (
        "pandas 1.1.3 has wheels for CPython 3.6 to 3.9 only, and venv/ runs Python 3.11: `doit upgrade --package "
        "pandas` pins a release that fits Python 3.11 (pandas 2.2.3 is the first) (the line "
        "'pandas; python_version >= '3.8'' in requirements.in allows it)"
    )
