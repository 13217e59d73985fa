"""What happens where people meet: two branches that both changed dependencies, merged."""

from __future__ import annotations

import subprocess

from tests.helpers import ProjectFactory, TmpProject

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "init.defaultBranch=main"]


def git(project: TmpProject, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run([*GIT, *args], cwd=project.path, capture_output=True, text=True)
    assert completed.returncode == 0 or not ok, completed.stdout + completed.stderr
    return completed


def test_a_lock_both_branches_changed_is_pinned_again_from_the_merged_inputs(new_project: ProjectFactory) -> None:
    """It failed with "Invalid requirement: '<<<<<<< HEAD'", naming neither the lock nor the conflict."""
    # Lines apart, so that git merges the .in file and conflicts only in the lock.
    project = new_project(requirements="alpha\n# runtime dependencies\n# one per line\n")
    project.write(".gitignore", "venv/\n.doitenv/\n")
    project.doit("dev")
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "base")
    git(project, "checkout", "-qb", "delta")
    project.write("requirements.in", "delta\n" + project.read("requirements.in"))
    project.doit("requirements.txt")
    git(project, "commit", "-qam", "delta")
    git(project, "checkout", "-q", "main")
    project.write("requirements.in", project.read("requirements.in") + "gamma\n")
    project.doit("requirements.txt")
    git(project, "commit", "-qam", "gamma")
    merged = git(project, "merge", "delta", ok=False)
    assert "CONFLICT (content): Merge conflict in requirements.txt" in merged.stdout
    assert project.read("requirements.in") == "delta\nalpha\n# runtime dependencies\n# one per line\ngamma\n"

    check = project.doit("check", ok=False)
    assert "requirements.txt has merge conflicts from git: run `doit requirements.txt`" in check.output
    result = project.doit("dev")
    assert (
        "requirements.txt has merge conflicts from git: pinning it again from requirements.in (as merged), "
        "starting from the 2 pins both sides agree on; commit the result"
    ) in result.output
    lock = project.read("requirements.txt")
    assert "<<<<<<<" not in lock and ">>>>>>>" not in lock
    assert {"alpha==1.0", "beta==2.0", "delta==1.0", "gamma==1.0"} <= project.pins("requirements.txt")
    assert {"delta==1.0", "gamma==1.0"} <= project.installed()
    project.doit("check")
    assert project.doit("dev").ran == []


def test_an_in_file_left_conflicted_is_named_with_the_fix(new_project: ProjectFactory) -> None:
    project = new_project()
    project.doit("dev")
    project.write("requirements.in", "<<<<<<< HEAD\nalpha\n=======\nalpha\ndelta\n>>>>>>> delta\n")
    before = project.read("requirements.txt")
    result = project.doit("dev", ok=False)
    assert (
        "requirements.in has merge conflicts from git (<<<<<<< markers): resolve them in it, then run doit again"
    ) in result.output
    assert "Traceback" not in result.output and project.read("requirements.txt") == before
