"""Notebooks as steps (`notebook(...)` in dodo.py): run with nbclient in the project's venv, again
when code, an input or the environment changes, never for outputs or metadata alone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.helpers import ProjectFactory, TmpProject, notebook

DODO = """\
import importlib

from doitenv import notebook

importlib.import_module("doitenv.tasks").export(globals())

task_analysis = notebook("analysis.ipynb", inputs=["data/raw.csv"], outputs=["figures/total.txt"])
"""
READ = "import sys\nassert sys.prefix.endswith('venv'), sys.prefix\nvalues = open('data/raw.csv').read().split(',')"
WRITE = "open('figures/total.txt', 'w').write(str(sum(map(int, values))))\nprint('written')"


def _project(
    new_project: ProjectFactory, dev: str = "-r requirements.txt\npytest\nnbclient\nipykernel\n"
) -> TmpProject:
    project = new_project(dev_requirements=dev)
    project.write("dodo.py", DODO)
    project.write("data/raw.csv", "1,2,3")
    (project.path / "figures").mkdir()
    project.write("analysis.ipynb", notebook(READ, WRITE))
    return project


def _edit(project: TmpProject, change) -> None:  # type: ignore[no-untyped-def]
    saved = json.loads(project.read("analysis.ipynb"))
    change(saved)
    project.write("analysis.ipynb", json.dumps(saved, indent=1))


def test_a_notebook_runs_as_a_step_again_only_for_code_inputs_or_the_environment(
    new_project: ProjectFactory, tmp_path: Path
) -> None:
    project = _project(new_project)
    # A kernel named python3 that Jupyter finds elsewhere (installed with --user) is not the venv's.
    elsewhere = tmp_path / "jupyter" / "kernels" / "python3"
    elsewhere.mkdir(parents=True)
    (elsewhere / "kernel.json").write_text(json.dumps({"argv": ["no-such-python"], "display_name": "other"}))
    first = project.doit("analysis", env={"JUPYTER_PATH": str(tmp_path / "jupyter")}).output
    assert project.read("figures/total.txt") == "6"
    assert "doitenv: analysis.ipynb ran; its outputs are in .doitenv/notebooks/analysis.ipynb" in first
    executed = json.loads(project.read(".doitenv/notebooks/analysis.ipynb"))
    assert "".join(executed["cells"][1]["outputs"][0]["text"]) == "written\n"
    assert json.loads(project.read("analysis.ipynb"))["cells"][1]["outputs"] == []  # the committed one as it was

    def saved_by_jupyter(saved: dict) -> None:  # type: ignore[type-arg]
        for number, cell in enumerate(saved["cells"], 1):
            cell["execution_count"] = number
            cell["outputs"] = [{"name": "stdout", "output_type": "stream", "text": ["written\n"]}]
        saved["metadata"]["widgets"] = {"state": {}}

    _edit(project, saved_by_jupyter)
    assert "-- analysis" in project.doit("analysis").output  # outputs and metadata are no edit

    _edit(project, lambda saved: saved["cells"][1].update(source=WRITE.replace("sum(", "2 * sum(")))
    edited = project.doit("analysis").output
    assert "doitenv: analysis: a code cell of analysis.ipynb changed" in edited
    assert project.read("figures/total.txt") == "12"

    project.write("data/raw.csv", "1,2,3,4")
    project.doit("analysis")
    assert project.read("figures/total.txt") == "20"

    project.write("requirements.in", "alpha\ndelta\n")
    moved = project.doit("analysis").output
    assert "doitenv: analysis: requirements-dev.txt changed: delta 1.0 added" in moved


def test_a_failing_cell_is_one_message_and_leaves_the_outputs_as_they_were(new_project: ProjectFactory) -> None:
    project = _project(new_project)
    project.doit("analysis")
    project.write("data/raw.csv", "1,2,3,4")
    _edit(project, lambda saved: saved["cells"].append(json.loads(notebook("x = 1\n1 / 0"))["cells"][0]))
    failed = project.doit("analysis", ok=False).output
    said = "analysis.ipynb: cell 3 (code cell 3) failed: ZeroDivisionError: division by zero; its outputs are as"
    assert said in failed and "Traceback" not in failed and "exited with" not in failed
    assert project.read("figures/total.txt") == "6"  # written by the failed run, then put back
    assert "x = 1" not in project.read(".doitenv/notebooks/analysis.ipynb")
    assert [p.name for p in (project.path / "figures").iterdir()] == ["total.txt"]  # no scratch left

    _edit(project, lambda saved: saved["cells"].pop())
    project.write("dodo.py", DODO.replace('"figures/total.txt"]', '"figures/total.txt", "figures/never.png"]'))
    unwritten = project.doit("analysis", ok=False).output
    assert "analysis.ipynb ran but did not write figures/never.png, which outputs= names" in unwritten
    assert project.read("figures/total.txt") == "6" and not (project.path / "figures/never.png").exists()

    project.write("dodo.py", DODO.replace("analysis.ipynb", "typo.ipynb"))
    missing = project.doit("analysis", ok=False).output
    assert "typo.ipynb: cannot read it as a notebook" in missing and "Traceback" not in missing


def test_a_notebook_without_nbclient_in_the_dev_lock_names_what_to_add(new_project: ProjectFactory) -> None:
    project = _project(new_project, dev="-r requirements.txt\npytest\n")
    failed = project.doit("analysis", ok=False).output
    assert (
        "analysis.ipynb: running it needs nbclient and ipykernel in requirements-dev.txt: add them to "
        "requirements-dev.in, then `doit dev`"
    ) in failed


def test_a_notebook_s_receipt_knows_its_code_and_is_found_from_a_subfolder(new_project: ProjectFactory) -> None:
    project = _project(new_project)
    project.doit("analysis")
    _edit(project, lambda saved: saved["cells"][1].update(source=WRITE + "\n# a comment"))
    completed = subprocess.run(
        [sys.executable, "-m", "doitenv", "provenance", "total.txt", "--json"],
        cwd=project.path / "figures",
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stderr
    receipt = json.loads(completed.stdout)
    assert receipt["path"] == "figures/total.txt" and receipt["notebook"]["path"] == "analysis.ipynb"
    assert receipt["actions"] == [{"name": "run analysis.ipynb with nbclient in the venv", "arguments": None}]
    assert receipt["now"]["notebook_code_changed"] is True


def test_a_notebook_s_provenance_names_the_notebook_and_its_inputs(new_project: ProjectFactory, tmp_path: Path) -> None:
    """The text named the step's file inputs but not the notebook, the input that changes most."""
    project = _project(new_project)
    project.doit("analysis")
    completed = subprocess.run(
        [sys.executable, "-m", "doitenv", "provenance", str(project.path / "figures" / "total.txt")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stderr
    assert "  made by:     doit analysis, " in completed.stdout
    assert "  input:       analysis.ipynb (the notebook: its code cells, " in completed.stdout, completed.stdout
    assert "  input:       data/raw.csv sha256:" in completed.stdout
    assert "  packages:    alpha 1.0, pytest " in completed.stdout
