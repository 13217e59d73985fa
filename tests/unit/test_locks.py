from __future__ import annotations

import os
from pathlib import Path

import pytest

from doitenv import locks, resolvers
from doitenv.resolvers import LockShape

PY311 = LockShape("3.11", hashes=False)
PY312 = LockShape("3.12", hashes=False)


def files(tmp_path: Path, **contents: str) -> Path:
    for name, text in contents.items():
        (tmp_path / name.replace("__", ".")).write_text(text)
    return tmp_path


def test_includes_understands_every_spelling(tmp_path: Path) -> None:
    text = "-r a.txt\n-rb.txt\n--requirement=c.txt\n--constraint d.txt  # why\n-c e.txt\nrequests\n-e .\n"
    root = files(tmp_path, x__in=text)
    assert list(locks.includes(root / "x.in")) == [
        ("-r", root / "a.txt"),
        ("-r", root / "b.txt"),
        ("-r", root / "c.txt"),
        ("-c", root / "d.txt"),
        ("-c", root / "e.txt"),
    ]


def test_inputs_follow_includes_transitively_and_survive_cycles(tmp_path: Path) -> None:
    root = files(tmp_path, a__in="-r b.in\n", b__in="-c a.in\n-r missing.in\n")
    assert locks.inputs(root, "a.in") == [root / "a.in", root / "b.in", root / "missing.in"]


def test_digest_follows_content_not_mtime(tmp_path: Path) -> None:
    root = files(tmp_path, requirements__in="alpha\n")
    before = locks.inputs_digest(root, "requirements.in", PY311)
    os.utime(root / "requirements.in", (1, 1))
    assert locks.inputs_digest(root, "requirements.in", PY311) == before
    assert locks.inputs_digest(root, "requirements.in", PY312) != before
    (root / "requirements.in").write_text("alpha\nbeta\n")
    assert locks.inputs_digest(root, "requirements.in", PY311) != before


def test_an_included_lock_counts_by_its_pins_not_its_comments(tmp_path: Path) -> None:
    root = files(tmp_path, dev__in="-r requirements.txt\n", requirements__txt=f"{locks.HEADER}aaa\nalpha==1.0\n")
    before = locks.inputs_digest(root, "dev.in", PY311)
    (root / "requirements.txt").write_text(f"{locks.HEADER}bbb\n\nalpha==1.0  # via -r requirements.in\n# more\n")
    assert locks.inputs_digest(root, "dev.in", PY311) == before
    (root / "requirements.txt").write_text(f"{locks.HEADER}bbb\nalpha==2.0\n")
    assert locks.inputs_digest(root, "dev.in", PY311) != before


def test_a_lock_is_fresh_only_with_the_matching_header(tmp_path: Path) -> None:
    root = files(tmp_path, requirements__in="alpha\n")
    assert not locks.is_fresh(root, "requirements.in", "requirements.txt", PY311)  # no lock at all
    digest = locks.inputs_digest(root, "requirements.in", PY311)
    body = "alpha==1.0\n    # via -r requirements.in\n"
    lock = root / "requirements.txt"
    lock.write_text(locks.header_line(digest, locks.body_digest(body), "3.11") + body)
    assert locks.is_fresh(root, "requirements.in", "requirements.txt", PY311)
    assert not locks.is_fresh(root, "requirements.in", "requirements.txt", PY312)
    # A lock of an older doitenv: its first line covers the inputs only, so it is pinned again once.
    lock.write_text(f"{locks.HEADER}{digest} python=3.11\n{body}")
    why = locks.why_stale(root, "requirements.in", "requirements.txt", PY311)
    assert why is not None and "older doitenv" in why


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
    digest = locks.inputs_digest(root, "requirements.in", PY311)
    body = "alpha==1.0\n    # via -r requirements.in\ngamma==3.0 \\\n    --hash=sha256:cc\n"
    lock = root / "requirements.txt"
    lock.write_text(locks.header_line(digest, locks.body_digest(body), "3.11") + body)
    assert locks.why_stale(root, "requirements.in", "requirements.txt", PY311) is None
    assert not locks.edited_by_hand(lock)
    header = lock.read_text().splitlines(keepends=True)[0]
    assert callable(edit)
    lock.write_text(header + edit(body))
    assert locks.edited_by_hand(lock)
    why = locks.why_stale(root, "requirements.in", "requirements.txt", PY311)
    assert why == "requirements.txt was edited by hand: its pins are not the ones doitenv wrote from its inputs"


def test_comments_and_layout_are_not_edits(tmp_path: Path) -> None:
    body = "alpha==1.0 \\\n    --hash=sha256:aa\n    # via -r requirements.in\n"
    assert locks.body_digest(body) == locks.body_digest("# a note\n" + body.replace("    # via", "# via x"))
    assert locks.body_digest(body) != locks.body_digest(body.replace("aa", "ab"))


def test_check_inputs_names_the_file_and_the_fix(tmp_path: Path) -> None:
    root = files(tmp_path, dev__in="pytest\n")
    with pytest.raises(locks.LockError, match="req.in is missing: create it"):
        locks.check_inputs(root, "req.in", None)
    with pytest.raises(locks.LockError, match="add the line '-r requirements.txt'"):
        locks.check_inputs(root, "dev.in", "requirements.txt")
    (root / "dev.in").write_text("-r requirements.txt\npytest\n")
    locks.check_inputs(root, "dev.in", "requirements.txt")


def test_the_digest_of_a_fixed_input_never_moves(tmp_path: Path) -> None:
    """Every user's committed locks carry this digest: a change to how it is computed
    re-resolves all of them. Change this value only on purpose, and say so in the release."""
    root = files(tmp_path, requirements__in="# pinned\nalpha>=1\n-r base.in\n", base__in="beta\n")
    digest = locks.inputs_digest(root, "requirements.in", PY311)
    assert digest == "2f6e479c7082029c1e31b99c3e53bfe1a3292fab31f9f73322a20335a88cabba"
    universal = LockShape("universal>=3.9", hashes=False, universal_from="3.9")
    assert locks.inputs_digest(root, "requirements.in", universal) != digest
    assert locks.inputs_digest(root, "requirements.in", LockShape("3.11", hashes=True)) != digest


@pytest.mark.parametrize("resolver", [resolvers.PipCompile, resolvers.UvCompile])
def test_a_changed_lock_shaping_flag_changes_every_digest(
    tmp_path: Path, resolver: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The flags a resolver is run with are the flags the digest covers: no lock stays fresh
    for flags it was not pinned with, whichever backend made it."""
    root = files(tmp_path, requirements__in="alpha\n")
    before = locks.inputs_digest(root, "requirements.in", PY311)
    original = resolver.shaping_flags
    monkeypatch.setattr(resolver, "shaping_flags", staticmethod(lambda shape: original(shape)[1:]))
    assert locks.inputs_digest(root, "requirements.in", PY311) != before
