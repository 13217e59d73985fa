"""Index options written in a .in file are honoured by compile and sync, and kept in the lock."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from tests.helpers import ProjectFactory, refusing_index
from tests.wheels import build_wheel


def _simple_index(root: Path, version: str) -> Path:
    """A PEP 503 index in a folder, serving gizmo at `version` (pip and uv read file:// URLs)."""
    folder = root / "simple" / "gizmo"
    folder.mkdir(parents=True)
    wheel = build_wheel(folder, "gizmo", version)
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    (folder / "index.html").write_text(f'<html><body><a href="{wheel.name}#sha256={digest}">{wheel.name}</a>\n')
    (root / "simple" / "index.html").write_text('<html><body><a href="gizmo/">gizmo</a>\n')
    return root


def test_the_index_the_in_file_names_wins_in_compile_and_sync(
    new_project: ProjectFactory, backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    private = _simple_index(tmp_path / "private", "1.0")
    public = _simple_index(tmp_path / "public", "2.0")
    # This machine's own index (pip.conf, uv.toml) serves the same name at a higher version.
    for name in ("PIP_NO_INDEX", "UV_OFFLINE"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("PIP_INDEX_URL", public.as_uri() + "/simple")
    monkeypatch.setenv("UV_INDEX_URL", public.as_uri() + "/simple")
    monkeypatch.setenv("GIZMO_INDEX", private.as_posix())
    project = new_project(backend=backend, requirements="--index-url file://${GIZMO_INDEX}/simple\ngizmo\n")

    project.doit("dev")
    for lock in ("requirements.txt", "requirements-dev.txt"):
        text = project.read(lock)
        assert "gizmo==1.0" in text
        # The reference, never its value; nothing of this machine's settings.
        assert "\n--index-url file://${GIZMO_INDEX}/simple\n" in text
        assert str(private) not in text and str(public) not in text and "find-links" not in text
    assert "gizmo==1.0" in project.installed()

    # A clone syncs from the lock alone, from the index the lock names.
    project.doit("distclean")
    project.doit("dev")
    assert "gizmo==1.0" in project.installed()
    assert project.doit("dev").ran == []


def test_doit_check_needs_no_credentials_but_check_resolve_does(
    new_project: ProjectFactory, backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README: "`doit check` needs no credentials". It read the .in files as a pin does and
    failed on a ${NAME} that is not set, so a CI check job without the index's secret failed."""
    private = _simple_index(tmp_path / "private", "1.0")
    for name in ("PIP_NO_INDEX", "UV_OFFLINE"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("GIZMO_INDEX", private.as_posix())
    project = new_project(backend=backend, requirements="--index-url file://${GIZMO_INDEX}/simple\ngizmo\n")
    project.doit("dev")
    monkeypatch.delenv("GIZMO_INDEX")

    assert "locks fresh, layers agree, venv in step" in project.doit("check").output
    # --resolve pins, which needs it: said before any resolver runs.
    refused = project.doit("check", "--resolve", ok=False).output
    assert "requirements.in, line 1: uses ${GIZMO_INDEX}, which is not set" in refused
    assert "pinning requirements.in again" not in refused


def _online(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the project's index: none of the test machine's offline settings or wheel folder."""
    for name in ("PIP_NO_INDEX", "PIP_FIND_LINKS", "UV_OFFLINE", "UV_FIND_LINKS"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("status", [401, 403])
def test_an_index_that_refuses_the_credentials_is_named_when_pinning(
    new_project: ProjectFactory, backend: str, monkeypatch: pytest.MonkeyPatch, status: int
) -> None:
    with refusing_index(status) as index:
        monkeypatch.setenv("PRIVATE_TOKEN", "wr0ng-t0ken")
        project = new_project(
            backend=backend, requirements=f"--index-url http://me:${{PRIVATE_TOKEN}}@{index}\nalpha\n"
        )
        project.doit("venv")
        _online(monkeypatch)
        result = project.doit("requirements.txt", ok=False)
    host = index.split("/")[0]
    phrase = {401: "401 Unauthorized", 403: "403 Forbidden"}[status]
    assert (
        f"requirements.in: the package index at {host} refused the credentials ({phrase}): check that PRIVATE_TOKEN "
        "(which requirements.in, line 1 names as ${PRIVATE_TOKEN}) holds a valid token for it, or its entry in "
        "~/.netrc or the keyring"
    ) in result.output
    assert "wr0ng-t0ken" not in result.output and "Traceback" not in result.output
    assert not (project.path / "requirements.txt").exists()


def test_an_index_that_asks_for_credentials_never_waits_for_them(
    new_project: ProjectFactory, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pip asks for a user name on a 401 to a URL without credentials: doit gives it no input."""
    with refusing_index(401) as index:
        project = new_project(backend=backend, requirements=f"--index-url http://{index}\nalpha\n")
        project.doit("venv")
        _online(monkeypatch)
        started = time.monotonic()
        result = project.doit("requirements.txt", ok=False)
    assert time.monotonic() - started < 60
    host = index.split("/")[0]
    assert (
        f"the package index at {host} refused the credentials (401 Unauthorized): give it credentials as an "
        f"environment reference in the index URL (https://${{TOKEN}}@{host}/…), or check its entry in ~/.netrc or "
        "the keyring"
    ) in result.output


def test_an_index_that_refuses_the_credentials_is_named_when_syncing(
    new_project: ProjectFactory, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with refusing_index(401) as index:
        monkeypatch.setenv("PRIVATE_TOKEN", "wr0ng-t0ken")
        project = new_project(
            backend=backend,
            requirements=f"--index-url http://me:${{PRIVATE_TOKEN}}@{index}\nalpha\n",
            dev_requirements="-r requirements.txt\n",
            tool="install-project = false\n",
        )
        project.doit("requirements.txt", "requirements-dev.txt")  # from the test's wheel folder
        _online(monkeypatch)
        result = project.doit("dev", ok=False)
    host = index.split("/")[0]
    assert (
        f"requirements-dev.txt: could not sync venv/, so venv/ is unchanged, and marked unsynced: the package index "
        f"at {host} refused the credentials (401 Unauthorized): check that PRIVATE_TOKEN (which requirements.in, "
        "line 1 names as ${PRIVATE_TOKEN}) holds a valid token for it"
    ) in result.output
    assert "wr0ng-t0ken" not in result.output and "Traceback" not in result.output


def test_an_extra_index_and_plain_http_are_said_once_when_pinning(new_project: ProjectFactory, backend: str) -> None:
    project = new_project(
        backend=backend,
        requirements="--extra-index-url http://pkgs.example.invalid/simple\n--find-links http://127.0.0.1:9/wheels/\nalpha\n",
    )
    result = project.doit("dev")
    extra = (
        "doitenv: requirements.in, line 1: --extra-index-url adds a second index to the first: pip takes each "
        "package's highest version from any of them (uv, the first index that has it), so a package of the same "
        "name published on the other index can replace yours (dependency confusion): serve every package from one "
        "index (--index-url), or set hashes = true so that no file of the lock can change unseen"
    )
    http = (
        "doitenv: requirements.in, line 1: --extra-index-url uses plain http, so the packages (and any credential) "
        "cross the network unencrypted, and anyone on the way can change them: use https://"
    )
    # Once each, though both layers' locks name the index; nothing of 127.0.0.1 (it never crosses a network).
    assert result.output.count(extra) == 1 and result.output.count(http) == 1, result.output
    assert "line 2" not in result.output
    assert "--extra-index-url" not in project.doit("dev").output  # a run that pins nothing says nothing
