"""The parts of a sync that need no tool: what to remove after an install, and what a failure says."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from doitenv import localpackages, sync
from doitenv.backends import Backend, Fetched, piptools
from doitenv.backends import uv as uv_backend
from doitenv.venv import Venv

PIP_MISSING_PIN = """\
ERROR: Could not find a version that satisfies the requirement alpha==9.9 (from versions: 1.0)
ERROR: No matching distribution found for alpha==9.9
"""
PIP_BAD_HASH = """\
ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have updated ...
    beta==2.0 from file:///wheels/beta-2.0-py3-none-any.whl (from -r requirements.txt (line 2)):
        Expected sha256 1111
             Got        7ce6
"""


def _dist(site: Path, folder: str, editable_of: Path | None = None) -> None:
    (site / folder).mkdir(parents=True)
    if editable_of is not None:
        url = {"url": editable_of.as_uri(), "dir_info": {"editable": True}}
        (site / folder / "direct_url.json").write_text(json.dumps(url))


def test_what_the_lock_does_not_list_is_removed_and_nothing_else(tmp_path: Path) -> None:
    venv = Venv(tmp_path / "venv")
    site = venv.path / "lib" / "python3.11" / "site-packages"
    root, lib, other = tmp_path / "proj", tmp_path / "lib", tmp_path / "other"
    for folder in (root, lib, other):
        folder.mkdir()
    for name in ("zope.interface-6.0", "typing_extensions-4.12.0", "Foo_Bar-1.0", "pip-26.3", "extra_thing-2.0"):
        _dist(site, f"{name}.dist-info")
    _dist(site, "proj-0.1.dist-info", editable_of=root)
    _dist(site, "lib-0.2.dist-info", editable_of=lib)
    _dist(site, "other-0.3.dist-info", editable_of=other)
    lock = "zope-interface==6.0\ntyping-extensions==4.12.0 \\\n    --hash=sha256:aa\nfoo.bar==1.0\n-e ../lib\n"
    assert piptools._unlisted(venv, lock, root, with_project=True) == ["extra-thing", "other"]
    # prod of a project that is no longer installed editable: its old editable goes too.
    assert piptools._unlisted(venv, lock, root, with_project=False) == ["extra-thing", "other", "proj"]


def _what_failed(output: str, venv: Venv, building: bool, backend: type[Backend] = piptools.PipTools) -> str:
    return sync._what_failed(output, backend.explain_failure(output), venv, building)[0]


def test_a_failure_names_the_package_or_the_project(tmp_path: Path) -> None:
    lock = tmp_path / "requirements.txt"
    lock.write_text("alpha==9.9\nbeta==2.0\n")
    venv = Venv(tmp_path / "venv")
    assert _what_failed(PIP_MISSING_PIN, venv, building=False).startswith("alpha==9.9 is not available")
    assert _what_failed(PIP_BAD_HASH, venv, building=False) == "beta==2.0 does not match its hash"
    # The project's own build names no pin of the lock, whatever its backend printed.
    build = _what_failed(PIP_MISSING_PIN, venv, building=True)
    assert build == "the project's editable install failed to build"
    assert _what_failed("ERROR: something else\n", venv, building=False) == "the install failed"


# uv's words for the same failures, as uv 0.13 prints them.
UV_MISSING_PIN = """\
error: No solution found when resolving dependencies
  cause: Because there is no version of attrs==99.0 and you require attrs==99.0, we can conclude that your \
requirements are unsatisfiable.
"""
UV_BAD_HASH = """\
error: Failed to download `attrs==26.1.0`
  cause: Hash mismatch for `attrs==26.1.0`

         Expected:
           sha256:0000000000000000000000000000000000000000000000000000000000000000
"""
UV_OFFLINE = """\
error: Request failed after 3 retries in 7.6s
  cause: Failed to fetch: http://127.0.0.1:9/simple/delta/
  cause: error sending request for url (http://127.0.0.1:9/simple/delta/)
  cause: client error (Connect)
  cause: tcp connect error
  cause: Connection refused (os error 111)
"""


def test_each_backend_reads_its_own_tool_s_words(tmp_path: Path) -> None:
    uv, pip = uv_backend.Uv, piptools.PipTools
    assert uv.explain_failure(UV_MISSING_PIN).not_found == "attrs==99.0"
    assert uv.explain_failure(UV_BAD_HASH).bad_hash == "attrs==26.1.0"
    assert uv.explain_failure(UV_BAD_HASH).lines[:2] == (
        "error: Failed to download `attrs==26.1.0`",
        "cause: Hash mismatch for `attrs==26.1.0`",
    )
    assert uv.explain_failure(UV_OFFLINE).unreachable == "error sending request"
    assert pip.explain_failure(PIP_MISSING_PIN).not_found == "alpha==9.9"
    assert pip.explain_failure(PIP_BAD_HASH).bad_hash == "beta==2.0"
    # Neither reads the other's words: a pin is named only by the tool that looked for it.
    assert uv.explain_failure(PIP_MISSING_PIN).not_found is None and pip.explain_failure(UV_BAD_HASH).bad_hash is None
    venv = Venv(tmp_path / "venv")
    assert _what_failed(UV_OFFLINE, venv, building=False, backend=uv) == (
        "could not reach the package index (error sending request)"
    )


# pip's lines as it syncs a lock from an index that serves metadata apart (PEP 658): every
# `Collecting` while it resolves, a wheel's metadata only, then each file in turn; an sdist, a
# package from a folder and one the venv holds. (line, what pip has fetched after it)
PIP_FETCHING = [
    ("Collecting alpha==1.0 (from -r requirements.txt (line 1))", set()),
    ("  Downloading alpha-1.0-py3-none-any.whl.metadata (1.2 kB)", set()),
    ("Collecting zope.interface==6.0 (from -r requirements.txt (line 2))", set()),
    ("  Downloading zope.interface-6.0-cp311-cp311-manylinux_2_17_x86_64.whl.metadata (40 kB)", set()),
    ("Requirement already satisfied: beta==2.0 in ./venv/lib/python3.11/site-packages (from -r r.txt) (2.0)", set()),
    ("Collecting oldpin==1.0 (from -r requirements.txt (line 4))", set()),
    ("  Using cached oldpin-1.0.tar.gz (2 kB)", set()),
    ("  Preparing metadata (pyproject.toml): started", set()),
    ("Processing c:\\wheels\\delta-1.0-py3-none-any.whl (from -r requirements.txt (line 5))", {"oldpin"}),
    ("Downloading alpha-1.0-py3-none-any.whl (1.2 kB)", {"oldpin", "delta"}),
    ("Downloading zope.interface-6.0-cp311-cp311-manylinux_2_17_x86_64.whl (247 kB)", {"oldpin", "delta", "alpha"}),
    ("Installing collected packages: zope.interface, oldpin, delta", {"oldpin", "delta", "alpha", "zope-interface"}),
]


def test_pip_s_output_says_which_packages_it_has_fetched_each_once_it_goes_on_past_it() -> None:
    """The heartbeat counts them while pip fetches (it installs nothing until all are there)."""
    fetched = Fetched()
    reads = piptools._PipFetches(fetched)
    for line, expected in PIP_FETCHING:
        reads(line + "\n")
        assert fetched.names() == expected, line


def test_a_local_package_s_digest_moves_with_its_source_and_nothing_else(tmp_path: Path) -> None:
    """`.` (the project itself) or `./libs/pkg` installed without -e: an edit to its code moves the
    digest; what tools write inside it on every run (a venv, .doitenv/, caches) does not."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "code.py").write_text("A = 1\n")
    lock = "./pkg\n.\n-e ./other\nalpha==1.0\n"
    first = localpackages.digests(lock, tmp_path)
    assert set(first) == {"./pkg", "."}
    for noise in ("venv/lib/x.py", ".doitenv/doit.sqlite3", "pkg/.pytest_cache/v", "pkg/__pycache__/c.pyc"):
        (tmp_path / noise).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / noise).write_text("changes on every run")
    (tmp_path / "venv" / "pyvenv.cfg").write_text("home = /usr\n")
    (tmp_path / "env2").mkdir()
    (tmp_path / "env2" / "pyvenv.cfg").write_text("home = /usr\n")
    assert localpackages.digests(lock, tmp_path) == first
    assert localpackages.changed(first, first) == []
    (tmp_path / "pkg" / "code.py").write_text("A = 2\n")
    now = localpackages.digests(lock, tmp_path)
    assert localpackages.changed(first, now) == ["./pkg", "."]
    assert localpackages.changed(None, now) == ["./pkg", "."]
    assert localpackages.digests("alpha==1.0\n", tmp_path) == {}


def _synced_venv(tmp_path: Path, installed: list[str]) -> tuple[Venv, Path]:
    """A project folder with a lock and a venv whose site-packages hold `installed`."""
    venv = Venv(tmp_path / "venv")
    site = venv.path / "lib" / "python3.11" / "site-packages"
    for folder in installed:
        _dist(site, folder)
    lock = tmp_path / "requirements.txt"
    lock.write_text("alpha==1.0\n")
    return venv, lock


def test_the_sync_record_reads_back_what_a_sync_wrote(tmp_path: Path) -> None:
    venv, lock = _synced_venv(tmp_path, ["alpha-1.0.dist-info"])
    _record_sync(venv, lock, None, tmp_path)
    record = sync.SyncRecord(**{**vars(sync.wanted_state(lock, None, tmp_path)), "installed": tuple(venv.installed())})
    assert sync.read_record(venv) == record
    assert sync.held_lock(venv) == "requirements.txt"
    assert sync.why_unsynced(venv, lock, None, tmp_path) is None
    lock.write_text("alpha==2.0\n")
    assert sync.why_unsynced(venv, lock, None, tmp_path) == "requirements.txt changed since the last sync"


def test_an_older_doitenv_s_sync_record_is_read_and_judged_as_before(tmp_path: Path) -> None:
    venv, lock = _synced_venv(tmp_path, ["alpha-1.0.dist-info"])
    (venv.path / sync._SYNCED).write_text(json.dumps({"lock": "requirements.txt", "installed": venv.installed()}))
    record = sync.read_record(venv)
    assert record is not None and record.folder is None and record.local_packages is None
    assert "synced by an older doitenv" in (sync.why_unsynced(venv, lock, None, tmp_path) or "")


@pytest.mark.parametrize("damaged", ["[]", '"requirements.txt"', '{"lock": 3}', '{"installed": "alpha"}', "{"])
def test_a_damaged_sync_record_is_no_record(tmp_path: Path, damaged: str) -> None:
    """A record that is no JSON object was a traceback (`'list' object has no attribute 'get'`)."""
    venv, lock = _synced_venv(tmp_path, ["alpha-1.0.dist-info"])
    (venv.path / sync._SYNCED).write_text(damaged)
    assert "is not synced to any lock yet" in (sync.why_unsynced(venv, lock, None, tmp_path) or "")
    assert sync.read_record(venv) is None and sync.held_lock(venv) is None


def _record_sync(venv: Venv, lock: Path, build_inputs: dict[str, object] | None, root: Path) -> None:
    """The record a sync of `lock` into `venv` writes once it is done."""
    wanted = sync.wanted_state(lock, build_inputs, root)
    record = sync.SyncRecord(**{**vars(wanted), "installed": tuple(venv.installed())})
    (venv.path / sync._SYNCED).write_text(json.dumps(record.to_json()))


def test_every_way_a_venv_leaves_its_lock_is_told_apart(tmp_path: Path) -> None:
    """why_unsynced, each reason on its own: what `doit dev` syncs for and `doit check` reports."""
    venv, lock = _synced_venv(tmp_path, ["alpha-1.0.dist-info"])
    assert sync.why_unsynced(venv, lock, None, tmp_path) == (
        "venv/ is not synced to any lock yet, or its last sync did not finish"
    )
    (tmp_path / "libs" / "tool").mkdir(parents=True)
    (tmp_path / "libs" / "tool" / "tool.py").write_text("A = 1\n")
    lock.write_text("alpha==1.0\n./libs/tool\n")
    inputs = {"project": {"name": "demo", "dependencies": ["alpha"]}}
    _record_sync(venv, lock, inputs, tmp_path)
    assert sync.why_unsynced(venv, lock, inputs, tmp_path) is None

    # Another lock of the project.
    dev = tmp_path / "requirements-dev.txt"
    dev.write_text("alpha==1.0\n")
    assert sync.why_unsynced(venv, dev, inputs, tmp_path) == "venv/ holds requirements.txt, not requirements-dev.txt"
    # The project's metadata (what its editable install is built from).
    moved = {"project": {"name": "demo", "dependencies": ["alpha", "beta"]}}
    assert sync.why_unsynced(venv, lock, moved, tmp_path) == (
        "the project's metadata (pyproject.toml, setup.py or setup.cfg) changed since the last sync"
    )
    # A local folder the lock installs without -e: pip and uv keep the version they have.
    (tmp_path / "libs" / "tool" / "tool.py").write_text("A = 22\n")
    assert sync.why_unsynced(venv, lock, inputs, tmp_path) == (
        "./libs/tool, which requirements.txt installs (not editable), changed since the last sync"
    )
    _record_sync(venv, lock, inputs, tmp_path)
    # A package installed by hand.
    _dist(venv.path / "lib" / "python3.11" / "site-packages", "extra-1.0.dist-info")
    assert sync.why_unsynced(venv, lock, inputs, tmp_path) == "packages in venv/ were installed or removed by hand"
    _record_sync(venv, lock, inputs, tmp_path)
    # The lock itself.
    lock.write_text("alpha==2.0\n./libs/tool\n")
    assert sync.why_unsynced(venv, lock, inputs, tmp_path) == "requirements.txt changed since the last sync"


def test_a_venv_carried_along_with_a_copy_of_the_project_is_not_in_step(tmp_path: Path) -> None:
    """A copied project carries its venv and record; the record names the folder it was synced in."""
    venv, lock = _synced_venv(tmp_path / "first", ["alpha-1.0.dist-info"])
    _record_sync(venv, lock, None, tmp_path / "first")
    shutil.copytree(tmp_path / "first", tmp_path / "copy", symlinks=True)
    copied = Venv(tmp_path / "copy" / "venv")
    reason = sync.why_unsynced(copied, tmp_path / "copy" / "requirements.txt", None, tmp_path / "copy")
    first = os.path.realpath(tmp_path / "first")
    assert reason == f"venv/ was synced to the locks in {first}, not this copy of the project"
