"""What a requirements file asks for, read as pip reads it.

This is the one reader of requirement files: the lock digests, the include walk, the pins, the
checks and the secret scan (reqcheck.py) all ask it. It follows pip's own grammar (pip's req_file module:
decoding, continuation lines, comments, the split into a requirement and its options, every
spelling of an option); tests/unit/test_reqfile.py holds it against pip's parser.

pip's verdict on a malformed line depends on its version: pip 23.2 took `alpha>=>2` as a legacy
specifier, pip 24.1 and later refuse it. So reqcheck.py checks every requirement line with
`packaging`, against PEP 508, before any resolver runs: one verdict whatever pip is installed.

The index options a file names (`--index-url`, `--extra-index-url`, `--find-links`,
`--no-index`, `--trusted-host`) are collected here too, to be written into its lock so that a
clone syncs from the same index. Credentials in them may only be environment references
(`https://${TOKEN}@host/simple`), which pip and uv expand and the lock keeps unexpanded.
"""

from __future__ import annotations

import codecs
import itertools
import os
import re
import shlex
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from doitenv.errors import Failure

# What pip and uv expand in a requirements file: ${NAME}, upper case, digits and underscores.
ENV_REFERENCE = re.compile(r"\$\{([A-Z0-9_]+)\}")
URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_COMMENT = re.compile(r"(^|\s+)#.*$")


class UnreadableFile(Failure):
    """A requirements file whose bytes pip would not read the same way on every machine."""


# pip's order matters: UTF-16 LE's mark is the start of UTF-32 LE's.
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF16, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
)
_CODING = re.compile(rb"coding[:=]\s*([-\w.]+)")


def decode(data: bytes, name: str) -> str:
    """A requirements file's text as pip decodes it: a byte-order mark, else a PEP 263 coding
    line among the first two, else UTF-8. Where pip would then fall back on the machine's
    locale, doitenv refuses: the same file must read the same on every machine."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decoded(data[len(bom) :], encoding, name)
    for line in data.split(b"\n")[:2]:
        cookie = _CODING.search(line) if line.startswith(b"#") else None
        if cookie:
            return _decoded(data, cookie.group(1).decode("ascii"), name)
    return _decoded(data, "utf-8", name)


def _decoded(data: bytes, encoding: str, name: str) -> str:
    try:
        return data.decode(encoding)
    except LookupError:
        raise UnreadableFile(f"{name} names an unknown encoding, {encoding}: save it as UTF-8") from None
    except UnicodeDecodeError as exc:
        raise UnreadableFile(
            f"{name} is not valid {encoding} (byte {exc.start}): save it as UTF-8, or name its encoding "
            "in a first line such as '# -*- coding: latin-1 -*-'"
        ) from None


def read(path: Path) -> str:
    """The text of the requirements file at `path` (OSError when it cannot be read)."""
    return decode(path.read_bytes(), path.name)


class Line(NamedTuple):
    number: int  # where the line starts in the file
    text: str


def logical_lines(text: str) -> list[Line]:
    """The lines pip reads, by its own rules (pip's req_file: join_lines, ignore_comments): a
    line ending in a backslash goes on in the next one unless it is a comment, a comment runs
    from a `#` at the start or after whitespace, and blank lines go. Variables are not expanded."""
    found: list[Line] = []
    pending: list[str] = []
    start = 0

    def keep(number: int, joined: str) -> None:
        line = _COMMENT.sub("", joined).strip()
        if line:
            found.append(Line(number, line))

    for number, raw in enumerate(text.splitlines(), 1):
        comment = _COMMENT.match(raw) is not None
        if raw.endswith("\\") and not comment:
            if not pending:
                start = number
            pending.append(raw.strip("\\"))
            continue
        if comment:
            raw = " " + raw  # so that the comment is still one once joined
        if pending:
            keep(start, "".join([*pending, raw]))
            pending = []
        else:
            keep(number, raw)
    if pending:
        keep(start, "".join(pending))
    return found


# pip's requirement-file options (req_file.SUPPORTED_OPTIONS and _REQ): long name -> takes a value.
_LONG_OPTIONS = {
    "--index-url": True, "--pypi-url": True, "--extra-index-url": True, "--no-index": False,
    "--constraint": True, "--requirement": True, "--editable": True, "--find-links": True,
    "--no-binary": True, "--only-binary": True, "--prefer-binary": False, "--require-hashes": False,
    "--no-require-hashes": False, "--pre": False, "--all-releases": True, "--only-final": True,
    "--trusted-host": True, "--use-feature": True, "--hash": True, "--config-settings": True,
}  # fmt: skip
_SHORT_OPTIONS = {"-i": "--index-url", "-c": "--constraint", "-r": "--requirement", "-e": "--editable"}
_SHORT_OPTIONS |= {"-f": "--find-links", "-C": "--config-settings"}
_ALIASES = {"--pypi-url": "--index-url"}


class Entry(NamedTuple):
    """One logical line as pip splits it: the requirement before the first word that starts
    with `-`, then its options as (long name, value), in order ('' for a switch)."""

    line: Line
    requirement: str
    options: tuple[tuple[str, str], ...]

    def values(self, flag: str) -> list[str]:
        return [value for name, value in self.options if name == flag]

    def include(self) -> tuple[str, str] | None:
        """("-r" or "-c", the file as written) when pip reads another file for this line: a line
        with no requirement and no -e, and then only its first -r, else its first -c."""
        if self.requirement or self.values("--editable"):
            return None
        for flag, kind in (("--requirement", "-r"), ("--constraint", "-c")):
            found = self.values(flag)
            if found:
                return kind, found[0]
        return None


def entries(text: str) -> list[Entry]:
    return [parse(line) for line in logical_lines(text)]


def parse(line: Line) -> Entry:
    """Split `line` as pip does (req_file.break_args_options, then shlex and optparse: `-rFILE`,
    `-r FILE`, `--requirement=FILE`, a long option shortened to any unique prefix)."""
    words = line.text.split(" ")
    head = list(itertools.takewhile(lambda word: not word.startswith("-"), words))
    try:
        tokens = shlex.split(" ".join(words[len(head) :]))
    except ValueError:  # an unbalanced quote: pip refuses the line, and says so
        tokens = []
    options: list[tuple[str, str]] = []
    pending = iter(tokens)
    for token in pending:
        if token == "--":
            break  # optparse reads no option after it
        if token.startswith("--"):
            name, has_value, value = token.partition("=")
            flag = _long_option(name)
            if flag is None:
                continue  # pip refuses an unknown option itself
            if _LONG_OPTIONS[flag] and not has_value:
                value = next(pending, "")
            options.append((_ALIASES.get(flag, flag), value if _LONG_OPTIONS[flag] else ""))
        elif token.startswith("-") and len(token) > 1:
            flag = _SHORT_OPTIONS.get(token[:2])
            if flag is not None:
                options.append((flag, token[2:] or next(pending, "")))
    return Entry(line, " ".join(head).strip(), tuple(options))


def _long_option(name: str) -> str | None:
    """The option `name` spells, in full or as a prefix of exactly one (as optparse allows)."""
    if name in _LONG_OPTIONS:
        return name
    matches = [option for option in _LONG_OPTIONS if option.startswith(name)]
    return matches[0] if len(matches) == 1 else None


def expand_path(value: str) -> str:
    """An included file's name with the variables pip expands (set and non-empty ones)."""
    return ENV_REFERENCE.sub(lambda match: os.environ.get(match.group(1)) or match.group(0), value)


def include_target(value: str, source: Path) -> Path | None:
    """The local file an `-r`/`-c` value in `source` names (relative to `source`'s folder, as
    pip reads it), or None for a file pip fetches from a URL."""
    value = expand_path(value)
    if value.lower().startswith("file:"):
        return local_path(value, source)
    if re.match(r"^(http|https):", value, re.IGNORECASE):
        return None
    return source.parent / value


def includes(path: Path, text: str) -> list[tuple[str, Path]]:
    """The (`-r` or `-c`, local path) of the files `text` (the content of `path`) includes."""
    found = []
    for entry in entries(text):
        include = entry.include()
        if include is not None:
            target = include_target(include[1], path)
            if target is not None:
                found.append((include[0], target))
    return found


_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(?:===?\s*([^\s;,]+)|@)")


def conflict_sides(text: str) -> tuple[str, str] | None:
    """A file git left with merge conflict markers, as each side of the merge wrote it: (ours,
    theirs), the lines outside the conflicts in both (diff3's base section in neither); None
    when the file has no conflict."""
    ours: list[str] = []
    theirs: list[str] = []
    side = ""
    found = False
    for line in text.splitlines(keepends=True):
        bare = line.rstrip("\r\n")
        if bare.startswith("<<<<<<<") and not side:
            side, found = "ours", True
        elif bare.startswith("|||||||") and side == "ours":
            side = "base"
        elif bare == "=======" and side in ("ours", "base"):
            side = "theirs"
        elif bare.startswith(">>>>>>>") and side == "theirs":
            side = ""
        else:
            if side in ("", "ours"):
                ours.append(line)
            if side in ("", "theirs"):
                theirs.append(line)
    return ("".join(ours), "".join(theirs)) if found else None


def agreed_requirements(text: str) -> list[str]:
    """The requirement lines both sides of a conflicted file hold alike (every line, when it has
    no conflict)."""
    sides = conflict_sides(text)
    ours, theirs = sides if sides is not None else (text, text)
    other = {entry.requirement for entry in entries(theirs) if entry.requirement}
    return [entry.requirement for entry in entries(ours) if entry.requirement and entry.requirement in other]


def pins(text: str) -> dict[str, str]:
    """{normalized name: version} of what a lock's `text` pins; a direct reference (`name @ url`)
    is pinned to what the URL holds, with no version ('')."""
    found = {}
    for entry in entries(text):
        match = _PIN.match(entry.requirement)
        if match:
            found[normalized(match.group(1))] = match.group(2) or ""
    return found


def pins_for(text: str, environment: Mapping[str, str]) -> dict[str, str]:
    """{normalized name: version} of what a lock's `text` installs where markers see `environment`
    (Venv.marker_environment): a line whose marker leaves it out for that Python (a universal lock's
    `; python_full_version < '3.11'`) is not there. The version is '' for a line that pins none."""
    from packaging.requirements import InvalidRequirement, Requirement

    found = {}
    for entry in entries(text):
        try:
            requirement = Requirement(entry.requirement)
        except InvalidRequirement:
            continue  # an option line, or one reqcheck.py refuses
        if requirement.marker is None or requirement.marker.evaluate(dict(environment)):
            exact = [spec.version for spec in requirement.specifier if spec.operator in ("==", "===")]
            found[normalized(requirement.name)] = exact[0] if exact else ""
    return found


def normalized(name: str) -> str:
    """A distribution's name as PEP 503 compares it."""
    return re.sub(r"[-_.]+", "-", name.strip()).lower()


class IndexOption(NamedTuple):
    flag: str  # the long spelling
    value: str  # as written ('' for --no-index)
    source: Path  # the file that says it, against whose folder a relative path counts


_INDEX_FLAGS = ("--index-url", "--extra-index-url", "--find-links", "--no-index", "--trusted-host")


def index_options(texts: Mapping[Path, str]) -> list[IndexOption]:
    """The index options of files (path: text), in order, each once."""
    found: list[IndexOption] = []
    for path, text in texts.items():
        for entry in entries(text):
            for flag, value in entry.options:
                option = IndexOption(flag, value, path)
                if flag in _INDEX_FLAGS and option not in found:
                    found.append(option)
    return found


class LocalReference(NamedTuple):
    """A local folder or archive a requirements file installs: `-e ./sub`, `./libs/pkg`,
    `pkg @ file:///abs/pkg`, `./dist/pkg-1.0-py3-none-any.whl`."""

    line: int  # the physical line it starts on
    value: str  # as written: a path or a file: URL, without extras or a #fragment
    editable: bool

    def path(self, folder: Path) -> Path:
        """Where it points, a relative path read from `folder`: pip and uv read a requirement's
        path from the folder they run in, not from the file's (unlike -r, -c and --find-links)."""
        return folder / local_path(self.value, folder / "-")  # (a relative file: URL too)


_NAMED_FILE_URL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\s*(?:\[[^\]]*\])?\s*@\s*(file:[^\s;#]+)")


def local_references(text: str) -> list[LocalReference]:
    """The local folders and archives `text` installs, in order."""
    found = []
    for entry in entries(text):
        for value in entry.values("--editable"):
            if value and is_local(value):
                found.append(LocalReference(entry.line.number, value.split("#", 1)[0], True))
        named = _NAMED_FILE_URL.match(entry.requirement)
        # pip takes a requirement for a path when it has a path separator or starts with a dot.
        word = re.split(r"[\s;\[#]", entry.requirement, maxsplit=1)[0]
        if named:
            found.append(LocalReference(entry.line.number, named.group(1), False))
        elif word and "@" not in word and not URL.match(word) and ("/" in word or "\\" in word or word.startswith(".")):
            found.append(LocalReference(entry.line.number, word, False))
    return found


def lock_lines(options: Iterable[IndexOption], lock_folder: Path) -> list[str]:
    """The options as a lock in `lock_folder` must say them: local find-links paths relative
    to the lock (pip and uv read them relative to the file that names them)."""
    lines = []
    for option in options:
        value = option.value
        # A value with an environment reference is kept as written: the lock keeps the reference.
        if option.flag == "--find-links" and is_local(value) and not ENV_REFERENCE.search(value):
            target = local_path(value, option.source)
            # No leading "./": uv reads `./wheels` as a URL and refuses it.
            value = Path(os.path.relpath(target, lock_folder)).as_posix()
        # Quoted only when it must be: pip reads quotes (shlex), and plain values read anywhere.
        shown = shlex.quote(value) if re.search(r"[\s'\"]", value) else value
        line = f"{option.flag} {shown}" if value else option.flag
        if line not in lines:
            lines.append(line)
    return lines


def expand(value: str) -> str:
    return ENV_REFERENCE.sub(lambda match: os.environ.get(match.group(1), match.group(0)), value)


def is_local(value: str) -> bool:
    return not URL.match(value) or value.startswith("file:")


def local_path(value: str, source: Path) -> Path:
    if value.startswith("file:"):
        from urllib.request import url2pathname

        return Path(url2pathname(urlsplit(value).path))
    return source.parent / expand(value)
