"""Tiny wheels written by hand, so that tests resolve and install real packages offline."""

from __future__ import annotations

import base64
import hashlib
import io
import sys
import tarfile
import zipfile
from pathlib import Path

WHEEL = "Wheel-Version: 1.0\nGenerator: doitenv-tests\nRoot-Is-Purelib: true\nTag: {tag}\n"


def build_wheel(
    dest: Path,
    name: str,
    version: str,
    requires: tuple[str, ...] = (),
    extras: tuple[str, ...] = (),
    tag: str = "py3-none-any",
    code: str = "",
    more: tuple[tuple[str, str], ...] = (),
) -> Path:
    module = name.replace("-", "_")
    dist_info = f"{module}-{version}.dist-info"
    metadata = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    metadata += [f"Provides-Extra: {extra}" for extra in extras]
    metadata += [f"Requires-Dist: {requirement}" for requirement in requires]
    contents = {
        f"{module}/__init__.py": f"__version__ = {version!r}\n{code}",
        f"{dist_info}/METADATA": "\n".join(metadata) + "\n",
        f"{dist_info}/WHEEL": WHEEL.format(tag=tag),
        **dict(more),
    }
    record_lines = []
    for path, text in contents.items():
        data = text.encode()
        sha = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record_lines.append(f"{path},sha256={sha},{len(data)}")
    record_lines.append(f"{dist_info}/RECORD,,")
    contents[f"{dist_info}/RECORD"] = "\n".join(record_lines) + "\n"
    wheel = dest / f"{module}-{version}-{tag}.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in contents.items():
            archive.writestr(path, text)
    return wheel


# name, version, requirements, extras
TINY = [
    ("alpha", "1.0", ("beta",), ()),
    ("beta", "1.0", (), ()),
    ("beta", "2.0", (), ()),
    ("gamma", "1.0", ('beta; extra == "fast"',), ("fast",)),
    ("delta", "1.0", (), ()),
    ("needs-old-beta", "1.0", ("beta<2",), ()),
]
# A binary break as an old pin meets today's release of what it links to (pandas 1.1.3 built
# against numpy 1, with numpy 2): numlike 2 installs beside it and `import pandalike` fails.
BINARY_BREAK = """
import numlike
if numlike.__version__.startswith("2"):
    raise ValueError("numlike.dtype size changed, may indicate binary incompatibility. Expected 96, got 88")
"""
IMPORT_BREAKS = [
    ("numlike", "1.0", (), (), "py3-none-any", "", ()),
    ("numlike", "2.0", (), (), "py3-none-any", "", ()),
    ("pandalike", "1.0", ("numlike",), (), "py3-none-any", BINARY_BREAK, ()),
    # A second top-level module that needs an extra, as black's blackd needs black[d]: not the
    # distribution's own module, so the check leaves it alone.
    (
        "withserver",
        "1.0",
        (),
        ("d",),
        "py3-none-any",
        "",
        (("withserver_d/__init__.py", 'raise ImportError("pip install withserver[d]")\n'),),
    ),
    # An old pin of a dependency breaks the package the project names, as typing-extensions 4.5
    # broke pydantic and sqlalchemy on Python 3.12: the error is raised in the dependency.
    ("oldext", "1.0", (), (), "py3-none-any", 'raise TypeError("type TypeVar is not an acceptable base type")\n', ()),
    ("oldext", "2.0", (), (), "py3-none-any", "", ()),
    ("modelish", "1.0", ("oldext",), (), "py3-none-any", "import oldext\n", ()),
    # Cannot be imported on a machine without a display, as GUI toolkits.
    ("needs-display", "1.0", (), (), "py3-none-any", 'raise ImportError("no display: $DISPLAY is not set")\n', ()),
]

# Installs only on the CPython running the tests: a lock resolved here that another interpreter cannot install.
ONLY_HERE = ("onlyhere", "1.0", (), (), f"cp{sys.version_info[0]}{sys.version_info[1]}-none-any")


def build_sdist(dest: Path, name: str, version: str, build_requires: str) -> Path:
    """An sdist whose build needs `build_requires`: one no index has fails to build, as an old
    pin's sdist fails on a Python its wheels never served."""
    base = f"{name}-{version}"
    contents = {
        f"{base}/pyproject.toml": (
            f'[build-system]\nrequires = ["{build_requires}"]\nbuild-backend = "setuptools.build_meta"\n\n'
            f'[project]\nname = "{name}"\nversion = "{version}"\n'
        ),
        f"{base}/PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{base}/{name}/__init__.py": "",
    }
    sdist = dest / f"{base}.tar.gz"
    with tarfile.open(sdist, "w:gz") as archive:
        for path, text in contents.items():
            data = text.encode()
            info = tarfile.TarInfo(path)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return sdist


# A release from 2020: wheels for CPython 3.9 only, and an sdist that cannot be built here.
OLD_PIN = ("oldpin", "1.0", (), (), "cp39-none-any")


def build_tiny_wheels(dest: Path) -> None:
    for name, version, requires, extras in TINY:
        build_wheel(dest, name, version, requires, extras)
    build_wheel(dest, *ONLY_HERE)
    for each in IMPORT_BREAKS:
        build_wheel(dest, *each)
    build_wheel(dest, *OLD_PIN)
    build_sdist(dest, "oldpin", "1.0", "setuptools-from-the-future>=99")
