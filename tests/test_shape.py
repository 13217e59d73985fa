"""The package's shape, held as the code grows: layers without cycles, small modules, and the
backends behind their protocol (shared/STYLE.md, "Where new code goes")."""

from __future__ import annotations

import ast
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


def _imports_at_load(path: Path, modules: dict[str, Path]) -> set[str]:
    """The package's modules `path` imports when it is loaded: top-level imports, not those
    under `if TYPE_CHECKING:` or inside functions."""
    found = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        found |= {name for name in names if name in modules}
    return found


def test_no_module_imports_itself_back() -> None:
    modules = _modules()
    # A submodule importing its own package (doitenv.tasks.venv -> doitenv.tasks) only sets the
    # loading order: the package is half-loaded by then, and no cycle of code.
    graph = {
        name: {each for each in _imports_at_load(path, modules) if each != name and not name.startswith(each + ".")}
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
        for node in ast.parse(path.read_text(encoding="utf-8")).body
        if isinstance(node, ast.ClassDef) and node.name != "Backend" and not node.name.endswith("Missing")
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


# Lines that end a run with an error still print by hand: the error exit (issue 33, item 1) routes
# them through output.error on its own branch. Counted, so the merge that does it empties this.
_ERROR_EXITS_NOT_YET_THROUGH_OUTPUT = {
    "cli.py": 7,
    "kernel.py": 3,
    "tasks/__init__.py": 2,
    "tasks/failures.py": 3,
    "tasks/state.py": 1,
}


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
    # A module with only a hand-typed prefix counts 0 prints: it is no error exit, and fails too.
    counted = {name: len(prints) for name, (prints, _) in found.items()}
    assert counted == _ERROR_EXITS_NOT_YET_THROUGH_OUTPUT, f"print( or 'doitenv: ' by hand (lines): {found}"
