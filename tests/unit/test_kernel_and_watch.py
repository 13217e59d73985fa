"""Kernel names from project names, and what a file event can be for `doit watch`."""

from __future__ import annotations

import pytest

from doitenv import inputs, kernel


@pytest.mark.parametrize(
    ("project", "name"),
    [
        ("demo", "demo"),
        ("My Data-Project", "my-data-project"),
        ("pkg_name.sub", "pkg_name.sub"),
        ("Ünïcode Lab!", "unicode-lab"),
    ],
)
def test_a_kernel_name_is_one_jupyter_accepts(project: str, name: str) -> None:
    assert kernel.name_for(project) == name
    kernel.check_name(name)


def test_a_kernel_name_jupyter_would_refuse_is_one_message() -> None:
    with pytest.raises(kernel.KernelError, match="a Jupyter kernel name holds only a-z, 0-9"):
        kernel.check_name("My Kernel")


@pytest.mark.parametrize(
    ("path", "may"),
    [
        ("src/pkg/core.py", True),
        ("requirements-dev.in", True),
        ("notebooks/explore.ipynb", True),
        ("venv/lib/python3.11/site-packages/x.py", False),
        (".doitenv/doit.sqlite3", False),
        (".git/index", False),
        ("src/pkg/__pycache__/core.cpython-311.pyc", False),
        ("notebooks/.ipynb_checkpoints/explore-checkpoint.ipynb", False),
        ("src/pkg/.core.py.swp", False),
        ("src/pkg/core.py~", False),
        ("src/pkg/.#core.py", False),
        # Each rule at the top and deeper down, and names that only look like one.
        ("demo.egg-info/PKG-INFO", False),
        ("src/demo.egg-info/PKG-INFO", False),
        ("src/demo.egg-infos/notes.txt", True),
        (".coverage", False),
        ("sub/.coverage.host.123", False),
        ("reports/coverage.xml", False),
        ("reports/my-coverage.xml", True),
        (".DS_Store", False),
        ("img/.DS_Store.png", True),
        ("pkg/mod.pyo", False),
        ("pkg/mod.pyc.txt", True),
        ("notes.swp", False),
        ("data/a.git/x", True),
        ("sub/.git", True),
        (".requirements.txt.doitenv-compile", False),
        ("locks/.dev.txt.doitenv-in", False),
        (".venv.doitenv-making", False),
        ("notes.doitenv-in.md", True),
    ],
)
def test_what_a_file_event_can_be(path: str, may: bool) -> None:
    assert inputs.may_be_input(path, [".doitenv", "venv"]) is may
