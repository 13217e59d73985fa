"""pyproject.py: the one reader of pyproject.toml, its [project] table checked and typed."""

from __future__ import annotations

from pathlib import Path

from doitenv import portable
from doitenv.pyproject import Include, Metadata, parse, read


def test_the_tables_doitenv_reads_come_out_typed() -> None:
    project = {
        "name": " demo ",
        "requires-python": ">=3.9",
        "dependencies": ["alpha>1"],
        "optional-dependencies": {"fast": ["gamma"]},
        "dynamic": ["version"],
        "scripts": {"demo": "demo:main"},
    }
    read = parse({"project": project, "dependency-groups": {"dev": [{"include-group": "test"}, "delta"]}})
    assert read.problems == ()
    assert read.metadata == Metadata(
        name=" demo ",
        requires_python=">=3.9",
        dependencies=("alpha>1",),
        optional_dependencies={"fast": ("gamma",)},
        dynamic=("version",),
        table=project,  # as written: the editable wheel's digest covers every key
    )
    assert read.dependency_groups == {"dev": (Include("test"), "delta")}
    assert read.name == "demo"


def test_poetry_names_a_project_without_a_project_table() -> None:
    read = parse({"tool": {"poetry": {"name": "poetry-pkg", "package-mode": False}}})
    assert (read.metadata, read.name, read.poetry_package) == (None, "poetry-pkg", False)
    assert parse({"tool": {"poetry": {"name": 3}}}).problems == (
        'pyproject.toml: tool.poetry.name must be a string, such as "my-package", not 3',
    )


def test_a_missing_or_broken_file_reads_as_its_problem(tmp_path: Path) -> None:
    assert read(tmp_path) == parse({})
    (tmp_path / "pyproject.toml").write_text("[project\n")
    (problem,) = read(tmp_path).problems
    assert problem.startswith(f"{tmp_path / 'pyproject.toml'}: not valid TOML (") and problem.endswith("fix the file")


def test_a_local_package_s_broken_project_table_is_its_own_business(tmp_path: Path) -> None:
    """Another project's pyproject.toml (a local package the lock installs) names it when it can;
    what is wrong in it is for its own build to say."""
    (tmp_path / "pyproject.toml").write_text('project = "x"\n[tool.poetry]\nname = "Named"\n')
    assert portable._folder_name(tmp_path) == "Named"
