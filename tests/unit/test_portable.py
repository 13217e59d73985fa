"""portable.py: what a resolver wrote, made the same in every clone and free of expanded variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from doitenv import portable, reqfile
from doitenv.pyproject import Metadata


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    for folder in ("libs/localpkg", "sub", "requirements", "dist"):
        (root / folder).mkdir(parents=True)
    (root / "dist" / "gizmo-1.0-py3-none-any.whl").write_bytes(b"")
    (tmp_path / "elsewhere").mkdir()
    return root


def test_every_spelling_of_a_local_path_inside_the_project_is_written_relative_to_it(tmp_path: Path) -> None:
    root = _project(tmp_path)
    uri, outside = root.as_uri(), (tmp_path / "elsewhere").as_uri()
    body = (
        "# via lines and comments stay\n"
        f"-e {uri}/sub\n    # via -r requirements.in\n"
        f"--editable={uri}/sub\n"
        f"-e {uri}\n"
        f"localpkg @ {uri}/libs/localpkg\n"
        f'localpkg[cli] @ {uri}/libs/localpkg ; python_version >= "3.9"\n'
        f"gizmo @ {uri}/dist/gizmo-1.0-py3-none-any.whl \\\n    --hash=sha256:00\n"
        f"{root}/libs/localpkg\n"
        f"other @ {outside}\n"
        "-e file://${LIBS}/sub\n"
        "alpha==1.0\n"
    )
    assert portable.relocated(body, root, root, root) == (
        "# via lines and comments stay\n"
        "-e ./sub\n    # via -r requirements.in\n"
        "--editable=./sub\n"
        "-e .\n"
        "./libs/localpkg\n"
        './libs/localpkg[cli] ; python_version >= "3.9"\n'
        "./dist/gizmo-1.0-py3-none-any.whl \\\n    --hash=sha256:00\n"
        "./libs/localpkg\n"
        f"other @ {outside}\n"  # a clone has no copy of it at any relative place
        "-e file://${LIBS}/sub\n"  # the inputs' own spelling
        "alpha==1.0\n"
    )


def test_a_relative_path_is_read_from_where_the_resolver_ran_and_written_for_where_pip_runs(tmp_path: Path) -> None:
    """pip and uv read a requirement's relative path from the folder they run in, not from the file."""
    root = _project(tmp_path)
    written_in_requirements = "-e ../sub\n../libs/localpkg\n-e file:../sub\n"
    assert portable.relocated(written_in_requirements, root / "requirements", root, root) == (
        "-e ./sub\n./libs/localpkg\n-e ./sub\n"
    )
    # The lock, seeded for a resolver that runs in requirements/: its paths as read from there.
    assert portable.relocated("./libs/localpkg\n-e ./sub\n", root, root / "requirements", root) == (
        "../libs/localpkg\n-e ../sub\n"
    )


def test_pip_reads_the_relative_spellings_back_as_the_same_folders(tmp_path: Path) -> None:
    root = _project(tmp_path)
    lock = portable.relocated(f"localpkg @ {root.as_uri()}/libs/localpkg\n-e {root.as_uri()}/sub\n", root, root, root)
    found = [reference.path(root) for reference in reqfile.local_references(lock)]
    assert found == [root / "libs/localpkg", root / "sub"]
    assert [reference.editable for reference in reqfile.local_references(lock)] == [False, True]


def test_every_value_the_inputs_spell_with_a_variable_is_spelled_so_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AREA", "area51")
    monkeypatch.setenv("TOKEN", "s3cr3t")
    monkeypatch.setenv("EMPTY", "")
    inputs = {
        tmp_path / "requirements.in": (
            "-r https://host/${AREA}/more.txt\n"
            "-chttps://host/${AREA}/limits.txt\n"  # glued, as pip reads it too
            "delta @ https://u:${TOKEN}@host/${AREA}/delta-1.0-py3-none-any.whl\n"
            "-e git+https://${TOKEN}@host/repo.git#egg=tool\n"
            "-r https://host/${EMPTY}x/unexpanded.txt\n"  # pip leaves an empty variable as written
        )
    }
    body = (
        "delta @ https://u:s3cr3t@host/area51/delta-1.0-py3-none-any.whl \\\n"
        "    --hash=sha256:00\n"
        "    # via -r requirements.in\n"
        "-e git+https://s3cr3t@host/repo.git#egg=tool\n"
        "gamma==1.0\n"
        "    # via\n"
        "    #   -c https://host/area51/limits.txt\n"
        "    #   -r https://host/area51/more.txt\n"
        "area51-tools==1.0\n"  # the value alone, inside a word: not the inputs' value
    )
    assert portable.portable(body, inputs, tmp_path, tmp_path, "requirements.txt") == (
        "delta @ https://u:${TOKEN}@host/${AREA}/delta-1.0-py3-none-any.whl \\\n"
        "    --hash=sha256:00\n"
        "    # via -r requirements.in\n"
        "-e git+https://${TOKEN}@host/repo.git#egg=tool\n"
        "gamma==1.0\n"
        "    # via\n"
        "    #   -c https://host/${AREA}/limits.txt\n"
        "    #   -r https://host/${AREA}/more.txt\n"
        "area51-tools==1.0\n"
    )


def test_a_credential_left_in_any_other_form_stops_the_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKEN", "s3cr3t")
    inputs = {tmp_path / "requirements.in": "delta @ https://u:${TOKEN}@host/delta-1.0-py3-none-any.whl\n"}
    body = "delta @ https://u:s3cr3t@host:443/delta-1.0-py3-none-any.whl\n"  # written another way
    with pytest.raises(portable.SecretWritten) as raised:
        portable.portable(body, inputs, tmp_path, tmp_path, "requirements.txt")
    assert str(raised.value) == (
        "requirements.txt: the resolver wrote the value of ${TOKEN} where doitenv cannot spell it ${TOKEN} "
        "again, so the new pins are not written: give pip the credential through keyring or ~/.netrc rather "
        'than in the URL, or set backend = "uv" in [tool.doitenv] (uv keeps the reference)'
    )


def test_a_lock_that_names_a_project_folder_by_an_absolute_path_is_found(tmp_path: Path) -> None:
    root = _project(tmp_path)
    inputs = ["./libs/localpkg\n-e ./sub\n"]
    other_clone = tmp_path / "elsewhere" / "libs" / "localpkg"
    other_clone.mkdir(parents=True)
    assert portable.absolute("./libs/localpkg\n-e ./sub\n", root, inputs) is None
    assert portable.absolute(f"-e {root.as_uri()}/sub\n", root, inputs) == f"{root.as_uri()}/sub"
    assert portable.absolute(f"localpkg @ {other_clone.as_uri()}\n", root, inputs) == other_clone.as_uri()
    gone = (tmp_path / "gone" / "pkg").as_uri()
    assert portable.absolute(f"pkg @ {gone}\n", root, inputs) == gone
    # A folder outside the project that the inputs do not name in it is the user's to keep.
    outside = (tmp_path / "elsewhere").as_uri()
    assert portable.absolute(f"other @ {outside}\n-e file://${{LIBS}}/sub\n", root, inputs) is None


def test_a_dependency_the_lock_installs_from_a_local_folder_or_archive_counts_as_pinned(tmp_path: Path) -> None:
    """A lock names a local package by its path (`./libs/localpkg`), so `[project]`'s `localpkg` was
    reported as not pinned (uv's locks always; pip-compile's once their paths were made relative)."""
    from doitenv import declared

    root = _project(tmp_path)
    (root / "libs/localpkg/pyproject.toml").write_text('[project]\nname = "LocalPkg"\nversion = "1.0"\n')
    lock = "./libs/localpkg\n./dist/gizmo-1.0-py3-none-any.whl\n-e ./sub\nalpha==1.0\n"
    (root / "requirements.txt").write_text(lock)
    assert portable.local_names(lock, root) == {"localpkg": "", "gizmo": ""}  # sub/ states no name
    metadata = Metadata(name="demo", dependencies=("localpkg", "gizmo>=1", "alpha", "missing"))
    fix = declared.Fix("add it to requirements.in", "widen it")
    assert declared.unmet(metadata, root, "requirements.txt", fix, "3.11") == [
        "pyproject.toml: [project] depends on missing, which requirements.txt does not pin: "
        "add it to requirements.in and run `doit dev`"
    ]


def test_a_local_folder_names_itself_in_an_sdist_s_pkg_info_or_in_setup_cfg(tmp_path: Path) -> None:
    """An sdist unpacked into ./libs (asttokens 2.4.1: setup.cfg, no [project] table) was reported as
    not pinned, so `doit dev` warned and `doit check` failed on every run, in every clone."""
    from doitenv import declared

    root = _project(tmp_path)
    for name in ("unpacked", "cfgonly", "poetrypkg"):
        (root / "libs" / name).mkdir()
    (root / "libs/unpacked/PKG-INFO").write_text("Metadata-Version: 2.1\nName: AstTokens\nVersion: 2.4.1\n")
    (root / "libs/unpacked/pyproject.toml").write_text('[build-system]\nrequires = ["setuptools"]\n')
    (root / "libs/cfgonly/setup.cfg").write_text("[metadata]\nname = my_cfg.pkg\nversion = 1.0\n")
    (root / "libs/poetrypkg/pyproject.toml").write_text('[tool.poetry]\nname = "poetry-pkg"\n')
    lock = "./libs/unpacked\n-e ./libs/cfgonly\n./libs/poetrypkg\n-e ./sub\n"
    (root / "requirements.txt").write_text(lock)
    assert portable.local_names(lock, root) == {"asttokens": "", "my-cfg-pkg": "", "poetry-pkg": ""}
    metadata = Metadata(name="demo", dependencies=("asttokens>=2,<3", "my_cfg.pkg", "poetry-pkg"))
    fix = declared.Fix("add it to requirements.in", "widen it")
    assert declared.unmet(metadata, root, "requirements.txt", fix, "3.11") == []
