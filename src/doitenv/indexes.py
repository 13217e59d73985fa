"""What doitenv says about the package indexes a project names: an index that refused the
credentials (401, 403), named as such where the resolver only says "Could not find a version",
and the risks of an extra index and of plain http, said once when a lock is pinned.

uv names a refusal in its hint. pip says it at its debug level only (pip 26: a 403 never shows,
a 401 not under pip-compile's --quiet; its log file, PIP_LOG, has it, but writing every debug
line made a sync up to twice as slow), so when pip found nothing, doitenv asks each index whose
URL carries credentials once itself, as pip asked it. Neither tool ever waits for input: the
commands run with no stdin (runner.run), so pip's prompt for a user name ends at once, and says
which host asked.
"""

from __future__ import annotations

import base64
import ipaddress
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import unquote, urlsplit, urlunsplit
from urllib.request import Request, urlopen

from doitenv import caches, files, reqfile, runner

_PHRASE = {"401": "401 Unauthorized", "403": "403 Forbidden"}


def ignored(
    said: runner.ToolFailure, options: Sequence[reqfile.IndexOption], texts: Mapping[Path, str], root: Path
) -> str | None:
    """The line that says pip found nothing because it ignored an index over plain http that no
    --trusted-host names (pip says so in a WARNING that pip-compile's --quiet drops), with the fix;
    None otherwise. uv asks such an index, and words its failure otherwise."""
    if not said.found_nothing:
        return None
    trusted = {urlsplit(f"//{option.value}").hostname for option in options if option.flag == "--trusted-host"}
    for option in options:
        value = option.value
        if option.flag == "--trusted-host" or not value.lower().startswith("http://") or _loopback(_host(value)):
            continue
        host = urlsplit(value).hostname or ""
        if host not in trusted:
            return (
                f"pip ignored the package index at {host} ({_where(option, texts, root)}): it is plain http, and no "
                f"--trusted-host names it: use https://, or, for an index you trust, add `--trusted-host {host}`"
            )
    return None


def refused(
    said: runner.ToolFailure, options: Sequence[reqfile.IndexOption], texts: Mapping[Path, str], root: Path
) -> str | None:
    """The line that says an index refused the credentials, from a failed pin's or sync's
    output (as its backend read it), with what to check: the variable the project's index option
    names for that host, ~/.netrc, the keyring. None when the output tells of no refusal."""
    found = said.refused
    if found is None and said.found_nothing:
        found = next((each for each in map(_ask, options) if each is not None), None)
    if found is None:
        return None
    host, status = found
    what = f"the package index at {host} refused the credentials ({_PHRASE[status]})"
    # The files the user writes first: a lock repeats their options.
    for option in sorted(options, key=lambda option: option.source not in texts):
        if host in (_host(option.value), _host(reqfile.expand(option.value))) and option.flag != "--trusted-host":
            named = reqfile.ENV_REFERENCE.findall(urlsplit(option.value).netloc.rpartition("@")[0])
            if named:
                shown = ", ".join(named)
                return (
                    f"{what}: check that {shown} (which {_where(option, texts, root)} names as "
                    f"${{{named[-1]}}}) holds a valid token for it, or its entry in ~/.netrc or the keyring"
                )
    return (
        f"{what}: give it credentials as an environment reference in the index URL "
        f"(https://${{TOKEN}}@{host}/…), or check its entry in ~/.netrc or the keyring"
    )


def _ask(option: reqfile.IndexOption) -> tuple[str, str] | None:
    """(host, status) when the index or find-links URL `option` names answers 401 or 403 to the
    credentials in it (as pip sends them: a user part alone with an empty password). A URL without
    credentials is not asked: pip would have prompted for them (backends/piptools.py, _PROMPT)."""
    if option.flag not in ("--index-url", "--extra-index-url", "--find-links"):
        return None
    parts = urlsplit(reqfile.expand(option.value))
    user_part, at, host = parts.netloc.rpartition("@")
    if parts.scheme not in ("http", "https") or not at:
        return None
    user, _, password = user_part.partition(":")
    token = base64.b64encode(f"{unquote(user)}:{unquote(password)}".encode()).decode("ascii")
    url = urlunsplit(parts._replace(netloc=host, path=parts.path.rstrip("/") + "/"))
    try:
        with urlopen(Request(url, headers={"Authorization": f"Basic {token}"}), timeout=10):
            return None
    except HTTPError as answer:
        return (host, str(answer.code)) if answer.code in (401, 403) else None
    except (OSError, ValueError):  # unreachable, or a certificate urllib does not trust: no verdict
        return None


def _host(value: str) -> str:
    return urlsplit(value).netloc.rpartition("@")[2] if reqfile.URL.match(value) else ""


def _where(option: reqfile.IndexOption, texts: Mapping[Path, str], root: Path) -> str:
    """`requirements.in, line 2`: where the option is written."""
    for entry in reqfile.entries(texts.get(option.source, "")):
        if (option.flag, option.value) in entry.options:
            return f"{files.shown(option.source, root)}, line {entry.line.number}"
    return files.shown(option.source, root)


# What this run has warned of: doit runs every pin in one process, and a layer's options reach
# the layers above it (through its lock).
_WARNED: set[str] = set()
caches.for_the_run(_WARNED.clear)


def warnings(options: Sequence[reqfile.IndexOption], texts: Mapping[Path, str], root: Path) -> list[str]:
    """One line for each extra index (dependency confusion) and each index or find-links URL
    over plain http to another machine, the first time this run meets it."""
    found = []
    for option in options:
        where, value = _where(option, texts, root), option.value
        scheme = urlsplit(value).scheme.lower() if reqfile.URL.match(value) else ""
        if option.flag == "--extra-index-url":
            found.append((
                f"{option.flag} {value}",
                f"{where}: --extra-index-url adds a second index to the first: pip takes each package's highest "
                "version from any of them (uv, the first index that has it), so a package of the same name "
                "published on the other index can replace yours (dependency confusion): serve every package from "
                "one index (--index-url), or set hashes = true so that no file of the lock can change unseen",
            ))  # fmt: skip
        if scheme == "http" and option.flag != "--trusted-host" and not _loopback(_host(value)):
            found.append((
                f"http {value}",
                f"{where}: {option.flag} uses plain http, so the packages (and any credential) cross the "
                "network unencrypted, and anyone on the way can change them: use https://",
            ))  # fmt: skip
    said = [line for key, line in found if key not in _WARNED]
    _WARNED.update(key for key, _ in found)
    return said


def _loopback(netloc: str) -> bool:
    """A host on this machine (localhost, 127.0.0.0/8, ::1): what it serves never crosses a network."""
    host = urlsplit(f"//{netloc}").hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
