"""What a resolver wrote, made fit to commit: the same in every clone, and free of secrets.

pip-compile writes a local requirement (`./libs/pkg`, `-e ./sub`) as this machine's absolute
`file:///home/a/proj/libs/pkg`, so a clone in another folder installs the original's copy. And it
expands the `${VAR}` references of the inputs (`-r http://host/${TOKEN}/x.txt`, `pkg @
http://u:${TOKEN}@host/pkg.whl`) into its `# via` lines and pins. uv does neither. So whatever
the resolver, the lock gets:

- every local folder or archive inside the project written relative to the project's folder:
  pip and uv read a requirement's relative path from the folder they run in, not from the file
  that holds it (unlike -r, -c and --find-links), and doitenv syncs from the project's folder,
  as a user types `pip install -r requirements/dev.txt`. One outside the project stays as the
  resolver wrote it: a clone has no copy of it at any relative place.
- every value the inputs spell with `${VAR}` spelled so again (the inputs' text is the truth).
- the index options of the inputs, which the resolver is told not to write (this machine's pip
  settings must stay out of the lock), put where pip-compile would write them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from doitenv import pyproject, reqfile
from doitenv.errors import Failure


class SecretWritten(Failure):
    """The resolver wrote a credential's value where doitenv could not put its reference back."""


def portable(body: str, texts: Mapping[Path, str], read_from: Path, root: Path, lock: str) -> str:
    """The resolver's output `body` for `lock`, pinned from the inputs `texts` by a resolver run
    in `read_from`, as the lock keeps it (see the module's docstring). Raises SecretWritten when a
    credential's value would still be in it: a lock is committed."""
    body = relocated(unexpanded(body, texts), read_from, root, root)
    for name, value in _credentials(texts):
        if value in body:
            raise SecretWritten(
                f"{lock}: the resolver wrote the value of ${{{name}}} where doitenv cannot spell it ${{{name}}} "
                f"again, so the new pins are not written: give pip the credential through keyring or ~/.netrc "
                'rather than in the URL, or set backend = "uv" in [tool.doitenv] (uv keeps the reference)'
            )
    return body


def unexpanded(body: str, texts: Mapping[Path, str]) -> str:
    """`body` with each value the inputs spell with a `${VAR}` reference spelled with it again,
    wherever it stands as a whole word (a pin, an option, a `# via -r URL` line)."""
    spellings: dict[str, str] = {}
    for text in texts.values():
        for written in _referencing(text):
            expanded = reqfile.expand_path(written)  # as pip expands it: set, non-empty variables
            if expanded != written:
                spellings[expanded] = written
    if not spellings:
        return body
    # Longest first: a longer value may hold a shorter one.
    alternatives = "|".join(re.escape(value) for value in sorted(spellings, key=len, reverse=True))
    pattern = re.compile(rf"(?<!\S)({alternatives})(?![^\s;\\])")
    return pattern.sub(lambda match: spellings[match.group(1)], body)


def _referencing(text: str) -> Iterable[str]:
    """The words of a requirements file that hold a `${VAR}` reference: option values, and a
    requirement's URL or path."""
    from packaging.requirements import InvalidRequirement, Requirement

    for entry in reqfile.entries(text):
        words = [value for _, value in entry.options]
        try:
            words.append(Requirement(entry.requirement).url or "")
        except InvalidRequirement:  # a path, or a line pip refuses itself
            words += entry.requirement.split()
        yield from (word for word in words if reqfile.ENV_REFERENCE.search(word))


# A URL's user part (`https://${USER}:${TOKEN}@host`): the value of a reference in it is a credential.
_USER_PART = re.compile(r"://[^/@\s]*@")


def _credentials(texts: Mapping[Path, str]) -> list[tuple[str, str]]:
    """(name, value) of each set variable the inputs use as a URL's password (or as its user alone)."""
    found = []
    for text in texts.values():
        for part in _USER_PART.findall(text):
            # `user:${TOKEN}@`: the part after the colon; `${TOKEN}@`: a token as the user.
            for name in reqfile.ENV_REFERENCE.findall(part.rpartition(":")[2] if ":" in part[3:] else part):
                value = os.environ.get(name, "")
                if value and (name, value) not in found:
                    found.append((name, value))
    return found


def relocated(text: str, read_from: Path, write_for: Path, root: Path) -> str:
    """`text` with each local folder or archive inside `root` (a relative one read from
    `read_from`) written relative to `write_for`, as `./libs/pkg` or `-e ./sub` (a name before a
    file: URL goes: pip reads no relative file: URL right, and the folder names the package)."""
    lines = text.splitlines(keepends=True)
    for reference in reversed(reqfile.local_references(text)):
        if reqfile.ENV_REFERENCE.search(reference.value):
            continue  # the inputs' own spelling: unexpanded() put it back
        target = Path(os.path.abspath(reference.path(read_from)))
        inside = _inside(target, root)
        if inside is None:
            continue
        relative = Path(os.path.relpath(root / inside, write_for)).as_posix()
        spelled = relative if relative == "." or relative.startswith("..") else f"./{relative}"
        index = reference.line - 1
        line = lines[index]
        if not reference.editable:
            # `pkg @ file:///abs` and `pkg[extra] @ file:///abs`: the path takes the extras.
            named = re.match(r"^\s*[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?\s*@\s*", line)
            if named and line[named.end() :].startswith(reference.value):
                line = spelled + (named.group(1) or "") + line[named.end() + len(reference.value) :]
                lines[index] = line
                continue
        lines[index] = line.replace(reference.value, spelled, 1)
    return "".join(lines)


def _inside(target: Path, root: Path) -> Path | None:
    """`target` relative to `root` when it is inside it (also through symlinks), else None."""
    for there, here in ((target, os.path.abspath(root)), (os.path.realpath(target), os.path.realpath(root))):
        try:
            return Path(there).relative_to(here)
        except ValueError:
            continue
    return None


# A line that starts with an absolute path, editable or not (`/srv/pkg`, `-e C:\\pkg`).
_ABSOLUTE = re.compile(r"^(?:-e\s+|--editable[=\s]+)?(?:/|[A-Za-z]:[\\/])", re.MULTILINE)


def absolute(text: str, root: Path, inputs: Iterable[str]) -> str | None:
    """The first local folder or archive `text` (a lock pinned from the texts `inputs`) names by an
    absolute path where doitenv writes a relative one: inside `root`; or not there at all, or at
    the place of one the inputs name in `root` (`/old/clone/libs/pkg` for `./libs/pkg`): a lock an
    older doitenv pinned in another folder. None when there is none."""
    if "file:" not in text and not _ABSOLUTE.search(text):
        return None  # the usual lock, read on every `doit dev`: parsed for nothing (3 ms for 300 pins)
    named = set()
    for reference in (each for input in inputs for each in reqfile.local_references(input)):
        inside = _inside(Path(os.path.abspath(reference.path(root))), root)
        named |= {inside.parts} if inside is not None and inside.parts else set()
    for reference in reqfile.local_references(text):
        value = reference.value
        if reqfile.ENV_REFERENCE.search(value) or not (value.startswith("file:") or os.path.isabs(value)):
            continue
        path = Path(os.path.abspath(reference.path(root)))
        elsewhere = any(path.parts[-len(parts) :] == parts for parts in named)
        if elsewhere or _inside(path, root) is not None or not path.exists():
            return value
    return None


def local_names(text: str, root: Path) -> dict[str, str]:
    """{normalized name: ''} of the local folders and archives a lock (`text`) installs, as pins()
    gives a direct reference: a lock names them by path, so the name is read from an archive's file
    name, or from what the folder states (_folder_name); a folder that states none is left out."""
    from packaging.utils import InvalidSdistFilename, InvalidWheelFilename, parse_sdist_filename, parse_wheel_filename

    found = {}
    for reference in reqfile.local_references(text):
        path = reference.path(root)
        try:
            if path.name.endswith(".whl"):
                name = str(parse_wheel_filename(path.name)[0])
            elif path.name.endswith((".tar.gz", ".zip")):
                name = str(parse_sdist_filename(path.name)[0])
            else:
                name = _folder_name(path)
        except (InvalidWheelFilename, InvalidSdistFilename):
            continue
        if name:
            found[reqfile.normalized(name)] = ""
    return found


def _folder_name(path: Path) -> str:
    """The name a project folder states without running anything: pyproject.toml's `[project] name`
    (or Poetry's `[tool.poetry] name`), an unpacked sdist's PKG-INFO (every sdist has one, whatever
    its build backend: asttokens' names itself only in setup.cfg), or setup.cfg's `[metadata] name`;
    '' when it states none (a bare setup.py)."""
    import configparser
    import email.parser

    # Another project's file: what is wrong in it is its own (its build says so), not this one's.
    stated = pyproject.read(path).name
    if stated:
        return stated
    try:
        metadata = email.parser.HeaderParser().parsestr((path / "PKG-INFO").read_text(encoding="utf-8"))
        if metadata.get("Name"):
            return str(metadata["Name"]).strip()
    except (OSError, ValueError):
        pass
    setup_cfg = configparser.ConfigParser(interpolation=None)
    try:
        setup_cfg.read(path / "setup.cfg", encoding="utf-8")
    except (OSError, ValueError, configparser.Error):
        return ""
    return setup_cfg.get("metadata", "name", fallback="").strip()


def with_index_lines(body: bytes, index_lines: list[str]) -> bytes:
    """The resolver writes no index options (this machine's pip settings must stay out of the
    lock); the project's own go where pip-compile would put them, after the header comment."""
    if not index_lines:
        return body
    lines = body.decode("utf-8").splitlines(keepends=True)
    first = next((i for i, line in enumerate(lines) if not line.startswith("#")), len(lines))
    block = "".join(line + "\n" for line in index_lines) + "\n"
    return "".join([*lines[:first], block, *lines[first:]]).encode("utf-8")
