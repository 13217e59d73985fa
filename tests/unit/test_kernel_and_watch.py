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
    ],
)
def test_what_a_file_event_can_be(path: str, may: bool) -> None:
    assert inputs.may_be_input(path, [".doitenv", "venv"]) is may
