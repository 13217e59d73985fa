from __future__ import annotations

from pathlib import Path

import pytest

from doitenv import indexes, reqfile, runner
from doitenv.backends.piptools import PipTools
from doitenv.backends.uv import Uv
from tests.helpers import refusing_index


def _warnings(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "requirements.in"
    return indexes.warnings(reqfile.index_options({path: text}), {path: text}, tmp_path)


def _pip(output: str) -> runner.ToolFailure:
    return PipTools.explain_failure(output)


@pytest.fixture(autouse=True)
def _fresh_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(indexes, "_WARNED", set())


@pytest.mark.parametrize(
    "text",
    [
        "--index-url https://example.invalid/simple\n-f https://example.invalid/wheels/\n",
        "--index-url file:///srv/simple\n-f ./wheels\n-f file:///srv/wheels\n",  # the test suite's own
        "-i http://localhost:3141/simple\n-f http://127.0.0.1:8080/wheels/\n-i http://[::1]/simple\n",
        "-i http://devpi.localhost/simple\n--trusted-host example.invalid\n",
    ],
)
def test_one_index_over_https_or_on_this_machine_gets_no_warning(tmp_path: Path, text: str) -> None:
    assert _warnings(tmp_path, text) == []


def test_an_extra_index_and_plain_http_each_get_one_line_naming_where(tmp_path: Path) -> None:
    text = "alpha\n--extra-index-url https://example.invalid/simple\n-ihttp://pkgs.example.invalid/simple\n"
    found = _warnings(tmp_path, text)
    assert len(found) == 2
    assert found[0].startswith("requirements.in, line 2: --extra-index-url adds a second index")
    assert "(dependency confusion)" in found[0] and "hashes = true" in found[0]
    assert found[1].startswith("requirements.in, line 3: --index-url uses plain http") and "use https://" in found[1]
    assert _warnings(tmp_path, text) == []  # once a run: the next layer's pin repeats the options


@pytest.mark.parametrize(
    ("backend", "output", "host", "status"),
    [
        # pip's log (PIP_LOG), pip's own warning, pip's prompt, uv's hints.
        (
            PipTools,
            "2026-12-07T21:36:57,101   Could not fetch URL http://u:****@h.example:8472/simple/alpha/: 403 Client "
            "Error: Forbidden for url: http://h.example:8472/simple/alpha/ - skipping",
            "h.example:8472",
            "403 Forbidden",
        ),
        (
            PipTools,
            "WARNING: 401 Error, Credentials not correct for https://h.example/simple/alpha/",
            "h.example",
            "401",
        ),
        (PipTools, '2026-12-07 http://h.example:8471 "GET /simple/alpha/ HTTP/1.1" 401 0', "h.example:8471", "401"),
        (PipTools, "  User for h.example:8471: \n  Aborted!", "h.example:8471", "401 Unauthorized"),
        (
            Uv,
            "hint: An index URL (https://h.example/simple) could not be queried due to a lack of valid authentication "
            "credentials (401 Unauthorized)",
            "h.example",
            "401 Unauthorized",
        ),
        (Uv, "hint: An index (https://h.example/simple) returned a 403 Forbidden error.", "h.example", "403 Forbidden"),
    ],
)
def test_a_refusal_is_read_from_pip_and_uv(
    tmp_path: Path, backend: type[PipTools | Uv], output: str, host: str, status: str
) -> None:
    said = indexes.refused(backend.explain_failure(output), [], {}, tmp_path)
    assert said is not None
    assert said.startswith(f"the package index at {host} refused the credentials ({status}")
    assert "****" not in said and "u:" not in said


def test_a_refusal_names_the_variable_the_project_gives_that_host(tmp_path: Path) -> None:
    path = tmp_path / "requirements.in"
    text = "alpha\n--extra-index-url https://__token__:${PYPI_TOKEN}@h.example/simple\n"
    options = reqfile.index_options({path: text})
    said = indexes.refused(
        Uv.explain_failure("hint: An index (https://h.example/simple) returned a 403 Forbidden"),
        options,
        {path: text},
        tmp_path,
    )
    assert said == (
        "the package index at h.example refused the credentials (403 Forbidden): check that PYPI_TOKEN (which "
        "requirements.in, line 2 names as ${PYPI_TOKEN}) holds a valid token for it, or its entry in ~/.netrc or "
        "the keyring"
    )


@pytest.mark.parametrize(
    ("backend", "output"),
    [
        (PipTools, "ERROR: Could not find a version that satisfies the requirement alpha (from versions: none)"),
        (
            PipTools,
            "Could not fetch URL https://h.example/simple/alpha/: 404 Client Error: Not Found for url - skipping",
        ),
        (Uv, "hint: Packages were unavailable because the network was disabled."),
    ],
)
def test_no_refusal_is_read_where_there_was_none(tmp_path: Path, backend: type[PipTools | Uv], output: str) -> None:
    assert indexes.refused(backend.explain_failure(output), [], {}, tmp_path) is None


@pytest.mark.parametrize("status", [401, 403])
def test_an_index_pip_found_nothing_on_is_asked_with_the_credentials_it_was_given(
    tmp_path: Path, status: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pip says of a 403 nothing at all: doitenv asks the index itself, as pip did."""
    monkeypatch.setenv("PRIVATE_TOKEN", "wr0ng")
    path = tmp_path / "requirements.in"
    nothing = "ERROR: Could not find a version that satisfies the requirement alpha (from versions: none)"
    with refusing_index(status) as index:
        given = f"-i http://${{PRIVATE_TOKEN}}@{index}\nalpha\n"
        found = indexes.refused(_pip(nothing), reqfile.index_options({path: given}), {path: given}, tmp_path)
        bare = f"-i http://{index}\nalpha\n"  # no credentials: pip would have asked for them (_PROMPT)
        unasked = indexes.refused(_pip(nothing), reqfile.index_options({path: bare}), {path: bare}, tmp_path)
    assert found is not None and f"refused the credentials ({status} " in found and "wr0ng" not in found
    assert unasked is None
    assert indexes.refused(_pip("ERROR: something else failed"), [], {}, tmp_path) is None


def test_an_http_index_pip_ignores_is_named_with_the_fix(tmp_path: Path) -> None:
    """`-i http://host/simple` without --trusted-host: pip ignores the index and says so only in a
    WARNING that pip-compile's --quiet drops, so the failure read "Could not find a version ...
    (from versions: none)" and nothing more."""
    path = tmp_path / "requirements.in"
    output = "ERROR: Could not find a version that satisfies the requirement alpha (from versions: none)\n"

    def said(text: str) -> str | None:
        return indexes.ignored(_pip(output), reqfile.index_options({path: text}), {path: text}, tmp_path)

    assert said("alpha\n-i http://u:${TOKEN}@pypi.example/simple\n") == (
        "pip ignored the package index at pypi.example (requirements.in, line 2): it is plain http, and no "
        "--trusted-host names it: use https://, or, for an index you trust, add `--trusted-host pypi.example`"
    )
    assert said("-i http://pypi.example/simple\n--trusted-host pypi.example\n") is None
    assert said("-i http://localhost:3141/simple\n") is None
    assert said("-i https://pypi.example/simple\n") is None
    assert (
        indexes.ignored(
            _pip("ERROR: Cannot install alpha"), reqfile.index_options({path: "-i http://h/s\n"}), {}, tmp_path
        )
        is None
    )
