"""Projects with more layers than two, and pip-tools projects adopting doitenv with the locks they have."""

from __future__ import annotations

import difflib
import subprocess
import sys
from importlib.metadata import version

import pytest

from tests.helpers import ProjectFactory, TmpProject

LAYERS = 'locks = ["requirements/*.in"]\n'


def layered_project(new_project: ProjectFactory) -> TmpProject:
    """The dev layer holds the runtime pins only through tests.txt (as openedx's dev.in does
    through doc.txt); docs.txt is constrained by the runtime lock and synced by nothing."""
    project = new_project(requirements="alpha\n", dev_requirements="-r requirements/tests.txt\n", tool=LAYERS)
    project.write("requirements/tests.in", "-r ../requirements.txt\npytest\n")
    project.write("requirements/docs.in", "-c ../requirements.txt\ndelta\nbeta\n")
    return project


def test_every_layer_is_pinned_after_the_locks_it_pulls_in_and_again_when_they_move(
    new_project: ProjectFactory,
) -> None:
    project = layered_project(new_project)
    listed = project.doit("list").output
    assert "requirements/docs.txt" in listed and "requirements/tests.txt" in listed

    first = project.doit("dev").compiled()
    assert sorted(first) == sorted(["requirements.in", "requirements-dev.in", *LAYER_INS])
    assert first.index("requirements.in") < first.index("requirements/tests.in") < first.index("requirements-dev.in")
    assert first.index("requirements.in") < first.index("requirements/docs.in")
    assert project.pins("requirements/docs.txt") == {"beta==2.0", "delta==1.0"}  # -c: constrained, not pulled in
    assert {"alpha==1.0", "pytest==9.2.0"} <= project.installed()
    assert project.doit("dev").ran == []
    project.doit("check")

    # The runtime lock moves beta: every layer that pulls it in, with -r or -c, follows.
    project.write("requirements.in", "alpha\nneeds-old-beta\n")
    moved = project.doit("dev").compiled()
    assert sorted(moved) == sorted(first)
    assert "beta==1.0" in project.pins("requirements/docs.txt")
    assert "beta==1.0" in project.pins("requirements-dev.txt")

    # A layer that nothing syncs is still checked, and pinned alone.
    project.write("requirements/docs.in", "-c ../requirements.txt\ndelta\nbeta\ngamma\n")
    check = project.doit("check", ok=False)
    assert "requirements/docs.txt is stale for requirements/docs.in" in check.output
    assert "run `doit requirements/docs.txt`" in check.output
    assert project.doit("requirements/docs.txt").compiled() == ["requirements/docs.in"]
    project.doit("check")


LAYER_INS = ["requirements/docs.in", "requirements/tests.in"]


def test_prod_pins_only_the_runtime_lock(new_project: ProjectFactory) -> None:
    project = layered_project(new_project)
    assert project.doit("prod").compiled() == ["requirements.in"]
    assert not (project.path / "requirements/docs.txt").exists()


def test_upgrade_moves_every_layer(new_project: ProjectFactory) -> None:
    project = layered_project(new_project)
    project.write("requirements/docs.in", "delta\nbeta<2\n")
    project.doit("dev")
    assert "beta==1.0" in project.pins("requirements/docs.txt")
    project.write("requirements/docs.in", "delta\nbeta\n")
    project.doit("dev")
    assert "beta==1.0" in project.pins("requirements/docs.txt")  # a re-pin keeps what it can
    result = project.doit("upgrade")
    assert "doitenv: requirements/docs.txt: beta 1.0 -> 2.0" in result.output
    project.doit("check")


def test_a_dev_layer_that_never_reaches_the_runtime_lock_is_named(new_project: ProjectFactory) -> None:
    project = new_project(dev_requirements="-r requirements/tests.txt\n", tool=LAYERS)
    project.write("requirements/tests.in", "pytest\n")
    result = project.doit("dev", ok=False)
    assert "requirements-dev.in does not layer on requirements.txt: add the line '-r requirements.txt'" in result.output


def test_two_locks_a_layer_pulls_in_that_disagree_are_named_with_the_upgrade(new_project: ProjectFactory) -> None:
    """It failed with pip's "Cannot install beta==1.0 and beta==2.0", naming neither lock (seen on
    Flask 3.0.3, whose docs.txt pinned an older jinja2 than a fresh runtime lock)."""
    dev = "-r requirements.txt\n-r requirements/docs.txt\n"
    project = new_project(requirements="alpha\n", dev_requirements=dev, tool=LAYERS)
    project.write("requirements/docs.in", "beta\n")
    project.write("requirements/docs.txt", "beta==1.0\n    # via -r requirements/docs.in\n")  # pinned before
    project.doit("requirements.txt")
    check = project.doit("check", ok=False)
    assert (
        "requirements-dev.in pulls in requirements.txt, which pins beta==2.0, and requirements/docs.txt, which "
        "pins beta==1.0: run `doit upgrade --package beta`"
    ) in check.output
    result = project.doit("dev", ok=False)
    assert (
        "requirements-dev.in pulls in requirements.txt, which pins beta==2.0, and requirements/docs.txt, "
        "which pins beta==1.0\nrequirements-dev.txt is not written: run `doit upgrade --package beta` to move "
        "them together"
    ) in result.output
    assert "Traceback" not in result.output
    result = project.doit("upgrade", "--package", "beta")
    assert "doitenv: requirements/docs.txt: beta 1.0 -> 2.0" in result.output
    assert "beta==2.0" in project.pins("requirements-dev.txt")
    project.doit("check")


def pip_compile(project: TmpProject, folder: str, *args: str) -> None:
    """What the project ran before it knew doitenv: pip-compile's defaults (no --allow-unsafe,
    extras kept), from `folder`."""
    argv = [sys.executable, "-m", "piptools", "compile", "--quiet", "--no-strip-extras", "--no-emit-find-links", *args]
    subprocess.run(argv, cwd=project.path / folder, check=True, capture_output=True)


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    diff = list(difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0))
    removed = [line[1:] for line in diff if line.startswith("-") and not line.startswith("---")]
    added = [line[1:] for line in diff if line.startswith("+") and not line.startswith("+++")]
    return removed, added


@pytest.mark.parametrize("ran_from", ["requirements", "."])
def test_the_first_doit_dev_on_a_pip_tools_project_changes_only_header_lines(
    new_project: ProjectFactory, ran_from: str
) -> None:
    """It pinned setuptools, which the project had left out, stripped `gamma[fast]` to `gamma`,
    and rewrote `# via -r base.in` to `# via -r requirements/base.in`."""
    tool = (
        'requirements-in = "requirements/base.in"\nrequirements = "requirements/base.txt"\n'
        'dev-requirements-in = "requirements/dev.in"\ndev-requirements = "requirements/dev.txt"\n'
    )
    project = new_project(tool=tool)
    project.write("requirements/base.in", "alpha\ngamma[fast]\nsetuptools\n")
    project.write("requirements/dev.in", "-r base.txt\npytest\n")
    named = "" if ran_from == "requirements" else "requirements/"
    for layer in ("base", "dev"):
        pip_compile(project, ran_from, "-o", f"{named}{layer}.txt", f"{named}{layer}.in")
    before = {layer: project.read(f"requirements/{layer}.txt") for layer in ("base", "dev")}
    assert "gamma[fast]==1.0" in before["base"] and "\n# setuptools\n" in before["base"]
    assert f"# via -r {named}base.in" in before["base"]

    project.doit("dev")
    for layer in ("base", "dev"):
        after = project.read(f"requirements/{layer}.txt")
        removed, added = changed_lines(before[layer], after)
        assert removed == [f"#    pip-compile --no-emit-find-links --no-strip-extras --output-file={named}{layer}.txt "
                           f"{named}{layer}.in"], after  # fmt: skip
        assert added[0].startswith("# doitenv: inputs=")
        assert added[0].endswith(" allow-unsafe=no strip-extras=no by=pip-tools==" + version("pip-tools"))
        assert added[1:] == [f"#    doit requirements/{layer}.txt"], after
    assert "setuptools==84.2.1" not in project.installed()
    assert project.doit("dev").ran == []
    project.doit("check")

    # The settings win over the lock's style, and a changed setting pins again.
    project.write("pyproject.toml", project.read("pyproject.toml") + "allow-unsafe = true\nstrip-extras = true\n")
    assert project.doit("check", ok=False).output.count("is stale") == 2
    project.doit("dev")
    base = project.read("requirements/base.txt")
    assert "\nsetuptools==84.2.1\n" in base and "\ngamma==1.0\n" in base
    assert "allow-unsafe" not in base.splitlines()[0]
    assert "setuptools==84.2.1" in project.installed()


def test_what_adopting_a_pip_tools_lock_would_lose_is_said_before_it_is_pinned(new_project: ProjectFactory) -> None:
    # (No pytest in the dev layer: its pin from this Python has no release for 3.9, where it is pinned again.)
    project = new_project(dev_requirements="-r requirements.txt\ndelta\n")
    pip_compile(project, ".", "--generate-hashes", "-o", "requirements.txt", "requirements.in")
    compiled, here = project.read("requirements.txt"), "{}.{}".format(*sys.version_info)
    assert f"autogenerated by pip-compile with Python {here}\n" in compiled
    project.write("requirements.txt", compiled.replace(f"with Python {here}\n", "with Python 3.8\n"))
    pip_compile(project, ".", "-o", "requirements-dev.txt", "requirements-dev.in")
    dev = project.read("requirements-dev.txt")
    project.write("requirements-dev.txt", dev.replace(f"with Python {here}\n", "with Python 3.8\n"))
    result = project.doit("requirements-dev.txt")
    # A lock pinned for a Python older than doitenv supports is pinned again for the oldest it
    # does (the nearest to what its pins were chosen for), and says so.
    if here != "3.9":  # (run on 3.9, the venv is simply the running Python's)
        assert (
            "doitenv: Python 3.9, as requirements.txt was pinned for Python 3.8, older than doitenv supports (doit "
            f"runs on {here})"
        ) in result.output
    for lock in ("requirements.txt", "requirements-dev.txt"):
        assert f"{lock} was resolved for Python 3.8, older than doitenv supports: pinning it again for 3.9" in (
            result.output
        )
    assert (
        "doitenv: requirements.txt has hashes and tool.doitenv.hashes is off, so they go: set hashes = true to "
        "keep them"
    ) in result.output
    assert 'python = "3.8"' not in result.output
