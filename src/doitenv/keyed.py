"""Digests of values from the user's environment, keyed with a secret of the project's.

A variable named in `test-env`, the arguments of a step's action, the words after `--` of a test
run: doitenv records that they changed, never what they are. A plain sha256 of such a value is
no secret: a weak password is found from it with a dictionary. So each is an HMAC-SHA256 under a
random key kept in `.doitenv/digest-key`, made once per project (mode 0600 from its first byte),
never committed (`.doitenv/` ignores itself) and never shown. A new clone makes a new key,
so what was recorded under another key cannot match: the tests run once more, and say why.

On Windows the file mode means nothing: the key is as private as the project's folder.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
import time
from collections.abc import Iterable
from pathlib import Path

from doitenv import output
from doitenv.errors import Failure

KEY_FILE = "digest-key"
_HEX_LENGTH = 64  # 32 random bytes


class KeyProblem(Failure):
    """The key file cannot be read, or holds no key doitenv made; the message says the fix."""


def digest(state_dir: Path, parts: Iterable[bytes | str]) -> str:
    """HMAC-SHA256 of `parts` under the project's key, each length-prefixed so that no two
    sequences collide; 16 hex digits, enough to tell a change."""
    mac = hmac.new(key(state_dir), digestmod=hashlib.sha256)
    for part in parts:
        data = part.encode("utf-8", "surrogateescape") if isinstance(part, str) else part
        mac.update(len(data).to_bytes(8, "big"))
        mac.update(data)
    return mac.hexdigest()[:16]


def key_id(state_dir: Path) -> str:
    """Names the key without giving it away: records made under another key cannot match."""
    return digest(state_dir, ["doitenv key id"])


def key(state_dir: Path) -> bytes:
    """The project's key, made the first time it is asked for."""
    path = state_dir / KEY_FILE
    shown = f"{state_dir.name}/{KEY_FILE}"
    for _ in range(40):
        try:
            with open(path, "rb") as handle:
                opened = os.fstat(handle.fileno())
                mode = stat.S_IMODE(opened.st_mode)
                text = handle.read(_HEX_LENGTH + 2)
        except FileNotFoundError:
            try:
                _make(state_dir, path)
            except OSError as exc:
                raise KeyProblem(f"{shown}: cannot make it ({exc.strerror}): make {state_dir.name}/ writable") from None
            continue
        except OSError as exc:
            raise KeyProblem(
                f"{shown}: cannot read it ({exc.strerror}): it keys doitenv's digests of environment values; make it "
                "readable by you, or delete it for a new key (the tests then run once more)"
            ) from None
        if os.name != "nt" and mode & 0o077:
            # Others could read it, so it is no secret now: chmod would not take that back.
            output.warn(
                f"{shown} was readable by others (mode {mode:04o}), so it keyed nothing secret: "
                "made a new one (the tests run once more)",
            )
            try:
                if os.stat(path).st_ino == opened.st_ino:  # not the new key another run made meanwhile
                    path.unlink()
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise KeyProblem(
                    f"{shown}: readable by others and cannot be replaced ({exc.strerror}): delete it"
                ) from None
            continue
        found = text.strip()
        if len(found) == _HEX_LENGTH and all(c in "0123456789abcdef" for c in found.decode("ascii", "replace")):
            return bytes.fromhex(found.decode("ascii"))
        time.sleep(0.05)  # another doit may be writing it this very moment: its 65 bytes come at once
    raise KeyProblem(
        f"{shown}: it holds no key doitenv made ({_HEX_LENGTH} hex digits): delete it for a new key "
        "(the tests then run once more)"
    )


def _make(state_dir: Path, path: Path) -> None:
    """Write a new key where there is none: O_EXCL, so two doit runs never both write one, and
    mode 0600 from the start, so no moment exists when another user could read it."""
    state_dir.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        return  # another run made it first: its key is the project's
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_hex(_HEX_LENGTH // 2).encode("ascii") + b"\n")
    except BaseException:
        path.unlink()  # half a key (a full disk) would be taken for a broken one on every run
        raise
