"""Dependencies declared in pyproject.toml feed the locks, with the same freshness digest."""

from __future__ import annotations

from tests.helpers import ProjectFactory

TABLES = """\
[project.optional-dependencies]
fast = ["gamma"]

[dependency-groups]
test = ["pytest"]
dev = [{include-group = "test"}, "delta"]
"""
SOURCES = """\
requirements-from = ["project", "extra:fast"]
dev-requirements-from = ["requirements.txt", "group:dev"]
"""


def _project(new_project: ProjectFactory):  # type: ignore[no-untyped-def]
    project = new_project(tool=SOURCES)
    text = project.read("pyproject.toml").replace(
        'description = "a test project"\n', 'description = "x"\ndependencies = ["alpha"]\n'
    )
    project.write("pyproject.toml", text + "\n" + TABLES)
    (project.path / "requirements.in").unlink()
    (project.path / "requirements-dev.in").unlink()
    return project


def test_pyproject_tables_feed_both_locks(new_project: ProjectFactory) -> None:
    project = _project(new_project)
    result = project.doit("dev")
    pinned_from = "pyproject.toml's [project] dependencies and [project.optional-dependencies] fast"
    assert f"pinning {pinned_from} into requirements.txt" in result.output
    assert {"alpha==1.0", "beta==2.0", "gamma==1.0"} == project.pins("requirements.txt")
    assert {"pytest==", "delta==1.0"} <= {
        p if p.startswith("delta") else p.split("==")[0] + "==" for p in project.pins("requirements-dev.txt")
    }
    assert "# via pyproject.toml" in project.read("requirements.txt")
    assert not list(project.path.glob(".*.doitenv-in"))
    assert project.doit("dev").ran == []
    assert project.doit("check").ran == []

    # An edit of the dev group recompiles only the dev lock.
    project.write("pyproject.toml", project.read("pyproject.toml").replace(', "delta"]', "]"))
    assert project.doit("dev").compiled() == [".requirements-dev.txt.doitenv-in"]
    assert "delta==1.0" not in project.installed()


def test_a_source_that_does_not_exist_is_named_with_its_key(new_project: ProjectFactory) -> None:
    project = new_project(tool='dev-requirements-from = ["requirements.txt", "group:nope", "extra/dev.in"]\n')
    result = project.doit("list", ok=False)
    assert (
        "tool.doitenv.dev-requirements-from names 'group:nope', but pyproject.toml has no [dependency-groups] nope"
        in result.output
    )
    project.write("pyproject.toml", project.read("pyproject.toml").replace('"group:nope", ', ""))
    result = project.doit("requirements-dev.txt", ok=False)
    assert "extra/dev.in is missing: create it, or take it out of tool.doitenv's sources" in result.output


def test_a_malformed_declared_dependency_is_judged_before_the_resolver(new_project: ProjectFactory) -> None:
    project = _project(new_project)
    project.write("pyproject.toml", project.read("pyproject.toml").replace('["alpha"]', '["alpha>=>2"]'))
    result = project.doit("requirements.txt", ok=False)
    assert "pyproject.toml's sources: 'alpha>=>2' is not a valid requirement" in result.output
    assert not result.compiled() and not (project.path / "requirements.txt").exists()


def test_a_dependency_the_stale_lock_lacks_is_named_with_the_fix_that_works(new_project: ProjectFactory) -> None:
    """With [project] among the sources, the fix said to add 'project' to requirements-from."""
    project = _project(new_project)
    project.doit("dev")
    declared = project.read("pyproject.toml").replace('dependencies = ["alpha"]', 'dependencies = ["alpha", "delta"]')
    project.write("pyproject.toml", declared)
    checked = project.doit("check", ok=False).output
    assert (
        "[project] depends on delta, which requirements.txt does not pin: requirements.txt is stale "
        "(tool.doitenv.requirements-from takes [project]'s): pin it again and run `doit dev`"
    ) in checked
    assert "add 'project' to tool.doitenv.requirements-from" not in checked
