"""output.py: which lines each level shows, on which stream, with the prefix written once; the
command lines runner.py logs; `doitenv --quiet` and `--verbose`. tests/integration/test_output.py
holds a real `doit dev` at each level."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from doitenv import cli, output, runner


@pytest.fixture(autouse=True)
def no_level_chosen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(output.VARIABLE, raising=False)
    monkeypatch.delenv(runner.SHOW_COMMANDS, raising=False)


def _every_kind() -> None:
    output.error("it failed")
    output.warn("look at this")
    output.note("did this")
    output.reason("ran again because")
    output.detail("$ tool --flag")
    output.result("the answer")


@pytest.mark.parametrize(
    ("chosen", "out", "err"),
    [
        ("quiet", ["the answer"], ["doitenv: it failed", "doitenv: look at this"]),
        (
            None,
            ["doitenv: did this", "the answer"],
            ["doitenv: it failed", "doitenv: look at this", "doitenv: ran again because"],
        ),
        (
            "verbose",
            ["doitenv: did this", "the answer"],
            ["doitenv: it failed", "doitenv: look at this", "doitenv: ran again because", "doitenv: $ tool --flag"],
        ),
    ],
)
def test_each_level_shows_its_lines_on_their_streams(
    chosen: str | None,
    out: list[str],
    err: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if chosen:
        monkeypatch.setenv(output.VARIABLE, chosen)
    _every_kind()
    shown = capsys.readouterr()
    assert shown.out.splitlines() == out
    assert shown.err.splitlines() == err


@pytest.mark.parametrize(("value", "level"), [("", "normal"), (" Verbose ", "verbose"), ("QUIET", "quiet")])
def test_the_level_is_read_as_a_person_writes_it(value: str, level: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(output.VARIABLE, value)
    assert output.level() == level and output.problem() is None


def test_an_unknown_level_is_one_warning_and_the_normal_level(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(output.VARIABLE, "loud")
    output.check()
    output.check()  # the tasks made again in the same run (`doitenv graph`): said once
    output.note("did this")
    assert output.level() == "normal"
    shown = capsys.readouterr()
    assert shown.err == "doitenv: DOITENV_OUTPUT='loud' is no output level: use one of quiet, normal, verbose\n"
    assert shown.out == "doitenv: did this\n"


def test_the_prefix_goes_on_the_first_line_after_any_blank_one(capsys: pytest.CaptureFixture[str]) -> None:
    output.note("venv/ holds requirements.txt: 1 added\n  + alpha==1.0")
    output.warn("\nstopped")  # below the ^C the terminal echoed
    output.note("removing venv/", bare=True)
    shown = capsys.readouterr()
    assert shown.out == "doitenv: venv/ holds requirements.txt: 1 added\n  + alpha==1.0\nremoving venv/\n"
    assert shown.err == "\ndoitenv: stopped\n"


def test_a_redrawn_line_is_padded_and_the_next_line_starts_below_it(capsys: pytest.CaptureFixture[str]) -> None:
    output.redraw("still syncing (10 s, 37 packages in place)")
    output.redraw("still syncing (11 s)")
    output.note("venv/ holds requirements.txt")
    output.redraw("still pinning (1 s)")
    output.end_redrawn()
    output.end_redrawn()  # nothing drawn: nothing to end
    long = "doitenv: still syncing (10 s, 37 packages in place)"
    assert capsys.readouterr().out == (
        f"\r{long}\r{'doitenv: still syncing (11 s)'.ljust(len(long))}\n"
        "doitenv: venv/ holds requirements.txt\n\rdoitenv: still pinning (1 s)\n"
    )


@pytest.mark.parametrize(
    ("chosen", "asked", "logged"),
    [("quiet", True, False), (None, False, False), (None, True, True), ("verbose", False, True)],
)
def test_a_command_line_shows_when_verbose_or_asked_for_and_never_when_quiet(
    chosen: str | None, asked: bool, logged: bool, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    if chosen:
        monkeypatch.setenv(output.VARIABLE, chosen)
    if asked:
        monkeypatch.setenv(runner.SHOW_COMMANDS, "1")
    runner.run([sys.executable, "-c", "pass"])
    expected = f"doitenv: $ {sys.executable} -c pass\n" if logged else ""
    assert capsys.readouterr().err == expected


@pytest.mark.parametrize(("flag", "said"), [("--quiet", False), ("--verbose", True), (None, True)])
def test_the_doitenv_command_takes_the_level_for_its_process(
    flag: str | None, said: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(output.VARIABLE, "loud")  # a flag wins over it, and no warning is due then
    code = cli.main([*([flag] if flag else []), "init", str(tmp_path / "proj"), "--name", "demo"])
    shown = capsys.readouterr()
    assert code == 0 and ("wrote pyproject.toml" in shown.out) is said, shown
    assert ("is no output level" in shown.err) is (flag is None), shown.err
    if flag:
        assert output.level() == flag.removeprefix("--")


def test_an_unknown_level_is_said_again_in_the_next_run_of_the_same_process(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from doitenv import caches

    monkeypatch.setenv(output.VARIABLE, "loud")
    output.check()
    caches.reset()  # a new doit run in this process (doit in-process, a test suite)
    output.check()
    assert capsys.readouterr().err.count("DOITENV_OUTPUT='loud' is no output level") == 2


def test_a_wait_for_another_doit_is_said_at_the_quiet_level_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run that waits for another (a server started with in_venv holds the venv) waits until
    the user ends that one: at the quiet level too it must not wait without a word."""
    import threading

    from doitenv import filelock

    monkeypatch.setenv(output.VARIABLE, "quiet")
    path = tmp_path / "venv.lock"
    holder = filelock.exclusive(path)
    holder.__enter__()
    threading.Timer(0.2, holder.__exit__, (None, None, None)).start()
    with filelock.exclusive(path, "waiting for a command running in venv/ to finish before syncing it"):
        pass
    assert capsys.readouterr().err == "doitenv: waiting for a command running in venv/ to finish before syncing it\n"


@pytest.mark.parametrize("where", ["before", "after"])
def test_the_level_flags_go_before_or_after_the_command(
    where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`doitenv ci github --quiet` was refused (unrecognized arguments), as `--quiet` was taken
    before the command only."""
    command = ["init", str(tmp_path / "proj"), "--name", "demo"]
    code = cli.main(["--quiet", *command] if where == "before" else [*command, "--quiet"])
    assert code == 0 and "wrote pyproject.toml" not in capsys.readouterr().out
    assert output.level() == "quiet"


def test_files_kept_as_they_were_are_a_warning_quiet_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`doitenv --quiet ci github` over a workflow that exists wrote nothing and said nothing."""
    assert cli.main(["init", str(tmp_path / "proj"), "--name", "demo", "--ci", "github"]) == 0
    capsys.readouterr()
    assert cli.main(["--quiet", "ci", "github", str(tmp_path / "proj")]) == 0
    said = capsys.readouterr()
    assert "doitenv: kept .github/workflows/doitenv.yml as it was (use --force to overwrite)" in said.err, said


def test_doit_clean_dry_run_lists_what_it_would_remove_at_every_level(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from doitenv import clean

    monkeypatch.setenv(output.VARIABLE, "quiet")
    (tmp_path / ".pytest_cache").mkdir()
    clean.clean_artifacts(tmp_path, dryrun=True)
    assert capsys.readouterr().out == "would remove .pytest_cache\n"
    assert (tmp_path / ".pytest_cache").exists()
