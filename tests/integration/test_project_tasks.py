"""A project's own tasks beside the built-in ones: the README's examples, as written there."""

from __future__ import annotations

import re
from pathlib import Path

from tests.helpers import ProjectFactory, TmpProject

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_example(section: str, index: int = 0) -> str:
    """A python code block of the README, as written there."""
    text = README.read_text().split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", text, re.DOTALL)[index]


APP = """\
import sys

print("serving with", sys.argv[1:], "from", sys.prefix)
"""

REPORT = """\
import importlib.util

import alpha

print("report: pytest is", "there" if importlib.util.find_spec("pytest") else "not there")
"""

CLEAN_DATA = """\
import sys

rows = open(sys.argv[1]).read().split()
open(sys.argv[2], "w").write("\\n".join(sorted(rows)) + "\\n")
print("cleaned", len(rows), "rows")
"""


def _project(new_project: ProjectFactory) -> TmpProject:
    project = new_project()
    project.write("dodo.py", readme_example("Your own tasks"))
    project.write("src/demo/app.py", APP)
    project.write("src/demo/report.py", REPORT)
    project.write("scripts/clean_data.py", CLEAN_DATA)
    project.write("data/raw.csv", "b\na\n")
    return project


def test_project_tasks_are_listed_explained_and_run_in_the_venv(new_project: ProjectFactory) -> None:
    project = _project(new_project)
    listing = project.doit("list").output
    for name, doc in [("serve", "Start the app"), ("clean_data", "Turn data/raw.csv"), ("report", "Run the report")]:
        assert re.search(rf"^{name} +{doc}", listing, re.MULTILINE), listing
    assert "arguments after -- reach it" in project.doit("help", "serve").output

    first = project.doit("serve", "--", "--port", "8001", "mode=fast")
    assert f"serving with ['--port', '8001', 'mode=fast'] from {project.path / 'venv'}" in first.output
    # The environment is up to date: the only process started is the app itself.
    again = project.doit("serve", "--", "--port", "8002")
    assert len(again.ran) == 1 and "demo.app" in again.ran[0]


def test_a_data_step_reruns_only_when_its_input_changes(new_project: ProjectFactory) -> None:
    project = _project(new_project)
    assert "cleaned 2 rows" in project.doit("clean_data").output
    assert project.read("data/clean.csv") == "a\nb\n"
    assert "cleaned" not in project.doit("clean_data").output
    project.write("data/raw.csv", "c\nb\na\n")
    assert "cleaned 3 rows" in project.doit("clean_data").output
    project.doit("clean", "clean_data")
    assert not (project.path / "data" / "clean.csv").exists()


def test_a_task_that_needs_only_prod_runs_without_dev_dependencies(new_project: ProjectFactory) -> None:
    project = _project(new_project)
    output = project.doit("report").output
    assert "report: pytest is not there" in output  # synced to requirements.txt only
    assert "pytest" not in " ".join(project.installed())


def test_built_in_tasks_can_be_adjusted_from_dodo_and_pyproject(new_project: ProjectFactory) -> None:
    project = new_project(
        dev_requirements="-r requirements.txt\npytest\nruff\n",
        tool='format-commands = [["ruff", "format", "src"]]\n',
    )
    project.write("dodo.py", readme_example("Your own tasks", 1))
    assert re.search(r"^test +Run the test suite; `doit test -- -x` stops", project.doit("list").output, re.M)
    assert "2 passed" in project.doit("test").output
    project.write("src/demo/ugly.py", "x = [1,2]\n")
    project.write("tests/ugly_too.py", "y = [1,2]\n")
    ran = project.doit("format").ran
    assert len(ran) == 1 and ran[0].endswith("ruff format src")
    assert project.read("src/demo/ugly.py") == "x = [1, 2]\n"
    assert project.read("tests/ugly_too.py") == "y = [1,2]\n"  # only what the setting said
