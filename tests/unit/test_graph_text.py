"""`doitenv graph` as text: which nodes and edges a set of doit tasks makes, and how names that
are hard to quote come out in Mermaid and in dot."""

from __future__ import annotations

from doit.task import Task

from doitenv import graph


def _task(name: str, **fields: object) -> Task:
    return Task(name, None, **fields)


def _edges(drawn: graph.Graph) -> set[tuple[str, str, str]]:
    label = {node: name for (_, name), (node, _) in drawn.nodes.items()}
    return {(label[start], label[end], style) for start, end, style in drawn.edges}


def test_files_lie_between_tasks_and_a_task_named_after_its_target_stands_for_it() -> None:
    tasks = [
        _task("venv"),
        _task("requirements.txt", targets=["requirements.txt"], task_dep=["venv"]),
        _task("dev", task_dep=["requirements.txt"]),
        _task("table", file_dep=["raw.csv", "requirements.txt"], targets=["table.txt"], task_dep=["dev"]),
        # TaskControl has added the task_dep that a file_dep on another task's target implies.
        _task("figures", file_dep=["table.txt"], targets=["fig.png"], task_dep=["table"], setup=["server"]),
        _task("server"),
    ]
    statuses = dict.fromkeys(["venv", "requirements.txt", "dev", "table", "figures", "server"], "up-to-date")
    drawn = graph.build(tasks, {**statuses, "table": "run"}, {"requirements.txt": [("file", "requirements.in")]})
    assert _edges(drawn) == {
        ("venv", "requirements.txt", ""),
        ("requirements.in", "requirements.txt", ""),
        ("requirements.txt", "dev", ""),
        ("dev", "table", ""),
        ("raw.csv", "table", ""),
        ("requirements.txt", "table", ""),  # the task, which is the file
        ("table", "table.txt", ""),
        ("table.txt", "figures", ""),  # and no edge table -> figures beside it
        ("figures", "fig.png", ""),
        ("server", "figures", "setup"),
    }
    kinds = {name: kind for kind, name in drawn.nodes}
    assert kinds["requirements.txt"] == "task" and kinds["table.txt"] == "file"
    assert drawn.nodes["task", "table"][1] == "run"


def test_many_plain_files_are_one_node_but_files_that_link_tasks_stay() -> None:
    inputs, outputs = [f"data/{n}.csv" for n in range(graph.MANY + 1)], [f"out/{n}" for n in range(graph.MANY)]
    tasks = [
        _task("make", targets=["made.txt"]),
        _task("sum", file_dep=[*inputs, "made.txt"], targets=outputs, task_dep=["make"]),
    ]
    drawn = graph.build(tasks, {"make": "run", "sum": "run"}, {"test": [("files", "12 project files")]})
    assert _edges(drawn) == {
        ("make", "made.txt", ""),
        ("made.txt", "sum", ""),
        (f"{graph.MANY + 1} files sum reads", "sum", ""),
        *(("sum", output, "") for output in outputs),  # MANY are still drawn one by one
    }


def test_names_are_quoted_for_mermaid_and_dot() -> None:
    name = 'data/my "raw" [v2] (a) {b} <i>&#1</i> `x` C:\\new\nend.csv'
    assert graph.mermaid_text(name) == (
        '"data/my #quot;raw#quot; [v2] (a) {b} #lt;i#gt;#amp;#35;1#lt;/i#gt; #96;x#96; C:\\new end.csv"'
    )
    assert graph.dot_text(name) == '"data/my \\"raw\\" [v2] (a) {b} <i>&#1</i> `x` C:\\\\new end.csv"'


def test_mermaid_and_dot_of_a_small_graph() -> None:
    drawn = graph.Graph()
    step = drawn.node("task", "end", "run")  # a Mermaid keyword as a name: ids are never names
    drawn.edge(drawn.node("file", "a b.csv"), step)
    drawn.edge(drawn.node("task", "dev", "up-to-date"), step)
    drawn.edge(drawn.node("task", "server", "ignore"), step, "setup")
    drawn.edge(drawn.node("files", "9 project files"), drawn.node("task", "test", "error"))
    mermaid = graph.mermaid(drawn).splitlines()
    assert mermaid[0] == "flowchart LR"
    assert [line for line in mermaid if "classDef" not in line][1:] == [
        '    t0["end"]:::stale',
        '    f1[/"a b.csv"/]:::file',
        '    t2["dev"]:::uptodate',
        '    t3["server"]:::ignored',
        '    f4[["9 project files"]]:::file',
        '    t5["test"]:::error',
        "    f1 --> t0",
        "    t2 --> t0",
        "    t3 -.-> t0",
        "    f4 --> t5",
    ]
    assert {line.split()[1] for line in mermaid if "classDef" in line} == {*graph.CLASSES.values(), "file"}
    dot = graph.dot(drawn)
    assert dot.startswith("digraph tasks {\n    rankdir=LR;\n") and dot.endswith("}\n")
    assert '    t0 [label="end", shape=box, class="stale", fillcolor="#fff3cd"' in dot
    assert '    f1 [label="a b.csv", shape=note, class="file"' in dot
    assert "    t3 -> t0 [style=dashed];\n    f4 -> t5;\n}" in dot
