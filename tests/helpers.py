"""What the tests share: a project in tmp_path driven by the real `doit` in a subprocess, a Jupyter
client that runs code in a registered kernel, and a `doit watch` read line by line. Fixtures
are in tests/conftest.py; no test imports another test module."""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from doitenv import interpreter, locks

PYPROJECT = """\
[build-system]
requires = ["flit_core>=3.9"]
build-backend = "flit_core.buildapi"

[project]
name = "{name}"
version = "0.1.0"
description = "a test project"

[tool.doitenv]
test-command = "pytest tests -q -p no:cacheprovider"
{tool}"""


@dataclass
class Result:
    code: int
    output: str

    @property
    def ran(self) -> list[str]:
        """The external commands doitenv started, as it logged them."""
        return re.findall(r"^doitenv: \$ (.*)$", self.output, re.MULTILINE)

    def compiled(self) -> list[str]:
        """The .in files a resolver was run on (pip-compile or uv pip compile)."""
        return [cmd.split()[-1] for cmd in self.ran if " compile " in cmd]

    def synced(self) -> bool:
        return "\ndoitenv: syncing " in "\n" + self.output


class TmpProject:
    def __init__(self, path: Path) -> None:
        self.path = path
        # The Python whose doit runs here: this test run's, or a tools venv's (`readme_install`).
        self.runs_with = sys.executable

    def write(self, name: str, text: str) -> Path:
        target = self.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        return target

    def read(self, name: str) -> str:
        return (self.path / name).read_text()

    def write_lock(self, name: str, text: str) -> None:
        """`text` as the lock `name`, its first line made to cover it: the lock as doitenv wrote it
        on another machine, where the index had what it pins (a hand edit would be pinned again)."""
        header = locks.recorded(self.path / name)
        assert header is not None, f"{name} has no doitenv header"
        body = text.split("\n", 1)[1] if text.startswith(locks.HEADER) else text
        style = locks.LockShape(
            header.python, False, header.universal, allow_unsafe=header.allow_unsafe, strip_extras=header.strip_extras
        )
        self.write(name, locks.header_line(header.inputs, locks.body_digest(body), style, header.by) + body)

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [self.runs_with, "-m", "doit", *args],
            cwd=self.path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def doit(self, *args: str, ok: bool | None = True, env: dict[str, str] | None = None) -> Result:
        """Run doit; `ok` says whether it must succeed (True), fail (False) or either (None)."""
        completed = subprocess.run(
            [self.runs_with, "-m", "doit", *args],
            cwd=self.path,
            env={**os.environ, **env} if env else None,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=600,
        )
        result = Result(completed.returncode, completed.stdout)
        if ok and result.code != 0:
            pytest.fail(f"doit {' '.join(args)} exited {result.code}:\n{result.output}")
        if ok is False and result.code == 0:
            pytest.fail(f"doit {' '.join(args)} should have failed:\n{result.output}")
        return result

    @property
    def python(self) -> Path:
        return self.path / "venv" / ("Scripts/python.exe" if os.name == "nt" else "bin/python")

    def installed(self, editable: bool = False, venv: str = "venv") -> set[str]:
        """name==version of every distribution in `venv` (read by the venv's own Python,
        which works whether or not the venv has pip)."""
        code = (
            "import importlib.metadata as m, json, sys\n"
            "out = []\n"
            "for d in m.distributions():\n"
            "    url = json.loads(d.read_text('direct_url.json') or '{}')\n"
            "    if url.get('dir_info', {}).get('editable') and sys.argv[1] == '0':\n"
            "        continue\n"
            "    out.append(d.metadata['Name'] + '==' + d.version)\n"
            "print(json.dumps(out))\n"
        )
        python = self.path / venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
        argv = [str(python), "-c", code, "1" if editable else "0"]
        out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
        return {_normalize(line) for line in json.loads(out)}

    def pins(self, lock: str) -> set[str]:
        return {_normalize(line) for line in self.read(lock).splitlines() if "==" in line and not line.startswith("#")}

    def pip(self, *args: str) -> None:
        """pip, or uv pip in a venv that has no pip (made by the uv backend)."""
        if (self.path / "venv" / "bin" / "pip").exists():
            subprocess.run([str(self.python), "-m", "pip", *args], check=True, capture_output=True)
        else:
            args = tuple(a for a in args if a != "--yes")
            uv = [sys.executable, "-m", "uv", "pip", *args[:1], "--python", str(self.python), *args[1:]]
            subprocess.run(uv, check=True, capture_output=True)


def _normalize(pin: str) -> str:
    name, _, version = pin.strip().partition("==")
    return f"{re.sub(r'[-_.]+', '-', name).lower()}=={version.split()[0] if version else ''}"


ProjectFactory = Callable[..., TmpProject]


def have_python(version: str) -> bool:
    """Whether an interpreter of `version` ("3.12") is installed here (pyenv or PATH)."""
    try:
        interpreter.find(version, Path.cwd())
    except interpreter.InterpreterNotFound:
        return False
    return True


def notebook(*cells: str, outputs: bool = False) -> str:
    """A Jupyter notebook (nbformat 4) with one code cell per source; with `outputs`, each cell
    was run and shows what it printed."""
    code = [
        {
            "cell_type": "code",
            "execution_count": n + 1 if outputs else None,
            "id": f"c{n}",
            "metadata": {},
            "outputs": [{"name": "stdout", "output_type": "stream", "text": ["42\n"]}] if outputs else [],
            "source": source,
        }
        for n, source in enumerate(cells)
    ]
    metadata = {"kernelspec": {"display_name": "Python (demo)", "language": "python", "name": "demo"}}
    return json.dumps({"cells": code, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}, indent=1)


def cell_sources(text: str) -> list[str]:
    return ["".join(cell["source"]) for cell in json.loads(text)["cells"]]


def run_in_kernel(name: str, code: str, kernels: Path | None = None) -> str:
    """Start kernel `name` as Jupyter would, run `code`, return what it printed."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    specs = KernelSpecManager(kernel_dirs=[str(kernels)]) if kernels else KernelSpecManager()
    manager = KernelManager(kernel_name=name, kernel_spec_manager=specs)
    manager.start_kernel()
    client = manager.client()
    client.start_channels()
    printed: list[str] = []

    def collect(message: dict) -> None:
        if message["msg_type"] == "stream":
            printed.append(message["content"]["text"])
        elif message["msg_type"] == "error":
            printed.append("\n".join(message["content"]["traceback"]))

    try:
        client.wait_for_ready(timeout=60)
        client.execute_interactive(code, output_hook=collect, timeout=60)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    return "".join(printed).strip()


WAITING = "watching for changes (Ctrl-C stops)"


class Watching:
    """`doit watch ARGS` running in the project, its output gathered line by line."""

    def __init__(self, project: TmpProject, *args: str) -> None:
        self.process = subprocess.Popen(
            [project.runs_with, "-m", "doit", "watch", *args],
            cwd=project.path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def count(self, text: str) -> int:
        return sum(text in line for line in self.lines)

    def wait_for(self, text: str, times: int = 1, timeout: float = 60) -> None:
        end = time.monotonic() + timeout
        while self.count(text) < times:
            if time.monotonic() > end or self.process.poll() is not None:
                pytest.fail(f"no {times} x {text!r} within {timeout} s:\n{self.output}")
            time.sleep(0.05)

    def ctrl_c(self) -> int:
        os.killpg(self.process.pid, signal.SIGINT)
        code = self.process.wait(timeout=30)
        self.reader.join(timeout=10)  # the last lines
        return code

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.reader.join(timeout=10)
        if not self.reader.is_alive():
            assert self.process.stdout is not None
            self.process.stdout.close()


class Handler(http.server.BaseHTTPRequestHandler):
    """What the tests' HTTP servers share: HEAD answered as GET without the body (uv asks before
    it fetches), a reply in one call, and no log on stderr."""

    def do_HEAD(self) -> None:  # noqa: N802 (http.server's name)
        self.head_only = True
        self.do_GET()

    def do_GET(self) -> None:  # noqa: N802
        self.send_error(404)

    def reply(self, body: bytes, kind: str = "application/octet-stream", status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        if status in (401, 403):
            self.send_header("WWW-Authenticate", 'Basic realm="private"')
        self.end_headers()
        if not getattr(self, "head_only", False):
            self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def serving(handler: Callable[..., http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """`handler` on 127.0.0.1 for the test's length; yields `127.0.0.1:PORT`."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def json_index(
    folder: Path, uploaded: Callable[[str], str], delay: Callable[[str], float] = lambda filename: 0.0
) -> Iterator[str]:
    """A PEP 691 JSON simple index of the files in `folder`, on 127.0.0.1 for the test's length,
    with each file's upload time (PEP 700) as `uploaded(filename)` says: what `resolve-as-of`
    needs, which a find-links folder cannot give. Each file is served `delay(filename)` seconds
    after it is asked for, as over a slow network. Yields the index's URL."""
    by_project: dict[str, list[Path]] = {}
    for path in sorted(folder.iterdir()):
        name = re.split(r"-\d", path.name, maxsplit=1)[0]
        by_project.setdefault(re.sub(r"[-_.]+", "-", name).lower(), []).append(path)

    class Index(Handler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            parts = [part for part in self.path.split("?")[0].split("/") if part]
            if len(parts) == 2 and parts[0] == "simple" and parts[1] in by_project:
                files = [
                    {
                        "filename": path.name,
                        "url": f"/files/{path.name}",
                        "hashes": {"sha256": hashlib.sha256(path.read_bytes()).hexdigest()},
                        "upload-time": uploaded(path.name),
                    }
                    for path in by_project[parts[1]]
                ]
                body = json.dumps({"meta": {"api-version": "1.1"}, "name": parts[1], "files": files, "versions": []})
                self.reply(body.encode(), "application/vnd.pypi.simple.v1+json")
            elif len(parts) == 2 and parts[0] == "files" and (folder / parts[1]).is_file():
                time.sleep(delay(parts[1]))
                self.reply((folder / parts[1]).read_bytes())
            else:
                self.send_error(404)

    with serving(Index) as host:
        yield f"http://{host}/simple"


@contextlib.contextmanager
def refusing_index(status: int) -> Iterator[str]:
    """An index on 127.0.0.1 for the test's length that answers `status` (401 or 403) to every
    request, as a private index does to a wrong token. Yields its URL without the scheme
    (`127.0.0.1:PORT/simple`), for a test to put credentials before it."""

    class Refusing(Handler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            self.reply(b"", status=status)

    with serving(Refusing) as host:
        yield f"{host}/simple"
