"""A project's own tasks beside the built-in ones: the README's examples, as written there."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

from doitenv import interpreter, locks, scaffold
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
    first = project.doit("clean_data").output
    assert "cleaned 2 rows" in first and "doitenv: clean_data:" not in first  # a first run needs no reason
    assert project.read("data/clean.csv") == "a\nb\n"
    assert "cleaned" not in project.doit("clean_data").output
    project.write("data/raw.csv", "c\nb\na\n")
    changed = project.doit("clean_data").output
    assert "cleaned 3 rows" in changed
    # A rerun says why, as one for a moved environment does.
    assert "doitenv: clean_data: data/raw.csv changed\n" in changed, changed
    (project.path / "data" / "clean.csv").unlink()
    assert "doitenv: clean_data: data/clean.csv is missing\n" in project.doit("clean_data").output
    project.write("data/raw.csv", "d\n")
    project.write("scripts/clean_data.py", CLEAN_DATA + "# tidied\n")
    both = project.doit("clean_data").output
    assert "doitenv: clean_data: data/raw.csv and scripts/clean_data.py changed\n" in both, both
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


OWN_TASK = """

def _hello():
    print("hello from dodo.py")


def task_hello():
    \"\"\"Say hello from below the line.\"\"\"
    return {"actions": [_hello]}
"""


def test_the_star_import_given_before_still_works_with_tasks_below_it(new_project: ProjectFactory) -> None:
    """A project whose dodo.py has `from doitenv.tasks import *` keeps it: doit sees what it sees
    with the file doitenv gives now, the project's own task below the line included."""
    project = new_project()
    project.write("dodo.py", scaffold.DODO + OWN_TASK)
    given = project.doit("list").output
    assert re.search(r"^hello +Say hello from below the line", given, re.M)
    project.write("dodo.py", "from doitenv.tasks import *  # noqa: F403, RUF100\n" + OWN_TASK)
    assert project.doit("list").output == given
    assert "hello from dodo.py" in project.doit("hello").output


TABLE = """\
import sys

import beta

rows = open(sys.argv[1]).read().split()
open(sys.argv[2], "w").write(f"{len(rows)} rows, beta {beta.__version__}\\n")
"""


def _provenance(project: TmpProject, path: str) -> dict:  # type: ignore[type-arg]
    completed = subprocess.run(
        [sys.executable, "-m", "doitenv", "provenance", path, "--json"],
        cwd=project.path,
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stderr
    return dict(json.loads(completed.stdout))


def test_a_step_runs_again_when_its_environment_moves_and_leaves_a_receipt(new_project: ProjectFactory) -> None:
    """A step that wrote its result from the installed package stayed 'up to date' after the lock
    moved that package: the file still held what the old version computed."""
    project = new_project(requirements="beta\n")
    project.write("dodo.py", readme_example("Results that know their environment"))
    project.write("scripts/table.py", TABLE)
    project.write("data/raw.csv", "a\nb\nc\n")
    (project.path / "results").mkdir()
    first = project.doit("table", "copy_raw")
    assert project.read("results/table.txt") == "3 rows, beta 2.0\n"
    again = project.doit("table", "copy_raw").output
    assert "-- table" in again and "-- copy_raw" in again  # nothing moved: cached

    receipt = _provenance(project, "results/table.txt")
    assert receipt["task"] == "table" and receipt["path"] == "results/table.txt"
    [action] = receipt["actions"]  # the program, and a keyed digest of its arguments
    assert action["name"] == "python" and re.fullmatch("[0-9a-f]{16}", action["arguments"])
    assert "commands" not in receipt
    environment = receipt["environment"]
    assert environment["lock"] == "requirements-dev.txt" and environment["pins"]["beta"] == "2.0"
    assert environment["python"]["version"].startswith(interpreter.running_version())
    assert receipt["git"] == {"commit": None, "dirty": None}  # no git here
    assert set(receipt["inputs"]) == {"data/raw.csv", "scripts/table.py"}
    assert receipt["sha256"] == hashlib.sha256(b"3 rows, beta 2.0\n").hexdigest()
    assert receipt["now"] == {"file_changed": False, "inputs_changed": [], "environment_changed": None}
    assert receipt["started"] <= receipt["ended"]

    project.write("requirements.in", "beta<2\n")
    moved = project.doit("table", "copy_raw").output
    assert "doitenv: table: requirements-dev.txt changed: beta 2.0 -> 1.0" in moved
    assert project.read("results/table.txt") == "3 rows, beta 1.0\n"
    assert "-- copy_raw" in moved  # environment_is_input=False
    assert _provenance(project, "results/table.txt")["environment"]["pins"]["beta"] == "1.0"

    project.write("requirements.in", "beta\n")
    project.doit("upgrade")  # beta 1.0 -> 2.0 in the lock and the venv; the table is not made again
    project.write("results/table.txt", "edited by hand\n")
    project.doit("clean")
    now = _provenance(project, "results/table.txt")["now"]
    assert now["file_changed"] is True
    assert now["environment_changed"] == "requirements-dev.txt changed: beta 1.0 -> 2.0"
    project.doit("distclean")
    assert _provenance(project, "results/table.txt")["environment"]["pins"]["beta"] == "1.0"  # kept
    assert "-- table" not in first.output


def _provenance_text(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "doitenv", "provenance", *args], cwd=cwd, capture_output=True, text=True
    )


def test_provenance_finds_the_project_from_the_file_and_names_the_project_s_own_packages_first(
    new_project: ProjectFactory, tmp_path: Path
) -> None:
    """Run from outside the project, `doitenv provenance PATH` said there was no receipt: it looked for
    the project in the current folder. Its text counted the pins and named none of them."""
    project = new_project(requirements="beta\n")
    project.write("dodo.py", readme_example("Results that know their environment"))
    project.write("scripts/table.py", TABLE)
    project.write("data/raw.csv", "a\nb\nc\n")
    (project.path / "results").mkdir()
    project.doit("table")
    pins = locks.pins(project.path / "requirements-dev.txt")
    assert len(pins) > 3
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    found = _provenance_text(elsewhere, str(project.path / "results" / "table.txt"))
    assert found.returncode == 0, found.stderr
    # What the .in files name, the runtime layer's first, then how many more the lock pins.
    named = f"  packages:    beta 2.0, pytest {pins['pytest']} and {len(pins) - 2} more (--all lists them)\n"
    assert named in found.stdout, found.stdout
    assert "  input:       data/raw.csv sha256:" in found.stdout

    every = _provenance_text(elsewhere, "../proj/results/table.txt", "--all")
    assert every.returncode == 0, every.stderr
    assert "  packages:    beta 2.0, pytest" in every.stdout and "--all" not in every.stdout
    for name, version in pins.items():
        assert re.search(rf"^ +(packages: +.*\b|other pins: +|){re.escape(f'{name} {version}')}\b", every.stdout, re.M)
    assert set(json.loads(_provenance_text(elsewhere, "../proj/results/table.txt", "--json").stdout)["named"]) == {
        "beta",
        "pytest",
    }

    outside = _provenance_text(project.path, str(elsewhere / "table.txt"))
    said = f"doitenv: {elsewhere / 'table.txt'} is in no project: no folder above it holds dodo.py"
    assert outside.returncode == 1 and outside.stderr.startswith(said) and outside.stderr.count("\n") == 1
    assert outside.stdout == ""
