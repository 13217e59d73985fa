"""What doitenv refuses in a requirements file before any resolver or installer reads it: a
line that is no PEP 508 requirement, a local folder outside the project, a credential written
as plain text, an environment reference that is not set. Each is one message naming the file,
the line and the fix. The lines are read by reqfile.py, as pip reads them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from doitenv import files
from doitenv.reqfile import ENV_REFERENCE, URL, Entry, conflict_sides, entries, is_local, local_path

_ARCHIVE = (".whl", ".zip", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar")
# Prefixes of the access tokens of GitHub, GitLab, PyPI, npm and JFrog.
_TOKEN_PREFIXES = ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "gldt-", "pypi-", "npm_", "AKCp")


def problems(path: Path, root: Path, text: str, label: str | None = None, *, environment: bool = True) -> list[str]:
    """One message per bad line of a requirements file, naming the file (or `label`, for text
    doitenv made from pyproject.toml), the line and the fix. With `environment`, an environment
    reference that is not set is one too: these are read when a lock is compiled or synced, which
    needs them; `doit check` reads files only, and needs no credentials."""
    if conflict_sides(text) is not None:
        where = label or files.shown(path, root)
        return [f"{where} has merge conflicts from git (<<<<<<< markers): resolve them in it, then run doit again"]
    found = []
    for entry in entries(text):
        line = entry.line
        where = label or f"{files.shown(path, root)}, line {line.number}"
        problem = _line_problem(entry, path, root)
        if problem is None:
            problem = _secret_problem(entry)
        if problem is None and environment:
            unset = [ref for ref in ENV_REFERENCE.findall(line.text) if ref not in os.environ]
            if unset:
                problem = (
                    f"uses ${{{unset[0]}}}, which is not set: set {unset[0]} in the environment "
                    "(the lock keeps the reference, never its value)"
                )
        if problem is not None:
            found.append(f"{where}: {problem}")
    return found


def _line_problem(entry: Entry, source: Path, root: Path) -> str | None:
    for value in entry.values("--find-links"):
        if value and is_local(value):
            target = os.path.normcase(os.path.realpath(local_path(value, source)))
            project = os.path.normcase(os.path.realpath(root))
            if os.path.commonpath([target, project]) != project:
                return (
                    f"--find-links {value} is outside the project, so a clone would not find it: "
                    "move the folder into the project, or serve it from an index"
                )
    # Other options: pip and uv judge them, and both refuse unknown ones.
    requirement = entry.requirement
    if not requirement:
        return None
    if URL.match(requirement) or _looks_like_path(requirement):
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


# Query parameters that carry a credential (`?token=…`, `&private_token=…`, `?X-Amz-Signature=…`):
# matched as words of the parameter's name, whatever its case and separators.
_SECRET_WORDS = {"token", "key", "password", "passwd", "pwd", "secret", "auth", "signature", "sig", "credential"}
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s;]+")
_SECRET_NAMES = {"apikey", "accesstoken", "authtoken", "privatetoken", "accesskey", "secretkey"}


def _secret_problem(entry: Entry) -> str | None:
    """A password or token written into a URL (its user part or its query) would reach the
    lock, git and every log. The message never repeats it. The URLs are read from the line as
    pip reads them (reqfile.parse): the requirement's words, and every option's value however
    it is spelt (`-iURL`, `-i 'URL'`, `--index-url="URL"`, a shortened `--extra-index`), so
    the check that passes an input passes the lock doitenv writes from it."""
    # A requirement's URL may be glued to its name (`pkg@https://…`); a trusted host is a bare netloc.
    urls = _URL_IN_TEXT.findall(entry.requirement)
    urls += [f"https://{value}" if flag == "--trusted-host" else value for flag, value in entry.options]
    for each in urls:
        url = urlsplit(each) if URL.match(each) else None
        if url is None or not url.scheme.endswith(("http", "https")):
            continue
        user_part, at, host = url.netloc.rpartition("@")
        if at:
            # Over ssh the user part is an account name (git@host), not a secret: http(s) only.
            user, has_password, password = user_part.partition(":")
            # A lone user name is no secret (a keyring looks its password up), unless it looks like
            # a token; `name:@host`, with an empty password, is how indexes take a token as the user.
            user_is_secret = (has_password and not password) or _looks_like_token(unquote(user))
            secret = password + (user if user_is_secret else "")
            if ENV_REFERENCE.sub("", secret):
                return _plain_text_credential(host, f"https://${{TOKEN}}@{host}/…")
        for name, value in parse_qsl(url.query, keep_blank_values=True):
            words = {word.lower() for word in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])", name)}
            joined = re.sub(r"[^a-z]", "", name.lower())
            if (words & _SECRET_WORDS or joined in _SECRET_NAMES) and ENV_REFERENCE.sub("", value):
                return _plain_text_credential(host, f"…?{name}=${{TOKEN}}")
    return None


def _plain_text_credential(host: str, instead: str) -> str:
    return (
        f"the URL for {host} holds a credential as plain text, which would reach the lock and git: "
        f"write it as an environment reference, {instead}, and set TOKEN"
    )


def _looks_like_token(user: str) -> bool:
    return user.startswith(_TOKEN_PREFIXES) or (len(user) >= 20 and any(c.isdigit() for c in user))
