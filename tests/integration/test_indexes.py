"""Index options written in a .in file are honoured by compile and sync, and kept in the lock."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.helpers import ProjectFactory
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
