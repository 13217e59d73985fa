"""`doit upgrade` killed between its layers: the next run puts the locks back, or says why not.

The kill comes when doitenv logs the dev layer's resolver command, the line it prints right
before starting it: the runtime lock is upgraded by then, and the dev lock cannot be yet (the
resolver has not started). The test checks that this is what the kill left before going on.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from tests.helpers import ProjectFactory, TmpProject

LOCKS = ("requirements.txt", "requirements-dev.txt")
JOURNAL = ".doitenv/upgrade-journal.json"
ROLLED_BACK = (
    "doitenv: the last `doit upgrade --package beta` was cut short (requirements-dev.txt was not pinned yet), so "
    "requirements.txt is put back as it was before it: run `doit upgrade --package beta` again"
)


def _upgradable(new_project: ProjectFactory, backend: str = "pip-tools") -> TmpProject:
    """A project whose locks pin beta 1.0 where 2.0 is allowed: `doit upgrade` moves both locks."""
    project = new_project(requirements="beta<2\n", backend=backend)
    project.doit("dev")
    project.write("requirements.in", "beta\n")
    project.doit("dev")  # a plain pin keeps beta 1.0
    assert "beta==1.0" in project.pins("requirements.txt") and "beta==1.0" in project.pins("requirements-dev.txt")
    return project


def _locks(project: TmpProject) -> dict[str, bytes]:
    return {lock: (project.path / lock).read_bytes() for lock in LOCKS}


def _signal_while_pinning_dev(project: TmpProject, sig: signal.Signals) -> tuple[subprocess.Popen[str], str]:
    doit = subprocess.Popen(
        [sys.executable, "-m", "doit", "upgrade", "--package", "beta"],
        cwd=project.path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # the signal reaches doit and the resolver it runs, as a crash would
    )
    assert doit.stdout is not None
    seen = []
    for line in doit.stdout:
        seen.append(line)
        if line.startswith("doitenv: $ ") and " compile " in line and line.split()[-1] == "requirements-dev.in":
            os.killpg(doit.pid, sig)
            break
    else:
        pytest.fail(f"the dev layer was never pinned:\n{''.join(seen)}")
    return doit, "".join(seen)


def _kill_while_pinning_dev(project: TmpProject, sig: signal.Signals) -> str:
    doit, seen = _signal_while_pinning_dev(project, sig)
    rest, _ = doit.communicate(timeout=120)
    return seen + rest


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_the_next_run_puts_back_an_upgrade_cut_short(
    new_project: ProjectFactory, backend: str, sig: signal.Signals
) -> None:
    """After a SIGKILL the runtime lock stayed upgraded and the dev lock not, and nothing said an
    upgrade was cut short: the next `doit dev` pinned the dev lock again on the half-upgrade."""
    project = _upgradable(new_project, backend)
    before = _locks(project)
    output = _kill_while_pinning_dev(project, sig)
    if sig == signal.SIGKILL:  # the kill came where it was meant to: between the layers
        left = _locks(project)
        assert left["requirements-dev.txt"] == before["requirements-dev.txt"], output
        assert "beta==2.0" in project.pins("requirements.txt"), output
    else:  # SIGTERM: the upgrade puts the locks back itself, and leaves nothing for the next run
        assert "doitenv: stopped; every lock is as it was before the upgrade" in output, output
        assert _locks(project) == before

    dev = project.doit("dev")
    assert (ROLLED_BACK in dev.output) == (sig == signal.SIGKILL), dev.output
    assert _locks(project) == before
    assert dev.ran == []  # the venv was never synced to the cut-short upgrade
    check = project.doit("check")
    assert "cut short" not in check.output and "locks fresh, layers agree, venv in step" in check.output

    again = project.doit("upgrade", "--package", "beta")  # what the line says to do
    assert "doitenv: requirements-dev.txt: beta 1.0 -> 2.0" in again.output
    assert "beta==2.0" in project.installed() and not (project.path / JOURNAL).exists()


def test_a_lock_changed_after_the_kill_is_left_as_it_is(new_project: ProjectFactory) -> None:
    """What the journal cannot account for, by hand or by git, is someone's work: never overwritten."""
    project = _upgradable(new_project)
    before = _locks(project)
    _kill_while_pinning_dev(project, signal.SIGKILL)
    killed = {**_locks(project), JOURNAL: (project.path / JOURNAL).read_bytes()}
    assert killed["requirements.txt"] != before["requirements.txt"]

    # The upgraded lock edited by hand: left, and said; the dev lock, which the upgrade never wrote, too.
    edited = killed["requirements.txt"] + b"# mine\n"
    (project.path / "requirements.txt").write_bytes(edited)
    # `doit list` reads no lock (and works in a read-only checkout): the journal waits for a task that does.
    assert "cut short" not in project.doit("list").output and (project.path / JOURNAL).exists()
    output = project.doit("check", ok=None).output
    assert (
        "doitenv: the last `doit upgrade --package beta` was cut short (requirements-dev.txt was not pinned yet); "
        "requirements.txt changed since, not by doitenv, so it is left as it is (compare with git, then "
        "`doit check`): run `doit upgrade --package beta` again"
    ) in output, output
    assert _locks(project) == {"requirements.txt": edited, "requirements-dev.txt": before["requirements-dev.txt"]}
    assert not (project.path / JOURNAL).exists()

    # The same kill, then the dev lock changed (say by `git checkout` of another branch): the upgraded
    # runtime lock, which the journal accounts for, goes back; the dev lock stays as it now is.
    for name, data in killed.items():
        (project.path / name).write_bytes(data)
    other = before["requirements-dev.txt"].replace(b"beta==1.0", b"beta==1.0\n# from another branch")
    (project.path / "requirements-dev.txt").write_bytes(other)
    output = project.doit("check", ok=None).output
    assert (
        "doitenv: the last `doit upgrade --package beta` was cut short, so requirements.txt is put back as it was "
        "before it; requirements-dev.txt changed since, not by doitenv, so it is left as it is (compare with git, "
        "then `doit check`): run `doit upgrade --package beta` again"
    ) in output, output
    assert _locks(project) == {"requirements.txt": before["requirements.txt"], "requirements-dev.txt": other}

    # Both locks put back by the user (`git checkout .`) before the next run: nothing to do but say so.
    for name, data in killed.items():
        (project.path / name).write_bytes(data)
    (project.path / "requirements.txt").write_bytes(before["requirements.txt"])
    output = project.doit("check").output
    assert (
        "doitenv: the last `doit upgrade --package beta` was cut short; every lock is as it was before it: run "
        "`doit upgrade --package beta` again"
    ) in output, output
    assert _locks(project) == before


def test_an_upgrade_under_way_is_waited_for_not_undone(new_project: ProjectFactory) -> None:
    """Its journal is there while it runs: another doit must not take it for a cut-short one. The
    upgrade held the project's lock only while it pinned each layer, so another doit could read
    (or change) the locks between them."""
    project = _upgradable(new_project)
    upgrade, seen = _signal_while_pinning_dev(project, signal.SIGSTOP)  # frozen between its layers
    try:
        check = project.start("check")
        assert check.stdout is not None
        first = check.stdout.readline()
    finally:
        os.killpg(upgrade.pid, signal.SIGCONT)
    rest, _ = check.communicate(timeout=300)
    assert first == "doitenv: waiting for another doit to finish with venv/ and the locks\n", first + rest
    assert "cut short" not in rest, rest
    output = seen + upgrade.communicate(timeout=300)[0]
    assert upgrade.returncode == 0, output
    assert "doitenv: requirements-dev.txt: beta 1.0 -> 2.0" in output
    assert "beta==2.0" in project.pins("requirements.txt") and "beta==2.0" in project.pins("requirements-dev.txt")
