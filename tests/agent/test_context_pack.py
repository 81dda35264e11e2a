"""The context pack: index first, bounded, the same with and without universal-ctags."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from gitorch.agent.index import definitions
from tests.conftest import git
from tests.e2e.helpers import write_plan

SOURCES = {
    "src/plan.py": "import os\n\n\nclass PlanLoader:\n    pass\n\n\ndef parse_plan(text):\n    return text\n",
    "web/app.ts": "export function renderTask(t: string) {\n  return t\n}\n",
    "core/lib.rs": "pub struct TaskGraph;\n\npub fn topo_order() {}\n",
    "cmd/main.go": "package main\n\nfunc (g *Graph) WalkNodes() {}\n",
    "lib/orch.ex": "defmodule Orch.Plan do\n  def load_plan(path), do: path\nend\n",
}


@pytest.fixture
def code_repo(repo: Path) -> Path:
    for name, text in SOURCES.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "code")
    return repo


def _where(found) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {d.name: f"{d.path}:{d.line}" for d in found}


NAMES = ["PlanLoader", "parse_plan", "renderTask", "TaskGraph", "topo_order", "WalkNodes", "load_plan"]
EXPECTED = {
    "PlanLoader": "src/plan.py:4", "parse_plan": "src/plan.py:8", "renderTask": "web/app.ts:1",
    "TaskGraph": "core/lib.rs:1", "topo_order": "core/lib.rs:3", "WalkNodes": "cmd/main.go:3",
    "load_plan": "lib/orch.ex:2",
}


@pytest.mark.skipif(shutil.which("ctags") is None, reason="universal-ctags is not installed")
def test_definitions_by_ctags(code_repo: Path) -> None:
    assert _where(definitions(code_repo, NAMES)) == EXPECTED


def test_definitions_by_git_grep_without_ctags(code_repo: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    bare_path = tmp_path / "bin"
    bare_path.mkdir()
    for tool in ("git", "sh"):
        found = shutil.which(tool)
        assert found
        os.symlink(found, bare_path / tool)
    monkeypatch.setenv("PATH", str(bare_path))  # a machine without ctags
    assert shutil.which("ctags") is None
    assert _where(definitions(code_repo, NAMES)) == EXPECTED


def test_pack_stays_under_its_budget_for_a_huge_task(code_repo: Path, inproc) -> None:
    deps = [{"id": f"d{i}", "commands": {"x": "true"}} for i in range(300)]
    big = {
        "id": "big", "title": "fix `parse_plan` and `PlanLoader`",
        "description": "Make `renderTask` and `TaskGraph` agree. " * 400,
        "paths": [f"src/file_{i}.py" for i in range(500)],
        "dependencies": [d["id"] for d in deps],
        "acceptance": [f"Contains: src/plan.py: parse_plan_{i}" for i in range(200)],
    }
    write_plan(code_repo, [*deps, big])
    proc = inproc("context", "big", "--json", cwd=code_repo)
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout) < 16_000
    doc = json.loads(proc.stdout)
    assert doc["omitted"]["paths"] > 0 and doc["omitted"]["dependencies"] > 0
    assert any(d["name"] == "parse_plan" for d in doc["definitions"])
    text = inproc("context", "big", cwd=code_repo).stdout
    assert "definitions:" in text and "more" in text


def test_next_json_stays_under_its_budget_for_1000_tasks(repo: Path, inproc) -> None:
    roots = [{"id": f"root-{i:04d}", "title": "prepare the release notes of component " * 4,
              "commands": {"x": "true"}} for i in range(500)]
    leaves = [{"id": f"leaf-{i:04d}", "title": "check", "commands": {"x": "true"},
               "dependencies": [f"root-{j:04d}" for j in range(i % 50, i % 50 + 8)]} for i in range(500)]
    write_plan(repo, [*roots, *leaves])
    proc = inproc("next", "--json", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout) < 4_000
    doc = json.loads(proc.stdout)
    assert doc["ready_count"] == 500 and doc["later_count"] == 500
    assert [t["task"] for t in doc["ready"]][:2] == ["root-0000", "root-0001"]
    assert all(len(t["unmet"]) <= 4 for t in doc["later"])
    everything = json.loads(inproc("next", "--json", "--limit", "0", cwd=repo).stdout)
    assert len(everything["ready"]) == 500 and len(everything["later"]) == 500
