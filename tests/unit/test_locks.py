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
    (root / "requirements.txt").write_text(f"{locks.HEADER}{digest}\nalpha==1.0\n")
    assert locks.is_fresh(root, "requirements.in", "requirements.txt", PY311)
    assert not locks.is_fresh(root, "requirements.in", "requirements.txt", PY312)


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
    assert digest == "c17f3153e586aab0a6a870f1c2f53dab6e386e8a676b320df5f3f836db0c3e3c"
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
