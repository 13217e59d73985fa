"""`doit kernel`: the project's venv as a Jupyter kernel, started the way Jupyter starts one.

The Jupyter client is this test run's jupyter_client, as a Jupyter installed elsewhere would be:
it finds the kernel by name in the user's Jupyter data folder (here in tmp_path) or under a
prefix, starts it, and runs code that imports a locked package and the project.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.helpers import ProjectFactory, run_in_kernel

DEV_WITH_IPYKERNEL = "-r requirements.txt\npytest\nipykernel\n"
# A locked package (alpha), the project itself, and which Python runs them.
CODE = "import sys, alpha, demo; print(alpha.__version__, demo.answer(), sys.prefix)"


def test_the_venv_runs_as_a_jupyter_kernel_registered_again_after_a_rebuild(
    new_project: ProjectFactory, jupyter_data: Path
) -> None:
    project = new_project(dev_requirements=DEV_WITH_IPYKERNEL)
    venv = project.path / "venv"
    result = project.doit("kernel")
    assert "is the Jupyter kernel 'demo'" in result.output
    spec_folder = jupyter_data / "kernels" / "demo"
    spec = json.loads((spec_folder / "kernel.json").read_text())
    assert spec["display_name"] == "Python (demo)"
    assert spec["argv"][0] == str(project.python)
    assert run_in_kernel("demo", CODE) == f"1.0 42 {venv}"

    # Up to date: nothing is written again, and `dev` stays a no-op.
    written = (spec_folder / "kernel.json").stat().st_mtime_ns
    assert "is the Jupyter kernel" not in project.doit("kernel").output
    assert not project.doit("dev").synced()
    assert (spec_folder / "kernel.json").stat().st_mtime_ns == written

    # The venv is made again: `dev` registers the kernel again for it, once.
    shutil.rmtree(venv)
    rebuilt = project.doit("dev")
    assert "is the Jupyter kernel 'demo'" in rebuilt.output and "again" in rebuilt.output
    assert (spec_folder / "kernel.json").stat().st_mtime_ns != written
    assert "Jupyter kernel" not in project.doit("dev").output
    assert run_in_kernel("demo", CODE) == f"1.0 42 {venv}"

    # Under a prefix (the environment Jupyter runs from): moved there from the user's kernels,
    # and kept there by a plain `doit kernel`, until --user moves it back.
    assert "--prefix" in project.doit("kernel", "--prefix", "jupyterlab-env", ok=False).output  # no such env
    (project.path / "jupyterlab-env").mkdir()
    project.doit("kernel", "--prefix", "jupyterlab-env")
    kernels = project.path / "jupyterlab-env" / "share" / "jupyter" / "kernels"
    assert (kernels / "demo" / "kernel.json").is_file()
    assert not spec_folder.exists()
    assert run_in_kernel("demo", CODE, kernels) == f"1.0 42 {venv}"
    assert "is the Jupyter kernel" not in project.doit("kernel").output
    project.doit("kernel", "--user")
    assert spec_folder.is_dir() and not (kernels / "demo").exists()

    project.doit("distclean")
    assert not spec_folder.exists()
    assert list(spec_folder.parent.iterdir()) == []


def test_a_kernel_without_ipykernel_in_the_dev_lock_says_what_to_add(
    new_project: ProjectFactory, jupyter_data: Path
) -> None:
    project = new_project()
    result = project.doit("kernel", ok=False)
    assert (
        "requirements-dev.txt has no ipykernel, which runs a Jupyter kernel: add ipykernel to "
        "requirements-dev.in and run `doit kernel` again"
    ) in result.output
    assert "Traceback" not in result.output
    assert not (jupyter_data / "kernels").exists()


def test_a_kernel_of_the_same_name_that_doitenv_did_not_register_is_kept(
    new_project: ProjectFactory, jupyter_data: Path
) -> None:
    project = new_project(dev_requirements=DEV_WITH_IPYKERNEL)
    theirs = jupyter_data / "kernels" / "demo" / "kernel.json"
    theirs.parent.mkdir(parents=True)
    theirs.write_text('{"argv": ["python"], "display_name": "someone else\'s", "language": "python"}')
    before = theirs.read_text()

    refused = project.doit("kernel", ok=False)
    assert (
        f"a Jupyter kernel named 'demo' is already registered in {theirs.parent.parent} (not by doitenv): "
        "choose another name, e.g. `doit kernel --name demo-2`"
    ) in refused.output
    assert "Traceback" not in refused.output
    assert theirs.read_text() == before
    assert sorted(p.name for p in theirs.parent.parent.iterdir()) == ["demo"]

    bad = project.doit("kernel", "--name", "Demo Kernel", ok=False)
    assert "doit kernel --name Demo Kernel: a Jupyter kernel name holds only a-z, 0-9" in bad.output

    both = project.doit("kernel", "--user", "--prefix", "x", ok=False)
    assert "doit kernel: give --user or --prefix, not both" in both.output

    # A kernel doitenv made for a project folder that is gone (moved, deleted) is replaced.
    orphan = theirs.parent.parent / "demo-2" / "kernel.json"
    orphan.parent.mkdir()
    orphan.write_text('{"argv": ["python"], "display_name": "x", "metadata": {"doitenv": {"project": "/gone/demo"}}}')
    project.doit("kernel", "--name", "demo-2")
    spec = json.loads((theirs.parent.parent / "demo-2" / "kernel.json").read_text())
    assert spec["display_name"] == "Python (demo-2)"  # not the other kernel's entry in Jupyter
    assert run_in_kernel("demo-2", CODE) == f"1.0 42 {project.path / 'venv'}"
    assert "is the Jupyter kernel" not in project.doit("kernel").output  # it keeps its name
    project.doit("distclean")
    assert theirs.read_text() == before
    assert not (theirs.parent.parent / "demo-2").exists()
