from __future__ import annotations

import os
from pathlib import Path

import pytest

from doitenv import locks, reqfile
from doitenv.backends import registry
from doitenv.locks import LockShape

PY311 = LockShape("3.11", hashes=False)
PY312 = LockShape("3.12", hashes=False)


def files(tmp_path: Path, **contents: str) -> Path:
    for name, text in contents.items():
        (tmp_path / name.replace("__", ".")).write_text(text)
    return tmp_path


def test_includes_understands_every_spelling(tmp_path: Path) -> None:
    text = "-r a.txt\n-rb.txt\n--requirement=c.txt\n--constraint d.txt  # why\n-c e.txt\nrequests\n-e .\n"
    root = files(tmp_path, x__in=text)
    assert reqfile.includes(root / "x.in", text) == [
        ("-r", root / "a.txt"),
        ("-r", root / "b.txt"),
        ("-r", root / "c.txt"),
        ("-c", root / "d.txt"),
        ("-c", root / "e.txt"),
    ]


def test_inputs_follow_includes_transitively_and_survive_cycles(tmp_path: Path) -> None:
    root = files(tmp_path, a__in="-r b.in\n", b__in="-c a.in\n-r missing.in\n")
    assert list(locks.read_inputs(root, "a.in").paths) == [root / "a.in", root / "b.in", root / "missing.in"]


def test_digest_follows_content_not_mtime(tmp_path: Path) -> None:
    root = files(tmp_path, requirements__in="alpha\n")
    before = locks.read_inputs(root, "requirements.in").digest(PY311)
    os.utime(root / "requirements.in", (1, 1))
    assert locks.read_inputs(root, "requirements.in").digest(PY311) == before
    assert locks.read_inputs(root, "requirements.in").digest(PY312) != before
    (root / "requirements.in").write_text("alpha\nbeta\n")
    assert locks.read_inputs(root, "requirements.in").digest(PY311) != before


def test_an_included_lock_counts_by_its_pins_not_its_comments(tmp_path: Path) -> None:
    root = files(tmp_path, dev__in="-r requirements.txt\n", requirements__txt=f"{locks.HEADER}aaa\nalpha==1.0\n")
    before = locks.read_inputs(root, "dev.in").digest(PY311)
    (root / "requirements.txt").write_text(f"{locks.HEADER}bbb\n\nalpha==1.0  # via -r requirements.in\n# more\n")
    assert locks.read_inputs(root, "dev.in").digest(PY311) == before
    (root / "requirements.txt").write_text(f"{locks.HEADER}bbb\nalpha==2.0\n")
    assert locks.read_inputs(root, "dev.in").digest(PY311) != before


def test_a_lock_is_fresh_only_with_the_matching_header(tmp_path: Path) -> None:
    root = files(tmp_path, requirements__in="alpha\n")
    assert not locks.is_fresh("requirements.txt", locks.read_inputs(root, "requirements.in"), PY311)  # no lock at all
    digest = locks.read_inputs(root, "requirements.in").digest(PY311)
    body = "alpha==1.0\n    # via -r requirements.in\n"
    lock = root / "requirements.txt"
    lock.write_text(locks.header_line(digest, locks.body_digest(body), PY311) + body)
    assert locks.is_fresh("requirements.txt", locks.read_inputs(root, "requirements.in"), PY311)
    assert not locks.is_fresh("requirements.txt", locks.read_inputs(root, "requirements.in"), PY312)
    # A lock of an older doitenv: its first line covers the inputs only, so it is pinned again once.
    lock.write_text(f"{locks.HEADER}{digest} python=3.11\n{body}")
    why = locks.why_stale("requirements.txt", locks.read_inputs(root, "requirements.in"), PY311)
    assert why is not None and "older doitenv" in why
    # One of the lock format before this one: the same digests, another recipe.
    lock.write_text(f"{locks.HEADER}{digest} body={locks.body_digest(body)} python=3.11\n{body}")
    why = locks.why_stale("requirements.txt", locks.read_inputs(root, "requirements.in"), PY311)
    assert (
        why
        == "requirements.txt was written by an older doitenv, whose first line is made another way (only it changes)"
    )


@pytest.mark.parametrize(
    "edit",
    [
        lambda body: body.replace("alpha==1.0", "alpha==0.9"),  # a pin moved by hand
        lambda body: body + "beta==2.0\n",  # a package added
        lambda body: body.replace("gamma==3.0 \\\n    --hash=sha256:cc\n", ""),  # one deleted
        lambda body: body.replace("sha256:cc", "sha256:dd"),  # a hash replaced
        lambda body: body.replace("alpha==1.0", "alpha==1.0 ; python_version < '3.12'"),  # a marker
        lambda body: "--index-url https://example.invalid/simple\n" + body,  # an option
    ],
)
def test_a_lock_edited_by_hand_is_stale_and_says_so(tmp_path: Path, edit: object) -> None:
    root = files(tmp_path, requirements__in="alpha\ngamma\n")
    digest = locks.read_inputs(root, "requirements.in").digest(PY311)
    body = "alpha==1.0\n    # via -r requirements.in\ngamma==3.0 \\\n    --hash=sha256:cc\n"
    lock = root / "requirements.txt"
    lock.write_text(locks.header_line(digest, locks.body_digest(body), PY311) + body)
    assert locks.why_stale("requirements.txt", locks.read_inputs(root, "requirements.in"), PY311) is None
    assert not locks.edited_by_hand(lock)
    header = lock.read_text().splitlines(keepends=True)[0]
    assert callable(edit)
    lock.write_text(header + edit(body))
    assert locks.edited_by_hand(lock)
    why = locks.why_stale("requirements.txt", locks.read_inputs(root, "requirements.in"), PY311)
    assert why == "requirements.txt was edited by hand: its pins are not the ones doitenv wrote from its inputs"


def test_comments_and_layout_are_not_edits(tmp_path: Path) -> None:
    body = "alpha==1.0 \\\n    --hash=sha256:aa\n    # via -r requirements.in\n"
    assert locks.body_digest(body) == locks.body_digest("# a note\n" + body.replace("    # via", "# via x"))
    assert locks.body_digest(body) != locks.body_digest(body.replace("aa", "ab"))


def test_check_inputs_names_the_file_and_the_fix(tmp_path: Path) -> None:
    root = files(tmp_path, dev__in="pytest\n")
    with pytest.raises(locks.LockError, match="req.in is missing: create it"):
        locks.check_inputs(locks.read_inputs(root, "req.in"), None, layered=True)
    with pytest.raises(
        locks.LockError, match="extra/dev.in is missing: create it with the line '-r ../requirements.txt'"
    ):
        locks.check_inputs(locks.read_inputs(root, "extra/dev.in"), "requirements.txt", layered=False)
    with pytest.raises(locks.LockError, match="add the line '-r requirements.txt'"):
        locks.check_inputs(locks.read_inputs(root, "dev.in"), "requirements.txt", layered=False)
    (root / "dev.in").write_text("-r requirements.txt\npytest\n")
    locks.check_inputs(locks.read_inputs(root, "dev.in"), "requirements.txt", layered=True)


def test_the_digest_of_a_fixed_input_never_moves(tmp_path: Path) -> None:
    """Every user's committed locks carry this digest: a change to how it is computed
    re-resolves all of them. Change this value only on purpose, and say so in the release."""
    root = files(tmp_path, requirements__in="# pinned\nalpha>=1\n-r base.in\n", base__in="beta\n")
    digest = locks.read_inputs(root, "requirements.in").digest(PY311)
    assert digest == "f099ec4375595dc4fdcfc498d3e5d0c8af1b3bf3f032c27fce99a4f78a3ba433"
    universal = LockShape(">=3.9", hashes=False, universal=True, universal_from="3.9")
    # Committed universal locks say `universal>=3.9` in their digest: that field is no longer one string.
    universal_digest = "773265719cda99c87b251a40db03f48434204d41c299d374d1a69520c6f7bd25"
    assert locks.read_inputs(root, "requirements.in").digest(universal) == universal_digest
    assert locks.read_inputs(root, "requirements.in").digest(LockShape("3.11", hashes=True)) != digest


# What each backend's flags made locks hold, by lock format. A flag changed without a new
# format here would leave every committed lock "fresh" for flags it was not pinned with.
SHAPING_FLAGS = {
    "5": {
        ("pip-tools", False): "--no-emit-index-url --no-emit-find-links --no-emit-trusted-host --strip-extras "
        "--allow-unsafe",
        ("pip-tools", True): "--generate-hashes --no-emit-index-url --no-emit-find-links --no-emit-trusted-host "
        "--strip-extras --allow-unsafe",
        ("uv", False): "--strip-extras",
        ("uv", True): "--generate-hashes --strip-extras",
    },
}


@pytest.mark.parametrize("name", list(registry.REGISTRY))
@pytest.mark.parametrize("hashes", [False, True])
def test_a_backends_lock_shaping_flags_change_only_with_the_lock_format(name: str, hashes: bool) -> None:
    flags = registry.REGISTRY[name].shaping_flags(LockShape("3.11", hashes=hashes))
    pinned = SHAPING_FLAGS.get(locks.LOCK_FORMAT, {})
    assert " ".join(flags) == pinned.get((name, hashes)), (
        f"{name}'s flags change what its locks hold: bump locks.LOCK_FORMAT and add its flags here"
    )


def test_the_digest_names_no_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A backend added to doitenv re-pins no lock (the digest covered every resolver's flags)."""
    root = files(tmp_path, requirements__in="alpha\n")
    before = locks.read_inputs(root, "requirements.in").digest(PY311)
    monkeypatch.setitem(registry.REGISTRY, "pip-lock", registry.REGISTRY["pip-tools"])
    assert locks.read_inputs(root, "requirements.in").digest(PY311) == before


@pytest.mark.parametrize(
    "shape",
    [
        LockShape("3.11", hashes=False),
        LockShape(">=3.9", hashes=True, universal=True, universal_from="3.9", allow_unsafe=False, as_of="2024-01-02"),
    ],
)
def test_a_header_reads_back_the_shape_it_was_written_for(tmp_path: Path, shape: LockShape) -> None:
    lock = tmp_path / "requirements.txt"
    lock.write_text(locks.header_line("d", "b", shape, "uv==1") + "alpha==1.0\n")
    # A universal lock's first line keeps the spelling every committed one has.
    assert (" python=universal>=3.9 " in lock.read_text()) == shape.universal
    wrote = locks.Header("d", "b", shape.python, locks.LOCK_FORMAT, shape.allow_unsafe, True, "uv==1", shape.universal)
    assert locks.recorded(lock) == wrote


@pytest.mark.parametrize("first", ["", "# autogenerated by pip-compile with Python 3.11\n", "# doitenv: inputs=\n"])
def test_a_first_line_doitenv_did_not_write_whole_is_no_header(tmp_path: Path, first: str) -> None:
    """A header cut short to `# doitenv: inputs=` was a traceback from every task that read it."""
    lock = tmp_path / "requirements.txt"
    lock.write_text(first + "alpha==1.0\n")
    assert locks.recorded(lock) is None
    inputs = locks.read_inputs(tmp_path, "requirements.in")
    assert locks.why_stale("requirements.txt", inputs, PY311) == "requirements.txt was not written by doitenv"


def test_an_older_header_reads_with_what_it_did_not_record_left_out(tmp_path: Path) -> None:
    lock = tmp_path / "requirements.txt"
    lock.write_text("# doitenv: inputs=abc python=3.9\nalpha==1.0\n")
    assert locks.recorded(lock) == locks.Header("abc", None, "3.9", "")


def test_what_a_lock_is_for_reads_as_a_user_says_it() -> None:
    """`doit check` names it when a lock is stale: a universal lock's range, never `universal>=3.9`."""
    assert PY311.target == "Python 3.11"
    assert LockShape(">=3.9", hashes=False, universal=True, universal_from="3.9").target == (
        "every Python >=3.9 and platform"
    )
