"""What the package indexes know of a release: its files, so the Pythons its wheels serve, and
when they were uploaded. Asked only when a pin failed to install or build, to say why and what
fits; never on a run that succeeds.

The indexes asked are the ones the project names (`--index-url`, `--extra-index-url`,
`--find-links`), else those in pip's or uv's environment variables and pip's configuration,
else the public index. A simple index is read as PEP 691 JSON where it answers so (it carries
upload times), else as PEP 503 HTML; a find-links folder by its file names.
"""

from __future__ import annotations

import json
import os
import re
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from doitenv import reqfile, runner

PUBLIC_INDEX = "https://pypi.org/simple"
_TIMEOUT = 10  # seconds: this runs after a failure, to explain it; a slow index must not hang it
_JSON = "application/vnd.pypi.simple.v1+json"


@dataclass(frozen=True)
class File:
    filename: str
    uploaded: str | None  # ISO 8601, as the index gives it; None where it gives none


@dataclass(frozen=True)
class Source:
    """An index (a simple API root URL) or a find-links location (a folder or page)."""

    url: str
    simple: bool


def sources(options: Sequence[reqfile.IndexOption], tool: str = "") -> list[Source]:
    """Where the installs of a project look, as the module docstring says, in order: by `tool`
    ("pip-tools": pip's settings, "uv": uv's; "" for both). An index the project names replaces
    the machine's (and the public one); the machine's extra indexes and find-links still add."""
    found: list[Source] = []
    for option in options:
        if option.flag in ("--index-url", "--extra-index-url", "--find-links"):
            value = reqfile.expand(option.value)
            if option.flag == "--find-links" and reqfile.is_local(value):
                value = str(reqfile.local_path(value, option.source))
            found.append(Source(value, option.flag != "--find-links"))
    names_index = any(option.flag == "--index-url" for option in options)
    main, adding = _configured(tool)
    return list(dict.fromkeys([*found, *([] if names_index else main), *adding]))


def _configured(tool: str) -> tuple[list[Source], list[Source]]:
    """The indexes and find-links of this machine, for `tool`: pip's environment variables and
    configuration files (asked of pip itself), uv's environment variables. As (the main index:
    the one set, else the public one unless pip is told to use none; what adds to it)."""
    main: list[Source] = []
    adding: list[Source] = []
    for variable, simple in (
        ("PIP_INDEX_URL", True), ("UV_INDEX_URL", True), ("UV_DEFAULT_INDEX", True),
        ("PIP_EXTRA_INDEX_URL", True), ("UV_EXTRA_INDEX_URL", True), ("UV_INDEX", True),
        ("PIP_FIND_LINKS", False), ("UV_FIND_LINKS", False),
    ):  # fmt: skip
        if tool and variable.startswith("PIP_" if tool == "uv" else "UV_"):
            continue
        into = main if variable.endswith(("_INDEX_URL", "DEFAULT_INDEX")) and "EXTRA" not in variable else adding
        into += [Source(value, simple) for value in re.split(r"[\s,]+", os.environ.get(variable, "")) if value]
    listed = ""
    if tool != "uv":  # uv reads no pip configuration
        try:
            listed = runner.run([sys.executable, "-m", "pip", "config", "list"], capture=True, quiet=True)
        except runner.CommandFailed:
            pass
    for line in listed.splitlines():
        key, _, value = line.partition("=")
        option = key.rsplit(".", 1)[-1]
        if option in ("index-url", "extra-index-url", "find-links"):
            into = main if option == "index-url" else adding
            into += [Source(each, option != "find-links") for each in value.strip().strip("'\"").split()]
    no_index = os.environ.get("PIP_NO_INDEX", "").lower() in ("1", "true", "yes", "on")
    if not main and not no_index:
        main.append(Source(PUBLIC_INDEX, True))
    return main, adding


def files(name: str, where: Iterable[Source]) -> list[File]:
    """Every file of `name` that the sources list (unreachable ones are skipped)."""
    found: dict[str, File] = {}
    for source in where:
        try:
            listed = _simple_files(source.url, name) if source.simple else _find_links_files(source.url)
        except (OSError, ValueError):
            continue
        for each in listed:
            found.setdefault(each.filename, each)
    return list(found.values())


def _simple_files(root: str, name: str) -> list[File]:
    url = f"{root.rstrip('/')}/{reqfile.normalized(name)}/"
    if url.startswith("file:"):
        return _find_links_files(url)
    request = urllib.request.Request(url, headers={"Accept": f"{_JSON}, text/html;q=0.1"})
    with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:
        body = response.read()
        kind = response.headers.get("Content-Type", "")
    if kind.startswith(_JSON):
        data = json.loads(body)
        return [File(each["filename"], each.get("upload-time")) for each in data.get("files", [])]
    return [File(each, None) for each in _links(body.decode("utf-8", "replace"))]


def _find_links_files(location: str) -> list[File]:
    if location.startswith("file:"):
        location = urllib.request.url2pathname(urllib.parse.urlparse(location).path)
    if re.match(r"^https?:", location):
        with urllib.request.urlopen(location, timeout=_TIMEOUT) as response:
            return [File(each, None) for each in _links(response.read().decode("utf-8", "replace"))]
    folder = Path(location)
    if folder.is_file():  # a page of links
        return [File(each, None) for each in _links(folder.read_text(encoding="utf-8", errors="replace"))]
    return [File(each.name, None) for each in folder.iterdir()] if folder.is_dir() else []


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href") if tag == "a" else None
        if href:
            self.found.append(urllib.parse.unquote(href.split("#")[0].rstrip("/").rsplit("/", 1)[-1]))


def _links(html: str) -> list[str]:
    parser = _Anchors()
    parser.feed(html)
    return parser.found


def of_version(name: str, version: str, listed: Iterable[File]) -> list[File]:
    """The files of one release: wheels by their parsed name, sdists by `name-version.tar.gz`/`.zip`."""
    wanted = reqfile.normalized(name)
    found = []
    for each in listed:
        parsed = _wheel(each.filename)
        if parsed is not None:
            if reqfile.normalized(parsed[0]) == wanted and parsed[1] == version:
                found.append(each)
            continue
        stem = re.sub(r"\.(tar\.gz|zip|tar\.bz2)$", "", each.filename)
        if stem != each.filename and reqfile.normalized(stem) == reqfile.normalized(f"{name}-{version}"):
            found.append(each)
    return found


def _wheel(filename: str) -> tuple[str, str, list[str]] | None:
    """(name, version, interpreter tags) of a wheel's file name, or None for another file."""
    if not filename.endswith(".whl"):
        return None
    try:
        name, version, _, tags = parse_wheel_filename(filename)
    except InvalidWheelFilename:
        return None
    return str(name), str(version), sorted({f"{tag.interpreter}-{tag.abi}" for tag in tags})


@dataclass(frozen=True)
class Coverage:
    """Which Pythons (major.minor) a release's wheels install on."""

    pythons: tuple[str, ...]  # exact CPython versions its wheels are built for
    from_on: str | None  # a pure or abi3 wheel: every Python from this one on ("3" for py3)
    has_wheels: bool
    has_sdist: bool

    def fits(self, python: str) -> bool:
        if python in self.pythons:
            return True
        if self.from_on is None:
            return False
        return _key(python) >= _key(self.from_on)

    def described(self) -> str:
        """`CPython 3.6 to 3.9`, `CPython 3.8 and newer`, `no Python (it has only an sdist)`."""
        if not self.has_wheels:
            return "no Python (it has only an sdist)"
        if self.from_on is not None:
            return "every Python 3" if self.from_on == "3" else f"Python {self.from_on} and newer"
        ordered = sorted(self.pythons, key=_key)
        if len(ordered) == 1:
            return f"CPython {ordered[0]} only"
        return f"CPython {ordered[0]} to {ordered[-1]} only"


def coverage(release: Iterable[File]) -> Coverage:
    pythons: set[str] = set()
    lowest_open: list[str] = []
    wheels = sdist = False
    for each in release:
        parsed = _wheel(each.filename)
        if parsed is None:
            sdist = True
            continue
        wheels = True
        for tag in parsed[2]:
            interpreter, abi = tag.split("-", 1)
            found = re.fullmatch(r"(cp|py)(\d)(\d*)", interpreter)
            if not found:
                continue  # PyPy and others: not what doitenv makes venvs from
            kind, major, minor = found.groups()
            version = f"{major}.{minor}" if minor else major
            if kind == "py" or abi == "abi3":
                lowest_open.append(version)  # pure (py3, py38) or the stable ABI: this one on
            else:
                pythons.add(version)
    from_on = min(lowest_open, key=_key) if lowest_open else None
    return Coverage(tuple(sorted(pythons, key=_key)), from_on, wheels, sdist)


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def uploaded(release: Iterable[File]) -> str | None:
    """The day (YYYY-MM-DD) of the last upload of a release's files, where the index says."""
    days = [each.uploaded[:10] for each in release if each.uploaded]
    return max(days) if days else None


def first_fitting(name: str, after: str | None, listed: Iterable[File], python: str) -> str | None:
    """The oldest release of `name` newer than `after` with wheels for Python `python` (a
    pure or abi3 wheel counts from its own Python on), among `listed`; None when none has."""
    from packaging.version import InvalidVersion, Version

    by_version: dict[str, list[File]] = {}
    for each in listed:
        parsed = _wheel(each.filename)
        if parsed is not None and reqfile.normalized(parsed[0]) == reqfile.normalized(name):
            by_version.setdefault(parsed[1], []).append(each)
    try:
        floor = Version(after) if after else None
        found = sorted(Version(version) for version in by_version)
    except InvalidVersion:
        return None
    for version in found:
        if (floor is None or version > floor) and not version.is_prerelease:
            if coverage(by_version[str(version)]).fits(python):
                return str(version)
    return None


def undated(where: Iterable[Source]) -> list[str]:
    """The sources that give no upload times (find-links, `file://` indexes), whose files a
    resolver takes whatever `resolve-as-of` says."""
    return [each.url for each in where if not each.simple or each.url.startswith("file:")]
