"""The benchmark runs from a clean clone: everything it needs is in the repository."""

from __future__ import annotations

import importlib.util
import re
import sys

from tests.conftest import REPO


def test_the_benchmark_needs_nothing_outside_the_repository() -> None:
    """bench/run.py used ../shared/reference/Makefile, which no clone has."""
    spec = importlib.util.spec_from_file_location("bench_run", REPO / "bench" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    assert module.MAKEFILE.is_file() and module.MAKEFILE.resolve().is_relative_to(REPO)
    for script in (REPO / "bench").glob("*.py"):
        assert not re.search(r"\.parent\s*/\s*\"shared\"|\.\./shared", script.read_text()), script
    # The Makefile has the workflow's targets, with the recipes bench/run.py calls.
    targets = re.findall(r"^([\w.-]+):", module.MAKEFILE.read_text(), flags=re.MULTILINE)
    assert {"venv", "requirements.txt", "requirements-dev.txt", "prod", "dev", "test", "clean"} <= set(targets)
