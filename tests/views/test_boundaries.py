"""Views know events and the plan model only: no engine, store or CLI, no heavy imports."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import gitorch.views

VIEWS = Path(gitorch.views.__file__).parent
ALLOWED = {"gitorch.events", "gitorch.plan.model", "gitorch.words"}  # words: stdlib wording helpers


def test_views_import_only_events_and_the_plan_model() -> None:
    for path in sorted(VIEWS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("gitorch"):
                names = {node.module} if node.module != "gitorch" else {
                    f"gitorch.{a.name}" for a in node.names}
                outside = {n for n in names if not n.startswith("gitorch.views")} - ALLOWED
                assert not outside, f"{path.name} imports {outside}"


def test_rendering_pulls_in_no_heavy_module() -> None:
    code = (
        "import sys\n"
        "from gitorch.views import dashboard, fold, progress, report\n"
        "heavy = {'pygit2', 'httpx', 'rich', 'typer'} & set(sys.modules)\n"
        "print(','.join(sorted(heavy)))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == ""
