from __future__ import annotations

from pathlib import Path

import pytest

from doitenv.config import DEFAULT_TEST_COMMAND, Config, ConfigError, load


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(text)
    return tmp_path


def test_defaults_follow_the_reference_workflow(tmp_path: Path) -> None:
    config = load(write(tmp_path, "[project]\nname = 'x'\n"))
    assert config == Config(root=tmp_path)
    assert (config.venv, config.requirements_in, config.requirements) == ("venv", "requirements.in", "requirements.txt")
    assert config.test_command == DEFAULT_TEST_COMMAND
    assert config.build_inputs is not None and config.build_inputs["project"] == {"name": "x"}


def test_no_pyproject_means_defaults_and_no_project(tmp_path: Path) -> None:
    config = load(tmp_path)
    assert config.build_inputs is None and config.venv == "venv"


def test_settings_are_read_and_converted(tmp_path: Path) -> None:
    text = """[tool.doitenv]
venv = ".venv"
python = "3.12"
requirements-in = "deps\\\\base.in"
test-command = "pytest -x 'a b'"
hashes = true
backend = "uv"
format-commands = ["black .", ["ruff", "check", "--fix", "."]]
"""
    config = load(write(tmp_path, text))
    assert config.venv == ".venv" and config.python == "3.12"
    assert config.requirements_in == "deps/base.in"  # one spelling for task names and targets
    assert config.test_command == ("pytest", "-x", "a b")
    assert config.hashes is True and config.backend == "uv"
    assert config.format_commands == (("black", "."), ("ruff", "check", "--fix", "."))


def test_every_problem_is_reported_at_once_with_its_full_key(tmp_path: Path) -> None:
    text = (
        '[tool.doitenv]\nvenv = 3\ncolour = "red"\ntest-command = []\nrequirements = "/etc/x.txt"\n'
        'hashes = "yes"\nbackend = "conda"\n'
    )
    with pytest.raises(ConfigError) as caught:
        load(write(tmp_path, text))
    errors = caught.value.errors
    assert len(errors) == 6
    assert any("tool.doitenv.hashes must be true or false, not 'yes'" in e for e in errors)
    assert any("tool.doitenv.backend must be one of 'pip-tools', 'uv', not 'conda'" in e for e in errors)
    assert any("tool.doitenv.venv must be a non-empty string, not 3" in e for e in errors)
    assert any("tool.doitenv.colour is not a doitenv setting" in e for e in errors)
    assert any("tool.doitenv.test-command must be a command" in e for e in errors)
    assert any("tool.doitenv.requirements must be a path inside the project" in e for e in errors)
    assert all(e.startswith(str(tmp_path / "pyproject.toml")) for e in errors)


@pytest.mark.parametrize("venv", ["src", "tests", ".", "../elsewhere", "C:/venv"])
def test_the_venv_may_not_sit_on_the_project_or_outside_it(tmp_path: Path, venv: str) -> None:
    with pytest.raises(ConfigError, match="tool.doitenv.venv"):
        load(write(tmp_path, f'[tool.doitenv]\nvenv = "{venv}"\n'))


def test_two_settings_naming_one_file_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="both name 'requirements.txt'"):
        load(write(tmp_path, '[tool.doitenv]\ndev-requirements = "requirements.txt"\n'))


def test_invalid_toml_names_the_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"pyproject.toml: not valid TOML .*line 2"):
        load(write(tmp_path, "[tool.doitenv]\nvenv = \n"))


def test_the_editable_install_follows_build_settings_not_tool_environments(tmp_path: Path) -> None:
    """Editing hatch's environments or a Poetry dev group rebuilt the wheel and re-synced the venv."""
    base = '[project]\nname = "x"\nversion = "1"\n\n[tool.hatch.build]\nexclude = ["a"]\n'
    (tmp_path / "pyproject.toml").write_text(base + '[tool.hatch.envs.test]\ndependencies = ["pytest"]\n')
    before = load(tmp_path).build_inputs
    (tmp_path / "pyproject.toml").write_text(base + '[tool.hatch.envs.test]\ndependencies = ["pytest", "x"]\n')
    assert load(tmp_path).build_inputs == before
    (tmp_path / "pyproject.toml").write_text(base.replace('"a"', '"b"'))
    assert load(tmp_path).build_inputs != before
    poetry = '[tool.poetry]\nname = "x"\nversion = "1"\n\n[tool.poetry.group.dev.dependencies]\npytest = "*"\n'
    (tmp_path / "pyproject.toml").write_text(poetry)
    before = load(tmp_path).build_inputs
    assert before is not None and before["tool"]["poetry"]["name"] == "x"
    (tmp_path / "pyproject.toml").write_text(poetry.replace('"*"', '">=8"'))
    assert load(tmp_path).build_inputs == before
    (tmp_path / "pyproject.toml").write_text('[tool.poetry]\nname = "x"\npackage-mode = false\n')
    assert load(tmp_path).build_inputs is None


def test_project_table_of_wrong_types_is_reported_with_the_settings_all_at_once(tmp_path: Path) -> None:
    """`dependencies = "abc"` was pinned as the three requirements a, b and c; a wrong type in
    [project] is now one line with its full key and the fix, beside [tool.doitenv]'s problems."""
    text = """[project]
name = 3
version = 1.0
requires-python = 3.9
dependencies = "abc"
optional-dependencies = {test = "pytest", docs = ["sphinx", 2]}
dynamic = "version"

[dependency-groups]
dev = "pytest"

[tool.doitenv]
requirements-from = ["project"]
hashes = "yes"
"""
    with pytest.raises(ConfigError) as caught:
        load(write(tmp_path, text))
    path = tmp_path / "pyproject.toml"
    assert caught.value.errors == [
        f'{path}: project.name must be a string, such as "my-package", not 3',
        f'{path}: project.version must be a string, such as "1.0", not 1.0',
        f'{path}: project.requires-python must be a string, such as ">=3.9", not 3.9',
        f"{path}: project.dependencies must be a list of requirement strings, such as [\"abc\"], not 'abc'",
        f"{path}: project.optional-dependencies.test must be a list of requirement strings, such as "
        "[\"pytest\"], not 'pytest'",
        f"{path}: project.optional-dependencies.docs must be a list of requirement strings, such as "
        "[\"requests>=2\"], not ['sphinx', 2]",
        f"{path}: project.dynamic must be a list of [project] keys, such as [\"version\"], not 'version'",
        f'{path}: dependency-groups.dev must be a list of requirement strings and {{include-group = "..."}} '
        "tables, such as [\"pytest\"], not 'pytest'",
        f"{path}: tool.doitenv.hashes must be true or false, not 'yes'",
    ]


@pytest.mark.parametrize(
    "text",
    [
        'project = "x"\n',
        'project = "x"\n[tool.doitenv]\nuniversal = true\n',  # read [project] as a table: a traceback
    ],
)
def test_a_project_that_is_no_table_is_refused(tmp_path: Path, text: str) -> None:
    """`project = "x"` passed silently (and with universal = true, failed with a traceback)."""
    with pytest.raises(ConfigError) as caught:
        load(write(tmp_path, text))
    assert caught.value.errors == [
        f"{tmp_path / 'pyproject.toml'}: project must be a table, as in [project] name = \"my-package\", not 'x'"
    ]


def test_dynamic_dependencies_are_the_build_backend_s(tmp_path: Path) -> None:
    """PEP 621: dependencies listed in `dynamic` come from the build backend; doitenv reads none."""
    config = load(write(tmp_path, '[project]\nname = "x"\ndynamic = ["version", "dependencies"]\n'))
    assert config.metadata is not None and config.metadata.dependencies == ()
    assert config.metadata.dynamic == ("version", "dependencies")
    with pytest.raises(ConfigError, match="they are dynamic: name a requirements file instead"):
        load(
            write(
                tmp_path,
                '[project]\nname = "x"\ndynamic = ["dependencies"]\n[tool.doitenv]\nrequirements-from = ["project"]\n',
            )
        )
