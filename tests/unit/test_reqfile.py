from __future__ import annotations

from pathlib import Path

import pytest

from doitenv import reqfile


def _problems(tmp_path: Path, text: str) -> list[str]:
    return reqfile.problems(tmp_path / "requirements.in", tmp_path, text)


def test_logical_lines_join_continuations_and_drop_comments() -> None:
    text = "# header\nalpha==1.0 \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb\n    # via x\n\nbeta  # why\n"
    assert reqfile.logical_lines(text) == [
        reqfile.Line(2, "alpha==1.0      --hash=sha256:aa      --hash=sha256:bb"),
        reqfile.Line(7, "beta"),
    ]


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("alpha>=>2", "'alpha>=>2' is not a valid requirement (Expected semicolon"),
        ("alpha>=>2", "write it as PEP 508 says, e.g. 'alpha>=2'"),
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
        "libs/alpha[fast]",
        "alpha-1.0.tar.gz",
        "https://example.invalid/alpha-1.0.tar.gz",
        "-e .",
        "-r other.in",
        "--index-url https://${TOKEN}@example.invalid/simple",
        "--extra-index-url https://__token__:${PASSWORD}@example.invalid/simple",
        "alpha @ git+ssh://git@example.invalid/alpha.git",
        "alpha @ git+https://git@example.invalid/alpha.git",
        "--index-url https://me@example.invalid/simple",  # a keyring looks the password up
        "-f 'wheels",  # an unbalanced quote: pip says what is wrong with it
    ],
)
def test_what_pip_reads_as_valid_passes(tmp_path: Path, line: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKEN", "t")
    monkeypatch.setenv("PASSWORD", "p")
    assert _problems(tmp_path, line + "\n") == []


@pytest.mark.parametrize(
    "line",
    [
        "--index-url https://user:s3cret@example.invalid/simple",
        "-i https://ghp_s3cret@example.invalid/simple",
        "--extra-index-url=https://${USER}:s3cret@example.invalid/simple",
        "alpha @ https://glpat-s3cret@example.invalid/alpha.whl",
        "--find-links https://ab12cd34ef56gh78s3cret@example.invalid/wheels/",
    ],
)
def test_a_literal_credential_is_refused_without_repeating_it(tmp_path: Path, line: str) -> None:
    found = _problems(tmp_path, line + "\n")
    assert len(found) == 1
    assert "holds a credential as plain text" in found[0] and "${TOKEN}" in found[0]
    assert "s3cret" not in found[0]


def test_an_environment_reference_must_be_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOITENV_TEST_TOKEN", raising=False)
    text = "--index-url https://${DOITENV_TEST_TOKEN}@example.invalid/simple\n"
    assert "line 1: uses ${DOITENV_TEST_TOKEN}, which is not set" in _problems(tmp_path, text)[0]
    monkeypatch.setenv("DOITENV_TEST_TOKEN", "x")
    assert _problems(tmp_path, text) == []


def test_find_links_must_stay_inside_the_project(tmp_path: Path) -> None:
    (tmp_path / "wheels").mkdir()
    assert _problems(tmp_path, "--find-links wheels\n-f ./wheels/\n-f .\n--find-links\n") == []
    found = _problems(tmp_path, "--find-links ../elsewhere\n")
    assert "--find-links ../elsewhere is outside the project, so a clone would not find it" in found[0]
    assert "outside the project" in _problems(tmp_path, "-f /opt/wheels\n")[0]
    assert _problems(tmp_path, "-f https://example.invalid/wheels/\n") == []


def test_index_options_reach_the_lock_relative_to_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    in_file = tmp_path / "requirements" / "base.in"
    text = (
        "-i https://${TOKEN}@example.invalid/simple\n--find-links ../wheels\n--no-index\nalpha\n-f ./../wheels/\n"
        "-f ${WHEELS}/x\n-f '../my wheels'\n"
    )
    options = reqfile.index_options({in_file: text})
    assert reqfile.lock_lines(options, tmp_path) == [
        "--index-url https://${TOKEN}@example.invalid/simple",
        "--find-links wheels",
        "--no-index",
        "--find-links ${WHEELS}/x",  # the reference, not this machine's value
        "--find-links 'my wheels'",
    ]
    assert reqfile.lock_lines(options, in_file.parent)[1] == "--find-links ../wheels"
    monkeypatch.setenv("TOKEN", "t0k")
    url = "https://t0k@example.invalid/simple"
    assert reqfile.uv_environment(options) == {"UV_INDEX_URL": url, "UV_DEFAULT_INDEX": url}
