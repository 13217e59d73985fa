from __future__ import annotations

from pathlib import Path

import pytest

from doitenv import reqfile


def _problems(tmp_path: Path, text: str, check_environment: bool = False) -> list[str]:
    path = tmp_path / "requirements.in"
    return reqfile.problems(path, tmp_path, text, check_environment)


def test_logical_lines_join_continuations_and_drop_comments() -> None:
    text = "# header\nalpha==1.0 \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb\n    # via x\n\nbeta  # why\n"
    assert reqfile.logical_lines(text) == [
        reqfile.Line(2, "alpha==1.0      --hash=sha256:aa      --hash=sha256:bb"),
        reqfile.Line(7, "beta"),
    ]


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("alpha>=>2", "'alpha>=>2' is not a valid requirement"),
        ("beta[", "'beta[' is not a valid requirement"),
        ('alpha; python_version >> "3"', "is not a valid requirement"),
        ("alpha @ notaurl", "'notaurl' is not a URL"),
    ],
)
def test_malformed_requirements_get_one_verdict_naming_the_line(tmp_path: Path, line: str, says: str) -> None:
    found = _problems(tmp_path, f"# first\n{line}\n")
    assert len(found) == 1
    assert found[0].startswith("requirements.in, line 2: ") and says in found[0]


@pytest.mark.parametrize(
    "line",
    [
        "alpha==1.0 --hash=sha256:abc",
        'alpha[fast]>=1,<2 ; python_version < "3.12"',
        "alpha @ https://example.invalid/alpha-1.0-py3-none-any.whl",
        "alpha @ file:///wheels/alpha-1.0-py3-none-any.whl",
        "./vendored/alpha",
        "https://example.invalid/alpha-1.0.tar.gz",
        "-e .",
        "-r other.in",
        "--index-url https://${TOKEN}@example.invalid/simple",
        "--extra-index-url https://__token__:${PASSWORD}@example.invalid/simple",
        "alpha @ git+ssh://git@example.invalid/alpha.git",
    ],
)
def test_what_pip_reads_as_valid_passes(tmp_path: Path, line: str) -> None:
    assert _problems(tmp_path, line + "\n") == []


@pytest.mark.parametrize(
    "line",
    [
        "--index-url https://user:s3cret@example.invalid/simple",
        "-i https://ghp_s3cret@example.invalid/simple",
        "--extra-index-url=https://${USER}:s3cret@example.invalid/simple",
        "alpha @ https://s3cret@example.invalid/alpha.whl",
    ],
)
def test_a_literal_credential_is_refused_without_repeating_it(tmp_path: Path, line: str) -> None:
    found = _problems(tmp_path, line + "\n")
    assert len(found) == 1
    assert "holds a credential as plain text" in found[0] and "${TOKEN}" in found[0]
    assert "s3cret" not in found[0]


def test_an_environment_reference_must_be_set_when_it_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOITENV_TEST_TOKEN", raising=False)
    text = "--index-url https://${DOITENV_TEST_TOKEN}@example.invalid/simple\n"
    assert _problems(tmp_path, text) == []  # `doit check` needs no credentials
    assert "uses ${DOITENV_TEST_TOKEN}, which is not set" in _problems(tmp_path, text, True)[0]
    monkeypatch.setenv("DOITENV_TEST_TOKEN", "x")
    assert _problems(tmp_path, text, True) == []


def test_find_links_must_stay_inside_the_project(tmp_path: Path) -> None:
    (tmp_path / "wheels").mkdir()
    assert _problems(tmp_path, "--find-links wheels\n-f ./wheels/\n") == []
    found = _problems(tmp_path, "--find-links ../elsewhere\n")
    assert "--find-links ../elsewhere is outside the project, so a clone would not find it" in found[0]
    assert "outside the project" in _problems(tmp_path, "-f /opt/wheels\n")[0]
    assert _problems(tmp_path, "-f https://example.invalid/wheels/\n") == []


def test_index_options_reach_the_lock_relative_to_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    in_file = tmp_path / "requirements" / "base.in"
    text = "-i https://${TOKEN}@example.invalid/simple\n--find-links ../wheels\n--no-index\nalpha\n-f ./../wheels/\n"
    options = reqfile.index_options([in_file], {in_file: text})
    assert reqfile.lock_lines(options, tmp_path) == [
        "--index-url https://${TOKEN}@example.invalid/simple",
        "--find-links wheels",
        "--no-index",
    ]
    assert reqfile.lock_lines(options, in_file.parent)[1] == "--find-links ../wheels"
    monkeypatch.setenv("TOKEN", "t0k")
    assert reqfile.uv_environment(options) == {"UV_INDEX_URL": "https://t0k@example.invalid/simple"}
