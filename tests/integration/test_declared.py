"""`[project].dependencies` is never silently unpinned: the editable install adds nothing
(--no-deps), so the runtime lock must satisfy what the project declares."""

from __future__ import annotations

from tests.helpers import ProjectFactory


def _declare(project_text: str, dependencies: str) -> str:
    return project_text.replace(
        'description = "a test project"\n', f'description = "x"\ndependencies = {dependencies}\n'
    )


def test_a_declared_dependency_the_lock_does_not_satisfy_is_named(new_project: ProjectFactory) -> None:
    project = new_project(requirements="needs-old-beta\n")
    project.write(
        "pyproject.toml",
        _declare(project.read("pyproject.toml"), '["delta", "beta>=2", "gamma; python_version < \'3\'"]'),
    )
    dev = project.doit("dev")
    assert (
        "pyproject.toml: [project] depends on delta, which requirements.txt does not pin: "
        "add it to requirements.in and run `doit dev`"
    ) in dev.output
    assert "[project] depends on beta>=2, but requirements.txt pins beta==1.0" in dev.output
    assert "gamma" not in dev.output  # its marker leaves it out on this Python
    check = project.doit("check", ok=False)
    assert "depends on delta, which requirements.txt does not pin" in check.output

    project.write("requirements.in", "delta\nbeta>=2\n")
    assert "[project] depends on" not in project.doit("dev").output
    project.doit("check")


def test_init_writes_a_project_whose_lists_cannot_disagree(tmp_path, wheelhouse) -> None:  # type: ignore[no-untyped-def]
    from doitenv import config, scaffold

    scaffold.init(tmp_path / "fresh")
    settings = config.load(tmp_path / "fresh")
    assert settings.requirements_from is not None and "project" in settings.requirements_from
