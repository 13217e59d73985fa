"""`doitenv graph`: a researcher's data step and notebook, drawn with doitenv's tasks beneath them,
each marked as `doit` would judge it now, without writing doit's state."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.helpers import ProjectFactory, TmpProject, notebook

DODO = """\
from doitenv.tasks import *  # noqa: F403
from doitenv import in_venv, notebook, requires


@requires("dev")
def task_table():
    \"\"\"data/raw data.csv -> results/table.txt\"\"\"
    return {
        "actions": [in_venv("python", "scripts/table.py", "data/raw data.csv", "results/table.txt")],
        "file_dep": ["data/raw data.csv", "scripts/table.py"],
        "targets": ["results/table.txt"],
    }


task_figures = notebook("figures.ipynb", inputs=["results/table.txt"], outputs=["figures/total.txt"])
"""
TABLE = """\
import os
import sys

values = open(sys.argv[1]).read().split(",")
os.makedirs("results", exist_ok=True)
open(sys.argv[2], "w").write(str(sum(map(int, values))))
"""
CHAIN = [
    ("venv", "requirements.txt"),
    ("requirements.in", "requirements.txt"),
    ("requirements.txt", "requirements-dev.txt"),
    ("requirements-dev.in", "requirements-dev.txt"),
    ("requirements-dev.txt", "dev"),
    ("dev", "table"),
    ("data/raw data.csv", "table"),
    ("scripts/table.py", "table"),
    ("table", "results/table.txt"),
    ("results/table.txt", "figures"),
    ("figures.ipynb", "figures"),
    ("dev", "figures"),
    ("figures", "figures/total.txt"),
    ("figures", ".doitenv/notebooks/figures.ipynb"),
]
NODE = re.compile(r'^    (\w+)\W*"(.*)"\W*:::(\w+)$')
EDGE = re.compile(r"^    (\w+) -(?:->|\.->) (\w+)$")


def _project(new_project: ProjectFactory) -> TmpProject:
    project = new_project(dev_requirements="-r requirements.txt\npytest\nnbclient\nipykernel\n")
    project.write("dodo.py", DODO)
    project.write("data/raw data.csv", "1,2,3")
    project.write("scripts/table.py", TABLE)
    (project.path / "figures").mkdir()
    read, write = "values = open('results/table.txt').read()", "open('figures/total.txt', 'w').write(values)"
    project.write("figures.ipynb", notebook(read, write))
    return project


def _doitenv(*args: str, cwd: Path, ok: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "doitenv", *args], cwd=cwd, capture_output=True, text=True)
    assert (done.returncode == 0) == ok, done.stdout + done.stderr
    return done


def _mermaid(project: TmpProject) -> tuple[dict[str, str], set[tuple[str, str]]]:
    """{label: class} of the nodes, and the edges by label."""
    text = _doitenv("graph", cwd=project.path).stdout
    assert text.startswith("flowchart LR\n")
    nodes = {match[1]: (match[2], match[3]) for match in map(NODE.match, text.splitlines()) if match}
    edges = {(nodes[m[1]][0], nodes[m[2]][0]) for m in map(EDGE.match, text.splitlines()) if m}
    return {label: kind for label, kind in nodes.values()}, edges


def test_the_graph_shows_a_notebook_over_a_data_step_over_the_environment_and_marks_what_is_stale(
    new_project: ProjectFactory,
) -> None:
    project = _project(new_project)
    state = project.path / ".doitenv" / "doit.sqlite3"
    nodes, edges = _mermaid(project)
    assert set(CHAIN) <= edges
    assert ("dev", "table") in edges and ("table", "figures") not in edges  # the file between them says it
    steps = ("venv", "requirements.txt", "requirements-dev.txt", "dev", "table", "figures")
    assert {name: nodes[name] for name in steps} == dict.fromkeys(steps, "stale")
    assert nodes["data/raw data.csv"] == "file"
    # The tests and the formatters stand on every file of the project (these 9): one node says so.
    assert ("9 project files", "test") in edges and ("9 project files", "format") in edges
    assert not state.exists()  # never written, not even made

    project.doit("dev")
    before = state.read_bytes()
    nodes, _ = _mermaid(project)
    assert [nodes[name] for name in steps] == ["uptodate"] * 4 + ["stale"] * 2
    assert state.read_bytes() == before

    project.doit("figures")  # the table first, then the notebook
    assert project.read("figures/total.txt") == "6"
    nodes, _ = _mermaid(project)
    assert [nodes[name] for name in steps] == ["uptodate"] * 6

    project.write("data/raw data.csv", "1,2,3,4")
    nodes, _ = _mermaid(project)
    # Each task as doit judges it before anything runs: the notebook's input is unchanged so far.
    assert (nodes["table"], nodes["figures"], nodes["dev"]) == ("stale", "uptodate", "uptodate")
    assert project.doit("figures").output.count("doitenv: figures.ipynb ran") == 1  # as marked: both ran


def test_the_graph_as_dot_from_a_folder_given_below_the_project(new_project: ProjectFactory, tmp_path: Path) -> None:
    project = _project(new_project)
    text = _doitenv("graph", "--format", "dot", str(project.path / "data"), cwd=tmp_path).stdout
    assert text.startswith("digraph tasks {\n") and text.endswith("}\n")
    labels = dict(re.findall(r'^    (\w+) \[label="(.*?)", ', text, re.MULTILINE))
    edges = {(labels[start], labels[end]) for start, end in re.findall(r"^    (\w+) -> (\w+)", text, re.MULTILINE)}
    assert set(CHAIN) <= edges
    assert re.search(r'label="table", shape=box, class="stale"', text)


def test_graph_says_in_one_line_why_there_is_no_graph(tmp_path: Path) -> None:
    nowhere = _doitenv("graph", str(tmp_path), cwd=tmp_path, ok=False)
    assert nowhere.stderr == f"doitenv: no dodo.py in {tmp_path} or a folder above it: give a project's folder\n"

    (tmp_path / "dodo.py").write_text("from doitenv.tasks import *  # noqa: F403\nimport nosuchmodule\n")
    broken = _doitenv("graph", cwd=tmp_path, ok=False)
    said = "doitenv: dodo.py does not import: ModuleNotFoundError: No module named 'nosuchmodule'\n"
    assert (broken.stdout, broken.stderr) == ("", said)

    (tmp_path / "dodo.py").write_text("def task_x():\n    return {'actions': None, 'task_dep': ['nosuch']}\n")
    unknown = _doitenv("graph", cwd=tmp_path, ok=False)
    assert unknown.stderr == "doitenv: x. Task dependency 'nosuch' does not exist.\n"

    (tmp_path / "dodo.py").write_text("from doitenv.tasks import *  # noqa: F403\n")
    (tmp_path / "pyproject.toml").write_text("[tool.doitenv]\nvenv = 3\n")
    unset = _doitenv("graph", cwd=tmp_path, ok=False)
    said = f"doitenv: {tmp_path / 'pyproject.toml'}: tool.doitenv.venv must be a non-empty string, not 3\n"
    assert (unset.stdout, unset.stderr) == ("", said)


PLAIN_DODO = """\
from pathlib import Path


def copy(source, target):
    Path(target).write_text(Path(source).read_text())


def task_make():
    return {"actions": [(copy, ["source.txt", "made.txt"])], "file_dep": ["source.txt"], "targets": ["made.txt"]}


def task_use():
    return {"actions": [(copy, ["made.txt", "used.txt"])], "file_dep": ["made.txt"], "targets": ["used.txt"]}


def task_broken():
    return {"actions": [(copy, ["nowhere.txt", "x.txt"])], "file_dep": ["nowhere.txt"]}


def task_skipped():
    return {"actions": [(copy, ["source.txt", "skipped.txt"])], "file_dep": ["source.txt"]}
"""


def test_any_doit_project_s_tasks_are_judged_as_doit_judges_them(tmp_path: Path) -> None:
    """doit's own backend (dbm), a missing input another task makes, one nobody makes, `doit ignore`."""
    (tmp_path / "dodo.py").write_text(PLAIN_DODO)
    (tmp_path / "source.txt").write_text("1")

    def marks() -> dict[str, str]:
        text = _doitenv("graph", cwd=tmp_path).stdout
        return {m[2]: m[3] for m in map(NODE.match, text.splitlines()) if m and m[1].startswith("t")}

    assert marks() == {"make": "stale", "use": "stale", "broken": "error", "skipped": "stale"}
    subprocess.run([sys.executable, "-m", "doit", "use", "skipped"], cwd=tmp_path, check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "doit", "ignore", "skipped"], cwd=tmp_path, check=True, capture_output=True)
    state = {path: path.read_bytes() for path in tmp_path.glob(".doit.db*")}
    assert state
    assert marks() == {"make": "uptodate", "use": "uptodate", "broken": "error", "skipped": "ignored"}
    assert {path: path.read_bytes() for path in tmp_path.glob(".doit.db*")} == state
