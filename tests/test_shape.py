"""The package's shape, held as the code grows: layers without cycles, small modules, and the
backends behind their protocol (shared/STYLE.md, "Where new code goes")."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

PACKAGE = REPO / "src" / "doitenv"
LONGEST = 400  # lines a module may have


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """The package's modules `path` imports anywhere: at the top, inside functions and under `if
    TYPE_CHECKING:` alike. An import deferred into a function still ties the two modules together
    (it only hides the cycle until that function runs), and a type checker follows the annotations'.
    Importing `doitenv.tasks.runs` loads `doitenv.tasks` first, so a module's packages count too."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        loaded = {".".join(name.split(".")[:end]) for name in names for end in range(2, name.count(".") + 2)}
        found |= {name for name in loaded if name in modules}
    return found


def test_no_module_imports_itself_back() -> None:
    modules = _modules()
    # A submodule importing its own package (doitenv.tasks.venv -> doitenv.tasks) only sets the
    # loading order: the package is half-loaded by then, and no cycle of code.
    graph = {
        name: {each for each in _imports(path, modules) if each != name and not name.startswith(each + ".")}
        for name, path in modules.items()
    }
    finished: set[str] = set()

    def visit(name: str, trail: list[str]) -> None:
        assert name not in trail, "import cycle: " + " -> ".join([*trail[trail.index(name) :], name])
        if name not in finished:
            for each in sorted(graph[name]):
                visit(each, [*trail, name])
            finished.add(name)

    for name in sorted(graph):
        visit(name, [])


def test_every_module_stays_small() -> None:
    long = {
        name: lines
        for name, path in _modules().items()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > LONGEST
    }
    assert not long, f"over {LONGEST} lines: {long}"


def test_only_the_backends_package_names_a_backend_class() -> None:
    backends = PACKAGE / "backends"
    classes = {
        node.name
        for path in backends.glob("*.py")
        if path.name != "__init__.py"  # the protocol and what it hands a backend (Fetched): for everyone
        for node in ast.parse(path.read_text(encoding="utf-8")).body
        if isinstance(node, ast.ClassDef) and not node.name.endswith("Missing")
    }
    assert classes >= {"PipTools", "Uv"}
    for path in PACKAGE.rglob("*.py"):
        if backends in path.parents:
            continue
        named = {
            node.id for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(node, ast.Name)
        }
        named |= {
            node.attr
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Attribute)
        }
        assert not named & classes, f"{path.relative_to(REPO)} names {sorted(named & classes)}"


def test_import_doitenv_alone_imports_no_doit_and_its_names_come_from_the_task_layer(tmp_path: Path) -> None:
    # In a process of its own: this one has imported doit already. In tmp_path: the task layer
    # prepares the state folder where it is loaded.
    check = (
        "import sys, doitenv\n"
        "assert 'doit' not in sys.modules, 'import doitenv imported doit'\n"
        "from doitenv import in_venv, notebook, requires\n"
        "print(in_venv.__module__, requires.__module__, notebook.__module__)\n"
    )
    done = subprocess.run([sys.executable, "-c", check], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["doitenv.tasks.steps", "doitenv.tasks.steps", "doitenv.tasks.notebooks"]


# Words of pip's and uv's output when they fail: a module holding one reads a tool's output.
_TOOL_WORDS = (
    "No matching distribution found",
    "Could not find a version that satisfies",
    "DO NOT MATCH THE HASHES",
    "ash mismatch for",
    "there is no version of",
    "Failed to establish a new connection",
    "error sending request",
    "Failed to build",
    "Failed building wheel",
    "did not run successfully",
    "has no wheels with a matching Python",
    "requires a different Python",
    "Credentials not correct",
    "Traceback (most recent call last)",
)
_TOOL_MARKS = ("ERROR", "error:", "Error:", "WARNING", "cause:", "hint:")  # as a line starts
# Where a backend's name stays outside backends/, and why: each is another thing of that name.
_NAMED_ELSEWHERE = {
    ("config.py", "uv"): "the [tool.uv] table of pyproject.toml, which says whether to install the project",
    ("editable.py", "uv"): "the [tool.uv] keys that shape the project's build",
    ("interpreter.py", "uv"): "the folder of Pythons `uv python install` put there, searched whatever the backend",
    ("venv.py", "uv"): "pyvenv.cfg's word for a venv uv made, by hand or not",
    ("tasks/environments.py", "pip-tools"): "a distribution doitenv itself runs on, which a sync must not remove",
    # Not moved yet (issue 33): which tool reads which variables and configuration is the backends'.
    ("releases.py", "uv"): "releases.sources(tool=...) reads pip's or uv's settings",
}


def test_only_the_backends_package_names_a_backend_or_reads_a_tool_s_output() -> None:
    """A backend's name as a value (a default, a record's) comes from backends/registry.py, and the
    words of pip's and uv's output are read by the backends alone (Backend.explain_failure). Prose
    for a person may still name a tool ("could not prepare pip-tools"): that is no decision."""
    from doitenv.backends import registry

    assert set(registry.REGISTRY) == {"pip-tools", "uv"}
    backends = PACKAGE / "backends"
    found = set()
    for path in PACKAGE.rglob("*.py"):
        if backends in path.parents:
            continue
        name = path.relative_to(PACKAGE).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                continue
            if node.value in registry.REGISTRY and (name, node.value) not in _NAMED_ELSEWHERE:
                found.add(f"{name}:{node.lineno} names the backend {node.value!r}")
            read = [word for word in _TOOL_WORDS if word in node.value] + [
                mark for mark in _TOOL_MARKS if node.value == mark
            ]
            if read:
                found.add(f"{name}:{node.lineno} reads a tool's words {read}")
    assert not found, "\n".join(sorted(found))


def _written_by_hand(tree: ast.Module) -> tuple[list[int], list[int]]:
    """The lines of `print(` calls, and of strings that start with the prefix output.py writes."""
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    prints = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print"
    ]
    # A script doitenv writes for another program (a git hook, a pytest plugin) prints its own
    # lines: those are inside a longer string, not at its start.
    prefixes = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and node.value.lstrip("\n").startswith("doitenv: ")
    ]
    return prints, prefixes


def test_every_line_for_a_person_leaves_through_output() -> None:
    """print() in 19 modules, each typing `doitenv: ` by hand, and no level the user could pick:
    output.py writes the prefix once and decides what a level shows."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        name = path.relative_to(PACKAGE).as_posix()
        if name == "output.py":
            continue
        prints, prefixes = _written_by_hand(ast.parse(path.read_text(encoding="utf-8")))
        if prints or prefixes:
            found[name] = (prints, prefixes)
    assert not found, f"print( or 'doitenv: ' by hand (lines): {found}"
