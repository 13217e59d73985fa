"""A secret given to doitenv through any channel never reaches a file doitenv or its tools write
in the project, nor anything printed (issue 32): the environment, an index URL, `-r`/`-c` URLs and
a direct URL through `${VAR}`, a step's action arguments, `test-env` and test arguments, all at once.
Neither the value nor its plain sha256 (a dictionary finds a weak password from it) may appear."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from doitenv import scaffold
from tests.helpers import Handler, ProjectFactory, serving
from tests.wheels import build_wheel

SECRET = "zq7Hush3dMark41"
USER = "ci-bot"


@contextlib.contextmanager
def private_index(folder: Path, texts: dict[str, str]) -> Iterator[str]:
    """A PEP 503 index of the wheels in `folder` and the text files `texts` on 127.0.0.1, answering
    401 to any request without the secret: every fetch that works carried it. Yields `host:port`."""
    expected = "Basic " + base64.b64encode(f"{USER}:{SECRET}".encode()).decode()

    class Index(Handler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            if self.headers.get("Authorization") != expected:
                self.reply(b"", status=401)
                return
            parts = [part for part in self.path.split("?")[0].split("/") if part]
            wheels = {path.name: path for path in folder.glob("*.whl")}
            if len(parts) == 2 and parts[0] == "simple":
                links = "".join(
                    f'<a href="/files/{name}#sha256={hashlib.sha256(path.read_bytes()).hexdigest()}">{name}</a>\n'
                    for name, path in wheels.items()
                    if name.split("-")[0] == parts[1].replace("-", "_")
                )
                self.reply(f"<html><body>\n{links}</body></html>\n".encode(), "text/html")
            elif len(parts) == 2 and parts[0] == "files" and parts[1] in wheels:
                self.reply(wheels[parts[1]].read_bytes())
            elif len(parts) == 2 and parts[0] == "reqs" and parts[1] in texts:
                self.reply(texts[parts[1]].encode(), "text/plain")
            else:
                self.send_error(404)

    with serving(Index) as host:
        yield host


STEP = '''

import os

from doitenv import in_venv, requires


def _publish(token, target):
    with open(target, "w") as out:
        out.write("published\\n")


@requires("dev")
def task_publish():
    """A step handed the secret as arguments, as a deploy step would be."""
    token = os.environ["HUSH_TOKEN"]
    return {
        "actions": [in_venv("python", "-c", "import sys", token), (_publish, [token, "out.txt"])],
        "file_dep": ["data.txt"],
        "targets": ["out.txt"],
    }
'''


def test_a_secret_in_every_channel_reaches_no_file_and_no_output(
    new_project: ProjectFactory, backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served = tmp_path / "served"
    served.mkdir()
    build_wheel(served, "hushpkg", "1.0", requires=("hushdep",))
    build_wheel(served, "hushdep", "1.0")
    build_wheel(served, "hushdep", "2.0")
    build_wheel(served, "hushdirect", "1.0")
    texts = {"more.in": "hushpkg\n", "constraints.txt": "hushdep<2\n"}
    # The private index replaces the default one (--index-url below): nothing reaches the network.
    for name in ("PIP_NO_INDEX", "UV_OFFLINE"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("HUSH_TOKEN", SECRET)
    # As a user runs it: command lines are printed only on request (show-commands), words typed included.
    monkeypatch.delenv("DOITENV_SHOW_COMMANDS")

    with private_index(served, texts) as host:
        url = f"http://{USER}:${{HUSH_TOKEN}}@{host}"
        requirements = (
            f"--index-url {url}/simple\n"
            f"-r {url}/reqs/more.in\n"
            f"-c {url}/reqs/constraints.txt\n"
            f"hushdirect @ {url}/files/hushdirect-1.0-py3-none-any.whl\n"
        )
        project = new_project(backend=backend, requirements=requirements, tool='test-env = ["HUSH_TOKEN"]\n')
        project.write("dodo.py", scaffold.DODO + STEP)
        project.write("data.txt", "rows\n")
        outputs = [
            project.doit("dev").output,
            project.doit("test", "--", "-k", f"not {SECRET}").output,
            project.doit("test", "--", "-k", f"not {SECRET}").output,
            project.doit("publish").output,
            project.doit("check").output,
            project.doit("list", "--all").output,
        ]
        for args in (["out.txt"], ["out.txt", "--json", "--all"]):
            argv = [sys.executable, "-m", "doitenv", "provenance", *args]
            shown = subprocess.run(argv, cwd=project.path, capture_output=True, text=True, check=True)
            outputs.append(shown.stdout + shown.stderr)

    assert "hushpkg==1.0" in project.read("requirements.txt") and "hushdep==1.0" in project.read("requirements.txt")
    assert "hushdirect==1.0" in project.installed() and project.read("out.txt") == "published\n"
    plain_digest = hashlib.sha256(SECRET.encode()).hexdigest()[:16]
    for text in outputs:
        assert SECRET not in text and plain_digest not in text, text
    written = [path for path in project.path.rglob("*") if path.is_file() and not path.is_symlink()]
    assert len(written) > 100  # the venv is searched too
    for path in written:
        data = path.read_bytes()
        assert SECRET.encode() not in data, path
        assert plain_digest.encode() not in data, path
