"""More layers (tool.doitenv.locks) and adopting a pip-tools project's locks as they are."""

from __future__ import annotations

from pathlib import Path

import pytest

from doitenv import adoption, config, layers, locks
from doitenv.locks import LockShape

PY311 = LockShape("3.11", hashes=False)


def project(tmp_path: Path, settings: str, **contents: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(f"[tool.doitenv]\n{settings}\n")
    for name, text in contents.items():
        path = tmp_path / name.replace("__", ".").replace("/.", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


# The layout of openedx/opaque-keys 4.0.0: dev.txt holds base.txt's pins only through doc.txt and test.txt.
EDX = {
    "requirements/constraints.txt": "# limits\n",
    "requirements/base__in": "-c constraints.txt\nstevedore\n",
    "requirements/test__in": "-c constraints.txt\n-r base.txt\npytest\n",
    "requirements/doc__in": "-c constraints.txt\n-r test.txt\nsphinx\n",
    "requirements/ci__in": "-c constraints.txt\ntox\n",
    "requirements/dev__in": "-c constraints.txt\n-r doc.txt\n-r ci.txt\n",
}
EDX_SETTINGS = """requirements-in = "requirements/base.in"
requirements = "requirements/base.txt"
dev-requirements-in = "requirements/dev.in"
dev-requirements = "requirements/dev.txt"
locks = ["requirements/*.in"]"""


def test_every_matching_in_file_is_a_layer_after_the_locks_it_pulls_in(tmp_path: Path) -> None:
    root = project(tmp_path, EDX_SETTINGS, **EDX)
    found = layers.of(config.load(root))
    order = [layer.lock for layer in found]
    assert sorted(order) == [f"requirements/{name}.txt" for name in ("base", "ci", "dev", "doc", "test")]
    for layer in found:
        assert all(order.index(lock) < order.index(layer.lock) for lock in layer.pulls_in), (layer.lock, order)
    by_lock = {layer.lock: layer for layer in found}
    assert by_lock["requirements/dev.txt"].holds_pins_of == ("requirements/doc.txt", "requirements/ci.txt")
    assert by_lock["requirements/ci.txt"].pulls_in == ()
    # The dev layer holds the runtime pins through doc.txt and test.txt: that counts as layered.
    assert layers.reaches(found, by_lock["requirements/dev.txt"], "requirements/base.txt")
    assert not layers.reaches(found, by_lock["requirements/ci.txt"], "requirements/base.txt")


def test_a_constraint_on_the_way_orders_but_does_not_layer(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        'locks = ["extra.in"]',
        **{"requirements.in": "alpha\n", "requirements-dev.in": "-r requirements.txt\n-r extra.in\n"},
        extra__in="-c requirements.txt\nbeta\n",
    )
    found = {layer.lock: layer for layer in layers.of(config.load(root))}
    assert found["extra.txt"].pulls_in == ("requirements.txt",) and found["extra.txt"].holds_pins_of == ()
    # dev.in pulls in extra.in (not its lock): extra.in's -c reaches requirements.txt as a constraint.
    assert found["requirements-dev.txt"].holds_pins_of == ("requirements.txt",)


def test_layers_that_pull_in_each_others_locks_are_one_message(tmp_path: Path) -> None:
    root = project(
        tmp_path, 'locks = ["a.in", "b.in", "z.in"]', a__in="-r b.txt\n", b__in="-c a.txt\n", z__in="-r a.txt\n"
    )
    with pytest.raises(config.ConfigError) as raised:
        layers.of(config.load(root))
    # z.in only waits on the circle: it is not named.
    assert raised.value.errors == [
        "a.in and b.in pull in each other's locks (-r/-c), so none of them can be pinned first: remove one of "
        "those includes"
    ]


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("docs/*.in", "matches no file"),
        ("requirements/*", "which is no .in file"),
        ("../elsewhere.in", "must be a path inside the project"),
    ],
)
def test_a_locks_pattern_that_names_no_in_file_is_refused(tmp_path: Path, pattern: str, message: str) -> None:
    root = project(tmp_path, f"locks = [{pattern!r}]", **{"requirements/a__in": "alpha\n", "requirements/b.txt": ""})
    with pytest.raises(config.ConfigError, match=message):
        config.load(root)


def test_a_layer_whose_lock_is_another_setting_s_is_refused(tmp_path: Path) -> None:
    root = project(tmp_path, 'requirements = "tests.txt"\nlocks = ["tests.in"]', tests__in="alpha\n")
    with pytest.raises(config.ConfigError, match="both name 'tests.txt'"):
        config.load(root)


FOOTER = "# The following packages are considered to be unsafe in a requirements file:\n"


@pytest.mark.parametrize(
    ("body", "unsafe", "extras"),
    [
        ("alpha==1.0\n", None, None),  # nothing shows
        (f"alpha==1.0\n\n{FOOTER}# setuptools\n", False, None),  # pip-compile without --allow-unsafe
        (f"alpha==1.0\n\n{FOOTER}setuptools==80.0\n    # via alpha\n", True, None),
        ("coverage[toml]==7.13.5\n    # via -r requirements/test.in\n", None, False),  # no --strip-extras
    ],
)
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_pip_tools_lock_shows_its_style(
    tmp_path: Path, body: str, unsafe: bool | None, extras: bool | None, newline: str
) -> None:
    lock = tmp_path / "requirements.txt"
    text = "#\n# This file is autogenerated by pip-compile with Python 3.11\n#\n" + body
    lock.write_bytes(text.replace("\n", newline).encode())
    assert adoption.style(lock) == (unsafe, extras)


def test_a_file_no_resolver_wrote_shows_no_style(tmp_path: Path) -> None:
    lock = tmp_path / "requirements.txt"
    lock.write_text("coverage[toml]==7.13.5\n")  # written by hand: its extras say nothing of pip-compile's flags
    assert adoption.style(lock) == (None, None)


def test_the_python_pip_compile_named_is_read_in_either_spelling(tmp_path: Path) -> None:
    lock = tmp_path / "requirements.txt"
    for line, python in [("with Python 3.12", "3.12"), ("with python 3.10", "3.10"), ("", None)]:
        lock.write_text(f"#\n# This file is autogenerated by pip-compile {line}\n#\nalpha==1.0\n")
        assert adoption.compiled_with(lock) == python


def test_doitenv_records_a_style_other_than_its_own(tmp_path: Path) -> None:
    """Once pinned, the style is in the first line: a lock whose unsafe footer went away with
    the last package that needed setuptools keeps leaving it out."""
    lock = tmp_path / "requirements.txt"
    kept = LockShape("3.11", False, allow_unsafe=False, strip_extras=False)
    lock.write_text(locks.header_line("d", "b", kept) + "alpha==1.0\n")
    assert adoption.style(lock) == (False, False)
    assert locks.recorded(lock) == locks.Header("d", "b", "3.11", locks.LOCK_FORMAT, False, False)
    # doitenv's own style writes nothing more: every lock written before keeps its first line.
    assert locks.header_line("d", "b", PY311).endswith(f"format={locks.LOCK_FORMAT}\n")
    assert PY311.parts() == [f"doitenv-lock-{locks.LOCK_FORMAT}", "3.11", "no hashes"]
    assert kept.parts()[3:] == ["unsafe left out", "extras kept"]


def test_a_lock_that_shows_no_style_follows_the_project_s_other_locks_and_a_setting_wins(tmp_path: Path) -> None:
    from doitenv.project import Project

    root = project(tmp_path, "", **{"requirements.in": "alpha\n", "requirements-dev.in": "-r requirements.txt\n"})
    (root / "requirements.txt").write_text(
        f"# This file is autogenerated by pip-compile\nalpha==1.0\n\n{FOOTER}# setuptools\n"
    )
    (root / "requirements-dev.txt").write_text("alpha==1.0\n")
    found = Project(config.load(root))
    assert (found.lock_shape(found.dev).allow_unsafe, found.lock_shape(found.dev).strip_extras) == (False, True)
    (root / "pyproject.toml").write_text("[tool.doitenv]\nallow-unsafe = true\nstrip-extras = false\n")
    found = Project(config.load(root))
    assert (found.lock_shape(found.runtime).allow_unsafe, found.lock_shape(found.runtime).strip_extras) == (True, False)


@pytest.mark.parametrize(
    ("annotation", "folder"),
    [("-r tests.in", "requirements"), ("-r requirements/tests.in", "."), ("-r requirements/base.txt", ".")],
)
def test_the_resolver_runs_where_the_lock_shows_it_ran(tmp_path: Path, annotation: str, folder: str) -> None:
    root = project(
        tmp_path,
        "",
        **{"requirements/tests__in": "-r base.txt\npytest\n", "requirements/base.txt": "alpha==1.0\n"},
    )
    lock = root / "requirements/tests.txt"
    inputs = locks.read_inputs(root, "requirements/tests.in")
    assert adoption.resolver_folder(inputs, [lock]) == root  # no lock yet: the project's folder
    lock.write_text(f"pytest==9.0\n    # via\n    #   {annotation}\n    #   other\n")
    assert adoption.resolver_folder(inputs, [lock]) == (root / folder if folder != "." else root)


def test_an_include_after_a_bare_comment_line_is_no_annotation(tmp_path: Path) -> None:
    """pip-compile-multi (click 8.1.7) writes `#` lines above `-r docs.txt`: read as one annotation,
    that include sent the resolver into requirements/, and every `# via -r requirements/dev.in`
    became `# via -r dev.in`."""
    root = project(tmp_path, "", **{"requirements/dev__in": "-r docs.in\npytest\n", "requirements/docs__in": ""})
    (root / "requirements/docs.txt").write_text("sphinx==8.0\n")
    lock = root / "requirements/dev.txt"
    for newline in ("\n", "\r\n"):
        head = ["# SHA1:0eaa389e", "#", "# This file is autogenerated by pip-compile-multi", "#", "-r docs.txt"]
        body = ["build==0.10.0", "    # via -r requirements/dev.in"]
        lock.write_bytes(newline.join([*head, *body, ""]).encode())
        inputs = locks.read_inputs(root, "requirements/dev.in")
        assert adoption.resolver_folder(inputs, [lock]) == root


def test_a_new_lock_runs_where_the_other_locks_in_its_folder_show(tmp_path: Path) -> None:
    root = project(tmp_path, "", **{"requirements/tests__in": "pytest\n", "requirements/docs__in": "sphinx\n"})
    inputs = locks.read_inputs(root, "requirements/tests.in")
    docs = root / "requirements/docs.txt"
    docs.write_text("sphinx==8.0\n    # via -r docs.in\n")
    assert adoption.resolver_folder(inputs, [root / "requirements/tests.txt", docs]) == root / "requirements"


def test_a_watch_round_keeps_the_project_it_had_when_layers_go_circular(tmp_path: Path) -> None:
    from doitenv import watch
    from doitenv.project import Project

    root = project(tmp_path, 'locks = ["a.in", "b.in"]', a__in="-r b.txt\n", b__in="beta\n")
    before = Project(config.load(root))
    (root / "b.in").write_text("-c a.txt\n")
    assert watch._reload(before) is before  # the round's own doit says what is wrong


def test_a_glob_leaves_out_hidden_files_the_venv_and_manifest_in(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        'locks = ["**/*.in"]',
        **{"tests__in": "pytest\n", "MANIFEST.in": "include *.txt\n", ".x.txt.doitenv-in": "", "venv/lib/a.in": ""},
        **{".tox/py/b.in": "", "requirements/docs__in": "sphinx\n"},
    )
    assert config.load(root).layer_inputs == ("requirements/docs.in", "tests.in")


def test_a_pattern_that_is_no_glob_is_one_message(tmp_path: Path) -> None:
    root = project(tmp_path, 'locks = ["**.in"]', tests__in="pytest\n")
    try:
        config.load(root)
    except config.ConfigError as exc:
        assert "tool.doitenv.locks has '**.in', which" in str(exc)
    else:
        assert config.load(root).layer_inputs == ("tests.in",)  # Pythons whose glob reads '**.in' as '*.in'
