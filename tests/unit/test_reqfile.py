from __future__ import annotations

from pathlib import Path

import pytest

from doitenv import reqcheck, reqfile
from doitenv.backends.uv import uv_environment


def _problems(tmp_path: Path, text: str) -> list[str]:
    return reqcheck.problems(tmp_path / "requirements.in", tmp_path, text)


def test_logical_lines_join_continuations_and_drop_comments() -> None:
    text = "# header\nalpha==1.0 \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb\n    # via x\n\nbeta  # why\n"
    assert reqfile.logical_lines(text) == [
        reqfile.Line(2, "alpha==1.0     --hash=sha256:aa     --hash=sha256:bb"),
        reqfile.Line(7, "beta"),
    ]


# Lines seen in real projects' requirement files, and the odd spellings pip accepts.
REAL_WORLD_LINES = [
    "requests>=2.31  # HTTP",
    "numpy==1.26.4 ; python_version < '3.12'",
    "numpy==2.0.0;python_version>='3.12'",
    "alpha==1.0 \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb",
    "pkg[extra1,extra2]>=1.0",
    "pkg @ https://example.invalid/pkg-1.0.tar.gz#sha256=abc",
    "-r base.txt",
    "-rbase.txt",
    "--requirement base.txt",
    "--requirement=base.txt",
    "--requirem base.txt",
    "-r 'dir with space/base.txt'",
    "-r base.txt  # the base layer",
    "-r base.txt\t# a tab before the comment",
    "-c constraints.txt",
    "-cconstraints.txt",
    "--constraint=constraints.txt",
    "--constr constraints.txt",
    "-r a.txt -c b.txt",
    "-c b.txt -r a.txt",
    "-r a.txt -r b.txt",
    "-e .",
    "-e ./libs/local -r ignored.txt",
    "--editable=git+https://example.invalid/repo.git#egg=repo",
    "-i https://example.invalid/simple",
    "--index-url=https://example.invalid/simple",
    "--pypi-url https://example.invalid/simple",
    "--extra-index-url https://${TOKEN}@example.invalid/simple",
    "--extra-index https://example.invalid/extra",
    "-f ./wheels",
    "-f./wheels",
    "--find-links=file:///opt/wheels",
    "--no-index",
    "--trusted-host example.invalid",
    "--prefer-binary",
    "--pre",
    "--only-binary :all:",
    "--no-binary=pkg",
    "--require-hashes",
    "pkg==1.0 --hash sha256:aa --hash=sha256:bb",
    "pkg==1.0 -C key=value",
    "# a comment \\",
    "alpha \\",
    "  -r indented.txt",
    "-r ${LAYER_DIR}/layer.txt",
    "beta#not-a-comment",
    "gamma #a-comment",
]


def _pip_reads(path: Path) -> list[tuple[int, str, list[str], list[str], list[str], list[str]]]:
    """What pip's own parser makes of a file: per line, the requirement, then the -r, -c, -e
    and --index-url/--extra-index-url/--find-links values it took."""
    from pip._internal.network.session import PipSession
    from pip._internal.req.req_file import RequirementsFileParser, get_line_parser

    parser = RequirementsFileParser(PipSession(), get_line_parser(None))
    found = []
    for parsed in parser._parse_file(str(path), constraint=False):
        opts = parsed.opts
        index = [*([opts.index_url] if opts.index_url else []), *(opts.extra_index_urls or [])]
        index += opts.find_links or []
        includes = [opts.requirements or [], opts.constraints or [], opts.editables or []]
        # pip strips the requirement later, when it reads it (install_req_from_line).
        found.append((parsed.lineno, parsed.args.strip(), *includes, index))
    return found


def _we_read(text: str) -> list[tuple[int, str, list[str], list[str], list[str], list[str]]]:
    found = []
    for entry in reqfile.entries(text):
        index = [value for flag, value in entry.options if flag in ("--index-url", "--extra-index-url")]
        index += entry.values("--find-links")
        lists = [entry.values(flag) for flag in ("--requirement", "--constraint", "--editable")]
        found.append((entry.line.number, entry.requirement, *lists, index))
    return found


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("line", REAL_WORLD_LINES)
def test_lines_read_as_pip_reads_them(tmp_path: Path, line: str, ending: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LAYER_DIR", raising=False)
    text = f"# first\n{line}\nomega\n".replace("\n", ending)
    path = tmp_path / "requirements.in"
    path.write_bytes(text.encode())
    assert _we_read(reqfile.read(path)) == _pip_reads(path)


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ("alpha\nbéta\n".encode("utf-16"), "alpha\nbéta\n"),
        ("alpha\nbéta\n".encode("utf-8-sig"), "alpha\nbéta\n"),
        ("alpha\nbéta\n".encode("utf-32"), "alpha\nbéta\n"),
        ("# -*- coding: latin-1 -*-\nbéta\n".encode("latin-1"), "# -*- coding: latin-1 -*-\nbéta\n"),
    ],
)
def test_files_decode_as_pip_decodes_them(tmp_path: Path, data: bytes, text: str) -> None:
    from pip._internal.req.req_file import _decode_req_file

    assert reqfile.decode(data, "requirements.in") == text == _decode_req_file(data, "requirements.in")


def test_a_file_pip_would_read_by_the_machine_locale_is_refused() -> None:
    with pytest.raises(reqfile.UnreadableFile, match="requirements.in is not valid utf-8 .byte 1.: save it as UTF-8"):
        reqfile.decode("béta\n".encode("latin-1"), "requirements.in")


def test_includes_follow_pip_relative_to_the_including_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAYER_DIR", "layers")
    text = "-r ${LAYER_DIR}/a.txt\n-c file:///opt/c.txt\n-r https://example.invalid/r.txt\npkg -r not-an-include.txt\n"
    assert reqfile.includes(tmp_path / "sub" / "x.in", text) == [
        ("-r", tmp_path / "sub" / "layers" / "a.txt"),
        ("-c", Path("/opt/c.txt")),
    ]


def test_pins_take_every_spelling_of_a_pin() -> None:
    text = (
        "Alpha_Pkg==1.0 ; python_version < '3.12'\nbeta===2.0\ngamma[x]==3.0\\\n  --hash=sha256:aa\n"
        "delta @ https://example.invalid/d.whl\nepsilon==4.0;sys_platform=='win32'\n-e .\nzeta>=1\n"
    )
    assert reqfile.pins(text) == {"alpha-pkg": "1.0", "beta": "2.0", "gamma": "3.0", "delta": "", "epsilon": "4.0"}


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
        "-i https://${TOKEN}:@example.invalid/simple",  # the token as the user, as a reference
        "-i 'https://${TOKEN}@example.invalid/simple'",
        "-ihttps://__token__:${PASSWORD}@example.invalid/simple",
        "--trusted-host example.invalid:8080",
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
        # In the query string, under every name services use for one.
        "--extra-index-url https://example.invalid/simple?token=s3cret",
        "--extra-index-url=https://example.invalid/simple?token=s3cret",
        "-i https://example.invalid/simple/?x=1&access_token=s3cret",
        "--index-url https://example.invalid/simple?private_token=s3cret",
        "--find-links https://example.invalid/wheels?apiKey=s3cret",
        "--find-links https://example.invalid/wheels?api-key=s3cret",
        "--find-links https://example.invalid/wheels?apikey=s3cret",
        "-i https://example.invalid/simple?password=s3cret",
        "-i https://example.invalid/simple?secret=s3cret",
        "-i https://example.invalid/simple?auth=s3cret",
        "alpha @ https://example.invalid/alpha-1.0-py3-none-any.whl?X-Amz-Signature=s3cret&X-Amz-Credential=s3cret",
        # Every spelling pip accepts for an option: glued, quoted, `=`, shortened, in any option.
        "-ihttps://u:s3cret@example.invalid/simple",
        '-i "https://u:s3cret@example.invalid/simple"',
        "--index-url 'https://u:s3cret@example.invalid/simple'",
        "--index-url='https://u:s3cret@example.invalid/simple'",
        "--extra-index 'https://u:s3cret@example.invalid/simple'",
        "-f'https://u:s3cret@example.invalid/wheels/'",
        "alpha --hash=sha256:aa -f https://u:s3cret@example.invalid/wheels/",
        "-r 'https://u:s3cret@example.invalid/base.txt'",
        '-c"https://u:s3cret@example.invalid/constraints.txt"',
        "-e 'git+https://u:s3cret@example.invalid/alpha.git#egg=alpha'",
        "--trusted-host u:s3cret@example.invalid",
        "alpha@https://u:s3cret@example.invalid/alpha.whl",
        # A token as the user part with an empty password, the way indexes take a token as a user.
        "--index-url https://ghp_s3cret:@example.invalid/simple",
        "--index-url https://s3cret:@example.invalid/simple",
        "-i https://ghu_s3cret@example.invalid/simple",
        "-i https://ghp%5Fs3cret@example.invalid/simple",
    ],
)
def test_a_literal_credential_is_refused_without_repeating_it(tmp_path: Path, line: str) -> None:
    found = _problems(tmp_path, line + "\n")
    assert len(found) == 1
    assert "holds a credential as plain text" in found[0] and "${TOKEN}" in found[0]
    assert "s3cret" not in found[0]


@pytest.mark.parametrize(
    "line",
    [
        "--extra-index-url https://example.invalid/simple?token=${TOKEN}",
        "--extra-index-url https://example.invalid/simple?page=2&format=json",  # no credential
        "--index-url https://example.invalid/simple?keyboard=us",  # a word, not a key
    ],
)
def test_a_query_without_a_literal_credential_passes(
    tmp_path: Path, line: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOKEN", "t")
    assert _problems(tmp_path, line + "\n") == []


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
    assert uv_environment(options) == {"UV_INDEX_URL": url, "UV_DEFAULT_INDEX": url}


@pytest.mark.parametrize(
    ("line", "refused"),
    [
        ("-ihttps://${TOKEN}@example.invalid/simple", False),
        ("--index-url 'https://__token__:${TOKEN}@example.invalid/my simple'", False),
        ('--extra-index-url="https://${TOKEN}:@example.invalid/simple"', False),
        ("-f 'https://example.invalid/wheels?token=${TOKEN}'", False),
        ("--trusted-host=example.invalid", False),
        ("-f './my wheels'", False),
        ("-ihttps://u:s3cret@example.invalid/simple", True),
        ("--index-url 'https://u:s3cret@example.invalid/simple'", True),
        ('--extra-index-url="https://ghp_s3cret:@example.invalid/simple"', True),
    ],
)
def test_a_lock_gets_the_verdict_of_the_input_it_is_written_from(
    tmp_path: Path, line: str, refused: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The next run must never refuse a lock doitenv wrote: its index lines pass the one check
    exactly when the input's spelling of them did."""
    monkeypatch.setenv("TOKEN", "t")
    (tmp_path / "my wheels").mkdir()
    assert bool(_problems(tmp_path, line + "\n")) is refused
    written = reqfile.lock_lines(reqfile.index_options({tmp_path / "requirements.in": line + "\n"}), tmp_path)
    assert len(written) == 1
    assert bool(reqcheck.problems(tmp_path / "requirements.txt", tmp_path, written[0] + "\n")) is refused


def test_a_conflicted_file_is_read_as_each_side_wrote_it() -> None:
    text = (
        "<<<<<<< HEAD\n# doitenv: inputs=aa\n||||||| base\n# doitenv: inputs=00\n=======\n# doitenv: inputs=bb\n"
        ">>>>>>> other\nalpha==1.0\n<<<<<<< HEAD\nbeta==1.0\ngamma==1.0\n=======\nbeta==2.0\ngamma==1.0\n"
        ">>>>>>> other\n"
    )
    sides = reqfile.conflict_sides(text)
    assert sides == (
        "# doitenv: inputs=aa\nalpha==1.0\nbeta==1.0\ngamma==1.0\n",
        "# doitenv: inputs=bb\nalpha==1.0\nbeta==2.0\ngamma==1.0\n",
    )
    assert reqfile.agreed_requirements(text) == ["alpha==1.0", "gamma==1.0"]
    assert reqfile.conflict_sides("alpha==1.0\n# =======\n") is None
    assert reqfile.agreed_requirements("alpha==1.0\n") == ["alpha==1.0"]
