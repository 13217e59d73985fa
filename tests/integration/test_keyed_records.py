"""No value from the user's environment or actions in what doitenv records, nor a plain digest of
one that a dictionary could answer: receipts keep an action's name and a keyed digest of its
arguments, and test-env values count by digests keyed with the project's own key."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys

from doitenv import files
from tests.helpers import ProjectFactory, TmpProject

SECRET = "hunter2-Zq8x"  # a weak password, as a dictionary holds it

STEPS = """\
import importlib
import os
import sys

from doit.action import CmdAction

from doitenv import in_venv, requires

importlib.import_module("doitenv.tasks").export(globals())
TOKEN = os.environ["API_TOKEN"]
WRITE = "import sys; open(sys.argv[1], 'w').write('made')"


def upload(token):
    open("uploaded.txt", "w").write("uploaded")


@requires("dev")
def task_publish():
    return {
        "actions": [
            (upload, [TOKEN]),
            in_venv("python", "-c", WRITE, "made-in-venv.txt", TOKEN),
            [sys.executable, "-c", WRITE, "made-by-list.txt", "--token", TOKEN],
            CmdAction(f"API_TOKEN={TOKEN} {sys.executable} -c \\"{WRITE}\\" made-by-shell.txt --token {TOKEN}"),
        ],
        "file_dep": ["data.txt"],
        "targets": ["uploaded.txt", "made-in-venv.txt", "made-by-list.txt", "made-by-shell.txt"],
    }
"""


def _traces(value: str) -> list[str]:
    """What would give `value` away: itself, and its plain digests as doitenv cut them (old
    test-env records: files.digest to 16 hex digits; a bare sha256 to 12, 16 or whole)."""
    plain = hashlib.sha256(value.encode()).hexdigest()
    return [value, plain[:12], files.digest([value])[:12]]


def _found_in_state(project: TmpProject, value: str) -> list[str]:
    """Every file under .doitenv/ (doit's database included) holding a trace of `value`."""
    found = []
    for path in sorted((project.path / ".doitenv").rglob("*")):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            found += [f"{path}: {trace}" for trace in _traces(value) if trace.encode() in data]
    return found


def _provenance(project: TmpProject, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "doitenv", "provenance", *args], cwd=project.path, capture_output=True, text=True
    )


def _key_mode(project: TmpProject) -> int:
    return stat.S_IMODE((project.path / ".doitenv" / "digest-key").stat().st_mode)


def test_a_step_s_receipts_hold_no_trace_of_its_arguments(new_project: ProjectFactory) -> None:
    """`(upload, [os.environ["API_TOKEN"]])` put the token into .doitenv/receipts/*.json, and
    `doitenv provenance` printed it; so did an argument list or a shell string holding it."""
    project = new_project()
    project.write("dodo.py", STEPS)
    project.write("data.txt", "rows\n")
    project.doit("publish", env={"API_TOKEN": SECRET})
    assert project.read("made-by-shell.txt") == "made"
    for target in ("uploaded.txt", "made-in-venv.txt", "made-by-list.txt", "made-by-shell.txt"):
        text, as_json = _provenance(project, target), _provenance(project, target, "--json")
        assert text.returncode == 0 and as_json.returncode == 0, text.stderr + as_json.stderr
        printed = text.stdout + text.stderr + as_json.stdout + as_json.stderr
        assert not [trace for trace in _traces(SECRET) if trace in printed], printed
    assert not _found_in_state(project, SECRET)
    assert _key_mode(project) == 0o600

    receipt = json.loads(_provenance(project, "uploaded.txt", "--json").stdout)
    names = [action["name"] for action in receipt["actions"]]
    assert names == ["dodo.upload", "python", sys.executable, sys.executable]
    assert all(len(action["arguments"]) == 16 for action in receipt["actions"])
    shown = _provenance(project, "uploaded.txt").stdout
    assert f"  action:      dodo.upload (arguments: keyed digest {receipt['actions'][0]['arguments']})\n" in shown

    # Another token gives other digests: a receipt still tells runs with different arguments apart.
    project.write("data.txt", "more rows\n")
    project.doit("publish", env={"API_TOKEN": "another-token"})
    again = json.loads(_provenance(project, "uploaded.txt", "--json").stdout)
    assert [action["arguments"] for action in again["actions"]] != [a["arguments"] for a in receipt["actions"]]


def test_a_receipt_an_older_doitenv_wrote_loses_its_arguments(new_project: ProjectFactory) -> None:
    """Receipts already on disk held the arguments: provenance printed them as they were."""
    project = new_project()
    project.write("dodo.py", STEPS)
    project.write("data.txt", "rows\n")
    project.doit("publish", env={"API_TOKEN": "another-token"})
    receipts = sorted((project.path / ".doitenv" / "receipts").glob("*.json"))
    (receipts[0].parent / ".arguments-removed").unlink()  # as before this doitenv read them
    for path in receipts:
        old = json.loads(path.read_text())
        del old["actions"]
        old["commands"] = [f"dodo.upload({SECRET!r})", ["python", "-c", "x", SECRET]]
        path.write_text(json.dumps(old))

    text = _provenance(project, "made-by-list.txt")
    assert text.returncode == 0, text.stderr
    assert SECRET not in text.stdout + text.stderr
    said = "  action:      not recorded (an older doitenv wrote this receipt; its arguments were removed)\n"
    assert said in text.stdout
    as_json = _provenance(project, "uploaded.txt", "--json")
    assert SECRET not in as_json.stdout and json.loads(as_json.stdout)["actions"] is None
    assert not _found_in_state(project, SECRET)  # every receipt, not only those read


def test_test_env_values_count_by_keyed_digests(new_project: ProjectFactory) -> None:
    """test-env values were recorded as unkeyed sha256 cut to 16 hex digits: a weak password is
    found from its digest with a dictionary. The words after `--` were recorded as they were."""
    project = new_project(tool='test-env = ["MYAPP_*"]\n')
    project.write(
        "tests/test_more.py", "import os\n\n\ndef test_mode():\n    assert os.environ['MYAPP_PASSWORD'] != 'wrong'\n"
    )
    argument = "test_mode or Zq8arg"
    first = project.doit("test", "--", "-k", argument, env={"MYAPP_PASSWORD": SECRET})
    assert "1 passed" in first.output
    assert not _found_in_state(project, SECRET)
    assert not _found_in_state(project, argument)
    assert _key_mode(project) == 0o600

    cached = project.doit("test", "--", "-k", argument, env={"MYAPP_PASSWORD": SECRET})
    assert "tests passed before and nothing they depend on changed" in cached.output
    changed = project.doit("test", "--", "-k", argument, env={"MYAPP_PASSWORD": "wrong"}, ok=False)
    assert "tests run again: MYAPP_PASSWORD changed" in changed.output and "1 failed" in changed.output
    other = project.doit("test", "--", "-k", "test_answer", env={"MYAPP_PASSWORD": SECRET})
    assert "tests run again: the test command or its arguments changed" in other.output

    # A key made anew cannot match what the last pass recorded: the tests run once, and say why.
    (project.path / ".doitenv" / "digest-key").unlink()
    anew = project.doit("test", "--", "-k", "test_answer", env={"MYAPP_PASSWORD": SECRET})
    said = "tests run again: .doitenv/digest-key was made anew since the last pass, so the test command and"
    [why] = [line for line in anew.output.splitlines() if "tests run again" in line]
    assert said in why and "MYAPP_PASSWORD" not in why, anew.output
    again = project.doit("test", "--", "-k", "test_answer", env={"MYAPP_PASSWORD": SECRET})
    assert "nothing they depend on changed" in again.output

    # The last pass as an older doitenv recorded it: the words after `--` as they were, digests
    # unkeyed. It is not believed, and it goes once it has said why the tests run.
    last_pass = project.path / ".doitenv" / "test.passed.json"
    old = json.loads(last_pass.read_text())
    del old["key"]
    old.update(command=["pytest", "--", "-k", argument], variables={"MYAPP_PASSWORD": files.digest([SECRET])[:16]})
    last_pass.write_text(json.dumps(old))
    project.doit("forget", "test")
    older = project.doit("test", ok=False, env={"MYAPP_PASSWORD": "wrong"})
    said = "tests run again: the last pass was recorded by an older doitenv, whose digests were not keyed, so the"
    [why] = [line for line in older.output.splitlines() if "tests run again" in line]
    assert said in why and "MYAPP_PASSWORD" not in why, older.output
    assert not _found_in_state(project, argument) and not _found_in_state(project, SECRET)


def test_a_key_others_could_read_is_replaced_and_a_broken_one_is_one_line(new_project: ProjectFactory) -> None:
    project = new_project()
    project.doit("test")
    key = project.path / ".doitenv" / "digest-key"
    before = key.read_bytes()
    if os.name != "nt":  # there the mode means nothing: the key is as private as the folder
        key.chmod(0o644)
        replaced = project.doit("test")
        said = "doitenv: .doitenv/digest-key was readable by others (mode 0644), so it keyed nothing secret"
        assert said in replaced.output and "tests run again" in replaced.output
        assert key.read_bytes() != before and _key_mode(project) == 0o600

    key.write_text("not a key\n")
    broken = project.doit("test", ok=False)
    said = ".doitenv/digest-key: it holds no key doitenv made (64 hex digits): delete it for a new key"
    assert said in broken.output and "Traceback" not in broken.output, broken.output
    key.unlink()
    key.mkdir()  # unreadable, even for root
    unreadable = project.doit("test", ok=False)
    said = ".doitenv/digest-key: cannot read it (Is a directory): it keys doitenv's digests of environment values"
    assert said in unreadable.output and "Traceback" not in unreadable.output, unreadable.output
