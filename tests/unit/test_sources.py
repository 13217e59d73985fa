from __future__ import annotations

from doitenv import sources
from doitenv.pyproject import parse

PYPROJECT = parse(
    {
        "project": {"dependencies": ["alpha"], "optional-dependencies": {"fast": ["gamma>1"]}},
        "dependency-groups": {
            "test": ["pytest"],
            "dev": [{"include-group": "test"}, "delta"],
            "loop": [{"include-group": "loop"}],
        },
    }
)


def test_table_sources_read_their_requirements() -> None:
    assert sources.requirements("project", PYPROJECT) == ["alpha"]
    assert sources.requirements("extra:fast", PYPROJECT) == ["gamma>1"]
    assert sources.requirements("group:dev", PYPROJECT) == ["pytest", "delta"]
    assert sources.requirements("group:loop", PYPROJECT) == []


def test_missing_tables_are_named() -> None:
    assert (
        sources.problem("group:nope", PYPROJECT)
        == "names 'group:nope', but pyproject.toml has no [dependency-groups] nope"
    )
    assert "[project.optional-dependencies] slow" in str(sources.problem("extra:slow", PYPROJECT))
    assert sources.problem("requirements.in", PYPROJECT) is None


def test_input_text_joins_files_and_tables() -> None:
    text = sources.input_text(("requirements.txt", "group:dev"), PYPROJECT)
    assert text.splitlines() == ["-r requirements.txt", "# from pyproject.toml: group:dev", "pytest", "delta"]


def test_project_dependencies_that_pyproject_does_not_hold_are_named() -> None:
    """A setup.py project (click 8.1.7) adopted with requirements-from = ["project"] got an
    empty runtime lock and no word of why."""
    assert "has no [project] table (setup.py's and setup.cfg's" in str(sources.problem("project", parse({})))
    dynamic = parse({"project": {"name": "x", "dynamic": ["version", "dependencies"]}})
    assert "they are dynamic" in str(sources.problem("project", dynamic))
    assert sources.problem("project", parse({"project": {"name": "x"}})) is None  # no dependencies at all
