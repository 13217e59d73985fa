"""What a requirements file asks for, read as pip reads it and judged by doitenv itself.

pip's verdict on a malformed line depends on its version: pip 23.2 took `alpha>=>2` as a legacy
specifier, pip 24.1 and later refuse it. So every requirement line is checked here with
`packaging`, against PEP 508, before any resolver runs: one verdict whatever pip is installed.

The index options a file names (`--index-url`, `--extra-index-url`, `--find-links`,
`--no-index`, `--trusted-host`) are collected here too, to be written into its lock so that a
clone syncs from the same index. Credentials in them may only be environment references
(`https://${TOKEN}@host/simple`), which pip and uv expand and the lock keeps unexpanded.
"""

from __future__ import annotations

import itertools
import os
import re
import shlex
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from doitenv import files

# What pip and uv expand in a requirements file: ${NAME}, upper case, digits and underscores.
ENV_REFERENCE = re.compile(r"\$\{([A-Z0-9_]+)\}")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_COMMENT = re.compile(r"(^|\s+)#.*$")
_OPTION = re.compile(r"^(--[A-Za-z-]+|-[A-Za-z])(?:\s*=\s*|\s+|(?<=^-[A-Za-z]))?(.*)$")
# Short and long spellings of the options that say where packages come from.
INDEX_OPTIONS = {
    "-i": "--index-url",
    "--index-url": "--index-url",
    "--extra-index-url": "--extra-index-url",
    "-f": "--find-links",
    "--find-links": "--find-links",
    "--no-index": "--no-index",
    "--trusted-host": "--trusted-host",
}
_ARCHIVE = (".whl", ".zip", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar")
# Prefixes of the access tokens of GitHub, GitLab, PyPI and npm.
_TOKEN_PREFIXES = ("ghp_", "gho_", "ghs_", "github_pat_", "glpat-", "pypi-", "npm_")


class Line(NamedTuple):
    number: int  # where the line starts in the file
    text: str


def logical_lines(text: str) -> list[Line]:
    """The lines pip reads: continuations joined, comments and blank lines gone."""
    found: list[Line] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not pending:
            start = number
        if raw.endswith("\\") and not raw.lstrip().startswith("#"):
            pending.append(raw[:-1])
            continue
        line = _COMMENT.sub("", " ".join([*pending, raw])).strip()
        pending = []
        if line:
            found.append(Line(start, line))
    return found


class IndexOption(NamedTuple):
    flag: str  # the long spelling
    value: str  # as written ('' for --no-index)
    source: Path  # the file that says it, against whose folder a relative path counts


def index_options(texts: Mapping[Path, str]) -> list[IndexOption]:
    """The index options of files (path: text), in order, each once."""
    found: list[IndexOption] = []
    for path, text in texts.items():
        for line in logical_lines(text):
            option = _index_option(line.text, path)
            if option is not None and option not in found:
                found.append(option)
    return found


def _index_option(text: str, source: Path) -> IndexOption | None:
    match = _OPTION.match(text)
    if not match or match.group(1) not in INDEX_OPTIONS:
        return None
    return IndexOption(INDEX_OPTIONS[match.group(1)], _option_value(match.group(2)), source)


def _option_value(text: str) -> str:
    """An option's value, unquoted as pip's shlex reading does (an unbalanced quote is kept)."""
    try:
        words = shlex.split(text)
    except ValueError:
        words = text.split()
    return words[0] if words else ""


def editable_paths(text: str, root: Path) -> list[Path]:
    """The local folders a requirements file's `-e` lines install (pip reads them from the
    working folder, the project root)."""
    found = []
    for line in logical_lines(text):
        match = _OPTION.match(line.text)
        if match and match.group(1) in ("-e", "--editable"):
            value = _option_value(match.group(2))
            if value.startswith("file:"):
                found.append(_local_path(value, root / "x"))
            elif not _URL.match(value):
                found.append(root / value.split("#", 1)[0])
    return found


def lock_lines(options: Iterable[IndexOption], lock_folder: Path) -> list[str]:
    """The options as a lock in `lock_folder` must say them: local find-links paths relative
    to the lock (pip and uv read them relative to the file that names them)."""
    lines = []
    for option in options:
        value = option.value
        # A value with an environment reference is kept as written: the lock keeps the reference.
        if option.flag == "--find-links" and _is_local(value) and not ENV_REFERENCE.search(value):
            target = _local_path(value, option.source)
            # No leading "./": uv reads `./wheels` as a URL and refuses it.
            value = Path(os.path.relpath(target, lock_folder)).as_posix()
        # Quoted only when it must be: pip reads quotes (shlex), and plain values read anywhere.
        shown = shlex.quote(value) if re.search(r"[\s'\"]", value) else value
        line = f"{option.flag} {shown}" if value else option.flag
        if line not in lines:
            lines.append(line)
    return lines


_PIP_VARIABLES = {
    "--index-url": "PIP_INDEX_URL",
    "--extra-index-url": "PIP_EXTRA_INDEX_URL",
    "--find-links": "PIP_FIND_LINKS",
    "--trusted-host": "PIP_TRUSTED_HOST",
}


def pip_environment(options: Iterable[IndexOption]) -> dict[str, str]:
    """The options as pip's environment, for a pip run that reads no file holding them (the
    build requirements of the project): the file's index replaces this machine's, the rest adds."""
    found: dict[str, str] = {}
    for option in options:
        if option.flag == "--no-index":
            found["PIP_NO_INDEX"] = "1"
            continue
        value = expand(option.value)
        if option.flag == "--find-links" and _is_local(value):
            value = str(_local_path(value, option.source))
        name = _PIP_VARIABLES[option.flag]
        before = found.get(name, "" if option.flag == "--index-url" else os.environ.get(name, ""))
        found[name] = f"{before} {value}".strip()
    return found


def uv_environment(options: Iterable[IndexOption]) -> dict[str, str]:
    """uv lets UV_INDEX_URL (and uv.toml) override a file's --index-url, where pip lets the file
    win: hand uv the file's index the strongest way, so the index the project names wins."""
    index_urls = [option.value for option in options if option.flag == "--index-url"]
    if not index_urls:
        return {}
    # UV_DEFAULT_INDEX is the newer name, and wins over UV_INDEX_URL when both are set.
    return {"UV_INDEX_URL": expand(index_urls[-1]), "UV_DEFAULT_INDEX": expand(index_urls[-1])}


def expand(value: str) -> str:
    return ENV_REFERENCE.sub(lambda match: os.environ.get(match.group(1), match.group(0)), value)


def problems(path: Path, root: Path, text: str, label: str | None = None) -> list[str]:
    """One message per bad line of a requirements file, naming the file (or `label`, for text
    doitenv made from pyproject.toml), the line and the fix. An environment reference that is
    not set is one too: these are read when a lock is compiled or synced, which needs them."""
    found = []
    for line in logical_lines(text):
        where = label or f"{files.shown(path, root)}, line {line.number}"
        problem = _line_problem(line.text, path, root)
        if problem is None:
            problem = _secret_problem(line.text)
        if problem is None:
            unset = [ref for ref in ENV_REFERENCE.findall(line.text) if ref not in os.environ]
            if unset:
                problem = (
                    f"uses ${{{unset[0]}}}, which is not set: set {unset[0]} in the environment "
                    "(the lock keeps the reference, never its value)"
                )
        if problem is not None:
            found.append(f"{where}: {problem}")
    return found


def _line_problem(text: str, source: Path, root: Path) -> str | None:
    if text.startswith("-"):
        option = _index_option(text, source)
        if option is not None and option.flag == "--find-links" and option.value and _is_local(option.value):
            target = os.path.normcase(os.path.realpath(_local_path(option.value, source)))
            project = os.path.normcase(os.path.realpath(root))
            if os.path.commonpath([target, project]) != project:
                return (
                    f"--find-links {option.value} is outside the project, so a clone would not find it: "
                    "move the folder into the project, or serve it from an index"
                )
        return None  # other options: pip and uv judge them, and both refuse unknown ones
    # pip's own split: the requirement, then per-requirement options such as --hash.
    requirement = " ".join(itertools.takewhile(lambda word: not word.startswith("-"), text.split(" "))).strip()
    if _URL.match(requirement) or _looks_like_path(requirement):
        return None  # a bare URL or path: pip reads the name from what it points to
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        parsed = Requirement(requirement)
    except InvalidRequirement as exc:
        reason = str(exc).splitlines()[0]
        name = re.split(r"[^A-Za-z0-9._-]", requirement, maxsplit=1)[0] or "name"
        return f"{requirement!r} is not a valid requirement ({reason}): write it as PEP 508 says, e.g. '{name}>=2'"
    if parsed.url is not None:
        url = urlsplit(parsed.url)
        if not url.scheme or (not url.netloc and url.scheme != "file"):
            return (
                f"{parsed.url!r} is not a URL: write {parsed.name} @ https://host/path "
                f"or {parsed.name} @ file:///absolute/path"
            )
    return None


def _looks_like_path(requirement: str) -> bool:
    """pip reads a line as a path when it has a path separator, starts with a dot or names an
    archive (and a `name @ url` line as a requirement)."""
    if " @ " in requirement or ";" in requirement:
        return False
    return (
        "/" in requirement
        or "\\" in requirement
        or requirement.startswith((".", "~"))
        or requirement.lower().endswith(_ARCHIVE)
    )


def _secret_problem(text: str) -> str | None:
    """A password or token written into a URL would reach the lock, git and every log."""
    for word in re.split(r"[\s=]+", text):
        url = urlsplit(word) if _URL.match(word) else None
        # Over ssh the user part is an account name (git@host), not a secret.
        if url is None or "@" not in url.netloc or not url.scheme.endswith(("http", "https")):
            continue
        netloc = url.netloc
        user, has_password, password = netloc.rsplit("@", 1)[0].partition(":")
        # A lone user part is a token when it looks like one (a keyring user name is not).
        secret = password if has_password else (user if _looks_like_token(user) else "")
        if ENV_REFERENCE.sub("", secret):
            host = netloc.rsplit("@", 1)[1]
            return (
                f"the URL for {host} holds a credential as plain text, which would reach the lock and git: "
                f"write it as an environment reference, https://${{TOKEN}}@{host}/…, and set TOKEN"
            )
    return None


def _looks_like_token(user: str) -> bool:
    return user.startswith(_TOKEN_PREFIXES) or (len(user) >= 20 and any(c.isdigit() for c in user))


def _is_local(value: str) -> bool:
    return not _URL.match(value) or value.startswith("file:")


def _local_path(value: str, source: Path) -> Path:
    if value.startswith("file:"):
        from urllib.request import url2pathname

        return Path(url2pathname(urlsplit(value).path))
    return source.parent / expand(value)
