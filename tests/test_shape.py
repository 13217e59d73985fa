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
