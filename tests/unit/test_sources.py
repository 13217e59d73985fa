from __future__ import annotations

from doitenv import sources

PYPROJECT = {
    "project": {"dependencies": ["alpha"], "optional-dependencies": {"fast": ["gamma>1"]}},
    "dependency-groups": {
        "test": ["pytest"],
        "dev": [{"include-group": "test"}, "delta"],
        "loop": [{"include-group": "loop"}],
    },
}


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
