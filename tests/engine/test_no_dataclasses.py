"""A run (one that runs commands and a re-run that skips everything), status, next and explain
load no `dataclasses` (with it inspect's ast, dis and tokenize): the classes they create are
msgspec Structs or gitorch/frozen.py classes (tests/test_struct_classes.py holds each beside
the dataclass it was)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import git, make_repo
from tests.engine.helpers import write_plan

TASKS = [
    {"id": "a", "paths": {"preferred": ["a/"]}, "commands": {"t": "true"}},
    {"id": "b", "dependencies": ["a"], "paths": {"preferred": ["b/"]}, "commands": {"t": "test -f b/x.txt"},
     "acceptance": ["File exists: b/x.txt"]},
]


def _imported(root: Path, *args: str) -> set[str]:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "gitorch", *args], cwd=root,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stderr.splitlines()
    return {line.split("|")[-1].strip() for line in lines if line.startswith("import time:")}


def test_run_rerun_status_next_and_explain_import_no_dataclasses(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "r", {"a/one.txt": "one\n", "b/x.txt": "x\n"})
    write_plan(root, TASKS)
    git(root, "add", "orchestrator.json")
    git(root, "commit", "-q", "-m", "plan")
    first = _imported(root, "run", "-j2")  # runs both tasks' commands and checks
    assert {"gitorch.engine.process", "gitorch.engine.checks"} <= first
    rerun = _imported(root, "run", "-j2")  # skips everything
    assert "gitorch.engine.driver" in rerun
    for name, found in [("run", first), ("re-run", rerun), ("status", _imported(root, "status")),
                        ("next", _imported(root, "next")), ("explain", _imported(root, "explain", "b"))]:
        assert "gitorch.plan.load" in found, name  # each loaded the plan
        assert "dataclasses" not in found, name
