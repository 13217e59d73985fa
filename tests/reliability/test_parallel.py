"""doit's own parallel mode: tasks in separate processes share one venv."""

from __future__ import annotations

from tests.helpers import ProjectFactory


def test_parallel_format_and_test_sync_once_and_pass(new_project: ProjectFactory) -> None:
    project = new_project(dev_requirements="-r requirements.txt\npytest\nruff\n")
    result = project.doit("-n", "4", "format", "test")  # test last: it takes the rest as arguments
    assert result.output.count("doitenv: syncing ") == 1
    assert "2 passed" in result.output


def test_parallel_dev_and_prod_never_break_the_venv(new_project: ProjectFactory) -> None:
    project = new_project(dev_requirements="-r requirements.txt\npytest\nruff\n")
    for _ in range(2):
        result = project.doit("-n", "4", "dev", "prod", "format", "test", ok=None)
        assert "Traceback" not in result.output
        # Whichever of dev and prod synced last, the venv holds exactly one of the locks,
        # and the next `doit dev` makes it the dev lock, after which nothing runs.
        project.doit("dev")
        assert project.installed() >= project.pins("requirements-dev.txt")
        assert project.doit("dev").ran == []
