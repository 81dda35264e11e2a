"""`git orch plan import`: workflow-orchestrator's real workflows (vendored, MIT) become
valid gitorch plans; what cannot map is listed with the reason; `plan validate` on a
workflow.yaml names `plan import`."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from gitorch.migrate.workflow_plan import convert
from tests.conftest import OrchRunner

WORKFLOWS = Path(__file__).parent / "workflows"


def _ok(proc: subprocess.CompletedProcess[str], code: int = 0) -> subprocess.CompletedProcess[str]:
    assert proc.returncode == code, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stdout + proc.stderr
    return proc


@pytest.mark.parametrize(("name", "kind", "tasks"), [
    ("default_workflow.yaml", "items", 45), ("agent_workflow.yaml", "agent", 5),
    ("default_v4.yaml", "v4", 5), ("workflow_root.yaml", "items", 35)])
def test_real_workflows_convert_and_validate(repo: Path, orch: OrchRunner, name: str, kind: str,
                                             tasks: int) -> None:
    shutil.copy(WORKFLOWS / name, repo / "workflow.yaml")
    doc = json.loads(_ok(orch("plan", "import", "workflow.yaml", "--out", "orchestrator.yml", "--json",
                              cwd=repo)).stdout)
    assert doc["kind"] == kind and doc["tasks"] == tasks
    assert all(u["where"] and u["why"] for u in doc["unmapped"])
    valid = json.loads(_ok(orch("plan", "validate", "--json", cwd=repo)).stdout)
    assert valid["valid"] and valid["tasks"] == tasks
    assert (repo / "orchestrator.yml").read_text().startswith("# Imported by `git orch plan import`")


def test_items_phases_gates_templates_and_what_is_not_mapped(repo: Path, orch: OrchRunner) -> None:
    shutil.copy(WORKFLOWS / "default_workflow.yaml", repo / "workflow.yaml")
    proc = _ok(orch("plan", "import", "workflow.yaml", "--out", "orchestrator.yml", cwd=repo))
    assert "not mapped: phases.PLAN.items.check_roadmap.skip_conditions" in proc.stderr
    assert "the plan validates" in proc.stderr
    plan = yaml.safe_load((repo / "orchestrator.yml").read_text())
    tasks = {t["id"]: t for t in plan["tasks"]}
    assert plan["project"]["build"] == {"lint": "npm run lint", "test": "npm run build"}
    # {{docs_dir}} filled from settings; file_exists and command verification as acceptance
    assert {"file_exists": "docs/plan.md"} in tasks["PLAN.initial_plan"]["acceptance"]
    assert tasks["EXECUTE.all_tests_pass"]["acceptance"] == [{"run": "npm run build", "exit_code": 0}]
    # a manual gate is a gate to approve; the next phase waits for every task of this one
    assert tasks["PLAN.user_approval"]["approvals"] == ["user_approval"]
    assert "user_approval" in plan["orchestrator"]["approvals"]["required"]
    # a phase is a group task on its items; the next phase's items depend on it
    assert tasks["PLAN"]["dependencies"] == [t for t in tasks if t.startswith("PLAN.")]
    assert tasks["EXECUTE.handoff_decision"]["dependencies"] == ["PLAN"]
    graph = _ok(orch("plan", "graph", cwd=repo)).stdout
    assert "PLAN.user_approval" in graph


def test_v4_gates_become_checks(tmp_path: Path) -> None:
    result = convert(yaml.safe_load((WORKFLOWS / "default_v4.yaml").read_text()))
    tasks = {t["id"]: t for t in result.plan["tasks"]}
    assert tasks["plan"]["acceptance"] == [{"file_exists": "docs/plan.md"}]
    assert tasks["implement"]["dependencies"] == ["plan"] and tasks["plan"]["retry"] == {"attempts": 3}
    review = tasks["review"]["acceptance"][0]
    assert review["run"].startswith("! git grep -n -E -e 'TODO|FIXME|XXX|HACK' -- ")
    complete = tasks["complete"]["acceptance"][0]
    assert complete["run"] == 'test -z "$(git status --porcelain)"'
    assert [u["where"] for u in result.unmapped] == ["enforcement"]


def test_plan_validate_names_plan_import(repo: Path, orch: OrchRunner) -> None:
    shutil.copy(WORKFLOWS / "agent_workflow.yaml", repo / "workflow.yaml")
    proc = _ok(orch("plan", "validate", "--file", "workflow.yaml", cwd=repo), 2)
    assert "workflow-orchestrator workflow" in proc.stderr and "git orch plan import" in proc.stderr
    assert "unknown key" not in proc.stderr


def test_bad_input_is_one_clear_message(repo: Path, orch: OrchRunner) -> None:
    (repo / "broken.yaml").write_text("phases:\n  - id: PLAN\n   name: x\n")
    proc = _ok(orch("plan", "import", "broken.yaml", cwd=repo), 2)
    assert "broken.yaml:3:" in proc.stderr and "not valid YAML" in proc.stderr
    (repo / "plan.yaml").write_text("tasks: []\n")
    not_one = _ok(orch("plan", "import", "plan.yaml", cwd=repo), 2)
    assert "not a workflow-orchestrator workflow" in not_one.stderr
    assert "cannot read" in _ok(orch("plan", "import", "missing.yaml", cwd=repo), 2).stderr
    (repo / "escape.yaml").write_text("name: x\nphases:\n  - id: P\n    name: P\n    items:\n"
                                      "      - {id: a, name: A, verification: {type: file_exists, "
                                      "path: ../../etc/passwd}}\n")
    escape = _ok(orch("plan", "import", "escape.yaml", "--out", "escaped.yml", cwd=repo), 2)
    assert "escape.yaml: converts to a plan that is not valid" in escape.stderr
    assert "leaves the repository" in escape.stderr and not (repo / "escaped.yml").exists()
    shutil.copy(WORKFLOWS / "default_v4.yaml", repo / "workflow.yaml")
    (repo / "orchestrator.yml").write_text("keep me\n")
    proc = _ok(orch("plan", "import", "workflow.yaml", "--out", "orchestrator.yml", cwd=repo), 2)
    assert "--force" in proc.stderr and (repo / "orchestrator.yml").read_text() == "keep me\n"
    printed = _ok(orch("plan", "import", "workflow.yaml", cwd=repo))
    assert yaml.safe_load(printed.stdout)["tasks"][0]["id"] == "plan"


def test_fields_of_the_wrong_type_are_listed_not_a_crash(repo: Path, orch: OrchRunner) -> None:
    """A list that is a number, a number that is text: listed as not mapped (was exit 70)."""
    (repo / "w.yaml").write_text(
        "name: x\nphases:\n  - id: P\n    items: 5\n    notes: 4\n    timeout: .inf\n"
        "  - id: Q\n    max_attempts: abc\n    items:\n      - id: a\n        notes: 3\n"
        "        verification: {type: command, command: make, expect_exit_code: z}\n"
        "phases_v4: 1\n")
    doc = json.loads(_ok(orch("plan", "import", "w.yaml", "--json", cwd=repo)).stdout)
    where = {u["where"]: u["why"] for u in doc["unmapped"]}
    assert where["phases.P.items"] == where["phases.Q.items.a.notes"] == "not a list; left out"
    assert where["phases.P.timeout"] == where["phases.Q.max_attempts"] == "not a number; left out"
    assert "phases.Q.items.a.verification.expect_exit_code" in where and doc["tasks"] == 3
