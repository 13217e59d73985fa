"""`doitenv graph`: the project's task graph as Mermaid or Graphviz dot text, each task marked as
`doit` would judge it if it were run now.

The tasks are loaded as stock doit loads them (its config files, dodo.py, DOIT_CONFIG), so the
project's own steps are there beside doitenv's. Each is judged by doit's own dependency manager
(Dependency.get_status), on a copy of doit's state: nothing is written to it, and no action runs.
A task's mark is its own: one below a stale task may run too, once that one has changed its inputs.

Edges run from what a task needs to the task: its task_dep (setup tasks dashed), and its
file_dep and targets as file nodes. doitenv's own tasks judge their inputs by content rather than
by file_dep, so their inputs are added here: the files each lock is pinned from, and the files
the tests and the formatters stand on, as one node ("412 project files").
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from doit.cmd_base import DoitCmdBase, get_loader
from doit.control import TaskControl
from doit.doit_cmd import DoitMain
from doit.exceptions import InvalidCommand, InvalidDodoFile, InvalidTask

from doitenv import config, files, output
from doitenv.config import PYPROJECT
from doitenv.errors import Failure
from doitenv.project import Project

FORMATS = ("mermaid", "dot")
# More plain input (or output) files than this, linked to no other task, are one node: "240 files".
MANY = 8
# doit's word for a task's status -> the class it is drawn with.
CLASSES = {"up-to-date": "uptodate", "run": "stale", "error": "error", "ignore": "ignored"}
_COLOURS = {  # fill, stroke, text
    "uptodate": ("#d4edda", "#2e7d32", "#1b5e20"),
    "stale": ("#fff3cd", "#b26a00", "#663c00"),
    "error": ("#f8d7da", "#c62828", "#7f0000"),
    "ignored": ("#eeeeee", "#9e9e9e", "#616161"),
    "file": ("#ffffff", "#9e9e9e", "#424242"),
}


@dataclass
class Graph:
    """Nodes by (kind, label): kind is "task", "file" or "files" (many, as one node); a task's
    status is doit's word for it. Edges are (from, to, "setup" or "") between node ids."""

    nodes: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)  # -> (id, status)
    edges: list[tuple[str, str, str]] = field(default_factory=list)

    def node(self, kind: str, label: str, status: str = "") -> str:
        if (kind, label) not in self.nodes:
            self.nodes[kind, label] = (f"{kind[0]}{len(self.nodes)}", status)
        return self.nodes[kind, label][0]

    def edge(self, start: str, end: str, style: str = "") -> None:
        if (start, end, style) not in self.edges:
            self.edges.append((start, end, style))


def build(tasks: Sequence[Any], statuses: Mapping[str, str], more_inputs: Mapping[str, list[tuple[str, str]]]) -> Graph:
    """The graph of doit's `tasks` (after TaskControl), with `more_inputs` per task name: (kind, label)."""
    graph = Graph()
    made_by = {target: task.name for task in tasks for target in task.targets}
    needed = {dep for task in tasks for dep in task.file_dep}
    for task in tasks:
        graph.node("task", task.name, statuses[task.name])

    def file(path: str) -> str:
        # A task named after the file it makes (`doit requirements.txt`) stands for the file.
        return graph.node("task", path) if made_by.get(path) == path else graph.node("file", path)

    for task in tasks:
        me = graph.node("task", task.name)
        linked = {made_by[dep] for dep in task.file_dep if dep in made_by}
        plain = [dep for dep in sorted(task.file_dep) if dep not in made_by]
        for kind, label in more_inputs.get(task.name, []):
            graph.edge(graph.node(kind, label) if kind == "files" else file(label), me)
        for dep in sorted(task.file_dep):
            if dep in made_by or len(plain) <= MANY:
                graph.edge(file(dep), me)
        if len(plain) > MANY:
            graph.edge(graph.node("files", f"{len(plain)} files {task.name} reads"), me)
        outputs = [target for target in task.targets if target != task.name]
        lone = [target for target in outputs if target not in needed]
        for target in outputs:
            if target in needed or len(lone) <= MANY:
                graph.edge(me, file(target))
        if len(lone) > MANY:
            graph.edge(me, graph.node("files", f"{len(lone)} files {task.name} writes"))
        for dep in task.task_dep:
            if dep not in linked:  # else a file between them says it
                graph.edge(graph.node("task", dep), me)
        for setup in task.setup_tasks:
            graph.edge(graph.node("task", setup), me, "setup")
    return graph


# --- text --------------------------------------------------------------------------------


def mermaid_text(label: str) -> str:
    """`label` as a quoted Mermaid string: quotes, markup and entity starts as entity codes."""
    codes = {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;", "`": "#96;"}
    flat = " ".join(label.splitlines())
    return '"' + "".join(codes.get(char, char) for char in flat) + '"'


def dot_text(label: str) -> str:
    """`label` as a quoted dot string: a backslash would start an escape (\\n, \\N) in a label."""
    flat = " ".join(label.splitlines())
    return '"' + flat.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _class(kind: str, status: str) -> str:
    return CLASSES.get(status, "stale") if kind == "task" else "file"


def mermaid(graph: Graph) -> str:
    lines = ["flowchart LR"]
    lines += [
        f"    classDef {name} fill:{fill},stroke:{stroke},color:{text}"
        for name, (fill, stroke, text) in _COLOURS.items()
    ]
    shapes = {"task": ("[", "]"), "file": ("[/", "/]"), "files": ("[[", "]]")}
    for (kind, label), (node, status) in graph.nodes.items():
        start, end = shapes[kind]
        lines.append(f"    {node}{start}{mermaid_text(label)}{end}:::{_class(kind, status)}")
    lines += [f"    {start} {'-.->' if style else '-->'} {end}" for start, end, style in graph.edges]
    return "\n".join(lines) + "\n"


def dot(graph: Graph) -> str:
    lines = ["digraph tasks {", "    rankdir=LR;", '    node [fontname="Helvetica", style="filled"];']
    shapes = {"task": "box", "file": "note", "files": "folder"}
    for (kind, label), (node, status) in graph.nodes.items():
        name = _class(kind, status)
        fill, stroke, text = _COLOURS[name]
        attributes = f'shape={shapes[kind]}, class="{name}", fillcolor="{fill}", color="{stroke}", fontcolor="{text}"'
        lines.append(f"    {node} [label={dot_text(label)}, {attributes}];")
    lines += [f"    {start} -> {end}{' [style=dashed]' if style else ''};" for start, end, style in graph.edges]
    return "\n".join([*lines, "}"]) + "\n"


# --- the project's tasks, as doit loads and judges them ------------------------------------


def _read_only(backend: Callable[..., Any], scratch: Path) -> Callable[..., Any]:
    """doit's state backend `backend`, opened on a copy of the state: get_status may write (it
    forgets a task whose checker changed), and sqlite makes the file it opens."""

    def open_copy(name: str, codec: Any, *, module_name: str | None = None) -> Any:
        state = Path(name)
        # dbm keeps its state in several files named after it (.db, .dat, .dir).
        for each in state.parent.glob(f"{state.name}*") if state.parent.is_dir() else []:
            if each.is_file():
                shutil.copy2(each, scratch / each.name)
        return backend(str(scratch / state.name), codec, module_name=module_name)

    return open_copy


class _Load(DoitCmdBase):  # type: ignore[misc]
    """A doit command that loads the tasks and the dependency manager, and runs nothing."""

    name = "graph"

    def __init__(self, scratch: Path, **kwargs: Any) -> None:
        self.scratch = scratch
        super().__init__(**kwargs)

    def get_backends(self) -> dict[str, Any]:
        return {name: _read_only(backend, self.scratch) for name, backend in super().get_backends().items()}

    def _execute(self) -> int:
        return 0


def _statuses(tasks: Mapping[str, Any], dep_manager: Any) -> dict[str, str]:
    """Each task's status as doit's runner would find it now (runner.select_task)."""
    made = {target for task in tasks.values() for target in task.targets}
    found = {}
    for name, task in tasks.items():
        if dep_manager.status_is_ignore(task):
            found[name] = "ignore"
            continue
        try:
            status = dep_manager.get_status(task, tasks, get_log=True)
        except Exception:  # a check that cannot be made before its task_dep ran (no venv yet): it runs
            found[name] = "run"
            continue
        # An input another task makes is made first: only a file nobody makes fails the task.
        missing = [path for path in status.reasons.get("missing_file_dep", []) if path not in made]
        found[name] = "error" if missing else "up-to-date" if status.status == "up-to-date" else "run"
    return found


def _more_inputs(root: Path, tasks: Mapping[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """What tasks read besides their file_dep: a notebook step its notebook, whose code decides
    whether it runs (notebooks.py), and doitenv's tasks what they judge by content."""
    found: dict[str, list[tuple[str, str]]] = {}
    try:
        project = Project(config.load(root))
        if "venv" in tasks and project.dev.lock in tasks:  # else dodo.py does not use doitenv's tasks
            found = _doitenv_inputs(project, tasks)
    except (config.ConfigError, Failure, OSError):
        pass  # the tasks loaded, so doit runs them: their picture only lacks these inputs
    for name, task in tasks.items():
        notebook = (task.meta or {}).get("doitenv_notebook")
        if notebook:
            found[name] = [*found.get(name, []), ("file", notebook)]
    return found


def _doitenv_inputs(project: Project, names: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
    """The files each lock is pinned from (its input, and what that includes, but not the other
    locks, whose tasks it comes after), and the project's files for test, format and matrix."""
    found: dict[str, list[tuple[str, str]]] = {}
    lock_paths = {project.root / layer.lock for layer in project.layers}
    for layer in project.layers:
        read = layer.read_inputs(project.root)
        # The input doitenv writes from pyproject.toml's tables is pyproject.toml to the user.
        shown = [files.shown(path, project.root) for path in read.paths[1:] if path not in lock_paths]
        top = PYPROJECT if layer.generated is not None else files.shown(read.paths[0], project.root)
        found[layer.lock] = [("file", path) for path in dict.fromkeys([top, *shown])]
    settings = project.config
    for task, patterns, setting in (
        ("test", settings.test_inputs, "test-inputs"),
        ("format", settings.format_inputs, "format-inputs"),
    ):
        count = len(project.files_snapshot(patterns).hashes)
        found[task] = [("files", f"{count} project files" + (f" ({setting})" if patterns is not None else ""))]
    names = set(names)
    for name in names:
        if name.startswith("matrix:"):  # each entry stands on the files the tests do
            found[name] = found["test"]
    return {name: inputs for name, inputs in found.items() if name in names}


def _said(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}"


def _loaded(scratch: Path) -> tuple[dict[str, Any], Any]:
    """The tasks (by name, with the task_dep doit adds for a file_dep another task makes) and
    doit's dependency manager, read from the project in the current folder as `doit` reads them."""
    try:
        main = DoitMain()  # doit's own config files: pyproject.toml's [tool.doit], doit.cfg
    except Exception as exc:
        raise Failure(f"{PYPROJECT} (or doit.cfg) cannot be read: {_said(exc)}") from None
    commands = main.get_cmds()
    loader = get_loader(main.config, None, commands)
    command = _Load(scratch, task_loader=loader, config=main.config, cmds=commands)
    try:
        command.parse_execute([])
        return TaskControl(command.task_list).tasks, command.dep_manager
    except Exception as exc:
        if command.dep_manager is not None:
            command.dep_manager.close()  # the copy, whose folder goes next
        if isinstance(exc, (InvalidCommand, InvalidDodoFile, InvalidTask)):
            raise Failure(str(exc).strip()) from None
        failed = "dodo.py does not import" if loader.namespace is None else "dodo.py's tasks cannot be made"
        raise Failure(f"{failed}: {_said(exc)}") from None


def load(root: Path) -> Graph:
    """The graph of the project whose dodo.py is in `root`; raises Failure when its tasks cannot
    be loaded. Works from `root`, as doit does, and changes back."""
    here = os.getcwd()
    chatter = io.StringIO()  # what dodo.py and the checks print is no part of the graph
    os.chdir(root)
    sys.modules.pop("dodo", None)  # a dodo module imported before in this process is another's
    try:
        with tempfile.TemporaryDirectory() as scratch:
            with contextlib.redirect_stdout(chatter), contextlib.redirect_stderr(chatter):
                try:
                    tasks, dep_manager = _loaded(Path(scratch))
                except SystemExit:  # doitenv's tasks refuse to load: they said why in one line
                    raise Failure(chatter.getvalue().strip().removeprefix(output.PREFIX)) from None
                try:
                    statuses = _statuses(tasks, dep_manager)
                    more = _more_inputs(root, tasks)
                finally:
                    dep_manager.close()  # into the copy, whose folder goes next
    finally:
        os.chdir(here)
    return build(list(tasks.values()), statuses, more)
